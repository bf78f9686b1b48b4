// The DAG and task-group contexts, and how Airflow objects are linked: `>>`/`<<` with lists,
// groups and labels, chain(), chain_linear(), and the XComArgs a call consumes.
import type { DynamicDag } from '../../model.js';
import { tick } from '../budget.js';
import { linkTasks, type DagNode, type GroupNode, type TaskNode } from '../graph.js';
import type { Value } from '../values.js';

/** What `with DAG(...)`, `with TaskGroup(...)` or a `@dag`/`@task_group` body makes current. */
export interface Context {
  readonly dag: DagNode | null;
  readonly group: GroupNode | null;
}

export class Links {
  readonly dags: DagNode[] = [];
  readonly dynamic: DynamicDag[] = [];
  /** > 0 while running code that may or may not run (an undecidable `if`, a loop over unknown values). */
  uncertain = 0;
  protected readonly contexts: Context[] = [];
  /** Open `with setup_or_teardown:` blocks: the tasks created inside each. */
  protected readonly setupTeardown: TaskNode[][] = [];


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

  /** Runs code that may or may not run at run time (a branch, a loop over values not known statically). */
  uncertainly<T>(body: () => T): T {
    this.uncertain++;
    try {
      return body();
    } finally {
      this.uncertain--;
    }
  }

  withContext<T>(context: Context, body: () => T): T {
    this.contexts.push(context);
    try {
      return body();
    } finally {
      this.contexts.pop();
    }
  }

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
  protected linkedTasks(value: Value, ofGroup: 'roots' | 'leaves'): readonly TaskNode[] | null {
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

  protected isDependency(value: Value): boolean {
    return value.kind === 'task' || value.kind === 'group' || value.kind === 'label';
  }

  /** Airflow's `chain(*tasks)`: lists next to lists are linked pairwise. */
  protected chain(values: readonly Value[]): void {
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
  protected chainLinear(values: readonly Value[]): void {
    for (let i = 0; i + 1 < values.length; i++) {
      const previous = values[i]!;
      const items = previous.kind === 'list' ? previous.items : [previous];
      if (previous.kind === 'list' && previous.incomplete) this.markPartial(this.dagOf(values[i + 1]!));
      for (const item of items) this.link(item, values[i + 1]!);
    }
  }

  /** All XComArgs inside a call's arguments: each makes its task upstream of the new one. */
  protected xcomUpstreams(values: Iterable<Value>, found: TaskNode[] = [], depth = 0): TaskNode[] {
    if (depth > 8) return found;
    for (const value of values) {
      if (value.kind === 'task' && value.xcom) found.push(value.task);
      else if (value.kind === 'xcomArgs') found.push(...value.tasks);
      else if (value.kind === 'list') this.xcomUpstreams(value.items, found, depth + 1);
      else if (value.kind === 'dict') this.xcomUpstreams([...value.entries.values()].flat(), found, depth + 1);
    }
    return found;
  }
}
