// Markdown for the job summary: tables, links and escaping of untrusted text. Pure.

/** Rows shown per table before the rest is folded away; the JSON report has everything. */
export const TABLE_CAP = 50;

export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  // Left-aligned headers: GitHub centres them otherwise, away from their left-aligned cells.
  const head = [line(header), line(header.map(() => ':---'))];
  const body = rows.slice(0, TABLE_CAP).map(line);
  const markdown = [...head, ...body].join('\n');
  if (rows.length <= TABLE_CAP) return markdown;
  const rest = [...head, ...rows.slice(TABLE_CAP, TABLE_CAP * 4).map(line)].join('\n');
  const dropped = rows.length - TABLE_CAP * 4;
  return `${markdown}\n\n<details><summary>${rows.length - TABLE_CAP} more rows</summary>\n\n${rest}\n\n${dropped > 0 ? `…and ${dropped} more: see the JSON report.\n\n` : ''}</details>`;
}

/** A folded block; `summary` is plain text (HTML-escaped here, as Markdown is not rendered inside <summary>). */
export function fold(summary: string, body: string): string {
  return `<details><summary>${escapeHtml(summary)}</summary>\n\n${body}\n\n</details>`;
}

export function cap(lines: readonly string[]): string[] {
  if (lines.length <= TABLE_CAP) return [...lines];
  return [...lines.slice(0, TABLE_CAP), `- …and ${lines.length - TABLE_CAP} more: see the JSON report.`];
}

export function capped(items: readonly string[], max: number): string {
  return items.length > max ? `${items.slice(0, max).join(', ')} …+${items.length - max}` : items.join(', ');
}

export function fileLink(report: { readonly headUrl?: string }, file: string, line?: number): string {
  const label = code(file);
  if (!report.headUrl) return label;
  const encoded = file.split('/').map(encodeURIComponent).join('/');
  return `[${label}](${safeUrl(report.headUrl)}/${encoded}${line ? `#L${line}` : ''})`;
}

/** A link target that cannot end the Markdown link early or carry a script: http(s) only, parentheses and spaces encoded. */
export function safeUrl(url: string): string {
  if (!/^https?:\/\//i.test(url)) return '#';
  return url.replace(/[()<>\s"]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/** File names, DAG ids and server messages are untrusted: neutralise Markdown and HTML. */
export function escape(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#!~])/g, '\\$1');
}

export function code(text: string): string {
  // Inside a code span nothing but backticks and pipes (in tables) can break out.
  const clean = text.replace(/[\r\n]+/g, ' ').replace(/`/g, 'ˋ').replace(/\|/g, '\\|');
  return `\`${clean}\``;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim()) ?? '';
}

/** Server messages often end in their own full stop, and ours add one: keep one. */
export function sentence(text: string): string {
  return text.trim().replace(/([^.])\.\.$/, '$1.');
}

export function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1).trimEnd()}…` : text;
}

// Not toLocaleString: its first call loads ICU's locale data, about 17 ms of every run for a comma.
export function number(count: number): string {
  return String(count).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function plural(count: number, noun: string): string {
  return `${number(count)} ${noun}${count === 1 ? '' : 's'}`;
}

export function seconds(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const rest = Math.round((ms % 60_000) / 1000);
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}
