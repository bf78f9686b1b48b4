// The Airflow simulator answers the action's requests in the shapes the real Airflow 2 and 3 gave
// (field names, value types, status), as recorded by the real tier (`npm run test:real`) into
// __tests__/fixtures/real-shapes/. Same requests, same state: one DAG `orders` (extract >> load)
// and one file that fails to import.
import { afterEach, describe, expect, it } from 'vitest';
import { startAirflowSimulator, type AirflowSimulator } from '../../sim/airflow.js';
import { airliftLocation, startDagsterSimulator, type DagsterSimulator } from '../../sim/dagster.js';
import { askDagster, dagsterShapes } from '../support/dagster-shapes.js';
import { readFixture, recordAirflowShapes, shapeDifferences } from '../support/shapes.js';

const PASSWORD = 'shape-test-password';

/** Fields where a null against a value is no difference: it depends on the DAG, or the spec and reality disagree. */
const KNOWN_NULLS: ReadonlyMap<string, string> = new Map([
  ['list DAGs: $.dags[].schedule_interval', 'null for schedule=None (the recorded DAG), an object for a schedule (the simulated ones)'],
  ['list DAGs: $.dags[].timetable_summary', 'null for schedule=None, a string for a schedule'],
  ['list DAGs: $.dags[].bundle_version', 'null for the local bundle (airflow3), the commit for a git bundle (airflow3-git and the simulator)'],
  // Real Airflow 2.11 sends null; its OpenAPI document (which the simulator must also obey) says string.
  ['DAG source of an unknown DAG file: $.detail', 'Airflow 2: null in reality, a string in the spec'],
  ['tasks of an unknown DAG: $.detail', 'Airflow 2: null in reality, a string in the spec'],
]);
const isKnownNull = (difference: string) => [...KNOWN_NULLS.keys()].some((field) => difference.startsWith(`${field}: real null,`) || (difference.startsWith(`${field}: real `) && difference.endsWith(', simulator null')));
const sims: AirflowSimulator[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((sim) => sim.close()));
});

async function simulatorLike(version: 'v1' | 'v2'): Promise<{ sim: AirflowSimulator; headers: Record<string, string> }> {
  const sim = await startAirflowSimulator({ apiVersion: version, auth: { kind: version === 'v1' ? 'basic' : 'jwt', username: 'admin', password: PASSWORD } });
  sims.push(sim);
  sim.publish({
    commit: 'a'.repeat(40),
    files: [
      { path: 'orders.py', source: 'orders', dags: [{ dagId: 'orders', tasks: [{ taskId: 'extract', downstream: ['load'] }, { taskId: 'load', downstream: [] }] }] },
      { path: 'broken.py', source: 'broken', importError: { line: 3, message: "SyntaxError: expected ':'" } },
    ],
  });
  if (version === 'v1') return { sim, headers: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` } };
  const login = await fetch(`${sim.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: PASSWORD }) });
  return { sim, headers: { authorization: `Bearer ${((await login.json()) as { access_token: string }).access_token}` } };
}

describe.each([
  ['airflow2', 'v1'],
  ['airflow3', 'v2'],
  ['airflow3-git', 'v2'],
] as const)('the simulator against the real %s', (fixture, version) => {
  const real = readFixture(fixture);

  it.runIf(real)('answers every request with the real status and shape', async () => {
    const { sim, headers } = await simulatorLike(version);
    const simulated = await recordAirflowShapes(sim.url, version, headers, 'orders');

    const differences = real!.flatMap((answer, index) => {
      const ours = simulated[index]!;
      return [
        ...(answer.status === ours.status ? [] : [`${answer.name}: status real ${answer.status}, simulator ${ours.status}`]),
        ...shapeDifferences(answer.shape, ours.shape).map((difference) => `${answer.name}: ${difference}`),
      ];
    }).filter((difference) => !isKnownNull(difference));
    expect(differences).toEqual([]);
  });
});

// The Dagster simulator against the real dagster-webserver (fixture dagster.json): one location
// mirroring an Airflow DAG `orders` with an asset mapped to its task `load`, one that fails to load,
// and one whose AirflowInstanceComponent keeps the same Airflow's state in state storage. Dagster+ serves the same GraphQL schema, so its mode is held to the same shapes.
describe('the Dagster simulator against the real dagster-webserver', () => {
  const real = readFixture('dagster');
  const NAMES = { location: 'airlift_shapes', broken: 'broken_shapes', component: 'component_shapes', stateKey: 'AirflowInstanceComponent[shapes_component]' };
  const dagsterSims: DagsterSimulator[] = [];
  afterEach(async () => {
    await Promise.all(dagsterSims.splice(0).map((sim) => sim.close()));
  });

  it.runIf(real).each(['self-hosted', 'dagster-plus'] as const)('%s: answers every request with the real status and shape', async (deployment) => {
    const token = 'shape-test-token';
    const sim = await startDagsterSimulator({
      deployment,
      refreshComponentState: true,
      ...(deployment === 'dagster-plus' ? { auth: { kind: 'dagster-plus', token }, basePath: '/prod', cloudRoots: true } : {}),
      locations: [
        airliftLocation(NAMES.location, { instance: 'shapes', dags: [{ dagId: 'orders', tasks: ['load'] }] }),
        { name: NAMES.broken, loadError: 'Exception: airlift-sync shape recording: this location fails to load', reload: 'load-error' },
        airliftLocation(NAMES.component, { instance: 'shapes_component', style: 'component', defsState: 'VERSIONED_STATE_STORAGE', dags: [{ dagId: 'orders' }] }),
      ],
    });
    dagsterSims.push(sim);
    const simulated = dagsterShapes(await askDagster(sim.url, NAMES, deployment === 'dagster-plus' ? { 'dagster-cloud-api-token': token } : {}));

    const differences = real!.flatMap((answer, index) => {
      const ours = simulated[index]!;
      return [
        ...(answer.status === ours.status ? [] : [`${answer.name}: status real ${answer.status}, simulator ${ours.status}`]),
        ...shapeDifferences(answer.shape, ours.shape).map((difference) => `${answer.name}: ${difference}`),
      ];
    });
    expect(differences).toEqual([]);
  });
});
