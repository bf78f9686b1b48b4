import { describe, expect, it } from 'vitest';
import { dagOf, ids, py, read } from './helpers.js';

const HEADER = 'from airflow.sdk import DAG, dag, task\nfrom airflow.providers.standard.operators.empty import EmptyOperator\n';

describe('DAG ids', () => {
  it('reads DAG("id"), DAG(dag_id=...), models.DAG and airflow.DAG', async () => {
    const result = await read(py`
      import airflow
      from airflow import models
      from airflow.models.dag import DAG

      with DAG("positional") as d1:
          pass
      with DAG(dag_id="keyword", schedule=None):
          pass
      d3 = models.DAG("via_models")
      d4 = airflow.DAG(dag_id="via_airflow")
    `);
    expect(ids(result)).toEqual(['keyword', 'positional', 'via_airflow', 'via_models']);
    expect(result.dynamic).toEqual([]);
  });

  it('reports the 1-based line of the constructor', async () => {
    const dag = await dagOf(HEADER + '\n\nwith DAG(\n    dag_id="on_line_five",\n) as d:\n    pass\n', 'on_line_five');
    expect(dag.line).toBe(5);
  });

  it('names @dag functions after the function unless dag_id is given, bare or called', async () => {
    const result = await read(py`
      from airflow.decorators import dag

      @dag
      def bare():
          pass

      @dag()
      def called():
          pass

      @dag(dag_id="renamed", schedule="@daily")
      def original_name():
          pass

      bare()
      called()
      original_name()
    `);
    expect(ids(result)).toEqual(['bare', 'called', 'renamed']);
  });

  it('does not report a @dag function that is never called, as Airflow would not load it', async () => {
    const result = await read(HEADER + '@dag\ndef never_called():\n    pass\n');
    expect(result.dags).toEqual([]);
  });

  it('reads @asset (Airflow 3) as a one-task DAG named after the asset', async () => {
    const result = await read(py`
      from airflow.sdk import Asset, asset

      @asset(schedule=None)
      def raw_orders():
          pass

      @asset(schedule=None, name="clean_orders")
      def clean(raw_orders):
          pass

      @asset.multi(schedule=None, outlets=[Asset("a"), Asset("b")])
      def split():
          pass
    `);
    expect(result.dags.map((d) => [d.dagId, d.tasks])).toEqual([
      ['clean_orders', ['clean']],
      ['raw_orders', ['raw_orders']],
      ['split', ['split']],
    ]);
  });

  it('resolves constants, f-strings, concatenation and string formatting', async () => {
    const result = await read(py`
      from airflow.sdk import DAG
      TEAM = "sales"
      VERSION = 2
      PREFIX = TEAM + "_daily"
      with DAG(f"{TEAM}_v{VERSION:02d}"):
          pass
      with DAG(PREFIX):
          pass
      with DAG("{}_{}".format(TEAM, "weekly")):
          pass
      with DAG("%s_monthly" % TEAM):
          pass
      with DAG("_".join([TEAM, "yearly"]).upper()):
          pass
    `);
    expect(ids(result)).toEqual(['SALES_YEARLY', 'sales_daily', 'sales_monthly', 'sales_v02', 'sales_weekly']);
  });

  it('unrolls loops over literal lists, dicts and ranges that create DAGs', async () => {
    const result = await read(py`
      from airflow.sdk import DAG
      for env in ["dev", "prod"]:
          with DAG(f"etl_{env}"):
              pass
      for name, cron in {"a": "@daily", "b": "@hourly"}.items():
          DAG(dag_id=f"sched_{name}", schedule=cron)
      for i in range(2):
          globals()[f"n{i}"] = DAG(f"numbered_{i}")
    `);
    expect(ids(result)).toEqual(['etl_dev', 'etl_prod', 'numbered_0', 'numbered_1', 'sched_a', 'sched_b']);
  });

  it('reports DAGs of a loop too long to unroll as dynamic', async () => {
    const result = await read(py`
      from airflow.sdk import DAG
      for i in range(5000):
          DAG(f"shard_{i}")
    `);
    expect(result.dags).toEqual([]);
    expect(result.dynamic).toHaveLength(1);
    expect(result.dynamic[0]!.reason).toMatch(/too long to unroll/);
  });

  it('follows ids through factory functions called with literals', async () => {
    const result = await read(py`
      from airflow.sdk import DAG
      def build(name, suffix="x"):
          with DAG(dag_id=f"{name}_{suffix}") as built:
              pass
          return built
      first = build("alpha")
      second = build("beta", suffix="y")
    `);
    expect(ids(result)).toEqual(['alpha_x', 'beta_y']);
  });

  it('reports ids that depend on the run time as dynamic, with line and reason, never guessed', async () => {
    const result = await read(py`
      import os
      from pathlib import Path
      from airflow.sdk import DAG, Variable

      with DAG(Path(__file__).stem):
          pass
      for name in os.listdir("/configs"):
          with DAG(f"cfg_{name}"):
              pass
      with DAG(Variable.get("dag_name")):
          pass
      def factory(dag_id):
          return DAG(dag_id)
      factory(os.environ["NAME"])
    `);
    expect(result.dags).toEqual([]);
    expect(result.dynamic.map((d) => d.line)).toEqual([5, 8, 10, 13]);
    expect(result.dynamic[0]!.reason).toMatch(/__file__/);
    expect(result.dynamic[1]!.reason).toMatch(/os\.listdir/);
    for (const entry of result.dynamic) expect(entry.reason).toMatch(/cannot be read statically/);
  });

  it('reports DAG factories from other modules as dynamic, not as nothing', async () => {
    const result = await read(py`
      from common.factory import make_pipeline, load_settings
      from dagfactory import DagFactory
      import yaml

      settings = load_settings()
      dag = make_pipeline("orders")
      globals()["x"] = make_pipeline("users")
      DagFactory("config.yml").generate_dags(globals())
      parsed = yaml.safe_load("a: 1")
    `);
    expect(result.dags).toEqual([]);
    expect(result.dynamic.map((d) => d.line)).toEqual([6, 7, 8]);
    expect(result.dynamic[0]!.reason).toMatch(/common\.factory/);
  });

  it('rejects ids Airflow would reject instead of accepting them', async () => {
    const result = await read(py`
      from airflow.sdk import DAG
      with DAG("has space"):
          pass
      with DAG("x" * 251):
          pass
      with DAG("ünïcödé_ok"):
          pass
    `);
    expect(ids(result)).toEqual(['ünïcödé_ok']);
    expect(result.dynamic).toHaveLength(2);
    expect(result.dynamic[0]!.reason).toMatch(/not a valid Airflow id/);
  });

  it('keeps one DAG per id when a file defines the same id twice', async () => {
    const result = await read(py`
      from airflow.sdk import DAG
      from airflow.providers.standard.operators.empty import EmptyOperator
      with DAG("twice"):
          EmptyOperator(task_id="first")
      with DAG("twice"):
          EmptyOperator(task_id="second")
    `);
    expect(result.dags.map((d) => [d.dagId, d.tasks])).toEqual([['twice', ['second']]]);
  });

  it('skips code under if __name__ == "__main__" and TYPE_CHECKING', async () => {
    const result = await read(py`
      from typing import TYPE_CHECKING
      from airflow.sdk import DAG
      if TYPE_CHECKING:
          typing_only = DAG("typing_only")
      if __name__ == "__main__":
          DAG("main_only")
      with DAG("real"):
          pass
    `);
    expect(ids(result)).toEqual(['real']);
  });

  it('reads a DAG under an undecidable if, exact: its shape is known whenever it exists', async () => {
    const result = await read(py`
      import os
      from airflow.sdk import DAG
      if os.environ.get("FLAG"):
          with DAG("maybe"):
              pass
    `);
    expect(result.dags.map((d) => [d.dagId, d.partial])).toEqual([['maybe', false]]);
  });

  it('builds every DAG of a get_parsing_context() loop, as a full parse does', async () => {
    const result = await read(py`
      from airflow.sdk import DAG, get_parsing_context
      current = get_parsing_context().dag_id
      for name in ["a", "b"]:
          dag_id = f"gen_{name}"
          if current is not None and current != dag_id:
              continue
          with DAG(dag_id):
              pass
    `);
    expect(result.dags.map((d) => [d.dagId, d.partial])).toEqual([
      ['gen_a', false],
      ['gen_b', false],
    ]);
  });
});
