// Refreshing a VERSIONED_STATE_STORAGE component's Airflow state in Dagster's state storage, as the
// Dagster UI's Refresh button does: refreshComponentState makes the code server fetch Airflow again
// and store a new version. The resolver waits a bounded time: Success (stored), Error (the code server
// failed, e.g. could not reach Airflow), or Accepted (still running: poll latestDefsStateInfo until the
// key's version changes; the UI polls every 3 s for up to 5 minutes). The location still serves the old
// version until it reloads, which the caller does.
import { ActionError } from '../model.js';
import { HttpError, deadlineIn, remaining, sleep, type Deadline } from '../http.js';
import type { DagsterClient } from './client.js';
import { LATEST_DEFS_STATE, REFRESH_COMPONENT_STATE } from './operations.js';
import { permissionFix } from './reload.js';
import { latestStateData, refreshStateData } from './wire.js';

export interface StateRefreshOptions {
  /** `state-refresh-timeout`: for the mutation and the polling together. Default 5 minutes. */
  readonly timeoutMs?: number;
  /** Between latestDefsStateInfo polls. Default 3 s, as the Dagster UI. */
  readonly pollIntervalMs?: number;
}

export interface KeyRefresh {
  readonly key: string;
  /** The latest stored version before the refresh. */
  readonly before?: string;
  readonly after: string;
}

export type StateRefreshResult =
  | { readonly ok: true; readonly keys: readonly KeyRefresh[] }
  | {
      readonly ok: false;
      readonly outcome: 'unauthorized' | 'error' | 'timed-out';
      readonly message: string;
      readonly fix: string;
      readonly input?: string;
      /** The keys refreshed before the one that failed. */
      readonly keys: readonly KeyRefresh[];
    };

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
const DEFAULT_POLL_MS = 3_000;

/** The server can refresh a component's state and show the stored versions. */
export function canRefreshState(client: DagsterClient): boolean {
  return client.supports(REFRESH_COMPONENT_STATE) && client.supports(LATEST_DEFS_STATE);
}

export async function refreshState(client: DagsterClient, location: string, keys: readonly string[], options: StateRefreshOptions = {}): Promise<StateRefreshResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const intervalMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  const deadline = deadlineIn(timeoutMs);
  const done: KeyRefresh[] = [];
  const fail = (outcome: 'unauthorized' | 'error' | 'timed-out', message: string, fix: string, input?: string): StateRefreshResult => ({
    ok: false,
    outcome,
    message,
    fix,
    ...(input ? { input } : {}),
    keys: done,
  });
  try {
    for (const key of keys) {
      const before = (await latestVersions(client, deadline)).get(key);
      const answer = (
        await client.send(REFRESH_COMPONENT_STATE, refreshStateData, { locationName: location, defsStateKey: key }, { deadline, requestTimeoutMs: timeoutMs })
      ).refreshComponentState;
      const what = `the Airflow state ${key} of code location "${location}"`;
      switch (answer.__typename) {
        case 'RefreshComponentStateError':
          return fail(
            'error',
            `Dagster could not refresh ${what}: ${answer.message}`,
            'The refresh runs airlift in the code server: check that the code server can reach Airflow with its credentials (the message above is its own), then re-run.',
          );
        case 'UnauthorizedError':
          return fail('unauthorized', `Dagster refused to refresh ${what}: ${answer.message}`, permissionFix(client));
        case 'PythonError':
          return fail(
            'error',
            `Dagster failed to refresh ${what}: ${answer.message}`,
            "The error is Dagster's own (for example, no defs_state_storage configured on the instance): check the webserver (or Dagster+ agent) logs, then re-run.",
          );
        case 'RefreshComponentStateSuccess': {
          const after = answer.component.defsStateInfo?.version ?? (await latestVersions(client, deadline)).get(key);
          if (after !== undefined) {
            done.push({ key, ...(before !== undefined ? { before } : {}), after });
            break;
          }
          return fail('error', `Dagster answered that it refreshed ${what}, but state storage shows no version of it.`, 'Check the component and the state storage in the Dagster UI.');
        }
        case 'RefreshComponentStateAccepted': {
          const after = await newVersion(client, key, before, deadline, intervalMs);
          if (after === undefined) {
            return fail(
              'timed-out',
              `${capitalized(what)} was still refreshing after ${duration(timeoutMs)} (state storage kept version ${before ?? 'none'}).`,
              'Raise state-refresh-timeout if fetching from Airflow takes longer; otherwise check the code server logs.',
              'state-refresh-timeout',
            );
          }
          done.push({ key, ...(before !== undefined ? { before } : {}), after });
          break;
        }
      }
    }
    return { ok: true, keys: done };
  } catch (error) {
    if (error instanceof HttpError && error.kind === 'deadline') {
      return fail('timed-out', `Refreshing the Airflow state of code location "${location}" did not finish within ${duration(timeoutMs)}.`, 'Raise state-refresh-timeout, or check the code server logs.', 'state-refresh-timeout');
    }
    if (error instanceof HttpError && error.kind === 'auth') return fail('unauthorized', error.message, error.fix);
    if (error instanceof HttpError || error instanceof ActionError) return fail('error', error.message, error.fix);
    throw error;
  }
}

/** key → the version state storage holds. */
async function latestVersions(client: DagsterClient, deadline: Deadline): Promise<Map<string, string>> {
  const info = (await client.send(LATEST_DEFS_STATE, latestStateData, undefined, { deadline })).latestDefsStateInfo;
  return new Map((info?.keyStateInfo ?? []).flatMap((entry) => (entry.info ? [[entry.name, entry.info.version] as const] : [])));
}

/** Polls until the stored version of `key` differs from `before`; undefined at the deadline. */
async function newVersion(client: DagsterClient, key: string, before: string | undefined, deadline: Deadline, intervalMs: number): Promise<string | undefined> {
  while (remaining(deadline) > 0) {
    await sleep(Math.min(intervalMs, remaining(deadline)));
    if (remaining(deadline) === 0) break;
    let version: string | undefined;
    try {
      version = (await latestVersions(client, deadline)).get(key);
    } catch (error) {
      // A poll the deadline cut short says the same as one that saw the old version.
      if (error instanceof HttpError && error.kind === 'deadline') break;
      throw error;
    }
    if (version !== undefined && version !== before) return version;
  }
  return undefined;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function duration(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 60_000)} min`;
}
