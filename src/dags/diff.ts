// How the DAGs of the changed files differ between the base and head revisions. Pure.
import type { DagChange, DagDefinition, DagFileRead, DagShape, Edge } from '../model.js';

interface Located {
  readonly dag: DagDefinition;
  readonly file: string;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const edgeKey = (edge: Edge): string => `${edge[0]}\u0000${edge[1]}`;

/**
 * One DagChange per DAG id found in the changed files at either revision.
 * `before` and `after` are the reads of the same changed files at base and head
 * (a file added by the push has no base read, a deleted one no head read).
 */
export function diffDagFiles(instance: string, before: readonly DagFileRead[], after: readonly DagFileRead[]): DagChange[] {
  const base = locate(before);
  const head = locate(after);
  // A file that could not be read at one revision hides its DAGs there: they are
  // neither added nor removed, only known to be touched.
  const skippedBefore = new Set(before.filter((read) => read.skipped).map((read) => read.path));
  const skippedAfter = new Set(after.filter((read) => read.skipped).map((read) => read.path));

  const ids = [...new Set([...base.keys(), ...head.keys()])].sort(compare);
  return ids.map((dagId): DagChange => {
    const was = base.get(dagId);
    const now = head.get(dagId);
    if (now && !was) {
      if (skippedBefore.has(now.file)) return unknownChange(instance, dagId, now, undefined);
      return change(instance, dagId, 'added', now, undefined, now.dag.partial);
    }
    if (was && !now) {
      if (skippedAfter.has(was.file)) return unknownChange(instance, dagId, undefined, was);
      return change(instance, dagId, 'removed', undefined, was, was.dag.partial);
    }
    const { tasksAdded, tasksRemoved, edgesAdded, edgesRemoved } = delta(was!.dag, now!.dag);
    const moved = was!.file !== now!.file;
    const changed = moved || tasksAdded.length + tasksRemoved.length + edgesAdded.length + edgesRemoved.length > 0;
    return {
      dagId,
      instance,
      kind: changed ? 'modified' : 'unchanged',
      file: now!.file,
      ...(moved ? { previousFile: was!.file } : {}),
      line: now!.dag.line,
      before: shape(was!.dag),
      after: shape(now!.dag),
      tasksAdded,
      tasksRemoved,
      edgesAdded,
      edgesRemoved,
      partial: was!.dag.partial || now!.dag.partial,
    };
  });
}

/** Each DAG id with the file defining it; a duplicate id keeps the first file in path order. */
function locate(reads: readonly DagFileRead[]): Map<string, Located> {
  const found = new Map<string, Located>();
  const ordered = [...reads].sort((a, b) => compare(a.path, b.path));
  for (const read of ordered) {
    for (const dag of read.dags) if (!found.has(dag.dagId)) found.set(dag.dagId, { dag, file: read.path });
  }
  return found;
}

function shape(dag: DagDefinition): DagShape {
  return { tasks: dag.tasks, edges: dag.edges };
}

function delta(was: DagShape, now: DagShape): Pick<DagChange, 'tasksAdded' | 'tasksRemoved' | 'edgesAdded' | 'edgesRemoved'> {
  const oldTasks = new Set(was.tasks);
  const newTasks = new Set(now.tasks);
  const oldEdges = new Set(was.edges.map(edgeKey));
  const newEdges = new Set(now.edges.map(edgeKey));
  const sortEdges = (edges: Edge[]): Edge[] => edges.sort((a, b) => compare(a[0], b[0]) || compare(a[1], b[1]));
  return {
    tasksAdded: now.tasks.filter((task) => !oldTasks.has(task)).sort(compare),
    tasksRemoved: was.tasks.filter((task) => !newTasks.has(task)).sort(compare),
    edgesAdded: sortEdges(now.edges.filter((edge) => !oldEdges.has(edgeKey(edge)))),
    edgesRemoved: sortEdges(was.edges.filter((edge) => !newEdges.has(edgeKey(edge)))),
  };
}

function change(
  instance: string,
  dagId: string,
  kind: 'added' | 'removed',
  now: Located | undefined,
  was: Located | undefined,
  partial: boolean,
): DagChange {
  const present = (now ?? was)!;
  return {
    dagId,
    instance,
    kind,
    file: present.file,
    line: present.dag.line,
    ...(was ? { before: shape(was.dag) } : {}),
    ...(now ? { after: shape(now.dag) } : {}),
    tasksAdded: now ? [...now.dag.tasks].sort(compare) : [],
    tasksRemoved: was ? [...was.dag.tasks].sort(compare) : [],
    edgesAdded: now ? [...now.dag.edges] : [],
    edgesRemoved: was ? [...was.dag.edges] : [],
    partial,
  };
}

/** The file was unreadable at the other revision: the DAG is touched, how is unknown. */
function unknownChange(instance: string, dagId: string, now: Located | undefined, was: Located | undefined): DagChange {
  const present = (now ?? was)!;
  return {
    dagId,
    instance,
    kind: 'modified',
    file: present.file,
    line: present.dag.line,
    ...(was ? { before: shape(was.dag) } : {}),
    ...(now ? { after: shape(now.dag) } : {}),
    tasksAdded: [],
    tasksRemoved: [],
    edgesAdded: [],
    edgesRemoved: [],
    partial: true,
  };
}
