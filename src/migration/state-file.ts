// One dagster-airlift proxied-state file, read the way airlift reads it at DAG parse time (parsed in
// state-parse.ts, loaded with the YAML library only when the repository has proxied state). Pure.
// From dagster-io/dagster, python_modules/libraries/dagster-airlift/dagster_airlift/in_airflow/proxied_state.py:
// - load_proxied_state_from_yaml walks one folder (not its subfolders), takes every `.yaml`/`.yml` file,
//   names its DAG by the file's stem, and reads it with PyYAML's safe_load (YAML 1.1: `yes`/`on` are true);
//   anything wrong in any file raises ProxiedStateParsingError, which fails the whole load;
// - DagProxiedState.from_dict: a mapping with exactly one of `tasks` (a list) or `proxied` (true, false or null);
// - TaskProxiedState.from_dict: each task a mapping of exactly `id` and `proxied` (a boolean);
// - the tasks go into a dict keyed by id: a task listed twice keeps its last entry, silently.
import type { ProblemKind } from './model.js';

export interface TaskState {
  readonly id: string;
  readonly proxied: boolean;
  /** 1-based line of the task's entry. */
  readonly line: number;
}

/** What airlift takes from a valid file: the whole DAG proxied (or not), or a list of tasks. */
export type ProxiedState =
  | { readonly level: 'dag'; readonly proxied: boolean }
  /** Tasks in file order, duplicates kept (airlift keeps the last of each id). */
  | { readonly level: 'task'; readonly tasks: readonly TaskState[] };

export interface FileProblem {
  readonly kind: ProblemKind;
  readonly line: number;
  readonly message: string;
  readonly taskId?: string;
}

export interface StateFile {
  readonly path: string;
  readonly dagId: string;
  /** Absent when airlift cannot load the file. */
  readonly state?: ProxiedState;
  /** Malformed content and duplicate tasks: what the file alone shows. */
  readonly problems: readonly FileProblem[];
}

export const STATE_SUFFIX = /\.ya?ml$/;

/** True for a file load_proxied_state_from_yaml reads: `<folder>/<dag id>.yaml` or `.yml`. */
export function isStateFile(path: string, folder: string): boolean {
  const name = path.slice(folder.length + 1);
  return path.startsWith(`${folder}/`) && !name.includes('/') && STATE_SUFFIX.test(name) && name.length > '.yml'.length;
}

/** The proxied flag of each task as airlift ends up with it: the last entry of each id wins. */
export function proxiedTasks(state: ProxiedState): Map<string, boolean> {
  return state.level === 'task' ? new Map(state.tasks.map((task) => [task.id, task.proxied])) : new Map();
}
