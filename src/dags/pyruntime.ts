// Python's built-in functions, operators and str/list/dict methods, on static
// values. Each returns null when Python's answer is not known statically.
import { chargeItems, chargeString } from './budget.js';
import { braceFormat, percentFormat } from './literals.js';
import {
  NONE,
  bool,
  dict,
  dictSet,
  equals,
  formatWith,
  int,
  iterate,
  keyOf,
  list,
  repr,
  sameValue,
  str,
  toStr,
  truthy,
  type DictValue,
  type ListValue,
  type Value,
} from './values.js';

/** Longest sequence built by range(), repetition and the like. */
export const MAX_SEQUENCE = 10_000;

/** `a <op> b` for the arithmetic and container operators (not `>>`/`<<` between tasks). */
export function binaryOperation(operator: string, a: Value, b: Value): Value | null {
  if (a.kind === 'int' && b.kind === 'int') {
    switch (operator) {
      case '+':
        return int(a.value + b.value);
      case '-':
        return int(a.value - b.value);
      case '*':
        return int(a.value * b.value);
      case '//':
        return b.value === 0 ? null : int(Math.floor(a.value / b.value));
      case '%':
        return b.value === 0 ? null : int(((a.value % b.value) + b.value) % b.value);
      case '**':
        return b.value >= 0 ? int(a.value ** b.value) : { kind: 'float', value: a.value ** b.value };
      case '/':
        return b.value === 0 ? null : { kind: 'float', value: a.value / b.value };
      case '>>':
        return int(a.value >> b.value);
      case '<<':
        return int(a.value << b.value);
    }
  }
  if (operator === '+') {
    if (a.kind === 'str' && b.kind === 'str') return str(a.value + b.value);
    if (a.kind === 'list' && b.kind === 'list' && a.tuple === b.tuple) {
      const joined = list([...a.items, ...b.items], a.tuple);
      joined.incomplete = a.incomplete || b.incomplete;
      return joined;
    }
  }
  if (operator === '*') {
    const [seq, times] = a.kind === 'int' ? [b, a] : [a, b];
    const length = seq.kind === 'str' ? seq.value.length : seq.kind === 'list' ? seq.items.length : 0;
    if (times.kind === 'int' && times.value * length <= MAX_SEQUENCE) {
      if (seq.kind === 'str') return str(seq.value.repeat(Math.max(0, times.value)));
      if (seq.kind === 'list' && !seq.incomplete) return list(Array.from({ length: Math.max(0, times.value) }, () => seq.items).flat(), seq.tuple);
    }
  }
  if (operator === '%' && a.kind === 'str') {
    const formatted = percentFormat(a.value, b);
    return formatted === null ? null : str(formatted);
  }
  if (operator === '|' && a.kind === 'dict' && b.kind === 'dict') {
    const merged = dict([...a.entries.values(), ...b.entries.values()]);
    merged.incomplete = a.incomplete || b.incomplete;
    return merged;
  }
  return null;
}

/** Python's comparison operators on static values; null when undecidable. */
export function compare(operator: string, a: Value, b: Value): boolean | null {
  switch (operator) {
    case '==':
      return equals(a, b);
    case '!=': {
      const same = equals(a, b);
      return same === null ? null : !same;
    }
    case 'is':
    case 'is not': {
      let same: boolean | null;
      if (a.kind === 'none' || b.kind === 'none' || a.kind === 'bool' || b.kind === 'bool') same = a.kind === b.kind && equals(a, b) === true;
      else same = a === b ? true : a.kind === 'unknown' || b.kind === 'unknown' ? null : sameValue(a, b) ? null : false;
      return same === null ? null : operator === 'is' ? same : !same;
    }
    case 'in':
    case 'not in': {
      let found: boolean | null;
      if (b.kind === 'str' && a.kind === 'str') found = b.value.includes(a.value);
      else if (b.kind === 'dict') {
        const hash = keyOf(a);
        found = hash === null ? null : b.entries.has(hash) ? true : b.incomplete ? null : false;
      } else if (b.kind === 'list') {
        const decisions = b.items.map((item) => equals(a, item));
        found = decisions.includes(true) ? true : decisions.includes(null) || b.incomplete ? null : false;
      } else found = null;
      return found === null ? null : operator === 'in' ? found : !found;
    }
    default: {
      const order = orderOf(a, b);
      if (order === null) return null;
      switch (operator) {
        case '<':
          return order < 0;
        case '<=':
          return order <= 0;
        case '>':
          return order > 0;
        case '>=':
          return order >= 0;
        default:
          return null;
      }
    }
  }
}

/** `target.extend(more)` / `target += more`; `mayNotRun` marks code that may not run at all. */
export function extendList(target: ListValue, more: Value, mayNotRun: boolean): void {
  const items = iterate(more);
  if (items === null) target.incomplete = true;
  else {
    chargeItems(items.length, target.items.length + items.length);
    // Not push(...items): spreading a long list overflows the call stack. The count is taken
    // first because `items` may be the target itself (`s.extend(s)`, `s += s`).
    const count = items.length;
    for (let i = 0; i < count; i++) target.items.push(items[i]!);
  }
  if (mayNotRun) target.incomplete = true;
}

export function callBuiltin(name: string, args: readonly Value[], kwargs: ReadonlyMap<string, Value>): Value | null {
  const first = args[0];
  switch (name) {
    case 'range': {
      if (!args.every((arg) => arg.kind === 'int') || args.length === 0 || args.length > 3) return null;
      const [a, b, c] = args.map((arg) => (arg as { value: number }).value);
      const [start, stop, step] = args.length === 1 ? [0, a!, 1] : [a!, b!, c ?? 1];
      if (step === 0) return null;
      const count = Math.max(0, Math.ceil((stop - start) / step));
      if (count > MAX_SEQUENCE) return null;
      return list(Array.from({ length: count }, (_, i) => int(start + i * step)));
    }
    case 'len': {
      if (first?.kind === 'str') return int([...first.value].length);
      if (first?.kind === 'list' && !first.incomplete) return int(first.items.length);
      if (first?.kind === 'dict' && !first.incomplete) return int(first.entries.size);
      return null;
    }
    case 'str':
    case 'repr': {
      if (!first) return str('');
      const text = name === 'str' ? toStr(first) : repr(first);
      return text === null ? null : str(text);
    }
    case 'format': {
      const spec = args[1]?.kind === 'str' ? args[1].value : '';
      const text = first ? formatWith(first, spec) : null;
      return text === null ? null : str(text);
    }
    case 'int': {
      if (!first) return int(0);
      if (first.kind === 'int') return first;
      if (first.kind === 'bool') return int(Number(first.value));
      if (first.kind === 'float' && Number.isFinite(first.value)) return int(Math.trunc(first.value));
      if (first.kind === 'str' && /^\s*[+-]?\d+\s*$/.test(first.value)) return int(Number(first.value));
      return null;
    }
    case 'float':
      return first?.kind === 'int' || first?.kind === 'float' ? { kind: 'float', value: first.value } : null;
    case 'bool': {
      const decision = first ? truthy(first) : false;
      return decision === null ? null : bool(decision);
    }
    case 'list':
    case 'tuple':
    case 'set':
    case 'frozenset':
    case 'sorted':
    case 'reversed':
      return sequenceOf(name, first, kwargs);
    case 'dict':
      return dictOf(first, kwargs);
    case 'enumerate': {
      const items = first ? iterate(first) : null;
      const startValue = args[1] ?? kwargs.get('start');
      const start = startValue?.kind === 'int' ? startValue.value : 0;
      return items ? list(items.map((item, i) => list([int(start + i), item], true))) : null;
    }
    case 'zip': {
      const columns = args.map(iterate);
      if (columns.length === 0 || columns.some((column) => column === null)) return null;
      const length = Math.min(...columns.map((column) => column!.length));
      return list(Array.from({ length }, (_, i) => list(columns.map((column) => column![i]!), true)));
    }
    case 'min':
    case 'max': {
      const items = args.length === 1 && first ? iterate(first) : args;
      const sorted = items ? sortValues([...items]) : null;
      if (!sorted || sorted.length === 0) return null;
      return name === 'min' ? sorted[0]! : sorted[sorted.length - 1]!;
    }
    case 'sum': {
      const items = first ? iterate(first) : null;
      if (!items || !items.every((item) => item.kind === 'int')) return null;
      return int(items.reduce((total, item) => total + (item as { value: number }).value, 0));
    }
    case 'any':
    case 'all': {
      const decisions = (first ? iterate(first) : null)?.map(truthy);
      if (!decisions || decisions.includes(null)) return null;
      return bool(name === 'any' ? decisions.includes(true) : decisions.every(Boolean));
    }
    case 'abs':
      return first?.kind === 'int' ? int(Math.abs(first.value)) : null;
    case 'print':
      return NONE;
    default:
      return null;
  }
}

function sequenceOf(name: string, source: Value | undefined, kwargs: ReadonlyMap<string, Value>): Value | null {
  const tuple = name === 'tuple';
  if (!source) return list([], tuple);
  const items = iterate(source);
  if (items === null) {
    const result = list([], tuple);
    result.incomplete = true;
    return result;
  }
  let result = [...items];
  if (name === 'set' || name === 'frozenset') result = dedupe(result);
  if (name === 'sorted') {
    const sorted = sortValues(result);
    if (!sorted) return null;
    result = sorted;
    const reverse = kwargs.get('reverse');
    if (reverse && truthy(reverse)) result.reverse();
  }
  if (name === 'reversed') result.reverse();
  return list(result, tuple);
}

function dictOf(source: Value | undefined, kwargs: ReadonlyMap<string, Value>): Value {
  const result = dict();
  if (source?.kind === 'dict') {
    for (const [key, value] of source.entries.values()) dictSet(result, key, value);
    result.incomplete = source.incomplete;
  } else if (source) {
    const items = iterate(source);
    if (!items) result.incomplete = true;
    for (const item of items ?? []) {
      const pair = iterate(item);
      if (pair && pair.length === 2) dictSet(result, pair[0]!, pair[1]!);
      else result.incomplete = true;
    }
  }
  for (const [key, value] of kwargs) dictSet(result, str(key), value);
  return result;
}

export function strMethod(text: string, name: string, args: readonly Value[], kwargs: ReadonlyMap<string, Value>): Value | null {
  const strArg = (i: number): string | null => {
    const value = args[i];
    return value?.kind === 'str' ? value.value : null;
  };
  // `None` and a missing argument mean the same for strip() and split().
  const optionalStr = (i: number): string | null | undefined => {
    const value = args[i];
    if (value === undefined || value.kind === 'none') return null;
    return value.kind === 'str' ? value.value : undefined;
  };
  switch (name) {
    case 'format': {
      const result = braceFormat(text, args, kwargs);
      return result === null ? null : str(result);
    }
    case 'join': {
      const items = args[0] ? iterate(args[0]) : null;
      if (!items || items.some((item) => item.kind !== 'str')) return null;
      chargeString(items.reduce((total, item) => total + (item as { value: string }).value.length + text.length, 0));
      return str(items.map((item) => (item as { value: string }).value).join(text));
    }
    case 'upper':
      return str(text.toUpperCase());
    case 'lower':
    case 'casefold':
      return str(text.toLowerCase());
    case 'title':
      return str(text.replace(/[A-Za-z]+/g, (word) => word[0]!.toUpperCase() + word.slice(1).toLowerCase()));
    case 'capitalize':
      return str(text.charAt(0).toUpperCase() + text.slice(1).toLowerCase());
    case 'strip':
    case 'lstrip':
    case 'rstrip': {
      const chars = optionalStr(0);
      if (chars === undefined) return null;
      const set = chars ?? ' \t\n\r\x0b\x0c';
      let start = 0;
      let end = text.length;
      if (name !== 'rstrip') while (start < end && set.includes(text[start]!)) start++;
      if (name !== 'lstrip') while (end > start && set.includes(text[end - 1]!)) end--;
      return str(text.slice(start, end));
    }
    case 'replace': {
      const from = strArg(0);
      const to = strArg(1);
      if (from === null || to === null || args.length > 2) return null;
      const parts = text.split(from);
      chargeString(text.length + (parts.length - 1) * (to.length - from.length));
      return str(parts.join(to));
    }
    case 'removeprefix':
    case 'removesuffix': {
      const affix = strArg(0);
      if (affix === null) return null;
      if (name === 'removeprefix') return str(affix && text.startsWith(affix) ? text.slice(affix.length) : text);
      return str(affix && text.endsWith(affix) ? text.slice(0, -affix.length) : text);
    }
    case 'startswith':
    case 'endswith': {
      const affix = strArg(0);
      if (affix === null) return null;
      return bool(name === 'startswith' ? text.startsWith(affix) : text.endsWith(affix));
    }
    case 'split':
    case 'rsplit': {
      const sep = optionalStr(0);
      const limit = args[1]?.kind === 'int' ? args[1].value : -1;
      if (sep === undefined || sep === '') return null;
      let parts = sep === null ? text.trim().split(/\s+/).filter(Boolean) : text.split(sep);
      if (limit >= 0 && parts.length > limit + 1) {
        if (sep === null) return null;
        parts =
          name === 'split'
            ? [...parts.slice(0, limit), parts.slice(limit).join(sep)]
            : [parts.slice(0, parts.length - limit).join(sep), ...parts.slice(parts.length - limit)];
      }
      return list(parts.map(str));
    }
    case 'zfill': {
      const width = args[0]?.kind === 'int' ? args[0].value : null;
      if (width === null) return null;
      chargeString(width);
      const sign = /^[+-]/.test(text) ? text[0]! : '';
      return str(sign + text.slice(sign.length).padStart(width - sign.length, '0'));
    }
    default:
      return null;
  }
}

/** list methods; the mutating ones mark the list incomplete when they may not run. */
export function listMethod(self: ListValue, name: string, args: readonly Value[], mayNotRun: boolean): Value | null {
  if (!self.tuple) {
    switch (name) {
      case 'append':
        chargeItems(1, self.items.length + 1);
        self.items.push(args[0] ?? NONE);
        if (mayNotRun) self.incomplete = true;
        return NONE;
      case 'extend':
        extendList(self, args[0] ?? list([]), mayNotRun);
        return NONE;
      case 'insert': {
        if (args[0]?.kind !== 'int') break;
        chargeItems(1, self.items.length + 1);
        const at = args[0].value < 0 ? Math.max(0, self.items.length + args[0].value) : Math.min(args[0].value, self.items.length);
        self.items.splice(at, 0, args[1] ?? NONE);
        if (mayNotRun) self.incomplete = true;
        return NONE;
      }
      case 'copy': {
        const copy = list([...self.items]);
        copy.incomplete = self.incomplete;
        return copy;
      }
    }
  }
  if (name === 'index') {
    const index = self.items.findIndex((item) => args[0] !== undefined && equals(item, args[0]) === true);
    return index >= 0 && !self.incomplete ? int(index) : null;
  }
  // Any other method (pop, remove, sort...) may change the list in ways not followed here.
  self.incomplete = true;
  return null;
}

export function dictMethod(self: DictValue, name: string, args: readonly Value[]): Value | null {
  const entries = [...self.entries.values()];
  const view = (value: ListValue): ListValue => {
    value.incomplete = self.incomplete;
    return value;
  };
  switch (name) {
    case 'items':
      return view(list(entries.map(([key, value]) => list([key, value], true))));
    case 'keys':
      return view(list(entries.map(([key]) => key)));
    case 'values':
      return view(list(entries.map(([, value]) => value)));
    case 'get': {
      const hash = args[0] ? keyOf(args[0]) : null;
      const entry = hash === null ? undefined : self.entries.get(hash);
      if (entry) return entry[1];
      return self.incomplete || hash === null ? null : (args[1] ?? NONE);
    }
    case 'copy': {
      const copy = dict(entries);
      copy.incomplete = self.incomplete;
      return copy;
    }
    case 'update': {
      const other = args[0];
      if (other?.kind === 'dict') for (const [key, value] of other.entries.values()) dictSet(self, key, value);
      else self.incomplete = true;
      return NONE;
    }
    default:
      return null;
  }
}

function orderOf(a: Value, b: Value): number | null {
  const num = (v: Value): number | null => (v.kind === 'int' || v.kind === 'float' ? v.value : v.kind === 'bool' ? Number(v.value) : null);
  const na = num(a);
  const nb = num(b);
  if (na !== null && nb !== null) return na - nb;
  if (a.kind === 'str' && b.kind === 'str') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  return null;
}

function sortValues(values: Value[]): Value[] | null {
  let failed = false;
  const sorted = [...values].sort((a, b) => {
    const order = orderOf(a, b);
    if (order === null) failed = true;
    return order ?? 0;
  });
  return failed ? null : sorted;
}

function dedupe(values: readonly Value[]): Value[] {
  const seen = new Set<string>();
  return values.filter((value) => {
    const hash = keyOf(value);
    if (hash === null) return true;
    if (seen.has(hash)) return false;
    seen.add(hash);
    return true;
  });
}
