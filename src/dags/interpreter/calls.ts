// Calls: arguments, user functions and their parameters, methods, and the Airflow callables
// (DAG, operators, TaskFlow, groups) through the Airflow model.
import type { PyNode } from '../parser.js';
import { callBuiltin, dictMethod, listMethod, strMethod } from '../pyruntime.js';
import {
  NONE,
  Scope,
  dict,
  iterate,
  list,
  sameValue,
  str,
  unknown,
  type CallArgs,
  type FunctionHome,
  type FunctionValue,
  type Value,
} from '../values.js';
import { Expressions } from './expressions.js';
import { MAX_CALL_DEPTH, type Flow, type Frame } from './program.js';

// Calls into these modules never add tasks to a DAG; calls into a project's own
// modules might (task factories), which makes the DAG partial.
const INERT_MODULES = new Set([
  // The standard library modules a DAG file plausibly touches at parse time.
  '__future__', 'abc', 'argparse', 'ast', 'asyncio', 'base64', 'bisect', 'calendar', 'collections', 'configparser',
  'contextlib', 'copy', 'csv', 'dataclasses', 'datetime', 'decimal', 'difflib', 'enum', 'fnmatch', 'functools',
  'getpass', 'glob', 'gzip', 'hashlib', 'hmac', 'html', 'http', 'importlib', 'inspect', 'io', 'ipaddress', 'itertools',
  'json', 'logging', 'math', 'operator', 'os', 'pathlib', 'pickle', 'platform', 'pprint', 'queue', 'random', 're',
  'secrets', 'shlex', 'shutil', 'signal', 'socket', 'sqlite3', 'statistics', 'string', 'struct', 'subprocess', 'sys',
  'tarfile', 'tempfile', 'textwrap', 'threading', 'time', 'traceback', 'types', 'typing', 'unicodedata', 'urllib',
  'uuid', 'warnings', 'weakref', 'xml', 'zipfile', 'zoneinfo',
  // Common third-party libraries, which know nothing of DAGs.
  'boto3', 'botocore', 'dateutil', 'google', 'jinja2', 'kubernetes', 'numpy', 'pandas', 'pendulum', 'pyarrow',
  'pydantic', 'pytz', 'requests', 'sqlalchemy', 'typing_extensions', 'yaml',
]);

export abstract class Calls extends Expressions {
  protected abstract execBlock(statements: readonly PyNode[], scope: Scope, frame: Frame): Flow;

  protected evalArgs(node: PyNode | undefined, scope: Scope): CallArgs {
    const args: Value[] = [];
    const kwargs = new Map<string, Value>();
    let opaque = false;
    if (!node) return { args, kwargs, opaque };
    if (node.type === 'generator_expression') return { args: [this.evaluate(node, scope)], kwargs, opaque };
    for (const child of this.kids(node)) {
      if (child.type === 'keyword_argument') {
        const name = this.field(child, 'name');
        const value = this.field(child, 'value');
        if (name && value) kwargs.set(this.text(name), this.evaluate(value, scope));
      } else if (child.type === 'list_splat') {
        const inner = this.kids(child)[0];
        const items = inner ? iterate(this.evaluate(inner, scope)) : null;
        if (items) args.push(...items);
        else opaque = true;
      } else if (child.type === 'dictionary_splat') {
        const inner = this.kids(child)[0];
        const value = inner ? this.evaluate(inner, scope) : NONE;
        if (value.kind === 'dict' && !value.incomplete) {
          for (const [key, item] of value.entries.values()) {
            if (key.kind === 'str') kwargs.set(key.value, item);
          }
        } else {
          opaque = true;
        }
      } else {
        args.push(this.evaluate(child, scope));
      }
    }
    return { args, kwargs, opaque };
  }

  protected evalCall(node: PyNode, scope: Scope, statement: boolean): Value {
    // Only the outermost call of an assignment's value is assigned.
    const target = this.assigningTo;
    this.assigningTo = undefined;
    const calleeNode = this.field(node, 'function');
    if (!calleeNode) return unknown('incomplete call');
    const callee = this.evaluate(calleeNode, scope);
    const call = this.evalArgs(this.field(node, 'arguments'), scope);
    return this.call(callee, call, node, statement, target);
  }

  /**
   * `statement`: the call's value is discarded (called for its effect).
   * `target`: the name its value is assigned to, if any.
   */
  protected call(callee: Value, call: CallArgs, node: PyNode, statement = false, target?: string): Value {
    const home = codeHome(callee);
    if (this.program.callSite !== null || home === undefined || home === this) return this.dispatch(callee, call, node, statement, target);
    this.program.callSite = this.lineOf(node.start);
    try {
      return this.dispatch(callee, call, node, statement, target);
    } finally {
      this.program.callSite = null;
    }
  }

  private dispatch(callee: Value, call: CallArgs, node: PyNode, statement: boolean, target: string | undefined): Value {
    const { args, kwargs } = call;
    const airflowResult = this.airflow.call(callee, call, this.line(node));
    if (airflowResult !== undefined) return airflowResult;
    switch (callee.kind) {
      case 'function':
        return callee.home.callFunction(callee, call);
      case 'builtin':
        // `@task.run_if(...)` and the like hand back what they decorate.
        if (callee.name === 'identity') return args[0] ?? NONE;
        return callBuiltin(callee.name, args, kwargs) ?? this.opaque(node);
      case 'method':
        return this.callMethod(callee.self, callee.name, call, node);
      default:
        break;
    }
    // Any other callable given a task_id is an operator: a class from a provider,
    // a custom operator, or an operator imported from a module we cannot see.
    if (kwargs.has('task_id')) return this.airflow.createOperator(kwargs);
    const dag = this.airflow.currentDag();
    // Project code the reader cannot run: a helper module, or a class of this file.
    const origin = callee.kind === 'class' ? `<class ${callee.name}>` : callee.kind === 'unknown' ? callee.module : undefined;
    if (origin && !isInertModule(origin)) {
      const inputs = [...args, ...kwargs.values()];
      const handed = inputs.some((value) => value.kind === 'dag' || value.kind === 'task' || value.kind === 'group');
      if (handed || dag) {
        // It may add tasks to whatever DAG it is handed or is current.
        if (statement || handed) {
          for (const value of inputs) this.airflow.markPartial(value.kind === 'dag' ? value.dag : this.airflow.dagOf(value));
          this.airflow.markPartial(dag);
        }
      } else if (statement || (target !== undefined && isDagFactoryCall(this.describe(this.field(node, 'function') ?? node), target))) {
        // Outside any DAG, a helper called for its effect, or whose result is kept
        // as a DAG, is a DAG factory.
        this.airflow.dynamic.push({
          line: this.line(node),
          reason: `\`${this.describe(node)}\` runs code from \`${origin}\` that may create DAGs the reader cannot see`,
        });
      }
    } else if (call.opaque && dag) {
      this.airflow.markPartial(dag);
    }
    return origin ? { kind: 'unknown', reason: `\`${this.describe(node)}\` is only known at run time`, module: origin } : this.opaque(node);
  }

  callFunction(fn: FunctionValue, call: CallArgs, bindAsParams = false): Value {
    if (this.program.callDepth >= MAX_CALL_DEPTH) {
      this.airflow.markPartial();
      return unknown(`calls nested deeper than ${MAX_CALL_DEPTH}`);
    }
    const scope = new Scope(fn.scope);
    this.bindParameters(fn, call, scope, bindAsParams);
    const frame: Frame = { returns: [], globals: new Set() };
    this.program.callDepth++;
    try {
      if (fn.node.type === 'lambda') {
        const body = this.field(fn.node, 'body');
        return body ? this.evaluate(body, scope) : NONE;
      }
      const body = this.field(fn.node, 'body');
      const flow = body ? this.execBlock(this.kids(body), scope, frame) : 'normal';
      if (flow === 'raise' && frame.returns.length === 0) return unknown(`\`${fn.name}()\` raises`);
    } finally {
      this.program.callDepth--;
    }
    const [first, ...rest] = frame.returns;
    if (!first) return NONE;
    return rest.every((value) => sameValue(value, first)) ? first : unknown(`\`${fn.name}()\` returns different values`);
  }

  protected defaults(node: PyNode, scope: Scope): Map<string, Value> {
    const defaults = new Map<string, Value>();
    const parameters = this.field(node, 'parameters');
    if (!parameters) return defaults;
    for (const parameter of this.kids(parameters)) {
      if (parameter.type !== 'default_parameter' && parameter.type !== 'typed_default_parameter') continue;
      const name = this.field(parameter, 'name');
      const value = this.field(parameter, 'value');
      if (name && value) defaults.set(this.text(name), this.evaluate(value, scope));
    }
    return defaults;
  }

  protected defineFunction(node: PyNode, scope: Scope): FunctionValue {
    const name = this.field(node, 'name');
    return { kind: 'function', name: name ? this.text(name) : '<function>', home: this, node, defaults: this.defaults(node, scope), scope };
  }

  /**
   * Binds arguments to parameters as Python does. A `@dag` function's parameters
   * are DAG params: at parse time they are placeholders, never the defaults.
   */
  protected bindParameters(fn: FunctionValue, call: CallArgs, scope: Scope, dagParams: boolean): void {
    const parameters = this.field(fn.node, 'parameters');
    if (!parameters) return;
    const args = [...call.args];
    const kwargs = new Map(call.kwargs);
    let keywordOnly = false;
    const missing = (name: string): Value =>
      dagParams
        ? unknown(`\`${name}\` is a DAG param, known only at run time`)
        : unknown(`parameter \`${name}\` of \`${fn.name}()\` is not given statically`);
    for (const parameter of this.kids(parameters)) {
      const kind = parameter.type;
      if (kind === 'keyword_separator') {
        keywordOnly = true;
        continue;
      }
      if (kind === 'positional_separator') continue;
      const inner = kind === 'typed_parameter' ? this.kids(parameter).find((child) => child.field !== 'type') : parameter;
      if (!inner) continue;
      if (inner.type === 'list_splat_pattern') {
        const name = this.kids(inner)[0];
        if (name) scope.vars.set(this.text(name), dagParams ? missing(this.text(name)) : list(args.splice(0), true));
        keywordOnly = true;
        continue;
      }
      if (inner.type === 'dictionary_splat_pattern') {
        const name = this.kids(inner)[0];
        const rest = dict([...kwargs].map(([key, value]) => [str(key), value] as const));
        rest.incomplete = call.opaque;
        if (name) scope.vars.set(this.text(name), dagParams ? missing(this.text(name)) : rest);
        continue;
      }
      const nameNode = inner.type === 'identifier' ? inner : this.field(inner, 'name');
      if (!nameNode) continue;
      const name = this.text(nameNode);
      let value: Value | undefined;
      if (!dagParams) {
        if (!keywordOnly && args.length > 0) value = args.shift();
        else if (kwargs.has(name)) value = kwargs.get(name);
        else if (!call.opaque) value = fn.defaults.get(name);
        kwargs.delete(name);
      }
      scope.vars.set(name, value ?? missing(name));
    }
  }

  protected callMethod(self: Value, name: string, call: CallArgs, node: PyNode): Value {
    const { args, kwargs } = call;
    switch (self.kind) {
      case 'str':
        return strMethod(self.value, name, args, kwargs) ?? this.opaque(node);
      case 'list':
        return listMethod(self, name, args, this.airflow.uncertain > 0) ?? this.opaque(node);
      case 'dict':
        return dictMethod(self, name, args) ?? this.opaque(node);
      default:
        return this.airflow.method(self, name, call) ?? this.opaque(node);
    }
  }
}

/** The module whose code a call runs, when it runs user code. */
function codeHome(callee: Value): FunctionHome | undefined {
  switch (callee.kind) {
    case 'function':
      return callee.home;
    case 'taskFunction':
    case 'dagFunction':
    case 'groupFunction':
      return callee.fn.home;
    default:
      return undefined;
  }
}

/** `dag = build(...)`, `globals()[name] = build(...)`, `x = make_dag(...)`. */
function isDagFactoryCall(callee: string, target: string): boolean {
  return /dag/i.test(callee) || /dag/i.test(target) || target.startsWith('globals()');
}

function isInertModule(module: string): boolean {
  const top = module.split('.')[0]!;
  return top === 'airflow' || INERT_MODULES.has(top);
}
