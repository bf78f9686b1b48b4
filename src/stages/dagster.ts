// Stage 3: Dagster. Discover what each code location mirrors, plan which are
// stale, and (unless planning only) make each stale one fetch Airflow again the
// way it keeps its Airflow state (src/dagster/state.ts): reload it, refresh its
// stored state and reload it, or rebuild its image through a workflow; then wait
// and confirm it shows the push.
import pLimit from 'p-limit';
import { connectDagster, type DagsterClient } from '../dagster/client.js';
import { confirm, notReimported, refetched, reused } from '../dagster/confirm.js';
import { discoverLocations, readLocation, showsDefsState, type LocationView } from '../dagster/discover.js';
import { dagsterConnection } from '../dagster/endpoint.js';
import { canRefreshState, refreshState, type KeyRefresh } from '../dagster/refresh.js';
import { awaitNewServer, loadUnderWay, readLoadStatus, reloadLocation, type ReloadResult } from '../dagster/reload.js';
import { locationState, refreshCommand, type LocationState } from '../dagster/state.js';
import { runRebuild, type RebuildResult } from '../github/dispatch.js';
import { deadlineIn } from '../http.js';
import type { Config, RebuildConfig } from '../inputs.js';
import type { Logger } from '../log.js';
import { ActionError } from '../model.js';
import type { DagsterReport, Failure, LocationRefresh, LocationReport } from '../outcome.js';
import { planReloads, type LiveInstance, type LocationHoldings, type LocationPlan } from '../plan.js';
import type { AirflowStage } from './airflow.js';
import { pushedHead, type ChangesStage } from './changes.js';

const DISCOVERY_TIMEOUT_MS = 120_000;
/** Reloads at once: each restarts a code server, so a few at a time is plenty. */
const RELOAD_CONCURRENCY = 4;

export interface DagsterDiscovery {
  readonly client: DagsterClient;
  readonly locations: readonly LocationView[];
  readonly base: Omit<DagsterReport, 'locations' | 'status' | 'requests'>;
}

/** `parseAfter`: Dagster's answer is parsed only once it settles (see SendOptions). */
export async function discoverDagster(config: Config, log: Logger, parseAfter?: Promise<void>): Promise<DagsterDiscovery> {
  const dagster = config.dagster!;
  const connection = dagsterConnection(dagster, (line) => log.debug(line));
  // A user's short reload-timeout bounds discovery too: a server that stalls must not hold the run for two minutes.
  const deadline = deadlineIn(Math.min(DISCOVERY_TIMEOUT_MS, config.reloadTimeoutMs));
  const started = Date.now();
  const client = await connectDagster(connection, deadline);
  const locations = await discoverLocations(client, deadline, parseAfter);
  for (const location of locations) {
    const instances = [...location.airflow.keys()];
    log.info(
      `${location.name}: ${location.loadStatus}${location.loadError ? ' with a load error' : ''}${instances.length ? `, mirrors ${instances.map((instance) => `${instance} (${location.airflow.get(instance)!.size} DAGs)`).join(', ')}` : ''}`,
    );
  }
  // Said with its time: the lines are written after the push is read, which discovery runs beside.
  log.info(`Dagster listed ${locations.length} code location${locations.length === 1 ? '' : 's'} in ${Date.now() - started} ms.`);
  return { client, locations, base: { kind: dagster.kind, url: dagster.endpoint.href } };
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
  // A location that failed to load shows no definitions, so nothing says whether it mirrors
  // Airflow: it is reconsidered (and reloaded) until it loads, or a re-run would call it in sync.
  return locations.filter((location) => location.airflow.size > 0 || location.loadError !== undefined || named.includes(location.name));
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
  const planInput = {
    changes: changes.instances.flatMap((entry) => entry.changes),
    live: airflow?.live ?? [],
    peers,
    fullCheck: changes.range.kind === 'full',
    head: pushedHead(changes, config.parseMarginMs),
    sources: new Map(changes.instances.flatMap((entry) => [...entry.sources])),
  };
  const plans = planReloads({ ...planInput, locations: considered.map(holdings) });
  const byName = new Map(considered.map((location) => [location.name, location]));
  const client = discovery.client;
  const statesShown = showsDefsState(client);
  const states = new Map(plans.filter((plan) => plan.reload).map((plan) => [plan.location, locationState(byName.get(plan.location)!, plan.instances, statesShown)]));
  for (const plan of plans) {
    const state = states.get(plan.location);
    log.info(plan.reload ? `${plan.location}: stale (${plan.reasons.length} reasons)${options.planOnly ? ' — would reload' : ''}` : `${plan.location}: in sync`);
    if (state) log.info(`${plan.location}: Airflow state ${state.case}: ${state.evidence}`);
  }
  // The rebuild workflow deploys image-state locations, and Dagster+ versioned-state ones after their refresh.
  const rebuilds = (state: LocationState | undefined) => state?.case === 'image-state' || (state?.case === 'versioned-state' && client.kind === 'dagster-plus');
  const rebuildLocations = plans.filter((plan) => rebuilds(states.get(plan.location))).map((plan) => plan.location);
  const sync: Sync = {
    client,
    config,
    changes,
    live: airflow?.live ?? [],
    pollIntervalMs: options.pollIntervalMs,
    failures,
    log,
    replan: (location) => planReloads({ ...planInput, locations: [holdings(location)] })[0]!,
    ...(config.rebuild && !options.planOnly ? { rebuild: once(() => startRebuild(config.rebuild!, rebuildLocations, changes, options.pollIntervalMs, failures, log)) } : {}),
  };
  const limit = pLimit(RELOAD_CONCURRENCY);
  const locations = await Promise.all(
    plans.map((plan) =>
      limit(async (): Promise<LocationReport> => {
        const report: LocationReport = { ...plan, uiUrl: new URL(`locations/${encodeURIComponent(plan.location)}`, uiBase).href };
        const state = states.get(plan.location);
        if (!state) return report;
        if (options.planOnly) return { ...report, refresh: { case: state.case, evidence: state.evidence, via: via(state, sync) } };
        return { ...report, ...(await syncLocation(sync, byName.get(plan.location)!, plan, state)) };
      }),
    ),
  );
  return { report: { ...discovery.base, status: 'compared', locations, requests: discovery.client.requestCount }, failures };
}

interface Sync {
  readonly client: DagsterClient;
  readonly config: Config;
  readonly changes: ChangesStage;
  /** What live Airflow holds, per instance compared: tells a DAG the location leaves out from one it lacks. */
  readonly live: readonly LiveInstance[];
  readonly pollIntervalMs?: number;
  readonly failures: Failure[];
  readonly log: Logger;
  /** The plan for a location as it is now: what a run starting now would decide. */
  readonly replan: (location: LocationView) => LocationPlan;
  /** Starts the rebuild workflow once for every location whose state is in the image, and follows it. */
  readonly rebuild?: () => Promise<RebuildResult>;
}

type Synced = Pick<LocationReport, 'outcome' | 'message' | 'loadMs' | 'outOfSync' | 'refresh' | 'excluded'>;

/**
 * How the action refreshes (or, planning, would refresh) a location's Airflow state; none: it cannot.
 * Self-hosted, a location whose state a reload does not refetch is still reloaded and confirmed: under
 * `dagster dev` every load refreshes every state (StateBackedComponent.build_defs, refresh_if_dev). On
 * Dagster+ a reload is a redeploy of the same image and pinned state, so it is not tried.
 */
function via(state: LocationState, sync: Pick<Sync, 'client' | 'config'>): LocationRefresh['via'] {
  const selfHosted = sync.client.kind === 'self-hosted';
  if (state.case === 'image-state') return sync.config.rebuild ? 'rebuild' : selfHosted ? 'reload' : 'none';
  if (state.case === 'versioned-state') return canRefreshState(sync.client) ? 'refresh-state' : selfHosted ? 'reload' : 'none';
  return 'reload';
}

/** Makes the location fetch Airflow again the way its state is kept, then confirms it shows the push. */
async function syncLocation(sync: Sync, before: LocationView, plan: LocationPlan, state: LocationState): Promise<Synced> {
  const base = { case: state.case, evidence: state.evidence, via: via(state, sync) };
  const kind = sync.client.kind;
  const reloadOptions = { timeoutMs: sync.config.reloadTimeoutMs, pollIntervalMs: sync.pollIntervalMs };
  if (state.case === 'image-state') {
    if (sync.rebuild) return rebuildLocation(sync, before, plan, state, base, sync.rebuild);
    const cannot = {
      message: `Code location "${plan.location}" keeps its Airflow state in the image: ${state.evidence} A reload cannot show the push${kind === 'self-hosted' ? ' (except under `dagster dev`, which refreshes it on every load)' : ''}.`,
      fix: `Set rebuild-workflow (and rebuild-token) to a workflow that runs ${refreshCommand(kind)} and rebuilds and deploys the Dagster project: airlift-sync then starts it and confirms the change. Or set the component's defs_state to VERSIONED_STATE_STORAGE (refreshed in place) or LEGACY_CODE_SERVER_SNAPSHOTS (fetched on every reload).`,
      input: 'rebuild-workflow',
    };
    return base.via === 'reload' ? reloadUnlessStale(sync, before, plan, state, base, cannot) : refuse(sync, base, state, cannot);
  }
  if (state.case === 'versioned-state') {
    if (base.via === 'refresh-state') return refreshLocation(sync, before, plan, state, base);
    const cannot = {
      message: `Code location "${plan.location}" serves its Airflow state from Dagster's state storage: ${state.evidence} This Dagster has no refreshComponentState mutation, so airlift-sync cannot refresh it, and a reload alone loads the same stored state${kind === 'self-hosted' ? ' (except under `dagster dev`, which refreshes it on every load)' : ''}.`,
      fix: `Refresh the stored state with ${refreshCommand(kind)} after Airflow has parsed the push, then re-run this job; on a Dagster release with refreshComponentState, airlift-sync does it itself.`,
    };
    return base.via === 'reload' ? reloadUnlessStale(sync, before, plan, state, base, cannot) : refuse(sync, base, state, cannot);
  }
  const joined = kind === 'dagster-plus' ? await joinLoadUnderWay(sync, before, plan) : undefined;
  if (joined?.synced) return { ...joined.synced, refresh: { ...base, ...stateKeys(state, [], joined.after) } };
  const current = joined?.after ?? before;
  sync.log.info(`Reloading ${plan.location}…`);
  const reloaded = await reloadLocation(sync.client, plan.location, current, reloadOptions);
  const result = joined ? { ...reloaded, loadMs: reloaded.loadMs + joined.waitedMs } : reloaded;
  // Self-hosted, the reload answers for the server it reloaded; on Dagster+ reload waits for a newer one.
  return { ...settle(sync, current, plan, result, kind === 'self-hosted'), refresh: { ...base, ...stateKeys(state, [], result.after) } };
}

/**
 * Dagster+: a location LOADING since the push reached GitHub is being redeployed by someone else, most
 * likely another run of this push. Its load is waited for instead of redeploying again, and it stands
 * for this run's reload when a run starting now would find the location in sync. Otherwise (it brought
 * an older state, or failed to load) the location is reloaded, from the server that load left.
 * Self-hosted Dagster never shows a load under way: the webserver loads the new location and swaps its
 * entry in when done (WorkspaceProcessContext.reload_code_location), so there is nothing to join.
 */
async function joinLoadUnderWay(sync: Sync, before: LocationView, plan: LocationPlan): Promise<{ synced?: Synced; after?: LocationView; waitedMs: number } | undefined> {
  const name = plan.location;
  // Only a shortcut: when the status cannot be read soon (5 s, at most a quarter of reload-timeout, so
  // that the reload keeps most of its time), the reload decides as before.
  const status = await readLoadStatus(sync.client, name, deadlineIn(Math.min(5_000, sync.config.reloadTimeoutMs / 4))).catch(() => undefined);
  if (!status || !loadUnderWay(status, sync.changes.pushedAt)) return undefined;
  const since = new Date(status.updateTimestamp * 1000).toISOString();
  sync.log.info(`${name}: already loading since ${since}, after the push: waiting for that load instead of reloading again…`);
  const result = await awaitNewServer(sync.client, name, before, { timeoutMs: sync.config.reloadTimeoutMs, pollIntervalMs: sync.pollIntervalMs }, true);
  if (result.outcome === 'timed-out' || !result.after) {
    // Reloading a location whose load does not end would only start one more that does not.
    const message = `${result.message ?? `Code location "${name}" did not finish loading.`} It was already loading (since ${since}, after the push) when this run was to reload it, so this run did not reload it again.`;
    return { synced: settle(sync, before, plan, { ...result, message }, false), waitedMs: result.loadMs };
  }
  const again = result.outcome === 'loaded' ? sync.replan(result.after) : undefined;
  if (again && !again.reload) {
    const synced = settle(sync, before, plan, result, false);
    // The confirmation has the last word: a location it finds out of sync keeps its message, not ours.
    if (synced.outOfSync?.length || synced.message) return { synced, after: result.after, waitedMs: result.loadMs };
    sync.log.info(`${name}: joined a reload already in progress; it brought the push, so it was not reloaded again.`);
    return { synced: { ...synced, message: JOINED }, after: result.after, waitedMs: result.loadMs };
  }
  const why = result.outcome === 'load-error' ? 'failed to load' : `did not bring the push (${(again?.reasons ?? []).map(reasonText).join(', ')})`;
  sync.log.info(`${name}: the load already in progress ${why}: reloading it.`);
  return { after: result.after, waitedMs: result.loadMs };
}

const JOINED = 'Joined a reload already in progress (another run of this push, most likely): it brought the push, so this run did not reload again.';

function reasonText(reason: LocationPlan['reasons'][number]): string {
  return reason.kind === 'load-error' ? 'load error' : `${reason.kind} ${reason.dagId}`;
}

/**
 * A self-hosted location whose state a reload does not refetch, unless it runs under `dagster dev`:
 * reloaded, and a success only if airlift demonstrably fetched Airflow again and the push shows.
 */
async function reloadUnlessStale(sync: Sync, before: LocationView, plan: LocationPlan, state: LocationState, base: LocationRefresh, cannot: Omit<Failure, 'stage'>): Promise<Synced> {
  sync.log.info(`Reloading ${plan.location} (its Airflow state is refreshed by a reload only under \`dagster dev\`)…`);
  const result = await reloadLocation(sync.client, plan.location, before, { timeoutMs: sync.config.reloadTimeoutMs, pollIntervalMs: sync.pollIntervalMs });
  const refresh = { ...base, ...stateKeys(state, [], result.after) };
  if (result.outcome === 'loaded' && result.after && !refetched(before, result.after)) {
    const message = `${cannot.message} The reload served the same Airflow state: not one DAG record airlift fetched changed.`;
    sync.failures.push({ stage: 'dagster', ...cannot, message });
    return { outcome: 'loaded', loadMs: result.loadMs, outOfSync: expectedDags(plan), message, refresh };
  }
  return { ...settle(sync, before, plan, result, true), refresh };
}

/** VERSIONED_STATE_STORAGE: store fresh Airflow state, then reload unless the refresh already did. */
async function refreshLocation(sync: Sync, before: LocationView, plan: LocationPlan, state: LocationState, base: LocationRefresh): Promise<Synced> {
  const started = Date.now();
  const name = plan.location;
  sync.log.info(`Refreshing the Airflow state of ${name} (${state.keys.map((key) => key.key).join(', ')})…`);
  const refreshed = await refreshState(sync.client, name, state.keys.map((key) => key.key), { timeoutMs: sync.config.stateRefreshTimeoutMs, pollIntervalMs: sync.pollIntervalMs });
  if (!refreshed.ok) {
    sync.failures.push({ stage: 'dagster', message: refreshed.message, fix: refreshed.fix, ...(refreshed.input ? { input: refreshed.input } : {}) });
    return { outcome: refreshed.outcome, message: refreshed.message, loadMs: Date.now() - started, refresh: { ...base, ...stateKeys(state, refreshed.keys) } };
  }
  sync.log.info(`${name}: stored state ${refreshed.keys.map((key) => `${key.key} ${key.before ?? 'none'} → ${key.after}`).join(', ')}`);
  // Dagster's resolver reloads the location when it answers Success, and a second reload would redeploy
  // again on Dagster+. Reading the location is only a shortcut: if it fails, the reload decides.
  const current = await readLocation(sync.client, name).catch(() => undefined);
  const servesRefreshed =
    current?.loadStatus === 'LOADED' &&
    current.loadError === undefined &&
    refreshed.keys.every((key) => current.stateKeys.find((loaded) => loaded.key === key.key)?.version === key.after);
  if (!servesRefreshed && sync.client.kind === 'dagster-plus' && sync.rebuild) {
    // A Dagster+ redeploy would load the versions pinned at deploy: a new deploy pins the latest stored ones.
    sync.log.info(`${name}: deploying anew through the rebuild workflow, which pins the refreshed state…`);
    const rebuilt = await rebuildLocation(sync, before, plan, state, base, sync.rebuild, refreshed.keys);
    return loadedRefreshed(sync, plan, { ...rebuilt, loadMs: Date.now() - started });
  }
  let result: ReloadResult;
  if (current && servesRefreshed) {
    result = { name, outcome: 'loaded', loadMs: 0, after: current };
  } else {
    sync.log.info(`Reloading ${name}…`);
    result = await reloadLocation(sync.client, name, before, { timeoutMs: sync.config.reloadTimeoutMs, pollIntervalMs: sync.pollIntervalMs });
  }
  const settled = settle(sync, before, plan, result, sync.client.kind === 'self-hosted');
  return loadedRefreshed(sync, plan, { ...settled, loadMs: Date.now() - started, refresh: { ...base, ...stateKeys(state, refreshed.keys, result.after) } });
}

/**
 * A location confirmed after a refresh must serve the refreshed versions: the DAGs alone may not tell (a
 * modified DAG without mapped tasks), the loaded version does. Never a success on the old one.
 */
function loadedRefreshed(sync: Sync, plan: LocationPlan, synced: Synced): Synced {
  const old = (synced.refresh?.stateKeys ?? []).filter((key) => key.versionRefreshed !== undefined && key.versionAfter !== key.versionRefreshed);
  if (synced.outcome !== 'loaded' || !old.length) return synced;
  const plus = sync.client.kind === 'dagster-plus';
  const message = `Code location "${plan.location}" reloaded, but it serves the old Airflow state: ${old.map((key) => `${key.key} version ${key.versionAfter ?? 'none'}, not the refreshed ${key.versionRefreshed}`).join('; ')}.${
    plus ? ' Dagster+ starts a code server with the state versions pinned when the location was deployed, and a reload (a redeploy) keeps them.' : ''
  }`;
  sync.failures.push({
    stage: 'dagster',
    message,
    fix: plus
      ? 'Deploy the location again (`dg plus deploy`, or the deploy workflow that `dg scaffold github-actions` writes): a new deploy pins the latest stored state. Set rebuild-workflow to that workflow and airlift-sync starts it after the refresh.'
      : 'Reload the location again from the Dagster UI and check that the code server reads the same defs_state_storage as the webserver.',
    ...(plus ? { input: 'rebuild-workflow' } : {}),
  });
  return { ...synced, outOfSync: [...new Set([...(synced.outOfSync ?? []), ...expectedDags(plan)])].sort(), message };
}

/**
 * LOCAL_FILESYSTEM: the rebuild workflow bakes fresh state into a new image and deploys it; wait for it.
 * Also a Dagster+ VERSIONED_STATE_STORAGE location after a refresh (`refreshed`): its new deploy pins them.
 */
async function rebuildLocation(
  sync: Sync,
  before: LocationView,
  plan: LocationPlan,
  state: LocationState,
  base: LocationRefresh,
  rebuild: () => Promise<RebuildResult>,
  refreshed: readonly KeyRefresh[] = [],
): Promise<Synced> {
  const started = Date.now();
  const rebuilt = await rebuild();
  const workflowRun = rebuilt.run ? { id: rebuilt.run.id, url: rebuilt.run.url, conclusion: rebuilt.run.conclusion } : undefined;
  const refresh = { ...base, ...(workflowRun ? { workflowRun } : {}) };
  if (!rebuilt.ok) {
    // startRebuild recorded the failure once for every location waiting on the run.
    return { outcome: rebuilt.input === 'rebuild-timeout' ? 'timed-out' : 'error', message: rebuilt.message, loadMs: Date.now() - started, refresh: { ...refresh, ...stateKeys(state, refreshed) } };
  }
  sync.log.info(`Waiting for ${plan.location} to serve the rebuilt image…`);
  const waited = await awaitNewServer(sync.client, plan.location, before, { timeoutMs: sync.config.reloadTimeoutMs, pollIntervalMs: sync.pollIntervalMs });
  const result: ReloadResult =
    waited.outcome === 'timed-out'
      ? {
          ...waited,
          message: `The rebuild workflow run ${rebuilt.run.url} succeeded, but ${lowerFirst(waited.message ?? `code location "${plan.location}" did not change.`)}`,
          fix: 'Check that the workflow deploys this code location (its name and deployment), or raise reload-timeout if the new image takes longer to roll out.',
        }
      : waited;
  return { ...settle(sync, before, plan, result, false), loadMs: Date.now() - started, refresh: { ...refresh, ...stateKeys(state, refreshed, result.after) } };
}

/** The action cannot refresh the location: say why, and do not reload in vain. */
function refuse(sync: Sync, base: LocationRefresh, state: LocationState, failure: Omit<Failure, 'stage'>): Synced {
  sync.failures.push({ stage: 'dagster', ...failure });
  return { outcome: 'not-supported', message: failure.message, refresh: { ...base, ...stateKeys(state, []) } };
}

async function startRebuild(
  rebuild: RebuildConfig,
  locations: readonly string[],
  changes: ChangesStage,
  pollIntervalMs: number | undefined,
  failures: Failure[],
  log: Logger,
): Promise<RebuildResult> {
  const workflow = `${rebuild.owner}/${rebuild.repo}/.github/workflows/${rebuild.workflow}`;
  log.info(`Starting ${workflow} (${rebuild.trigger.kind}) to rebuild ${locations.join(', ')} with fresh Airflow state…`);
  const head = changes.range.kind === 'skip' ? undefined : changes.range.head;
  const result = await runRebuild(rebuild, { pollIntervalMs, payload: { locations, ...(head ? { head } : {}) }, log: (line) => log.debug(line) });
  if (result.run) log.info(`Rebuild workflow run ${result.run.url}: ${result.run.conclusion ?? result.run.status}`);
  if (!result.ok) failures.push({ stage: 'dagster', message: result.message, fix: result.fix, input: result.input });
  return result;
}

/** The reload's outcome, and whether the location shows the push; failures are recorded. */
function settle(sync: Sync, before: LocationView, plan: LocationPlan, result: ReloadResult, newServerExpected: boolean): Pick<LocationReport, 'outcome' | 'message' | 'loadMs' | 'outOfSync' | 'excluded'> {
  if (result.outcome !== 'loaded' || !result.after) {
    sync.failures.push({
      stage: 'dagster',
      message: result.message ?? `Code location "${plan.location}" did not reload (${result.outcome}).`,
      fix: result.fix ?? 'Check the code location in the Dagster UI.',
      ...(result.outcome === 'timed-out' ? { input: 'reload-timeout' } : {}),
    });
    return { outcome: result.outcome, message: result.message, loadMs: result.loadMs };
  }
  const after = result.after;
  const outOfSync: string[] = [];
  const excluded: { instance: string; dagId: string }[] = [];
  // Airflow had the DAG before this reload (the Airflow stage saw it parsed), and airlift fetched Airflow
  // again: a DAG the location still lacks is one its filter leaves out, not a failure.
  const fetchedAgain = refetched(before, after);
  let message: string | undefined;
  for (const expected of plan.expect) {
    const modified = sync.changes.instances
      .flatMap((entry) => entry.changes)
      .filter((change) => change.instance === expected.instance && change.kind === 'modified' && change.after)
      .map((change) => ({ dagId: change.dagId, tasks: change.after!.tasks }));
    const confirmation = confirm(
      after,
      {
        instance: expected.instance,
        added: expected.present.filter((dagId) => !modified.some((dag) => dag.dagId === dagId)),
        removed: expected.absent,
        modified: modified.filter((dag) => expected.present.includes(dag.dagId)),
      },
      before,
    );
    const live = sync.live.find((entry) => entry.instance === expected.instance);
    const leftOut = fetchedAgain && after.airflow.has(expected.instance) ? confirmation.missing.filter((dagId) => live?.activeDagIds.has(dagId)) : [];
    excluded.push(...leftOut.map((dagId) => ({ instance: expected.instance, dagId })));
    const missing = confirmation.missing.filter((dagId) => !leftOut.includes(dagId));
    if (missing.length + confirmation.stale.length + confirmation.staleTasks.length === 0) continue;
    outOfSync.push(...missing, ...confirmation.stale, ...confirmation.staleTasks.map((dag) => dag.dagId));
    message = confirmation.message;
    sync.failures.push({
      stage: 'dagster',
      message: `Code location "${plan.location}" reloaded but still does not show the push: ${[
        ...missing.map((dagId) => `${dagId} missing`),
        ...confirmation.stale.map((dagId) => `${dagId} still there`),
        ...confirmation.staleTasks.map((dag) => `${dag.dagId} keeps old tasks ${dag.tasks.join(', ')}`),
      ].join('; ')}.${confirmation.message ? ` ${confirmation.message}` : ''}`,
      fix: confirmation.fix ?? 'Check that the location mirrors this Airflow instance and that its DAG filter includes these DAGs.',
    });
  }
  // A server that answered the reload without re-importing shows the same definitions, even where the
  // DAG ids alone cannot tell (a modified DAG without mapped tasks): never call that a success. The same
  // server id alone does not say so: a fixed server id survives real reloads.
  if (!outOfSync.length && newServerExpected && reused(before, after)) {
    const notNew = notReimported(plan.location);
    outOfSync.push(...expectedDags(plan));
    message = notNew.message;
    sync.failures.push({ stage: 'dagster', ...notNew });
  }
  if (excluded.length) sync.log.info(`${plan.location}: leaves out ${excluded.map((dag) => dag.dagId).join(', ')}, which Airflow has: excluded by the location's DAG filter.`);
  sync.log.info(`${plan.location}: ${outOfSync.length || message ? 'reloaded, but out of sync' : 'reloaded and confirmed'} in ${Math.round(result.loadMs / 100) / 10} s.`);
  return {
    outcome: 'loaded',
    loadMs: result.loadMs,
    ...(outOfSync.length ? { outOfSync: [...new Set(outOfSync)].sort() } : {}),
    ...(message ? { message } : {}),
    ...(excluded.length ? { excluded: [...(plan.excluded ?? []), ...excluded] } : {}),
  };
}

/** Every DAG the plan expected the reload to show or drop. */
function expectedDags(plan: LocationPlan): string[] {
  return [...new Set(plan.expect.flatMap((expected) => [...expected.present, ...expected.absent]))].sort();
}

/** The report's state keys: loaded before, refreshed in storage, loaded after. */
function stateKeys(state: LocationState, refreshed: readonly KeyRefresh[], after?: LocationView): Pick<LocationRefresh, 'stateKeys'> {
  if (!state.keys.length) return {};
  return {
    stateKeys: state.keys.map((key) => {
      const stored = refreshed.find((candidate) => candidate.key === key.key)?.after;
      const loaded = after?.stateKeys.find((candidate) => candidate.key === key.key)?.version;
      return {
        key: key.key,
        ...(key.management ? { management: key.management } : {}),
        ...(key.version ? { versionBefore: key.version } : {}),
        ...(stored ? { versionRefreshed: stored } : {}),
        ...(loaded ? { versionAfter: loaded } : {}),
      };
    }),
  };
}

function once<T>(work: () => Promise<T>): () => Promise<T> {
  let started: Promise<T> | undefined;
  return () => (started ??= work());
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** A location's views already are what planning reads: no copy of every mirrored DAG. */
function holdings(location: LocationView): LocationHoldings {
  return { name: location.name, ...(location.loadError !== undefined ? { loadError: location.loadError } : {}), airflow: location.airflow };
}
