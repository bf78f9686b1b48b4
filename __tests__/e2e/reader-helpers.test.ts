// A push that changes only a helper module, through the bundle (issue 15.2): the DAG files that
// import it are read at both revisions with that revision's helpers, and the DAG whose shape the
// helper changed is reported modified.
import { describe, expect, it } from 'vitest';
import { createRepo, pushPayload } from '../../sim/git-repo.js';
import { runAction } from '../support/run-action.js';
import { cleanupOf, expectReported, type TestContext } from './harness.js';

const PIPELINE = `from airflow.sdk import DAG
from common.tasks import quality_checks
from common.settings import DAG_ID

with DAG(dag_id=DAG_ID, schedule=None):
    quality_checks()
`;

const checks = (names: string) => `from airflow.sdk import task_group
from airflow.providers.standard.operators.empty import EmptyOperator


@task_group
def quality_checks():
    first, second = [EmptyOperator(task_id=name) for name in ${names}]
    first >> second
`;

describe('a push that changes only a helper module', () => {
  it('reports the importing DAG modified, with the tasks and edges the helper changed', async (ctx: TestContext) => {
    const cleanup = cleanupOf(ctx);
    const repo = createRepo('airlift-helpers-');
    cleanup(() => repo.remove());
    const base = repo.commit('Airflow DAGs', {
      'dags/common/__init__.py': '',
      'dags/common/settings.py': 'DAG_ID = "orders_quality"\n',
      'dags/common/tasks.py': checks('["row_count", "nulls"]'),
      'dags/pipeline.py': PIPELINE,
    });
    const head = repo.commit('Check freshness instead of nulls', { 'dags/common/tasks.py': checks('["row_count", "freshness"]') });

    const run = await runAction({
      inputs: { 'dry-run': 'true', 'dags-folder': 'dags' },
      eventName: 'push',
      payload: pushPayload(repo, base, head),
      workspace: repo.dir,
      sha: head,
    });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expectReported(run);
    const changed = JSON.parse(run.outputs['changed-dags']!) as { dagId: string; kind: string }[];
    expect(changed.map((dag) => [dag.dagId, dag.kind])).toEqual([['orders_quality', 'modified']]);
    expect(run.report!.changes.dags).toEqual([
      expect.objectContaining({
        dagId: 'orders_quality',
        file: 'dags/pipeline.py',
        via: { module: 'common.tasks' },
        tasksAdded: ['quality_checks.freshness'],
        tasksRemoved: ['quality_checks.nulls'],
        partial: false,
      }),
    ]);
    expect(run.summary).toContain('orders_quality');
  });
});
