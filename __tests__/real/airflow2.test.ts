// Airflow 2 (/api/v1, basic auth, absolute fileloc) mirrored by a real dagster-airlift location.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, startAirflow2, type RealAirflow } from './airflow.js';
import { dagFile } from './dag-files.js';
import { startDagster, type RealDagster } from './dagster.js';
import { installVenvs } from './install.js';
import { act, dagsRepo, scratch, type DagsRepo } from './world.js';

const INSTANCE = 'af2';
const LOCATION = 'airlift_af2';
const asset = (dagId: string) => `${INSTANCE}/dag/${dagId}`;

describe('real Airflow 2 and a real dagster-airlift location', () => {
  const work = scratch('airlift-real-af2-');
  let repo: DagsRepo;
  let airflow: RealAirflow | undefined;
  let dagster: RealDagster | undefined;
  const inputs = () => ({ 'airflow-instance-name': INSTANCE, 'dagster-url': dagster!.url });

  beforeAll(async () => {
    const venvs = installVenvs();
    repo = dagsRepo({ 'orders.py': dagFile(2, { id: 'orders', tasks: ['extract', 'load'], edges: [['extract', 'load']] }) });
    airflow = await startAirflow2({ venv: venvs.airflow2, home: `${work.dir}/airflow`, dagsFolder: repo.dagsFolder, logDir: work.dir });
    await waitForDag(airflow, 'orders');
    dagster = await startDagster({
      venv: venvs.dagster,
      home: `${work.dir}/dagster`,
      logDir: work.dir,
      locations: [{ name: LOCATION, instance: INSTANCE, airflowUrl: airflow.url, username: AIRFLOW_USER, password: AIRFLOW_PASSWORD }],
    });
  }, 600_000);

  afterAll(async () => {
    await Promise.all([airflow?.stop(), dagster?.stop()]);
    repo?.repo.remove();
    work.remove();
  }, 60_000);

  it('a push that adds a DAG: the location shows its asset after the action, not before', async () => {
    const push = repo.push('add shipments', { 'shipments.py': dagFile(2, { id: 'shipments', tasks: ['ship'] }) });
    expect((await dagster!.assetsByLocation()).get(LOCATION)).not.toContain(asset('shipments'));

    const run = await act(repo, push, airflow!, inputs());

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([LOCATION]);
    expect(JSON.parse(run.outputs['changed-dags']!)).toEqual([expect.objectContaining({ dagId: 'shipments' })]);
    expect((await dagster!.assetsByLocation()).get(LOCATION)).toEqual(expect.arrayContaining([asset('orders'), asset('shipments')]));
  });
});

async function waitForDag(airflow: RealAirflow, dagId: string): Promise<void> {
  const { waitFor } = await import('./processes.js');
  await waitFor(`DAG ${dagId} in Airflow`, async () => ((await airflow.get('/dags')) as { dags: { dag_id: string }[] }).dags.some((dag) => dag.dag_id === dagId), 120_000);
}
