import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { DagChange } from '../../src/model.js';
import type { RunReport } from '../../src/outcome.js';
import { escape, renderAnnotations, renderOutputs, renderSummary, TABLE_CAP } from '../../src/report.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const schema = JSON.parse(readFileSync(path.join(root, 'schema/report.schema.json'), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const validate = ajv.compile(schema);

function dag(dagId: string, kind: DagChange['kind'], extra: Partial<DagChange> = {}): DagChange {
  return { dagId, instance: 'prod', kind, file: `dags/${dagId}.py`, line: 3, tasksAdded: [], tasksRemoved: [], edgesAdded: [], edgesRemoved: [], partial: false, ...extra };
}

export function sampleReport(overrides: Partial<RunReport> = {}): RunReport {
  const head = 'b'.repeat(40);
  return {
    schemaVersion: 1,
    result: 'synced',
    event: 'push',
    repository: 'acme/airflow-dags',
    range: { kind: 'diff', base: 'a'.repeat(40), head, forced: false, event: 'push' },
    compareUrl: 'https://github.com/acme/airflow-dags/compare/aaaaaaa...bbbbbbb',
    headUrl: `https://github.com/acme/airflow-dags/blob/${head}`,
    dryRun: false,
    changes: {
      source: 'git',
      githubApiRequests: 0,
      dags: [
        dag('new_dag', 'added', { after: { tasks: ['a', 'b'], edges: [['a', 'b']] } }),
        dag('etl', 'modified', { tasksAdded: ['load'], edgesAdded: [['transform', 'load']], before: { tasks: ['transform'], edges: [] }, after: { tasks: ['load', 'transform'], edges: [['transform', 'load']] } }),
        dag('old_dag', 'removed'),
      ],
      archives: [],
      syntaxErrors: [],
      dynamicDags: [{ file: 'dags/factory.py', line: 7, message: 'DAG id built in a loop over a config file' }],
      skippedFiles: [],
    },
    airflow: [
      {
        instance: 'prod',
        url: 'https://airflow.example.com/',
        apiVersion: 'v2',
        status: 'compared',
        dags: [{ dagId: 'new_dag', state: 'parsed', waitedMs: 1200, proof: 'exists and is active' }],
        importErrors: [],
        liveDagCount: 12,
        requests: 9,
        waitedMs: 1200,
      },
    ],
    dagster: {
      kind: 'dagster-plus',
      url: 'https://hooli.dagster.cloud/prod/graphql',
      status: 'compared',
      requests: 4,
      locations: [
        {
          location: 'airlift_prod',
          instances: ['prod'],
          reload: true,
          reasons: [{ kind: 'added', instance: 'prod', dagId: 'new_dag' }],
          expect: [{ instance: 'prod', present: ['new_dag'], absent: ['old_dag'] }],
          uiUrl: 'https://hooli.dagster.cloud/prod/locations/airlift_prod',
          outcome: 'loaded',
          loadMs: 3000,
        },
        { location: 'other', instances: [], reload: false, reasons: [], expect: [] },
      ],
    },
    failures: [],
    timings: { totalMs: 4500, changesMs: 100, airflowMs: 1300, dagsterMs: 3100 },
    ...overrides,
  };
}

describe('renderSummary', () => {
  it('headlines what happened and links the range, files and locations', () => {
    const markdown = renderSummary(sampleReport());
    expect(markdown).toMatch(/^## ✅ Reloaded 1 code location\n/);
    expect(markdown).toContain('[`aaaaaaa..bbbbbbb`](https://github.com/acme/airflow-dags/compare/aaaaaaa...bbbbbbb)');
    expect(markdown).toContain('[`dags/etl.py`](https://github.com/acme/airflow-dags/blob/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/dags/etl.py#L3)');
    expect(markdown).toContain('+`load` +`transform >> load`');
    expect(markdown).toContain('[airlift\\_prod](https://hooli.dagster.cloud/prod/locations/airlift_prod) | new DAG `new_dag` | ✅ reloaded | 3.0 s');
    expect(markdown).toContain('| other | holds what Airflow holds | ✅ in sync |');
  });

  it('explains a failure with its fix', () => {
    const markdown = renderSummary(
      sampleReport({ result: 'failed', failures: [{ stage: 'dagster', message: 'Dagster rejected the credentials.', fix: 'Check dagster-cloud-api-token.' }] }),
    );
    expect(markdown).toMatch(/^## ❌ airlift-sync failed/);
    expect(markdown).toContain('- **dagster**: Dagster rejected the credentials.\n  **Fix:** Check dagster-cloud-api-token.');
  });

  it('folds long tables and counts what it left to the JSON report', () => {
    const dags = Array.from({ length: 1000 }, (_, i) => dag(`dag_${String(i).padStart(4, '0')}`, 'modified'));
    const markdown = renderSummary(sampleReport({ changes: { ...sampleReport().changes, dags } }));
    expect(markdown).toContain(`<details><summary>${1000 - TABLE_CAP} more rows</summary>`);
    expect(markdown).toContain(`…and ${1000 - TABLE_CAP * 4} more: see the JSON report.`);
    expect(markdown).toContain('dag_0199');
    expect(markdown).not.toContain('dag_0200');
    expect(markdown.length).toBeLessThan(200_000);
  });

  it('neutralises hostile file names and messages', () => {
    const hostile = 'dags/<img src=x onerror=alert(1)>|[x](javascript:y).py';
    const markdown = renderSummary(
      sampleReport({ changes: { ...sampleReport().changes, syntaxErrors: [{ file: hostile, line: 1, message: '<script>alert(1)</script>' }] } }),
    );
    // Inside a code span Markdown shows text literally; everywhere else it must be escaped.
    const outsideCode = markdown.replace(/`[^`\n]*`/g, '');
    expect(markdown).toContain('`dags/<img src=x onerror=alert(1)>\\|[x](javascript:y).py`');
    expect(outsideCode).not.toContain('<img');
    expect(outsideCode).not.toContain('<script>');
    expect(outsideCode).not.toContain('](javascript:');
    expect(escape('a|b\nc')).toBe('a\\|b c');
  });
});

describe('outputs and annotations', () => {
  it('gives the outputs named in action.yml', () => {
    const outputs = renderOutputs(sampleReport(), '/tmp/report.json');
    expect(JSON.parse(outputs['changed-dags']!)).toEqual([
      { dagId: 'new_dag', instance: 'prod', kind: 'added', file: 'dags/new_dag.py' },
      { dagId: 'etl', instance: 'prod', kind: 'modified', file: 'dags/etl.py' },
      { dagId: 'old_dag', instance: 'prod', kind: 'removed', file: 'dags/old_dag.py' },
    ]);
    expect(outputs).toMatchObject({ 'affected-locations': '["airlift_prod"]', 'reloaded-locations': '["airlift_prod"]', result: 'synced', 'report-path': '/tmp/report.json' });
    const declared = readFileSync(path.join(root, 'action.yml'), 'utf8');
    for (const name of Object.keys(outputs)) expect(declared).toContain(`  ${name}:`);
  });

  it('annotates import errors and syntax errors on the file and line, dynamic ids as notices', () => {
    const report = sampleReport({
      changes: { ...sampleReport().changes, syntaxErrors: [{ file: 'dags/broken.py', line: 4, column: 2, message: 'invalid syntax' }] },
      airflow: [{ ...sampleReport().airflow[0]!, importErrors: [{ file: 'dags/etl.py', line: 12, message: 'ModuleNotFoundError: No module named pandas' }] }],
    });
    expect(renderAnnotations(report)).toEqual([
      { level: 'error', title: 'Python syntax error in a DAG file', message: 'invalid syntax', file: 'dags/broken.py', line: 4, column: 2 },
      expect.objectContaining({ level: 'notice', file: 'dags/factory.py', line: 7 }),
      { level: 'error', title: 'Airflow import error (prod)', message: 'ModuleNotFoundError: No module named pandas', file: 'dags/etl.py', line: 12, column: undefined },
    ]);
  });
});

describe('the JSON report schema', () => {
  it('accepts a full report', () => {
    expect(validate(sampleReport()), JSON.stringify(validate.errors)).toBe(true);
  });

  it('rejects a report that breaks the contract', () => {
    expect(validate({ ...sampleReport(), result: 'ok' })).toBe(false);
    expect(validate({ ...sampleReport(), extra: 1 })).toBe(false);
  });
});
