// dagster-airlift migrations through the bundle: real git repositories with a proxied_state folder
// beside the DAGs, the Airflow and Dagster simulators, the action run as the runner runs it.
import { describe, expect, it } from 'vitest';
import { startAirflowSimulator, type DagRecord } from '../../sim/airflow.js';
import { airliftLocation, startDagsterSimulator, type SimDag } from '../../sim/dagster.js';
import { createRepo, pushPayload } from '../../sim/git-repo.js';
import { runAction, type ActionRun } from '../support/run-action.js';
import { cleanupOf, expectReported, expectValidReport, type Cleanup, type TestContext } from './harness.js';

const PASSWORD = 'migration-airflow-password';
const LOCATION = 'airlift_prod';

interface Dag {
  readonly dagId: string;
  readonly tasks: readonly string[];
}

/** A DAG file as the airlift tutorial writes it: a chain of tasks, then proxying_to_dagster at the end. */
function dagFile(dag: Dag): string {
  const tasks = dag.tasks.map((task) => `    ${task} = EmptyOperator(task_id="${task}")`).join('\n');
  return `from pathlib import Path
from datetime import datetime
from airflow import DAG
from airflow.operators.empty import EmptyOperator
from dagster_airlift.in_airflow import proxying_to_dagster
from dagster_airlift.in_airflow.proxied_state import load_proxied_state_from_yaml

with DAG("${dag.dagId}", start_date=datetime(2024, 1, 1), schedule=None) as dag:
${tasks}
    ${dag.tasks.join(' >> ')}

proxying_to_dagster(
    global_vars=globals(),
    proxied_state=load_proxied_state_from_yaml(Path(__file__).parent / "proxied_state"),
)
`;
}

function taskState(tasks: Readonly<Record<string, boolean>>): string {
  return `tasks:\n${Object.entries(tasks)
    .map(([id, proxied]) => `  - id: ${id}\n    proxied: ${proxied}`)
    .join('\n')}\n`;
}

const ORDERS: Dag = { dagId: 'orders', tasks: ['extract', 'transform', 'load', 'publish'] };
const BILLING: Dag = { dagId: 'billing', tasks: ['invoice', 'charge'] };
const LEGACY: Dag = { dagId: 'legacy', tasks: ['export'] };

type Files = Record<string, string | null>;

interface Revision {
  readonly files: Files;
  readonly dags: readonly Dag[];
}

interface MigrationWorld {
  act(event?: 'push' | 'pull_request'): Promise<ActionRun>;
  readonly reloads: () => number;
}

function records(dags: readonly Dag[]): DagRecord[] {
  return dags.map((dag) => ({
    dagId: dag.dagId,
    file: `${dag.dagId}.py`,
    tasks: dag.tasks.map((taskId, index) => ({ taskId, downstream: dag.tasks.slice(index + 1, index + 2) })),
    source: dagFile(dag),
  }));
}

/** base and head commits, Airflow at base then parsing head, and an airlift location mapping `mapped`. */
async function migrationWorld(cleanup: Cleanup, base: Revision, head: Revision, mapped: readonly SimDag[]): Promise<MigrationWorld> {
  const repo = createRepo('airlift-migration-');
  cleanup(() => repo.remove());
  const baseSha = repo.commit('base', base.files);
  const headSha = repo.commit('head', head.files);
  repo.git('checkout', '-q', headSha);
  const airflow = await startAirflowSimulator({ apiVersion: 'v2', auth: { kind: 'jwt', username: 'admin', password: PASSWORD }, bundleVersion: baseSha, dags: records(base.dags) });
  cleanup(() => airflow.close());
  const dagster = await startDagsterSimulator({ deployment: 'self-hosted', reloadMs: 20, locations: [airliftLocation(LOCATION, { instance: 'prod', dags: mapped })] });
  cleanup(() => dagster.close());
  airflow.publish(
    {
      commit: headSha,
      files: records(head.dags).map((record) => ({ path: record.file, source: record.source, dags: [record] })),
      removed: base.dags.filter((dag) => !head.dags.some((next) => next.dagId === dag.dagId)).map((dag) => `${dag.dagId}.py`),
    },
    { delayMs: 0 },
  );
  const repository = { full_name: 'acme/airflow-dags', name: 'airflow-dags', owner: { login: 'acme' }, default_branch: 'main' };
  return {
    reloads: () => dagster.location(LOCATION).reloads,
    act: (event = 'push') =>
      runAction({
        inputs: {
          'airflow-url': airflow.url,
          'airflow-instance-name': 'prod',
          'airflow-username': 'admin',
          'airflow-password': PASSWORD,
          'dags-folder': 'dags',
          'dagster-url': dagster.baseUrl,
          'poll-interval': '50ms',
          'airflow-timeout': '5s',
          'reload-timeout': '5s',
        },
        eventName: event,
        payload:
          event === 'push'
            ? pushPayload(repo, baseSha, headSha, { repository: { ...repository, pushed_at: Math.floor(Date.now() / 1000) - 1 } })
            : { action: 'synchronize', number: 9, pull_request: { number: 9, base: { sha: baseSha, ref: 'main' }, head: { sha: headSha, ref: 'drop-publish' } }, repository },
        workspace: repo.dir,
        sha: headSha,
      }),
  };
}

function files(dags: readonly Dag[], state: Files): Files {
  return { ...Object.fromEntries(dags.map((dag) => [`dags/${dag.dagId}.py`, dagFile(dag)])), ...state };
}

/** The `::error` / `::warning` workflow commands the run printed for one file. */
function annotationsOn(run: ActionRun, file: string): string[] {
  return run.stdout.split('\n').filter((line) => /^::(error|warning) /.test(line) && line.includes(`file=${file},`));
}

describe.concurrent('migrating with airlift', () => {
  it('a push that proxies two more tasks: progress and what changed, no reload for it', async (ctx: TestContext) => {
    const base = files([ORDERS, BILLING], {
      'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: false, load: false, publish: false }),
      'dags/proxied_state/billing.yaml': 'proxied: false\n',
    });
    const head = { ...base, 'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: true, load: true, publish: false }), 'dags/proxied_state/billing.yaml': 'proxied: yes\n' };
    const world = await migrationWorld(cleanupOf(ctx), { files: base, dags: [ORDERS, BILLING] }, { files: head, dags: [ORDERS, BILLING] }, [{ dagId: 'orders', tasks: ['publish'] }, { dagId: 'billing' }]);

    const run = await world.act();
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
    expect(world.reloads()).toBe(0);
    expect(run.summary).toContain('### Migrating with airlift');
    expect(run.summary).toContain('3 of 4 tasks (75%)');
    expect(run.summary).toContain('newly proxied: `load`, `transform`');
    expect(run.summary).toContain('✅ whole DAG');
    expect(run.summary).toContain('no reload');
  });

  it('each kind of mistake: an error on the YAML file and line, saying what airlift does at parse time', async (ctx: TestContext) => {
    const base = files([ORDERS, BILLING], { 'dags/proxied_state/orders.yaml': taskState({ extract: true }) });
    const head = {
      ...base,
      // Line 6: a task the DAG does not have; line 8: `extract` again.
      'dags/proxied_state/orders.yaml': 'tasks:\n  - id: extract\n    proxied: true\n  - id: transform\n    proxied: false\n  - id: extrct\n    proxied: true\n  - id: extract\n    proxied: false\n',
      'dags/proxied_state/ordrs.yaml': taskState({ extract: true }),
      'dags/proxied_state/billing.yaml': 'tasks:\n  - id: invoice\n    proxied: true\n  - id: charge\n    proxied: [true\n',
      'dags/proxied_state/README.md': 'not read by airlift\n',
    };
    const world = await migrationWorld(cleanupOf(ctx), { files: base, dags: [ORDERS, BILLING] }, { files: head, dags: [ORDERS, BILLING] }, []);

    const run = await world.act();
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
    const trimmed: Dag = { dagId: 'orders', tasks: ['extract', 'transform', 'load'] };
    const state = { 'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: true, load: false }) };
    const base = files([ORDERS, LEGACY], { ...state, 'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: true, load: false, publish: false }) });
    const head = { ...files([trimmed], state), 'dags/legacy.py': null };
    const world = await migrationWorld(cleanupOf(ctx), { files: base, dags: [ORDERS, LEGACY] }, { files: head, dags: [trimmed] }, [
      { dagId: 'orders', tasks: ['publish', 'extract'] },
      { dagId: 'legacy', dagAssets: ['warehouse/legacy_report'] },
    ]);

    const run = await world.act('pull_request');
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('planned');
    expectReported(run);
    expect(world.reloads()).toBe(0);
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
