// A world for dagster-airlift migrations: a real git repository whose DAG files end with
// proxying_to_dagster and load a `proxied_state/` folder beside them (as the airlift tutorial
// writes them), an Airflow that parses the head commit, and airlift code locations that map assets
// to its DAGs and tasks. Used by the end-to-end tests and the summary screenshots.
import { startAirflowSimulator, type DagRecord } from './airflow.js';
import { airliftLocation, startDagsterSimulator, type SimDag } from './dagster.js';
import { createRepo, pushPayload } from './git-repo.js';

export const INSTANCE = 'prod';
const PASSWORD = 'migration-airflow-password';

export interface ChainDag {
  readonly dagId: string;
  /** Task ids, run in this order. */
  readonly tasks: readonly string[];
}

export interface Revision {
  /** Repository path → content (null deletes). */
  readonly files: Readonly<Record<string, string | null>>;
  /** The DAGs Airflow parses at this revision (each from `dags/<dag id>.py`). */
  readonly dags: readonly ChainDag[];
}

/** What the runner hands the action: the shape run-action.ts takes. */
export interface RunnerInput {
  readonly inputs: Record<string, string>;
  readonly eventName: string;
  readonly payload: unknown;
  readonly workspace: string;
  readonly sha: string;
}

export interface MigrationWorld {
  /** A push (or a pull request) from base to head. */
  event(event?: 'push' | 'pull_request', inputs?: Record<string, string>): RunnerInput;
  reloads(location: string): number;
  close(): Promise<void>;
}

export function dagFile(dag: ChainDag): string {
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

/** A task-level state file, as `dagster-airlift proxy scaffold` writes it. */
export function taskState(tasks: Readonly<Record<string, boolean>>): string {
  return `tasks:\n${Object.entries(tasks)
    .map(([id, proxied]) => `  - id: ${id}\n    proxied: ${proxied}`)
    .join('\n')}\n`;
}

/** The DAG files of `dags`, plus `extra` files. */
export function dagFiles(dags: readonly ChainDag[], extra: Readonly<Record<string, string | null>> = {}): Record<string, string | null> {
  return { ...Object.fromEntries(dags.map((dag) => [`dags/${dag.dagId}.py`, dagFile(dag)])), ...extra };
}

function records(dags: readonly ChainDag[]): DagRecord[] {
  return dags.map((dag) => ({
    dagId: dag.dagId,
    file: `${dag.dagId}.py`,
    tasks: dag.tasks.map((taskId, index) => ({ taskId, downstream: dag.tasks.slice(index + 1, index + 2) })),
    source: dagFile(dag),
  }));
}

/** `locations`: airlift code locations of the instance, by name, with the DAGs and mapped tasks each mirrors. */
export async function startMigrationWorld(base: Revision, head: Revision, locations: Readonly<Record<string, readonly SimDag[]>>): Promise<MigrationWorld> {
  const repo = createRepo('airlift-migration-');
  const baseSha = repo.commit('base', base.files);
  const headSha = repo.commit('head', head.files);
  repo.git('checkout', '-q', headSha);
  const airflow = await startAirflowSimulator({ apiVersion: 'v2', auth: { kind: 'jwt', username: 'admin', password: PASSWORD }, bundleVersion: baseSha, dags: records(base.dags) });
  const dagster = await startDagsterSimulator({
    deployment: 'self-hosted',
    reloadMs: 20,
    locations: Object.entries(locations).map(([name, dags]) => airliftLocation(name, { instance: INSTANCE, dags })),
  });
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
    reloads: (location) => dagster.location(location).reloads,
    event: (event = 'push', inputs = {}) => ({
        inputs: {
          'airflow-url': airflow.url,
          'airflow-instance-name': INSTANCE,
          'airflow-username': 'admin',
          'airflow-password': PASSWORD,
          'dags-folder': 'dags',
          'dagster-url': dagster.baseUrl,
          'poll-interval': '50ms',
          'airflow-timeout': '5s',
          'reload-timeout': '5s',
          ...inputs,
        },
        eventName: event,
        payload:
          event === 'push'
            ? pushPayload(repo, baseSha, headSha, { repository: { ...repository, pushed_at: Math.floor(Date.now() / 1000) - 1 } })
            : { action: 'synchronize', number: 9, pull_request: { number: 9, base: { sha: baseSha, ref: 'main' }, head: { sha: headSha, ref: 'migrate-orders' } }, repository },
      workspace: repo.dir,
      sha: headSha,
    }),
    async close() {
      await Promise.all([airflow.close(), dagster.close()]);
      repo.remove();
    },
  };
}
