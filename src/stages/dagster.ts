// Stage 3: Dagster. Discover what each code location mirrors, plan which are
// stale, reload those (unless planning only), wait, and confirm.
import pLimit from 'p-limit';
import { connectDagster, type DagsterClient } from '../dagster/client.js';
import { confirm } from '../dagster/confirm.js';
import { discoverLocations, type LocationView } from '../dagster/discover.js';
import { dagsterConnection } from '../dagster/endpoint.js';
import { reloadLocation } from '../dagster/reload.js';
import { deadlineIn } from '../http.js';
import type { Config } from '../inputs.js';
import type { Logger } from '../log.js';
import { ActionError } from '../model.js';
import type { DagsterReport, Failure, LocationReport } from '../outcome.js';
import { planReloads, type LocationHoldings, type LocationPlan } from '../plan.js';
import type { AirflowStage } from './airflow.js';
import type { ChangesStage } from './changes.js';

const DISCOVERY_TIMEOUT_MS = 120_000;
/** Reloads at once: each restarts a code server, so a few at a time is plenty. */
const RELOAD_CONCURRENCY = 4;

export interface DagsterDiscovery {
  readonly client: DagsterClient;
  readonly locations: readonly LocationView[];
  readonly base: Omit<DagsterReport, 'locations' | 'status'>;
}

export async function discoverDagster(config: Config, log: Logger): Promise<DagsterDiscovery> {
  const dagster = config.dagster!;
  const connection = dagsterConnection(dagster, (line) => log.debug(line));
  const deadline = deadlineIn(DISCOVERY_TIMEOUT_MS);
  const client = await connectDagster(connection, deadline);
  const locations = await discoverLocations(client, deadline);
  for (const location of locations) {
    const instances = [...location.airflow.keys()];
    log.info(
      `${location.name}: ${location.loadStatus}${location.loadError ? ' with a load error' : ''}${instances.length ? `, mirrors ${instances.map((instance) => `${instance} (${location.airflow.get(instance)!.size} DAGs)`).join(', ')}` : ''}`,
    );
  }
  return { client, locations, base: { kind: dagster.kind, url: dagster.endpoint.href, requests: 0 } };
}

/** The locations to consider: those named by code-locations, else every airlift location and configured peer. */
export function selectLocations(config: Config, locations: readonly LocationView[], peers: ReadonlyMap<string, readonly string[]>): LocationView[] {
  const byName = new Map(locations.map((location) => [location.name, location]));
  const named = [...new Set([...config.codeLocations, ...[...peers.values()].flat()])];
  const unknown = named.filter((name) => !byName.has(name));
  if (unknown.length) {
    throw new ActionError(
      `Dagster has no code location named ${unknown.map((name) => `"${name}"`).join(', ')} (it has ${locations.map((location) => `"${location.name}"`).join(', ') || 'none'}).`,
      'Fix code-locations (or code-locations in the config file): names are case-sensitive and must match the deployment.',
      'code-locations',
    );
  }
  if (config.codeLocations.length) return config.codeLocations.map((name) => byName.get(name)!);
  return locations.filter((location) => location.airflow.size > 0 || named.includes(location.name));
}

export async function syncDagster(
  config: Config,
  discovery: DagsterDiscovery,
  changes: ChangesStage,
  airflow: AirflowStage | undefined,
  peers: ReadonlyMap<string, readonly string[]>,
  options: { readonly planOnly: boolean; readonly pollIntervalMs?: number },
  log: Logger,
): Promise<{ report: DagsterReport; failures: Failure[] }> {
  const failures: Failure[] = [];
  const uiBase = config.dagster!.uiUrl;
  const considered = selectLocations(config, discovery.locations, peers);
  const plans = planReloads({
    changes: changes.instances.flatMap((entry) => entry.changes),
    locations: considered.map(holdings),
    live: airflow?.live ?? [],
    peers,
    fullCheck: changes.range.kind === 'full',
    head: changes.range.kind === 'skip' ? undefined : { sha: changes.range.head, time: changes.pushedAt },
  });
  for (const plan of plans) {
    log.info(plan.reload ? `${plan.location}: stale (${plan.reasons.length} reasons)${options.planOnly ? ' — would reload' : ''}` : `${plan.location}: in sync`);
  }
  const byName = new Map(considered.map((location) => [location.name, location]));
  const limit = pLimit(RELOAD_CONCURRENCY);
  const locations = await Promise.all(
    plans.map((plan) =>
      limit(async (): Promise<LocationReport> => {
        const report: LocationReport = { ...plan, uiUrl: new URL(`locations/${encodeURIComponent(plan.location)}`, uiBase).href };
        if (!plan.reload || options.planOnly) return report;
        return { ...report, ...(await reloadAndConfirm(discovery.client, byName.get(plan.location)!, plan, changes, config, options, failures, log)) };
      }),
    ),
  );
  return { report: { ...discovery.base, status: 'compared', locations }, failures };
}

async function reloadAndConfirm(
  client: DagsterClient,
  before: LocationView,
  plan: LocationPlan,
  changes: ChangesStage,
  config: Config,
  options: { readonly pollIntervalMs?: number },
  failures: Failure[],
  log: Logger,
): Promise<Pick<LocationReport, 'outcome' | 'message' | 'loadMs' | 'outOfSync'>> {
  log.info(`Reloading ${plan.location}…`);
  const result = await reloadLocation(client, plan.location, before, { timeoutMs: config.reloadTimeoutMs, pollIntervalMs: options.pollIntervalMs });
  if (result.outcome !== 'loaded' || !result.after) {
    failures.push({
      stage: 'dagster',
      message: result.message ?? `Code location "${plan.location}" did not reload (${result.outcome}).`,
      fix: result.fix ?? 'Check the code location in the Dagster UI.',
      ...(result.outcome === 'timed-out' ? { input: 'reload-timeout' } : {}),
    });
    return { outcome: result.outcome, message: result.message, loadMs: result.loadMs };
  }
  const outOfSync: string[] = [];
  let message: string | undefined;
  for (const expected of plan.expect) {
    const modified = changes.instances
      .flatMap((entry) => entry.changes)
      .filter((change) => change.instance === expected.instance && change.kind === 'modified' && change.after)
      .map((change) => ({ dagId: change.dagId, tasks: change.after!.tasks }));
    const confirmation = confirm(
      result.after,
      {
        instance: expected.instance,
        added: expected.present.filter((dagId) => !modified.some((dag) => dag.dagId === dagId)),
        removed: expected.absent,
        modified: modified.filter((dag) => expected.present.includes(dag.dagId)),
      },
      before,
    );
    if (confirmation.inSync) continue;
    outOfSync.push(...confirmation.missing, ...confirmation.stale, ...confirmation.staleTasks.map((dag) => dag.dagId));
    message = confirmation.message;
    failures.push({
      stage: 'dagster',
      message: `Code location "${plan.location}" reloaded but still does not show the push: ${[
        ...confirmation.missing.map((dagId) => `${dagId} missing`),
        ...confirmation.stale.map((dagId) => `${dagId} still there`),
        ...confirmation.staleTasks.map((dag) => `${dag.dagId} keeps old tasks ${dag.tasks.join(', ')}`),
      ].join('; ')}.${confirmation.message ? ` ${confirmation.message}` : ''}`,
      fix: confirmation.fix ?? 'Check that the location mirrors this Airflow instance and that its DAG filter includes these DAGs.',
    });
  }
  log.info(`${plan.location}: ${outOfSync.length ? 'reloaded, but out of sync' : 'reloaded and confirmed'} in ${Math.round(result.loadMs / 100) / 10} s.`);
  return { outcome: 'loaded', loadMs: result.loadMs, ...(outOfSync.length ? { outOfSync: [...new Set(outOfSync)].sort() } : {}), ...(message ? { message } : {}) };
}

export function holdings(location: LocationView): LocationHoldings {
  const airflow = new Map([...location.airflow].map(([instance, dags]) => [instance, new Map([...dags].map(([dagId, dag]) => [dagId, { snapshot: dag.snapshot }]))]));
  return { name: location.name, ...(location.loadError !== undefined ? { loadError: location.loadError } : {}), airflow };
}
