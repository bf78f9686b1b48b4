// Where dagster-airlift keeps what it fetched from Airflow for a code location, and so what makes the
// location show a push. Read from the location's defs-state keys (WorkspaceLocationEntry.defsStateInfo):
// AirflowInstanceComponent (dagster_airlift/core/components/airflow_instance/component.py) is a
// state-backed component keyed `AirflowInstanceComponent[<instance>]`, whose `defs_state` says
//   LEGACY_CODE_SERVER_SNAPSHOTS: fetched whenever a code server loads: a reload refreshes it;
//   VERSIONED_STATE_STORAGE:      read from state storage at load: refresh the stored state, then reload;
//   LOCAL_FILESYSTEM:             written at build time and baked into the image: only a rebuild helps.
// build_defs_from_airflow_instance has no key and fetches at load, like the first. Pure.
import type { RefreshCase } from '../outcome.js';
import type { DagsterKind } from './endpoint.js';
import type { LocationView, StateKey } from './discover.js';

export interface LocationState {
  readonly case: RefreshCase;
  /** The AirflowInstanceComponent keys of the instances considered, as the location loaded them. */
  readonly keys: readonly StateKey[];
  /** Why, in words: what the case was read from. */
  readonly evidence: string;
}

export function componentStateKey(instance: string): string {
  return `AirflowInstanceComponent[${instance}]`;
}

/**
 * The case of one location for the instances it is reloaded for. `statesShown`: the server's schema has
 * WorkspaceLocationEntry.defsStateInfo (older Dagster+ schemas do not, and then a location without keys
 * may still be a component). One key baked into the image decides: a reload cannot help it.
 */
export function locationState(location: LocationView, instances: readonly string[], statesShown: boolean): LocationState {
  const wanted = new Set(instances.map(componentStateKey));
  const keys = location.stateKeys.filter((state) => wanted.has(state.key));
  const of = (management: string) => keys.filter((state) => state.management === management);
  const named = (found: readonly StateKey[]) => found.map((state) => state.key).join(', ');

  const baked = of('LOCAL_FILESYSTEM');
  if (baked.length) {
    return {
      case: 'image-state',
      keys: baked,
      evidence: `${named(baked)} uses defs_state LOCAL_FILESYSTEM: its Airflow state was fetched when the image was built, and a reload serves that same state.`,
    };
  }
  const stored = of('VERSIONED_STATE_STORAGE');
  if (stored.length) {
    return {
      case: 'versioned-state',
      keys: stored,
      evidence: `${named(stored)} uses defs_state VERSIONED_STATE_STORAGE: the location loads the latest stored state, which a reload does not refetch.`,
    };
  }
  const snapshots = of('LEGACY_CODE_SERVER_SNAPSHOTS');
  if (snapshots.length) {
    return { case: 'code-server-snapshot', keys: snapshots, evidence: `${named(snapshots)} uses defs_state LEGACY_CODE_SERVER_SNAPSHOTS: fetched from Airflow whenever the code server loads.` };
  }
  if (keys.length) {
    return { case: 'unknown', keys, evidence: `${named(keys)} has no recorded state, so where it keeps its Airflow state is not known.` };
  }
  if (!statesShown) {
    return { case: 'unknown', keys, evidence: "This Dagster's API does not show defsStateInfo, so where airlift keeps its Airflow state is not known." };
  }
  return {
    case: 'code-server-snapshot',
    keys,
    evidence: 'No AirflowInstanceComponent state key: the definitions are built from Airflow when the code server loads (build_defs_from_airflow_instance).',
  };
}

/** The command that refreshes stored or baked state, and where it runs. */
export function refreshCommand(kind: DagsterKind): string {
  return kind === 'dagster-plus'
    ? '`dg plus deploy refresh-defs-state` (from the Dagster project\'s directory, with a Dagster+ token, as the deploy workflow that `dg scaffold github-actions` writes does)'
    : '`dg utils refresh-defs-state` (from the Dagster project\'s directory, in an environment whose dagster.yaml configures defs_state_storage and can reach Airflow)';
}
