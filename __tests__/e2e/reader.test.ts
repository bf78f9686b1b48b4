// The static reader on pushes, through the bundle, in dry runs: an interpreter bomb next to an
// innocent DAG (issue 17.1), and a push that changes only a helper module (issue 15.2).
import { describe, expect, it } from 'vitest';
import { createRepo, pushPayload } from '../../sim/git-repo.js';
import { runAction, type ActionRun } from '../support/run-action.js';
import { cleanupOf, expectReported, type TestContext } from './harness.js';

/** Commits `before`, then `after` on top, and plans that push with the bundle. */
async function planPush(ctx: TestContext, before: Record<string, string>, after: Record<string, string>): Promise<ActionRun> {
  const repo = createRepo('airlift-reader-');
  cleanupOf(ctx)(() => repo.remove());
  const base = repo.commit('Airflow DAGs', before);
  const head = repo.commit('The push', after);
  return runAction({
    inputs: { 'dry-run': 'true', 'dags-folder': 'dags' },
    eventName: 'push',
    payload: pushPayload(repo, base, head),
    workspace: repo.dir,
    sha: head,
  });
}

const INNOCENT = `from airflow.sdk import DAG
from airflow.providers.standard.operators.empty import EmptyOperator

with DAG(dag_id="innocent_report", schedule=None):
    EmptyOperator(task_id="extract") >> EmptyOperator(task_id="load")
`;

// Each names airflow and DAG, so Airflow's safe mode (and the action) treats it as a DAG file.
const HEADER = 'from airflow.sdk import DAG\n\n';
const BOMBS = {
  'dags/list_bomb.py': `${HEADER}s = [1]\nfor i in range(40):\n    s = s + s\n`,
  'dags/string_bomb.py': `${HEADER}s = "ab"\nfor i in range(40):\n    s = s.replace("a", "aa")\n`,
  'dags/huge_int.py': `${HEADER}with DAG(str(10**100000)):\n    pass\n`,
};

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

describe('the reader on a push', () => {
  it('skips interpreter bombs with a reason and reports the innocent DAG', async (ctx: TestContext) => {
    const run = await planPush(ctx, { 'dags/.keep': '' }, { ...BOMBS, 'dags/innocent.py': INNOCENT });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('planned');
    expectReported(run);
    const changed = JSON.parse(run.outputs['changed-dags']!) as { dagId: string; kind: string }[];
    expect(changed.map((dag) => [dag.dagId, dag.kind])).toEqual([['innocent_report', 'added']]);
    expect(run.summary).toContain('innocent_report');
    expect(run.summary).toMatch(/not read: .*list_bomb\.py.*: not readable statically: a list grows past 131,072 items/);
    expect(run.summary).toMatch(/not read: .*string_bomb\.py.*: not readable statically: a string grows past 4,194,304 characters/);
    expect(run.report!.changes.dynamicDags).toEqual([
      { file: 'dags/huge_int.py', line: 3, message: 'DAG id cannot be read statically: `str(10**100000)` is only known at run time' },
    ]);
    expect(run.report!.changes.skippedFiles.map((file) => file.file).sort()).toEqual(['dags/list_bomb.py', 'dags/string_bomb.py']);
  });

  it('reports a DAG modified when a push changes only the helper module it imports', async (ctx: TestContext) => {
    const run = await planPush(
      ctx,
      {
        'dags/common/__init__.py': '',
        'dags/common/settings.py': 'DAG_ID = "orders_quality"\n',
        'dags/common/tasks.py': checks('["row_count", "nulls"]'),
        'dags/pipeline.py': PIPELINE,
      },
      { 'dags/common/tasks.py': checks('["row_count", "freshness"]') },
    );

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
