// Imports of the repository's own modules are followed into them, statically (issue 15.2):
// Airflow puts the DAGs folder (and plugins, config) on sys.path.
import { describe, expect, it } from 'vitest';
import type { DagFileRead } from '../../src/model.js';
import { readDagFile } from '../../src/dags/read.js';
import { edges, py } from './helpers.js';

/** Reads `dags/<entry>` with the other files as the repository at the same revision. */
function readWithRepo(files: Record<string, string>, entry: string, roots = ['dags', 'plugins', 'config', '']): Promise<DagFileRead> {
  const reads: string[] = [];
  const result = readDagFile(entry, files[entry]!, {
    helpers: {
      roots,
      read: (path) => {
        reads.push(path);
        return Promise.resolve(files[path] ?? null);
      },
    },
  });
  return result;
}

const TASKS = py`
  from airflow.sdk import task, task_group
  from airflow.providers.standard.operators.empty import EmptyOperator
  from common.settings import PREFIX

  @task
  def notify(message):
      print(message)

  @task_group
  def quality_checks(table):
      EmptyOperator(task_id=f"{PREFIX}_row_count") >> EmptyOperator(task_id=f"{PREFIX}_freshness")

  def make_load(name):
      return EmptyOperator(task_id=f"load_{name}")
`;

const PIPELINE = py`
  from airflow.sdk import DAG
  from common.tasks import notify, quality_checks, make_load
  from common import settings
  import common.settings as config

  with DAG(dag_id=settings.DAG_PREFIX + "_orders", schedule=None):
      load = make_load(config.TABLE)
      load >> quality_checks(config.TABLE) >> notify("done")
`;

const REPO = {
  'dags/common/__init__.py': '',
  'dags/common/settings.py': 'PREFIX = "dq"\nDAG_PREFIX = "sales"\nTABLE = "orders"\n',
  'dags/common/tasks.py': TASKS,
  'dags/pipeline.py': PIPELINE,
};

describe('helper modules', () => {
  it('follows @task functions, TaskGroup factories, operator factories and constants across modules', async () => {
    const result = await readWithRepo(REPO, 'dags/pipeline.py');
    expect(result.dags.map((dag) => dag.dagId)).toEqual(['sales_orders']);
    const dag = result.dags[0]!;
    expect(dag.tasks).toEqual(['load_orders', 'notify', 'quality_checks.dq_freshness', 'quality_checks.dq_row_count']);
    expect(edges(dag)).toEqual([
      'load_orders >> quality_checks.dq_row_count',
      'quality_checks.dq_freshness >> notify',
      'quality_checks.dq_row_count >> quality_checks.dq_freshness',
    ]);
    expect(dag.partial).toBe(false);
  });

  it('sees a helper change as a change of the importing DAG', async () => {
    const before = await readWithRepo(REPO, 'dags/pipeline.py');
    const after = await readWithRepo({ ...REPO, 'dags/common/settings.py': 'PREFIX = "check"\nDAG_PREFIX = "sales"\nTABLE = "orders"\n' }, 'dags/pipeline.py');
    expect(before.dags[0]!.tasks).toContain('quality_checks.dq_row_count');
    expect(after.dags[0]!.tasks).toContain('quality_checks.check_row_count');
  });

  it('resolves relative imports, plugins and the repository root', async () => {
    const files = {
      'dags/etl/__init__.py': '',
      'dags/etl/steps.py': 'from .names import STEP\nfrom airflow.providers.standard.operators.empty import EmptyOperator\n\ndef step():\n    return EmptyOperator(task_id=STEP)\n',
      'dags/etl/names.py': 'STEP = "relative_step"\n',
      'plugins/shared_ops.py': 'from airflow.providers.standard.operators.empty import EmptyOperator\n\ndef plugin_step():\n    return EmptyOperator(task_id="plugin_step")\n',
      'include/ids.py': 'DAG_ID = "from_include"\n',
      'dags/etl/job.py': py`
        from airflow.sdk import DAG
        from .steps import step
        from shared_ops import plugin_step
        from include.ids import DAG_ID

        with DAG(DAG_ID):
            step() >> plugin_step()
      `,
    };
    const result = await readWithRepo(files, 'dags/etl/job.py');
    expect(result.dags.map((dag) => [dag.dagId, edges(dag), dag.partial])).toEqual([['from_include', ['relative_step >> plugin_step'], false]]);
  });

  it('survives import cycles and ignores DAGs a helper makes at import', async () => {
    const files = {
      'dags/a.py': 'from b import B\nfrom airflow.sdk import DAG\nA = "a_" + B\nwith DAG("made_in_helper"):\n    pass\n',
      'dags/b.py': 'from a import A\nB = "b"\n',
      'dags/main.py': 'from airflow.sdk import DAG\nfrom a import A\n\nwith DAG(A):\n    pass\n',
    };
    const result = await readWithRepo(files, 'dags/main.py');
    expect(result.dags.map((dag) => dag.dagId)).toEqual(['a_b']);
  });

  it('keeps a name the helper does not define statically unknown, and the DAG partial', async () => {
    const files = {
      'dags/common/factory.py': 'import os\nadd_checks = globals()[os.environ["CHECKS"]]\n',
      'dags/main.py': 'from airflow.sdk import DAG\nfrom common.factory import add_checks\n\nwith DAG("checked") as dag:\n    add_checks(dag)\n',
    };
    const result = await readWithRepo(files, 'dags/main.py');
    expect(result.dags.map((dag) => [dag.dagId, dag.partial])).toEqual([['checked', true]]);
  });
});

describe('DAGs made by helper code', () => {
  it('are reported at the line of the DAG file that calls the helper', async () => {
    const files = {
      'dags/common/factory.py': py`
        import os
        from airflow.sdk import DAG
        from airflow.providers.standard.operators.empty import EmptyOperator


        def create_dag(name):
            with DAG(f"factory_{name}") as dag:
                EmptyOperator(task_id="only")
            return dag


        def create_env_dag():
            return DAG(os.environ["DAG_NAME"])
      `,
      'dags/main.py': py`
        from common.factory import create_dag, create_env_dag

        first = create_dag("a")
        env = create_env_dag()
      `,
    };
    const result = await readWithRepo(files, 'dags/main.py');
    expect(result.dags.map((dag) => [dag.dagId, dag.line, dag.tasks])).toEqual([['factory_a', 3, ['only']]]);
    expect(result.dynamic.map((entry) => entry.line)).toEqual([4]);
  });
});
