// Airflow 3 (/api/v2, JWT from POST /auth/token, the default local bundle). The pinned dagster-airlift
// reads Airflow through /api/v1 only, which Airflow 3 does not serve: no real location can mirror
// Airflow 3, so the action's Airflow 3 side is tested in plan mode (dry-run), and the limit itself
// is checked so that a dagster-airlift that lifts it shows up here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, startAirflow3, type RealAirflow } from './airflow.js';
import { dagFile } from './dag-files.js';
import { startDagster } from './dagster.js';
import { installVenvs, type Venvs } from './install.js';
import { recordAirflowShapes } from '../support/shapes.js';
import { act, dagsRepo, expectRecordedShapes, scratch, waitForImportError, tearDown, waitForDags, type DagsRepo } from './world.js';

const INSTANCE = 'af3';

describe('real Airflow 3', () => {
  const work = scratch('airlift-real-af3-');
  let venvs: Venvs;
  let repo: DagsRepo;
  let airflow: RealAirflow | undefined;
  const inputs = { 'airflow-instance-name': INSTANCE, 'dry-run': 'true' };

  beforeAll(async () => {
    venvs = installVenvs();
    repo = dagsRepo({ 'orders.py': dagFile(3, { id: 'orders', tasks: ['extract', 'load'], edges: [['extract', 'load']] }) });
    airflow = await startAirflow3({ venv: venvs.airflow3, home: `${work.dir}/airflow`, dagsFolder: repo.dagsFolder, logDir: work.dir });
    await waitForDags(airflow, ['orders']);
  }, 600_000);

  afterAll(() => tearDown({ airflow, repo, work }), 60_000);

  it('plans the reload of an added DAG once Airflow 3 parsed it, through /api/v2 with a JWT', async () => {
    const push = repo.push('add shipments', { 'shipments.py': dagFile(3, { id: 'shipments', tasks: ['ship'] }) });

    const run = await act(repo, push, airflow!, inputs);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('planned');
    expect(run.report!.airflow).toEqual([expect.objectContaining({ instance: INSTANCE, apiVersion: 'v2', status: 'compared', importErrors: [] })]);
    expect(run.report!.airflow[0]!.dags).toEqual([expect.objectContaining({ dagId: 'shipments', state: 'parsed' })]);
  });

  it('a push with a syntax error: the import error is annotated on its file and line', async () => {
    const broken = 'from airflow.sdk import DAG\n\nwith DAG("broken", schedule=None) as dag\n    pass\n';

    const push = repo.push('broken DAG', { 'broken.py': broken });
    await waitForImportError(airflow!, 'broken.py');

    const run = await act(repo, push, airflow!, inputs);

    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.stdout).toMatch(/^::error title=Airflow import error \(af3\),file=dags\/broken\.py,line=3::SyntaxError/m);
  });

  it('answers the action\'s requests in the recorded shapes (while it shows an import error)', async () => {
    await expectRecordedShapes('airflow3', await recordAirflowShapes(airflow!.url, 'v2', await airflow!.authHeaders(), 'orders'));
  });

  it('the pinned dagster-airlift cannot load a location for Airflow 3: it asks for /api/v1', async () => {
    const loading = startDagster({
      venv: venvs.dagster,
      home: `${work.dir}/dagster`,
      logDir: work.dir,
      locations: [{ name: 'airlift_af3', instance: INSTANCE, airflowUrl: airflow!.url, username: AIRFLOW_USER, password: AIRFLOW_PASSWORD }],
    });
    await expect(loading).rejects.toThrow(/failed to load: .*\/api\/v1 has been removed in Airflow 3/s);
  });
});
