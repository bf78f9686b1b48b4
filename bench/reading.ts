// DAG reading alone: the project's reader (src/dags/read.ts, the code the
// bundle contains) over exactly the changed DAG files at both revisions, in a
// fresh process, so the figure includes loading the grammar and a cold JIT,
// as in the action. Run as a child of bench/run.ts:
//   node --import tsx bench/reading.ts '{"files":5000,"changed":500,"instances":3}'
// It only times the reader: the Airflow truth the benchmark checks against
// comes from the generator, never from here.
import { pathToFileURL } from 'node:url';
import { readDagFile } from '../src/dags/read.js';
import { loadPythonParser } from '../src/dags/parser.js';
import { generateRepo, type SyntheticOptions } from '../sim/synthetic-dags.js';
import { changedVersions } from './repo.js';

export interface ReadingResult {
  readonly parserLoadMs: number;
  readonly files: number;
  readonly bytes: number;
  readonly readMs: number;
  /** DAGs the reader found, and how many of them it marked partial (for the record, not compared). */
  readonly dags: number;
  readonly partial: number;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as SyntheticOptions;
  const versions = changedVersions(generateRepo(options));
  const loadStarted = performance.now();
  await loadPythonParser();
  const parserLoadMs = performance.now() - loadStarted;
  let dags = 0;
  let partial = 0;
  const started = performance.now();
  for (const version of versions) {
    const read = await readDagFile(version.path, version.source);
    dags += read.dags.length;
    partial += read.dags.filter((dag) => dag.partial).length;
  }
  const readMs = performance.now() - started;
  const result: ReadingResult = {
    parserLoadMs,
    files: versions.length,
    bytes: versions.reduce((sum, version) => sum + Buffer.byteLength(version.source), 0),
    readMs,
    dags,
    partial,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
