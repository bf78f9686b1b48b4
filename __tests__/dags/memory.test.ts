// The parser's WebAssembly memory (32 MB at least, never shrunk while its module lives) goes back
// once the changes stage releases it, so Dagster's and Airflow's answers do not stack on it.
import { describe, expect, it } from 'vitest';
import { readDagFile, releasePythonParser } from '../../src/dags/index.js';
import { collectGarbage } from '../../src/memory.js';

const DAG = 'from airflow import DAG\nwith DAG("etl"):\n    pass\n';

describe('parser memory', () => {
  it('gives the WebAssembly memory back when released, and reads again afterwards', async () => {
    expect((await readDagFile('dags/etl.py', DAG)).dags.map((dag) => dag.dagId)).toEqual(['etl']);
    collectGarbage();
    const loaded = process.memoryUsage().external;

    releasePythonParser();
    // The collection drops the instance; its memory is unmapped a little later, off the main thread.
    let freed = 0;
    for (let attempt = 0; attempt < 50 && freed < 30 * 1024 * 1024; attempt++) {
      collectGarbage();
      await new Promise((resolve) => setTimeout(resolve, 20));
      freed = loaded - process.memoryUsage().external;
    }
    expect(freed).toBeGreaterThan(30 * 1024 * 1024);

    expect((await readDagFile('dags/etl.py', DAG)).dags.map((dag) => dag.dagId)).toEqual(['etl']);
    collectGarbage();
    expect(process.memoryUsage().external).toBeGreaterThan(loaded - 1024 * 1024);
  });
});
