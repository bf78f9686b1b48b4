// Airflow's side of the interpreter: the DAG and task-group contexts, the
// objects Airflow's API creates (DAGs, operators, TaskFlow tasks, groups,
// assets), and how they are linked. The interpreter calls in here whenever a
// Python value turns out to be an Airflow object.
import type { DynamicDag } from '../model.js';
import { tick } from './budget.js';
import { DagNode, GroupNode, TaskNode, findRelated, linkTasks, uniqueGroupLabel, uniqueTaskId, wrapWork } from './graph.js';
import { isValidId } from './ids.js';
import {
  AIRFLOW_NAMES,
  LabelNode,
  NONE,
  list,
  str,
  truthy,
  unknown,
  type AirflowName,
  type CallArgs,
  type FunctionValue,
  type GroupFunction,
  type Kwargs,
  type TaskFunction,
  type Value,
} from './values.js';

/** What `with DAG(...)`, `with TaskGroup(...)` or a `@dag`/`@task_group` body makes current. */
export interface Context {
  readonly dag: DagNode | null;
  readonly group: GroupNode | null;
}

/** `get_parsing_context()`: Airflow's DAG processor parses with no DAG or task selected. */
const PARSING_CONTEXT = 'airflow.<parsing context>';

export class AirflowModel {
  readonly dags: DagNode[] = [];
  readonly dynamic: DynamicDag[] = [];
  /** > 0 while running code that may or may not run (an undecidable `if`, a loop over unknown values). */
  uncertain = 0;
  private readonly contexts: Context[] = [];
  /** Open `with setup_or_teardown:` blocks: the tasks created inside each. */
  private readonly setupTeardown: TaskNode[][] = [];


  currentDag(): DagNode | null {
    return this.contexts[this.contexts.length - 1]?.dag ?? null;
  }

  currentGroup(dag: DagNode | null): GroupNode | null {
    if (!dag) return null;
    const top = this.contexts[this.contexts.length - 1];
    return top && top.dag === dag && top.group ? top.group : dag.root;
  }

  markPartial(dag: DagNode | null = this.currentDag()): void {
    if (dag) dag.partial = true;
  }

  /**
   * A DAG touched by code that may not run is only partly known; code under the same conditions
   * as the DAG itself (`if os.environ[...]:` around a whole `with DAG`) runs whenever the DAG exists.
   */
  touched(dag: DagNode | null): void {
    if (dag && this.uncertain > dag.uncertainty) this.markPartial(dag);
  }

  withContext<T>(context: Context, body: () => T): T {
    this.contexts.push(context);
    try {
      return body();
    } finally {
      this.contexts.pop();
    }
  }

  // ----------------------------------------------------------------- calls

  /**
   * Calls an Airflow callable: a TaskFlow, @dag or @task_group function, a
   * decorator, DAG, TaskGroup, chain... Undefined when `callee` is none of these.
   */
  call(callee: Value, call: CallArgs, line: number): Value | undefined {
    switch (callee.kind) {
      case 'module':
        return callee.path.endsWith('.get_parsing_context') ? { kind: 'module', path: PARSING_CONTEXT } : undefined;
      case 'taskFunction':
        return this.createDecoratedTask(callee, call);
      case 'dagFunction':
        return this.createDagFromFunction(callee);
      case 'groupFunction':
        return this.createGroupFromFunction(callee, call, null);
      case 'decorator':
        return call.args[0] ? this.decorate(callee, call.args[0], callee.line) : unknown('decorator called without a function');
      case 'airflow':
        return this.callAirflow(callee.name, call, line);
      default:
        return undefined;
    }
  }

  private callAirflow(name: AirflowName, call: CallArgs, line: number): Value {
    const { args, kwargs } = call;
    const fn = args[0];
    switch (name) {
      case 'DAG': {
        const dag = this.createDag(args[0] ?? kwargs.get('dag_id'), line);
        return { kind: 'dag', dag };
      }
      case 'dag':
      case 'task':
      case 'task_group':
      case 'asset':
      case 'asset.multi':
        if (fn && (fn.kind === 'function' || fn.kind === 'taskFunction')) return this.decorate({ kind: 'airflow', name }, fn, line);
        if (name === 'task' && kwargs.has('python_callable')) {
          const callable = kwargs.get('python_callable')!;
          if (callable.kind === 'function') return this.decorate({ kind: 'decorator', target: 'task', kwargs, line }, callable, line);
        }
        return { kind: 'decorator', target: name, kwargs, line };
      case 'setup':
      case 'teardown':
        return fn ? this.decorate({ kind: 'airflow', name }, fn, line) : unknown(`\`${name}()\` without a function`);
      case 'TaskGroup':
        return { kind: 'group', group: this.createGroup(args[0] ?? kwargs.get('group_id'), kwargs, false) };
      case 'chain':
        this.chain(args);
        return NONE;
      case 'chain_linear':
        this.chainLinear(args);
        return NONE;
      case 'cross_downstream': {
        const from = args[0] ?? kwargs.get('from_tasks');
        const to = args[1] ?? kwargs.get('to_tasks');
        if (from && to) {
          const items = from.kind === 'list' ? from.items : [from];
          if (from.kind === 'list' && from.incomplete) this.markPartial(this.dagOf(to));
          for (const item of items) this.link(item, to);
        }
        return NONE;
      }
      case 'Label':
        return { kind: 'label', label: new LabelNode() };
      case 'XComArg':
        return fn?.kind === 'task' ? { kind: 'task', task: fn.task, xcom: true } : unknown('XComArg of an unknown task');
    }
  }

  decorate(decorator: Value, target: Value, line: number): Value {
    const fn = target.kind === 'function' ? target : target.kind === 'taskFunction' ? target.fn : null;
    const base: Kwargs = target.kind === 'taskFunction' ? target.kwargs : new Map();
    const name = decorator.kind === 'airflow' ? decorator.name : decorator.kind === 'decorator' ? decorator.target : null;
    const kwargs = decorator.kind === 'decorator' ? decorator.kwargs : new Map<string, Value>();
    if (!fn || name === null) return target;
    switch (name) {
      case 'task':
        return {
          kind: 'taskFunction',
          fn,
          kwargs: new Map([...base, ...kwargs]),
          setup: target.kind === 'taskFunction' && target.setup,
          teardown: target.kind === 'taskFunction' && target.teardown,
        };
      case 'setup':
      case 'teardown': {
        const task: TaskFunction =
          target.kind === 'taskFunction' ? target : { kind: 'taskFunction', fn, kwargs: new Map(), setup: false, teardown: false };
        return { ...task, setup: task.setup || name === 'setup', teardown: task.teardown || name === 'teardown' };
      }
      case 'dag':
        return { kind: 'dagFunction', fn, kwargs, line };
      case 'task_group':
        return { kind: 'groupFunction', fn, kwargs };
      case 'asset':
      case 'asset.multi':
        this.createAsset(fn, kwargs, name === 'asset.multi', line);
        return unknown(`asset \`${fn.name}\``);
      default:
        return target;
    }
  }

  private createDag(idValue: Value | undefined, line: number, fallback?: string): DagNode {
    let id: string | null = null;
    if ((idValue === undefined || idValue.kind === 'none') && fallback !== undefined) id = fallback;
    else if (idValue?.kind === 'str') id = idValue.value;
    if (id !== null && !isValidId(id)) {
      this.dynamic.push({ line, reason: `DAG id ${JSON.stringify(id.slice(0, 80))} is not a valid Airflow id` });
      id = null;
    } else if (id === null) {
      const reason = idValue === undefined ? 'the DAG has no dag_id' : idValue.kind === 'unknown' ? idValue.reason : `dag_id is not a string`;
      this.dynamic.push({ line, reason: `DAG id cannot be read statically: ${reason}` });
    }
    const dag = new DagNode(id, line, this.uncertain);
    this.dags.push(dag);
    return dag;
  }

  private createDagFromFunction(fn: { readonly fn: FunctionValue; readonly kwargs: Kwargs; readonly line: number }): Value {
    const dag = this.createDag(fn.kwargs.get('dag_id'), fn.line, fn.fn.name);
    this.withContext({ dag, group: dag.root }, () => fn.fn.home.callFunction(fn.fn, { args: [], kwargs: new Map(), opaque: false }, true));
    return { kind: 'dag', dag };
  }

  /** `@asset` (Airflow 3): a one-task DAG named after the asset, its task after the function. */
  private createAsset(fn: FunctionValue, kwargs: Kwargs, multi: boolean, line: number): void {
    const name = kwargs.get('name');
    const idValue = kwargs.get('dag_id') ?? (multi ? undefined : name);
    const dag = this.createDag(idValue, line, fn.name);
    const task = new TaskNode(isValidId(fn.name) ? fn.name : null, dag, dag.root);
    dag.add(task);
    dag.root.children.push(task);
  }

  private createGroup(idValue: Value | undefined, kwargs: Kwargs, suffixOnCollision: boolean): GroupNode {
    const parentValue = kwargs.get('parent_group');
    const dagValue = kwargs.get('dag');
    const context = this.currentDag();
    let parent = parentValue?.kind === 'group' ? parentValue.group : null;
    const dag = parent?.dag ?? (dagValue?.kind === 'dag' ? dagValue.dag : context);
    parent ??= this.currentGroup(dag);
    const prefixValue = kwargs.get('prefix_group_id');
    const prefix = prefixValue === undefined ? true : truthy(prefixValue);
    if (prefix === null) this.markPartial(dag);
    let label = idValue?.kind === 'str' ? idValue.value : null;
    if (label !== null && suffixOnCollision && parent && dag) label = uniqueGroupLabel(label, parent, dag) ?? label;
    const dynamic = label === null || !isValidId(label);
    const group = new GroupNode(dynamic ? null : label, dynamic, prefix !== false, parent, dag);
    if (dynamic) this.markPartial(dag);
    parent?.children.push(group);
    const groupId = group.groupId;
    if (dag && groupId) dag.usedGroupIds.add(groupId);
    this.touched(dag);
    return group;
  }

  private createGroupFromFunction(fn: GroupFunction, call: CallArgs, expandArgs: readonly Value[] | null): Value {
    const group = this.createGroup(fn.kwargs.get('group_id') ?? str(fn.fn.name), fn.kwargs, true);
    const result = this.withContext({ dag: group.dag, group }, () => fn.fn.home.callFunction(fn.fn, call, false));
    // A mapped task group (`.expand()`) waits for the tasks its arguments come from.
    if (expandArgs) for (const up of this.xcomUpstreams(expandArgs)) this.link({ kind: 'task', task: up, xcom: false }, { kind: 'group', group });
    // The group function's return value, when there is one, is what edges attach to.
    return result.kind === 'none' ? { kind: 'group', group } : result;
  }

  private placeTask(taskId: Value | undefined, kwargs: Kwargs, unique: boolean): TaskNode {
    const dagValue = kwargs.get('dag');
    const groupValue = kwargs.get('task_group');
    const dag = dagValue ? (dagValue.kind === 'dag' ? dagValue.dag : null) : groupValue?.kind === 'group' ? groupValue.group.dag : this.currentDag();
    if (dagValue && dagValue.kind !== 'dag') this.markPartial();
    const group = groupValue?.kind === 'group' ? groupValue.group : this.currentGroup(dag);
    let id: string | null = null;
    if (taskId?.kind === 'str') {
      const label = unique ? uniqueTaskId(taskId.value, dag, group) : taskId.value;
      const full = label === undefined ? undefined : group ? group.childId(label) : label;
      if (full !== undefined && isValidId(full)) id = full;
    }
    const task = new TaskNode(id, dag, group);
    if (dag) {
      dag.add(task);
      this.touched(dag);
    }
    group?.children.push(task);
    return task;
  }

  createOperator(kwargs: Kwargs): Value {
    const task = this.placeTask(kwargs.get('task_id'), kwargs, false);
    this.afterCreate(task, kwargs.values());
    return { kind: 'task', task, xcom: false };
  }

  private createDecoratedTask(fn: TaskFunction, call: CallArgs): Value {
    const task = this.placeTask(fn.kwargs.get('task_id') ?? str(fn.fn.name), fn.kwargs, true);
    task.isSetup = fn.setup;
    task.isTeardown = fn.teardown;
    this.afterCreate(task, [...call.args, ...call.kwargs.values()]);
    // Arguments hidden in a splat may carry XComArgs too.
    if (call.opaque) this.markPartial(task.dag);
    return { kind: 'task', task, xcom: true };
  }

  /**
   * A mapped task group (`group_fn.expand(...)`): its body runs once, each mapped
   * parameter standing for the XComArg it maps over (or for a value known only at run time).
   */
  private expandGroup(fn: GroupFunction, fixed: Kwargs, call: CallArgs): Value {
    const kwargs = new Map(fixed);
    const expanded = [...call.args, ...call.kwargs.values()];
    for (const [name, value] of call.kwargs) {
      const upstream = this.xcomUpstreams([value]);
      kwargs.set(name, upstream.length > 0 ? { kind: 'task', task: upstream[0]!, xcom: true } : unknown(`\`${name}\` is mapped at run time`));
    }
    return this.createGroupFromFunction(fn, { args: [], kwargs, opaque: call.args.length > 0 }, expanded);
  }

  /** Links a new task to the XComArgs it consumes and to an open setup/teardown scope. */
  private afterCreate(task: TaskNode, inputs: Iterable<Value>): void {
    for (const up of this.xcomUpstreams(inputs)) {
      linkTasks(up, task);
      this.touched(task.dag);
    }
    const scope = this.setupTeardown[this.setupTeardown.length - 1];
    if (scope && !task.isSetup && !task.isTeardown) scope.push(task);
  }

  /** Airflow's `with teardown_task:` / `with setup_task:` (SetupTeardownContext). */
  withSetupTeardown<T>(managed: TaskNode[], body: () => T): T {
    const teardown = managed[0]!.isTeardown;
    const created: TaskNode[] = [];
    const counterparts = findRelated(managed, teardown ? 'setup' : 'teardown');
    this.setupTeardown.push(created);
    try {
      return body();
    } finally {
      this.setupTeardown.pop();
      wrapWork(teardown ? counterparts : managed, teardown ? managed : counterparts, created);
    }
  }

  // ----------------------------------------------------------------- edges

  /** The tasks a value stands for as a dependency endpoint; null when it is not static. */
  endpointTasks(value: Value): TaskNode[] | null {
    if (value.kind === 'task') return [value.task];
    if (value.kind === 'list') {
      if (value.incomplete) return null;
      const tasks: TaskNode[] = [];
      for (const item of value.items) {
        if (item.kind !== 'task') return null;
        tasks.push(item.task);
      }
      return tasks;
    }
    return null;
  }

  /** `upstream >> downstream`, with Airflow's meaning for lists, task groups and labels. */
  link(upstream: Value, downstream: Value): void {
    tick();
    if (upstream.kind === 'list') {
      if (upstream.incomplete) this.markPartial(this.dagOf(downstream));
      for (const item of upstream.items) this.link(item, downstream);
      return;
    }
    if (downstream.kind === 'list') {
      if (downstream.incomplete) this.markPartial(this.dagOf(upstream));
      for (const item of downstream.items) this.link(upstream, item);
      return;
    }
    if (upstream.kind === 'label') {
      upstream.label.downstream.push(downstream);
      for (const before of upstream.label.upstream) this.link(before, downstream);
      return;
    }
    if (downstream.kind === 'label') {
      downstream.label.upstream.push(upstream);
      for (const after of downstream.label.downstream) this.link(upstream, after);
      return;
    }
    const ups = this.linkedTasks(upstream, 'leaves');
    const downs = this.linkedTasks(downstream, 'roots');
    if (!ups || !downs) {
      // One side is something the reader cannot see: the edge exists, its ends are unknown.
      this.markPartial(this.dagOf(upstream) ?? this.dagOf(downstream) ?? this.currentDag());
      return;
    }
    for (const up of ups) {
      for (const down of downs) {
        linkTasks(up, down);
        this.touched(up.dag ?? down.dag);
      }
    }
  }

  /** The tasks an edge attaches to on one side of a `>>`: a group's leaves upstream, its roots downstream. */
  private linkedTasks(value: Value, ofGroup: 'roots' | 'leaves'): readonly TaskNode[] | null {
    if (value.kind === 'task') return [value.task];
    if (value.kind === 'xcomArgs') return value.tasks;
    return value.kind === 'group' ? value.group[ofGroup]() : null;
  }

  dagOf(value: Value): DagNode | null {
    tick();
    if (value.kind === 'task') return value.task.dag;
    if (value.kind === 'xcomArgs') return value.tasks[0]?.dag ?? null;
    if (value.kind === 'group') return value.group.dag;
    if (value.kind === 'list') {
      for (const item of value.items) {
        const dag = this.dagOf(item);
        if (dag) return dag;
      }
    }
    return null;
  }

  private isDependency(value: Value): boolean {
    return value.kind === 'task' || value.kind === 'group' || value.kind === 'label';
  }

  /** Airflow's `chain(*tasks)`: lists next to lists are linked pairwise. */
  private chain(values: readonly Value[]): void {
    for (let i = 0; i + 1 < values.length; i++) {
      const up = values[i]!;
      const down = values[i + 1]!;
      if (this.isDependency(up) || this.isDependency(down)) {
        this.link(up, down);
      } else if (up.kind === 'list' && down.kind === 'list') {
        if (up.items.length !== down.items.length || up.incomplete || down.incomplete) {
          this.markPartial(this.dagOf(up) ?? this.dagOf(down));
          continue;
        }
        up.items.forEach((item, j) => this.link(item, down.items[j]!));
      } else {
        this.markPartial(this.dagOf(up) ?? this.dagOf(down));
      }
    }
  }

  /** Airflow's `chain_linear(*elements)`: every task of one element before every task of the next. */
  private chainLinear(values: readonly Value[]): void {
    for (let i = 0; i + 1 < values.length; i++) {
      const previous = values[i]!;
      const items = previous.kind === 'list' ? previous.items : [previous];
      if (previous.kind === 'list' && previous.incomplete) this.markPartial(this.dagOf(values[i + 1]!));
      for (const item of items) this.link(item, values[i + 1]!);
    }
  }

  /** All XComArgs inside a call's arguments: each makes its task upstream of the new one. */
  private xcomUpstreams(values: Iterable<Value>, found: TaskNode[] = [], depth = 0): TaskNode[] {
    if (depth > 8) return found;
    for (const value of values) {
      if (value.kind === 'task' && value.xcom) found.push(value.task);
      else if (value.kind === 'xcomArgs') found.push(...value.tasks);
      else if (value.kind === 'list') this.xcomUpstreams(value.items, found, depth + 1);
      else if (value.kind === 'dict') this.xcomUpstreams([...value.entries.values()].flat(), found, depth + 1);
    }
    return found;
  }

  // ----------------------------------------------------- attributes, methods

  /** An attribute of an Airflow object; null when it is not static, undefined when `object` is not one. */
  attribute(object: Value, name: string): Value | null | undefined {
    switch (object.kind) {
      case 'module': {
        if (object.path === PARSING_CONTEXT) return name === 'dag_id' || name === 'task_id' ? NONE : null;
        if (AIRFLOW_NAMES.has(name)) return { kind: 'airflow', name: name as AirflowName };
        // `BashOperator.partial(task_id=...)` starts a mapped operator.
        if (name === 'partial') return { kind: 'method', self: object, name };
        // TriggerRule members are str enums whose value is the lower-cased name.
        if (/(^|\.)TriggerRule$/.test(object.path) && /^[A-Z][A-Z_]*$/.test(name)) return str(name.toLowerCase());
        return { kind: 'module', path: `${object.path}.${name}` };
      }
      case 'airflow':
        if (object.name === 'task') return name === 'run_if' || name === 'skip_if' ? { kind: 'method', self: object, name } : object;
        if (object.name === 'asset' && name === 'multi') return { kind: 'airflow', name: 'asset.multi' };
        return null;
      case 'task':
        if (name === 'output') return { kind: 'task', task: object.task, xcom: true };
        if (name === 'task_id') return object.task.id === null ? null : str(object.task.id);
        if (name === 'dag') return object.task.dag ? { kind: 'dag', dag: object.task.dag } : null;
        if (['set_upstream', 'set_downstream', 'as_setup', 'as_teardown', 'map', 'zip', 'concat'].includes(name)) {
          return { kind: 'method', self: object, name };
        }
        return null;
      case 'xcomArgs':
        return name === 'map' || name === 'zip' || name === 'concat' ? { kind: 'method', self: object, name } : null;
      case 'group': {
        if (name === 'set_upstream' || name === 'set_downstream') return { kind: 'method', self: object, name };
        const id = object.group.groupId;
        return name === 'group_id' && typeof id === 'string' ? str(id) : null;
      }
      case 'dag':
        if (name === 'dag_id') return object.dag.id === null ? null : str(object.dag.id);
        if (name === 'task_group') return { kind: 'group', group: object.dag.root };
        if (name === 'tasks' || name === 'roots' || name === 'leaves') {
          const all = object.dag.tasks;
          const tasks = name === 'tasks' ? all : all.filter((task) => (name === 'roots' ? task.upstream : task.downstream).size === 0);
          const result = list(tasks.map((task): Value => ({ kind: 'task', task, xcom: false })));
          result.incomplete = object.dag.partial;
          return result;
        }
        return null;
      case 'taskFunction':
      case 'groupFunction':
      case 'partial':
        if (['override', 'partial', 'expand', 'expand_kwargs'].includes(name)) return { kind: 'method', self: object, name };
        return name === 'function' && object.kind !== 'partial' ? object.fn : null;
      default:
        return undefined;
    }
  }

  /** `object[key]` on an Airflow object: an XComArg's key, a task group's child; null otherwise. */
  item(object: Value, key: Value): Value | null {
    // `task_output["key"]` is still an XComArg of the same task.
    if (object.kind === 'task') return object.xcom ? object : null;
    if (object.kind !== 'group' || key.kind !== 'str') return null;
    const label = object.group.childId(key.value);
    const child = object.group.children.find((c) => (c instanceof TaskNode ? c.id === label : c.groupId === label));
    if (child instanceof TaskNode) return { kind: 'task', task: child, xcom: false };
    return child ? { kind: 'group', group: child } : null;
  }

  /** A method call on an Airflow object; null when its result is not static. */
  method(self: Value, name: string, call: CallArgs): Value | null {
    const { args, kwargs } = call;
    switch (self.kind) {
      case 'airflow':
        // `@task.run_if(...)` / `@task.skip_if(...)` leave the task as it is.
        return { kind: 'builtin', name: 'identity' };
      case 'task':
      case 'group':
        return this.dependencyMethod(self, name, call);
      case 'xcomArgs':
        return this.combineXComArgs(self.tasks, name, call);
      case 'taskFunction':
      case 'groupFunction':
        if (name === 'override') return { ...self, kwargs: new Map([...self.kwargs, ...kwargs]) };
        if (name === 'partial') return { kind: 'partial', of: self, kwargs, args };
        if (self.kind === 'taskFunction') return this.createDecoratedTask(self, call);
        return this.expandGroup(self, new Map(), call);
      case 'partial':
        return this.partialMethod(self, name, call);
      default:
        // `SomeOperator.partial(task_id=...)`, whatever SomeOperator is.
        return name === 'partial' && kwargs.has('task_id') ? { kind: 'partial', of: null, kwargs, args } : null;
    }
  }

  private partialMethod(self: Extract<Value, { kind: 'partial' }>, name: string, call: CallArgs): Value | null {
    const merged = new Map([...self.kwargs, ...call.kwargs]);
    if (name === 'partial') return { ...self, kwargs: merged };
    if (name !== 'expand' && name !== 'expand_kwargs') return null;
    if (self.of?.kind === 'groupFunction') return this.expandGroup(self.of, self.kwargs, call);
    if (self.of) return this.createDecoratedTask(self.of, { args: [...self.args, ...call.args], kwargs: merged, opaque: call.opaque });
    const task = this.placeTask(merged.get('task_id'), merged, false);
    this.afterCreate(task, [...merged.values(), ...call.args]);
    return { kind: 'task', task, xcom: false };
  }

  private dependencyMethod(self: Extract<Value, { kind: 'task' | 'group' }>, name: string, call: CallArgs): Value {
    const { args, kwargs } = call;
    switch (name) {
      case 'set_upstream':
        for (const arg of args) this.link(arg, self);
        return NONE;
      case 'set_downstream':
        for (const arg of args) this.link(self, arg);
        return NONE;
      case 'as_setup':
        if (self.kind === 'task') self.task.isSetup = true;
        return self;
      case 'as_teardown': {
        if (self.kind !== 'task') return self;
        self.task.isTeardown = true;
        const setups = kwargs.get('setups');
        if (setups) {
          for (const setup of setups.kind === 'list' ? setups.items : [setups]) {
            if (setup.kind === 'task') setup.task.isSetup = true;
            this.link(setup, self);
          }
        }
        return self;
      }
      default:
        return self.kind === 'task' ? this.combineXComArgs([self.task], name, call) : unknown(`\`${name}()\``);
    }
  }

  /**
   * `XComArg.map(fn)` references the tasks its receiver does; `.zip(*others)` and `.concat(*others)`
   * reference the others' tasks too (`iter_references`), so a task consuming them waits for all.
   */
  private combineXComArgs(receiver: readonly TaskNode[], name: string, call: CallArgs): Value {
    const tasks = name === 'map' ? [...receiver] : [...new Set([...receiver, ...this.xcomUpstreams([...call.args, ...call.kwargs.values()])])];
    if (name !== 'map' && call.opaque) this.markPartial(tasks[0]?.dag ?? null);
    return tasks.length === 1 ? { kind: 'task', task: tasks[0]!, xcom: true } : { kind: 'xcomArgs', tasks };
  }
}
