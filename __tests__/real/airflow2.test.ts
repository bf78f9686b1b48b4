// Airflow 2 (/api/v1, basic auth, absolute fileloc) mirrored by a real dagster-airlift location. The
// tests share one Airflow and one Dagster and run in order: each push builds on the one before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, startAirflow2, type RealAirflow } from './airflow.js';
import { dagFile } from './dag-files.js';
import { startDagster, type RealDagster } from './dagster.js';
import { installVenvs } from './install.js';
import { recordAirflowShapes } from '../support/shapes.js';
import { act, dagsRepo, expectRecordedShapes, scratch, waitForImportError, tearDown, waitForDags, type DagsRepo } from './world.js';

const INSTANCE = 'af2';
const LOCATION = 'airlift_af2';
const asset = (dagId: string) => `${INSTANCE}/dag/${dagId}`;
const ORDERS = { id: 'orders', tasks: ['extract', 'load'], edges: [['extract', 'load']] } as const;
// A DAG whose owner and steps come from a helper module in the DAGs folder (Airflow puts the folder on sys.path).
const REPORTS_DAG = [
  'import pendulum',
  'from airflow import DAG',
  'from airflow.operators.empty import EmptyOperator',
  'from common.settings import OWNER, STEPS',
  '',
  'with DAG("reports", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None, default_args={"owner": OWNER}) as dag:',
  '    for step in STEPS:',
  '        EmptyOperator(task_id=step)',
  '',
].join('\n');

describe('real Airflow 2 and a real dagster-airlift location', () => {
  const work = scratch('airlift-real-af2-');
  let repo: DagsRepo;
  let airflow: RealAirflow | undefined;
  let dagster: RealDagster | undefined;
  const inputs = () => ({ 'airflow-instance-name': INSTANCE, 'dagster-url': dagster!.url });
  const assets = async () => (await dagster!.assetsByLocation()).get(LOCATION) ?? [];
  const loadTime = async () => (await dagster!.loadTimes()).get(LOCATION);

  beforeAll(async () => {
    const venvs = installVenvs();
    repo = dagsRepo({
      'orders.py': dagFile(2, ORDERS),
      'common/__init__.py': '',
      'common/settings.py': 'OWNER = "analytics"\nSTEPS = ["render"]\n',
      'reports.py': REPORTS_DAG,
    });
    airflow = await startAirflow2({ venv: venvs.airflow2, home: `${work.dir}/airflow`, dagsFolder: repo.dagsFolder, logDir: work.dir });
    await waitForDags(airflow, ['orders', 'reports']);
    dagster = await startDagster({
      venv: venvs.dagster,
      home: `${work.dir}/dagster`,
      logDir: work.dir,
      locations: [{ name: LOCATION, instance: INSTANCE, airflowUrl: airflow.url, username: AIRFLOW_USER, password: AIRFLOW_PASSWORD, taskAssets: { 'orders.load': 'orders_table' } }],
    });
  }, 600_000);

  afterAll(() => tearDown({ airflow, dagster, repo, work }), 60_000);

  let added: ReturnType<DagsRepo['push']>;

  it('a push that adds a DAG: the location shows its asset after the action, not before', async () => {
    added = repo.push('add shipments', { 'shipments.py': dagFile(2, { id: 'shipments', tasks: ['ship'] }) });
    expect(await assets()).not.toContain(asset('shipments'));

    const run = await act(repo, added, airflow!, inputs());

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([LOCATION]);
    expect(JSON.parse(run.outputs['changed-dags']!)).toEqual([expect.objectContaining({ dagId: 'shipments', kind: 'added', file: 'dags/shipments.py' })]);
    expect(run.summary).toContain(LOCATION);
    expect(await assets()).toEqual(expect.arrayContaining([asset('orders'), asset('shipments')]));
  });

  it('re-running the same push: in-sync, and the location is not reloaded', async () => {
    const before = await loadTime();

    const run = await act(repo, added, airflow!, inputs());

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('in-sync');
    expect(run.outputs['reloaded-locations']).toBe('[]');
    expect(await loadTime()).toBe(before);
  });

  it('a push that removes a DAG: its asset leaves the location', async () => {
    const run = await act(repo, repo.push('remove shipments', { 'shipments.py': null }), airflow!, inputs());

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['changed-dags']!)).toEqual([expect.objectContaining({ dagId: 'shipments', kind: 'removed' })]);
    expect(await assets()).not.toContain(asset('shipments'));
    expect(await assets()).toContain(asset('orders'));
  });

  it('a push that changes tasks and edges of a DAG with a task-mapped asset: reloaded, the mapped asset stays', async () => {
    const push = repo.push('orders: transform step', {
      'orders.py': dagFile(2, { id: 'orders', tasks: ['extract', 'transform', 'load'], edges: [['extract', 'transform'], ['transform', 'load']] }),
    });

    const run = await act(repo, push, airflow!, inputs());

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(run.report!.changes.dags).toEqual([
      expect.objectContaining({ dagId: 'orders', kind: 'modified', tasksAdded: ['transform'], tasksRemoved: [], edgesAdded: [['extract', 'transform'], ['transform', 'load']], edgesRemoved: [['extract', 'load']] }),
    ]);
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([LOCATION]);
    expect(await assets()).toEqual(expect.arrayContaining([asset('orders'), 'orders_table']));
  });

  // The reader follows the import into dags/common/settings.py, so the importer reads as modified.
  it('a push that only changes a helper module a DAG imports: Dagster shows what Airflow parsed after the change', async () => {
    const push = repo.push('reports: finance owns it and publishes', { 'common/settings.py': 'OWNER = "finance"\nSTEPS = ["render", "publish"]\n' });

    const run = await act(repo, push, airflow!, inputs());

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result, run.stdout).toBe('synced');
    expect(JSON.parse(run.outputs['changed-dags']!)).toEqual([expect.objectContaining({ dagId: 'reports', kind: 'modified', file: 'dags/reports.py' })]);
    const info = JSON.parse((await dagster!.metadata([INSTANCE, 'dag', 'reports']))!['Dag Info (raw)']!) as { owners: string[] };
    expect(info.owners).toEqual(['finance']);
  });

  // The reader finds no DAG in an unparseable new file: the action waits for Airflow's verdict on it
  // instead of ending before Airflow has parsed it.
  it('a push with a syntax error, acted on at once: the action waits for Airflow\'s import error', async () => {
    const push = repo.push('broken DAG, at once', { 'broken_too.py': 'from airflow import DAG\n\nwith DAG("broken_too", schedule=None) as dag\n    pass\n' });

    const run = await act(repo, push, airflow!, inputs());

    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^::error title=Airflow import error \(af2\),file=dags\/broken_too\.py,line=3::SyntaxError/m);
    expect(run.outputs['reloaded-locations']).toBe('[]');
    repo.push('remove broken_too', { 'broken_too.py': null });
  });

  it('a push with a syntax error: the import error is annotated on its file and line, and nothing is reloaded', async () => {
    const before = await loadTime();
    const broken = 'from airflow import DAG\n\nwith DAG("broken", schedule=None) as dag\n    pass\n';

    const push = repo.push('broken DAG', { 'broken.py': broken });
    await waitForImportError(airflow!, 'broken.py');

    const run = await act(repo, push, airflow!, inputs());

    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.stdout).toMatch(/^::error title=Airflow import error \(af2\),file=dags\/broken\.py,line=3::SyntaxError/m);
    expect(run.outputs['reloaded-locations']).toBe('[]');
    expect(await loadTime()).toBe(before);
  });

  it('answers the action\'s requests in the recorded shapes (while it shows an import error)', async () => {
    await expectRecordedShapes('airflow2', await recordAirflowShapes(airflow!.url, 'v1', await airflow!.authHeaders(), 'orders'));
  });

  // Recorded on dagster-airlift 0.29.27: the location's import fails with KeyError 'load', so Dagster
  // shows a load error and no asset of the instance; the action reloads and reports the failure.
  it('a push that removes a task an asset is mapped to: the location fails to load, and the action says so', async () => {
    const push = repo.push('orders: drop load', { 'broken.py': null, 'orders.py': dagFile(2, { id: 'orders', tasks: ['extract', 'transform'], edges: [['extract', 'transform']] }) });

    const run = await act(repo, push, airflow!, inputs());

    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.report!.failures).toEqual([expect.objectContaining({ stage: 'dagster', message: expect.stringMatching(/Code location "airlift_af2" failed to load[\s\S]*Caused by: KeyError: 'load'/) })]);
    expect(run.summary).toContain('failed to load');
    expect(await assets()).toEqual([]);
  });
});
