// Interpreter bombs (issue 17.1): a file whose values grow without bound stops cleanly as
// "not readable statically", and the next file is read as usual.
import { describe, expect, it } from 'vitest';
import { dagOf, py, read } from './helpers.js';

const INNOCENT = py`
  from airflow.sdk import DAG
  from airflow.providers.standard.operators.empty import EmptyOperator

  with DAG("innocent", schedule=None):
      EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")
`;

const BOMBS: readonly (readonly [string, string, RegExp])[] = [
  ['a list doubled by +', 's = [1]\nfor i in range(40):\n    s = s + s\n', /a list grows past 131,072 items/],
  ['a list doubled by +=', 's = [1]\nfor i in range(40):\n    s += s\n', /a list grows past/],
  ['a list extended with itself', 's = [1]\nfor i in range(60):\n    s.extend(s)\n', /a list grows past/],
  ['a string grown by .replace', 's = "ab"\nfor i in range(40):\n    s = s.replace("a", "aa")\n', /a string grows past 4,194,304 characters/],
  ['a string doubled by +', 's = "ab"\nfor i in range(40):\n    s = s + s\n', /a string grows past/],
  ['a huge format width', 'x = "%999999999d" % 1\n', /a string grows past/],
  ['a huge zfill', 'x = "1".zfill(999999999)\n', /a string grows past/],
  ['the text of a list nested in itself', 's = [1]\nfor i in range(60):\n    s = [s, s]\nt = str(s)\n', /units of memory|a string grows past/],
  ['a dict key of a tuple nested in itself', 's = (1,)\nfor i in range(60):\n    s = (s, s)\nd = {s: 1}\n', /units of memory|a string grows past/],
];

describe('interpreter budgets', () => {
  it.each(BOMBS)('stops %s as not readable statically', async (_, source, reason) => {
    const result = await read(source);
    expect(result.skipped?.reason).toMatch(/^not readable statically: /);
    expect(result.skipped?.reason).toMatch(reason);
    expect(result.dags).toEqual([]);
    // The reader is ready for the next file.
    expect((await dagOf(INNOCENT, 'innocent')).edges).toEqual([['a', 'b']]);
  });

  it('stops linking to a list nested in itself within the step budget', async () => {
    const source = `${INNOCENT}\ns = [1]\nfor i in range(60):\n    s = [s, s]\nwith DAG("victim", schedule=None):\n    EmptyOperator(task_id="a") >> s\n`;
    const result = await read(source);
    expect(result.skipped?.reason).toMatch(/^not readable statically: (reading needs more than [\d,]+ steps|reading took longer)/);
  });

  it('never turns a huge int into an id: str(10**100000) is not static', async () => {
    const result = await read('from airflow.sdk import DAG\nwith DAG(str(10**100000)):\n    pass\nwith DAG(str(2**60)):\n    pass\n');
    expect(result.dags).toEqual([]);
    expect(result.dynamic.map((entry) => entry.reason)).toEqual([
      'DAG id cannot be read statically: `str(10**100000)` is only known at run time',
      'DAG id cannot be read statically: `str(2**60)` is only known at run time',
    ]);
  });

  it('still reads ints within 2**53 exactly', async () => {
    const dag = await dagOf('from airflow.sdk import DAG\nwith DAG(f"n_{2**52 + 1}"):\n    pass\n', `n_${2 ** 52 + 1}`);
    expect(dag.tasks).toEqual([]);
  });
});
