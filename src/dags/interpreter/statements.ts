// A small abstract interpreter for DAG files. It runs the module's top-level
// code the way Airflow's DagBag import would, but only the part that shapes
// DAGs: constants, loops over literals, helper functions, `with DAG(...)`,
// operators, TaskFlow decorators, task groups and dependency operators.
// Anything it cannot know statically becomes an `unknown` value, and the DAG
// that depends on it is marked partial instead of guessed.
//
// This file holds the statements; expressions, calls and imports are the layers below it.
import type { DynamicDag } from '../../model.js';
import { AirflowModel } from '../airflow.js';
import { tick } from '../budget.js';
import type { DagNode } from '../graph.js';
import type { HelperModule } from '../modules.js';
import type { PyNode } from '../parser.js';
import { extendList } from '../pyruntime.js';
import type {
  Scope} from '../values.js';
import {
  NONE,
  dictSet,
  iterate,
  list,
  sameValue,
  truthy,
  unknown,
  type Value,
} from '../values.js';
import { Imports } from './imports.js';
import { MAX_EVAL_DEPTH, MAX_LOOP_ITERATIONS, type Flow, type Frame, type ModuleText, type Program } from './program.js';

export type { ModuleText } from './program.js';

/** Runs a DAG file, following imports into `helpers`; the DAGs it made, with or without a static id. */
export function interpretDagFile(
  file: ModuleText,
  helpers: ReadonlyMap<string, HelperModule>,
): { readonly dags: readonly DagNode[]; readonly dynamic: readonly DynamicDag[] } {
  const program: Program = {
    airflow: new AirflowModel(),
    helpers,
    loaded: new Map(),
    open: (module) => new Interpreter(program, module),
    callSite: null,
    callDepth: 0,
    depth: 0,
  };
  new Interpreter(program, file).run();
  return { dags: program.airflow.dags, dynamic: program.airflow.dynamic };
}

class Interpreter extends Imports {
  run(): void {
    this.execBlock(this.kids(this.module.root), this.moduleScope, { returns: [], globals: new Set() });
  }

  protected execBlock(statements: readonly PyNode[], scope: Scope, frame: Frame): Flow {
    for (const statement of statements) {
      const flow = this.exec(statement, scope, frame);
      if (flow !== 'normal') return flow;
    }
    return 'normal';
  }

  protected exec(node: PyNode, scope: Scope, frame: Frame): Flow {
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

  protected execStatement(node: PyNode, scope: Scope, frame: Frame): Flow {
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

  protected execAssignment(node: PyNode, scope: Scope, frame: Frame): Value {
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

  protected execAugmented(node: PyNode, scope: Scope, frame: Frame): Value {
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

  protected execIf(node: PyNode, scope: Scope, frame: Frame): Flow {
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
  protected runEither(alternatives: readonly (readonly PyNode[])[], scope: Scope, frame: Frame): void {
    const before = new Map(scope.vars);
    const outcomes: Map<string, Value>[] = [];
    this.airflow.uncertainly(() => {
      for (const statements of alternatives) {
        scope.vars.clear();
        for (const [name, value] of before) scope.vars.set(name, value);
        const returnsBefore = frame.returns.length;
        const flow = this.execBlock(statements, scope, frame);
        // A branch that may return makes the function's result uncertain.
        if (flow === 'return' && frame.returns.length > returnsBefore) frame.returns.push(unknown('returned on a path that cannot be decided statically'));
        outcomes.push(new Map(scope.vars));
      }
    });
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

  protected execFor(node: PyNode, scope: Scope, frame: Frame): Flow {
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

  protected execWhile(node: PyNode, scope: Scope, frame: Frame): Flow {
    const condition = this.field(node, 'condition');
    const body = this.field(node, 'body');
    if (!condition || !body) return 'normal';
    if (truthy(this.evaluate(condition, scope)) === false) return 'normal';
    // While loops in DAG files poll or retry; their body is read once, as code that may run.
    this.runEither([this.kids(body), []], scope, frame);
    return 'normal';
  }

  protected execTry(node: PyNode, scope: Scope, frame: Frame): Flow {
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

  protected execMatch(node: PyNode, scope: Scope, frame: Frame): Flow {
    const cases = this.kids(node).flatMap((child) => (child.type === 'block' ? this.kids(child) : [child])).filter((child) => child.type === 'case_clause');
    const bodies = cases.map((clause) => {
      const block = this.kids(clause).find((child) => child.type === 'block');
      return block ? this.kids(block) : [];
    });
    this.runEither([...bodies, []], scope, frame);
    return 'normal';
  }

  protected execWith(node: PyNode, scope: Scope, frame: Frame): Flow {
    const clause = this.kids(node).find((child) => child.type === 'with_clause');
    const body = this.field(node, 'body');
    const items = clause ? this.kids(clause).filter((child) => child.type === 'with_item') : [];
    return this.enterWithItems(items, 0, body, scope, frame);
  }

  protected enterWithItems(items: readonly PyNode[], index: number, body: PyNode | undefined, scope: Scope, frame: Frame): Flow {
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

  protected execDecorated(node: PyNode, scope: Scope, frame: Frame): void {
    const definition = this.field(node, 'definition');
    if (!definition) return;
    const decorators = this.kids(node).filter((child) => child.type === 'decorator');
    // Python evaluates decorator expressions top-down, then applies them bottom-up.
    const evaluated = decorators.map((decorator) => ({
      value: this.kids(decorator)[0] ? this.evaluate(this.kids(decorator)[0]!, scope) : unknown('empty decorator'),
      line: this.line(decorator),
    }));
    const nameNode = this.field(definition, 'name');
    if (!nameNode) return;
    let value: Value =
      definition.type === 'function_definition' ? this.defineFunction(definition, scope) : { kind: 'class', name: this.text(nameNode) };
    for (let i = evaluated.length - 1; i >= 0; i--) value = this.airflow.decorate(evaluated[i]!.value, value, evaluated[i]!.line);
    this.assignName(this.text(nameNode), value, scope, frame);
  }


  protected assign(target: PyNode, value: Value, scope: Scope, frame: Frame): void {
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
}

/** Two tasks with the same id in the same DAG: edges to either are the same edges. */
function sameTask(a: Value, b: Value): boolean {
  return a.kind === 'task' && b.kind === 'task' && a.task.id !== null && a.task.id === b.task.id && a.task.dag === b.task.dag && a.xcom === b.xcom;
}
