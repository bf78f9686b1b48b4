import { describe, expect, it } from 'vitest';
import { dagOf, edges, py } from './helpers.js';

const IMPORTS = py`
  from airflow.sdk import DAG, Label, TaskGroup, XComArg, chain, chain_linear, cross_downstream, task, task_group
  from airflow.providers.standard.operators.empty import EmptyOperator
  from airflow.providers.standard.operators.bash import BashOperator
`;

/** A DAG "g" with empty operators a..f bound to variables of the same names, then `body`. */
async function graph(body: string): Promise<string[]> {
  const source = `${IMPORTS}\nwith DAG("g"):\n    a, b, c, d, e, f = [EmptyOperator(task_id=n) for n in "abcdef"]\n${body
    .trim()
    .split('\n')
    .map((line) => `    ${line.trim()}`)
    .join('\n')}\n`;
  return edges(await dagOf(source, 'g'));
}

describe('edges', () => {
  it('reads >> and << chains, returning the right operand each time', async () => {
    expect(await graph('a >> b >> c\nd << e << f')).toEqual(['a >> b', 'b >> c', 'e >> d', 'f >> e']);
  });

  it('reads lists on either side of >> and <<', async () => {
    expect(await graph('a >> [b, c]\n[d, e] >> f')).toEqual(['a >> b', 'a >> c', 'd >> f', 'e >> f']);
    expect(await graph('[b, c] << a\na << [d]')).toEqual(['a >> b', 'a >> c', 'd >> a']);
    expect(await graph('a >> [b, c] >> d')).toEqual(['a >> b', 'a >> c', 'b >> d', 'c >> d']);
  });

  it('reads chain(), pairing neighbouring lists of equal length', async () => {
    expect(await graph('chain(a, [b, c], [d, e], f)')).toEqual(['a >> b', 'a >> c', 'b >> d', 'c >> e', 'd >> f', 'e >> f']);
    expect(await graph('steps = [a, b, c]\nchain(*steps)')).toEqual(['a >> b', 'b >> c']);
  });

  it('reads chain_linear() and cross_downstream() as full joins', async () => {
    expect(await graph('chain_linear(a, [b, c], [d, e])')).toEqual(['a >> b', 'a >> c', 'b >> d', 'b >> e', 'c >> d', 'c >> e']);
    expect(await graph('cross_downstream([a, b], [c, d])')).toEqual(['a >> c', 'a >> d', 'b >> c', 'b >> d']);
  });

  it('reads set_upstream and set_downstream', async () => {
    expect(await graph('a.set_downstream(b)\nc.set_upstream([a, b])\nd.set_downstream([e, f])')).toEqual([
      'a >> b',
      'a >> c',
      'b >> c',
      'd >> e',
      'd >> f',
    ]);
  });

  it('passes through edge labels, in chains, chain() and before lists', async () => {
    expect(await graph('a >> Label("ok") >> b\nchain(b, Label("x"), c)\nc >> Label("fan") >> [d, e]')).toEqual([
      'a >> b',
      'b >> c',
      'c >> d',
      'c >> e',
    ]);
  });

  it('links a group by its roots downstream and by its leaves upstream', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        with DAG("grouped"):
            start = EmptyOperator(task_id="start")
            end = EmptyOperator(task_id="end")
            with TaskGroup("g1") as g1:
                x = EmptyOperator(task_id="x")
                y = EmptyOperator(task_id="y")
                z = EmptyOperator(task_id="z")
                x >> y
            with TaskGroup("g2") as g2:
                w = EmptyOperator(task_id="w")
            start >> g1 >> g2 >> end
      `,
      'grouped',
    );
    expect(edges(dag)).toEqual([
      'g1.x >> g1.y',
      'g1.y >> g2.w',
      'g1.z >> g2.w',
      'g2.w >> end',
      'start >> g1.x',
      'start >> g1.z',
    ]);
  });

  it('links a decorated group by its return value when it returns a task', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        @task
        def first():
            pass
        @task
        def second(v):
            pass
        @task_group
        def returns_last():
            return second(first())
        @task_group
        def returns_nothing():
            second(first())
        with DAG("group_returns"):
            s = EmptyOperator(task_id="s")
            s >> returns_last()
            s >> returns_nothing()
      `,
      'group_returns',
    );
    expect(edges(dag)).toEqual([
      'returns_last.first >> returns_last.second',
      'returns_nothing.first >> returns_nothing.second',
      's >> returns_last.second',
      's >> returns_nothing.first',
    ]);
  });

  it('adds the implicit edges of XComArgs passed to tasks: @task results, .output, XComArg()', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        @task
        def produce():
            return 1
        @task
        def consume(*args, **kwargs):
            pass
        with DAG("xcom"):
            shell = BashOperator(task_id="shell", bash_command="echo 1")
            value = produce()
            consume(value, nested={"k": [shell.output]})
            BashOperator(task_id="templated", bash_command=XComArg(shell))
            BashOperator(task_id="keyed", bash_command=value["key"])
            BashOperator(task_id="in_fstring", bash_command=f"echo {XComArg(shell)}")
      `,
      'xcom',
    );
    expect(edges(dag)).toEqual(['produce >> consume', 'produce >> keyed', 'shell >> consume', 'shell >> templated']);
  });

  it('adds edges from mapped inputs: expand(), partial().expand() and mapped groups', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        @task
        def items():
            return [1, 2]
        @task
        def double(x, factor):
            return x * factor
        @task_group
        def per_item(x):
            double.override(task_id="in_group")(x, 1)
        with DAG("mapped"):
            listed = items()
            double.partial(factor=2).expand(x=listed)
            BashOperator.partial(task_id="shell").expand(bash_command=listed)
            per_item.expand(x=listed)
      `,
      'mapped',
    );
    expect(dag.tasks).toEqual(['double', 'items', 'per_item.in_group', 'shell']);
    expect(edges(dag)).toEqual(['items >> double', 'items >> per_item.in_group', 'items >> shell']);
  });

  it('links setup and teardown around the work of a teardown context manager', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        from airflow.sdk import setup, teardown
        @setup
        def create():
            return "id"
        @teardown
        def delete(resource):
            pass
        @task
        def work():
            pass
        with DAG("lifecycle"):
            with delete(create()):
                work()
      `,
      'lifecycle',
    );
    expect(edges(dag)).toEqual(['create >> delete', 'create >> work', 'work >> delete']);
  });

  it('flags the DAG partial when an edge has an end it cannot see', async () => {
    const dag = await dagOf(
      py`
        ${IMPORTS}
        from helpers import make_task
        with DAG("blind") as d:
            a = EmptyOperator(task_id="a")
            a >> make_task()
      `,
      'blind',
    );
    expect(dag.edges).toEqual([]);
    expect(dag.partial).toBe(true);
  });

  it('sorts and deduplicates edges', async () => {
    expect(await graph('b >> c\na >> b\na >> b\nchain(a, b)')).toEqual(['a >> b', 'b >> c']);
  });

  it('keeps every task an XComArg .concat(), .zip() or .map() references', async () => {
    const source = py`
      ${IMPORTS}
      with DAG("xcoms"):
          @task
          def numbers(): return [1]
          @task
          def letters(): return ["a"]
          @task
          def flags(): return [True]
          @task
          def use(value): pass
          n, l, f = numbers(), letters(), flags()
          use.expand(value=n.concat(l).zip(f).map(str))
          use.override(task_id="pairs")(n.zip(l, fillvalue=None))
          use.override(task_id="mapped")(f.map(str))
    `;
    const dag = await dagOf(source, 'xcoms');
    expect(edges(dag)).toEqual(['flags >> mapped', 'flags >> use', 'letters >> pairs', 'letters >> use', 'numbers >> pairs', 'numbers >> use']);
    expect(dag.partial).toBe(false);
  });
});
