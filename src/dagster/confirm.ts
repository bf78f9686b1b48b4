// Whether a reloaded location shows the pushed change, and if not, the likeliest reason. Pure.
import type { LocationView, Stamp } from './discover.js';
import { componentStateKey } from './state.js';

export interface ExpectedChange {
  /** The Airflow instance (its dagster-airlift name). */
  readonly instance: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** Modified DAGs with their task ids at head. */
  readonly modified: readonly { readonly dagId: string; readonly tasks: readonly string[] }[];
}

export interface Confirmation {
  readonly inSync: boolean;
  /** Added or modified DAGs the location does not show. */
  readonly missing: readonly string[];
  /** Removed DAGs the location still shows. */
  readonly stale: readonly string[];
  /** Tasks the location maps for a modified DAG that the DAG no longer has. */
  readonly staleTasks: readonly { readonly dagId: string; readonly tasks: readonly string[] }[];
  readonly message?: string;
  readonly fix?: string;
}

export function confirm(after: LocationView, expected: ExpectedChange, before: LocationView): Confirmation {
  const dags = after.airflow.get(expected.instance);
  // Job-based airlift definitions of several instances cannot be told apart: a dag id found
  // there counts as present, but never as a stale leftover of this instance.
  const present = (dagId: string) => (dags?.has(dagId) ?? false) || after.unattributed.includes(dagId);
  const missing = [...expected.added, ...expected.modified.map((dag) => dag.dagId)].filter((dagId) => !present(dagId));
  const stale = expected.removed.filter((dagId) => dags?.has(dagId));
  const staleTasks = expected.modified.flatMap(({ dagId, tasks }) => {
    const extra = (dags?.get(dagId)?.tasks ?? []).filter((task) => !tasks.includes(task));
    return extra.length ? [{ dagId, tasks: extra }] : [];
  });
  const result = { inSync: missing.length + stale.length + staleTasks.length === 0, missing, stale, staleTasks };
  if (result.inSync) return result;
  return { ...result, ...diagnose(after, expected.instance, before, missing.length > 0 || stale.length > 0) };
}

function diagnose(after: LocationView, instance: string, before: LocationView, dagsDiffer: boolean): { message: string; fix: string } {
  if (!after.airflow.has(instance) && after.unattributed.length === 0) {
    const mirrored = [...after.airflow.keys()];
    return {
      message: `Code location "${after.name}" does not mirror Airflow instance "${instance}" (it mirrors ${mirrored.length ? mirrored.map((name) => `"${name}"`).join(', ') : 'no Airflow instance'}).`,
      fix: 'Check that the instance name matches AirflowInstance(name=...) in the location, and code-locations.',
    };
  }
  if (dagsDiffer && reused(before, after)) return notReimported(after.name);
  const state = after.stateKeys.find((key) => key.key === componentStateKey(instance));
  if (state?.management === 'LOCAL_FILESYSTEM') {
    return {
      message: `Code location "${after.name}" has a new server, but AirflowInstanceComponent "${instance}" keeps its Airflow state in the image (defs_state LOCAL_FILESYSTEM), and the state built into it does not show the change.`,
      fix: 'The workflow that builds the image must run `dg utils refresh-defs-state` (`dg plus deploy refresh-defs-state` on Dagster+) after Airflow has parsed the push, before building: check rebuild-workflow\'s steps.',
    };
  }
  if (state?.management === 'VERSIONED_STATE_STORAGE') {
    return {
      message: `Code location "${after.name}" reloaded, but AirflowInstanceComponent "${instance}" serves stored Airflow state (version ${state.version ?? 'unknown'}), which does not include the change.`,
      fix: 'Re-run the action to refresh the stored state again; if it persists, check the component\'s DAG filter and that the code server reaches the same Airflow.',
    };
  }
  return {
    message: `Code location "${after.name}" reloaded with a new server, but the Airflow data airlift fetched does not show the change yet.`,
    fix: 'Airflow may not have serialized the DAGs when the location loaded: re-run the action (or raise airflow-timeout). If it persists, check the location\'s DAG filter (dag_selector_fn, retrieval_filter).',
  };
}

/**
 * True when the reload served the very server and definitions it served before: the same server, and
 * not one airlift fetch differs. A server started with a fixed server id (`dagster code-server start
 * --fixed-server-id`) keeps its id across real reloads, so the id alone never says so.
 */
export function reused(before: LocationView, after: LocationView): boolean {
  return sameServer(before.stamp, after.stamp) && !refetched(before, after);
}

/**
 * True when what airlift fetched differs between the two views: the DAGs, their mapped tasks, the DAG
 * records (Airflow re-parses every file on a timer, so a new fetch brings new parse times) or the
 * state versions. Only a load that fetched Airflow again (or loaded other stored state) changes them.
 */
export function refetched(before: LocationView, after: LocationView): boolean {
  return fetched(before) !== fetched(after);
}

function fetched(view: LocationView): string {
  const dags = [...view.airflow]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([instance, byId]) => [instance, [...byId].sort(([a], [b]) => a.localeCompare(b)).map(([dagId, dag]) => [dagId, dag.tasks, dag.snapshot ?? null])]);
  return JSON.stringify([dags, view.unattributed, view.stateKeys.map((state) => [state.key, state.version ?? null])]);
}

/**
 * True when the location still runs the server it ran before. Dagster gives a reloaded entry a new
 * updatedTimestamp even when the server stayed (workspace/context.py, _load_location), so the server id
 * decides, then versionKey (Dagster's is the server id for code servers), and the timestamp only
 * when the schema shows neither. `dagster code-server start` gets a new id from the process it restarts.
 */
export function sameServer(before: Stamp, after: Stamp): boolean {
  if (before.serverId !== undefined && after.serverId !== undefined) return before.serverId === after.serverId;
  if (before.versionKey !== undefined && after.versionKey !== undefined) return before.versionKey === after.versionKey;
  return before.updatedTimestamp === after.updatedTimestamp;
}

/** Why a reload answered success and changed nothing. */
export function notReimported(location: string): { message: string; fix: string } {
  return {
    message: `Code location "${location}" answered the reload, but its server did not re-import the definitions (same server id as before, and not one DAG record airlift fetched from Airflow changed), so airlift did not fetch Airflow again. A code server started with \`dagster api grpc\` (the Helm chart's default) only serves its cached definitions on reload.`,
    fix: 'Run the code server with `dagster code-server start`, which re-imports on reload, or restart the code server (its deployment or container) after each push.',
  };
}
