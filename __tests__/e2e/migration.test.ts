// dagster-airlift migrations through the bundle: real git repositories with a proxied_state folder
// beside the DAGs, the Airflow and Dagster simulators, the action run as the runner runs it.
import { describe, expect, it } from 'vitest';
import type { SimDag } from '../../sim/dagster.js';
import { dagFiles, startMigrationWorld, taskState, type ChainDag, type Revision } from '../../sim/migration-world.js';
import { runAction, type ActionRun } from '../support/run-action.js';
import { cleanupOf, expectReported, expectValidReport, type TestContext } from './harness.js';

const LOCATION = 'airlift_prod';
const ORDERS: ChainDag = { dagId: 'orders', tasks: ['extract', 'transform', 'load', 'publish'] };
const BILLING: ChainDag = { dagId: 'billing', tasks: ['invoice', 'charge'] };
const LEGACY: ChainDag = { dagId: 'legacy', tasks: ['export'] };

/** The bundle run on base..head with one airlift location mapping `mapped`. */
async function runMigration(ctx: TestContext, base: Revision, head: Revision, mapped: readonly SimDag[], event: 'push' | 'pull_request' = 'push') {
  const world = await startMigrationWorld(base, head, { [LOCATION]: mapped });
  cleanupOf(ctx)(() => world.close());
  return { run: await runAction(world.event(event)), reloads: () => world.reloads(LOCATION) };
}

/** The `::error` / `::warning` workflow commands the run printed for one file. */
function annotationsOn(run: ActionRun, file: string): string[] {
  return run.stdout.split('\n').filter((line) => /^::(error|warning) /.test(line) && line.includes(`file=${file},`));
}

describe.concurrent('migrating with airlift', () => {
  it('a push that proxies two more tasks: progress and what changed, no reload for it', async (ctx: TestContext) => {
    const base = dagFiles([ORDERS, BILLING], {
      'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: false, load: false, publish: false }),
      'dags/proxied_state/billing.yaml': 'proxied: false\n',
    });
    const head = { ...base, 'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: true, load: true, publish: false }), 'dags/proxied_state/billing.yaml': 'proxied: yes\n' };
    const { run, reloads } = await runMigration(ctx, { files: base, dags: [ORDERS, BILLING] }, { files: head, dags: [ORDERS, BILLING] }, [{ dagId: 'orders', tasks: ['publish'] }, { dagId: 'billing' }]);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expectReported(run);
    const migration = run.report!.migration!;
    expect(migration.folders).toEqual(['dags/proxied_state']);
    expect(migration.problems).toEqual([]);
    expect(migration.dags).toEqual([
      expect.objectContaining({ dagId: 'billing', level: 'dag', dagProxied: true, newlyProxied: ['*'], returnedToAirflow: [] }),
      expect.objectContaining({ dagId: 'orders', level: 'task', proxiedTasks: ['extract', 'load', 'transform'], totalTasks: 4, newlyProxied: ['load', 'transform'], returnedToAirflow: [] }),
    ]);
    expect(migration.noReload).toEqual([{ location: LOCATION, dags: ['billing', 'orders'] }]);
    expect(reloads()).toBe(0);
    expect(run.summary).toContain('### Migrating with airlift');
    expect(run.summary).toContain('3 of 4 tasks (75%)');
    expect(run.summary).toContain('newly proxied: `load`, `transform`');
    expect(run.summary).toContain('✅ whole DAG');
    expect(run.summary).toContain('no reload');
  });

  it('a DAG whose tasks come from a helper module: its state is checked against the tasks the helper defines', async (ctx: TestContext) => {
    const steps = { dagId: 'steps', tasks: ['extract', 'load'] };
    const stepsDag = `from pathlib import Path
from datetime import datetime
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from common.steps import STEPS
from dagster_airlift.in_airflow import proxying_to_dagster
from dagster_airlift.in_airflow.proxied_state import load_proxied_state_from_yaml

with DAG("steps", start_date=datetime(2024, 1, 1), schedule=None) as dag:
    for step in STEPS:
        EmptyOperator(task_id=step)

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
`;
    const base = { 'dags/steps.py': stepsDag, 'dags/common/__init__.py': '', 'dags/common/steps.py': 'STEPS = ["extract", "load"]\n', 'dags/proxied_state/steps.yaml': taskState({ extract: false }) };
    const head = { ...base, 'dags/proxied_state/steps.yaml': taskState({ extract: true, load: false, lod: true }) };
    const { run } = await runMigration(ctx, { files: base, dags: [steps] }, { files: head, dags: [steps] }, []);

    expectValidReport(run);
    const migration = run.report!.migration!;
    expect(migration.problems.map((problem) => [problem.kind, problem.file, problem.line])).toEqual([['unknown-task', 'dags/proxied_state/steps.yaml', 6]]);
    expect(migration.dags).toEqual([expect.objectContaining({ dagId: 'steps', totalTasks: 2 })]);
  });

  it('each kind of mistake: an error on the YAML file and line, saying what airlift does at parse time', async (ctx: TestContext) => {
    const base = dagFiles([ORDERS, BILLING], { 'dags/proxied_state/orders.yaml': taskState({ extract: true }) });
    const head = {
      ...base,
      // Line 6: a task the DAG does not have; line 8: `extract` again.
      'dags/proxied_state/orders.yaml': 'tasks:\n  - id: extract\n    proxied: true\n  - id: transform\n    proxied: false\n  - id: extrct\n    proxied: true\n  - id: extract\n    proxied: false\n',
      'dags/proxied_state/ordrs.yaml': taskState({ extract: true }),
      'dags/proxied_state/billing.yaml': 'tasks:\n  - id: invoice\n    proxied: true\n  - id: charge\n    proxied: [true\n',
      'dags/proxied_state/README.md': 'not read by airlift\n',
    };
    const { run } = await runMigration(ctx, { files: base, dags: [ORDERS, BILLING] }, { files: head, dags: [ORDERS, BILLING] }, []);

    expect(run.exitCode, run.stdout).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expectValidReport(run);
    const problems = run.report!.migration!.problems;
    expect(problems.map((problem) => [problem.kind, problem.file, problem.line, problem.effect])).toEqual(
      expect.arrayContaining([
        ['malformed', 'dags/proxied_state/billing.yaml', 6, 'import-error'],
        ['unknown-task', 'dags/proxied_state/orders.yaml', 6, 'import-error'],
        ['duplicate-task', 'dags/proxied_state/orders.yaml', 8, 'last-entry-wins'],
        ['unknown-dag', 'dags/proxied_state/ordrs.yaml', 1, 'ignored'],
      ]),
    );
    expect(problems).toHaveLength(4);
    expect(annotationsOn(run, 'dags/proxied_state/orders.yaml').join('\n')).toMatch(/::error .*line=6.*Task with id `extrct` not found in dag `orders`.*dags\/orders.py. will fail to import/);
    expect(annotationsOn(run, 'dags/proxied_state/orders.yaml').join('\n')).toMatch(/line=8.*keeps the last entry \(proxied: false\)/);
    expect(annotationsOn(run, 'dags/proxied_state/billing.yaml').join('\n')).toMatch(/::error .*line=6.*ProxiedStateParsingError.*dags\/billing.py.*dags\/orders.py/);
    expect(annotationsOn(run, 'dags/proxied_state/ordrs.yaml').join('\n')).toMatch(/No DAG has the id `ordrs`/);
    expect(run.summary).toContain('❌ 4 mistakes in the proxied state');
    expect(run.summary).toContain('❌ import error');
    expect(run.summary).toContain('⚠️ ignored, silently');
  });

  it('a pull request that removes a mapped task and a mapped DAG: the locations, asset keys and the failed load to come', async (ctx: TestContext) => {
    const trimmed: ChainDag = { dagId: 'orders', tasks: ['extract', 'transform', 'load'] };
    const state = { 'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: true, load: false }) };
    const base = dagFiles([ORDERS, LEGACY], { ...state, 'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: true, load: false, publish: false }) });
    const head = { ...dagFiles([trimmed], state), 'dags/legacy.py': null };
    const { run, reloads } = await runMigration(ctx, { files: base, dags: [ORDERS, LEGACY] }, { files: head, dags: [trimmed] }, [
      { dagId: 'orders', tasks: ['publish', 'extract'] },
      { dagId: 'legacy', dagAssets: ['warehouse/legacy_report'] },
    ], 'pull_request');

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('planned');
    expectReported(run);
    expect(reloads()).toBe(0);
    const impact = run.report!.migration!.dagsterImpact;
    expect(impact).toEqual([
      expect.objectContaining({ location: LOCATION, dagId: 'legacy', assetKeys: ['warehouse/legacy_report'] }),
      expect.objectContaining({ location: LOCATION, dagId: 'orders', taskId: 'publish', assetKeys: ['prod/orders/publish'] }),
    ]);
    expect(impact.find((entry) => entry.taskId)!.consequence).toMatch(/next load the location fails.*KeyError/);
    expect(annotationsOn(run, 'dags/orders.py').join('\n')).toMatch(/::warning .*task `publish` of DAG `orders` is mapped to prod\/orders\/publish in airlift_prod/);
    expect(run.summary).toContain('⚠️ This change breaks Dagster code locations');
    expect(run.summary).toContain('`warehouse/legacy_report`');
    expect(run.report!.migration!.problems).toEqual([]);
  });
});
