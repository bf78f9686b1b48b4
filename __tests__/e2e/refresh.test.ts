// The bundled action against the simulators, for each way dagster-airlift keeps its Airflow state:
// what a user sees when a reload alone would not refresh it (issue 9). Run `npm run build` first.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import { GITHUB_TOKEN, LOCATION, REBUILD_WORKFLOW, startScenario, type Scenario, type ScenarioOptions } from '../../sim/scenario.js';
import { runAction, type ActionRun } from '../support/run-action.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const validateReport = ajv.compile(JSON.parse(readFileSync(path.join(root, 'schema/report.schema.json'), 'utf8')) as object);

/** A Dagster+ schema without workspaceLocationEntryOrError or versionKey, with its own root names. */
const DAGSTER_PLUS_SCHEMA = { cloudRoots: true, omitFields: ['Query.workspaceLocationEntryOrError', 'WorkspaceLocationEntry.versionKey', 'WorkspaceLocationStatusEntry.versionKey'] };

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

async function pushed(options: ScenarioOptions): Promise<Scenario> {
  scenario = await startScenario({ parseDelayMs: 300, reloadMs: 100, ...options });
  scenario.publishHead({ delayMs: 0 });
  return scenario;
}

async function act(s: Scenario, inputs: Record<string, string> = {}): Promise<ActionRun> {
  const run = await runAction({
    inputs: { ...s.inputs, 'poll-interval': '50ms', 'airflow-timeout': '20s', 'reload-timeout': '20s', ...inputs },
    eventName: 'push',
    payload: s.payload,
    workspace: s.repo.dir,
    sha: s.head,
    env: s.env,
  });
  expect(run.report, run.stdout + run.stderr).toBeDefined();
  expect(validateReport(run.report), JSON.stringify(validateReport.errors)).toBe(true);
  return run;
}

const refreshOf = (run: ActionRun) => run.report!.dagster!.locations.find((location) => location.location === LOCATION)!.refresh;

describe('Airflow state in versioned state storage', () => {
  it('refreshes the stored state through Dagster+, whose refresh loads it, and confirms the loaded version', async () => {
    const s = await pushed({ dagster: 'dagster-plus', defsState: 'VERSIONED_STATE_STORAGE', stateRefresh: 'success', schema: DAGSTER_PLUS_SCHEMA });
    const run = await act(s);

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([LOCATION]);
    expect(refreshOf(run)).toMatchObject({ case: 'versioned-state', via: 'refresh-state', stateKeys: [{ key: 'AirflowInstanceComponent[prod]', management: 'VERSIONED_STATE_STORAGE' }] });
    expect(refreshOf(run)!.stateKeys![0]!.versionAfter).toBe(s.dagster.location(LOCATION).storedVersions.prod);
    expect(s.dagster.location(LOCATION)).toMatchObject({ stateRefreshes: 1, dags: { prod: ['customers_sync', 'new_reporting', 'orders_etl'] } });
  });

  it('never reports success when a Dagster+ redeploy after an accepted refresh loads the version pinned at deploy', async () => {
    const s = await pushed({ dagster: 'dagster-plus', defsState: 'VERSIONED_STATE_STORAGE', stateRefresh: 'accepted' });
    const run = await act(s);
    const { stateVersions, storedVersions } = s.dagster.location(LOCATION);

    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.outputs['reloaded-locations']).toBe('[]');
    expect(run.summary).toContain('serves the old Airflow state');
    expect(run.summary).toContain('dg plus deploy');
    expect(refreshOf(run)!.stateKeys![0]).toMatchObject({ versionRefreshed: storedVersions.prod, versionAfter: stateVersions.prod });
    expect(stateVersions.prod).not.toBe(storedVersions.prod);
  });

  it('fails with the dg command when the Dagster is too old to refresh it and a reload served the same state', async () => {
    const s = await pushed({ dagster: 'self-hosted', defsState: 'VERSIONED_STATE_STORAGE' });
    const run = await act(s);

    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.summary).toContain("serves its Airflow state from Dagster's state storage");
    expect(run.summary).toContain('dg utils refresh-defs-state');
    expect(refreshOf(run)).toMatchObject({ case: 'versioned-state', via: 'reload' });
    expect(s.dagster.location(LOCATION).reloads).toBe(1);
  });

  it('under `dagster dev`, reloads and confirms instead of refusing', async () => {
    const s = await pushed({ dagster: 'self-hosted', defsState: 'VERSIONED_STATE_STORAGE', location: { dev: true } });
    const run = await act(s);

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(refreshOf(run)).toMatchObject({ case: 'versioned-state', via: 'reload' });
    expect(s.dagster.location(LOCATION)).toMatchObject({ reloads: 1, dags: { prod: ['customers_sync', 'new_reporting', 'orders_etl'] } });
  });
});

describe('Airflow state baked into the image', () => {
  it('starts the rebuild workflow, follows its run, and confirms the redeployed location', async () => {
    const s = await pushed({ dagster: 'dagster-plus', defsState: 'LOCAL_FILESYSTEM', rebuild: {} });
    const run = await act(s);
    const started = s.github!.runs[0]!;

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([LOCATION]);
    expect(s.github!.runs).toHaveLength(1);
    expect(started).toMatchObject({ event: 'workflow_dispatch', ref: 'main', conclusion: 'success' });
    expect(run.stdout).toContain(`Starting ${REBUILD_WORKFLOW} (workflow_dispatch)`);
    expect(refreshOf(run)).toMatchObject({ case: 'image-state', via: 'rebuild', workflowRun: { id: started.id, conclusion: 'success' } });
    expect(s.dagster.location(LOCATION)).toMatchObject({ reloads: 0, redeploys: 1, dags: { prod: ['customers_sync', 'new_reporting', 'orders_etl'] } });
    expect(run.stdout).toContain(`::add-mask::${GITHUB_TOKEN}`);
    expect(run.stdout.split(GITHUB_TOKEN)).toHaveLength(2);
  });

  it('fails with the run link when the rebuild run fails', async () => {
    const s = await pushed({ dagster: 'self-hosted', defsState: 'LOCAL_FILESYSTEM', rebuild: { conclusion: 'failure', redeploys: false } });
    const run = await act(s);

    expect(run.exitCode).toBe(1);
    expect(run.summary).toMatch(/The rebuild workflow run https:\/\/github\.com\/acme\/dagster-project\/actions\/runs\/\d+ ended failure/);
    expect(refreshOf(run)).toMatchObject({ via: 'rebuild', workflowRun: { conclusion: 'failure' } });
  });

  it('fails with the explanation and the inputs to set when no rebuild workflow is given', async () => {
    const s = await pushed({ dagster: 'self-hosted', defsState: 'LOCAL_FILESYSTEM' });
    const run = await act(s);

    expect(run.exitCode).toBe(1);
    expect(run.summary).toContain('keeps its Airflow state in the image');
    expect(run.summary).toContain('Set rebuild-workflow');
    expect(run.report!.failures).toEqual([expect.objectContaining({ stage: 'dagster', input: 'rebuild-workflow' })]);
    // Self-hosted it is tried once, as under `dagster dev` it would refresh the state.
    expect(s.dagster.location(LOCATION).reloads).toBe(1);
  });
});

describe('Airflow state fetched when the code server loads', () => {
  it('reloads a component with LEGACY_CODE_SERVER_SNAPSHOTS and reports the case', async () => {
    const s = await pushed({ dagster: 'self-hosted', defsState: 'LEGACY_CODE_SERVER_SNAPSHOTS' });
    const run = await act(s);

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(refreshOf(run)).toMatchObject({ case: 'code-server-snapshot', via: 'reload' });
  });

  it('confirms a code server with a fixed server id, which keeps its id across a real reload', async () => {
    const s = await pushed({ dagster: 'self-hosted', location: { fixedServerId: 'airlift-code-server' } });
    const run = await act(s);

    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(run.summary).not.toContain('did not re-import');
    expect(s.dagster.location(LOCATION)).toMatchObject({ reloads: 1, serverId: 'airlift-code-server' });
  });

  it('never reports success when a `dagster api grpc` server answers the reload without re-importing', async () => {
    const s = await pushed({ dagster: 'self-hosted', reload: 'grpc-no-reimport' });
    const run = await act(s);

    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.outputs['reloaded-locations']).toBe('[]');
    expect(run.summary).toContain('did not re-import the definitions');
    expect(run.summary).toContain('dagster code-server start');
    expect(s.dagster.location(LOCATION).reloads).toBe(1);
  });
});

describe('a DAG the location leaves out on purpose', () => {
  it('is reported as excluded after one reload, and a second run does not reload for it again', async () => {
    const s = await pushed({ dagster: 'self-hosted', location: { dagFilter: (dagId) => dagId !== 'new_reporting' } });
    const first = await act(s);
    const second = await act(s);
    const excludedOf = (run: ActionRun) => run.report!.dagster!.locations.find((location) => location.location === LOCATION)!.excluded;

    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.outputs.result).toBe('synced');
    expect(excludedOf(first)).toEqual([{ instance: 'prod', dagId: 'new_reporting' }]);
    expect(first.summary).toContain("excluded by the location's DAG filter: `new_reporting`");
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs.result).toBe('in-sync');
    expect(excludedOf(second)).toEqual([{ instance: 'prod', dagId: 'new_reporting' }]);
    expect(s.dagster.location(LOCATION).reloads).toBe(1);
  });
});
