import { afterEach, describe, expect, it } from 'vitest';
import { confirm } from '../../src/dagster/confirm.js';
import { discoverLocations, readLocation, type LocationView } from '../../src/dagster/discover.js';
import { loadUnderWay, reloadLocation } from '../../src/dagster/reload.js';
import { startAirflowSimulator } from '../../sim/airflow.js';
import { airliftLocation, type DagsterSimulator, type SimDag } from '../../sim/dagster.js';
import { connect, dags, startIn, type Mode } from './connect.js';

const FAST = { pollIntervalMs: 10, timeoutMs: 5_000 };

let sim: DagsterSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

const dagIds = (view: LocationView | undefined, instance: string) => [...(view?.airflow.get(instance)?.keys() ?? [])].sort();

async function before(name: string, mode: Mode) {
  const connected = await connect(sim!, mode);
  const view = await readLocation(connected.client, name);
  return { ...connected, before: view! };
}

describe.each<Mode>(['dagster-plus', 'self-hosted'])('reloadLocation (%s)', (mode) => {
  it('reloads a location, waits for the new server and shows the DAG added in Airflow', async () => {
    sim = await startIn(mode, { locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') })] });
    let airflow: SimDag[] = dags('a');
    sim.setAirflowSource('airlift', () => airflow);
    const { client, before: view } = await before('airlift', mode);
    airflow = dags('a', 'new_dag');

    const result = await reloadLocation(client, 'airlift', view, FAST);

    expect(result).toMatchObject({ name: 'airlift', outcome: 'loaded' });
    expect(result.message).toBeUndefined();
    expect(dagIds(result.after, 'prod_airflow')).toEqual(['a', 'new_dag']);
    expect(result.after!.stamp.serverId).not.toBe(view.stamp.serverId);
    expect(result.loadMs).toBeGreaterThanOrEqual(0);
    expect(sim.location('airlift').reloads).toBe(1);
    expect(confirm(result.after!, { instance: 'prod_airflow', added: ['new_dag'], removed: [], modified: [] }, view).inSync).toBe(true);
  });

  it('reloads several locations at once, each exactly once', async () => {
    const names = ['one', 'two', 'three'];
    sim = await startIn(mode, { locations: names.map((name) => airliftLocation(name, { instance: name, dags: dags(`${name}_dag`) })) });
    for (const name of names) sim.setAirflowSource(name, () => dags(`${name}_dag`, `${name}_added`));
    const { client } = await connect(sim, mode);
    const views = await discoverLocations(client);

    const results = await Promise.all(views.map((view) => reloadLocation(client, view.name, view, FAST)));

    expect(results.map((result) => [result.name, result.outcome])).toEqual(views.map((view) => [view.name, 'loaded']));
    for (const result of results) expect(dagIds(result.after, result.name)).toContain(`${result.name}_added`);
    expect(names.map((name) => sim!.location(name).reloads)).toEqual([1, 1, 1]);
  });

  it('reports a location that fails to load with its error', async () => {
    sim = await startIn(mode, {
      locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') }, { reload: 'load-error', message: 'SyntaxError: invalid syntax (defs.py, line 3)' })],
    });
    const { client, before: view } = await before('airlift', mode);

    const result = await reloadLocation(client, 'airlift', view, FAST);

    expect(result.outcome).toBe('load-error');
    expect(result.message).toContain('SyntaxError: invalid syntax (defs.py, line 3)');
    expect(result.fix).toBeTruthy();
    expect(result.after?.loadError).toContain('SyntaxError');
  });

  it('gives up on a location stuck loading when reload-timeout passes', async () => {
    sim = await startIn(mode, { locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') }, { reload: 'stuck' })] });
    const { client, before: view } = await before('airlift', mode);

    const result = await reloadLocation(client, 'airlift', view, { pollIntervalMs: 10, timeoutMs: 300 });

    expect(result.outcome).toBe('timed-out');
    expect(result.message).toContain("was still loading after 0.3 s");
    expect(result.fix).toContain('reload-timeout');
  });

  it.each([
    ['not-found', 'not-found', /no code location "airlift"/],
    ['not-supported', 'not-supported', /cannot reload/],
    ['python-error', 'error', /Could not reach user code server/],
  ] as const)('maps the %s answer to outcome %s', async (behaviour, outcome, message) => {
    sim = await startIn(mode, { locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') }, { reload: behaviour })] });
    const { client, before: view } = await before('airlift', mode);

    const result = await reloadLocation(client, 'airlift', view, FAST);

    expect(result.outcome).toBe(outcome);
    expect(result.message).toMatch(message);
    expect(result.fix).toBeTruthy();
    expect(result.after).toBeUndefined();
  });

  it('reports a location name Dagster does not know as not found', async () => {
    sim = await startIn(mode, { locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') })] });
    const { client, before: view } = await before('airlift', mode);

    const result = await reloadLocation(client, 'Airlift', view, FAST);

    expect(result.outcome).toBe('not-found');
    expect(result.fix).toContain('code-locations');
  });

  it('reports a read-only identity as unauthorized, naming the input to fix', async () => {
    sim = await startIn(mode, { locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') }, { reload: 'unauthorized' })] });
    const { client, before: view } = await before('airlift', mode);

    const result = await reloadLocation(client, 'airlift', view, FAST);

    expect(result.outcome).toBe('unauthorized');
    expect(result.message).toContain('Authorization failed');
    expect(result.fix).toContain(mode === 'dagster-plus' ? 'dagster-cloud-api-token' : 'dagster-headers');
    expect(sim.location('airlift').reloads).toBe(1);
  });

  it('catches a `dagster api grpc` server that answers the reload but does not re-import', async () => {
    sim = await startIn(mode, { locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') }, { reload: 'grpc-no-reimport' })] });
    sim.setAirflowSource('airlift', () => dags('a', 'new_dag'));
    const { client, before: view } = await before('airlift', mode);

    const result = await reloadLocation(client, 'airlift', view, { pollIntervalMs: 10, timeoutMs: 2_000 });
    const verdict = result.after && confirm(result.after, { instance: 'prod_airflow', added: ['new_dag'], removed: [], modified: [] }, view);

    // The reload "succeeded" with a fresh timestamp, and confirm says why nothing changed: the same server.
    expect(result.outcome).toBe('loaded');
    expect(result.after!.stamp.updatedTimestamp).toBeGreaterThan(view.stamp.updatedTimestamp);
    expect(verdict).toMatchObject({ inSync: false, missing: ['new_dag'] });
    expect(verdict?.message).toMatch(/did not re-import/);
    expect(verdict?.fix).toContain('dagster code-server start');
  });
});

describe('reloadLocation with the Airflow simulator as the source', () => {
  it('shows after the reload what Airflow has parsed, as airlift would fetch it', async () => {
    const airflow = await startAirflowSimulator({ apiVersion: 'v1', dags: [{ dagId: 'orders', file: 'orders.py', tasks: [{ taskId: 'load', downstream: [] }] }] });
    try {
      sim = await startIn('self-hosted', { locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('orders') })] });
      sim.setAirflowSource('airlift', () =>
        airflow.state
          .dags()
          .filter((dag) => dag.active)
          .map((dag) => ({ dagId: dag.dagId, fileloc: airflow.fileloc(dag.file), lastParsedTime: dag.lastParsed.toISOString() })),
      );
      const { client, before: view } = await before('airlift', 'self-hosted');
      airflow.publish({ commit: 'c2', files: [{ path: 'billing.py', dags: [{ dagId: 'billing', tasks: [] }] }], removed: ['orders.py'] });

      const result = await reloadLocation(client, 'airlift', view, FAST);

      expect(dagIds(result.after, 'prod_airflow')).toEqual(['billing']);
      expect(confirm(result.after!, { instance: 'prod_airflow', added: ['billing'], removed: ['orders'], modified: [] }, view).inSync).toBe(true);
      // The read-back leaves the DAG records out (confirming needs none); discovery shows the one airlift fetched.
      const [rediscovered] = await discoverLocations(client);
      expect(rediscovered!.airflow.get('prod_airflow')!.get('billing')!.snapshot?.lastParsedTime).toBe(airflow.state.dag('billing')!.lastParsed.toISOString());
    } finally {
      await airflow.close();
    }
  });
});

describe('reloadLocation on Dagster+', () => {
  it('does not take the old server, still LOADED on the first poll, for the reloaded one', async () => {
    sim = await startIn('dagster-plus', { redeployPickupMs: 150, reloadMs: 50, locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') })] });
    sim.setAirflowSource('airlift', () => dags('a', 'new_dag'));
    const { client, before: view } = await before('airlift', 'dagster-plus');

    const result = await reloadLocation(client, 'airlift', view, FAST);

    expect(result.outcome).toBe('loaded');
    expect(dagIds(result.after, 'prod_airflow')).toEqual(['a', 'new_dag']);
    const polls = sim.operations.filter((op) => op.operationName === 'AirliftSyncLocationStatuses');
    expect(polls.length).toBeGreaterThan(1);
  });

  it('ends with an error naming what the API lacks when it cannot poll', async () => {
    sim = await startIn('dagster-plus', { omitFields: ['Query.locationStatusesOrError'], locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') })] });
    const { client, before: view } = await before('airlift', 'dagster-plus');

    const result = await reloadLocation(client, 'airlift', view, FAST);

    expect(result.outcome).toBe('error');
    expect(result.message).toContain('lacks Query.locationStatusesOrError');
    expect(result.fix).toContain('dagster-cloud-url');
    expect(sim.operations.every((op) => op.status === 200)).toBe(true);
  });

  it('works against a schema without workspaceLocationEntryOrError or versionKey, with CloudQuery roots', async () => {
    sim = await startIn('dagster-plus', {
      cloudRoots: true,
      omitFields: ['Query.workspaceLocationEntryOrError', 'WorkspaceLocationEntry.versionKey', 'WorkspaceLocationStatusEntry.versionKey', 'WorkspaceLocationEntry.defsStateInfo', 'AssetNode.kinds'],
      locations: [airliftLocation('airlift', { instance: 'prod_airflow', dags: dags('a') }), airliftLocation('other', { instance: 'x', dags: [] })],
    });
    sim.setAirflowSource('airlift', () => dags('a', 'new_dag'));
    const { client } = await connect(sim, 'dagster-plus');
    const view = (await readLocation(client, 'airlift'))!;

    const result = await reloadLocation(client, 'airlift', view, FAST);

    expect(result.outcome).toBe('loaded');
    expect(dagIds(result.after, 'prod_airflow')).toEqual(['a', 'new_dag']);
    expect(sim.operations.every((op) => op.status === 200)).toBe(true);
  });
});

describe('loadUnderWay: whether a load someone else started is worth waiting for', () => {
  const pushedAtMs = Date.parse('2026-12-05T20:00:00Z');
  const at = (iso: string) => Date.parse(iso) / 1000;

  it('is true for a location LOADING since the push reached GitHub, or later', () => {
    expect(loadUnderWay({ loadStatus: 'LOADING', updateTimestamp: at('2026-12-05T20:03:12.250Z') }, pushedAtMs)).toBe(true);
    // pushed_at has whole seconds: a load stamped that very second may carry the push.
    expect(loadUnderWay({ loadStatus: 'LOADING', updateTimestamp: at('2026-12-05T20:00:00Z') }, pushedAtMs)).toBe(true);
  });

  it('is false for a load that began before the push: it cannot have fetched what Airflow parsed of it', () => {
    expect(loadUnderWay({ loadStatus: 'LOADING', updateTimestamp: at('2026-12-05T19:59:59.900Z') }, pushedAtMs)).toBe(false);
  });

  it('is false for a loaded location, or one the statuses do not list', () => {
    expect(loadUnderWay({ loadStatus: 'LOADED', updateTimestamp: at('2026-12-05T20:03:12Z') }, pushedAtMs)).toBe(false);
    expect(loadUnderWay(undefined, pushedAtMs)).toBe(false);
  });
});
