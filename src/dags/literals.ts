// Python literal syntax and string formatting, for the ids a DAG file builds from constants.
import { chargeString } from './budget.js';
import { formatWith, repr, toStr, type Value } from './values.js';

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\',
  "'": "'",
  '"': '"',
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
  '\n': '',
};

/** Decodes the escapes of a non-raw string literal's body; null for `\N{...}`, which needs Unicode names. */
export function decodeEscapes(body: string): string | null {
  if (!body.includes('\\')) return body;
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]!;
    if (ch !== '\\' || i + 1 >= body.length) {
      out += ch;
      continue;
    }
    const next = body[i + 1]!;
    const simple = SIMPLE_ESCAPES[next];
    if (simple !== undefined) {
      out += simple;
      i++;
    } else if (next === '\r') {
      i += body[i + 2] === '\n' ? 2 : 1;
    } else if (next === 'x' || next === 'u' || next === 'U') {
      const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
      const hex = body.slice(i + 2, i + 2 + length);
      if (hex.length !== length || !/^[0-9a-fA-F]+$/.test(hex)) return null;
      const code = parseInt(hex, 16);
      if (code > 0x10ffff) return null;
      out += String.fromCodePoint(code);
      i += 1 + length;
    } else if (next >= '0' && next <= '7') {
      const octal = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
      out += String.fromCodePoint(parseInt(octal, 8));
      i += octal.length;
    } else if (next === 'N') {
      return null;
    } else {
      // Python keeps unknown escapes as written.
      out += ch;
    }
  }
  return out;
}

/** A Python integer literal (`1_000`, `0x1F`); null for values beyond exact JS numbers. */
export function parseIntLiteral(text: string): number | null {
  const clean = text.replace(/_/g, '').toLowerCase();
  let value: number;
  if (/^0x[0-9a-f]+$/.test(clean)) value = parseInt(clean.slice(2), 16);
  else if (/^0o[0-7]+$/.test(clean)) value = parseInt(clean.slice(2), 8);
  else if (/^0b[01]+$/.test(clean)) value = parseInt(clean.slice(2), 2);
  else if (/^\d+$/.test(clean)) value = Number(clean);
  else return null;
  return Number.isSafeInteger(value) ? value : null;
}

/** `"...%s..." % args` with the common conversions; null when the result is not static. */
export function percentFormat(template: string, args: Value): string | null {
  const values: Value[] = args.kind === 'list' && args.tuple ? args.items : [args];
  let next = 0;
  let failed = false;
  const out = template.replace(/%(?:\(([^)]*)\))?([-+ 0#]*)(\d*)(?:\.(\d+))?([sdirfx%])/g, (_m, key: string | undefined, flags: string, width: string, precision: string | undefined, type: string) => {
    if (type === '%') return '%';
    let value: Value | undefined;
    if (key !== undefined) {
      if (args.kind !== 'dict') {
        failed = true;
        return '';
      }
      value = args.entries.get(`s${key}`)?.[1];
    } else {
      value = values[next++];
    }
    if (value === undefined) {
      failed = true;
      return '';
    }
    let text: string | null;
    if (type === 's') text = toStr(value);
    else if (type === 'r') text = repr(value);
    else {
      const spec = `${flags.includes('-') ? '<' : ''}${flags.includes('0') && !flags.includes('-') ? '0' : ''}${width}${precision !== undefined ? `.${precision}` : ''}${type === 'i' ? 'd' : type}`;
      text = formatWith(value, spec);
      if (text !== null) return text;
    }
    if (text === null) {
      failed = true;
      return '';
    }
    const size = Number(width || 0);
    chargeString(size);
    return flags.includes('-') ? text.padEnd(size) : text.padStart(size);
  });
  // Python raises when a tuple has more items than the template uses.
  if (failed || (args.kind === 'list' && args.tuple && next !== values.length)) return null;
  return out;
}

/** `"...{}...{name:03d}".format(*args, **kwargs)`; null when the result is not static. */
export function braceFormat(template: string, args: readonly Value[], kwargs: ReadonlyMap<string, Value>): string | null {
  let auto = 0;
  let failed = false;
  const out = template.replace(/\{\{|\}\}|\{([^{}!:]*)(?:!([rsa]))?(?::([^{}]*))?\}/g, (match, field: string | undefined, conversion: string | undefined, spec: string | undefined) => {
    if (match === '{{') return '{';
    if (match === '}}') return '}';
    const name = field ?? '';
    const [head, ...path] = name.split(/(?=[.[])/);
    let value: Value | undefined;
    if (head === '' || head === undefined) value = args[auto++];
    else if (/^\d+$/.test(head)) value = args[Number(head)];
    else value = kwargs.get(head);
    for (const part of path) {
      if (!value) break;
      const index = /^\[(.*)\]$/.exec(part)?.[1];
      if (index === undefined) {
        value = undefined;
      } else if (value.kind === 'dict') {
        value = value.entries.get(`s${index}`)?.[1];
      } else if (value.kind === 'list' && /^\d+$/.test(index)) {
        value = value.items[Number(index)];
      } else {
        value = undefined;
      }
    }
    if (!value) {
      failed = true;
      return '';
    }
    const converted = conversion === 'r' || conversion === 'a' ? repr(value) : conversion === 's' ? toStr(value) : null;
    const text = converted !== null ? formatWith({ kind: 'str', value: converted }, spec ?? '') : formatWith(value, spec ?? '');
    if (text === null) {
      failed = true;
      return '';
    }
    return text;
  });
  return failed ? null : out;
}
