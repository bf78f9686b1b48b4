// The shapes of the real Dagster webserver's answers to every GraphQL request the action makes
// (src/dagster/operations.ts), error variants included: an unknown location, a location that fails
// to load, a refresh of state no component keeps, a document the schema rejects; and a location built
// by an AirflowInstanceComponent that keeps its state in state storage, refreshed. Recorded into
// __tests__/fixtures/real-shapes/dagster.json; the conformance suite holds the simulator to it.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, startAirflow2, type RealAirflow } from './airflow.js';
import { dagFile } from './dag-files.js';
import { startDagster, type RealDagster } from './dagster.js';
import { installVenvs } from './install.js';
import { askDagster, dagsterShapes } from '../support/dagster-shapes.js';
import { dagsRepo, expectRecordedShapes, scratch, tearDown, waitForDags, type DagsRepo } from './world.js';

const NAMES = { location: 'airlift_shapes', broken: 'broken_shapes', component: 'component_shapes', stateKey: 'AirflowInstanceComponent[shapes_component]' };
const REFRESH = 'mutation ($location: String!, $key: String!) { refreshComponentState(locationName: $location, defsStateKey: $key) { __typename ... on RefreshComponentStateError { message } ... on PythonError { message } } }';

describe('the real Dagster webserver answers the action\'s GraphQL requests', () => {
  const work = scratch('airlift-real-dagster-shapes-');
  let repo: DagsRepo;
  let airflow: RealAirflow | undefined;
  let dagster: RealDagster | undefined;

  beforeAll(async () => {
    const venvs = installVenvs();
    repo = dagsRepo({ 'orders.py': dagFile(2, { id: 'orders', tasks: ['extract', 'load'], edges: [['extract', 'load']] }) });
    airflow = await startAirflow2({ venv: venvs.airflow2, home: `${work.dir}/airflow`, dagsFolder: repo.dagsFolder, logDir: work.dir });
    await waitForDags(airflow, ['orders']);
    dagster = await startDagster({
      venv: venvs.dagster,
      home: `${work.dir}/dagster`,
      logDir: work.dir,
      locations: [
        { name: NAMES.location, instance: 'shapes', airflowUrl: airflow.url, username: AIRFLOW_USER, password: AIRFLOW_PASSWORD, taskAssets: { 'orders.load': 'orders_table' } },
        { name: NAMES.broken, fails: 'airlift-sync shape recording: this location fails to load' },
        {
          name: NAMES.component,
          instance: 'shapes_component',
          airflowUrl: airflow.url,
          username: AIRFLOW_USER,
          password: AIRFLOW_PASSWORD,
          component: { defsState: 'VERSIONED_STATE_STORAGE', unbuilt: true },
        },
      ],
    });
    // A component keeping its state in state storage has none until refreshed, as after its first deploy.
    const refreshed = await dagster.graphql<{ refreshComponentState: { __typename: string; message?: string } }>(REFRESH, { location: NAMES.component, key: NAMES.stateKey });
    expect(refreshed.refreshComponentState, JSON.stringify(refreshed)).toEqual({ __typename: 'RefreshComponentStateSuccess' });
  }, 600_000);

  afterAll(() => tearDown({ airflow, dagster, repo, work }), 60_000);

  it('in the recorded shapes', async () => {
    const answers = await askDagster(`${dagster!.url}/graphql`, NAMES);
    // The answers themselves, values included, beside the logs (kept with KEEP_REAL_LOGS=1).
    writeFileSync(path.join(work.dir, 'dagster-answers.json'), JSON.stringify(answers, null, 2));
    expectRecordedShapes('dagster', dagsterShapes(answers));
    // The load error's own message only says that loading failed; the user's exception is in its chain.
    const failed = answers.find((answer) => answer.name === 'a location that failed to load')!.body as { data: { workspaceLocationEntryOrError: { locationOrLoadError: { message: string; errorChain: { error: { message: string } }[] } } } };
    const { message, errorChain } = failed.data.workspaceLocationEntryOrError.locationOrLoadError;
    expect(message).toMatch(/^dagster\._core\.errors\.DagsterUserCodeLoadError: Error occurred during the loading of Dagster definitions/);
    expect(errorChain.map((link) => link.error.message)).toEqual(['Exception: airlift-sync shape recording: this location fails to load\n']);
  });
});
