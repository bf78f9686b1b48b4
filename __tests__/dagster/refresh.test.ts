// Refreshing a VERSIONED_STATE_STORAGE component's Airflow state through refreshComponentState, against
// the simulator serving Dagster's schema plus the mutation's extension (sim/dagster-schema-refresh.graphql).
import { afterEach, describe, expect, it } from 'vitest';
import { canRefreshState, refreshState } from '../../src/dagster/refresh.js';
import { airliftLocation, type DagsterSimulator, type DagsterSimulatorOptions, type StateRefreshBehaviour } from '../../sim/dagster.js';
import { connect, dags, startIn, type Mode } from './connect.js';

const KEY = 'AirflowInstanceComponent[prod]';
const FAST = { pollIntervalMs: 10, timeoutMs: 2_000 };

let sim: DagsterSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function start(mode: Mode, stateRefresh: StateRefreshBehaviour = 'success', options: DagsterSimulatorOptions = {}) {
  sim = await startIn(mode, {
    refreshComponentState: true,
    reloadMs: 0,
    locations: [{ ...airliftLocation('airlift', { instance: 'prod', style: 'component', defsState: 'VERSIONED_STATE_STORAGE', dags: dags('a') }), stateRefresh, stateRefreshMs: 30 }],
    ...options,
  });
  sim.setAirflowSource('airlift', () => dags('a', 'new_dag'));
  return (await connect(sim, mode)).client;
}

describe.each<Mode>(['dagster-plus', 'self-hosted'])('refreshState (%s)', (mode) => {
  it('stores a new version when Dagster answers Success', async () => {
    const client = await start(mode);
    const before = sim!.location('airlift').storedVersions.prod;

    const result = await refreshState(client, 'airlift', [KEY], FAST);

    expect(result).toEqual({ ok: true, keys: [{ key: KEY, before, after: sim!.location('airlift').storedVersions.prod }] });
    expect(result.keys[0]!.after).not.toBe(before);
  });

  it('polls latestDefsStateInfo after Accepted until the key has a new version', async () => {
    const client = await start(mode, 'accepted');
    const before = sim!.location('airlift').storedVersions.prod;

    const result = await refreshState(client, 'airlift', [KEY], FAST);

    expect(result).toMatchObject({ ok: true, keys: [{ key: KEY, before }] });
    expect(result.keys[0]!.after).toBe(sim!.location('airlift').storedVersions.prod);
    expect(sim!.operations.filter((op) => op.operationName === 'AirliftSyncLatestDefsState').length).toBeGreaterThan(1);
  });

  it('times out, naming state-refresh-timeout, when the accepted refresh never stores a version', async () => {
    const client = await start(mode, 'accepted-never');

    const result = await refreshState(client, 'airlift', [KEY], { pollIntervalMs: 10, timeoutMs: 1500 });

    expect(result).toMatchObject({ ok: false, outcome: 'timed-out', input: 'state-refresh-timeout' });
    expect(result.ok || result.message).toMatch(/still refreshing after 1\.5 s \(state storage kept version /);
  });

  it.each([
    ['error', 'error', /could not refresh the Airflow state AirflowInstanceComponent\[prod\] of code location "airlift": requests.exceptions.ConnectionError/, /can reach Airflow/],
    ['unauthorized', 'unauthorized', /refused to refresh .*Authorization failed/, mode === 'dagster-plus' ? /dagster-cloud-api-token/ : /dagster-headers/],
    ['python-error', 'error', /failed to refresh .*DefsStateStorage is not configured/, /defs_state_storage/],
  ] as const)('reports %s with the fix', async (behaviour, outcome, message, fix) => {
    const client = await start(mode, behaviour);

    const result = await refreshState(client, 'airlift', [KEY], FAST);

    expect(result).toMatchObject({ ok: false, outcome, keys: [] });
    if (result.ok) return;
    expect(result.message).toMatch(message);
    expect(result.fix).toMatch(fix);
  });
});

describe('canRefreshState', () => {
  it('is false on a Dagster without refreshComponentState, and true on Dagster+ roots that have it', async () => {
    const without = await start('self-hosted', 'success', { refreshComponentState: false });
    expect(canRefreshState(without)).toBe(false);
    await sim!.close();

    const cloud = await start('dagster-plus', 'success', { cloudRoots: true, omitFields: ['Query.workspaceLocationEntryOrError', 'WorkspaceLocationEntry.versionKey'] });
    expect(canRefreshState(cloud)).toBe(true);
    expect((await refreshState(cloud, 'airlift', [KEY], FAST)).ok).toBe(true);
  });
});
