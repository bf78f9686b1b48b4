// Whether a reloaded location shows the pushed change, and if not, the likeliest reason. Pure.
import type { LocationView, Stamp } from './discover.js';

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
  return { ...result, ...diagnose(after, expected.instance, before.stamp, missing.length > 0 || stale.length > 0) };
}

function diagnose(after: LocationView, instance: string, before: Stamp, dagsDiffer: boolean): { message: string; fix: string } {
  if (!after.airflow.has(instance) && after.unattributed.length === 0) {
    const mirrored = [...after.airflow.keys()];
    return {
      message: `Code location "${after.name}" does not mirror Airflow instance "${instance}" (it mirrors ${mirrored.length ? mirrored.map((name) => `"${name}"`).join(', ') : 'no Airflow instance'}).`,
      fix: 'Check that the instance name matches AirflowInstance(name=...) in the location, and code-locations.',
    };
  }
  if (dagsDiffer && sameStamp(before, after.stamp)) {
    return {
      message: `Code location "${after.name}" answered the reload, but its server did not re-import the definitions (same server and timestamp as before), so airlift did not fetch Airflow again. A code server started with \`dagster api grpc\` (the Helm chart's default) only serves its cached definitions on reload.`,
      fix: 'Run the code server with `dagster code-server start`, which re-imports on reload, or restart the code server (its deployment or container) after each push.',
    };
  }
  const state = after.stateKeys.find((key) => key.key === `AirflowInstanceComponent[${instance}]`);
  if (state?.management === 'LOCAL_FILESYSTEM') {
    return {
      message: `Code location "${after.name}" reloaded, but AirflowInstanceComponent "${instance}" keeps its Airflow state in the image (defs_state LOCAL_FILESYSTEM): a reload does not fetch Airflow again.`,
      fix: 'Rebuild and redeploy the location after refreshing the state (`dg utils refresh-defs-state`), or set defs_state to LEGACY_CODE_SERVER_SNAPSHOTS.',
    };
  }
  if (state?.management === 'VERSIONED_STATE_STORAGE') {
    return {
      message: `Code location "${after.name}" reloaded, but AirflowInstanceComponent "${instance}" reads stored Airflow state (version ${state.version ?? 'unknown'}), which does not include the change.`,
      fix: 'Refresh the component state first (`dg plus deploy refresh-defs-state`), then reload.',
    };
  }
  return {
    message: `Code location "${after.name}" reloaded with a new server, but the Airflow data airlift fetched does not show the change yet.`,
    fix: 'Airflow may not have serialized the DAGs when the location loaded: re-run the action (or raise airflow-timeout). If it persists, check the location\'s DAG filter (dag_selector_fn, retrieval_filter).',
  };
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  const equalWhenBoth = (x: string | undefined, y: string | undefined) => x === undefined || y === undefined || x === y;
  return a.updatedTimestamp === b.updatedTimestamp && equalWhenBoth(a.versionKey, b.versionKey) && equalWhenBoth(a.serverId, b.serverId);
}
