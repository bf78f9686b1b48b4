// The migration section of a run's report, from what was read at the push and what Dagster holds.
import type { DagChange } from '../model.js';
import { ActionError } from '../model.js';
import { checkState } from './check.js';
import { dagsterImpact, unaffectedLocations, type MirroringLocation } from './impact.js';
import type { MigrationReport } from './model.js';
import type { MigrationRead } from './read.js';

export { readMigration, type MigrationRead } from './read.js';
export type { MigrationReport } from './model.js';

/** Undefined when the push has no proxied state and removes nothing a location maps assets to. */
export function migrationReport(
  read: MigrationRead | undefined,
  changes: readonly DagChange[],
  locations: readonly MirroringLocation[],
  reloaded: ReadonlySet<string>,
): MigrationReport | undefined {
  const checked = (read?.instances ?? []).map(checkState);
  const dags = checked.flatMap((entry) => entry.dags);
  const impact = dagsterImpact(changes, locations);
  if (!read && !impact.length) return undefined;
  return {
    folders: read?.folders ?? [],
    dags,
    problems: checked.flatMap((entry) => entry.problems),
    dagsterImpact: impact,
    noReload: unaffectedLocations(dags, locations, reloaded),
  };
}

/** Mistakes in the proxied state fail the run: each breaks or silently changes what Airflow runs. */
export function migrationFailure(report: MigrationReport | undefined): ActionError | undefined {
  const count = report?.problems.length ?? 0;
  if (!count) return undefined;
  return new ActionError(
    `${count} mistake${count === 1 ? '' : 's'} in dagster-airlift's proxied state: see the annotations and the Migration section.`,
    'Fix each proxied_state file at the annotated line: name an existing DAG and its tasks, each task once, with exactly an id and a proxied flag.',
  );
}
