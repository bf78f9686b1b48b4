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

describe('renderSummary reads well at any size', () => {
  const base = () => sampleReport();

  it('says what the push changed and what was left alone in the line under the headline', () => {
    const markdown = renderSummary(
      sampleReport({ changes: { ...base().changes, dags: [...base().changes.dags, dag('helper_user', 'unchanged', { via: { module: 'common.util' } })] } }),
    );
    const subline = markdown.split('\n')[2]!;
    expect(subline).toContain('3 DAG changes (1 added, 1 removed, 1 modified)');
    expect(subline).toContain('1 DAG importing changed code');
    expect(subline).toContain('1 other code location already in sync');
    expect(markdown).toContain('imports changed `common.util`');
  });

  it('shows task and edge deltas as an additions line and a removals line, and counts new and removed DAGs', () => {
    const markdown = renderSummary(
      sampleReport({
        changes: {
          ...base().changes,
          dags: [
            dag('etl', 'modified', { tasksAdded: ['load'], tasksRemoved: ['old'], edgesAdded: [['transform', 'load']], edgesRemoved: [['transform', 'old']] }),
            dag('new_dag', 'added', { after: { tasks: ['a', 'b'], edges: [['a', 'b']] } }),
            dag('old_dag', 'removed', { before: { tasks: ['x'], edges: [] } }),
          ],
        },
      }),
    );
    expect(markdown).toContain('+`load` +`transform >> load`<br>−`old` −`transform >> old`');
    expect(markdown).toContain('| new: 2 tasks, 1 edge |');
    expect(markdown).toContain('| had 1 task |');
  });

  it('drops the Airflow column for one instance and keeps it for several', () => {
    expect(renderSummary(base())).not.toContain('| DAG and file | Airflow |');
    const two = sampleReport({ changes: { ...base().changes, dags: [dag('a', 'added'), dag('b', 'added', { instance: 'marketing' })] } });
    expect(renderSummary(two)).toContain('| DAG and file | Airflow | Change | Tasks and edges |');
  });

  it('writes large counts with thousands separators', () => {
    const markdown = renderSummary(sampleReport({ airflow: [{ ...base().airflow[0]!, liveDagCount: 1234567, requests: 1000 }] }));
    expect(markdown).toContain(' · 1,234,567 active DAGs · 1,000 requests</sub>');
  });

  it('counts a large push per instance, folds its rows, and folds evidence for DAGs that caught up', () => {
    const dags = Array.from({ length: 300 }, (_, i) => dag(`dag_${i}`, i % 3 ? 'modified' : 'added', { instance: i % 2 ? 'prod' : 'marketing' }));
    const live = dags.filter((d) => d.instance === 'prod').map((d, i) => ({ dagId: d.dagId, state: i === 7 ? ('timed-out' as const) : ('parsed' as const), waitedMs: 100, proof: 'its bundle_version is the pushed commit' }));
    const markdown = renderSummary(sampleReport({ changes: { ...base().changes, dags }, airflow: [{ ...base().airflow[0]!, dags: live }] }));
    expect(markdown).toContain('| Airflow | Added | Removed | Modified | Re-checked (same tasks) |');
    expect(markdown).toContain('| marketing | 50 | 0 | 100 | 0 |');
    expect(markdown).toContain('<details><summary>All 300 DAGs, with their tasks and edges</summary>');
    expect(markdown).toContain('✅ 149 of 150 changed DAGs caught up · ⏳ 1 not caught up');
    // The DAG that did not catch up stays in view; the rest is folded.
    expect(markdown.indexOf('`dag_15` | ⏳')).toBeLessThan(markdown.indexOf('<details><summary>Evidence for the 149 DAGs that caught up</summary>'));
  });

  it('explains a failure: what was reloaded, what was not reached, the input to fix, one full stop', () => {
    const markdown = renderSummary(
      sampleReport({
        result: 'failed',
        dagster: undefined,
        failures: [{ stage: 'dagster', message: 'Dagster rejected the credentials: POST /graphql answered 401: Unauthorized..', fix: 'Check the token.', input: 'dagster-cloud-api-token' }],
      }),
    );
    expect(markdown).toMatch(/^## ❌ airlift-sync failed: nothing reloaded\n/);
    expect(markdown).toContain('answered 401: Unauthorized.\n  **Fix:** Check the token. (input `dagster-cloud-api-token`)');
    expect(markdown).toContain('### Dagster code locations\n\n❌ Not reached: see What failed. No code location was reloaded.');
  });

  it('never marks a reloaded location that is still out of sync with ✅, and counts what a failed run reloaded', () => {
    const report = base();
    const location = { ...report.dagster!.locations[0]!, outOfSync: ['new_dag'] };
    const markdown = renderSummary(sampleReport({ result: 'failed', dagster: { ...report.dagster!, locations: [location, report.dagster!.locations[1]!] } }));
    expect(markdown).toMatch(/^## ❌ airlift-sync failed: the stale code location was not reloaded\n/);
    expect(markdown).toContain('⚠️ reloaded, still out of sync: `new_dag`');
    expect(markdown).not.toContain('✅ reloaded');
  });

  it('says an Airflow that could not be compared was not compared, and a push that was not read was not read', () => {
    const airflow = { ...base().airflow[0]!, status: 'failed' as const, dags: [] };
    expect(renderSummary(sampleReport({ result: 'failed', airflow: [airflow] }))).toContain('❌ Not compared: see What failed.');
    const inputs = sampleReport({ result: 'failed', range: { kind: 'skip', event: 'push', reason: 'the inputs are not valid' }, dagster: undefined, airflow: [] });
    expect(renderSummary(inputs)).toContain('push: not compared (the inputs are not valid)');
    expect(renderSummary(sampleReport({ result: 'in-sync', range: { kind: 'skip', event: 'push', reason: 'the branch was deleted' } }))).toContain('nothing to do');
  });

  it('drops an empty load-time column and says which locations the push does not touch', () => {
    const dagster = { ...base().dagster!, locations: [{ location: 'airlift_mkt', instances: ['marketing'], reload: false, reasons: [], expect: [] }] };
    const markdown = renderSummary(sampleReport({ result: 'in-sync', dagster }));
    expect(markdown).toContain('| Code location | Why | Result |\n');
    expect(markdown).toContain('| airlift\\_mkt | mirrors marketing: the push changes none of its DAGs | ✅ in sync |');
  });

  it('summarises many reasons by kind, and a full drift check as DAGs checked, not added', () => {
    const reasons = Array.from({ length: 9 }, (_, i) => ({ kind: i < 2 ? ('added' as const) : ('modified' as const), instance: 'prod', dagId: `d${i}` }));
    const dagster = { ...base().dagster!, locations: [{ ...base().dagster!.locations[0]!, reasons }] };
    expect(renderSummary(sampleReport({ dagster }))).toContain('| 2 new, 7 changed DAGs |');
    const full = renderSummary(sampleReport({ range: { kind: 'full', head: 'b'.repeat(40), event: 'schedule', reason: 'a schedule run checks every DAG file' } }));
    expect(full).toContain('3 DAGs checked against Airflow');
    expect(full).toContain('### DAGs checked');
    expect(full).not.toContain('| Change |');
  });

  it('keeps links safe: only http(s) targets, parentheses encoded', () => {
    const dagster = { ...base().dagster!, locations: [{ ...base().dagster!.locations[0]!, uiUrl: 'javascript:alert(1)' }, { ...base().dagster!.locations[0]!, location: 'b', uiUrl: 'https://x.example/a)(b' }] };
    const markdown = renderSummary(sampleReport({ dagster }));
    expect(markdown).toContain('[airlift\\_prod](#)');
    expect(markdown).toContain('[b](https://x.example/a%29%28b)');
    expect(markdown).not.toContain('javascript:');
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

  it('accepts a migration section, and rejects one with an unknown problem kind', () => {
    const migration: NonNullable<RunReport['migration']> = {
      folders: ['dags/proxied_state'],
      dags: [{ dagId: 'orders', instance: 'prod', file: 'dags/proxied_state/orders.yaml', level: 'task', proxiedTasks: ['extract'], totalTasks: 3, partial: false, newlyProxied: ['extract'], returnedToAirflow: [] }],
      problems: [{ kind: 'unknown-task', effect: 'import-error', file: 'dags/proxied_state/orders.yaml', line: 4, dagId: 'orders', taskId: 'extrct', message: 'DAG `orders` has no task `extrct`.' }],
      dagsterImpact: [{ location: 'airlift_prod', instance: 'prod', dagId: 'orders', taskId: 'publish', assetKeys: ['warehouse/published'], consequence: 'The location fails to load.' }],
      noReload: [{ location: 'airlift_finance', dags: ['orders'] }],
    };
    expect(validate(sampleReport({ migration })), JSON.stringify(validate.errors)).toBe(true);
    const wrong = { ...migration, problems: [{ ...migration.problems[0]!, kind: 'typo' }] };
    expect(validate({ ...sampleReport(), migration: wrong })).toBe(false);
  });

  it('rejects a report that breaks the contract', () => {
    expect(validate({ ...sampleReport(), result: 'ok' })).toBe(false);
    expect(validate({ ...sampleReport(), extra: 1 })).toBe(false);
  });
});
