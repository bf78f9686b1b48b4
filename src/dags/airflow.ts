// Airflow's side of the interpreter: the DAG and task-group contexts, the
// objects Airflow's API creates (DAGs, operators, TaskFlow tasks, groups,
// assets), and how they are linked. The interpreter calls in here whenever a
// Python value turns out to be an Airflow object. Layers: links.ts (contexts,
// edges), builders.ts (creation), this file (attributes and methods).
import { TaskNode } from './graph.js';
import {
  AIRFLOW_NAMES,
  NONE,
  list,
  str,
  unknown,
  type AirflowName,
  type CallArgs,
  type Value,
} from './values.js';
import { Builders, PARSING_CONTEXT } from './airflow/builders.js';

export type { Context } from './airflow/links.js';

export class AirflowModel extends Builders {
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

  protected partialMethod(self: Extract<Value, { kind: 'partial' }>, name: string, call: CallArgs): Value | null {
    const merged = new Map([...self.kwargs, ...call.kwargs]);
    if (name === 'partial') return { ...self, kwargs: merged };
    if (name !== 'expand' && name !== 'expand_kwargs') return null;
    if (self.of?.kind === 'groupFunction') return this.expandGroup(self.of, self.kwargs, call);
    if (self.of) return this.createDecoratedTask(self.of, { args: [...self.args, ...call.args], kwargs: merged, opaque: call.opaque });
    const task = this.placeTask(merged.get('task_id'), merged, false);
    this.afterCreate(task, [...merged.values(), ...call.args]);
    return { kind: 'task', task, xcom: false };
  }

  protected dependencyMethod(self: Extract<Value, { kind: 'task' | 'group' }>, name: string, call: CallArgs): Value {
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
  protected combineXComArgs(receiver: readonly TaskNode[], name: string, call: CallArgs): Value {
    const tasks = name === 'map' ? [...receiver] : [...new Set([...receiver, ...this.xcomUpstreams([...call.args, ...call.kwargs.values()])])];
    if (name !== 'map' && call.opaque) this.markPartial(tasks[0]?.dag ?? null);
    return tasks.length === 1 ? { kind: 'task', task: tasks[0]!, xcom: true } : { kind: 'xcomArgs', tasks };
  }
}
