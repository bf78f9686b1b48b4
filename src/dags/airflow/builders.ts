// The objects Airflow's API creates: DAGs, operators, TaskFlow tasks, task groups (plain,
// decorated, mapped), assets, and setup/teardown scopes.
import { DagNode, GroupNode, TaskNode, findRelated, linkTasks, uniqueGroupLabel, uniqueTaskId, wrapWork } from '../graph.js';
import { isValidId } from '../ids.js';
import {
  LabelNode,
  NONE,
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
} from '../values.js';
import { Links } from './links.js';

/** `get_parsing_context()`: Airflow's DAG processor parses with no DAG or task selected. */
export const PARSING_CONTEXT = 'airflow.<parsing context>';

export class Builders extends Links {
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

  protected callAirflow(name: AirflowName, call: CallArgs, line: number): Value {
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

  protected createDag(idValue: Value | undefined, line: number, fallback?: string): DagNode {
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

  protected createDagFromFunction(fn: { readonly fn: FunctionValue; readonly kwargs: Kwargs; readonly line: number }): Value {
    const dag = this.createDag(fn.kwargs.get('dag_id'), fn.line, fn.fn.name);
    this.withContext({ dag, group: dag.root }, () => fn.fn.home.callFunction(fn.fn, { args: [], kwargs: new Map(), opaque: false }, true));
    return { kind: 'dag', dag };
  }

  /** `@asset` (Airflow 3): a one-task DAG named after the asset, its task after the function. */
  protected createAsset(fn: FunctionValue, kwargs: Kwargs, multi: boolean, line: number): void {
    const name = kwargs.get('name');
    const idValue = kwargs.get('dag_id') ?? (multi ? undefined : name);
    const dag = this.createDag(idValue, line, fn.name);
    const task = new TaskNode(isValidId(fn.name) ? fn.name : null, dag, dag.root);
    dag.add(task);
    dag.root.children.push(task);
  }

  protected createGroup(idValue: Value | undefined, kwargs: Kwargs, suffixOnCollision: boolean): GroupNode {
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

  protected createGroupFromFunction(fn: GroupFunction, call: CallArgs, expandArgs: readonly Value[] | null): Value {
    const group = this.createGroup(fn.kwargs.get('group_id') ?? str(fn.fn.name), fn.kwargs, true);
    const result = this.withContext({ dag: group.dag, group }, () => fn.fn.home.callFunction(fn.fn, call, false));
    // A mapped task group (`.expand()`) waits for the tasks its arguments come from.
    if (expandArgs) for (const up of this.xcomUpstreams(expandArgs)) this.link({ kind: 'task', task: up, xcom: false }, { kind: 'group', group });
    // The group function's return value, when there is one, is what edges attach to.
    return result.kind === 'none' ? { kind: 'group', group } : result;
  }

  protected placeTask(taskId: Value | undefined, kwargs: Kwargs, unique: boolean): TaskNode {
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

  protected createDecoratedTask(fn: TaskFunction, call: CallArgs): Value {
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
  protected expandGroup(fn: GroupFunction, fixed: Kwargs, call: CallArgs): Value {
    const kwargs = new Map(fixed);
    const expanded = [...call.args, ...call.kwargs.values()];
    for (const [name, value] of call.kwargs) {
      const upstream = this.xcomUpstreams([value]);
      kwargs.set(name, upstream.length > 0 ? { kind: 'task', task: upstream[0]!, xcom: true } : unknown(`\`${name}\` is mapped at run time`));
    }
    return this.createGroupFromFunction(fn, { args: [], kwargs, opaque: call.args.length > 0 }, expanded);
  }

  /** Links a new task to the XComArgs it consumes and to an open setup/teardown scope. */
  protected afterCreate(task: TaskNode, inputs: Iterable<Value>): void {
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
}
