// Stage 2: live Airflow. Connect to each instance (the version decides the
// .airflowignore syntax and the API), then wait until it has parsed the push.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { connectAirflow, type AirflowClient } from '../airflow/client.js';
import { waitUntilParsed } from '../airflow/wait.js';
import { deadlineIn, HttpError } from '../http.js';
import type { AirflowInstanceConfig, Config } from '../inputs.js';
import { throttled, type Logger } from '../log.js';
import type { AirflowReport, Failure, NotChecked } from '../outcome.js';
import type { LiveInstance } from '../plan.js';
import { toFailure } from '../failure.js';
import type { ChangesStage } from './changes.js';

const CONNECT_TIMEOUT_MS = 60_000;

export interface ConnectedAirflow {
  readonly index: number;
  readonly config: AirflowInstanceConfig;
  readonly client?: AirflowClient;
  /** Set when the connection failed. */
  readonly failure?: Failure;
  /** Set when Airflow wants credentials and none were given (a fork pull request gets no secrets). */
  readonly notChecked?: NotChecked;
}

export interface AirflowStage {
  readonly reports: readonly AirflowReport[];
  readonly failures: readonly Failure[];
  readonly live: readonly LiveInstance[];
  /** False when any instance did not show the push: reloading then would cache the old state. */
  readonly caughtUp: boolean;
  readonly notChecked: readonly NotChecked[];
}

/** wait: until Airflow has parsed the push; snapshot: what Airflow holds now (a pull request, whose code never reaches it). */
export type AirflowMode = 'wait' | 'snapshot';

export async function connectAirflows(config: Config, log: Logger): Promise<ConnectedAirflow[]> {
  return Promise.all(
    config.instances.map(async (instance, index): Promise<ConnectedAirflow> => {
      if (!instance.airflow) return { index, config: instance };
      const connection = instance.airflow;
      try {
        const client = await connectAirflow(
          {
            url: connection.url,
            auth: connection.auth,
            headers: connection.headers,
            apiVersion: connection.apiVersion,
            log: (line) => log.debug(line),
            instance: instance.name ?? connection.url.host,
            authInput: connection.authInput,
            urlInput: connection.urlInput,
          },
          // A user's short airflow-timeout bounds the connection too: a server that stalls must not hold the run for a minute.
          deadlineIn(Math.min(CONNECT_TIMEOUT_MS, config.airflowTimeoutMs)),
        );
        log.info(`Airflow ${client.airflowVersion} at ${connection.url.origin} (API ${client.apiVersion}).`);
        return { index, config: instance, client };
      } catch (error) {
        const unchecked = withoutCredentials(instance, error);
        return unchecked ? { index, config: instance, notChecked: unchecked } : { index, config: instance, failure: toFailure('airflow', error) };
      }
    }),
  );
}

export async function compareAirflow(
  config: Config,
  airflows: readonly ConnectedAirflow[],
  changes: ChangesStage,
  workspace: string,
  log: Logger,
  tuning: { readonly pollInitialMs?: number; readonly mode?: AirflowMode } = {},
): Promise<AirflowStage> {
  const head = changes.range.kind === 'skip' ? undefined : changes.range.head;
  // Instances are independent Airflows: they are waited for at the same time.
  const outcomes = await Promise.all(changes.instances.map((entry) => compareInstance(entry)));
  return {
    reports: outcomes.flatMap((outcome) => outcome.reports),
    failures: outcomes.flatMap((outcome) => outcome.failures),
    live: outcomes.flatMap((outcome) => outcome.live),
    caughtUp: outcomes.every((outcome) => outcome.caughtUp),
    notChecked: outcomes.flatMap((outcome) => outcome.notChecked),
  };

  async function compareInstance(entry: ChangesStage['instances'][number]): Promise<AirflowStage> {
    const reports: AirflowReport[] = [];
    const failures: Failure[] = [];
    const live: LiveInstance[] = [];
    const notChecked: NotChecked[] = [];
    let caughtUp = true;
    const connected = airflows.find((airflow) => airflow.index === entry.instance.index);
    const url = connected?.config.airflow?.url;
    if (!connected || !url) return { reports, failures, live, caughtUp, notChecked };
    const name = entry.instance.name;
    const base = { instance: name, url: `${url.origin}${url.pathname}`, dags: [], importErrors: [], waitedMs: 0 };
    if (!connected.client) {
      if (connected.failure) {
        failures.push(connected.failure);
        reports.push({ ...base, status: 'failed', requests: 0 });
      }
      return { reports, failures, live, caughtUp: false, notChecked };
    }
    const client = connected.client;
    if (tuning.mode === 'snapshot') {
      try {
        const dags = await client.listDags(deadlineIn(CONNECT_TIMEOUT_MS));
        const active = dags.filter((dag) => dag.active);
        live.push({ instance: name, activeDagIds: new Set(active.map((dag) => dag.dagId)) });
        log.info(`${name}: ${active.length} active DAGs in Airflow now; the pushed code is not in Airflow, so nothing is waited for.`);
        reports.push({ ...base, apiVersion: client.apiVersion, status: 'compared', liveDagCount: active.length, requests: client.requestCount });
      } catch (error) {
        const unchecked = withoutCredentials(connected.config, error);
        if (unchecked) notChecked.push(unchecked);
        else {
          failures.push(toFailure('airflow', error));
          reports.push({ ...base, apiVersion: client.apiVersion, status: 'failed', requests: client.requestCount });
        }
      }
      // Nothing here shows the pushed code in Airflow: a reload on this evidence would cache the old state.
      return { reports, failures, live, caughtUp: false, notChecked };
    }
    const progress = throttled((line) => log.info(line), 15_000);
    try {
      const result = await waitUntilParsed(
        client,
        { changes: entry.changes, pushed: { commit: head, time: changes.pushedAt, marginMs: config.parseMarginMs, sources: entry.sources } },
        {
          files: { dagsFolders: entry.instance.dagsFolders, dagsPrefix: connected.config.airflow?.dagsPrefix, knownFiles: knownDagFiles(entry, workspace) },
          timeoutMs: config.airflowTimeoutMs,
          pollInitialMs: tuning.pollInitialMs,
          log: (line) => log.info(line),
          onProgress: (p) =>
            progress(
              `${name}: ${p.settled}/${p.total} DAGs agree after ${Math.round(p.elapsedMs / 1000)} s${
                // The last report comes with nothing pending: the first one too, when Airflow had parsed the push already.
                p.pending.length
                  ? `; waiting for ${p.pending
                      .slice(0, 5)
                      .map((pending) => `${pending.dagId} (${pending.disagreement})`)
                      .join(', ')}${p.pending.length > 5 ? ` and ${p.pending.length - 5} more` : ''}`
                  : ''
              }`,
            ),
        },
      );
      const caught = new Set(result.dags.filter((dag) => dag.state === 'parsed').map((dag) => dag.dagId));
      live.push({
        instance: name,
        activeDagIds: new Set(result.live.filter((dag) => dag.active).map((dag) => dag.dagId)),
        parsed: new Map(
          result.live
            .filter((dag) => caught.has(dag.dagId))
            .map((dag) => [dag.dagId, { ...(dag.lastParsedTime ? { lastParsedTime: dag.lastParsedTime } : {}), ...(dag.bundleVersion ? { bundleVersion: dag.bundleVersion } : {}) }]),
        ),
      });
      const timedOut = result.dags.filter((dag) => dag.state === 'timed-out');
      if (timedOut.length && result.lastFailure) {
        // Airflow itself stopped answering: that, not the DAG processor, is what to fix.
        caughtUp = false;
        failures.push({
          stage: 'airflow',
          message: `Airflow (${name}) could not be asked whether it parsed the push before airflow-timeout (${Math.round(config.airflowTimeoutMs / 1000)} s); the last poll failed: ${result.lastFailure.message}`,
          fix: `${result.lastFailure.fix} Dagster was not reloaded, so it does not cache the old state.`,
          input: 'airflow-timeout',
        });
      } else if (timedOut.length) {
        caughtUp = false;
        failures.push({
          stage: 'airflow',
          message: `Airflow (${name}) did not show the push within airflow-timeout (${Math.round(config.airflowTimeoutMs / 1000)} s): ${timedOut
            .slice(0, 5)
            .map((dag) => `${dag.dagId}: ${dag.disagreement ?? 'not parsed'}`)
            .join('; ')}${timedOut.length > 5 ? `; and ${timedOut.length - 5} more` : ''}.`,
          fix: 'Check that the DAG processor is running and receives this revision (git-sync, a bundle, an image deploy), or raise airflow-timeout. Dagster was not reloaded, so it does not cache the old state.',
          input: 'airflow-timeout',
        });
      }
      if (result.importErrors.length && config.failOnImportErrors) {
        failures.push({
          stage: 'airflow',
          message: `Airflow (${name}) cannot import ${result.importErrors.length} pushed file(s): ${result.importErrors
            .slice(0, 5)
            .map((error) => `${error.file}${error.line ? `:${error.line}` : ''}`)
            .join(', ')}.`,
          fix: 'Fix the import errors annotated on the files (or set fail-on-import-errors: false to only report them).',
          input: 'fail-on-import-errors',
        });
      }
      reports.push({
        ...base,
        apiVersion: client.apiVersion,
        status: 'compared',
        dags: result.dags.map((dag) => ({
          dagId: dag.dagId,
          state: dag.state,
          waitedMs: dag.waitedMs,
          ...(dag.proof ? { proof: dag.proof } : {}),
          ...(dag.disagreement ? { disagreement: dag.disagreement } : {}),
        })),
        importErrors: result.importErrors.map((error) => ({ file: error.file, line: error.line ?? 1, message: error.message })),
        liveDagCount: result.live.filter((dag) => dag.active).length,
        requests: client.requestCount,
        waitedMs: result.waitedMs,
      });
    } catch (error) {
      caughtUp = false;
      const unchecked = withoutCredentials(connected.config, error);
      if (unchecked) notChecked.push(unchecked);
      else {
        failures.push(toFailure('airflow', error));
        reports.push({ ...base, apiVersion: client.apiVersion, status: 'failed', requests: client.requestCount });
      }
    }
    return { reports, failures, live, caughtUp, notChecked };
  }
}

/**
 * Airflow refused a request that carried no credentials at all: the secrets are empty (a pull
 * request from a fork gets none), which is not the run's fault. Undefined for any other error.
 */
function withoutCredentials(instance: AirflowInstanceConfig, error: unknown): NotChecked | undefined {
  const connection = instance.airflow;
  if (!connection || connection.auth.kind !== 'none' || Object.keys(connection.headers).length > 0) return undefined;
  if (!(error instanceof HttpError) || error.kind !== 'auth') return undefined;
  return {
    system: 'airflow',
    ...(instance.name ? { instance: instance.name } : {}),
    message: `Airflow${instance.name ? ` (${instance.name})` : ''} wants credentials and none were given (a pull request from a fork gets no secrets): Airflow was not compared, and Dagster was not reloaded.`,
    input: connection.authInput,
  };
}

/** DAG files of the checked-out head: how an Airflow 2 `fileloc` prefix is detected. */
function knownDagFiles(entry: ChangesStage['instances'][number], workspace: string): Set<string> {
  const files = new Set(entry.sources.keys());
  for (const change of entry.changes) files.add(change.file);
  for (const folder of entry.instance.dagsFolders) {
    try {
      for (const file of pythonFiles(workspace, folder)) files.add(file);
    } catch {
      // The folder is checked when the inputs are read; a race here only weakens prefix detection.
    }
  }
  return files;
}

/**
 * `.py` files under `folder` (relative to `root`, with / separators), following symlinked folders
 * as Airflow does (os.walk with followlinks), each real folder once, so a link to an ancestor ends.
 * Listing with file types spares a stat of every file, a fifth of the time.
 */
export function pythonFiles(root: string, folder: string, seen = new Set<string>()): string[] {
  const base = path.join(root, folder);
  const real = realpathSync(base);
  if (seen.has(real)) return [];
  seen.add(real);
  const top = folder ? `${folder}/` : '';
  const files: string[] = [];
  for (const entry of readdirSync(base, { withFileTypes: true, recursive: true })) {
    const under = entry.parentPath === base ? '' : `${entry.parentPath.slice(base.length + 1).split(path.sep).join('/')}/`;
    const file = `${top}${under}${entry.name}`;
    if (entry.isSymbolicLink() && statSync(path.join(root, file), { throwIfNoEntry: false })?.isDirectory()) files.push(...pythonFiles(root, file, seen));
    else if (entry.name.endsWith('.py')) files.push(file);
  }
  return files;
}
