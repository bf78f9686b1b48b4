// The values the static interpreter computes, and the little of Python's
// semantics (str(), repr(), truthiness, equality) that DAG ids depend on.
import { MAX_ITEMS, chargeItems, chargeString, tick } from './budget.js';
import type { PyNode } from './parser.js';
import type { DagNode, GroupNode, TaskNode } from './graph.js';

/** An Airflow object the interpreter knows by name, wherever it was imported from. */
export type AirflowName =
  | 'DAG'
  | 'dag'
  | 'task'
  | 'task_group'
  | 'TaskGroup'
  | 'chain'
  | 'chain_linear'
  | 'cross_downstream'
  | 'Label'
  | 'XComArg'
  | 'setup'
  | 'teardown'
  | 'asset'
  | 'asset.multi';

export const AIRFLOW_NAMES: ReadonlySet<string> = new Set<AirflowName>([
  'DAG',
  'dag',
  'task',
  'task_group',
  'TaskGroup',
  'chain',
  'chain_linear',
  'cross_downstream',
  'Label',
  'XComArg',
  'setup',
  'teardown',
  'asset',
]);

export type Value =
  | { readonly kind: 'str'; readonly value: string }
  | { readonly kind: 'int'; readonly value: number }
  | { readonly kind: 'float'; readonly value: number }
  | { readonly kind: 'bool'; readonly value: boolean }
  | { readonly kind: 'none' }
  | ListValue
  | DictValue
  | { readonly kind: 'unknown'; readonly reason: string; readonly module?: string }
  | { readonly kind: 'airflow'; readonly name: AirflowName }
  | { readonly kind: 'module'; readonly path: string }
  /** A helper module of the repository (or a folder of them), read from its source. */
  | { readonly kind: 'namespace'; readonly name: string; readonly scope: Scope }
  | { readonly kind: 'builtin'; readonly name: string }
  | FunctionValue
  | { readonly kind: 'class'; readonly name: string }
  | { readonly kind: 'decorator'; readonly target: 'task' | 'dag' | 'task_group' | 'asset' | 'asset.multi'; readonly kwargs: Kwargs; readonly line: number }
  | TaskFunction
  | { readonly kind: 'dagFunction'; readonly fn: FunctionValue; readonly kwargs: Kwargs; readonly line: number }
  | GroupFunction
  | { readonly kind: 'dag'; readonly dag: DagNode }
  | { readonly kind: 'task'; readonly task: TaskNode; readonly xcom: boolean }
  /** `a.output.concat(b.output)`, `a.zip(b)`: an XComArg that references several tasks' results. */
  | { readonly kind: 'xcomArgs'; readonly tasks: readonly TaskNode[] }
  | { readonly kind: 'group'; readonly group: GroupNode }
  | { readonly kind: 'label'; readonly label: LabelNode }
  | { readonly kind: 'method'; readonly self: Value; readonly name: string }
  /** `Operator.partial(...)`, `@task`/`@task_group` function `.partial(...)`: completed by `.expand()`. */
  | { readonly kind: 'partial'; readonly of: TaskFunction | GroupFunction | null; readonly kwargs: Kwargs; readonly args: readonly Value[] };

export interface ListValue {
  readonly kind: 'list';
  readonly items: Value[];
  readonly tuple: boolean;
  /** Something was added that could not be read: iterating it is not reliable. */
  incomplete: boolean;
}

export interface DictValue {
  readonly kind: 'dict';
  /** By key hash (see `keyOf`): the key value and the value. */
  readonly entries: Map<string, readonly [Value, Value]>;
  incomplete: boolean;
}

export interface CallArgs {
  readonly args: Value[];
  readonly kwargs: Map<string, Value>;
  /** A `*x`/`**x` whose content is not static: some arguments are missing. */
  readonly opaque: boolean;
}

/** The interpreter of the module a function is written in: it runs the function's body. */
export interface FunctionHome {
  /** `dagParams`: the parameters are DAG params, unknown at parse time. */
  callFunction(fn: FunctionValue, call: CallArgs, dagParams?: boolean): Value;
}

export interface FunctionValue {
  readonly kind: 'function';
  readonly name: string;
  readonly home: FunctionHome;
  readonly node: PyNode;
  /** Defaults are evaluated where the function is defined, as in Python. */
  readonly defaults: ReadonlyMap<string, Value>;
  readonly scope: Scope;
}

export interface TaskFunction {
  readonly kind: 'taskFunction';
  readonly fn: FunctionValue;
  readonly kwargs: Kwargs;
  readonly setup: boolean;
  readonly teardown: boolean;
}

export interface GroupFunction {
  readonly kind: 'groupFunction';
  readonly fn: FunctionValue;
  readonly kwargs: Kwargs;
}

export type Kwargs = ReadonlyMap<string, Value>;

/** An edge label (`Label("...")`): it joins whatever is linked before it to whatever after it. */
export class LabelNode {
  readonly upstream: Value[] = [];
  readonly downstream: Value[] = [];
}

/** A Python namespace: module globals or a function's locals. */
export class Scope {
  readonly vars = new Map<string, Value>();
  constructor(readonly parent: Scope | null) {}

  lookup(name: string): Value | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }
}

export const NONE: Value = { kind: 'none' };
export const TRUE: Value = { kind: 'bool', value: true };
export const FALSE: Value = { kind: 'bool', value: false };

export function str(value: string): Value {
  chargeString(value.length);
  return { kind: 'str', value };
}

/**
 * Ints are JavaScript numbers: one beyond 2**53 would lose digits (or become Infinity), so it is
 * not followed. DAG ids and loop bounds never need one.
 */
export function int(value: number): Value {
  return Number.isSafeInteger(value) ? { kind: 'int', value } : unknown('an integer too large to follow exactly');
}

export const bool = (value: boolean): Value => (value ? TRUE : FALSE);
export const unknown = (reason: string): Value => ({ kind: 'unknown', reason });

export function list(items: Value[], tuple = false): ListValue {
  chargeItems(items.length, items.length);
  return { kind: 'list', items, tuple, incomplete: false };
}

export function dict(pairs: readonly (readonly [Value, Value])[] = []): DictValue {
  const value: DictValue = { kind: 'dict', entries: new Map(), incomplete: false };
  for (const [key, item] of pairs) dictSet(value, key, item);
  return value;
}

/** Stores a pair; a key that cannot be hashed statically makes the dict incomplete. */
export function dictSet(target: DictValue, key: Value, item: Value): void {
  const hash = keyOf(key);
  if (hash === null) {
    target.incomplete = true;
    return;
  }
  chargeItems(1, target.entries.size + 1);
  target.entries.set(hash, [key, item]);
}

/** A hash for the keys Python would treat as equal, or null when the key is not static. */
export function keyOf(value: Value): string | null {
  tick();
  switch (value.kind) {
    case 'str':
      return `s${value.value}`;
    case 'int':
    case 'float':
      return `n${value.value}`;
    case 'bool':
      return `n${value.value ? 1 : 0}`;
    case 'none':
      return 'none';
    case 'list': {
      if (!value.tuple || value.incomplete) return null;
      const parts: string[] = [];
      for (const item of value.items) {
        const part = keyOf(item);
        if (part === null) return null;
        parts.push(part);
      }
      const key = `t(${parts.map((part) => `${part.length}:${part}`).join('')})`;
      chargeString(key.length);
      return key;
    }
    default:
      return null;
  }
}

/** The items of an iterable, or null when they are not static. */
export function iterate(value: Value): Value[] | null {
  switch (value.kind) {
    case 'list':
      return value.incomplete ? null : value.items;
    case 'dict':
      return value.incomplete ? null : [...value.entries.values()].map(([key]) => key);
    case 'str':
      // Iterating a huge string would build one value per character first.
      return value.value.length > MAX_ITEMS ? null : [...value.value].map(str);
    default:
      return null;
  }
}

/** Python's truth value, or null when it cannot be known. */
export function truthy(value: Value): boolean | null {
  switch (value.kind) {
    case 'str':
      return value.value.length > 0;
    case 'int':
    case 'float':
      return value.value !== 0;
    case 'bool':
      return value.value;
    case 'none':
      return false;
    case 'list':
      return value.items.length > 0 ? true : value.incomplete ? null : false;
    case 'dict':
      return value.entries.size > 0 ? true : value.incomplete ? null : false;
    case 'unknown':
      return null;
    default:
      return true;
  }
}

/** Python `==` for static values; null when it cannot be decided. */
export function equals(a: Value, b: Value): boolean | null {
  tick();
  if (a.kind === 'unknown' || b.kind === 'unknown') return null;
  const numeric = (v: Value): number | null =>
    v.kind === 'int' || v.kind === 'float' ? v.value : v.kind === 'bool' ? Number(v.value) : null;
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== null || nb !== null) return na === nb;
  if (a.kind === 'str' && b.kind === 'str') return a.value === b.value;
  if (a.kind === 'none' || b.kind === 'none') return a.kind === b.kind;
  if (a.kind === 'list' && b.kind === 'list') {
    // Python compares a list's items by identity first: the same object is equal to itself.
    if (a === b && !a.incomplete) return true;
    if (a.incomplete || b.incomplete) return null;
    if (a.tuple !== b.tuple || a.items.length !== b.items.length) return false;
    for (let i = 0; i < a.items.length; i++) {
      const same = equals(a.items[i]!, b.items[i]!);
      if (same !== true) return same;
    }
    return true;
  }
  if (a.kind === 'str' || b.kind === 'str' || a.kind === 'list' || b.kind === 'list') return false;
  return sameValue(a, b) ? true : null;
}

/** Identity, or equal static content: used to merge the two sides of an undecidable `if`. */
export function sameValue(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'str':
    case 'int':
    case 'float':
    case 'bool':
      return a.value === (b as typeof a).value;
    case 'none':
      return true;
    case 'airflow':
      return a.name === (b as typeof a).name;
    case 'module':
      return a.path === (b as typeof a).path;
    case 'builtin':
      return a.name === (b as typeof a).name;
    case 'task':
      return a.task === (b as typeof a).task && a.xcom === (b as typeof a).xcom;
    case 'dag':
      return a.dag === (b as typeof a).dag;
    case 'group':
      return a.group === (b as typeof a).group;
    case 'unknown':
      return a.reason === (b as typeof a).reason;
    default:
      return false;
  }
}

/** Python's `str()`, for the values whose text is static. */
export function toStr(value: Value): string | null {
  switch (value.kind) {
    case 'str':
      return value.value;
    case 'int':
      return String(value.value);
    case 'float':
      return floatRepr(value.value);
    case 'bool':
      return value.value ? 'True' : 'False';
    case 'none':
      return 'None';
    case 'list':
    case 'dict':
      return repr(value);
    default:
      return null;
  }
}

/** Python's `repr()`, for the values whose text is static. */
export function repr(value: Value): string | null {
  tick();
  switch (value.kind) {
    case 'str':
      return strRepr(value.value);
    case 'list': {
      if (value.incomplete) return null;
      const parts: string[] = [];
      for (const item of value.items) {
        const part = repr(item);
        if (part === null) return null;
        parts.push(part);
      }
      const text = value.tuple ? (parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`) : `[${parts.join(', ')}]`;
      chargeString(text.length);
      return text;
    }
    case 'dict': {
      if (value.incomplete) return null;
      const parts: string[] = [];
      for (const [key, item] of value.entries.values()) {
        const k = repr(key);
        const v = repr(item);
        if (k === null || v === null) return null;
        parts.push(`${k}: ${v}`);
      }
      const text = `{${parts.join(', ')}}`;
      chargeString(text.length);
      return text;
    }
    default:
      return toStr(value);
  }
}

function strRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let body = '';
  for (const ch of text) {
    if (ch === '\\') body += '\\\\';
    else if (ch === quote) body += `\\${quote}`;
    else if (ch === '\n') body += '\\n';
    else if (ch === '\r') body += '\\r';
    else if (ch === '\t') body += '\\t';
    else if (ch < ' ' || ch === '\x7f') body += `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
    else body += ch;
  }
  return `${quote}${body}${quote}`;
}

function floatRepr(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return `${value}.0`;
  return String(value).replace(/e\+?/, 'e+').replace('e+-', 'e-');
}

/** `format(value, spec)` for the common specs (`03d`, `>8`, `.2f`, `x`); null otherwise. */
export function formatWith(value: Value, spec: string): string | null {
  if (spec === '') return toStr(value);
  const match = /^(?:(.)?([<>^=]))?([+\- ])?(#)?(0)?(\d+)?(,|_)?(?:\.(\d+))?([bcdeEfFgGnosxX%])?$/.exec(spec);
  if (!match) return null;
  const [, fillChar, align, sign, , zero, widthText, grouping, precisionText, type] = match;
  const width = widthText ? Number(widthText) : 0;
  chargeString(width);
  let body: string | null;
  let numeric = false;
  if (value.kind === 'str') {
    if (type && type !== 's') return null;
    body = precisionText ? value.value.slice(0, Number(precisionText)) : value.value;
  } else if (value.kind === 'int' || value.kind === 'bool' || value.kind === 'float') {
    numeric = true;
    const n = value.kind === 'bool' ? Number(value.value) : value.value;
    const isInt = value.kind !== 'float';
    const abs = Math.abs(n);
    switch (type ?? (isInt ? 'd' : 'g')) {
      case 'd':
      case 'n':
        if (!isInt) return null;
        body = String(abs);
        break;
      case 'x':
        body = isInt ? abs.toString(16) : null;
        break;
      case 'X':
        body = isInt ? abs.toString(16).toUpperCase() : null;
        break;
      case 'o':
        body = isInt ? abs.toString(8) : null;
        break;
      case 'b':
        body = isInt ? abs.toString(2) : null;
        break;
      case 'f':
      case 'F':
        body = abs.toFixed(precisionText ? Number(precisionText) : 6);
        break;
      default:
        return null;
    }
    if (body === null) return null;
    if (grouping) body = body.replace(/^(\d+)/, (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, grouping));
    const signText = n < 0 ? '-' : sign === '+' ? '+' : sign === ' ' ? ' ' : '';
    if (zero && !align && body.length + signText.length < width) {
      body = signText + body.padStart(width - signText.length, '0');
      return body;
    }
    body = signText + body;
  } else {
    return null;
  }
  if (body.length >= width) return body;
  const fill = fillChar ?? (zero && !align ? '0' : ' ');
  const pad = (count: number): string => fill.repeat(count);
  const missing = width - body.length;
  switch (align ?? (numeric ? '>' : '<')) {
    case '<':
      return body + pad(missing);
    case '>':
      return pad(missing) + body;
    case '^':
      return pad(Math.floor(missing / 2)) + body + pad(missing - Math.floor(missing / 2));
    default:
      return pad(missing) + body;
  }
}
