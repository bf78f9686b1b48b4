// How the location's code server runs decides whether a reload re-imports it (dagster-io/dagster
// #12581, PR #17629): `dagster api grpc` serves its cached definitions, `dagster code-server start`
// re-imports them. Two locations mirror the same real Airflow 2 under two instance names; each push
// is synced for one of them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, startAirflow2, type RealAirflow } from './airflow.js';
import { dagFile } from './dag-files.js';
import { startDagster, type RealDagster } from './dagster.js';
import { installVenvs } from './install.js';
import { act, dagsRepo, scratch, tearDown, waitForDags, type DagsRepo } from './world.js';

describe('real code servers: dagster api grpc and dagster code-server start', () => {
  const work = scratch('airlift-real-servers-');
  let repo: DagsRepo;
  let airflow: RealAirflow | undefined;
  let dagster: RealDagster | undefined;
  const assetsOf = async (location: string) => (await dagster!.assetsByLocation()).get(location) ?? [];

  beforeAll(async () => {
    const venvs = installVenvs();
    repo = dagsRepo({ 'orders.py': dagFile(2, { id: 'orders', tasks: ['extract'] }) });
    airflow = await startAirflow2({ venv: venvs.airflow2, home: `${work.dir}/airflow`, dagsFolder: repo.dagsFolder, logDir: work.dir });
    await waitForDags(airflow, ['orders']);
    const mirror = { airflowUrl: airflow.url, username: AIRFLOW_USER, password: AIRFLOW_PASSWORD };
    dagster = await startDagster({
      venv: venvs.dagster,
      home: `${work.dir}/dagster`,
      logDir: work.dir,
      locations: [
        { name: 'airlift_grpc', instance: 'via_grpc', server: 'api-grpc', ...mirror },
        { name: 'airlift_code_server', instance: 'via_code_server', server: 'code-server', ...mirror },
      ],
    });
  }, 600_000);

  afterAll(() => tearDown({ airflow, dagster, repo, work }), 60_000);

  it('a location served by dagster api grpc: the reload changes nothing, and the run fails with the fix', async () => {
    const push = repo.push('add shipments', { 'shipments.py': dagFile(2, { id: 'shipments', tasks: ['ship'] }) });

    const run = await act(repo, push, airflow!, { 'airflow-instance-name': 'via_grpc', 'dagster-url': dagster!.url });

    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.outputs['reloaded-locations']).toBe('[]');
    const failure = run.report!.failures.find((entry) => entry.stage === 'dagster');
    expect(failure?.message).toMatch(/airlift_grpc/);
    expect(`${failure?.message} ${failure?.fix}`).toMatch(/dagster api grpc|restart|code-server/i);
    expect(await assetsOf('airlift_grpc')).not.toContain('via_grpc/dag/shipments');
  });

  it('the same location under dagster code-server start: synced, the new DAG shows', async () => {
    const head = repo.repo.git('rev-parse', 'HEAD');
    const base = repo.repo.git('rev-parse', 'HEAD~1');
    const { pushPayload } = await import('../../sim/git-repo.js');
    expect(await assetsOf('airlift_code_server')).not.toContain('via_code_server/dag/shipments');

    const run = await act(repo, { before: base, after: head, payload: pushPayload(repo.repo, base, head) }, airflow!, {
      'airflow-instance-name': 'via_code_server',
      'dagster-url': dagster!.url,
    });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual(['airlift_code_server']);
    expect(await assetsOf('airlift_code_server')).toContain('via_code_server/dag/shipments');
  });
});
