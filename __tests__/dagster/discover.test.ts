import { afterEach, describe, expect, it } from 'vitest';
import { airflowMirror } from '../../src/dagster/airlift.js';
import { discoverLocations, readLocation, type LocationView } from '../../src/dagster/discover.js';
import { airliftLocation, type DagsterSimulator } from '../../sim/dagster.js';
import { connect, dags, startIn, type Mode } from './connect.js';

let sim: DagsterSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const asObject = (view: LocationView) =>
  Object.fromEntries([...view.airflow].map(([instance, byId]) => [instance, Object.fromEntries([...byId].map(([dagId, dag]) => [dagId, dag.tasks]))]));

describe.each<Mode>(['dagster-plus', 'self-hosted'])('discovery (%s)', (mode) => {
  it('reads the DAGs of two Airflow instances mirrored by one location, with mapped tasks, in one query', async () => {
    sim = await startIn(mode, {
      locations: [
        airliftLocation('airlift', [
          { instance: 'prod_airflow', dags: [{ dagId: 'daily.load-orders', tasks: ['extract', 'load'] }, { dagId: 'hourly' }] },
          { instance: 'legacy_airflow', dags: [{ dagId: 'hourly' }, { dagId: 'team/export' }] },
        ]),
        { name: 'analytics', assets: [['warehouse', 'orders']] },
      ],
    });
    const { client } = await connect(sim, mode);
    const before = sim.operations.length;

    const locations = await discoverLocations(client);

    expect(sim.operations.length - before).toBe(1);
    expect(locations.map((location) => location.name)).toEqual(['airlift', 'analytics']);
    const [airlift, analytics] = locations;
    // Dag ids come from metadata: asset keys sanitize `.`, `-` and `/`.
    expect(asObject(airlift!)).toEqual({
      prod_airflow: { 'daily.load-orders': ['extract', 'load'], hourly: [] },
      legacy_airflow: { hourly: [], 'team/export': [] },
    });
    expect(airlift).toMatchObject({ name: 'airlift', loadStatus: 'LOADED', unattributed: [] });
    expect(airlift!.stamp.serverId).toBe(sim.location('airlift').serverId);
    expect(airlift!.stamp.versionKey).toBe(sim.location('airlift').versionKey);
    expect(airlift!.stamp.updatedTimestamp).toBe(sim.location('airlift').updatedTimestamp);
    expect(analytics!.airflow.size).toBe(0);
  });

  it('reads when Airflow had parsed each DAG from the DAG record airlift fetched', async () => {
    sim = await startIn(mode, {
      locations: [
        airliftLocation('assets', { instance: 'airflow2', dags: [{ dagId: 'a', lastParsedTime: '2025-06-01T10:00:00+00:00' }] }),
        airliftLocation('component', { instance: 'airflow3', style: 'component', dags: [{ dagId: 'b', lastParsedTime: '2025-06-01T11:00:00+00:00', bundleVersion: 'c0ffee' }] }),
      ],
    });
    const { client } = await connect(sim, mode);

    const [assets, component] = await discoverLocations(client);

    expect(assets!.airflow.get('airflow2')?.get('a')?.snapshot).toEqual({ lastParsedTime: '2025-06-01T10:00:00+00:00', source: '# a' });
    expect(component!.airflow.get('airflow3')?.get('b')?.snapshot).toEqual({ lastParsedTime: '2025-06-01T11:00:00+00:00', bundleVersion: 'c0ffee', source: '# b' });
  });

  it('reads the DAG file airlift fetched from its "Source Code" fence, as Airflow stored it', async () => {
    const source = 'from airflow import DAG\n\n# ```python in a comment\nwith DAG("a") as dag:\n    pass\n';
    sim = await startIn(mode, { locations: [airliftLocation('assets', { instance: 'airflow2', dags: [{ dagId: 'a', lastParsedTime: '2025-06-01T10:00:00+00:00', source }] })] });
    const { client } = await connect(sim, mode);

    const [location] = await discoverLocations(client);

    expect(location!.airflow.get('airflow2')?.get('a')?.snapshot).toEqual({ lastParsedTime: '2025-06-01T10:00:00+00:00', source });
  });
});

describe('discovery of what dagster-airlift builds', () => {
  it('reads AirflowInstanceComponent locations (a job per DAG, a monitoring job, a state key)', async () => {
    sim = await startIn('self-hosted', {
      locations: [airliftLocation('component', { instance: 'composer', style: 'component', dags: [{ dagId: 'sales.daily', tasks: ['publish'] }, { dagId: 'ops' }] })],
    });
    const { client } = await connect(sim, 'self-hosted');

    const [location] = await discoverLocations(client);

    expect(asObject(location!)).toEqual({ composer: { 'sales.daily': ['publish'], ops: [] } });
    expect(location!.stateKeys).toEqual([{ key: 'AirflowInstanceComponent[composer]', version: '__code_server__', management: 'LEGACY_CODE_SERVER_SNAPSHOTS' }]);
  });

  it('keeps an instance that has no DAGs left, and reports job-based DAGs of several instances as unattributed', async () => {
    sim = await startIn('self-hosted', {
      locations: [
        airliftLocation('empty', { instance: 'prod_airflow', dags: [] }),
        airliftLocation('two_components', [
          { instance: 'a', style: 'component', dags: dags('shared', 'only_a') },
          { instance: 'b', style: 'component', dags: dags('only_b') },
        ]),
      ],
    });
    const { client } = await connect(sim, 'self-hosted');

    const [empty, two] = await discoverLocations(client);

    expect(asObject(empty!)).toEqual({ prod_airflow: {} });
    expect(asObject(two!)).toEqual({ a: {}, b: {} });
    expect(two!.unattributed).toEqual(['only_a', 'only_b', 'shared']);
  });

  it("recognises older airlift releases: the plain sensor's DAG assets, and the monitoring schedule of an instance without DAGs", async () => {
    sim = await startIn('self-hosted', {
      locations: [
        airliftLocation('older_assets', { instance: 'prod_airflow', release: 'older', dags: dags('daily', 'team/export') }),
        airliftLocation('older_component', { instance: 'composer', style: 'component', release: 'older', dags: [] }),
      ],
    });
    const { client } = await connect(sim, 'self-hosted');

    const [assets, component] = await discoverLocations(client);

    expect(asObject(assets!)).toEqual({ prod_airflow: { daily: [], 'team/export': [] } });
    expect(asObject(component!)).toEqual({ composer: {} });
  });

  it('reads an asset mapped to a whole DAG (dagster-airlift/dag-mapping) as a DAG the location mirrors', () => {
    const mapping = (dagId: string) => ({ assetKey: { path: [`${dagId}_table`] }, kinds: [], metadataEntries: [{ label: 'dagster-airlift/dag-mapping', jsonString: JSON.stringify([{ dag_id: dagId }]) }] });
    const repository = { name: '__repository__', jobs: [], sensors: [], schedules: [{ name: 'composer__airflow_monitoring_job_schedule' }], assetNodes: [mapping('orders')] };

    const mirror = airflowMirror([repository], []);

    expect(mirror.airflow.get('composer')?.has('orders')).toBe(true);
    expect(airflowMirror([{ ...repository, assetNodes: [] }], []).airflow.get('composer')?.size).toBe(0);
  });

  // Dagster's own message only says that loading failed: the user's exception is its cause.
  it('reports a location that failed to load, with the error and its cause', async () => {
    sim = await startIn('self-hosted', {
      locations: [airliftLocation('broken', { instance: 'prod_airflow', dags: dags('a') }, { loadError: 'ModuleNotFoundError: No module named dagster_airlift' })],
    });
    const { client } = await connect(sim, 'self-hosted');

    const [broken] = await discoverLocations(client);

    expect(broken).toMatchObject({ loadStatus: 'LOADED' });
    expect(broken!.loadError).toMatch(/^dagster\._core\.errors\.DagsterUserCodeLoadError: Error occurred during the loading of Dagster definitions/);
    expect(broken!.loadError).toMatch(/\nCaused by: ModuleNotFoundError: No module named dagster_airlift$/);
    expect(broken!.airflow.size).toBe(0);
  });

  it('reads one location by name, and nothing for a name Dagster does not have', async () => {
    sim = await startIn('dagster-plus', { locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a', 'b') })] });
    const { client } = await connect(sim, 'dagster-plus');

    const location = await readLocation(client, 'airlift');

    expect(asObject(location!)).toEqual({ prod_airflow: { a: [], b: [] } });
    expect(sim.operations.at(-1)?.operationName).toBe('AirliftSyncLocation');
    expect(await readLocation(client, 'nope')).toBeUndefined();
  });

  it('falls back to the legacy documents on a Dagster+ schema without workspaceLocationEntryOrError, versionKey or kinds', async () => {
    sim = await startIn('dagster-plus', {
      cloudRoots: true,
      omitFields: ['Query.workspaceLocationEntryOrError', 'WorkspaceLocationEntry.versionKey', 'WorkspaceLocationEntry.defsStateInfo', 'AssetNode.kinds'],
      locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: [{ dagId: 'a', tasks: ['t1'] }] })],
    });
    const { client } = await connect(sim, 'dagster-plus');

    const [location] = await discoverLocations(client);
    const again = await readLocation(client, 'airlift');

    expect(asObject(location!)).toEqual({ prod_airflow: { a: ['t1'] } });
    expect(location!.stamp).toEqual({ updatedTimestamp: sim.location('airlift').updatedTimestamp, versionKey: undefined, serverId: sim.location('airlift').serverId });
    expect(again?.name).toBe('airlift');
    expect(sim.operations.map((op) => op.operationName)).toEqual([
      'AirliftSyncCapabilities',
      'AirliftSyncWorkspaceLegacy',
      'AirliftSyncWorkspaceLegacy',
    ]);
    expect(sim.operations.every((op) => op.status === 200)).toBe(true);
  });

  it('still reads where each location keeps its state on a Dagster+ schema that has defsStateInfo but no versionKey', async () => {
    sim = await startIn('dagster-plus', {
      cloudRoots: true,
      omitFields: ['Query.workspaceLocationEntryOrError', 'WorkspaceLocationEntry.versionKey'],
      locations: [airliftLocation('airlift', { instance: 'prod', style: 'component', defsState: 'VERSIONED_STATE_STORAGE', dags: [{ dagId: 'a' }] })],
    });
    const { client } = await connect(sim, 'dagster-plus');

    const [location] = await discoverLocations(client);

    expect(location!.stateKeys).toEqual([{ key: 'AirflowInstanceComponent[prod]', version: sim.location('airlift').stateVersions.prod, management: 'VERSIONED_STATE_STORAGE' }]);
    expect(sim.operations.map((op) => op.operationName)).toEqual(['AirliftSyncCapabilities', 'AirliftSyncWorkspaceDefsState', 'AirliftSyncWorkspaceLegacy']);
  });
});
