// Reloading one code location and waiting until the new definitions are served.
//
// Self-hosted, reloadRepositoryLocation runs the reload inline and answers with the new entry.
// On Dagster+ a reload is a redeploy: the mutation answers at once, and for a while the workspace
// may still show the old server as LOADED; so a LOADED entry counts only once it is newer than
// `before` (or after LOADING was seen). Polling reads statuses only (every Dagster has
// locationStatusesOrError); the definitions are read once, when the location has loaded.
import { ActionError } from '../model.js';
import { HttpError, deadlineIn, remaining, sleep, type Deadline } from '../http.js';
import type { DagsterClient } from './client.js';
import { readLocation, type LocationView, type Stamp } from './discover.js';
import { LOAD_UNDER_WAY, LOCATION_STATUSES, RELOAD } from './operations.js';
import { reloadData, statusesData, type ReloadAnswer } from './wire.js';

export interface ReloadOptions {
  /** `reload-timeout`: for the mutation and the wait together. Default 10 minutes. */
  readonly timeoutMs?: number;
  /** Between status polls. Default 5 s, as the Dagster UI. */
  readonly pollIntervalMs?: number;
}

export type ReloadOutcome = 'loaded' | 'load-error' | 'timed-out' | 'not-found' | 'not-supported' | 'unauthorized' | 'error';

export interface ReloadResult {
  readonly name: string;
  readonly outcome: ReloadOutcome;
  readonly message?: string;
  /** What the user can do about an outcome other than `loaded`. */
  readonly fix?: string;
  /** From sending the mutation until the location was read back (or the attempt ended). */
  readonly loadMs: number;
  readonly after?: LocationView;
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_POLL_MS = 5_000;

export async function reloadLocation(
  client: DagsterClient,
  name: string,
  before: LocationView,
  options: ReloadOptions = {},
): Promise<ReloadResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = deadlineIn(timeoutMs);
  const end = (outcome: ReloadOutcome, rest: Omit<ReloadResult, 'name' | 'outcome' | 'loadMs'> = {}): ReloadResult => ({
    name,
    outcome,
    loadMs: Date.now() - started,
    ...rest,
  });
  try {
    const sent = await sendReload(client, name, before.stamp, deadline, timeoutMs);
    const answer: ReloadAnswer | { readonly __typename: 'Started' } = sent === 'started' ? { __typename: 'Started' } : sent;
    switch (answer.__typename) {
      case 'ReloadNotSupported':
        return end('not-supported', {
          message: `Dagster cannot reload code location "${name}": ${answer.message}`,
          fix: 'Its code server is not one Dagster can reload in place: redeploy the location, or restart its code server.',
        });
      case 'RepositoryLocationNotFound':
        return end('not-found', {
          message: `Dagster has no code location "${name}": ${answer.message}`,
          fix: 'Check code-locations (names are case-sensitive), and that the deployment is the right one.',
        });
      case 'UnauthorizedError':
        return end('unauthorized', { message: `Dagster refused to reload "${name}": ${answer.message}`, fix: permissionFix(client) });
      case 'PythonError':
        return end('error', {
          message: `Dagster failed to reload "${name}": ${answer.message}`,
          fix: "The error is Dagster's own; check the webserver (or Dagster+ agent) logs, then re-run.",
        });
      case 'WorkspaceLocationEntry':
      case 'Started':
        break;
    }
    const inline = client.kind === 'self-hosted' && answer.__typename === 'WorkspaceLocationEntry' && answer.loadStatus === 'LOADED';
    if (!inline) {
      const waited = await waitUntilLoaded(client, name, before.stamp, deadline, options.pollIntervalMs ?? DEFAULT_POLL_MS);
      if (waited !== 'loaded') return end('timed-out', timedOut(name, timeoutMs, waited));
    }
    return await readBack(client, name, deadline, end);
  } catch (error) {
    return failed(error, name, timeoutMs, end);
  }
}

/**
 * Waits until a location serves a server newer than `before` without asking for a reload: after a
 * redeploy someone else started (the rebuild workflow, or another run's reload). Same outcomes and
 * timeout as reloadLocation. `seenLoading`: the caller saw this load LOADING, so the next LOADED is it.
 */
export async function awaitNewServer(client: DagsterClient, name: string, before: LocationView, options: ReloadOptions = {}, seenLoading = false): Promise<ReloadResult> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const deadline = deadlineIn(timeoutMs);
  const end = (outcome: ReloadOutcome, rest: Omit<ReloadResult, 'name' | 'outcome' | 'loadMs'> = {}): ReloadResult => ({ name, outcome, loadMs: Date.now() - started, ...rest });
  try {
    const waited = await waitUntilLoaded(client, name, before.stamp, deadline, options.pollIntervalMs ?? DEFAULT_POLL_MS, seenLoading);
    if (waited !== 'loaded') return end('timed-out', timedOut(name, timeoutMs, waited));
    return await readBack(client, name, deadline, end);
  } catch (error) {
    return failed(error, name, timeoutMs, end);
  }
}

/** A location's status as the light poll reads it (updateTimestamp in seconds, as Dagster's time.time()). */
export interface LoadStatus {
  readonly loadStatus: 'LOADING' | 'LOADED';
  readonly updateTimestamp: number;
}

/**
 * True when a load is under way that may bring the push: the location is LOADING, and the load began
 * at or after the push reached GitHub (`pushedAtMs`). One that began before cannot have fetched what
 * Airflow parsed of the push, so it is not worth waiting for. The push time, not the run's start: a
 * second run of the same push that starts while the first run's load is under way must join it.
 */
export function loadUnderWay(status: LoadStatus | undefined, pushedAtMs: number): boolean {
  return status?.loadStatus === 'LOADING' && status.updateTimestamp * 1000 >= pushedAtMs;
}

/** The location's status now; undefined when it is not listed or cannot be read. */
export async function readLoadStatus(client: DagsterClient, name: string, deadline?: Deadline): Promise<LoadStatus | undefined> {
  const statuses = (await client.send(LOAD_UNDER_WAY, statusesData, undefined, { deadline })).locationStatusesOrError;
  if (statuses.__typename === 'PythonError') return undefined;
  return statuses.entries.find((entry) => entry.name === name);
}

type End = (outcome: ReloadOutcome, rest?: Omit<ReloadResult, 'name' | 'outcome' | 'loadMs'>) => ReloadResult;

/** The loaded location, read once: its definitions or its load error. */
async function readBack(client: DagsterClient, name: string, deadline: Deadline, end: End): Promise<ReloadResult> {
  const after = await readLocation(client, name, deadline);
  if (!after) {
    return end('not-found', {
      message: `Code location "${name}" disappeared from the workspace while it reloaded.`,
      fix: 'Check the deployment: the location was removed or renamed during the reload.',
    });
  }
  if (after.loadError !== undefined) {
    return end('load-error', {
      message: `Code location "${name}" failed to load: ${after.loadError}`,
      fix: 'Fix the error in the location (it failed to import, or airlift could not reach Airflow), then re-run.',
      after,
    });
  }
  return end('loaded', { after });
}

function failed(error: unknown, name: string, timeoutMs: number, end: End): ReloadResult {
  if (error instanceof HttpError && error.kind === 'deadline') return end('timed-out', timedOut(name, timeoutMs, 'unanswered'));
  if (error instanceof HttpError && error.kind === 'auth') return end('unauthorized', { message: error.message, fix: error.fix });
  if (error instanceof HttpError || error instanceof ActionError) return end('error', { message: error.message, fix: error.fix });
  throw error;
}

const RELOAD_ATTEMPTS = 3;

/**
 * Sends the reload once. When the answer is lost (a reset, a gateway's 502 after Dagster acted),
 * the location's status says whether the reload started; only if it did not is it sent again:
 * a second reload on Dagster+ is a second redeploy.
 */
async function sendReload(client: DagsterClient, name: string, before: Stamp, deadline: Deadline, timeoutMs: number): Promise<ReloadAnswer | 'started'> {
  for (let attempt = 1; ; attempt++) {
    try {
      return (await client.send(RELOAD, reloadData, { name }, { deadline, requestTimeoutMs: timeoutMs, idempotent: false })).reloadRepositoryLocation;
    } catch (error) {
      if (!(error instanceof HttpError) || (error.kind !== 'server' && error.kind !== 'network') || attempt >= RELOAD_ATTEMPTS) throw error;
      if (await reloadStarted(client, name, before, deadline)) return 'started';
    }
  }
}

async function reloadStarted(client: DagsterClient, name: string, before: Stamp, deadline: Deadline): Promise<boolean> {
  const statuses = (await client.send(LOCATION_STATUSES, statusesData, undefined, { deadline })).locationStatusesOrError;
  if (statuses.__typename === 'PythonError') return false;
  const entry = statuses.entries.find((candidate) => candidate.name === name);
  return entry !== undefined && (entry.loadStatus === 'LOADING' || entry.updateTimestamp > before.updatedTimestamp);
}

type Waiting = 'loading' | 'old' | 'missing';

async function waitUntilLoaded(
  client: DagsterClient,
  name: string,
  before: Stamp,
  deadline: Deadline,
  intervalMs: number,
  seenLoading = false,
): Promise<'loaded' | Waiting> {
  // The mutation's own LOADING does not count: on Dagster+ the next poll may still show the old
  // server LOADED. A LOADING seen by a poll does: the LOADED after it is a new server.
  let seen = seenLoading;
  let state: Waiting = 'old';
  while (remaining(deadline) > 0) {
    await sleep(Math.min(intervalMs, remaining(deadline)));
    const statuses = await client.send(LOCATION_STATUSES, statusesData, undefined, { deadline }).then(
      (data) => data.locationStatusesOrError,
      (error: unknown) => {
        if (error instanceof HttpError && error.kind === 'deadline') return undefined;
        throw error;
      },
    );
    if (!statuses) return state;
    if (statuses.__typename === 'PythonError') throw new ActionError(`Dagster could not list location statuses: ${statuses.message}`, 'Check the webserver or Dagster+ deployment.');
    const entry = statuses.entries.find((candidate) => candidate.name === name);
    // A redeploying location can drop out of the list for a moment.
    if (!entry) state = 'missing';
    else if (entry.loadStatus === 'LOADING') state = 'loading';
    else if (seen || entry.updateTimestamp > before.updatedTimestamp) return 'loaded';
    else state = 'old';
    seen ||= state === 'loading';
  }
  return state;
}

function timedOut(name: string, timeoutMs: number, state: Waiting | 'unanswered'): Pick<ReloadResult, 'message' | 'fix'> {
  const after = timeoutMs < 120_000 ? `${Math.round(timeoutMs / 100) / 10} s` : `${Math.round(timeoutMs / 60_000)} min`;
  const what = {
    loading: `was still loading after ${after}`,
    old: `still served the server from before the reload after ${after} (the redeploy did not start)`,
    missing: `was not in the workspace after ${after}`,
    unanswered: `did not finish reloading within ${after}`,
  }[state];
  return {
    message: `Code location "${name}" ${what}.`,
    fix: 'Raise reload-timeout if the location takes longer to load; otherwise check the code server (on Dagster+, the agent) logs.',
  };
}

export function permissionFix(client: DagsterClient): string {
  return client.kind === 'dagster-plus'
    ? 'Use a Dagster+ user token with Editor or Admin rights in dagster-cloud-api-token (Viewer and agent tokens cannot reload).'
    : 'The webserver is read-only (dagster-webserver --read-only) or the identity in dagster-headers lacks permission: point dagster-url at a writable webserver, or fix dagster-headers.';
}
