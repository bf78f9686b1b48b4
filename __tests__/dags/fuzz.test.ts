// Hostile input: whatever the bytes, the reader returns a well-formed DagFileRead,
// within its size and time bounds, and never throws. Seeded, so failures reproduce.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DagFileRead } from '../../src/model.js';
import { readProblems } from '../support/read-invariants.js';
import { readDagFile } from '../../src/dags/read.js';
import { mulberry32 } from '../../sim/synthetic-dags.js';


const corpusDir = join(import.meta.dirname, '../fixtures/dags/corpus');
const corpus = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.py'))
  .sort()
  .map((name) => readFileSync(join(corpusDir, name), 'utf8'));

async function survive(source: string, path = 'fuzz.py', options?: Parameters<typeof readDagFile>[2]): Promise<DagFileRead> {
  const read = await readDagFile(path, source, options);
  expect(readProblems(read, path)).toEqual([]);
  return read;
}

describe('fuzz: the reader never throws and always answers', () => {
  it('random bytes, decoded as UTF-8 and as Latin-1', async () => {
    const random = mulberry32(1);
    for (let i = 0; i < 120; i++) {
      const bytes = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 600) }, () => Math.floor(random() * 256)));
      await survive(bytes.toString(i % 2 === 0 ? 'utf8' : 'latin1'));
    }
  });

  it('random Python-ish token soup', async () => {
    const random = mulberry32(2);
    const tokens = [
      'with', 'DAG(', ')', ':', '\n', '    ', 'def', 'for', 'in', 'range(3)', 'if', 'else', '>>', '<<', '[', ']', '{', '}',
      '"x"', "f'{a}'", 'task_id=', 'EmptyOperator(', '@task', '@dag', 'chain(', ',', '=', 'a', 'b', 'lambda', 'return',
      '\\', '#', '"""', "'", '(', '*', '**', 'import', 'from', '.', 'as', 'TaskGroup(', 'yield', 'await', 'None', '0x',
    ];
    for (let i = 0; i < 150; i++) {
      const length = 1 + Math.floor(random() * 200);
      await survive(Array.from({ length }, () => tokens[Math.floor(random() * tokens.length)]).join(' '));
    }
  });

  it('every corpus file cut short at many lengths', async () => {
    let cases = 0;
    for (const source of corpus) {
      const step = Math.max(1, Math.ceil(source.length / 8));
      for (let end = 0; end < source.length; end += step) {
        await survive(source.slice(0, end));
        cases++;
      }
    }
    expect(cases).toBeGreaterThan(300);
  });

  it('deeply nested expressions and blocks', async () => {
    const depth = 20_000;
    await survive(`x = ${'('.repeat(depth)}1${')'.repeat(depth)}\n`);
    await survive(`x = ${'['.repeat(depth)}${']'.repeat(depth)}\n`);
    await survive(`x = ${'f('.repeat(depth)}${')'.repeat(depth)}\n`);
    await survive(`x = ${'{"k": '.repeat(depth)}1${'}'.repeat(depth)}\n`);
    await survive(`x = ${'['.repeat(depth)}\n`);
    await survive(`x = ${'-'.repeat(depth)}1\n`);
    await survive(`x = 1${' + 1'.repeat(depth)}\n`);
    const blocks = await survive(Array.from({ length: 1_000 }, (_, i) => `${' '.repeat(i)}if x:\n`).join('') + `${' '.repeat(1_000)}pass\n`);
    expect(blocks.skipped).toBeUndefined();
  });

  it('a long dependency chain keeps its DAG, read in part', async () => {
    const count = 5_000;
    const tasks = Array.from({ length: count }, (_, i) => `    t${i} = EmptyOperator(task_id="t${i}")`).join('\n');
    const chain = Array.from({ length: count }, (_, i) => `t${i}`).join(' >> ');
    const read = await survive(`from airflow.sdk import DAG\nwith DAG("long"):\n${tasks}\n    ${chain}\n`);
    const dag = read.dags.find((d) => d.dagId === 'long');
    expect(dag?.tasks).toHaveLength(count);
    expect(dag?.partial).toBe(true);
  });

  it('skips files over the size cap without parsing them', async () => {
    const big = `x = 1\n${'# padding\n'.repeat(120_000)}`;
    const read = await survive(big);
    expect(read.skipped?.reason).toMatch(/larger than 1048576 bytes/);
    const small = await survive('from airflow.sdk import DAG\nDAG("small")\n', 'fuzz.py', { maxBytes: 10 });
    expect(small.skipped).toBeDefined();
    // Multi-byte characters count as the bytes they take in UTF-8.
    expect((await survive('é'.repeat(600), 'fuzz.py', { maxBytes: 1000 })).skipped).toBeDefined();
  });

  it('stops work that would run too long and says so', async () => {
    const loops = 'n = 0\nfor i in range(1000):\n    for j in range(1000):\n        for k in range(1000):\n            n += 1\n';
    const read = await survive(loops, 'fuzz.py', { maxMillis: 100 });
    expect(read.skipped?.reason).toMatch(/longer than 100 ms/);
    const recursion = await survive('def f(n):\n    return f(n + 1)\nf(0)\nfrom airflow.sdk import DAG\nDAG("after_recursion")\n');
    expect(recursion.dags.map((d) => d.dagId)).toEqual(['after_recursion']);
  });

  it('odd characters: NUL, lone surrogates, BOM in the middle, other line ends', async () => {
    const random = mulberry32(3);
    const odd = ['\u0000', '\ud800', '\udfff', '\ufeff', '\r', '\u2028', '\u000c', '\u00a0', '😀', '\u0301', '\t'];
    const base = 'from airflow.sdk import DAG\nwith DAG("odd"):\n    pass\n';
    for (let i = 0; i < 60; i++) {
      const at = Math.floor(random() * base.length);
      await survive(base.slice(0, at) + odd[Math.floor(random() * odd.length)]! + base.slice(at));
    }
  });
});
