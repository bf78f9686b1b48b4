// What a one-file push still finds without listing the repository (issue 16): the helper modules a
// pushed DAG file imports, and dagster-airlift's proxied_state folders, on real git repositories.
import { describe, expect, it } from 'vitest';
import { startGitHubSimulator } from '../../sim/github.js';
import { readPush, repositories, stageInstance } from '../support/changes-stage.js';
import { GitHubApiRevisions } from '../../src/github/revisions-api.js';
import { readMigration } from '../../src/migration/index.js';

const newRepo = repositories();

const etl = (extra: string) =>
  ['from airflow import DAG', 'from airflow.operators.empty import EmptyOperator', 'from shared.steps import build', 'from names import DAG_ID', '', 'with DAG(DAG_ID) as dag:', `    ${extra}`, ''].join('\n');

describe('a push of one DAG file', () => {
  it('follows its imports into helper modules the push did not touch, first sys.path root first', async () => {
    const repo = newRepo();
    const base = repo.commit('base', {
      'plugins/shared/__init__.py': '',
      'plugins/shared/steps.py': 'from airflow.operators.empty import EmptyOperator\n\ndef build():\n    extract = EmptyOperator(task_id="extract")\n    load = EmptyOperator(task_id="load")\n    extract >> load\n    return load\n',
      // dags/ comes before the repository root on sys.path: the root's names.py is shadowed.
      'dags/names.py': 'DAG_ID = "orders"\n',
      'names.py': 'DAG_ID = "shadowed"\n',
      'dags/etl.py': etl('build()'),
    });
    const head = repo.commit('publish', { 'dags/etl.py': etl('build() >> EmptyOperator(task_id="publish")') });
    const stage = await readPush(repo, base, head, [stageInstance('dags')]);
    expect(stage.report.dags).toEqual([
      expect.objectContaining({ dagId: 'orders', kind: 'modified', file: 'dags/etl.py', tasksAdded: ['publish'], tasksRemoved: [], edgesAdded: [['load', 'publish']], partial: false }),
    ]);
    expect(stage.report.dynamicDags).toEqual([]);
  });

  it('finds proxied_state folders inside and beside the DAGs folder at head and base, from git and from the GitHub API alike', async () => {
    const repo = newRepo();
    const state = 'tasks:\n  - id: extract\n    proxied: true\n';
    const base = repo.commit('base', {
      'airflow/dags/etl.py': 'from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n\nwith DAG("etl") as dag:\n    EmptyOperator(task_id="extract")\n',
      'airflow/dags/proxied_state/etl.yaml': state,
      'airflow/dags/proxied_state/README.md': 'not read by airlift\n',
      'airflow/dags/proxied_state/old/etl.yaml': state,
      'airflow/proxied_state/billing.yml': 'proxied: false\n',
      'airflow/proxied_state/gone.yaml': 'proxied: true\n',
      'elsewhere/proxied_state/other.yaml': 'proxied: true\n',
    });
    const head = repo.commit('one DAG file, one state file gone', {
      'airflow/dags/etl.py': 'from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n\nwith DAG("etl") as dag:\n    EmptyOperator(task_id="extract") >> EmptyOperator(task_id="load")\n',
      'airflow/proxied_state/gone.yaml': null,
    });
    const stage = await readPush(repo, base, head, [stageInstance('airflow/dags')]);
    const expected = {
      // Every folder at head, served or not, as the report names them.
      folders: ['airflow/dags/proxied_state', 'airflow/proxied_state', 'elsewhere/proxied_state'],
      head: ['airflow/dags/proxied_state/etl.yaml', 'airflow/proxied_state/billing.yml'],
      base: ['airflow/dags/proxied_state/etl.yaml', 'airflow/proxied_state/billing.yml', 'airflow/proxied_state/gone.yaml'],
    };
    const seen = (read: typeof stage.migration) => ({
      folders: read?.folders,
      head: read?.instances.flatMap((entry) => entry.head.map((file) => file.path)),
      base: read?.instances.flatMap((entry) => entry.base.map((file) => file.path)),
    });
    expect(seen(stage.migration)).toEqual(expected);

    const sim = await startGitHubSimulator({ repoDir: repo.dir, owner: 'acme', repo: 'airflow-dags', token: 'ghs_simulated' });
    try {
      const api = new GitHubApiRevisions({ token: 'ghs_simulated', baseUrl: sim.url, owner: 'acme', repo: 'airflow-dags' });
      const fromApi = await readMigration(api, { kind: 'diff', base, head, forced: false, event: 'push' }, [{ name: 'prod', dagsFolders: ['airflow/dags'], airflowMajor: 2, ignoreSyntax: 'regexp' }], () => ({}));
      expect(seen(fromApi)).toEqual(expected);
    } finally {
      await sim.close();
    }
  });
});
