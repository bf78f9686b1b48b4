// A small abstract interpreter for DAG files. It runs the module's top-level
// code the way Airflow's DagBag import would, but only the part that shapes
// DAGs: constants, loops over literals, helper functions, `with DAG(...)`,
// operators, TaskFlow decorators, task groups and dependency operators.
// Anything it cannot know statically becomes an `unknown` value, and the DAG
// that depends on it is marked partial instead of guessed.
import type { DynamicDag } from '../model.js';
import { AirflowModel } from './airflow.js';
import type { DagNode } from './graph.js';
import { decodeEscapes, parseIntLiteral } from './literals.js';
import { tick } from './budget.js';
import { lineIndex } from './lines.js';
import { absoluteName, type HelperModule } from './modules.js';
import type { ParsedModule, PyNode } from './parser.js';
import { binaryOperation, callBuiltin, compare, dictMethod, extendList, listMethod, strMethod } from './pyruntime.js';
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
} from './values.js';

const MAX_CALL_DEPTH = 8;
/** Bounds the interpreter's own recursion, whatever the nesting of calls and expressions. */
const MAX_EVAL_DEPTH = 1000;
const MAX_LOOP_ITERATIONS = 1000;

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

// `get_test_run`, which every Airflow system-test DAG ends with (imported from `tests.system.utils`,
// `tests_common.test_utils.system_tests` or `dev.tests_common...`): it returns a test runner and
// adds no task or edge.
const INERT_CALLABLE = /(^|\.)(tests\.system\.utils|tests_common\.test_utils\.system_tests)\.get_test_run$/;

const BUILTINS = new Set([
  'range', 'len', 'str', 'int', 'float', 'bool', 'list', 'tuple', 'set', 'frozenset', 'dict', 'enumerate', 'zip',
  'sorted', 'reversed', 'print', 'min', 'max', 'sum', 'any', 'all', 'abs', 'isinstance', 'format', 'repr',
]);

type Flow = 'normal' | 'break' | 'continue' | 'return' | 'raise';

interface Frame {
  readonly returns: Value[];
  readonly globals: Set<string>;
}

/** What the interpreters of one DAG file and of the helper modules it imports share. */
interface Program {
  readonly airflow: AirflowModel;
  /** Helper modules by dotted name, parsed, not run yet. */
  readonly helpers: ReadonlyMap<string, HelperModule>;
  /** Module globals of the helpers run so far (`sys.modules`). */
  readonly loaded: Map<string, Scope>;
  /** Nesting of calls and of evaluation, across modules. */
  callDepth: number;
  depth: number;
}

/** The file being read: its parse, its text, and the dotted name it is imported as (relative imports start there). */
export interface ModuleText {
  readonly parsed: ParsedModule;
  readonly source: string;
  readonly name: string;
  readonly isPackage: boolean;
}

/** Runs a DAG file, following imports into `helpers`; the DAGs it made, with or without a static id. */
export function interpretDagFile(
  file: ModuleText,
  helpers: ReadonlyMap<string, HelperModule>,
): { readonly dags: readonly DagNode[]; readonly dynamic: readonly DynamicDag[] } {
  const program: Program = { airflow: new AirflowModel(), helpers, loaded: new Map(), callDepth: 0, depth: 0 };
  new Interpreter(program, file).run();
  return { dags: program.airflow.dags, dynamic: program.airflow.dynamic };
}

class Interpreter implements FunctionHome {
  private readonly airflow: AirflowModel;
  readonly moduleScope = new Scope(null);
  private readonly module: ParsedModule;
  private readonly source: string;
  private readonly lineOf: (offset: number) => number;
  /** While an assignment's value is a call: its target, as written. */
  private assigningTo: string | undefined;

  constructor(
    private readonly program: Program,
    private readonly file: ModuleText,
  ) {
    this.airflow = program.airflow;
    this.module = file.parsed;
    this.source = file.source;
    this.lineOf = lineIndex(file.source);
  }

  run(): void {
    this.execBlock(this.kids(this.module.root), this.moduleScope, { returns: [], globals: new Set() });
  }

  // ---------------------------------------------------------------- helpers

  private kids(node: PyNode): readonly PyNode[] {
    return this.module.children(node);
  }

  private field(node: PyNode, name: string): PyNode | undefined {
    return this.kids(node).find((child) => child.field === name);
  }

  private text(node: PyNode): string {
    return this.source.slice(node.start, node.end);
  }

  /** The value of an expression the reader cannot evaluate. */
  private opaque(node: PyNode): Value {
    return unknown(`\`${this.describe(node)}\` is only known at run time`);
  }

  /** A short quote of an expression for messages; reads only its start, whatever its size. */
  private describe(node: PyNode): string {
    const text = this.source.slice(node.start, Math.min(node.end, node.start + 120)).replace(/\s+/g, ' ');
    return text.length > 60 || node.end > node.start + 120 ? `${text.slice(0, 57)}...` : text;
  }

  // ------------------------------------------------------------- statements

  private execBlock(statements: readonly PyNode[], scope: Scope, frame: Frame): Flow {
    for (const statement of statements) {
      const flow = this.exec(statement, scope, frame);
      if (flow !== 'normal') return flow;
    }
    return 'normal';
  }

  private exec(node: PyNode, scope: Scope, frame: Frame): Flow {
    tick();
    if (node.truncated) {
      this.airflow.markPartial();
      return 'normal';
    }
    if (this.program.depth >= MAX_EVAL_DEPTH) {
      this.airflow.markPartial();
      return 'normal';
    }
    this.program.depth++;
    try {
      return this.execStatement(node, scope, frame);
    } finally {
      this.program.depth--;
    }
  }

  private execStatement(node: PyNode, scope: Scope, frame: Frame): Flow {
    switch (node.type) {
      case 'expression_statement':
        for (const child of this.kids(node)) {
          if (child.type === 'assignment') this.execAssignment(child, scope, frame);
          else if (child.type === 'augmented_assignment') this.execAugmented(child, scope, frame);
          else if (child.type === 'call') this.evalCall(child, scope, true);
          else this.evaluate(child, scope);
        }
        return 'normal';
      case 'if_statement':
        return this.execIf(node, scope, frame);
      case 'for_statement':
        return this.execFor(node, scope, frame);
      case 'while_statement':
        return this.execWhile(node, scope, frame);
      case 'try_statement':
        return this.execTry(node, scope, frame);
      case 'with_statement':
        return this.execWith(node, scope, frame);
      case 'function_definition': {
        const name = this.field(node, 'name');
        if (name) this.assignName(this.text(name), this.defineFunction(node, scope), scope, frame);
        return 'normal';
      }
      case 'decorated_definition':
        this.execDecorated(node, scope, frame);
        return 'normal';
      case 'class_definition': {
        const name = this.field(node, 'name');
        if (name) this.assignName(this.text(name), { kind: 'class', name: this.text(name) }, scope, frame);
        return 'normal';
      }
      case 'return_statement': {
        const value = this.kids(node)[0];
        frame.returns.push(value ? this.evaluate(value, scope) : NONE);
        return 'return';
      }
      case 'import_statement':
      case 'import_from_statement':
        this.execImport(node, scope, frame);
        return 'normal';
      case 'global_statement':
        for (const name of this.kids(node)) frame.globals.add(this.text(name));
        return 'normal';
      case 'break_statement':
        return 'break';
      case 'continue_statement':
        return 'continue';
      case 'raise_statement':
        return 'raise';
      case 'match_statement':
        return this.execMatch(node, scope, frame);
      case 'ERROR':
        this.airflow.markPartial();
        return 'normal';
      default:
        return 'normal';
    }
  }

  private execAssignment(node: PyNode, scope: Scope, frame: Frame): Value {
    const right = this.field(node, 'right');
    const left = this.field(node, 'left');
    if (!right || !left) return NONE;
    // `a = b = value` nests as assignment(a, assignment(b, value)).
    if (right.type === 'call') this.assigningTo = this.describe(left);
    const value =
      right.type === 'assignment'
        ? this.execAssignment(right, scope, frame)
        : right.type === 'augmented_assignment'
          ? this.execAugmented(right, scope, frame)
          : this.evaluate(right, scope);
    this.assigningTo = undefined;
    this.assign(left, value, scope, frame);
    return value;
  }

  private execAugmented(node: PyNode, scope: Scope, frame: Frame): Value {
    const left = this.field(node, 'left');
    const right = this.field(node, 'right');
    const operator = this.field(node, 'operator');
    if (!left || !right || !operator) return NONE;
    const current = this.evaluate(left, scope);
    const value = this.evaluate(right, scope);
    // `items += more` extends the list in place, like Python.
    if (operator.type === '+=' && current.kind === 'list' && !current.tuple) {
      extendList(current, value, this.airflow.uncertain > 0);
      return current;
    }
    const result = this.binary(operator.type.slice(0, -1), current, value, node);
    this.assign(left, result, scope, frame);
    return result;
  }

  private execIf(node: PyNode, scope: Scope, frame: Frame): Flow {
    // Collect the chain `if / elif / else` as (condition, block) pairs.
    const branches: { condition: PyNode | null; body: PyNode | undefined }[] = [
      { condition: this.field(node, 'condition') ?? null, body: this.field(node, 'consequence') },
    ];
    for (const clause of this.kids(node)) {
      if (clause.type === 'elif_clause') {
        branches.push({ condition: this.field(clause, 'condition') ?? null, body: this.field(clause, 'consequence') });
      } else if (clause.type === 'else_clause') {
        branches.push({ condition: null, body: this.field(clause, 'body') });
      }
    }
    const undecided: (PyNode | undefined)[] = [];
    let certain = false;
    for (const branch of branches) {
      const decision = branch.condition ? truthy(this.evaluate(branch.condition, scope)) : true;
      if (decision === false) continue;
      if (decision === true && undecided.length === 0) return branch.body ? this.execBlock(this.kids(branch.body), scope, frame) : 'normal';
      undecided.push(branch.body);
      if (decision === true) {
        certain = true;
        break;
      }
    }
    if (undecided.length === 0) return 'normal';
    // Unless some branch surely runs, "no branch at all" is one more possibility.
    if (!certain) undecided.push(undefined);
    this.runEither(undecided.map((body) => (body ? this.kids(body) : [])), scope, frame);
    return 'normal';
  }

  /**
   * Runs alternatives of which only one happens at run time, each from the same
   * state, then keeps the variables they agree on; the rest become unknown.
   */
  private runEither(alternatives: readonly (readonly PyNode[])[], scope: Scope, frame: Frame): void {
    const before = new Map(scope.vars);
    const outcomes: Map<string, Value>[] = [];
    this.airflow.uncertain++;
    try {
      for (const statements of alternatives) {
        scope.vars.clear();
        for (const [name, value] of before) scope.vars.set(name, value);
        const returnsBefore = frame.returns.length;
        const flow = this.execBlock(statements, scope, frame);
        // A branch that may return makes the function's result uncertain.
        if (flow === 'return' && frame.returns.length > returnsBefore) frame.returns.push(unknown('returned on a path that cannot be decided statically'));
        outcomes.push(new Map(scope.vars));
      }
    } finally {
      this.airflow.uncertain--;
    }
    scope.vars.clear();
    const names = new Set(outcomes.flatMap((outcome) => [...outcome.keys()]));
    for (const name of names) {
      const values = outcomes.map((outcome) => outcome.get(name));
      const first = values[0];
      if (first !== undefined && values.every((value) => value !== undefined && (sameValue(value, first) || sameTask(value, first)))) {
        scope.vars.set(name, first);
      } else {
        scope.vars.set(name, unknown(`\`${name}\` is set on a path that cannot be decided statically`));
      }
    }
  }

  private execFor(node: PyNode, scope: Scope, frame: Frame): Flow {
    const target = this.field(node, 'left');
    const iterable = this.field(node, 'right');
    const body = this.field(node, 'body');
    const orElse = this.kids(node).find((child) => child.type === 'else_clause');
    if (!target || !iterable || !body) return 'normal';
    const items = iterate(this.evaluate(iterable, scope));
    if (items === null || items.length > MAX_LOOP_ITERATIONS) {
      // Read the body once, as code that may run, with the loop variable unknown.
      const why = items === null ? 'which is not static' : `too long to unroll (${items.length} items)`;
      this.assign(target, unknown(`loop over \`${this.describe(iterable)}\`, ${why}`), scope, frame);
      this.runEither([this.kids(body), []], scope, frame);
      return 'normal';
    }
    for (const item of items) {
      this.assign(target, item, scope, frame);
      const flow = this.execBlock(this.kids(body), scope, frame);
      if (flow === 'break') return 'normal';
      if (flow === 'return' || flow === 'raise') return flow;
    }
    const elseBody = orElse && this.field(orElse, 'body');
    return elseBody ? this.execBlock(this.kids(elseBody), scope, frame) : 'normal';
  }

  private execWhile(node: PyNode, scope: Scope, frame: Frame): Flow {
    const condition = this.field(node, 'condition');
    const body = this.field(node, 'body');
    if (!condition || !body) return 'normal';
    if (truthy(this.evaluate(condition, scope)) === false) return 'normal';
    // While loops in DAG files poll or retry; their body is read once, as code that may run.
    this.runEither([this.kids(body), []], scope, frame);
    return 'normal';
  }

  private execTry(node: PyNode, scope: Scope, frame: Frame): Flow {
    // The `try` body is taken to succeed: handlers in DAG files are import fallbacks.
    const body = this.field(node, 'body');
    let flow: Flow = body ? this.execBlock(this.kids(body), scope, frame) : 'normal';
    for (const clause of this.kids(node)) {
      if (flow === 'normal' && clause.type === 'else_clause') {
        const elseBody = this.field(clause, 'body');
        if (elseBody) flow = this.execBlock(this.kids(elseBody), scope, frame);
      } else if (clause.type === 'finally_clause') {
        const block = this.kids(clause).find((child) => child.type === 'block');
        const after = block ? this.execBlock(this.kids(block), scope, frame) : 'normal';
        if (after !== 'normal') flow = after;
      }
    }
    return flow;
  }

  private execMatch(node: PyNode, scope: Scope, frame: Frame): Flow {
    const cases = this.kids(node).flatMap((child) => (child.type === 'block' ? this.kids(child) : [child])).filter((child) => child.type === 'case_clause');
    const bodies = cases.map((clause) => {
      const block = this.kids(clause).find((child) => child.type === 'block');
      return block ? this.kids(block) : [];
    });
    this.runEither([...bodies, []], scope, frame);
    return 'normal';
  }

  private execWith(node: PyNode, scope: Scope, frame: Frame): Flow {
    const clause = this.kids(node).find((child) => child.type === 'with_clause');
    const body = this.field(node, 'body');
    const items = clause ? this.kids(clause).filter((child) => child.type === 'with_item') : [];
    return this.enterWithItems(items, 0, body, scope, frame);
  }

  private enterWithItems(items: readonly PyNode[], index: number, body: PyNode | undefined, scope: Scope, frame: Frame): Flow {
    const item = items[index];
    if (!item) return body ? this.execBlock(this.kids(body), scope, frame) : 'normal';
    const run = (): Flow => this.enterWithItems(items, index + 1, body, scope, frame);
    let valueNode = this.field(item, 'value') ?? this.kids(item)[0];
    let alias: PyNode | undefined;
    if (valueNode?.type === 'as_pattern') {
      alias = this.field(valueNode, 'alias');
      valueNode = this.kids(valueNode).find((child) => child.field !== 'alias');
    }
    if (!valueNode) return run();
    const value = this.evaluate(valueNode, scope);
    const target = alias ? this.kids(alias)[0] : undefined;
    // DAG, TaskGroup and task context managers return themselves from __enter__.
    const entered = ['dag', 'group', 'task', 'list'].includes(value.kind) ? value : unknown(`value of \`with ${this.describe(valueNode)}\``);
    if (target) this.assign(target, entered, scope, frame);
    if (value.kind === 'dag') return this.airflow.withContext({ dag: value.dag, group: value.dag.root }, run);
    if (value.kind === 'group') return this.airflow.withContext({ dag: value.group.dag, group: value.group }, run);
    const managed = this.airflow.endpointTasks(value);
    if (managed && managed.length > 0 && managed.every((task) => task.isSetup || task.isTeardown)) return this.airflow.withSetupTeardown(managed, run);
    return run();
  }

  private execDecorated(node: PyNode, scope: Scope, frame: Frame): void {
    const definition = this.field(node, 'definition');
    if (!definition) return;
    const decorators = this.kids(node).filter((child) => child.type === 'decorator');
    // Python evaluates decorator expressions top-down, then applies them bottom-up.
    const evaluated = decorators.map((decorator) => ({
      value: this.kids(decorator)[0] ? this.evaluate(this.kids(decorator)[0]!, scope) : unknown('empty decorator'),
      line: this.lineOf(decorator.start),
    }));
    const nameNode = this.field(definition, 'name');
    if (!nameNode) return;
    let value: Value =
      definition.type === 'function_definition' ? this.defineFunction(definition, scope) : { kind: 'class', name: this.text(nameNode) };
    for (let i = evaluated.length - 1; i >= 0; i--) value = this.airflow.decorate(evaluated[i]!.value, value, evaluated[i]!.line);
    this.assignName(this.text(nameNode), value, scope, frame);
  }

  private execImport(node: PyNode, scope: Scope, frame: Frame): void {
    if (node.type === 'import_statement') {
      for (const name of this.kids(node)) {
        const dotted = name.type === 'aliased_import' ? this.field(name, 'name') : name;
        const alias = name.type === 'aliased_import' ? this.field(name, 'alias') : undefined;
        if (!dotted) continue;
        const path = this.text(dotted).replace(/\s+/g, '');
        // `import a.b` binds `a`; `import a.b as c` binds the submodule.
        const bound = alias ? path : path.split('.')[0]!;
        this.assignName(alias ? this.text(alias) : bound, this.namespace(bound) ?? this.moduleValue(bound), scope, frame);
      }
      return;
    }
    const moduleNode = this.field(node, 'module_name');
    const module = moduleNode ? this.text(moduleNode).replace(/\s+/g, '') : '';
    const helper = absoluteName(module, this.file.name, this.file.isPackage);
    const helperScope = helper === null ? null : this.loadHelper(helper);
    for (const name of this.kids(node)) {
      if (name.field !== 'name') continue;
      const imported = name.type === 'aliased_import' ? this.field(name, 'name') : name;
      const alias = name.type === 'aliased_import' ? this.field(name, 'alias') : undefined;
      if (!imported) continue;
      const importedName = this.text(imported);
      const value = (helper !== null && this.fromHelper(helper, helperScope, importedName)) || this.importedValue(module, importedName);
      this.assignName(alias ? this.text(alias) : importedName, value, scope, frame);
    }
  }

  /**
   * Runs a helper module once, as Python's import does, and returns its globals; null when it is
   * not a file of the repository. DAGs its top-level code makes belong to it, not to this file.
   */
  private loadHelper(name: string): Scope | null {
    const cached = this.program.loaded.get(name);
    if (cached) return cached;
    const helper = this.program.helpers.get(name);
    if (!helper) return null;
    const interpreter = new Interpreter(this.program, { parsed: helper.parsed, source: helper.source, name, isPackage: helper.isPackage });
    // Registered before it runs: an import cycle sees the module as far as it got, as in Python.
    this.program.loaded.set(name, interpreter.moduleScope);
    const dags = this.airflow.dags.length;
    const dynamic = this.airflow.dynamic.length;
    interpreter.run();
    this.airflow.dags.splice(dags);
    this.airflow.dynamic.splice(dynamic);
    return interpreter.moduleScope;
  }

  /** `from helper import name`: a global of the helper, or one of its submodules; undefined when neither. */
  private fromHelper(helper: string, scope: Scope | null, name: string): Value | undefined {
    return projectCode(scope?.vars.get(name), helper) ?? this.namespace(`${helper}.${name}`);
  }

  /** A helper module or package folder as a value whose attributes are its globals and submodules. */
  private namespace(name: string): Value | undefined {
    const scope = this.loadHelper(name);
    if (scope) return { kind: 'namespace', name, scope };
    // A folder without __init__.py (a namespace package) that holds helper modules.
    for (const key of this.program.helpers.keys()) if (key.startsWith(`${name}.`)) return { kind: 'namespace', name, scope: new Scope(null) };
    return undefined;
  }

  private moduleValue(path: string): Value {
    if (path === 'airflow' || path.startsWith('airflow.')) return { kind: 'module', path };
    return { kind: 'unknown', reason: `\`${path}\` is imported`, module: path };
  }

  private importedValue(module: string, name: string): Value {
    if (module === 'airflow' || module.startsWith('airflow.')) {
      if (AIRFLOW_NAMES.has(name)) return { kind: 'airflow', name: name as AirflowName };
      return { kind: 'module', path: `${module}.${name}` };
    }
    if (module === 'typing' && name === 'TYPE_CHECKING') return FALSE;
    if (INERT_CALLABLE.test(`${module}.${name}`)) return unknown(`\`${name}\` is imported from \`${module}\``);
    return { kind: 'unknown', reason: `\`${name}\` is imported from \`${module}\``, module };
  }

  // ------------------------------------------------------------ assignment

  private assignName(name: string, value: Value, scope: Scope, frame: Frame): void {
    (frame.globals.has(name) ? this.moduleScope : scope).vars.set(name, value);
  }

  private assign(target: PyNode, value: Value, scope: Scope, frame: Frame): void {
    switch (target.type) {
      case 'identifier':
      case 'keyword_identifier':
        this.assignName(this.text(target), value, scope, frame);
        return;
      case 'pattern_list':
      case 'tuple_pattern':
      case 'list_pattern':
      case 'tuple':
      case 'list':
      case 'expression_list': {
        const targets = this.kids(target);
        const items = iterate(value);
        const starAt = targets.findIndex((t) => t.type === 'list_splat_pattern' || t.type === 'list_splat');
        const fits = items !== null && (starAt < 0 ? items.length === targets.length : items.length >= targets.length - 1);
        targets.forEach((sub, i) => {
          const inner = sub.type === 'list_splat_pattern' || sub.type === 'list_splat' ? this.kids(sub)[0] : sub;
          if (!inner) return;
          if (!fits || !items) {
            this.assign(inner, unknown(`cannot unpack \`${this.describe(target)}\` statically`), scope, frame);
          } else if (starAt < 0 || i < starAt) {
            this.assign(inner, items[i]!, scope, frame);
          } else if (i === starAt) {
            this.assign(inner, list(items.slice(starAt, items.length - (targets.length - 1 - starAt))), scope, frame);
          } else {
            this.assign(inner, items[items.length - (targets.length - i)]!, scope, frame);
          }
        });
        return;
      }
      case 'parenthesized_expression': {
        const inner = this.kids(target)[0];
        if (inner) this.assign(inner, value, scope, frame);
        return;
      }
      case 'subscript': {
        const container = this.field(target, 'value');
        const keyNode = this.field(target, 'subscript');
        if (!container || !keyNode) return;
        const object = this.evaluate(container, scope);
        const key = this.evaluate(keyNode, scope);
        if (object.kind === 'dict') {
          dictSet(object, key, value);
          if (this.airflow.uncertain > 0) object.incomplete = true;
        } else if (object.kind === 'list' && !object.tuple) {
          const index = key.kind === 'int' ? (key.value < 0 ? object.items.length + key.value : key.value) : -1;
          if (index >= 0 && index < object.items.length) object.items[index] = value;
          else object.incomplete = true;
          if (this.airflow.uncertain > 0) object.incomplete = true;
        }
        return;
      }
      default:
        // Attribute assignments (`dag.doc_md = ...`) do not change ids or edges.
        if (target.type === 'attribute') {
          const object = this.field(target, 'object');
          if (object) this.evaluate(object, scope);
        }
        return;
    }
  }

  // ------------------------------------------------------------ expressions

  private evaluate(node: PyNode, scope: Scope): Value {
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

  private evaluateNode(node: PyNode, scope: Scope): Value {
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
        this.airflow.uncertain++;
        try {
          const a = this.evaluate(body, scope);
          const b = this.evaluate(orElse, scope);
          return sameValue(a, b) ? a : unknown(`\`${this.describe(node)}\` depends on a condition known only at run time`);
        } finally {
          this.airflow.uncertain--;
        }
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

  private lookup(name: string, scope: Scope): Value {
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

  private evalSequence(node: PyNode, scope: Scope, tuple: boolean): Value {
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

  private evalDict(node: PyNode, scope: Scope): Value {
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

  private evalBoolean(node: PyNode, scope: Scope): Value {
    const left = this.field(node, 'left');
    const right = this.field(node, 'right');
    const operator = this.field(node, 'operator');
    if (!left || !right || !operator) return unknown('incomplete expression');
    const a = this.evaluate(left, scope);
    const decision = truthy(a);
    const isAnd = operator.type === 'and';
    if (decision === null) {
      this.airflow.uncertain++;
      try {
        this.evaluate(right, scope);
      } finally {
        this.airflow.uncertain--;
      }
      return this.opaque(node);
    }
    if (isAnd ? !decision : decision) return a;
    return this.evaluate(right, scope);
  }

  private evalComparison(node: PyNode, scope: Scope): Value {
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

  private evalSubscript(node: PyNode, scope: Scope): Value {
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

  private slice(object: Value, node: PyNode, scope: Scope): Value {
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

  private evalComprehension(node: PyNode, scope: Scope): Value {
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
          this.airflow.uncertain++;
          try {
            run(index + 1);
          } finally {
            this.airflow.uncertain--;
          }
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
        this.airflow.uncertain++;
        try {
          run(index + 1);
        } finally {
          this.airflow.uncertain--;
        }
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

  private evalString(node: PyNode, scope: Scope): Value {
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
  private plainString(node: PyNode): Value {
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

  private interpolate(node: PyNode, scope: Scope): Value {
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

  // ------------------------------------------------------------- operators

  private binary(operator: string, a: Value, b: Value, node: PyNode): Value {
    if ((operator === '>>' || operator === '<<') && !(a.kind === 'int' && b.kind === 'int')) {
      // Both return the right operand, so `a >> b >> c` links a→b, then b→c.
      if (operator === '>>') this.airflow.link(a, b);
      else this.airflow.link(b, a);
      return b;
    }
    return binaryOperation(operator, a, b) ?? this.opaque(node);
  }

  // ----------------------------------------------------------------- calls

  private evalArgs(node: PyNode | undefined, scope: Scope): CallArgs {
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

  private evalCall(node: PyNode, scope: Scope, statement: boolean): Value {
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
  private call(callee: Value, call: CallArgs, node: PyNode, statement = false, target?: string): Value {
    const { args, kwargs } = call;
    const airflowResult = this.airflow.call(callee, call, this.lineOf(node.start));
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
          line: this.lineOf(node.start),
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

  private defaults(node: PyNode, scope: Scope): Map<string, Value> {
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

  private defineFunction(node: PyNode, scope: Scope): FunctionValue {
    const name = this.field(node, 'name');
    return { kind: 'function', name: name ? this.text(name) : '<function>', home: this, node, defaults: this.defaults(node, scope), scope };
  }

  /**
   * Binds arguments to parameters as Python does. A `@dag` function's parameters
   * are DAG params: at parse time they are placeholders, never the defaults.
   */
  private bindParameters(fn: FunctionValue, call: CallArgs, scope: Scope, dagParams: boolean): void {
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

  // ----------------------------------------------------------- attributes

  private attribute(object: Value, name: string, node: PyNode): Value {
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

  // --------------------------------------------------------------- methods

  private callMethod(self: Value, name: string, call: CallArgs, node: PyNode): Value {
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

/** A helper's value the reader could not work out still comes from project code, which may add tasks when called. */
function projectCode(value: Value | undefined, module: string): Value | undefined {
  return value?.kind === 'unknown' && !value.module ? { ...value, module } : value;
}

/** `dag = build(...)`, `globals()[name] = build(...)`, `x = make_dag(...)`. */
function isDagFactoryCall(callee: string, target: string): boolean {
  return /dag/i.test(callee) || /dag/i.test(target) || target.startsWith('globals()');
}

/** Two tasks with the same id in the same DAG: edges to either are the same edges. */
function sameTask(a: Value, b: Value): boolean {
  return a.kind === 'task' && b.kind === 'task' && a.task.id !== null && a.task.id === b.task.id && a.task.dag === b.task.dag && a.xcom === b.xcom;
}

function isInertModule(module: string): boolean {
  const top = module.split('.')[0]!;
  return top === 'airflow' || INERT_MODULES.has(top);
}

