// A push with an interpreter bomb next to an innocent DAG, through the bundle (issue 17.1):
// the bomb file is reported as not readable statically, the innocent DAG is read and
// reported, and the run ends with a summary, outputs and a report.
import { describe, expect, it } from 'vitest';
import { createRepo, pushPayload } from '../../sim/git-repo.js';
import { runAction } from '../support/run-action.js';
import { cleanupOf, expectReported, type TestContext } from './harness.js';

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

describe('a push with an interpreter bomb', () => {
  it('skips the bomb files with a reason and reports the innocent DAG', async (ctx: TestContext) => {
    const cleanup = cleanupOf(ctx);
    const repo = createRepo('airlift-bombs-');
    cleanup(() => repo.remove());
    const base = repo.commit('Airflow DAGs', { 'dags/.keep': '' });
    const head = repo.commit('A bomb and an innocent DAG', { ...BOMBS, 'dags/innocent.py': INNOCENT });

    const run = await runAction({
      inputs: { 'dry-run': 'true', 'dags-folder': 'dags' },
      eventName: 'push',
      payload: pushPayload(repo, base, head),
      workspace: repo.dir,
      sha: head,
    });

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
});
