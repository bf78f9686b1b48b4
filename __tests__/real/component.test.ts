// dagster-airlift's AirflowInstanceComponent under each defs_state management type the installed release
// has (dagster_shared/serdes/objects/models/defs_state_info.py: DefsStateManagementType), served by a
// plain dagster-webserver (not `dagster dev`, which refreshes every state on every load). Three
// component locations mirror the same real Airflow 2 under three instance names; one push adds a DAG
// and the action is run for each instance in turn.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, startAirflow2, type RealAirflow } from './airflow.js';
import { dagFile } from './dag-files.js';
import { startDagster, type RealDagster } from './dagster.js';
import { installVenvs } from './install.js';
import { act, dagsRepo, scratch, tearDown, waitForDags, type DagsRepo, type Push } from './world.js';

/** location → instance, and the defs_state the location's defs.yaml sets (none: the component's default). */
const LOCATIONS = {
  default: { name: 'airlift_default_state', instance: 'af2_default' },
  versioned: { name: 'airlift_versioned_state', instance: 'af2_versioned', defsState: 'VERSIONED_STATE_STORAGE' },
  snapshots: { name: 'airlift_snapshot_state', instance: 'af2_snapshots', defsState: 'LEGACY_CODE_SERVER_SNAPSHOTS' },
} as const;
const DEV_LOCATION = { name: 'airlift_dev_default_state', instance: 'af2_dev' } as const;

interface StateInfo {
  workspaceOrError: { locationEntries: { name: string; defsStateInfo: { keyStateInfo: { name: string; info: { version: string; managementType: string } | null }[] } | null }[] };
}

describe('real AirflowInstanceComponent: each defs_state management type', () => {
  const work = scratch('airlift-real-component-');
  let repo: DagsRepo;
  let airflow: RealAirflow | undefined;
  let dagster: RealDagster | undefined;
  /** The default component again, under `dagster dev`. */
  let dev: RealDagster | undefined;
  let push: Push;
  // Without mappings the component shows each DAG as a job named after it, and no asset (dagster_airlift
  // core/components/airflow_instance/component.py: build_defs_from_state, construct_dag_jobs), beside
  // the instance's `<instance>__airflow_monitoring_job` (build_airflow_monitoring_defs).
  const jobsOf = async (location: string) => ((await dagster!.jobsByLocation()).get(location) ?? []).filter((job) => !job.endsWith('__airflow_monitoring_job'));
  const states = async () => {
    const data = await dagster!.graphql<StateInfo>(
      '{ workspaceOrError { ... on Workspace { locationEntries { name defsStateInfo { keyStateInfo { name info { version managementType } } } } } } }',
    );
    return new Map(data.workspaceOrError.locationEntries.map((entry) => [entry.name, entry.defsStateInfo?.keyStateInfo ?? []]));
  };
  const sync = (instance: string) => act(repo, push, airflow!, { 'airflow-instance-name': instance, 'dagster-url': dagster!.url });

  beforeAll(async () => {
    const venvs = installVenvs();
    repo = dagsRepo({ 'orders.py': dagFile(2, { id: 'orders', tasks: ['extract'] }) });
    airflow = await startAirflow2({ venv: venvs.airflow2, home: `${work.dir}/airflow`, dagsFolder: repo.dagsFolder, logDir: work.dir });
    await waitForDags(airflow, ['orders']);
    const mirror = { airflowUrl: airflow.url, username: AIRFLOW_USER, password: AIRFLOW_PASSWORD };
    dagster = await startDagster({
      venv: venvs.dagster,
      home: `${work.dir}/dagster`,
      logDir: work.dir,
      locations: Object.values(LOCATIONS).map((location) => ({
        name: location.name,
        instance: location.instance,
        ...mirror,
        component: 'defsState' in location ? { defsState: location.defsState } : {},
      })),
    });
    dev = await startDagster({ venv: venvs.dagster, home: `${work.dir}/dagster-dev`, logDir: work.dir, dev: true, locations: [{ name: DEV_LOCATION.name, instance: DEV_LOCATION.instance, ...mirror, component: {} }] });
    push = repo.push('add shipments', { 'shipments.py': dagFile(2, { id: 'shipments', tasks: ['ship'] }) });
  }, 600_000);

  afterAll(async () => {
    await dev?.stop();
    await tearDown({ airflow, dagster, repo, work });
  }, 60_000);

  it('each location loads the state written before it started, under its key and management type (the default: LOCAL_FILESYSTEM)', async () => {
    const loaded = await states();
    const key = (instance: string) => `AirflowInstanceComponent[${instance}]`;
    expect(loaded.get(LOCATIONS.default.name)).toEqual([{ name: key('af2_default'), info: { version: '__local__', managementType: 'LOCAL_FILESYSTEM' } }]);
    expect(loaded.get(LOCATIONS.versioned.name)).toEqual([{ name: key('af2_versioned'), info: { version: expect.stringMatching(/^[0-9a-f-]{36}$/), managementType: 'VERSIONED_STATE_STORAGE' } }]);
    expect(loaded.get(LOCATIONS.snapshots.name)).toEqual([{ name: key('af2_snapshots'), info: { version: '__code_server__', managementType: 'LEGACY_CODE_SERVER_SNAPSHOTS' } }]);
    for (const location of Object.values(LOCATIONS)) expect(await jobsOf(location.name)).toEqual(['orders']);
  });

  it('LEGACY_CODE_SERVER_SNAPSHOTS: the action reloads, the new code server fetches Airflow, and the new DAG shows', async () => {
    const { name, instance } = LOCATIONS.snapshots;

    const run = await sync(instance);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([name]);
    expect(run.report!.dagster!.locations.find((location) => location.location === name)?.refresh).toMatchObject({ case: 'code-server-snapshot', via: 'reload' });
    expect(await jobsOf(name)).toEqual(['orders', 'shipments']);
  });

  it('VERSIONED_STATE_STORAGE: the action refreshes the stored state (refreshComponentState), and the location serves the new version with the new DAG', async () => {
    const { name, instance } = LOCATIONS.versioned;
    const before = (await states()).get(name)![0]!.info!.version;

    const run = await sync(instance);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([name]);
    const refresh = run.report!.dagster!.locations.find((location) => location.location === name)?.refresh;
    expect(refresh).toMatchObject({ case: 'versioned-state', via: 'refresh-state' });
    const [state] = refresh!.stateKeys!;
    expect(state).toMatchObject({ versionBefore: before, versionAfter: state!.versionRefreshed });
    expect(state!.versionRefreshed).not.toBe(before);
    expect((await states()).get(name)![0]!.info!.version).toBe(state!.versionRefreshed);
    expect(await jobsOf(name)).toEqual(['orders', 'shipments']);
  });

  it('the default, LOCAL_FILESYSTEM: a reload serves the state baked in before, and the action fails with the fix', async () => {
    const { name, instance } = LOCATIONS.default;

    const run = await sync(instance);

    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.outputs['reloaded-locations']).toBe('[]');
    const location = run.report!.dagster!.locations.find((entry) => entry.location === name)!;
    expect(location.refresh).toMatchObject({ case: 'image-state', via: 'reload', stateKeys: [expect.objectContaining({ management: 'LOCAL_FILESYSTEM', versionBefore: '__local__', versionAfter: '__local__' })] });
    expect(location.outOfSync).toEqual(['shipments']);
    const [failure] = run.report!.failures;
    expect(failure).toMatchObject({ stage: 'dagster', input: 'rebuild-workflow' });
    expect(failure!.message).toMatch(/keeps its Airflow state in the image.*The reload served the same Airflow state/);
    expect(failure!.fix).toMatch(/dg utils refresh-defs-state/);
    expect(failure!.fix).toMatch(/VERSIONED_STATE_STORAGE/);
    expect(await jobsOf(name)).toEqual(['orders']);
  });

  it('the default under `dagster dev`: the reload refreshes the state (refresh_if_dev), and the action syncs', async () => {
    const { name, instance } = DEV_LOCATION;
    const jobs = async () => ((await dev!.jobsByLocation()).get(name) ?? []).filter((job) => !job.endsWith('__airflow_monitoring_job'));
    expect(await jobs()).toEqual(['orders']);

    const run = await act(repo, push, airflow!, { 'airflow-instance-name': instance, 'dagster-url': dev!.url });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([name]);
    expect(run.report!.dagster!.locations.find((location) => location.location === name)?.refresh).toMatchObject({ case: 'image-state', via: 'reload' });
    expect(await jobs()).toEqual(['orders', 'shipments']);
  });
});
