// One real-systems world: a real git repository whose `dags/` folder IS the folder Airflow reads
// (a push is a commit in it), and the bundled action run against real Airflow and real Dagster.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRepo, pushPayload, type GitRepo } from '../../sim/git-repo.js';
import { expect } from 'vitest';
import { runAction, type ActionRun } from '../support/run-action.js';
import { readFixture, writeFixture, type RecordedShape, type ShapeFixture } from '../support/shapes.js';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, type RealAirflow } from './airflow.js';
import type { RealDagster } from './dagster.js';
import { waitFor } from './processes.js';

/** A folder for one suite's Airflow and Dagster homes and logs; logs stay when KEEP_REAL_LOGS is set. */
export function scratch(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => (process.env.KEEP_REAL_LOGS ? console.log(`real-tier logs kept in ${dir}`) : rmSync(dir, { recursive: true, force: true })) };
}

export interface Push {
  readonly before: string;
  readonly after: string;
  readonly payload: Record<string, unknown>;
}

export interface DagsRepo {
  readonly repo: GitRepo;
  readonly dagsFolder: string;
  /** Commits `files` (paths under dags/; null deletes): Airflow sees them at once, as after a deploy. */
  push(message: string, files: Readonly<Record<string, string | null>>): Push;
}

export function dagsRepo(initial: Readonly<Record<string, string>>): DagsRepo {
  const repo = createRepo('airlift-real-repo-');
  const under = (files: Readonly<Record<string, string | null>>) => Object.fromEntries(Object.entries(files).map(([file, content]) => [`dags/${file}`, content]));
  repo.commit('initial DAGs', under(initial));
  return {
    repo,
    dagsFolder: path.join(repo.dir, 'dags'),
    push(message, files) {
      const before = repo.git('rev-parse', 'HEAD');
      const after = repo.commit(message, under(files));
      return { before, after, payload: pushPayload(repo, before, after) };
    },
  };
}

/** Runs dist/index.js as the runner does for `push`, against the real Airflow and Dagster. */
export function act(repo: DagsRepo, push: Push, airflow: RealAirflow, inputs: Readonly<Record<string, string>>): Promise<ActionRun> {
  return runAction({
    inputs: {
      'airflow-url': airflow.url,
      'airflow-username': AIRFLOW_USER,
      'airflow-password': AIRFLOW_PASSWORD,
      'dags-folder': 'dags',
      'poll-interval': '500ms',
      'airflow-timeout': '3m',
      'reload-timeout': '3m',
      'github-token': '',
      ...inputs,
    },
    eventName: 'push',
    payload: push.payload,
    workspace: repo.repo.dir,
    sha: push.after,
  });
}

/**
 * The real answers must keep the shapes committed in __tests__/fixtures/real-shapes/ (the simulators
 * are held to those): RECORD_REAL_SHAPES=1 records them anew instead.
 */
export function expectRecordedShapes(name: ShapeFixture, recorded: readonly RecordedShape[]): void {
  if (process.env.RECORD_REAL_SHAPES === '1') writeFixture(name, recorded);
  expect(recorded).toEqual(readFixture(name));
}

/** Waits until Airflow lists an import error for `file` (relative to the DAGs folder). */
export async function waitForImportError(airflow: RealAirflow, file: string): Promise<void> {
  await waitFor(
    `Airflow's import error for ${file}`,
    async () => ((await airflow.get('/importErrors')) as { import_errors: { filename: string }[] }).import_errors.some((error) => error.filename.endsWith(file)),
    120_000,
  );
}

/** Waits until Airflow lists every one of `dagIds`. */
export async function waitForDags(airflow: RealAirflow, dagIds: readonly string[]): Promise<void> {
  await waitFor(
    `DAGs ${dagIds.join(', ')} in Airflow`,
    async () => {
      const live = ((await airflow.get('/dags')) as { dags: { dag_id: string }[] }).dags.map((dag) => dag.dag_id);
      return dagIds.every((id) => live.includes(id));
    },
    120_000,
  );
}

/** Stops what a suite started and removes its folders (each part may be missing when its start failed). */
export async function tearDown(parts: { airflow?: RealAirflow; dagster?: RealDagster; repo?: DagsRepo; work: { remove(): void } }): Promise<void> {
  await Promise.all([parts.airflow?.stop(), parts.dagster?.stop()]);
  parts.repo?.repo.remove();
  parts.work.remove();
}
