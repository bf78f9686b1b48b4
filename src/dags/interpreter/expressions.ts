// Expressions: names, literals, strings, operators, subscripts, comprehensions and attributes.
// The layers above supply calls, assignment and imported modules (see calls.ts, imports.ts,
// statements.ts): each layer imports only the ones below it.
import type { AirflowModel } from '../airflow.js';
import { tick } from '../budget.js';
import { lineIndex } from '../lines.js';
import { decodeEscapes, parseIntLiteral } from '../literals.js';
import type { ParsedModule, PyNode } from '../parser.js';
import { binaryOperation, compare, extendList } from '../pyruntime.js';
import {
AIRFLOW_NAMES,
  FALSE,
  NONE,
  Scope,
  TRUE,
  bool,
  dict,
  dictSet,
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
  unknown,
  type AirflowName,
  type CallArgs,
  type FunctionHome,
  type FunctionValue,
  type Value,
} from '../values.js';
import { MAX_EVAL_DEPTH, MAX_LOOP_ITERATIONS, projectCode, type Frame, type ModuleText, type Program } from './program.js';

const BUILTINS = new Set([
  'range', 'len', 'str', 'int', 'float', 'bool', 'list', 'tuple', 'set', 'frozenset', 'dict', 'enumerate', 'zip',
  'sorted', 'reversed', 'print', 'min', 'max', 'sum', 'any', 'all', 'abs', 'isinstance', 'format', 'repr',
]);

export abstract class Expressions implements FunctionHome {
  protected readonly airflow: AirflowModel;
  readonly moduleScope = new Scope(null);
  protected readonly module: ParsedModule;
  protected readonly source: string;
  protected readonly lineOf: (offset: number) => number;
  /** While an assignment's value is a call: its target, as written. */
  protected assigningTo: string | undefined;

  constructor(
    protected readonly program: Program,
    protected readonly file: ModuleText,
  ) {
    this.airflow = program.airflow;
    this.module = file.parsed;
    this.source = file.source;
    this.lineOf = lineIndex(file.source);
  }

  abstract callFunction(fn: FunctionValue, call: CallArgs, dagParams?: boolean): Value;

  /** The line a DAG or notice made at `node` is reported at: in a helper module's code, the DAG file's call. */
  protected line(node: PyNode): number {
    return this.program.callSite ?? this.lineOf(node.start);
  }
  protected abstract evalCall(node: PyNode, scope: Scope, statement: boolean): Value;
  protected abstract defaults(node: PyNode, scope: Scope): Map<string, Value>;
  protected abstract assign(target: PyNode, value: Value, scope: Scope, frame: Frame): void;
  /** A helper module or package of the repository as a value, or undefined. */
  protected abstract namespace(name: string): Value | undefined;

  protected kids(node: PyNode): readonly PyNode[] {
    return this.module.children(node);
  }

  protected field(node: PyNode, name: string): PyNode | undefined {
    return this.kids(node).find((child) => child.field === name);
  }

  protected text(node: PyNode): string {
    return this.source.slice(node.start, node.end);
  }

  /** The value of an expression the reader cannot evaluate. */
  protected opaque(node: PyNode): Value {
    return unknown(`\`${this.describe(node)}\` is only known at run time`);
  }

  /** A short quote of an expression for messages; reads only its start, whatever its size. */
  protected describe(node: PyNode): string {
    const text = this.source.slice(node.start, Math.min(node.end, node.start + 120)).replace(/\s+/g, ' ');
    return text.length > 60 || node.end > node.start + 120 ? `${text.slice(0, 57)}...` : text;
  }

  protected evaluate(node: PyNode, scope: Scope): Value {
    tick();
    if (node.truncated || this.program.depth >= MAX_EVAL_DEPTH) {
      this.airflow.markPartial();
      return unknown('expression nested too deeply to read');
    }
    this.program.depth++;
    try {
      return this.evaluateNode(node, scope);
    } finally {
      this.program.depth--;
    }
  }

  protected evaluateNode(node: PyNode, scope: Scope): Value {
    switch (node.type) {
      case 'identifier':
      case 'keyword_identifier':
        return this.lookup(this.text(node), scope);
      case 'string':
      case 'concatenated_string':
        return this.evalString(node, scope);
      case 'integer': {
        const value = parseIntLiteral(this.text(node));
        return value === null ? unknown(`number ${this.text(node)}`) : int(value);
      }
      case 'float': {
        const text = this.text(node).replace(/_/g, '');
        return /[jJ]$/.test(text) ? unknown('complex number') : { kind: 'float', value: Number(text) };
      }
      case 'true':
        return TRUE;
      case 'false':
        return FALSE;
      case 'none':
        return NONE;
      case 'list':
      case 'set':
        return this.evalSequence(node, scope, false);
      case 'tuple':
      case 'expression_list':
        return this.evalSequence(node, scope, true);
      case 'dictionary':
        return this.evalDict(node, scope);
      case 'parenthesized_expression': {
        const inner = this.kids(node)[0];
        return inner ? this.evaluate(inner, scope) : list([], true);
      }
      case 'binary_operator': {
        const left = this.field(node, 'left');
        const right = this.field(node, 'right');
        const operator = this.field(node, 'operator');
        if (!left || !right || !operator) return unknown('incomplete expression');
        return this.binary(operator.type, this.evaluate(left, scope), this.evaluate(right, scope), node);
      }
      case 'unary_operator': {
        const operand = this.field(node, 'argument');
        const operator = this.field(node, 'operator');
        const value = operand ? this.evaluate(operand, scope) : NONE;
        if ((value.kind === 'int' || value.kind === 'float') && operator) {
          if (operator.type === '-') return { kind: value.kind, value: -value.value };
          if (operator.type === '+') return value;
          if (operator.type === '~' && value.kind === 'int') return int(~value.value);
        }
        return this.opaque(node);
      }
      case 'not_operator': {
        const operand = this.field(node, 'argument');
        const decision = operand ? truthy(this.evaluate(operand, scope)) : null;
        return decision === null ? this.opaque(node) : bool(!decision);
      }
      case 'boolean_operator':
        return this.evalBoolean(node, scope);
      case 'comparison_operator':
        return this.evalComparison(node, scope);
      case 'conditional_expression': {
        const [body, condition, orElse] = this.kids(node);
        if (!body || !condition || !orElse) return unknown('incomplete expression');
        const decision = truthy(this.evaluate(condition, scope));
        if (decision === true) return this.evaluate(body, scope);
        if (decision === false) return this.evaluate(orElse, scope);
        return this.airflow.uncertainly(() => {
          const a = this.evaluate(body, scope);
          const b = this.evaluate(orElse, scope);
          return sameValue(a, b) ? a : unknown(`\`${this.describe(node)}\` depends on a condition known only at run time`);
        });
      }
      case 'call':
        return this.evalCall(node, scope, false);
      case 'attribute': {
        const object = this.field(node, 'object');
        const attribute = this.field(node, 'attribute');
        if (!object || !attribute) return unknown('incomplete expression');
        return this.attribute(this.evaluate(object, scope), this.text(attribute), node);
      }
      case 'subscript':
        return this.evalSubscript(node, scope);
      case 'list_comprehension':
      case 'set_comprehension':
      case 'generator_expression':
      case 'dictionary_comprehension':
        return this.evalComprehension(node, scope);
      case 'named_expression': {
        const name = this.field(node, 'name');
        const valueNode = this.field(node, 'value');
        const value = valueNode ? this.evaluate(valueNode, scope) : NONE;
        if (name) scope.vars.set(this.text(name), value);
        return value;
      }
      case 'lambda':
        return { kind: 'function', name: '<lambda>', home: this, node, defaults: this.defaults(node, scope), scope };
      case 'ERROR':
        this.airflow.markPartial();
        return unknown('syntax error');
      default:
        return this.opaque(node);
    }
  }

  protected lookup(name: string, scope: Scope): Value {
    const value = scope.lookup(name);
    if (value !== undefined) return value;
    if (name === '__file__') return unknown('`__file__` is only known where Airflow loads the file');
    // Airflow imports DAG files under a generated module name, never "__main__".
    if (name === '__name__') return str('unusual_prefix_dag_file');
    if (BUILTINS.has(name)) return { kind: 'builtin', name };
    // A star import or an unusual re-export: the well-known names still mean what they say.
    if (AIRFLOW_NAMES.has(name)) return { kind: 'airflow', name: name as AirflowName };
    return unknown(`\`${name}\` is not defined statically`);
  }

  protected evalSequence(node: PyNode, scope: Scope, tuple: boolean): Value {
    const result = list([], tuple);
    for (const child of this.kids(node)) {
      if (child.type === 'list_splat') {
        const inner = this.kids(child)[0];
        extendList(result, inner ? this.evaluate(inner, scope) : unknown('empty splat'), this.airflow.uncertain > 0);
      } else {
        result.items.push(this.evaluate(child, scope));
      }
    }
    return result;
  }

  protected evalDict(node: PyNode, scope: Scope): Value {
    const result = dict();
    for (const child of this.kids(node)) {
      if (child.type === 'pair') {
        const key = this.field(child, 'key');
        const value = this.field(child, 'value');
        if (key && value) dictSet(result, this.evaluate(key, scope), this.evaluate(value, scope));
      } else if (child.type === 'dictionary_splat') {
        const inner = this.kids(child)[0];
        const value = inner ? this.evaluate(inner, scope) : NONE;
        if (value.kind === 'dict') {
          for (const [key, item] of value.entries.values()) dictSet(result, key, item);
          if (value.incomplete) result.incomplete = true;
        } else {
          result.incomplete = true;
        }
      }
    }
    return result;
  }

  protected evalBoolean(node: PyNode, scope: Scope): Value {
    const left = this.field(node, 'left');
    const right = this.field(node, 'right');
    const operator = this.field(node, 'operator');
    if (!left || !right || !operator) return unknown('incomplete expression');
    const a = this.evaluate(left, scope);
    const decision = truthy(a);
    const isAnd = operator.type === 'and';
    if (decision === null) {
      this.airflow.uncertainly(() => this.evaluate(right, scope));
      return this.opaque(node);
    }
    if (isAnd ? !decision : decision) return a;
    return this.evaluate(right, scope);
  }

  protected evalComparison(node: PyNode, scope: Scope): Value {
    const operands = this.kids(node).filter((child) => child.field !== 'operators');
    const operators = this.kids(node).filter((child) => child.field === 'operators');
    let left = operands[0] ? this.evaluate(operands[0], scope) : NONE;
    let result: boolean | null = true;
    for (let i = 0; i < operators.length; i++) {
      const rightNode = operands[i + 1];
      if (!rightNode) return unknown('incomplete comparison');
      const right = this.evaluate(rightNode, scope);
      const step = compare(operators[i]!.type, left, right);
      if (step === false) return FALSE;
      if (step === null) result = null;
      left = right;
    }
    return result === null ? this.opaque(node) : TRUE;
  }

  protected evalSubscript(node: PyNode, scope: Scope): Value {
    const container = this.field(node, 'value');
    const subscripts = this.kids(node).filter((child) => child.field === 'subscript');
    if (!container || subscripts.length !== 1) return this.opaque(node);
    const object = this.evaluate(container, scope);
    const keyNode = subscripts[0]!;
    if (keyNode.type === 'slice') return this.slice(object, keyNode, scope);
    const key = this.evaluate(keyNode, scope);
    switch (object.kind) {
      case 'list':
      case 'str': {
        if (key.kind !== 'int' || (object.kind === 'list' && object.incomplete)) return this.opaque(node);
        const length = object.kind === 'list' ? object.items.length : object.value.length;
        const index = key.value < 0 ? length + key.value : key.value;
        if (index < 0 || index >= length) return unknown(`index out of range in \`${this.describe(node)}\``);
        return object.kind === 'list' ? object.items[index]! : str(object.value[index]!);
      }
      case 'dict': {
        const hash = keyOf(key);
        const entry = hash === null ? undefined : object.entries.get(hash);
        return entry ? entry[1] : unknown(`\`${this.describe(node)}\` is not a static key`);
      }
      default:
        return this.airflow.item(object, key) ?? this.opaque(node);
    }
  }

  protected slice(object: Value, node: PyNode, scope: Scope): Value {
    if (object.kind !== 'list' && object.kind !== 'str') return this.opaque(node);
    if (object.kind === 'list' && object.incomplete) return unknown('slice of a list that is not static');
    // slice children: [start] ':' [stop] [':' [step]] — only the named ones are kept,
    // so positions are read from the source text around the colons.
    const parts = this.text(node).split(':');
    const bounds: (number | null)[] = [];
    const children = [...this.kids(node)];
    for (const part of parts) {
      if (part.trim() === '') {
        bounds.push(null);
        continue;
      }
      const child = children.shift();
      const value = child ? this.evaluate(child, scope) : NONE;
      if (value.kind === 'none') bounds.push(null);
      else if (value.kind === 'int') bounds.push(value.value);
      else return this.opaque(node);
    }
    const [startBound = null, stopBound = null, step = null] = bounds;
    if (step !== null && step !== 1) return unknown('slice with a step');
    const length = object.kind === 'list' ? object.items.length : object.value.length;
    const clamp = (n: number | null, fallback: number): number => (n === null ? fallback : n < 0 ? Math.max(0, length + n) : Math.min(n, length));
    const start = clamp(startBound, 0);
    const stop = clamp(stopBound, length);
    return object.kind === 'list' ? list(object.items.slice(start, Math.max(start, stop)), object.tuple) : str(object.value.slice(start, Math.max(start, stop)));
  }

  protected evalComprehension(node: PyNode, scope: Scope): Value {
    const body = this.field(node, 'body');
    const clauses = this.kids(node).filter((child) => child.type === 'for_in_clause' || child.type === 'if_clause');
    if (!body) return unknown('incomplete comprehension');
    const isDict = node.type === 'dictionary_comprehension';
    const results: Value[] = [];
    const pairs: [Value, Value][] = [];
    const inner = new Scope(scope);
    const frame: Frame = { returns: [], globals: new Set() };
    let complete = true;
    const run = (index: number): void => {
      const clause = clauses[index];
      if (!clause) {
        if (isDict) {
          const key = this.field(body, 'key');
          const value = this.field(body, 'value');
          if (key && value) pairs.push([this.evaluate(key, inner), this.evaluate(value, inner)]);
        } else {
          results.push(this.evaluate(body, inner));
        }
        return;
      }
      if (clause.type === 'if_clause') {
        const condition = this.kids(clause)[0];
        const decision = condition ? truthy(this.evaluate(condition, inner)) : true;
        if (decision === false) return;
        if (decision === null) {
          complete = false;
          this.airflow.uncertainly(() => run(index + 1));
          return;
        }
        run(index + 1);
        return;
      }
      const target = this.field(clause, 'left');
      const iterable = this.field(clause, 'right');
      if (!target || !iterable) return;
      const items = iterate(this.evaluate(iterable, inner));
      if (items === null || items.length > MAX_LOOP_ITERATIONS) {
        complete = false;
        this.assign(target, unknown(`loop over \`${this.describe(iterable)}\`, which is not static`), inner, frame);
        this.airflow.uncertainly(() => run(index + 1));
        return;
      }
      for (const item of items) {
        this.assign(target, item, inner, frame);
        run(index + 1);
      }
    };
    run(0);
    if (isDict) {
      const result = dict(pairs);
      result.incomplete ||= !complete;
      return result;
    }
    const result = list(complete ? results : results.filter((value) => value.kind !== 'unknown'));
    result.incomplete = !complete;
    return result;
  }

  protected evalString(node: PyNode, scope: Scope): Value {
    if (node.type === 'concatenated_string') {
      let text = '';
      for (const part of this.kids(node)) {
        const value = this.evalString(part, scope);
        if (value.kind !== 'str') return value;
        text += value.value;
      }
      return str(text);
    }
    const children = this.kids(node);
    const startNode = children.find((child) => child.type === 'string_start');
    if (!startNode) return this.plainString(node);
    const prefix = this.text(startNode).replace(/['"]+$/, '').toLowerCase();
    if (prefix.includes('b') || prefix.includes('t')) return unknown('bytes or template string');
    const raw = prefix.includes('r');
    const formatted = prefix.includes('f');
    let text = '';
    for (const child of children) {
      if (child.type === 'string_content') {
        let content = this.text(child);
        if (formatted) content = content.replace(/\{\{/g, '{').replace(/\}\}/g, '}');
        const decoded = raw ? content : decodeEscapes(content);
        if (decoded === null) return unknown('string with a named escape');
        text += decoded;
      } else if (child.type === 'interpolation') {
        const piece = this.interpolate(child, scope);
        if (piece.kind !== 'str') return piece;
        text += piece.value;
      } else if (child.type === 'escape_interpolation') {
        text += this.text(child).slice(1);
      }
    }
    return str(text);
  }

  /** A literal without interpolation, whose children the parser did not copy: read from the source. */
  protected plainString(node: PyNode): Value {
    const text = this.text(node);
    const prefix = /^[A-Za-z]*/.exec(text)![0].toLowerCase();
    if (prefix.includes('b')) return unknown('bytes string');
    const rest = text.slice(prefix.length);
    const quote = rest.startsWith('"""') || rest.startsWith("'''") ? rest.slice(0, 3) : rest.slice(0, 1);
    // An unterminated literal (a syntax error) has no closing quote to drop.
    const body = rest.length >= 2 * quote.length && rest.endsWith(quote) ? rest.slice(quote.length, -quote.length) : rest.slice(quote.length);
    const decoded = prefix.includes('r') ? body : decodeEscapes(body);
    return decoded === null ? unknown('string with a named escape') : str(decoded);
  }

  protected interpolate(node: PyNode, scope: Scope): Value {
    const expression = this.field(node, 'expression');
    const conversion = this.field(node, 'type_conversion');
    const spec = this.field(node, 'format_specifier');
    if (!expression) return unknown('empty interpolation');
    const value = this.evaluate(expression, scope);
    if (value.kind === 'unknown') return value;
    if (spec && this.kids(spec).some((child) => child.type === 'interpolation')) return unknown('nested format specifier');
    const converted = conversion && /r|a/.test(this.text(conversion)) ? repr(value) : toStr(value);
    if (converted === null) return unknown(`\`${this.describe(expression)}\` has no static text`);
    const specText = spec ? this.text(spec).replace(/^:/, '') : '';
    const formatted = conversion ? formatWith(str(converted), specText) : formatWith(value, specText);
    return formatted === null ? unknown(`format spec \`${specText}\``) : str(formatted);
  }

  protected binary(operator: string, a: Value, b: Value, node: PyNode): Value {
    if ((operator === '>>' || operator === '<<') && !(a.kind === 'int' && b.kind === 'int')) {
      // Both return the right operand, so `a >> b >> c` links a→b, then b→c.
      if (operator === '>>') this.airflow.link(a, b);
      else this.airflow.link(b, a);
      return b;
    }
    return binaryOperation(operator, a, b) ?? this.opaque(node);
  }

  protected attribute(object: Value, name: string, node: PyNode): Value {
    switch (object.kind) {
      case 'str':
      case 'list':
      case 'dict':
        return { kind: 'method', self: object, name };
      case 'namespace':
        return (
          projectCode(object.scope.vars.get(name), object.name) ??
          this.namespace(`${object.name}.${name}`) ?? { kind: 'unknown', reason: `\`${this.describe(node)}\` is not defined statically`, module: object.name }
        );
      case 'unknown':
      case 'class':
        // `SomeOperator.partial(task_id=...)` starts a mapped operator.
        if (name === 'partial') return { kind: 'method', self: object, name };
        // Keep where the value comes from: calls into project code matter (see call()).
        if (object.kind === 'unknown' && object.module) return { kind: 'unknown', reason: `\`${this.describe(node)}\` is only known at run time`, module: object.module };
        return this.opaque(node);
      default:
        return this.airflow.attribute(object, name) ?? this.opaque(node);
    }
  }

  protected assignName(name: string, value: Value, scope: Scope, frame: Frame): void {
    (frame.globals.has(name) ? this.moduleScope : scope).vars.set(name, value);
  }
}
