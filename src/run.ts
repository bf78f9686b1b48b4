// The pipeline: pushed range -> DAG changes -> live Airflow -> Dagster plan ->
// reloads. Each stage records what it found; a stage that fails records why
// and the stages that need its result are skipped, so the report always says
// what happened.
import type { Config } from './inputs.js';
import { heldLogger, type Logger } from './log.js';
import { ActionError, type PushRange } from './model.js';
import type { Failure, NotChecked, RunReport, RunResult, Stage } from './outcome.js';
import { REPORT_SCHEMA_VERSION } from './outcome.js';
import { readChanges, type ChangesStage, type NamedInstance } from './stages/changes.js';
import type { AirflowStage, ConnectedAirflow } from './stages/airflow.js';
import type { DagsterDiscovery } from './stages/dagster.js';
import { mirroredInstances } from './plan.js';
import { pushRangeFromEvent } from './changes/range.js';
import { collectGarbage } from './memory.js';
import type { RunContext } from './context.js';
import { toFailure } from './failure.js';
import { migrationFailure, migrationReport } from './migration/index.js';

export async function run(config: Config, context: RunContext, log: Logger): Promise<RunReport> {
  // The event decides everything else: an unsupported one fails, and a push with nothing to
  // compare (a deleted branch, a tag) ends here, before any request is sent.
  let eventRange;
  try {
    eventRange = pushRangeFromEvent(context.eventName, context.payload, { includeTags: config.includeTags, headSha: context.sha });
  } catch (error) {
    if (error instanceof ActionError) return inputFailureReport(context, error);
    throw error;
  }
  if (eventRange.kind === 'skip') {
    log.info(`Nothing to do: ${eventRange.reason}.`);
    return { ...emptyReport(context, eventRange, config.dryRun), result: 'in-sync' };
  }

  const failures: Failure[] = [];
  const record = (stage: Stage, error: unknown) => failures.push(toFailure(stage, error));
  const timings = { changesMs: 0, airflowMs: 0, dagsterMs: 0 };
  const timed = async <T>(key: keyof typeof timings, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await work();
    } finally {
      timings[key] += Date.now() - started;
    }
  };

  // The Airflow and Dagster clients (GraphQL, their schemas) are loaded only for a run that talks
  // to them: a dry run without those inputs reads the push and reports, nothing more.
  const [airflowStage, dagsterStage] = await Promise.all([
    config.instances.some((instance) => instance.airflow) ? import('./stages/airflow.js') : undefined,
    config.dagster ? import('./stages/dagster.js') : undefined,
  ]);
  // A collection between stages makes room for the next stage's answers (see src/memory.ts); a run
  // that only reads the push has no such stage, and each forced collection would cost it tens of ms.
  const betweenStages = airflowStage || dagsterStage ? collectGarbage : () => undefined;
  const airflows = airflowStage ? await timed('airflowMs', () => log.group('Connect to Airflow', () => airflowStage.connectAirflows(config, log))) : [];

  let discovery: DagsterDiscovery | undefined;
  let unknownLocations = false;
  const discover = async (into: Logger, parseAfter?: Promise<void>) => {
    if (!dagsterStage) return;
    try {
      discovery = await timed('dagsterMs', () => into.group('Discover Dagster code locations', () => dagsterStage.discoverDagster(config, into, parseAfter)));
    } catch (error) {
      record('dagster', error);
      return;
    }
    // The locations the inputs name are checked as soon as Dagster lists its own: a typo fails
    // before the wait for Airflow.
    try {
      dagsterStage.selectLocations(config, discovery.locations, new Map([['config', config.instances.flatMap((instance) => instance.codeLocations)]]));
    } catch (error) {
      record('dagster', error);
      unknownLocations = true;
    }
  };

  let changes: ChangesStage | undefined;
  const readPush = async () => {
    try {
      const instances = nameInstances(config, airflows, discovery);
      changes = await timed('changesMs', () => log.group('Read the pushed DAG changes', () => readChanges(config, context, instances, log)));
    } catch (error) {
      record('changes', error);
    }
  };

  if (config.instances.every((instance) => instance.name)) {
    // Dagster's answer is the server's work and reading the push is the action's: both at once.
    // The answer is parsed after the push is read and the parser's memory given back (the two
    // largest holdings of the run do not meet), and discovery's lines (but its debug lines) are held
    // until then, so the log's groups stay apart.
    const held = heldLogger(log);
    let pushRead = () => {};
    const discovering = discover(held.log, new Promise<void>((resolve) => (pushRead = resolve)));
    await readPush();
    betweenStages();
    pushRead();
    await discovering;
    await held.replay();
  } else {
    // Dagster must name an unnamed instance before the push is read.
    await discover(log);
    betweenStages();
    await readPush();
  }
  betweenStages();

  const pullRequest = context.eventName.startsWith('pull_request');
  const active = changes && changes.range.kind !== 'skip' ? changes : undefined;
  let airflow: AirflowStage | undefined;
  if (airflowStage && active && !unknownLocations) {
    // A pull request's code never reaches Airflow: its plan compares with what Airflow holds now.
    const title = pullRequest ? 'Read what Airflow holds now' : 'Wait for Airflow to parse the push';
    airflow = await timed('airflowMs', () =>
      log.group(title, () =>
        airflowStage.compareAirflow(config, airflows, active, context.workspace, log, { pollInitialMs: config.pollIntervalMs, mode: pullRequest ? 'snapshot' : 'wait' }),
      ),
    );
    failures.push(...airflow.failures);
    betweenStages();
  } else {
    failures.push(...airflows.flatMap((entry) => (entry.failure ? [entry.failure] : [])));
  }
  const notChecked: NotChecked[] = [...config.notChecked, ...(airflow?.notChecked ?? []), ...airflows.flatMap((entry) => (entry.notChecked ? [entry.notChecked] : []))];
  for (const entry of notChecked) log.info(`Not checked: ${entry.message} Set ${entry.input} to compare it.`);
  // Nothing is reloaded unless every instance was compared: a reload before Airflow shows the push caches the old state.
  const planOnly = config.dryRun || pullRequest || notChecked.length > 0;

  let dagster: RunReport['dagster'];
  if (dagsterStage && discovery && active && !unknownLocations) {
    // Reloading before Airflow shows the push, or after the push could not be read, caches stale state again.
    const onlyPlan = planOnly || !(airflow?.caughtUp ?? true);
    try {
      const synced = await timed('dagsterMs', () =>
        log.group(onlyPlan ? 'Plan Dagster reloads' : 'Reload Dagster code locations', () =>
          dagsterStage.syncDagster(config, discovery!, acceptedChanges(active, airflow), airflow, peersOf(config, active), { planOnly: onlyPlan, pollIntervalMs: config.pollIntervalMs }, log),
        ),
      );
      failures.push(...synced.failures);
      dagster = synced.report;
    } catch (error) {
      record('dagster', error);
      dagster = { ...discovery.base, status: 'failed', locations: [], requests: discovery.client.requestCount };
    }
  } else if (discovery) {
    dagster = { ...discovery.base, status: unknownLocations ? 'failed' : 'compared', locations: [], requests: discovery.client.requestCount };
  }

  const reloaded = new Set((dagster?.locations ?? []).filter((location) => location.reload).map((location) => location.location));
  const migration = migrationReport(changes?.migration, changes?.report.dags ?? [], discovery?.locations ?? [], reloaded);
  const migrationError = migrationFailure(migration);
  if (migrationError) record('changes', migrationError);

  const range: PushRange = changes?.range ?? { kind: 'skip', event: context.eventName, reason: 'the push could not be read' };
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    result: resultOf(failures, dagster, planOnly, rejectedDags(airflow).size > 0),
    event: context.eventName,
    ...(context.repository ? { repository: context.repository } : {}),
    range,
    ...links(context, range),
    dryRun: planOnly,
    changes: changes?.report ?? emptyChanges(),
    airflow: airflow?.reports ?? [],
    ...(dagster ? { dagster } : {}),
    ...(migration ? { migration } : {}),
    failures,
    ...(notChecked.length ? { notChecked } : {}),
    timings: { totalMs: Date.now() - context.startedAt, ...timings },
  };
}

/**
 * The dagster-airlift name of each configured instance. A single instance
 * without airflow-instance-name takes the one name the Dagster locations
 * mirror; with several it must be named.
 */
function nameInstances(config: Config, airflows: readonly ConnectedAirflow[], discovery: DagsterDiscovery | undefined): NamedInstance[] {
  return config.instances.map((instance, index) => {
    const client = airflows.find((airflow) => airflow.index === index)?.client;
    const airflowMajor: 2 | 3 | undefined = client ? (client.apiVersion === 'v2' ? 3 : 2) : undefined;
    const base = { index, dagsFolders: instance.dagsFolders, ignoreSyntax: instance.ignoreSyntax, ...(airflowMajor ? { airflowMajor } : {}) };
    if (instance.name) return { ...base, name: instance.name };
    const mirrored = discovery ? mirroredInstances(discovery.locations) : [];
    if (mirrored.length > 1) {
      throw new ActionError(
        `The Dagster code locations mirror several Airflow instances (${mirrored.join(', ')}), and airflow-instance-name does not say which one this repository feeds.`,
        `Set airflow-instance-name to one of ${mirrored.join(', ')}, or list the instances in a config file.`,
        'airflow-instance-name',
      );
    }
    return { ...base, name: mirrored[0] ?? 'airflow' };
  });
}

/** Configured peers: instance -> the code locations the config (or code-locations, for one instance) names. */
function peersOf(config: Config, changes: ChangesStage): Map<string, readonly string[]> {
  const peers = new Map<string, readonly string[]>();
  for (const entry of changes.instances) {
    const configured = config.instances[entry.instance.index]?.codeLocations ?? [];
    const named = configured.length ? configured : config.instances.length === 1 ? config.codeLocations : [];
    if (named.length) peers.set(entry.instance.name, named);
  }
  return peers;
}

function emptyChanges(): RunReport['changes'] {
  return { source: 'none', githubApiRequests: 0, dags: [], archives: [], syntaxErrors: [], dynamicDags: [], skippedFiles: [] };
}

/**
 * The DAGs whose pushed file Airflow could not import, as `instance\0dagId`: Airflow keeps serving
 * their previous version, so a reload would only cache that again.
 */
function rejectedDags(airflow: AirflowStage | undefined): Set<string> {
  return new Set((airflow?.reports ?? []).flatMap((report) => report.dags.filter((dag) => dag.state === 'import-error').map((dag) => `${report.instance}\0${dag.dagId}`)));
}

/**
 * The push as Airflow took it, what Dagster is planned and confirmed against: without the DAGs
 * Airflow rejected, with those it parsed from files the reader could not read.
 */
function acceptedChanges(changes: ChangesStage, airflow: AirflowStage | undefined): ChangesStage {
  const rejected = rejectedDags(airflow);
  const learned = airflow?.learned ?? [];
  if (!rejected.size && !learned.length) return changes;
  return {
    ...changes,
    instances: changes.instances.map((entry) => ({
      ...entry,
      changes: [
        ...entry.changes.filter((change) => !rejected.has(`${change.instance}\0${change.dagId}`)),
        ...learned.filter((change) => change.instance === entry.instance.name),
      ],
    })),
  };
}

function resultOf(failures: readonly Failure[], dagster: RunReport['dagster'], planOnly: boolean, rejected: boolean): RunResult {
  if (failures.length) return 'failed';
  if (planOnly) return 'planned';
  if (rejected) return 'rejected';
  const reloaded = dagster?.locations.some((location) => location.reload) ?? false;
  return reloaded ? 'synced' : 'in-sync';
}

function links(context: RunContext, range: PushRange): Pick<RunReport, 'compareUrl' | 'headUrl'> {
  if (!context.repository) return {};
  const repo = `${context.serverUrl}/${context.repository}`;
  if (range.kind === 'diff') return { compareUrl: `${repo}/compare/${range.base}...${range.head}`, headUrl: `${repo}/blob/${range.head}` };
  if (range.kind === 'full') return { headUrl: `${repo}/blob/${range.head}` };
  return {};
}

/** The report when the inputs themselves are wrong: nothing was read or sent. */
export function inputFailureReport(context: RunContext, error: ActionError): RunReport {
  const range: PushRange = { kind: 'skip', event: context.eventName, reason: 'the inputs are not valid' };
  return { ...emptyReport(context, range, false), result: 'failed', failures: [toFailure('inputs', error)] };
}

function emptyReport(context: RunContext, range: PushRange, dryRun: boolean): RunReport {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    result: 'in-sync',
    event: context.eventName,
    ...(context.repository ? { repository: context.repository } : {}),
    range,
    dryRun,
    changes: emptyChanges(),
    airflow: [],
    failures: [],
    timings: { totalMs: Date.now() - context.startedAt, changesMs: 0, airflowMs: 0, dagsterMs: 0 },
  };
}
