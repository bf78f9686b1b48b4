import { describe, expect, it } from 'vitest';
import { dagOf, py, read } from './helpers.js';

const IMPORTS = py`
  from airflow.sdk import DAG, TaskGroup, dag, task, task_group
  from airflow.providers.standard.operators.empty import EmptyOperator
  from airflow.providers.standard.operators.bash import BashOperator
`;

describe('task ids', () => {
  it('lists operators created in the DAG scope or given dag=, not unattached ones', async () => {
    const source = py`
      ${IMPORTS}
      with DAG("scoped") as d:
          EmptyOperator(task_id="inside")
          BashOperator(task_id="bash", bash_command="echo")
      EmptyOperator(task_id="explicit", dag=d)
      EmptyOperator(task_id="unattached")
    `;
    const dag = await dagOf(source, 'scoped');
    expect(dag.tasks).toEqual(['bash', 'explicit', 'inside']);
    expect(dag.partial).toBe(false);
  });

  it('treats any call with task_id in a DAG scope as an operator, whatever its class', async () => {
    const dag = await dagOf(
      py`
        from airflow.sdk import DAG, BaseOperator
        from my_company.operators import SnowflakeLoad
        class Custom(BaseOperator):
            pass
        with DAG("ops"):
            SnowflakeLoad(task_id="load", table="t")
            Custom(task_id="custom")
            Custom(**{"task_id": "from_splat"})
      `,
      'ops',
    );
    expect(dag.tasks).toEqual(['custom', 'from_splat', 'load']);
  });

  it('names @task calls after the function, task_id= or .override(task_id=...)', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        @dag
        def flows():
            @task
            def plain():
                pass
            @task(task_id="custom_id")
            def renamed():
                pass
            @task.bash
            def shell():
                return "echo"
            @task.virtualenv(requirements=["x"])
            def venv():
                pass
            plain()
            renamed()
            shell()
            venv()
            plain.override(task_id="overridden")()
        flows()
      `,
      'flows',
    );
    expect(dag.tasks).toEqual(['custom_id', 'overridden', 'plain', 'shell', 'venv']);
  });

  it('suffixes repeated @task calls with __1, __2 as Airflow does, also inside groups', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        @task
        def consumer(value):
            pass
        with DAG("repeats"):
            consumer(1)
            consumer(2)
            consumer(3)
            with TaskGroup("tg"):
                consumer(1)
                consumer(2)
                consumer.expand(value=[1, 2])
      `,
      'repeats',
    );
    expect(dag.tasks).toEqual(['consumer', 'consumer__1', 'consumer__2', 'tg.consumer', 'tg.consumer__1', 'tg.consumer__2']);
  });

  it('prefixes task ids with their task groups, nested, unless prefix_group_id=False', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        with DAG("groups"):
            with TaskGroup("outer"):
                EmptyOperator(task_id="a")
                with TaskGroup("inner"):
                    EmptyOperator(task_id="b")
            with TaskGroup("flat", prefix_group_id=False):
                EmptyOperator(task_id="c")
                with TaskGroup("below_flat"):
                    EmptyOperator(task_id="d")
            side = TaskGroup(group_id="side")
            EmptyOperator(task_id="e", task_group=side)
      `,
      'groups',
    );
    expect(dag.tasks).toEqual(['below_flat.d', 'c', 'outer.a', 'outer.inner.b', 'side.e']);
  });

  it('names @task_group groups after the function, suffixing repeats, with group_id= and override', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        @task
        def step():
            pass
        @task_group
        def section():
            step()
        @task_group(group_id="named")
        def other():
            step()
        with DAG("decorated_groups"):
            section()
            section()
            other()
            other.override(group_id="again")()
      `,
      'decorated_groups',
    );
    expect(dag.tasks).toEqual(['again.step', 'named.step', 'section.step', 'section__1.step']);
  });

  it('unrolls loops over literals with f-string task ids', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        TABLES = {"orders": 1, "users": 2}
        with DAG("loops"):
            for i in range(3):
                EmptyOperator(task_id=f"part_{i:02d}")
            for table, prio in TABLES.items():
                EmptyOperator(task_id=f"load_{table}_{prio}")
            [EmptyOperator(task_id=name) for name in ["x", "y"] if name != "y"]
      `,
      'loops',
    );
    expect(dag.tasks).toEqual(['load_orders_1', 'load_users_2', 'part_00', 'part_01', 'part_02', 'x']);
    expect(dag.partial).toBe(false);
  });

  it('keeps the static tasks and flags the DAG partial when a task id cannot be known', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        import json
        CONFIG = json.load(open("tables.json"))
        with DAG("half_known"):
            start = EmptyOperator(task_id="start")
            for table in CONFIG["tables"]:
                start >> EmptyOperator(task_id=f"load_{table}")
      `,
      'half_known',
    );
    expect(dag.tasks).toEqual(['start']);
    expect(dag.partial).toBe(true);
  });

  it('rejects task ids Airflow would reject and flags the DAG partial', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        with DAG("bad_ids"):
            EmptyOperator(task_id="fine")
            EmptyOperator(task_id="has space")
      `,
      'bad_ids',
    );
    expect(dag.tasks).toEqual(['fine']);
    expect(dag.partial).toBe(true);
  });

  it('flags a DAG partial when a project helper may add tasks to it', async () => {
    const result = await read(py`
      ${IMPORTS}
      from common.factory import add_quality_checks
      with DAG("helped") as d:
          EmptyOperator(task_id="own")
          add_quality_checks(d)
      with DAG("logging_only"):
          import logging
          logging.info("building")
          EmptyOperator(task_id="own")
    `);
    expect(result.dags.map((d) => [d.dagId, d.tasks, d.partial])).toEqual([
      ['helped', ['own'], true],
      ['logging_only', ['own'], false],
    ]);
  });

  it('uses TriggerRule members as the str values they are', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        from airflow.utils.trigger_rule import TriggerRule
        with DAG("rules"):
            EmptyOperator(task_id=TriggerRule.ALL_DONE)
      `,
      'rules',
    );
    expect(dag.tasks).toEqual(['all_done']);
  });
});
