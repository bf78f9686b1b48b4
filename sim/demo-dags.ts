// The DAG files of the demo repository, at the base and at the pushed head
// revision, with the structure Airflow gives them. Shared by the demo and the
// end-to-end tests. Edits: `new_reporting` is added, `legacy_export` removed,
// `orders_etl` gains a task and changes its edges, `customers_sync` is only
// reformatted (its structure does not change).
export interface DemoDag {
  readonly dagId: string;
  readonly file: string;
  readonly tasks: Readonly<Record<string, readonly string[]>>;
}

export const BASE_FILES: Readonly<Record<string, string>> = {
  'dags/orders_etl.py': `from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(dag_id="orders_etl", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False) as dag:
    extract = BashOperator(task_id="extract", bash_command="echo extract")
    transform = BashOperator(task_id="transform", bash_command="echo transform")
    load = BashOperator(task_id="load", bash_command="echo load")

    extract >> transform >> load
`,
  'dags/legacy_export.py': `from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator

with DAG("legacy_export", start_date=datetime(2023, 1, 1), schedule=None) as dag:
    EmptyOperator(task_id="export")
`,
  'dags/customers_sync.py': `from airflow.decorators import dag, task
from pendulum import datetime


@dag(start_date=datetime(2024, 1, 1), schedule="@hourly", catchup=False)
def customers_sync():
    @task
    def fetch():
        return [1, 2, 3]

    @task
    def upsert(rows):
        print(rows)

    upsert(fetch())


customers_sync()
`,
  'dags/common/__init__.py': '',
  'dags/common/util.py': `def today():
    return "2024-01-01"
`,
  'README.md': '# Airflow DAGs\n',
};

export const HEAD_FILES: Readonly<Record<string, string | null>> = {
  'dags/orders_etl.py': `from datetime import datetime

from airflow import DAG
from airflow.operators.bash import BashOperator

with DAG(dag_id="orders_etl", start_date=datetime(2024, 1, 1), schedule="@daily", catchup=False) as dag:
    extract = BashOperator(task_id="extract", bash_command="echo extract")
    validate = BashOperator(task_id="validate", bash_command="echo validate")
    transform = BashOperator(task_id="transform", bash_command="echo transform")
    load = BashOperator(task_id="load", bash_command="echo load")

    extract >> validate >> transform >> load
`,
  'dags/legacy_export.py': null,
  'dags/new_reporting.py': `from datetime import datetime

from airflow import DAG
from airflow.operators.empty import EmptyOperator
from airflow.utils.task_group import TaskGroup

with DAG(dag_id="new_reporting", start_date=datetime(2024, 6, 1), schedule="@weekly") as dag:
    start = EmptyOperator(task_id="start")
    with TaskGroup("build") as build:
        sales = EmptyOperator(task_id="sales")
        margins = EmptyOperator(task_id="margins")
        sales >> margins
    publish = EmptyOperator(task_id="publish")
    start >> build >> publish
`,
  'dags/customers_sync.py': `from airflow.decorators import dag, task
from pendulum import datetime


@dag(start_date=datetime(2024, 1, 1), schedule="@hourly", catchup=False, tags=["crm"])
def customers_sync():
    @task
    def fetch():
        return [1, 2, 3]

    @task
    def upsert(rows):
        print(rows)

    upsert(fetch())


customers_sync()
`,
};

/** What Airflow parses from each revision: task id -> downstream task ids. */
export const BASE_DAGS: readonly DemoDag[] = [
  { dagId: 'orders_etl', file: 'orders_etl.py', tasks: { extract: ['transform'], transform: ['load'], load: [] } },
  { dagId: 'legacy_export', file: 'legacy_export.py', tasks: { export: [] } },
  { dagId: 'customers_sync', file: 'customers_sync.py', tasks: { fetch: ['upsert'], upsert: [] } },
];

export const HEAD_DAGS: readonly DemoDag[] = [
  { dagId: 'orders_etl', file: 'orders_etl.py', tasks: { extract: ['validate'], validate: ['transform'], transform: ['load'], load: [] } },
  {
    dagId: 'new_reporting',
    file: 'new_reporting.py',
    tasks: { start: ['build.sales'], 'build.sales': ['build.margins'], 'build.margins': ['publish'], publish: [] },
  },
  { dagId: 'customers_sync', file: 'customers_sync.py', tasks: { fetch: ['upsert'], upsert: [] } },
];
