// What a change does to the Dagster code locations that map assets to Airflow DAGs and tasks, before
// it is merged; and which locations mirror DAGs whose proxied state changed without needing a reload.
// Pure. From dagster-io/dagster, python_modules/libraries/dagster-airlift/dagster_airlift/core/serialization/:
// compute.py fetches, at every load of the location, the DAGs Airflow lists and the tasks of the DAGs
// that have mapped tasks; defs_construction.py then looks each mapped asset's DAG up in what was
// fetched (metadata_for_mapped_dags: `dag_datas[dag_id]`) and each task-mapped asset's task
// (metadata_for_mapped_tasks: `dag_datas[dag_id].task_infos[task_id]`). A DAG or task that is gone is
// a KeyError there: the definitions are not built and the location fails to load. Nothing there reads
// the proxied state, which lives in Airflow alone.
import type { DagView } from '../dagster/airlift.js';
import type { DagChange } from '../model.js';
import type { DagsterImpact, MigrationDag, UnaffectedLocation } from './model.js';

export interface MirroringLocation {
  readonly name: string;
  /** instance → dag id → what the location mirrors. */
  readonly airflow: ReadonlyMap<string, ReadonlyMap<string, DagView>>;
}

const TASK_GONE =
  'At its next load the location fails: airlift looks the task up in what it fetched from Airflow (metadata_for_mapped_tasks) and raises KeyError, so none of its definitions, sensor included, load. Until then the asset gets no new materialization: the task no longer runs.';
const DAG_GONE =
  'At its next load the location fails: airlift looks the DAG up in what it fetched from Airflow (metadata_for_mapped_dags, metadata_for_mapped_tasks) and raises KeyError, so none of its definitions, sensor included, load. Until then the assets get no new materialization: the DAG no longer runs.';

export function dagsterImpact(changes: readonly DagChange[], locations: readonly MirroringLocation[]): DagsterImpact[] {
  const impact: DagsterImpact[] = [];
  for (const change of changes) {
    const removedTasks = change.kind === 'removed' ? undefined : new Set(change.tasksRemoved);
    if (removedTasks && !removedTasks.size) continue;
    for (const location of locations) {
      const assets = location.airflow.get(change.instance)?.get(change.dagId)?.assets ?? [];
      if (!removedTasks) {
        if (assets.length) {
          impact.push({ location: location.name, instance: change.instance, dagId: change.dagId, assetKeys: keys(assets), consequence: DAG_GONE });
        }
        continue;
      }
      for (const task of [...removedTasks].sort()) {
        const mapped = assets.filter((asset) => asset.task === task);
        if (mapped.length) {
          impact.push({ location: location.name, instance: change.instance, dagId: change.dagId, taskId: task, assetKeys: keys(mapped), consequence: TASK_GONE });
        }
      }
    }
  }
  const order = (entry: DagsterImpact) => `${entry.location}\0${entry.dagId}\0${entry.taskId ?? ''}`;
  return impact.sort((a, b) => order(a).localeCompare(order(b)));
}

/**
 * Locations that mirror a DAG whose proxied state the push changes and that are not reloaded for
 * anything else: proxying happens inside Airflow, so they need no reload.
 */
export function unaffectedLocations(dags: readonly MigrationDag[], locations: readonly MirroringLocation[], reloaded: ReadonlySet<string>): UnaffectedLocation[] {
  const changed = dags.filter((dag) => dag.newlyProxied.length || dag.returnedToAirflow.length);
  return locations.flatMap((location) => {
    if (reloaded.has(location.name)) return [];
    const mirrored = changed.filter((dag) => location.airflow.get(dag.instance)?.has(dag.dagId)).map((dag) => dag.dagId);
    return mirrored.length ? [{ location: location.name, dags: mirrored }] : [];
  });
}

function keys(assets: readonly { readonly key: string }[]): string[] {
  return [...new Set(assets.map((asset) => asset.key))].sort();
}
