// Builders shared by the Airflow tests: simulator DAG records and client connections.
import { afterEach } from 'vitest';
import type { AirflowConnection, AirflowAuth, ClientTuning } from '../../src/airflow/client.js';
import { connectAirflow } from '../../src/airflow/client.js';
import { deadlineIn } from '../../src/http.js';
import type { DagChange, DagShape, Edge } from '../../src/model.js';
import { startAirflowSimulator, type AirflowSimulator, type AirflowSimulatorOptions, type DagRecord, type SimTask } from '../../sim/airflow.js';

export const VERSIONS = ['v1', 'v2'] as const;

/** Tasks in a chain: a >> b >> c. */
export function chain(...ids: string[]): SimTask[] {
  return ids.map((taskId, i) => ({ taskId, downstream: ids[i + 1] ? [ids[i + 1]!] : [] }));
}

export function dag(dagId: string, file: string, tasks: SimTask[] = chain('extract', 'load'), extra: Partial<DagRecord> = {}): DagRecord {
  return { dagId, file, tasks, ...extra };
}

export function shapeOf(tasks: SimTask[]): DagShape {
  const edges = tasks.flatMap((task) => task.downstream.map((down): Edge => [task.taskId, down]));
  return {
    tasks: tasks.map((task) => task.taskId).sort(),
    edges: edges.sort((a, b) => a[0].localeCompare(b[0]) || a[1].localeCompare(b[1])),
  };
}

/** A DagChange as the push reading stage would give it. */
export function change(kind: DagChange['kind'], dagId: string, file: string, extra: Partial<DagChange> = {}): DagChange {
  return {
    dagId,
    instance: 'airflow',
    kind,
    file,
    tasksAdded: [],
    tasksRemoved: [],
    edgesAdded: [],
    edgesRemoved: [],
    partial: false,
    ...extra,
  };
}

const running: AirflowSimulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

/** A simulator closed after the test. */
export async function simulator(options: AirflowSimulatorOptions): Promise<AirflowSimulator> {
  const sim = await startAirflowSimulator(options);
  running.push(sim);
  return sim;
}

export interface Connected {
  readonly logs: string[];
  readonly connection: AirflowConnection;
}

export function connectionTo(url: string, auth: AirflowAuth = { kind: 'none' }, extra: Partial<AirflowConnection> = {}): Connected {
  const logs: string[] = [];
  return {
    logs,
    connection: {
      url: new URL(url),
      auth,
      headers: {},
      apiVersion: 'auto',
      log: (line) => logs.push(line),
      instance: 'airflow',
      authInput: auth.kind === 'bearer' ? 'airflow-token' : 'airflow-username/airflow-password',
      urlInput: 'airflow-url',
      ...extra,
    },
  };
}

/** Fast retries and timeouts for tests. */
export const FAST: ClientTuning = { requestTimeoutMs: 2_000, retries: 3 };

export async function connect(sim: AirflowSimulator, auth: AirflowAuth = { kind: 'none' }, extra: Partial<AirflowConnection> = {}, tuning: ClientTuning = FAST) {
  const { connection, logs } = connectionTo(sim.url, auth, extra);
  const client = await connectAirflow(connection, deadlineIn(15_000), tuning);
  return { client, logs };
}

/** Credentials the simulator checks, per version: basic auth for Airflow 2, a JWT login for Airflow 3. */
export function passwordAuth(version: 'v1' | 'v2') {
  return version === 'v1'
    ? ({ kind: 'basic', username: 'ci', password: 's3cret-pw' } as const)
    : ({ kind: 'jwt', username: 'ci', password: 's3cret-pw' } as const);
}
