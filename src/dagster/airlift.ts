// Which Airflow DAGs a Dagster code location mirrors, read from what dagster-airlift attaches to
// the definitions it builds. Pure. Read from dagster-io/dagster,
// python_modules/libraries/dagster-airlift/dagster_airlift/:
// - constants.py: the metadata and tag keys below;
// - core/serialization/defs_construction.py, core/dag_asset.py: build_defs_from_airflow_instance makes
//   an asset per DAG keyed [instance, "dag", convert_to_valid_dagster_name(dag_id)], kinds airflow and
//   dag, metadata "Dag ID" (text), "Dag Info (raw)", "Link to DAG" and the peered-dag mapping;
//   automapped task assets are keyed [instance, "dag", dag, "task", task];
// - core/sensor/sensor_builder.py: its sensor `<instance>__airflow_dag_status_sensor` (plain
//   `airflow_dag_status_sensor` in older releases, whose DAG assets had neither kinds nor a peered mapping);
// - core/job_builder.py, core/utils.py: AirflowInstanceComponent makes a job per DAG, tagged
//   dagster/external_job_source=airflow and dagster-airlift/airflow-dag-id, but without the instance
//   name: one is inferred when the location mirrors a single instance;
// - core/monitoring_job/builder.py: its job and sensor `<instance>__airflow_monitoring_job[_sensor]`
//   (a schedule `<instance>__airflow_monitoring_job_schedule` in older releases);
// - core/components/airflow_instance/component.py: its defs-state key `AirflowInstanceComponent[<instance>]`;
// - core/utils.py, constants.py: assets mapped to tasks carry dagster-airlift/task-mapping =
//   [{dag_id, task_id}]; assets mapped to a whole DAG (assets_with_dag_mappings) dagster-airlift/dag-mapping
//   = [{dag_id}].
// - core/dag_asset.py, core/serialization/compute.py: the "Source Code" metadata, Markdown wrapping the
//   DAG file's text as Airflow stored it in a ```python fence, fetched in the same load as the DAG's
//   record and tasks, and only below DEFAULT_MAX_NUM_DAGS_SOURCE_CODE_RETRIEVAL = 50 DAGs per instance.
//   It is evidence of which revision the location fetched, never a reason to reload (README, "How it decides").
// Asset keys and job names are sanitized (`.`, `-` become `_`), so the dag id is read from metadata
// or tags, and from the key only as a last resort.
import type { MetadataEntry, Repository } from './wire.js';

const DAG_ID_LABEL = 'Dag ID';
const DAG_INFO_LABEL = 'Dag Info (raw)';
const SOURCE_CODE_LABEL = 'Source Code';
const PEERED_DAG_MAPPING = 'dagster-airlift/peered-dag-mapping';
const TASK_MAPPING = 'dagster-airlift/task-mapping';
const DAG_MAPPING = 'dagster-airlift/dag-mapping';
const DAG_ID_TAG = 'dagster-airlift/airflow-dag-id';
const EXTERNAL_JOB_SOURCE_TAG = 'dagster/external_job_source';
// The per-instance sensor or schedule (of AirflowInstanceComponent's monitoring job, or of
// build_defs_from_airflow_instance) names an instance even when it has no DAG.
const INSTANCE_SENSOR = /^(.+)__airflow_(?:dag_status|monitoring_job)_sensor$/;
const INSTANCE_SCHEDULE = /^(.+)__airflow_monitoring_job_schedule$/;
// Older airlift's sensor, one per location, without the instance's name.
const PLAIN_SENSOR = 'airflow_dag_status_sensor';
const COMPONENT_STATE_KEY = /^AirflowInstanceComponent\[(.+)\]$/;

/** What the DAG record airlift fetched from Airflow says about when Airflow had parsed it. */
export interface DagSnapshot {
  /** Airflow's last_parsed_time, ISO 8601. */
  readonly lastParsedTime?: string;
  /** Airflow 3: the DAG bundle version (a commit sha for git bundles). */
  readonly bundleVersion?: string | null;
  /** The DAG file's text as Airflow stored it when airlift fetched it (below 50 DAGs per instance). */
  readonly source?: string;
}

export interface DagView {
  /** Task ids known from task-mapping metadata: the mapped ones only, possibly none. */
  readonly tasks: readonly string[];
  /** From the "Dag Info (raw)" metadata, when the location shows it. */
  readonly snapshot?: DagSnapshot;
  /** The location's own assets mapped to this DAG or its tasks (airlift's automapped task assets are not listed). */
  readonly assets?: readonly MappedAsset[];
}

export interface MappedAsset {
  /** The asset key, `/`-joined. */
  readonly key: string;
  /** Absent for an asset mapped to the whole DAG. */
  readonly task?: string;
}

export interface AirflowMirror {
  /** instance name → dag id → what Dagster knows of it. Instances without DAGs are kept. */
  readonly airflow: ReadonlyMap<string, ReadonlyMap<string, DagView>>;
  /** Dag ids of airlift jobs that cannot be tied to one instance (job-based, several instances). */
  readonly unattributed: readonly string[];
}

interface Found {
  readonly tasks: Set<string>;
  readonly assets: MappedAsset[];
  snapshot?: DagSnapshot;
}

export function airflowMirror(repositories: readonly Repository[], stateKeys: readonly string[]): AirflowMirror {
  const dags = new Map<string, Map<string, Found>>();
  const dagsOf = (instance: string) => {
    let found = dags.get(instance);
    if (!found) dags.set(instance, (found = new Map()));
    return found;
  };
  const note = (instance: string, dagId: string, snapshot: DagSnapshot | undefined) => {
    const byId = dagsOf(instance);
    const found = byId.get(dagId) ?? { tasks: new Set<string>(), assets: [] };
    found.snapshot ??= snapshot;
    byId.set(dagId, found);
  };
  for (const key of stateKeys) {
    const instance = COMPONENT_STATE_KEY.exec(key)?.[1];
    if (instance) dagsOf(instance);
  }
  // Dag ids known without their instance: airlift's DAG jobs, and assets mapped to a whole DAG.
  const unplaced: { dagId: string; snapshot?: DagSnapshot }[] = [];
  const mappings: { instance?: string; dagId: string; taskId?: string; asset?: MappedAsset }[] = [];

  for (const repository of repositories) {
    for (const { name } of [...repository.sensors, ...repository.schedules]) {
      const instance = INSTANCE_SENSOR.exec(name)?.[1] ?? INSTANCE_SCHEDULE.exec(name)?.[1];
      if (instance) dagsOf(instance);
    }
    const older = repository.sensors.some((sensor) => sensor.name === PLAIN_SENSOR);
    for (const job of repository.jobs) {
      const tags = new Map(job.tags.map((tag) => [tag.key, tag.value]));
      const dagId = tags.get(DAG_ID_TAG);
      if (dagId && tags.get(EXTERNAL_JOB_SOURCE_TAG) === 'airflow') unplaced.push({ dagId, snapshot: dagSnapshot(byLabel(job.metadataEntries)) });
    }
    for (const asset of repository.assetNodes) {
      const path = asset.assetKey.path;
      const metadata = byLabel(asset.metadataEntries);
      const dag = dagAsset(path, metadata, asset.kinds, older);
      if (dag) note(dag.instance, dag.dagId, dagSnapshot(metadata));
      const automapped = path.length === 5 && path[1] === 'dag' && path[3] === 'task' ? path[0] : undefined;
      const key = path.join('/');
      for (const handle of jsonHandles(metadata.get(TASK_MAPPING))) {
        if (!handle.task_id) continue;
        const asset = automapped === undefined ? { asset: { key, task: handle.task_id } } : {};
        mappings.push({ instance: automapped, dagId: handle.dag_id, taskId: handle.task_id, ...asset });
      }
      for (const handle of jsonHandles(metadata.get(DAG_MAPPING))) {
        unplaced.push({ dagId: handle.dag_id });
        mappings.push({ dagId: handle.dag_id, asset: { key } });
      }
    }
  }

  const unattributed: string[] = [];
  for (const { dagId, snapshot } of unplaced) {
    const holders = [...dags].filter(([, byId]) => byId.has(dagId)).map(([instance]) => instance);
    const [only, ...others] = holders.length ? holders : [...dags.keys()];
    if (only !== undefined && others.length === 0) note(only, dagId, snapshot);
    else if (holders.length === 0) unattributed.push(dagId);
  }
  // A mapping names a dag id only; it belongs to whichever instance has that DAG.
  for (const mapping of mappings) {
    for (const [instance, byId] of dags) {
      if (mapping.instance !== undefined && mapping.instance !== instance) continue;
      const found = byId.get(mapping.dagId);
      if (mapping.taskId !== undefined) found?.tasks.add(mapping.taskId);
      if (mapping.asset) found?.assets.push(mapping.asset);
    }
  }

  return {
    airflow: new Map(
      [...dags].map(([instance, byId]) => [
        instance,
        new Map(
          [...byId].map(([dagId, found]): [string, DagView] => [
            dagId,
            {
              tasks: [...found.tasks].sort(),
              ...(found.snapshot ? { snapshot: found.snapshot } : {}),
              ...(found.assets.length ? { assets: found.assets } : {}),
            },
          ]),
        ),
      ]),
    ),
    unattributed: [...new Set(unattributed)].sort(),
  };
}

function byLabel(entries: readonly MetadataEntry[]): ReadonlyMap<string, MetadataEntry> {
  return new Map(entries.map((entry) => [entry.label, entry]));
}

/** `older`: the repository has older airlift's plain sensor, whose DAG assets carry only a "Dag ID". */
function dagAsset(
  path: readonly string[],
  metadata: ReadonlyMap<string, MetadataEntry>,
  kinds: readonly string[] | undefined,
  older: boolean,
): { instance: string; dagId: string } | undefined {
  const [instance, marker, keyName] = path;
  if (path.length !== 3 || marker !== 'dag' || instance === undefined || keyName === undefined) return undefined;
  const peered = jsonHandles(metadata.get(PEERED_DAG_MAPPING));
  // Releases without the peered mapping: DAG assets are recognised by kinds, or by older airlift's sensor.
  const tagged = kinds?.includes('airflow') && kinds.includes('dag');
  if (peered.length === 0 && !tagged && !(older && metadata.has(DAG_ID_LABEL))) return undefined;
  const dagId = metadata.get(DAG_ID_LABEL)?.text ?? peered[0]?.dag_id ?? keyName;
  return { instance, dagId };
}

/** "Dag Info (raw)" is the DAG record of Airflow's REST API (core/airflow_instance.py, DagInfo.metadata). */
function dagSnapshot(metadata: ReadonlyMap<string, MetadataEntry>): DagSnapshot | undefined {
  const record = parseJson(metadata.get(DAG_INFO_LABEL));
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return undefined;
  const { last_parsed_time: lastParsedTime, bundle_version: bundleVersion } = record as Record<string, unknown>;
  const snapshot: { lastParsedTime?: string; bundleVersion?: string | null; source?: string } = {};
  if (typeof lastParsedTime === 'string') snapshot.lastParsedTime = lastParsedTime;
  if (typeof bundleVersion === 'string' || bundleVersion === null) snapshot.bundleVersion = bundleVersion;
  const source = fencedSource(metadata.get(SOURCE_CODE_LABEL)?.mdStr);
  if (source !== undefined) snapshot.source = source;
  return Object.keys(snapshot).length ? snapshot : undefined;
}

// peered_dag_asset_metadata writes f"\n```python\n{source_code}\n```\n".
const SOURCE_FENCE = /^\s*```python\n([\s\S]*)\n```\s*$/;

/** The file's text inside airlift's fence; undefined for anything else (a Markdown a user wrote). */
function fencedSource(markdown: string | undefined): string | undefined {
  return markdown === undefined ? undefined : SOURCE_FENCE.exec(markdown)?.[1];
}

/** The `[{dag_id, task_id?}]` lists airlift stores as JSON metadata; anything else reads as none. */
function jsonHandles(entry: MetadataEntry | undefined): { dag_id: string; task_id?: string }[] {
  const value = parseJson(entry);
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const { dag_id: dagId, task_id: taskId } = item as Record<string, unknown>;
    if (typeof dagId !== 'string') return [];
    return [typeof taskId === 'string' ? { dag_id: dagId, task_id: taskId } : { dag_id: dagId }];
  });
}

function parseJson(entry: MetadataEntry | undefined): unknown {
  if (entry?.jsonString === undefined) return undefined;
  try {
    return JSON.parse(entry.jsonString) as unknown;
  } catch {
    return undefined;
  }
}
