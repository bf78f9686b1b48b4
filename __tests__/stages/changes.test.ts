// The changes stage on real git repositories: what a push changes, per Airflow instance.
import { describe, expect, it } from 'vitest';
import { readPush, repositories, stageInstance } from '../support/changes-stage.js';

const newRepo = repositories();

const dag = (id: string, extra = '') => `from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n${extra}\nwith DAG("${id}") as dag:\n    EmptyOperator(task_id="only")\n`;

describe('readChanges', () => {
  it('lists the DAGs of files that import a changed helper module as possibly changed', async () => {
    const repo = newRepo();
    const base = repo.commit('base', {
      'dags/common/__init__.py': '',
      'dags/common/util.py': 'def owner():\n    return "data"\n',
      'dags/uses_util.py': dag('uses_util', 'from common.util import owner'),
      'dags/standalone.py': dag('standalone'),
    });
    const head = repo.commit('change the helper', { 'dags/common/util.py': 'def owner():\n    return "platform"\n' });
    const stage = await readPush(repo, base, head, [stageInstance('dags')]);
    expect(stage.report.dags).toEqual([
      expect.objectContaining({ dagId: 'uses_util', kind: 'unchanged', file: 'dags/uses_util.py', via: { module: 'common.util' } }),
    ]);
  });

  it('reads importers with the helper modules of each revision: a helper change modifies their shape', async () => {
    const repo = newRepo();
    const importer = [
      'from airflow import DAG',
      'from common.tasks import checks',
      'from common.ids import DAG_ID',
      '',
      'with DAG(DAG_ID) as dag:',
      '    checks()',
      '',
    ].join('\n');
    const checks = (ids: string) =>
      `from airflow.operators.empty import EmptyOperator\n\ndef checks():\n    first, second = [EmptyOperator(task_id=name) for name in ${ids}]\n    first >> second\n`;
    const base = repo.commit('base', {
      'dags/common/__init__.py': '',
      'dags/common/ids.py': 'DAG_ID = "quality"\n',
      'dags/common/tasks.py': checks('["rows", "nulls"]'),
      'dags/quality.py': importer,
    });
    const head = repo.commit('rename a check', { 'dags/common/tasks.py': checks('["rows", "freshness"]') });
    const stage = await readPush(repo, base, head, [stageInstance('dags')]);
    expect(stage.report.dags).toEqual([
      expect.objectContaining({
        dagId: 'quality',
        kind: 'modified',
        file: 'dags/quality.py',
        via: { module: 'common.tasks' },
        tasksAdded: ['freshness'],
        tasksRemoved: ['nulls'],
        edgesAdded: [['rows', 'freshness']],
        edgesRemoved: [['rows', 'nulls']],
        partial: false,
      }),
    ]);
  });

  it('keeps each Airflow instance to its own DAGs folder', async () => {
    const repo = newRepo();
    const base = repo.commit('base', { 'team_a/a.py': dag('a'), 'team_b/b.py': dag('b') });
    const head = repo.commit('edit both', { 'team_a/a2.py': dag('a2'), 'team_b/b.py': null });
    const stage = await readPush(repo, base, head, [stageInstance('team_a', 'alpha'), stageInstance('team_b', 'beta', 1)]);
    expect(stage.report.dags.map((change) => [change.instance, change.dagId, change.kind])).toEqual([
      ['alpha', 'a2', 'added'],
      ['beta', 'b', 'removed'],
    ]);
    expect(stage.report.source).toBe('git');
  });

  it('reports a syntax error in a pushed DAG file with its line, and what could still be read', async () => {
    const repo = newRepo();
    const base = repo.commit('base', { 'dags/etl.py': dag('etl') });
    const head = repo.commit('break it', { 'dags/etl.py': `${dag('etl')}\ndef broken(:\n    pass\n` });
    const stage = await readPush(repo, base, head, [stageInstance('dags')]);
    expect(stage.report.syntaxErrors).toEqual([expect.objectContaining({ file: 'dags/etl.py', line: 7 })]);
    expect(stage.report.dags).toEqual([expect.objectContaining({ dagId: 'etl', partial: true })]);
  });
});
