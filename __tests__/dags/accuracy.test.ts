// Accuracy of the static reader against a labelled corpus of DAG files, each modelled on a public
// Airflow example: hand-written ones at the top of corpus/, and corpus/repo/, a DAGs repository with
// a helper package and plugins written by generate-corpus.ts. Expectations in expected.json were
// worked out by Airflow's rules (by hand, or by the generator's model), not by running the reader.
// The figures: npx vitest run __tests__/dags/accuracy.test.ts (printed to the console).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DagFileRead } from '../../src/model.js';
import type { HelperSource } from '../../src/dags/modules.js';
import { readDagFile } from '../../src/dags/read.js';

interface ExpectedFile {
  readonly dynamic: boolean;
  readonly dags: Record<string, { readonly tasks: string[]; readonly edges: [string, string][] }>;
}

const corpus = join(import.meta.dirname, '../fixtures/dags/corpus');
const expected = JSON.parse(readFileSync(join(corpus, 'expected.json'), 'utf8')) as Record<string, ExpectedFile>;

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const left = new Set(a);
  const right = new Set(b);
  return left.size === right.size && [...left].every((item) => right.has(item));
};

/** The corpus as the repository DAG files are read with: repo/dags, repo/plugins and the root on sys.path. */
const corpusFiles = new Set(readdirSync(corpus, { recursive: true, encoding: 'utf8' }).map((path) => path.split('\\').join('/')));
const helpers: HelperSource = {
  roots: ['repo/dags', 'repo/plugins', 'repo/config', ''],
  read: (path) => Promise.resolve(corpusFiles.has(path) && path.endsWith('.py') ? readFileSync(join(corpus, path), 'utf8') : null),
};

async function readAll(): Promise<Map<string, DagFileRead>> {
  const reads = new Map<string, DagFileRead>();
  for (const file of Object.keys(expected)) {
    reads.set(file, await readDagFile(file, readFileSync(join(corpus, file), 'utf8'), { helpers }));
  }
  return reads;
}

describe('accuracy on the labelled corpus', () => {
  it('has 150+ files, each naming the public example it follows', () => {
    const files = Object.keys(expected);
    expect(files.length).toBeGreaterThanOrEqual(150);
    for (const file of files) expect(readFileSync(join(corpus, file), 'utf8')).toMatch(/^(#.*\n)*# pattern of: \S+/);
  });

  it('meets the DAG id, task and edge targets', async () => {
    const reads = await readAll();
    let staticFiles = 0;
    let exactIds = 0;
    let dags = 0;
    let exactTasks = 0;
    let exactEdges = 0;
    const misses: string[] = [];

    for (const [file, want] of Object.entries(expected)) {
      const read = reads.get(file)!;
      expect(read.skipped, file).toBeUndefined();
      expect(read.syntaxErrors, file).toEqual([]);
      const got = new Map(read.dags.map((dag) => [dag.dagId, dag]));
      if (want.dynamic) {
        // Files whose DAG ids depend on run time must say so, not guess.
        expect(read.dynamic.length, file).toBeGreaterThan(0);
      } else {
        staticFiles++;
        if (sameSet([...got.keys()], Object.keys(want.dags))) exactIds++;
        else misses.push(`${file}: DAG ids ${[...got.keys()].join(', ')}`);
      }
      for (const [dagId, shape] of Object.entries(want.dags)) {
        dags++;
        const dag = got.get(dagId);
        if (dag && sameSet(dag.tasks, shape.tasks)) exactTasks++;
        else misses.push(`${file} ${dagId}: tasks`);
        const key = (edge: readonly [string, string]): string => `${edge[0]} -> ${edge[1]}`;
        if (dag && sameSet(dag.edges.map(key), shape.edges.map(key))) exactEdges++;
        else misses.push(`${file} ${dagId}: edges`);
      }
    }

    const share = (n: number, of: number): number => (of === 0 ? 1 : n / of);
    const idShare = share(exactIds, staticFiles);
    const taskShare = share(exactTasks, dags);
    const edgeShare = share(exactEdges, dags);
    console.log(
      [
        `DAG ids exact: ${exactIds}/${staticFiles} files (${(idShare * 100).toFixed(1)}%)`,
        `task sets exact: ${exactTasks}/${dags} DAGs (${(taskShare * 100).toFixed(1)}%)`,
        `edge sets exact: ${exactEdges}/${dags} DAGs (${(edgeShare * 100).toFixed(1)}%)`,
        ...misses.map((miss) => `  miss: ${miss}`),
      ].join('\n'),
    );
    expect(idShare).toBe(1);
    expect(taskShare).toBeGreaterThanOrEqual(0.99);
    expect(edgeShare).toBeGreaterThanOrEqual(0.98);
  });
});
