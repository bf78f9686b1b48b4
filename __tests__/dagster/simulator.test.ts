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

  it('keeps everything on a `dagster api grpc` reload, and re-reads the Airflow source on a real one', async () => {
    await start({ reloadMs: 0 });
    sim!.setAirflowSource('airlift', () => [{ dagId: 'a' }, { dagId: 'b' }]);
    sim!.setReload('airlift', 'grpc-no-reimport');
    const old = sim!.location('airlift');

    await reload();
    const unchanged = sim!.location('airlift');
    sim!.setReload('airlift', 'success');
    await reload();

    expect(unchanged).toEqual({ ...old, reloads: 1 });
    expect(sim!.location('airlift').dags).toEqual({ prod: ['a', 'b'] });
  });
});
