import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/http.js';
import { DagsterGraphQLError } from '../../src/dagster/client.js';
import { discoverLocations } from '../../src/dagster/discover.js';
import { reloadLocation } from '../../src/dagster/reload.js';
import { airliftLocation, startDagsterSimulator, type DagsterSimulator } from '../../sim/dagster.js';
import { PROXY_HEADERS, TOKEN, connect, dags, startIn } from './connect.js';

let sim: DagsterSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const locations = [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') })];

async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('authentication', () => {
  it.each([
    ['a wrong token', { 'Dagster-Cloud-Api-Token': 'user:wrong' }],
    ['no token', {}],
  ])('reports %s on Dagster+ as an auth error naming dagster-cloud-api-token, without retrying', async (_, credentials) => {
    sim = await startIn('dagster-plus', { locations });

    const error = await failure(connect(sim, 'dagster-plus', { credentials }));

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ kind: 'auth', status: 401 });
    expect((error as HttpError).fix).toContain('dagster-cloud-api-token');
    expect(sim.operations).toHaveLength(1);
  });

  it("reports an auth proxy's login page as an auth error naming dagster-headers", async () => {
    sim = await startIn('self-hosted', { locations });

    const error = await failure(connect(sim, 'self-hosted', { credentials: { 'X-Api-Key': 'k3y-value' } }));

    expect(error).toMatchObject({ kind: 'auth' });
    expect(error.message).toMatch(/login page/);
    expect((error as HttpError).fix).toContain('dagster-headers');
    expect(sim.operations).toHaveLength(1);
  });

  it("reports an auth proxy's redirect to its login origin as an auth error, without following it", async () => {
    sim = await startDagsterSimulator({ auth: { kind: 'headers', headers: PROXY_HEADERS, onMissing: 'redirect' }, locations });

    const error = await failure(connect(sim, 'self-hosted', { credentials: {} }));

    expect(error).toMatchObject({ kind: 'auth' });
    expect(error.message).toContain('https://login.invalid');
    expect((error as HttpError).fix).toContain('dagster-headers');
    expect(sim.operations).toHaveLength(1);
  });

  it('never puts credentials in messages, debug lines or what Dagster logs', async () => {
    sim = await startIn('dagster-plus', { locations });
    const { client, log } = await connect(sim, 'dagster-plus');
    await discoverLocations(client);
    const rejected = await failure(connect(sim, 'dagster-plus', { credentials: { 'Dagster-Cloud-Api-Token': `${TOKEN}-old` } }));

    const seen = [JSON.stringify(sim.operations), ...log, rejected.message, (rejected as HttpError).fix].join('\n');
    expect(seen).not.toContain(TOKEN);
    expect(sim.operations[0]!.headers['dagster-cloud-api-token']).toBe('[redacted]');
    expect(log.some((line) => line.includes('POST /prod/graphql -> 200'))).toBe(true);
  });
});

describe('the GraphQL exchange', () => {
  it('learns the schema once and reuses it', async () => {
    sim = await startIn('self-hosted', { locations });
    const { client } = await connect(sim, 'self-hosted');

    await discoverLocations(client);
    await discoverLocations(client);

    expect(sim.operations.map((op) => op.operationName)).toEqual(['AirliftSyncCapabilities', 'AirliftSyncWorkspace', 'AirliftSyncWorkspace']);
  });

  it('falls back to the oldest documents when introspection is refused', async () => {
    sim = await startIn('self-hosted', { locations });
    sim.faults.push({ match: 'AirliftSyncCapabilities', kind: 'graphql-errors', message: 'GraphQL introspection is not allowed' });
    const { client, log } = await connect(sim, 'self-hosted');

    const [location] = await discoverLocations(client);

    expect(client.capabilities.introspected).toBe(false);
    expect([...location!.airflow.keys()]).toEqual(['prod_airflow']);
    expect(sim.operations.at(-1)?.operationName).toBe('AirliftSyncWorkspaceLegacy');
    expect(log.some((line) => line.includes('introspection is not allowed'))).toBe(true);
  });

  it('turns a GraphQL errors array into an error carrying the server message', async () => {
    sim = await startIn('self-hosted', { locations });
    const { client } = await connect(sim, 'self-hosted');
    sim.faults.push({ match: 'AirliftSyncWorkspace', kind: 'graphql-errors', message: 'Workspace is being reloaded, try again' });

    const error = await failure(discoverLocations(client));

    expect(error).toBeInstanceOf(DagsterGraphQLError);
    expect(error.message).toContain('AirliftSyncWorkspace');
    expect(error.message).toContain('Workspace is being reloaded, try again');
  });

  it("explains a document the server's schema rejects (400), with the server's reason", async () => {
    sim = await startIn('self-hosted', { omitFields: ['Repository.sensors'], locations });
    const { client } = await connect(sim, 'self-hosted');

    const error = await failure(discoverLocations(client));

    expect(error).toBeInstanceOf(DagsterGraphQLError);
    expect(error.message).toMatch(/Cannot query field "sensors" on type "Repository"/);
    expect((error as DagsterGraphQLError).fix).toMatch(/schema/);
    expect(sim.operations.at(-1)?.status).toBe(400);
  });

  it.each([
    ['503s', { kind: 'status', status: 503, times: 2 }],
    ['a 429 with Retry-After', { kind: 'retry-after', retryAfter: '0', times: 1 }],
    ['a dropped connection', { kind: 'drop', times: 1 }],
    ['a request that never gets an answer', { kind: 'timeout', times: 1 }],
  ] as const)('retries %s and succeeds', async (_, fault) => {
    sim = await startIn('self-hosted', { locations });
    const { client } = await connect(sim, 'self-hosted', { requestTimeoutMs: 300 });
    sim.faults.push({ match: 'AirliftSyncWorkspace', ...fault });

    const [location] = await discoverLocations(client);

    expect(location?.name).toBe('airlift');
    expect(sim.operations.filter((op) => op.operationName === 'AirliftSyncWorkspace').length).toBe(fault.times + 1);
  });

  // dagster-webserver sends the PythonError a resolver caught as data, with status 500 (recorded on 1.13.27).
  it("takes a 500 carrying Dagster's caught PythonError as the answer: sent once, Dagster's message reported", async () => {
    sim = await startIn('self-hosted', { locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') }, { reload: 'python-error' })] });
    const { client } = await connect(sim, 'self-hosted');
    const [location] = await discoverLocations(client);

    const result = await reloadLocation(client, 'airlift', location!, { pollIntervalMs: 10, timeoutMs: 5_000 });

    expect(result.outcome).toBe('error');
    expect(result.message).toContain('DagsterUserCodeUnreachableError: Could not reach user code server');
    expect(sim.operations.filter((op) => op.operationName === 'AirliftSyncReloadLocation').map((op) => op.status)).toEqual([500]);
  });

  it('retries a 500 without GraphQL data and succeeds', async () => {
    sim = await startIn('self-hosted', { locations });
    const { client } = await connect(sim, 'self-hosted');
    sim.faults.push({ match: 'AirliftSyncWorkspace', kind: 'status', status: 500, times: 1 });

    const [location] = await discoverLocations(client);

    expect(location?.name).toBe('airlift');
    expect(sim.operations.filter((op) => op.operationName === 'AirliftSyncWorkspace').map((op) => op.status)).toEqual([500, 200]);
  });

  it('reports a body that is not JSON as such', async () => {
    sim = await startIn('self-hosted', { locations });
    const { client } = await connect(sim, 'self-hosted');
    sim.faults.push({ match: 'AirliftSyncWorkspace', kind: 'malformed' });

    const error = await failure(discoverLocations(client));

    expect(error).toMatchObject({ kind: 'garbage' });
    expect((error as HttpError).fix).toContain('dagster-url');
  });
});
