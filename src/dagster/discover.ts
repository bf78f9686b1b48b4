// What Dagster's code locations are and which Airflow DAGs each mirrors, in as few queries as the
// server's schema allows: one workspace query for all of them, one entry query for a single one.
import { ActionError } from '../model.js';
import type { Deadline } from '../http.js';
import { airflowMirror, type DagView } from './airlift.js';
import type { DagsterClient } from './client.js';
import { LOCATION, WORKSPACE, WORKSPACE_DEFS_STATE, WORKSPACE_LEGACY } from './operations.js';
import { defsStateData, locationData, workspaceData, type LocationEntry } from './wire.js';

export type { DagSnapshot, DagView } from './airlift.js';

/** What changes when a location's server is replaced: compared before and after a reload. */
export interface Stamp {
  readonly updatedTimestamp: number;
  readonly versionKey?: string;
  readonly serverId?: string;
}

export interface StateKey {
  readonly key: string;
  readonly version?: string;
  /** DefsStateManagementType: LEGACY_CODE_SERVER_SNAPSHOTS, LOCAL_FILESYSTEM, VERSIONED_STATE_STORAGE. */
  readonly management?: string;
}

export interface LocationView {
  readonly name: string;
  readonly loadStatus: 'LOADING' | 'LOADED';
  /** Set when the location loaded with an error (Dagster reports that as LOADED). */
  readonly loadError?: string;
  readonly stamp: Stamp;
  /** instance → dag id → DAG; empty for a location that is not built by dagster-airlift. */
  readonly airflow: ReadonlyMap<string, ReadonlyMap<string, DagView>>;
  /** Airlift DAG jobs that cannot be tied to one instance (job-based definitions of several instances). */
  readonly unattributed: readonly string[];
  readonly stateKeys: readonly StateKey[];
}

export async function discoverLocations(client: DagsterClient, deadline?: Deadline, parseAfter?: Promise<void>): Promise<LocationView[]> {
  const operation = client.supports(WORKSPACE) ? WORKSPACE : WORKSPACE_LEGACY;
  // Read before the workspace, which the legacy document reads without them, so that each entry
  // becomes its view as soon as it is validated.
  const states = operation === WORKSPACE_LEGACY && client.supports(WORKSPACE_DEFS_STATE) ? await readStates(client, deadline, parseAfter) : undefined;
  const keep = (entry: LocationEntry) => toLocationView(states ? { ...entry, defsStateInfo: states.get(entry.name) ?? null } : entry);
  const workspace = (await client.send(operation, workspaceData(keep), undefined, { deadline, parseAfter })).workspaceOrError;
  if (workspace.__typename === 'PythonError') throw workspaceError(workspace.message);
  return workspace.locationEntries.sort((a, b) => a.name.localeCompare(b.name));
}

/** True when the views show where each location keeps its state (defsStateInfo), whichever document read them. */
export function showsDefsState(client: DagsterClient): boolean {
  return client.supports(WORKSPACE) || client.supports(WORKSPACE_DEFS_STATE);
}

async function readStates(client: DagsterClient, deadline: Deadline | undefined, parseAfter: Promise<void> | undefined): Promise<Map<string, LocationEntry['defsStateInfo']>> {
  const workspace = (await client.send(WORKSPACE_DEFS_STATE, defsStateData, undefined, { deadline, parseAfter })).workspaceOrError;
  if (workspace.__typename === 'PythonError') throw workspaceError(workspace.message);
  return new Map(workspace.locationEntries.map((entry) => [entry.name, entry.defsStateInfo]));
}

/**
 * One location's view, or undefined when the workspace has no location of that name. Read to confirm
 * a reload or a refresh: with the DAG records, which show whether airlift fetched Airflow again.
 */
export async function readLocation(client: DagsterClient, name: string, deadline?: Deadline): Promise<LocationView | undefined> {
  if (!client.supports(LOCATION)) {
    return (await discoverLocations(client, deadline)).find((location) => location.name === name);
  }
  const keep = (found: LocationEntry) => toLocationView(found);
  const entry = (await client.send(LOCATION, locationData(keep), { name }, { deadline })).workspaceLocationEntryOrError;
  if (entry === null) return undefined;
  if (entry.__typename === 'PythonError') throw workspaceError(entry.message);
  return entry.kept;
}

function toLocationView(entry: LocationEntry): LocationView {
  const stateKeys = (entry.defsStateInfo?.keyStateInfo ?? []).map(
    (state): StateKey => ({ key: state.name, version: state.info?.version, management: state.info?.managementType }),
  );
  const location = entry.locationOrLoadError;
  const repositories = location?.__typename === 'RepositoryLocation' ? location.repositories : [];
  const mirror = airflowMirror(repositories, stateKeys.map((state) => state.key));
  return {
    name: entry.name,
    loadStatus: entry.loadStatus,
    loadError: location?.__typename === 'PythonError' ? loadErrorText(location) : undefined,
    stamp: {
      updatedTimestamp: entry.updatedTimestamp,
      versionKey: entry.versionKey,
      serverId: location?.__typename === 'RepositoryLocation' ? (location.serverId ?? undefined) : undefined,
    },
    airflow: mirror.airflow,
    unattributed: mirror.unattributed,
    stateKeys,
  };
}

/** The load error with its causes: Dagster's own message only says that loading failed, the last cause says why. */
function loadErrorText(error: { message: string; errorChain: readonly { error: { message: string } }[] }): string {
  return [error.message, ...error.errorChain.map((link) => link.error.message)].map((message) => message.trim()).join('\nCaused by: ');
}

function workspaceError(message: string): ActionError {
  return new ActionError(
    `Dagster could not list its code locations: ${message}`,
    'This is an error inside Dagster (its workspace failed to load); check the webserver or Dagster+ deployment.',
  );
}
