// Parse + extract throughput on the labelled corpus (not a test: no assertions).
// Run: npx vitest bench --run __tests__/dags/throughput.bench.ts
// One iteration reads every corpus file once; files/s = hz × file count.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bench, describe } from 'vitest';
import { loadPythonParser } from '../../src/dags/parser.js';
import { readWith } from '../../src/dags/read.js';

const dir = join(import.meta.dirname, '../fixtures/dags/corpus');
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.py'))
  .map((name) => ({ path: name, source: readFileSync(join(dir, name), 'utf8') }));
const bytes = files.reduce((total, file) => total + Buffer.byteLength(file.source), 0);
const parser = await loadPythonParser();

describe(`${files.length} corpus files, ${(bytes / 1024).toFixed(0)} KiB per iteration`, () => {
  bench('readWith over the corpus', () => {
    for (const file of files) readWith(parser, file.path, file.source);
  });
});
