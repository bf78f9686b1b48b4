// The token that ends a block of text the runner reads: a GITHUB_OUTPUT value, a span of log lines
// under stop-commands. It is safe because the text is checked not to contain it, not because it
// cannot be guessed, so Math.random serves: node:crypto, loaded for randomUUID alone, cost every
// run about 2 ms at start (a one-file dry run is 120 ms).

/** A random token that does not occur in `text`. */
export function unusedToken(text: string, token: () => string = randomToken): string {
  let candidate = token();
  while (text.includes(candidate)) candidate = token();
  return candidate;
}

function randomToken(): string {
  return `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
}
