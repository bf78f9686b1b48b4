// Airflow's object model, as far as task ids and dependencies go: DAGs, tasks,
// task groups, and the rules Airflow applies when they are linked. Below values.ts:
// it knows nothing of the interpreter's values.
import type { DagDefinition, Edge } from '../model.js';

/** A DAG object the file creates. `id` is null when it is not static (see DynamicDag). */
export class DagNode {
  readonly root: GroupNode;
  readonly tasks: TaskNode[] = [];
  readonly taskIds = new Set<string>();
  readonly usedGroupIds = new Set<string>();
  partial = false;

  constructor(
    readonly id: string | null,
    readonly line: number,
    /** How many undecidable conditions the DAG was created under: code under no more is sure to run when it exists. */
    readonly uncertainty = 0,
  ) {
    this.root = new GroupNode(null, false, true, null, this);
  }

  add(task: TaskNode): void {
    this.tasks.push(task);
    if (task.id !== null) this.taskIds.add(task.id);
    else this.partial = true;
  }
}

export class TaskNode {
  readonly upstream = new Set<TaskNode>();
  readonly downstream = new Set<TaskNode>();
  isSetup = false;
  isTeardown = false;

  constructor(
    /** The full id (group prefix included); null when not static. */
    readonly id: string | null,
    public dag: DagNode | null,
    readonly group: GroupNode | null,
  ) {}
}

export class GroupNode {
  readonly children: (TaskNode | GroupNode)[] = [];

  constructor(
    /** The id given to the group, before its parent's prefix; null for a DAG's root group. */
    readonly label: string | null,
    /** True when the given id is not static. */
    readonly dynamic: boolean,
    readonly prefix: boolean,
    readonly parent: GroupNode | null,
    readonly dag: DagNode | null,
  ) {}

  /** Airflow's `TaskGroup.group_id`; undefined when it is not static. */
  get groupId(): string | null | undefined {
    if (this.dynamic) return undefined;
    if (this.label !== null && this.parent?.prefix && this.parent.label !== null) return this.parent.childId(this.label);
    return this.label;
  }

  /** Airflow's `TaskGroup.child_id`: the id a task or group gets inside this group. */
  childId(label: string): string | undefined {
    if (!this.prefix) return label;
    const groupId = this.groupId;
    if (groupId === undefined) return undefined;
    return groupId ? `${groupId}.${label}` : label;
  }

  /** Every task in the group and its nested groups, in creation order. */
  allTasks(): TaskNode[] {
    const tasks: TaskNode[] = [];
    const stack: (TaskNode | GroupNode)[] = [...this.children].reverse();
    while (stack.length > 0) {
      const node = stack.pop()!;
      if (node instanceof TaskNode) tasks.push(node);
      else for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]!);
    }
    return tasks;
  }

  /** Tasks with no upstream inside the group (`TaskGroup.get_roots`), at the time of the call. */
  roots(): TaskNode[] {
    const tasks = this.allTasks();
    const inGroup = new Set(tasks);
    return tasks.filter((task) => ![...task.upstream].some((up) => inGroup.has(up)));
  }

  /**
   * Tasks with no downstream inside the group (`TaskGroup.get_leaves`). A teardown
   * is not a leaf: the last work task before it is.
   */
  leaves(): TaskNode[] {
    const tasks = this.allTasks();
    const inGroup = new Set(tasks);
    const leaves: TaskNode[] = [];
    const hasWorkDownstream = (task: TaskNode, exclude: TaskNode): boolean =>
      [...task.downstream].some((down) => down !== exclude && inGroup.has(down) && !down.isTeardown);
    const seen = new Set<TaskNode>();
    const beforeTeardown = (task: TaskNode): void => {
      if (seen.has(task)) return;
      seen.add(task);
      for (const up of task.upstream) {
        if (!inGroup.has(up)) continue;
        if (up.isTeardown) beforeTeardown(up);
        else if (task.isTeardown && up.isSetup) continue;
        else if (!hasWorkDownstream(up, task)) leaves.push(up);
      }
    };
    for (const task of tasks) {
      if ([...task.downstream].some((down) => inGroup.has(down))) continue;
      if (task.isTeardown) beforeTeardown(task);
      else leaves.push(task);
    }
    return leaves;
  }
}

/** Records `upstream >> downstream` between two tasks, following Airflow's rules for DAG membership. */
export function linkTasks(upstream: TaskNode, downstream: TaskNode): void {
  if (upstream === downstream) return;
  const dag = upstream.dag ?? downstream.dag;
  // Linking two tasks from different DAGs is an error in Airflow; the edge never exists.
  if (upstream.dag && downstream.dag && upstream.dag !== downstream.dag) return;
  if (dag) {
    adopt(upstream, dag);
    adopt(downstream, dag);
  }
  upstream.downstream.add(downstream);
  downstream.upstream.add(upstream);
}

/** A task made outside any DAG joins the DAG of a task it is linked to, as in Airflow. */
function adopt(task: TaskNode, dag: DagNode): void {
  if (task.dag) return;
  task.dag = dag;
  dag.add(task);
}

/**
 * The setups upstream of a teardown (or the teardowns downstream of a setup),
 * searched outward through neighbours as Airflow's `_get_setups` does.
 */
export function findRelated(managed: readonly TaskNode[], want: 'setup' | 'teardown'): TaskNode[] {
  const seen = new Set<TaskNode>(managed);
  let frontier = managed.flatMap((task) => [...(want === 'setup' ? task.upstream : task.downstream)]);
  for (let round = 0; round < 50 && frontier.length > 0; round++) {
    const found = frontier.filter((task) => (want === 'setup' ? task.isSetup : task.isTeardown));
    if (found.length > 0) return [...new Set(found)];
    const next: TaskNode[] = [];
    for (const task of frontier) {
      for (const neighbour of [...task.downstream, ...task.upstream]) {
        if (!seen.has(neighbour)) {
          seen.add(neighbour);
          next.push(neighbour);
        }
      }
    }
    frontier = next;
  }
  return [];
}

/**
 * What leaving `with setup_or_teardown:` does in Airflow: the setups go before
 * the roots of the work done inside, the teardowns after its leaves.
 */
export function wrapWork(setups: readonly TaskNode[], teardowns: readonly TaskNode[], created: readonly TaskNode[]): void {
  const work = created.filter((task) => !task.isSetup && !task.isTeardown);
  if (work.length === 0) return;
  const roots = work.filter((task) => task.upstream.size === 0);
  const leaves = work.filter((task) => task.downstream.size === 0);
  for (const setup of setups) for (const root of roots.length > 0 ? roots : [work[0]!]) linkTasks(setup, root);
  for (const leaf of leaves.length > 0 ? leaves : [work[work.length - 1]!]) for (const teardown of teardowns) linkTasks(leaf, teardown);
}

/**
 * The id Airflow gives a decorated task that is used more than once: `name`,
 * then `name__1`, `name__2`, ... (`get_unique_task_id`). Returns the id before
 * the group prefix is added.
 */
export function uniqueTaskId(taskId: string, dag: DagNode | null, group: GroupNode | null): string | undefined {
  if (!dag) return taskId;
  const inGroup = group ? group.childId(taskId) : taskId;
  if (inGroup === undefined) return undefined;
  if (!dag.taskIds.has(inGroup)) return taskId;
  const prefix = inGroup.replace(/__\d+$/, '');
  let highest = 0;
  for (const id of dag.taskIds) {
    if (id.length > prefix.length + 2 && id.startsWith(`${prefix}__`)) {
      const suffix = id.slice(prefix.length + 2);
      if (/^\d+$/.test(suffix)) highest = Math.max(highest, Number(suffix));
    }
  }
  return `${taskId.replace(/__\d+$/, '')}__${highest + 1}`;
}

/**
 * The group id a decorated task group gets when its id is taken: `group__1`, ...
 * (`add_suffix_on_collision`). Returns the label before the parent prefix.
 */
export function uniqueGroupLabel(label: string, parent: GroupNode, dag: DagNode): string | undefined {
  const full = parent.childId(label);
  if (full === undefined) return undefined;
  if (!dag.usedGroupIds.has(full)) return label;
  const base = label.replace(/__\d+$/, '');
  const fullBase = full.replace(/__\d+$/, '');
  let highest = 0;
  for (const id of dag.usedGroupIds) {
    if (id.startsWith(`${fullBase}__`)) {
      const suffix = id.slice(fullBase.length + 2);
      if (/^\d+$/.test(suffix)) highest = Math.max(highest, Number(suffix));
    }
  }
  return `${base}__${highest + 1}`;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The DAG as the model reports it: sorted, deduplicated task ids and edges. */
export function toDefinition(dag: DagNode, dagId: string): DagDefinition {
  const tasks = new Set<string>();
  const edges = new Map<string, Edge>();
  for (const task of dag.tasks) {
    if (task.id === null) continue;
    tasks.add(task.id);
    for (const down of task.downstream) {
      if (down.id !== null && down.dag === dag) edges.set(`${task.id}\u0000${down.id}`, [task.id, down.id]);
    }
  }
  return {
    dagId,
    line: dag.line,
    tasks: [...tasks].sort(compare),
    edges: [...edges.values()].sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1])),
    partial: dag.partial,
  };
}
