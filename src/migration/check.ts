// The proxied-state files of a push checked against the DAGs it defines, and the migration
// progress per DAG with what the push changes. Pure. What airlift does with each mistake is read
// from dagster-io/dagster, python_modules/libraries/dagster-airlift/dagster_airlift/in_airflow/:
// proxied_state.py (loading: any bad file raises ProxiedStateParsingError) and proxying_fn.py
// (proxying_to_dagster: walks only the DAGs in the calling file's globals; a listed task missing from
// its DAG raises "Task with id ... not found in dag ..."; state for any other DAG id is never read).
import type { MigrationDag, MigrationProblem } from './model.js';
import { proxiedTasks, type ProxiedState, type StateFile } from './state-file.js';

/** A DAG as read at head, with whether its file applies proxied state. */
export interface DagAtHead {
  readonly file: string;
  readonly tasks: readonly string[];
  readonly partial: boolean;
  /** The file calls proxying_to_dagster, so its DAGs' state files are applied at parse time. */
  readonly applied: boolean;
}

export interface InstanceState {
  readonly instance: string;
  readonly head: readonly StateFile[];
  readonly base: readonly StateFile[];
  readonly dags: ReadonlyMap<string, DagAtHead>;
  /** DAG files that call proxying_to_dagster: they fail to import when a state file is malformed. */
  readonly loaders: readonly string[];
  /** Some DAG ids of those files cannot be read statically: a state file without a DAG may have one. */
  readonly dynamicIds: boolean;
}

export function checkState(input: InstanceState): { dags: MigrationDag[]; problems: MigrationProblem[] } {
  const problems: MigrationProblem[] = [];
  for (const file of input.head) {
    for (const problem of file.problems) {
      if (problem.kind === 'malformed') {
        const loaders = input.loaders.length ? input.loaders.map((path) => `\`${path}\``).join(', ') : 'every DAG file that loads this folder';
        problems.push({
          kind: 'malformed',
          effect: 'import-error',
          file: file.path,
          line: problem.line,
          dagId: file.dagId,
          message: `${problem.message}. load_proxied_state_from_yaml raises ProxiedStateParsingError for the whole folder: ${loaders} will fail to import in Airflow.`,
        });
      } else {
        problems.push({ ...problem, effect: 'last-entry-wins', file: file.path, dagId: file.dagId, message: `${problem.message}.` });
      }
    }
    const dag = input.dags.get(file.dagId);
    if (!dag) {
      if (file.state && !input.dynamicIds) {
        problems.push({
          kind: 'unknown-dag',
          effect: 'ignored',
          file: file.path,
          line: 1,
          dagId: file.dagId,
          message: `No DAG has the id \`${file.dagId}\` (the file's name): proxying_to_dagster never reads this file, so nothing it lists is proxied. Rename the file to the DAG's id.`,
        });
      }
      continue;
    }
    if (file.state?.level !== 'task' || dag.partial || !dag.applied) continue;
    const known = new Set(dag.tasks);
    const reported = new Set<string>();
    for (const task of file.state.tasks) {
      if (known.has(task.id) || reported.has(task.id)) continue;
      reported.add(task.id);
      problems.push({
        kind: 'unknown-task',
        effect: 'import-error',
        file: file.path,
        line: task.line,
        dagId: file.dagId,
        taskId: task.id,
        message: `DAG \`${file.dagId}\` has no task \`${task.id}\`: proxying_to_dagster raises "Task with id \`${task.id}\` not found in dag \`${file.dagId}\`" and \`${dag.file}\` will fail to import in Airflow (whatever its \`proxied:\`).`,
      });
    }
  }
  return { dags: progress(input), problems };
}

function progress(input: InstanceState): MigrationDag[] {
  const head = new Map(input.head.map((file) => [file.dagId, file]));
  const base = new Map(input.base.map((file) => [file.dagId, file]));
  const ids = [...new Set([...head.keys(), ...base.keys()])].sort();
  return ids.flatMap((dagId): MigrationDag[] => {
    const now = head.get(dagId);
    const before = base.get(dagId);
    // A file airlift cannot load has no state to show; its problem says why.
    if (now && !now.state) return [];
    const dag = input.dags.get(dagId);
    const after = proxiedSet(now?.state);
    const earlier = proxiedSet(before?.state);
    const level = now?.state?.level ?? 'none';
    const tasks = now?.state?.level === 'task' ? [...proxiedTasks(now.state)].filter(([, proxied]) => proxied).map(([id]) => id) : [];
    return [
      {
        dagId,
        instance: input.instance,
        file: (now ?? before)!.path,
        level,
        ...(now?.state?.level === 'dag' ? { dagProxied: now.state.proxied } : {}),
        proxiedTasks: tasks.filter((task) => !dag || dag.tasks.includes(task)).sort(),
        ...(dag ? { totalTasks: dag.tasks.length } : {}),
        partial: dag?.partial ?? false,
        // A base file airlift could not load had no effect either: everything proxied at head is new.
        newlyProxied: [...after].filter((task) => !earlier.has(task)).sort(),
        returnedToAirflow: [...earlier].filter((task) => !after.has(task)).sort(),
      },
    ];
  });
}

/** Proxied task ids; `*` for a DAG proxied whole. */
function proxiedSet(state: ProxiedState | undefined): Set<string> {
  if (!state) return new Set();
  if (state.level === 'dag') return new Set(state.proxied ? ['*'] : []);
  return new Set([...proxiedTasks(state)].filter(([, proxied]) => proxied).map(([id]) => id));
}
