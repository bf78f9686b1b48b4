// The bundled dist/index.js, run as the runner runs it, against the simulators
// and a real git repository: what a user sees in the outputs, the job summary
// and the JSON report.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { afterEach, describe, expect, it } from 'vitest';
import { AIRFLOW_PASSWORD, DAGSTER_TOKEN, LOCATION, OTHER_LOCATION, startScenario, type Scenario, type ScenarioOptions } from '../../sim/scenario.js';
import { BUNDLE, runAction, type ActionRun } from '../support/run-action.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const validateReport = ajv.compile(JSON.parse(readFileSync(path.join(root, 'schema/report.schema.json'), 'utf8')) as object);

let scenario: Scenario | undefined;
afterEach(async () => {
  await scenario?.close();
  scenario = undefined;
});

async function world(options: ScenarioOptions = {}): Promise<Scenario> {
  scenario = await startScenario({ parseDelayMs: 300, reloadMs: 100, ...options });
  return scenario;
}

function act(s: Scenario, inputs: Record<string, string> = {}, extra: { debug?: boolean; eventName?: string; payload?: unknown } = {}): Promise<ActionRun> {
  return runAction({
    inputs: { ...s.inputs, 'poll-interval': '50ms', 'airflow-timeout': '20s', 'reload-timeout': '20s', ...inputs },
    eventName: extra.eventName ?? 'push',
    payload: extra.payload ?? s.payload,
    workspace: s.repo.dir,
    sha: s.head,
    debug: extra.debug,
  });
}

function expectValidReport(run: ActionRun): void {
  expect(run.report, run.stdout + run.stderr).toBeDefined();
  expect(validateReport(run.report), JSON.stringify(validateReport.errors)).toBe(true);
}

describe.each([
  ['Airflow 3 and Dagster+', { apiVersion: 'v2', dagster: 'dagster-plus' }],
  ['Airflow 2 and self-hosted Dagster', { apiVersion: 'v1', dagster: 'self-hosted' }],
] as const)('a push with %s', (_, options) => {
  it('waits for Airflow to parse the push, then reloads exactly the affected location', async () => {
    const s = await world(options);
    s.publishHead();
    const run = await act(s);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(JSON.parse(run.outputs['affected-locations']!)).toEqual([LOCATION]);
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([LOCATION]);
    const changed = JSON.parse(run.outputs['changed-dags']!) as { dagId: string; kind: string }[];
    expect(Object.fromEntries(changed.map((dag) => [dag.dagId, dag.kind]))).toEqual({
      new_reporting: 'added',
      legacy_export: 'removed',
      orders_etl: 'modified',
      customers_sync: 'unchanged',
    });
    expect(s.dagster.location(LOCATION).reloads).toBe(1);
    expect(s.dagster.location(OTHER_LOCATION).reloads).toBe(0);
    expect(s.dagster.location('analytics').reloads).toBe(0);
    expect(s.dagster.location(LOCATION).dags).toEqual({ prod: ['customers_sync', 'new_reporting', 'orders_etl'] });

    expect(run.summary).toMatch(/^## ✅ Reloaded 1 code location/);
    expect(run.summary).toContain('`validate`');
    expectValidReport(run);
    // The report counts every request each server received.
    expect(run.report!.dagster!.requests).toBe(s.dagster.operations.length);
    expect(run.report!.airflow[0]!.requests).toBe(s.airflow.requests.length);
    const orders = run.report!.changes.dags.find((dag) => dag.dagId === 'orders_etl')!;
    expect(orders.after).toEqual({
      tasks: ['extract', 'load', 'transform', 'validate'],
      edges: [['extract', 'validate'], ['transform', 'load'], ['validate', 'transform']],
    });
  });
});

describe('end to end', () => {
  it('runs from a copy of dist/ alone, as a runner checks out the action (no node_modules)', async () => {
    const s = await world();
    const action = mkdtempSync(path.join(os.tmpdir(), 'airlift-action-'));
    try {
      cpSync(path.dirname(BUNDLE), path.join(action, 'dist'), { recursive: true });
      s.publishHead({ delayMs: 0 });
      const run = await runAction({
        inputs: { ...s.inputs, 'poll-interval': '50ms' },
        eventName: 'push',
        payload: s.payload,
        workspace: s.repo.dir,
        sha: s.head,
        bundle: path.join(action, 'dist', 'index.js'),
      });
      expect(run.exitCode, run.stdout + run.stderr).toBe(0);
      expect(run.outputs.result).toBe('synced');
      expect(JSON.parse(run.outputs['changed-dags']!)).toHaveLength(4);
    } finally {
      rmSync(action, { recursive: true, force: true });
    }
  });

  it('fails with a plain error when a chunk of the bundle is missing next to index.js', async () => {
    const s = await world();
    const action = mkdtempSync(path.join(os.tmpdir(), 'airlift-action-'));
    try {
      const dist = path.join(action, 'dist');
      cpSync(path.dirname(BUNDLE), dist, { recursive: true });
      for (const chunk of readdirSync(dist).filter((name) => /^\d+\.index\.js$/.test(name))) rmSync(path.join(dist, chunk));
      const run = await runAction({ inputs: s.inputs, eventName: 'push', payload: s.payload, workspace: s.repo.dir, sha: s.head, bundle: path.join(dist, 'index.js') });
      expect(run.exitCode).toBe(1);
      expect(run.stdout).toMatch(/^airlift-sync: push to refs\/heads\/main at [0-9a-f]{12}\n::error::airlift-sync could not load: /);
    } finally {
      rmSync(action, { recursive: true, force: true });
    }
  });

  it('asks Dagster while it reads the push when the instance is named, keeping each log group whole; asks Dagster first when it must name it', async () => {
    const s = await world();
    s.publishHead({ delayMs: 0 });
    const groups = (run: ActionRun) => run.stdout.split('\n').filter((line) => line.startsWith('::group::')).slice(0, 3);
    /** The lines of the group named `name`, up to its ::endgroup::. */
    const groupLines = (run: ActionRun, name: string) => {
      const lines = run.stdout.split('\n');
      const start = lines.indexOf(`::group::${name}`);
      return lines.slice(start + 1, start + lines.slice(start).indexOf('::endgroup::'));
    };

    // Dagster answers slowly: its lines still come as one group, after the push's.
    s.dagster.faults.push({ kind: 'latency', ms: 400, match: 'AirliftSyncWorkspace' });
    const named = await act(s);
    expect(named.outputs.result, named.stdout).toBe('synced');
    expect(groups(named)).toEqual(['::group::Connect to Airflow', '::group::Read the pushed DAG changes', '::group::Discover Dagster code locations']);
    const discovery = groupLines(named, 'Discover Dagster code locations');
    expect(discovery.at(-1)).toMatch(/^Dagster listed \d+ code locations in \d+ ms\.$/);
    expect(Number(/in (\d+) ms/.exec(discovery.at(-1)!)![1])).toBeGreaterThanOrEqual(400);
    expect(groupLines(named, 'Read the pushed DAG changes').some((line) => /DAG changes in \d+ DAGs read/.test(line))).toBe(true);
    expect(groupLines(named, 'Read the pushed DAG changes').join('\n')).not.toContain('Dagster listed');

    // The simulated Dagster mirrors two instances, so an unnamed one cannot be told apart: the run
    // stops before reading the push.
    const unnamed = await act(s, { 'airflow-instance-name': '' });
    expect(groups(unnamed)).toEqual(['::group::Connect to Airflow', '::group::Discover Dagster code locations']);
    expect(unnamed.exitCode).toBe(1);
    expect(unnamed.summary).toContain('airflow-instance-name does not say which one');
  });

  it('reloads nothing when run a second time on the same push (in-sync)', async () => {
    const s = await world();
    s.publishHead({ delayMs: 0 });
    const first = await act(s);
    expect(first.outputs.result, first.stdout).toBe('synced');
    // Airflow had parsed the push before the first look: the progress line waits for nothing.
    expect(first.stdout).toMatch(/^(\w+): (\d+)\/\2 DAGs agree after \d+ s$/m);
    const second = await act(s);
    expect(second.exitCode, second.stdout).toBe(0);
    expect(second.outputs.result).toBe('in-sync');
    expect(second.outputs['reloaded-locations']).toBe('[]');
    expect(s.dagster.location(LOCATION).reloads).toBe(1);
    expect(second.summary).toMatch(/^## ✅ Dagster is in sync with Airflow/);
  });

  it('plans without reloading in a dry run', async () => {
    const s = await world();
    s.publishHead({ delayMs: 0 });
    const run = await act(s, { 'dry-run': 'true' });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('planned');
    expect(JSON.parse(run.outputs['affected-locations']!)).toEqual([LOCATION]);
    expect(s.dagster.location(LOCATION).reloads).toBe(0);
    expect(run.summary).toContain('📝 would reload');
  });

  it('reads and reports the changes with no Airflow or Dagster inputs at all (a fork pull request)', async () => {
    const s = await world();
    const run = await runAction({
      inputs: { 'dry-run': 'true', 'dags-folder': 'dags' },
      eventName: 'push',
      payload: s.payload,
      workspace: s.repo.dir,
      sha: s.head,
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('planned');
    expect(JSON.parse(run.outputs['changed-dags']!)).toHaveLength(4);
    expect(s.airflow.requests).toHaveLength(0);
    expect(s.dagster.operations).toHaveLength(0);
  });

  it('does not reload when Airflow never parses the push, and says what it still disagrees on', async () => {
    const s = await world();
    s.publishHead({ never: true });
    const run = await act(s, { 'airflow-timeout': '1500ms' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(s.dagster.location(LOCATION).reloads).toBe(0);
    expect(run.summary).toContain('did not show the push within airflow-timeout');
    expect(run.summary).toContain('new_reporting');
    expectValidReport(run);
  });

  it('fails with the load error when the reloaded location cannot load', async () => {
    const s = await world({ reload: 'load-error' });
    s.publishHead({ delayMs: 0 });
    const run = await act(s);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.summary).toContain('❌ failed to load');
    expectValidReport(run);
  });

  it('refuses bad inputs before sending anything, and still writes the summary and report', async () => {
    const s = await world();
    const run = await act(s, { 'airflow-username': '' });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.summary).toContain('Only half of airflow-username/airflow-password is set');
    expect(run.stdout).toMatch(/::error.*airflow-username\/airflow-password/);
    expect(s.airflow.requests).toHaveLength(0);
    expect(s.dagster.operations).toHaveLength(0);
    expectValidReport(run);
  });

  it('does nothing, and sends nothing, for a deleted branch', async () => {
    const s = await world();
    const run = await act(s, {}, { payload: { ...s.payload, after: '0'.repeat(40), deleted: true } });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('in-sync');
    expect(run.summary).toContain('nothing to do');
    expect(s.airflow.requests).toHaveLength(0);
    expect(s.dagster.operations).toHaveLength(0);
    expectValidReport(run);
  });

  it('names an unknown code location', async () => {
    const s = await world();
    s.publishHead({ delayMs: 0 });
    const run = await act(s, { 'code-locations': 'airlift_prd' });
    expect(run.exitCode).toBe(1);
    expect(run.summary).toContain('Dagster has no code location named "airlift\\_prd"');
    expect(s.dagster.location(LOCATION).reloads).toBe(0);
  });

  it('writes per-request lines only when step debugging is on', async () => {
    const s = await world();
    s.publishHead({ delayMs: 0 });
    const quiet = await act(s);
    expect(quiet.outputs.result, quiet.stdout).toBe('synced');
    expect(quiet.stdout).not.toContain('::debug::');
    const verbose = await act(s, {}, { debug: true });
    expect(verbose.stdout).toMatch(/^::debug::Airflow GET \/api\/v2\/version -> 200/m);
  });

  it('never writes a secret anywhere, even in debug mode', async () => {
    const s = await world();
    s.publishHead({ delayMs: 0 });
    const run = await act(s, {}, { debug: true });
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.stdout).toContain('::debug::');
    const written = [run.stdout, run.stderr, run.summary, JSON.stringify(run.outputs), JSON.stringify(run.report)].join('\n');
    for (const secret of [DAGSTER_TOKEN, AIRFLOW_PASSWORD, Buffer.from(`admin:${AIRFLOW_PASSWORD}`).toString('base64')]) {
      // The runner is told to mask it (::add-mask::) and nothing else ever prints it.
      expect(written.split(secret).length - 1, `secret found: ${secret.slice(0, 4)}…`).toBe(written.includes(`::add-mask::${secret}`) ? 1 : 0);
    }
  });
});
