// A DAG is partial only when code the reader cannot follow could add tasks or edges to it.
import { describe, expect, it } from 'vitest';
import { dagOf, py, read } from './helpers.js';

const IMPORTS = py`
  import os
  from airflow.sdk import DAG
  from airflow.providers.standard.operators.empty import EmptyOperator
`;

describe('partial DAGs', () => {
  it('are not made partial by the system-test runner every provider example ends with', async () => {
    for (const module of ['tests_common.test_utils.system_tests', 'dev.tests_common.test_utils.system_tests', 'tests.system.utils']) {
      const source = `${IMPORTS}\nwith DAG("system_test", schedule=None) as dag:\n    EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")\n\nfrom ${module} import get_test_run  # noqa: E402\n\ntest_run = get_test_run(dag)\n`;
      expect((await dagOf(source, 'system_test')).partial, module).toBe(false);
    }
  });

  it('are still made partial by a helper of the project handed the DAG', async () => {
    const source = `${IMPORTS}\nfrom common.factory import add_checks\nwith DAG("handed", schedule=None) as dag:\n    EmptyOperator(task_id="a")\n\nadd_checks(dag)\n`;
    expect((await dagOf(source, 'handed')).partial).toBe(true);
  });

  it('are exact when the whole DAG sits under an if that tests the environment', async () => {
    const source = py`
      ${IMPORTS}
      if os.environ.get("DEPLOYMENT") == "prod":
          with DAG("prod_only", schedule="@daily"):
              EmptyOperator(task_id="extract") >> EmptyOperator(task_id="load")
    `;
    const dag = await dagOf(source, 'prod_only');
    expect(dag.edges).toEqual([['extract', 'load']]);
    expect(dag.partial).toBe(false);
  });

  it('are partial when only some of their tasks sit under such an if', async () => {
    const source = py`
      ${IMPORTS}
      with DAG("sometimes", schedule=None):
          extract = EmptyOperator(task_id="extract")
          if os.environ.get("DEPLOYMENT") == "prod":
              extract >> EmptyOperator(task_id="notify")
    `;
    expect((await dagOf(source, 'sometimes')).partial).toBe(true);
  });

  it('are partial when each branch defines the same DAG id differently', async () => {
    const source = py`
      ${IMPORTS}
      if os.environ.get("DEPLOYMENT") == "prod":
          with DAG("twice"):
              EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
      else:
          with DAG("twice"):
              EmptyOperator(task_id="a")
    `;
    const result = await read(source);
    expect(result.dags.map((dag) => [dag.dagId, dag.partial])).toEqual([['twice', true]]);
  });
});
