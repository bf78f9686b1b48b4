// The Dagster simulator itself: the other tests trust it to answer like Dagster.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { airliftLocation, startDagsterSimulator, type DagsterSimulator, type DagsterSimulatorOptions } from '../../sim/dagster.js';

let sim: DagsterSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function post(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  const response = await fetch(sim!.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }), redirect: 'manual' });
  const text = await response.text();
  return { status: response.status, type: response.headers.get('content-type') ?? '', json: <T = unknown>() => JSON.parse(text) as { data: T; errors?: { message: string }[] } };
}

const location = airliftLocation('airlift', { instance: 'prod', dags: [{ dagId: 'a' }] });
const start = (options: DagsterSimulatorOptions = {}) => startDagsterSimulator({ locations: [location], ...options }).then((started) => (sim = started));

describe('the Dagster simulator', () => {
  it.each(['full', 'subset'] as const)('rejects with 400 what the %s schema rejects', async (source) => {
    await start({ schemaSource: source });

    const answer = await post('{ workspaceOrError { ... on Workspace { locationEntries { name noSuchField } } } }');

    expect(answer.status).toBe(400);
    expect(answer.json().errors?.[0]?.message).toMatch(/Cannot query field "noSuchField"/);
  });

  it('serves older Dagster+ schemas: omitted fields vanish from introspection and queries, roots are CloudQuery/CloudMutation', async () => {
    await start({ cloudRoots: true, omitFields: ['Query.workspaceLocationEntryOrError', 'WorkspaceLocationEntry.versionKey'] });

    type Names = { name: string; fields: { name: string }[] };
    const schema = (await post('{ __schema { queryType { name fields { name } } mutationType { name } } __type(name: "WorkspaceLocationEntry") { fields { name } } }')).json<{
      __schema: { queryType: Names; mutationType: Names };
      __type: Names;
    }>().data;
    const rejected = await post('{ workspaceOrError { ... on Workspace { locationEntries { versionKey } } } }');

    expect(schema.__schema.queryType.name).toBe('CloudQuery');
    expect(schema.__schema.mutationType.name).toBe('CloudMutation');
    expect(schema.__schema.queryType.fields.map((f) => f.name)).not.toContain('workspaceLocationEntryOrError');
    expect(schema.__type.fields.map((f) => f.name)).not.toContain('versionKey');
    expect(rejected.status).toBe(400);
  });

  it('answers Dagster+ auth failures with a 401 that is not GraphQL, and records no secret', async () => {
    await start({ auth: { kind: 'dagster-plus', token: 'user:t0k' } });

    const denied = await post('{ workspaceOrError { __typename } }', {}, { 'Dagster-Cloud-Api-Token': 'user:nope' });
    const allowed = await post('{ workspaceOrError { __typename } }', {}, { 'Dagster-Cloud-Api-Token': 'user:t0k' });

    expect(denied).toMatchObject({ status: 401, type: 'text/plain' });
    expect(allowed.status).toBe(200);
    expect(JSON.stringify(sim!.operations)).not.toContain('t0k');
  });

  it('answers like an auth proxy when its headers are missing', async () => {
    await start({ auth: { kind: 'headers', headers: { 'X-Api-Key': 'k' } } });

    const page = await post('{ workspaceOrError { __typename } }');

    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
  });

  const RELOAD = 'mutation R($name: String!) { reloadRepositoryLocation(repositoryLocationName: $name) { __typename ... on WorkspaceLocationEntry { loadStatus } } }';
  const reload = async () => (await post(RELOAD, { name: 'airlift' })).json<{ reloadRepositoryLocation: Record<string, string> }>().data.reloadRepositoryLocation;

  it('reloads inline when self-hosted: the answer is the new, loaded server', async () => {
    await start({ reloadMs: 30 });
    const old = sim!.location('airlift');

    const answer = await reload();

    expect(answer).toEqual({ __typename: 'WorkspaceLocationEntry', loadStatus: 'LOADED' });
    expect(sim!.location('airlift')).toMatchObject({ loadStatus: 'LOADED', reloads: 1 });
    expect(sim!.location('airlift').serverId).not.toBe(old.serverId);
    expect(sim!.location('airlift').updatedTimestamp).toBeGreaterThan(old.updatedTimestamp);
  });

  it('redeploys asynchronously on Dagster+: LOADING at once, the new server later', async () => {
    await start({ deployment: 'dagster-plus', reloadMs: 200 });
    const old = sim!.location('airlift');

    const answer = await reload();
    const during = sim!.location('airlift');

    expect(answer!.loadStatus).toBe('LOADING');
    expect(during).toMatchObject({ loadStatus: 'LOADING', serverId: old.serverId });
    await vi.waitFor(() => expect(sim!.location('airlift').loadStatus).toBe('LOADED'), { interval: 5 });
    expect(sim!.location('airlift').serverId).not.toBe(old.serverId);
  });

  const STATUS = '{ locationStatusesOrError { ... on WorkspaceLocationStatusEntries { entries { name loadStatus updateTimestamp } } } }';
  const status = async () =>
    (await post(STATUS)).json<{ locationStatusesOrError: { entries: { name: string; loadStatus: string; updateTimestamp: number }[] } }>().data.locationStatusesOrError.entries[0]!;

  it('shows the old entry, LOADED, while a self-hosted reload loads (as dagster-webserver swaps it in when done)', async () => {
    await start({ reloadMs: 0 });
    const release = sim!.holdLoads('airlift');
    const old = await status();

    const answer = reload();
    await vi.waitFor(() => expect(sim!.location('airlift').reloads).toBe(1), { interval: 5 });
    const during = await status();
    release();
    await answer;

    expect(during).toEqual(old);
    expect(old.loadStatus).toBe('LOADED');
    expect((await status()).updateTimestamp).toBeGreaterThan(old.updateTimestamp);
  });

  it('shows a Dagster+ redeploy LOADING, stamped when it began, until the held load is released', async () => {
    await start({ deployment: 'dagster-plus', reloadMs: 0 });
    const release = sim!.holdLoads('airlift');
    const old = await status();

    await reload();
    const during = await status();
    release();
    await vi.waitFor(() => expect(sim!.location('airlift').loadStatus).toBe('LOADED'), { interval: 5 });
    const loaded = await status();

    expect(during.loadStatus).toBe('LOADING');
    expect(during.updateTimestamp).toBeGreaterThan(old.updateTimestamp);
    expect(loaded.updateTimestamp).toBeGreaterThan(during.updateTimestamp);
  });

  it('serves what Airflow held when the load began, not when it ended', async () => {
    await start({ deployment: 'dagster-plus', reloadMs: 0 });
    sim!.setAirflowSource('airlift', () => [{ dagId: 'a' }]);
    const release = sim!.holdLoads('airlift');

    await reload();
    sim!.setAirflowSource('airlift', () => [{ dagId: 'a' }, { dagId: 'b' }]);
    release();
    await vi.waitFor(() => expect(sim!.location('airlift').loadStatus).toBe('LOADED'), { interval: 5 });

    expect(sim!.location('airlift').dags).toEqual({ prod: ['a'] });
  });

  it('keeps everything on a `dagster api grpc` reload, and re-reads the Airflow source on a real one', async () => {
    await start({ reloadMs: 0 });
    sim!.setAirflowSource('airlift', () => [{ dagId: 'a' }, { dagId: 'b' }]);
    sim!.setReload('airlift', 'grpc-no-reimport');
    const old = sim!.location('airlift');

    await reload();
    const unchanged = sim!.location('airlift');
    sim!.setReload('airlift', 'success');
    await reload();

    // Dagster makes a new entry for the reused server: only the timestamp moves.
    expect(unchanged).toEqual({ ...old, reloads: 1, updatedTimestamp: unchanged.updatedTimestamp });
    expect(unchanged.updatedTimestamp).toBeGreaterThan(old.updatedTimestamp);
    expect(sim!.location('airlift').dags).toEqual({ prod: ['a', 'b'] });
  });

  it('keeps a fixed server id (and versionKey) across real reloads, and leaves out what the DAG filter excludes', async () => {
    sim = await startDagsterSimulator({ reloadMs: 0, locations: [airliftLocation('airlift', { instance: 'prod', dags: [{ dagId: 'a' }] }, { fixedServerId: 'fixed', dagFilter: (dagId) => dagId !== 'hidden' })] });
    sim.setAirflowSource('airlift', () => [{ dagId: 'a' }, { dagId: 'b' }, { dagId: 'hidden' }]);
    const old = sim.location('airlift');

    await post('mutation R { reloadRepositoryLocation(repositoryLocationName: "airlift") { __typename } }');

    expect(old).toMatchObject({ serverId: 'fixed', versionKey: 'fixed' });
    expect(sim.location('airlift')).toMatchObject({ serverId: 'fixed', versionKey: 'fixed', dags: { prod: ['a', 'b'] } });
    expect(sim.location('airlift').updatedTimestamp).toBeGreaterThan(old.updatedTimestamp);
  });
});

describe("the Dagster simulator's AirflowInstanceComponent state", () => {
  const component = (defsState: 'LEGACY_CODE_SERVER_SNAPSHOTS' | 'LOCAL_FILESYSTEM' | 'VERSIONED_STATE_STORAGE') =>
    airliftLocation('airlift', { instance: 'prod', style: 'component', defsState, dags: [{ dagId: 'a' }] });
  const RELOAD = 'mutation R($name: String!) { reloadRepositoryLocation(repositoryLocationName: $name) { __typename } }';
  const REFRESH = `mutation S($loc: String!, $key: String!) {
    refreshComponentState(locationName: $loc, defsStateKey: $key) {
      __typename
      ... on RefreshComponentStateSuccess { component { defsStateInfo { version } } }
      ... on RefreshComponentStateError { message }
    }
  }`;
  const LATEST = '{ latestDefsStateInfo { keyStateInfo { name info { version managementType } } } }';
  const withSource = async (options: DagsterSimulatorOptions) => {
    sim = await startDagsterSimulator({ reloadMs: 0, ...options });
    sim.setAirflowSource('airlift', () => [{ dagId: 'a' }, { dagId: 'b' }]);
  };

  it('shows each key with its management type and the version the server loaded', async () => {
    await withSource({ locations: [component('LOCAL_FILESYSTEM')] });

    const info = (await post('{ workspaceLocationEntryOrError(name: "airlift") { ... on WorkspaceLocationEntry { defsStateInfo { keyStateInfo { name info { version managementType } } } } } }')).json<{
      workspaceLocationEntryOrError: { defsStateInfo: { keyStateInfo: unknown[] } };
    }>().data;

    expect(info.workspaceLocationEntryOrError.defsStateInfo.keyStateInfo).toEqual([
      { name: 'AirflowInstanceComponent[prod]', info: { version: sim!.location('airlift').stateVersions.prod, managementType: 'LOCAL_FILESYSTEM' } },
    ]);
  });

  it('keeps state baked into the image on reload, and fetches Airflow again on a redeploy', async () => {
    await withSource({ locations: [component('LOCAL_FILESYSTEM')] });
    const old = sim!.location('airlift');

    await post(RELOAD, { name: 'airlift' });
    const reloaded = sim!.location('airlift');
    await sim!.redeploy('airlift');

    // LOCAL_FILESYSTEM state has no versions: Dagster reports the constant `__local__` before and after.
    expect(reloaded).toMatchObject({ dags: { prod: ['a'] }, stateVersions: { prod: '__local__' } });
    expect(reloaded.serverId).not.toBe(old.serverId);
    expect(sim!.location('airlift')).toMatchObject({ dags: { prod: ['a', 'b'] }, redeploys: 1, stateVersions: { prod: '__local__' } });
  });

  it('loads the latest stored state on reload, which only refreshComponentState renews', async () => {
    await withSource({ refreshComponentState: true, locations: [component('VERSIONED_STATE_STORAGE')] });
    const old = sim!.location('airlift');

    await post(RELOAD, { name: 'airlift' });
    const reloaded = sim!.location('airlift');
    const answer = (await post(REFRESH, { loc: 'airlift', key: 'AirflowInstanceComponent[prod]' })).json<{ refreshComponentState: { __typename: string } }>().data;
    const latest = (await post(LATEST)).json<{ latestDefsStateInfo: { keyStateInfo: { info: { version: string } }[] } }>().data;

    expect(reloaded).toMatchObject({ dags: { prod: ['a'] }, stateVersions: old.stateVersions });
    expect(answer.refreshComponentState.__typename).toBe('RefreshComponentStateSuccess');
    expect(latest.latestDefsStateInfo.keyStateInfo[0]!.info.version).toBe(sim!.location('airlift').storedVersions.prod);
    // As Dagster's resolver: the location is reloaded with the new state after Success.
    expect(sim!.location('airlift')).toMatchObject({ dags: { prod: ['a', 'b'] }, stateVersions: sim!.location('airlift').storedVersions, stateRefreshes: 1 });
  });

  it('stores the new version later after Accepted, and never after accepted-never', async () => {
    await withSource({ refreshComponentState: true, locations: [{ ...component('VERSIONED_STATE_STORAGE'), stateRefresh: 'accepted', stateRefreshMs: 20 }] });
    const old = sim!.location('airlift').storedVersions.prod;

    const answer = (await post(REFRESH, { loc: 'airlift', key: 'AirflowInstanceComponent[prod]' })).json<{ refreshComponentState: { __typename: string } }>().data;
    const atOnce = sim!.location('airlift').storedVersions.prod;
    await vi.waitFor(() => expect(sim!.location('airlift').storedVersions.prod).not.toBe(old), { interval: 5 });
    sim!.setStateRefresh('airlift', 'accepted-never');
    const settled = sim!.location('airlift').storedVersions.prod;
    await post(REFRESH, { loc: 'airlift', key: 'AirflowInstanceComponent[prod]' });
    await new Promise((done) => setTimeout(done, 40));

    expect(answer.refreshComponentState.__typename).toBe('RefreshComponentStateAccepted');
    expect(atOnce).toBe(old);
    expect(sim!.location('airlift').storedVersions.prod).toBe(settled);
  });

  it('serves refreshComponentState only with the schema extension, under CloudMutation when the roots are Dagster+', async () => {
    await withSource({ locations: [component('VERSIONED_STATE_STORAGE')] });
    const without = await post(REFRESH, { loc: 'airlift', key: 'AirflowInstanceComponent[prod]' });
    await sim!.close();
    await withSource({ refreshComponentState: true, cloudRoots: true, locations: [component('VERSIONED_STATE_STORAGE')] });
    const roots = (await post('{ __schema { mutationType { name fields { name } } } }')).json<{ __schema: { mutationType: { name: string; fields: { name: string }[] } } }>().data;

    expect(without.status).toBe(400);
    expect(without.json().errors?.[0]?.message).toMatch(/Cannot query field "refreshComponentState"/);
    expect(roots.__schema.mutationType.name).toBe('CloudMutation');
    expect(roots.__schema.mutationType.fields.map((field) => field.name)).toContain('refreshComponentState');
  });

  it('restarts a Dagster+ code server with the state version pinned at deploy; a new deploy pins the latest', async () => {
    await withSource({ deployment: 'dagster-plus', refreshComponentState: true, locations: [{ ...component('VERSIONED_STATE_STORAGE'), stateRefresh: 'accepted', stateRefreshMs: 0 }] });
    const deployed = sim!.location('airlift').stateVersions.prod;

    await post(REFRESH, { loc: 'airlift', key: 'AirflowInstanceComponent[prod]' });
    await vi.waitFor(() => expect(sim!.location('airlift').storedVersions.prod).not.toBe(deployed), { interval: 5 });
    await post(RELOAD, { name: 'airlift' });
    await vi.waitFor(() => expect(sim!.location('airlift').loadStatus).toBe('LOADED'), { interval: 5 });
    const redeployed = sim!.location('airlift');
    await sim!.redeploy('airlift');

    expect(redeployed).toMatchObject({ reloads: 1, stateVersions: { prod: deployed }, dags: { prod: ['a'] } });
    expect(sim!.location('airlift')).toMatchObject({ stateVersions: sim!.location('airlift').storedVersions, dags: { prod: ['a', 'b'] } });
  });

  it('under `dagster dev`, refreshes every kind of state on reload', async () => {
    await withSource({ locations: [{ ...component('LOCAL_FILESYSTEM'), dev: true }, { ...component('VERSIONED_STATE_STORAGE'), name: 'stored', dev: true }] });
    sim!.setAirflowSource('stored', () => [{ dagId: 'a' }, { dagId: 'b' }]);
    const stored = sim!.location('stored').storedVersions.prod;

    await post(RELOAD, { name: 'airlift' });
    await post(RELOAD, { name: 'stored' });

    expect(sim!.location('airlift')).toMatchObject({ dags: { prod: ['a', 'b'] }, stateVersions: { prod: '__local__' } });
    expect(sim!.location('stored').dags).toEqual({ prod: ['a', 'b'] });
    expect(sim!.location('stored').stateVersions.prod).not.toBe(stored);
  });

  it('answers Error for a key that is not in state storage', async () => {
    await withSource({ refreshComponentState: true, locations: [component('LOCAL_FILESYSTEM')] });

    const answer = (await post(REFRESH, { loc: 'airlift', key: 'AirflowInstanceComponent[prod]' })).json<{ refreshComponentState: { __typename: string; message: string } }>().data;

    expect(answer.refreshComponentState).toEqual({ __typename: 'RefreshComponentStateError', message: expect.stringContaining('VERSIONED_STATE_STORAGE') });
  });
});
