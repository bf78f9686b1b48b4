// Comments may sit between any two tokens of a DAG file; none of them is a value.
import { describe, expect, it } from 'vitest';
import { dagOf, edges, py, read } from './helpers.js';

const IMPORTS = py`
  from airflow.sdk import DAG, TaskGroup, chain, task
  from airflow.providers.standard.operators.empty import EmptyOperator
`;

/** A DAG "g" with empty operators a..d, then `body` (already indented by four spaces). */
function withTasks(body: string): string {
  return `${IMPORTS}\nwith DAG("g", schedule=None):\n    a, b, c, d = [EmptyOperator(task_id=n) for n in "abcd"]\n${body}`;
}

describe('comments', () => {
  it('inside DAG(...) keep the DAG and its id', async () => {
    const source = py`
      ${IMPORTS}
      with DAG(
          # the id is the file's name
          dag_id="commented",  # stable
          # no schedule: triggered by hand
          schedule=None,
      ) as dag:
          EmptyOperator(
              # a comment before the id
              task_id="only",
          )
    `;
    const dag = await dagOf(source, 'commented');
    expect(dag.tasks).toEqual(['only']);
    expect(dag.partial).toBe(false);
  });

  it('before a positional DAG id keep the id', async () => {
    const dag = await dagOf(`${IMPORTS}\nwith DAG(  # positional\n    "positional",\n):\n    EmptyOperator(task_id="t")\n`, 'positional');
    expect(dag.tasks).toEqual(['t']);
  });

  it('inside parentheses around >> keep every edge', async () => {
    const dag = await dagOf(withTasks('    (\n        # extract, then load\n        a  # first\n        # then\n        >> b\n        >> c  # last\n    )\n'), 'g');
    expect(edges(dag)).toEqual(['a >> b', 'b >> c']);
    expect(dag.partial).toBe(false);
  });

  it('inside chain(...) keep the chain exact', async () => {
    const dag = await dagOf(withTasks('    chain(\n        # extract\n        a,\n        b,  # transform\n        [c, d],\n    )\n'), 'g');
    expect(edges(dag)).toEqual(['a >> b', 'b >> c', 'b >> d']);
    expect(dag.partial).toBe(false);
  });

  it('inside a >> [ ... ] list keep the list exact', async () => {
    const dag = await dagOf(withTasks('    a >> [  # fan out\n        b,  # one\n        # two\n        c,\n    ] >> d\n'), 'g');
    expect(edges(dag)).toEqual(['a >> b', 'a >> c', 'b >> d', 'c >> d']);
    expect(dag.partial).toBe(false);
  });

  it('inside calls, dicts, subscripts and groups change nothing', async () => {
    const source = py`
      ${IMPORTS}
      SETTINGS = {
          # per-environment
          "prefix": "load",  # used in ids
      }
      with DAG("nested", schedule=None):
          with TaskGroup(
              # group comment
              group_id="grp",
          ) as grp:
              first = EmptyOperator(task_id=SETTINGS[  # lookup
                  "prefix"
              ])

              @task(
                  # a comment in the decorator call
                  task_id="second",
              )
              def second(value):  # body is not read
                  return value

              first >> second(
                  # argument
                  1,
              )
    `;
    const dag = await dagOf(source, 'nested');
    expect(dag.tasks).toEqual(['grp.load', 'grp.second']);
    expect(edges(dag)).toEqual(['grp.load >> grp.second']);
    expect(dag.partial).toBe(false);
  });

  it('never become the text of a dynamic-id notice', async () => {
    const result = await read(`${IMPORTS}\nimport os\nwith DAG(\n    # one per environment\n    f"load_{os.environ['ENV']}",\n):\n    pass\n`);
    expect(result.dags).toEqual([]);
    expect(result.dynamic).toHaveLength(1);
    expect(result.dynamic[0]!.reason).toContain("`os.environ['ENV']`");
    expect(result.dynamic[0]!.reason).not.toContain('#');
  });
});
