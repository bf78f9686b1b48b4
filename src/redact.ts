// The one redaction step between what the action learned and what it writes: the log, the job
// summary, annotations, the JSON report and the failure message. Strings from servers (an error
// that quotes the request's headers) and from inputs (a malformed URL with credentials in it) pass
// through it. The runner masks raw secrets in the log only, and not their encodings; the summary
// and the report file are not masked at all. Hand-written: no library knows which values are the
// secrets, or the encodings (URL, base64, JSON) a server may quote them in.

export interface Redactor {
  /** Adds a secret: from now on it, and its encodings, are replaced. */
  add(secret: string): void;
  redact(text: string): string;
  /** A copy of a JSON-like value with every string redacted. */
  redactDeep<T>(value: T): T;
}

const HIDDEN = '***';
/** Shorter values (a scheme name, `admin`) are not secrets, and replacing them would garble the text. */
const MIN_SECRET_LENGTH = 6;
/** `scheme://user:password@` in any text: the credentials a URL carries. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@"']*@/gi;

export function createRedactor(): Redactor {
  const forms = new Set<string>();
  let longestFirst: string[] = [];
  const redact = (text: string): string => {
    // The report holds tens of thousands of strings (every DAG and task id); few hold a URL.
    let out = text.includes('://') ? text.replace(URL_USERINFO, `$1${HIDDEN}@`) : text;
    for (const form of longestFirst) if (out.includes(form)) out = out.split(form).join(HIDDEN);
    return out;
  };
  const redactDeep = <T>(value: T): T => {
    if (typeof value === 'string') return redact(value) as T;
    if (Array.isArray(value)) return value.map(redactDeep) as T;
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactDeep(item)])) as T;
    return value;
  };
  return {
    add(secret) {
      // A header value such as `Bearer abc…` is quoted whole or by its credential alone.
      for (const part of new Set([secret, ...secret.split(/\s+/)])) {
        if (part.length >= MIN_SECRET_LENGTH) for (const form of encodings(part)) forms.add(form);
      }
      longestFirst = [...forms].sort((a, b) => b.length - a.length);
    },
    redact,
    redactDeep,
  };
}

/** The forms a server or a proxy may quote a secret in: as sent, URL-encoded, base64 (and base64url), JSON-escaped. */
export function encodings(secret: string): string[] {
  const base64 = Buffer.from(secret).toString('base64');
  return [...new Set([secret, encodeURIComponent(secret), base64, base64.replace(/=+$/, ''), Buffer.from(secret).toString('base64url'), JSON.stringify(secret).slice(1, -1)])];
}
