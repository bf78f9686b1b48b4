// One benchmark world: an Airflow simulator per synthetic instance (at the
// base revision, as before the push), a Dagster+ simulator with two
// dagster-airlift code locations per instance that follow that Airflow's live
// state on reload, and the config file the action reads.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startAirflowSimulator, type AirflowSimulator, type DagRecord } from '../sim/airflow.js';
import type { AirflowState } from '../sim/airflow-state.js';
import { airliftLocation, startDagsterSimulator, type DagsterSimulator } from '../sim/dagster.js';
import type { SyntheticRepo } from '../sim/synthetic-dags.js';
import { airliftFetch } from '../sim/scenario.js';
import type { BenchRepo } from './repo.js';

export const DAGSTER_TOKEN = 'user:bench-dagster-token-0123456789';
const AIRFLOW_USER = 'admin';
const passwordOf = (instance: string) => `bench-${instance}-password`;

export interface WorldOptions {
  readonly latencyMs: number;
  /** How long a Dagster code server takes to load after a reload. */
  readonly reloadMs: number;
  /** After PUT parseDagFile, how long until the file's pending revision lands. */
  readonly reparseDelayMs: number;
}

export interface World {
  readonly airflows: readonly AirflowSimulator[];
  readonly dagster: DagsterSimulator;
  /** Code locations per instance, in instance order. */
  readonly locations: readonly (readonly string[])[];
  /** Lets each simulated DAG processor parse the pushed revision. */
  publishHead(delays: { readonly delayMs: number; readonly newFileDelayMs: number }): void;
  /** The config file for these simulators (URLs may point at a proxy instead). */
  writeConfig(file: string, urls?: readonly string[]): void;
  /** Environment variables the config file's auth names. */
  readonly env: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

export function locationNames(synthetic: SyntheticRepo): string[][] {
  return synthetic.instances.map((instance) => [`${instance.name}_observe`, `${instance.name}_jobs`]);
}

export async function startWorld(repo: BenchRepo, options: WorldOptions): Promise<World> {
  const { synthetic } = repo;
  const parsedAt = new Date(Date.now() - 3_600_000).toISOString();
  const airflows = await Promise.all(
    synthetic.instances.map((instance, index) => {
      const v2 = instance.airflowMajor === 3;
      // The stored source matters only for files the push touches (the action reads no other).
      const touched = new Set(synthetic.reparsed[index]!.files.map((file) => file.path).concat(synthetic.reparsed[index]!.removed));
      const dags: DagRecord[] = synthetic.baseFiles[index]!.flatMap((file) =>
        file.dags.map((dag) => ({
          dagId: dag.dagId,
          file: file.path,
          tasks: dag.tasks,
          lastParsedTime: parsedAt,
          ...(touched.has(file.path) ? { source: file.source } : {}),
        })),
      );
      return startAirflowSimulator({
        apiVersion: v2 ? 'v2' : 'v1',
        auth: v2
          ? { kind: 'jwt', username: AIRFLOW_USER, password: passwordOf(instance.name) }
          : { kind: 'basic', username: AIRFLOW_USER, password: passwordOf(instance.name) },
        bundleVersion: v2 ? repo.base : null,
        latencyMs: options.latencyMs,
        reparseDelayMs: options.reparseDelayMs,
        dags,
      });
    }),
  );

  for (const airflow of airflows) memoizeDagList(airflow.state);

  // What dagster-airlift fetches when a code server loads: the active DAGs and their records.
  const liveDags = (index: number) => () => airliftFetch(airflows[index]!);
  const locations = locationNames(synthetic);
  const dagster = await startDagsterSimulator({
    deployment: 'dagster-plus',
    auth: { kind: 'dagster-plus', token: DAGSTER_TOKEN },
    basePath: '/prod',
    reloadMs: options.reloadMs,
    latencyMs: options.latencyMs,
    locations: synthetic.instances.flatMap((instance, index) => {
      const dags = liveDags(index)();
      // One location builds assets per DAG (build_defs_from_airflow_instance), the other jobs (AirflowInstanceComponent).
      return [
        airliftLocation(locations[index]![0]!, { instance: instance.name, dags }),
        airliftLocation(locations[index]![1]!, { instance: instance.name, dags, style: 'component' }),
      ];
    }),
  });
  for (const [index, names] of locations.entries()) for (const name of names) dagster.setAirflowSource(name, liveDags(index));

  const env: Record<string, string> = {};
  for (const instance of synthetic.instances) {
    const key = instance.name.toUpperCase();
    env[`AIRFLOW_${key}_USER`] = AIRFLOW_USER;
    env[`AIRFLOW_${key}_PASSWORD`] = passwordOf(instance.name);
  }

  return {
    airflows,
    dagster,
    locations,
    env,
    publishHead(delays) {
      for (const [index, airflow] of airflows.entries()) {
        const reparsed = synthetic.reparsed[index]!;
        airflow.publish(
          {
            commit: repo.head,
            files: reparsed.files.map((file) => ({ path: file.path, source: file.source, dags: file.dags.map((dag) => ({ dagId: dag.dagId, tasks: dag.tasks })) })),
            removed: reparsed.removed,
          },
          delays,
        );
      }
    },
    writeConfig(file, urls) {
      const lines = ['instances:'];
      for (const [index, instance] of synthetic.instances.entries()) {
        const key = instance.name.toUpperCase();
        lines.push(
          `  - name: ${instance.name}`,
          `    url: ${urls?.[index] ?? airflows[index]!.url}`,
          `    dags-folder: ${instance.folder}`,
          `    code-locations: [${locations[index]!.join(', ')}]`,
          '    auth:',
          `      username-env: AIRFLOW_${key}_USER`,
          `      password-env: AIRFLOW_${key}_PASSWORD`,
        );
      }
      writeFileSync(file, `${lines.join('\n')}\n`);
    },
    async close() {
      await Promise.all([...airflows.map((airflow) => airflow.close()), dagster.close()]);
    },
  };
}

/**
 * The simulator sorts every DAG row again for each request that reads them (each page of the DAG
 * list): at 80,000 files that is most of the benchmark's CPU, taken from the action on a 2-core
 * machine. Same answers, cached until a row can have changed: a write, a publish, or a pending
 * revision landing.
 */
function memoizeDagList(state: AirflowState): void {
  let version = 0;
  let cached: { key: string; dags: ReturnType<AirflowState['dags']> } | undefined;
  const bump =
    <A extends unknown[], R>(method: (...args: A) => R) =>
    (...args: A): R => {
      version++;
      return method(...args);
    };
  state.putDag = bump(state.putDag.bind(state));
  state.deleteDag = bump(state.deleteDag.bind(state));
  state.publish = bump(state.publish.bind(state));
  const dags = state.dags.bind(state);
  state.dags = () => {
    const key = `${version}:${state.pendingFiles().length}`;
    if (cached?.key !== key) cached = { key, dags: dags() };
    return cached.dags;
  };
}

/** The action's inputs for a world: the config file plus Dagster+. */
export function actionInputs(configFile: string, dagsterBaseUrl: string, pollInterval: string, airflowTimeout: string): Record<string, string> {
  return {
    config: path.resolve(configFile),
    'dagster-cloud-organization': 'hooli',
    'dagster-cloud-deployment': 'prod',
    'dagster-cloud-url': dagsterBaseUrl,
    'dagster-cloud-api-token': DAGSTER_TOKEN,
    'poll-interval': pollInterval,
    'airflow-timeout': airflowTimeout,
    'reload-timeout': '120s',
    'github-token': '',
  };
}
