// The definitions dagster-airlift builds for Airflow instances, as Dagster's GraphQL API shows them.
// Written from dagster-io/dagster, python_modules/libraries/dagster-airlift/dagster_airlift/:
// - build_defs_from_airflow_instance (core/load_defs.py, core/serialization/defs_construction.py,
//   core/dag_asset.py): an asset per DAG keyed [instance, "dag", sanitized dag id], kinds airflow and
//   dag, metadata "Dag Info (raw)", "Dag ID", "Link to DAG", "dagster-airlift/peered-dag-mapping" and
//   "Source Code" (under 50 DAGs); the sensor `<instance>__airflow_dag_status_sensor`
//   (core/sensor/sensor_builder.py);
// - AirflowInstanceComponent (core/components/airflow_instance/component.py, core/job_builder.py,
//   core/monitoring_job/builder.py): a job per DAG with the same metadata, tagged dagster/kind/airflow,
//   dagster/external_job_source=airflow and dagster-airlift/airflow-dag-id; the job
//   `<instance>__airflow_monitoring_job` and sensor `<instance>__airflow_monitoring_job_sensor`;
//   defs-state key `AirflowInstanceComponent[<instance>]`, LEGACY_CODE_SERVER_SNAPSHOTS by default;
// - assets mapped to tasks (core/utils.py, defs_construction.metadata_for_mapped_tasks): metadata
//   "dagster-airlift/task-mapping" = [{dag_id, task_id}], enriched with "Task Info (raw)", "Dag ID",
//   "Link to DAG", "Task ID", and the kind airliftmapped; assets mapped to a whole DAG
//   (assets_with_dag_mappings) carry "dagster-airlift/dag-mapping" = [{dag_id}] and the DAG's metadata.

export interface SimDag {
  readonly dagId: string;
  /** Tasks that user assets are mapped to (what task-mapping metadata shows). */
  readonly tasks?: readonly string[];
  /** Keys (`/`-joined) of user assets mapped to the whole DAG (what dag-mapping metadata shows). */
  readonly dagAssets?: readonly string[];
  /** Default /opt/airflow/dags/<dag id>.py. */
  readonly fileloc?: string;
  /** Airflow's last_parsed_time in the record airlift fetched. Default: when airlift fetched it. */
  readonly lastParsedTime?: string;
  /** Airflow 3's bundle_version; absent from Airflow 2 records. */
  readonly bundleVersion?: string | null;
  /** A user asset mapped to the whole DAG (assets_with_dag_mappings): metadata dagster-airlift/dag-mapping. */
  readonly mappedAsset?: string;
  /** The file's text Airflow stored, shown as "Source Code" (below 50 DAGs). Default a placeholder comment. */
  readonly source?: string;
}

export interface SimAirflowInstance {
  readonly instance: string;
  readonly dags: readonly SimDag[];
  /** `assets`: build_defs_from_airflow_instance (default). `component`: AirflowInstanceComponent. */
  readonly style?: 'assets' | 'component';
  /** The component's `defs_state` management type (component style only). Default LEGACY_CODE_SERVER_SNAPSHOTS. */
  readonly defsState?: DefsStateManagement;
  /** Default https://airflow.invalid/<instance>. */
  readonly webserverUrl?: string;
  /**
   * `older`: what earlier airlift releases built: build_defs_from_airflow_instance with the plain sensor
   * `airflow_dag_status_sensor` and DAG assets without kinds or peered mapping; AirflowInstanceComponent's
   * monitoring job run by the schedule `<instance>__airflow_monitoring_job_schedule`.
   */
  readonly release?: 'older';
}

/**
 * Where AirflowInstanceComponent keeps what it fetched from Airflow (DefsStateManagementType):
 * - LEGACY_CODE_SERVER_SNAPSHOTS: fetched again whenever a code server loads, so every real reload refreshes it;
 * - LOCAL_FILESYSTEM: written at build time (`dg utils refresh-defs-state`) and baked into the image: a reload
 *   serves the same state, only a rebuild and redeploy (the simulator's `redeploy`) changes it;
 * - VERSIONED_STATE_STORAGE: read from the instance's state storage at load: a reload serves the latest stored
 *   version, and refreshComponentState stores a new one.
 */
export type DefsStateManagement = 'LEGACY_CODE_SERVER_SNAPSHOTS' | 'LOCAL_FILESYSTEM' | 'VERSIONED_STATE_STORAGE';

/** How the simulator answers refreshComponentState for a location (the mutation exists only with `refreshComponentState: true`). */
export type StateRefreshBehaviour =
  /** The code server fetched Airflow within the mutation's wait: the new version is stored and the location reloaded. */
  | 'success'
  /** The wait elapsed first: the new version is stored `stateRefreshMs` later (poll latestDefsStateInfo). */
  | 'accepted'
  /** Accepted, and the refresh never finishes. */
  | 'accepted-never'
  /** The code server's refresh failed (e.g. it cannot reach Airflow). */
  | 'error'
  | 'unauthorized'
  | 'python-error';

/** What the simulator does when asked to reload a location. */
export type ReloadBehaviour =
  /** New server, definitions rebuilt from the location's Airflow source. */
  | 'success'
  /** New server that fails to import: LOADED with a PythonError. */
  | 'load-error'
  /** LOADING forever. */
  | 'stuck'
  | 'not-supported'
  | 'not-found'
  /** A read-only webserver, or a token without the Editor role. */
  | 'unauthorized'
  | 'python-error'
  /** A plain `dagster api grpc` server: answers success, serves the same server and definitions. */
  | 'grpc-no-reimport';

export interface SimLocation {
  readonly name: string;
  readonly airflow?: readonly SimAirflowInstance[];
  /** Plain (non-airlift) assets, by key path. */
  readonly assets?: readonly (readonly string[])[];
  readonly reload?: ReloadBehaviour;
  /** The message for load-error, python-error, not-supported or unauthorized. */
  readonly message?: string;
  /** Set: the location is currently LOADED with this load error. */
  readonly loadError?: string;
  /** How refreshComponentState answers for this location. Default `success`. */
  readonly stateRefresh?: StateRefreshBehaviour;
  /** For `accepted`: how long the refresh keeps running after the answer. Default 50 ms. */
  readonly stateRefreshMs?: number;
  /**
   * `dagster code-server start --fixed-server-id <id>`: every real reload re-imports, yet the server id (and so
   * Dagster's versionKey) stays this value (dagster/_grpc/proxy_server.py, GetServerId).
   */
  readonly fixedServerId?: string;
  /**
   * Served by `dagster dev`: every load refreshes each component's state, whatever its defs_state
   * (StateBackedComponent.build_defs: `using_dagster_dev() and refresh_if_dev`, which defaults to true).
   */
  readonly dev?: boolean;
  /** The location's DAG filter (dag_selector_fn, retrieval_filter, the component's filter): false leaves the DAG out. */
  readonly dagFilter?: (dagId: string) => boolean;
}

/**
 * The defs-state versions of the modes that keep no versions: constants, not per-server values
 * (dagster_shared/serdes/objects/models/defs_state_info.py: LOCAL_STATE_VERSION, CODE_SERVER_STATE_VERSION).
 */
export const LOCAL_STATE_VERSION = '__local__';
export const CODE_SERVER_STATE_VERSION = '__code_server__';

export function airliftLocation(
  name: string,
  instances: SimAirflowInstance | readonly SimAirflowInstance[],
  rest: Omit<SimLocation, 'name' | 'airflow'> = {},
): SimLocation {
  return { ...rest, name, airflow: Array.isArray(instances) ? instances : [instances as SimAirflowInstance] };
}

/** AirflowInstanceComponent's default defs-state key. */
export function stateKey(instance: string): string {
  return `AirflowInstanceComponent[${instance}]`;
}

/** Dagster's convert_to_valid_dagster_name: `/` becomes `__`, anything else outside [A-Za-z0-9_] `_`. */
function validDagsterName(name: string): string {
  return [...name].map((c) => (/[A-Za-z0-9_]/.test(c) ? c : c === '/' ? '__' : '_')).join('');
}

export interface Definitions {
  readonly jobs: readonly Record<string, unknown>[];
  readonly assetNodes: readonly Record<string, unknown>[];
  readonly sensors: readonly Record<string, unknown>[];
  readonly schedules: readonly Record<string, unknown>[];
  /** AirflowInstanceComponent's defs-state keys, one per component instance. */
  readonly stateKeys: readonly { readonly key: string; readonly instance: string; readonly management: DefsStateManagement }[];
}

export function definitions(location: string, airflow: readonly SimAirflowInstance[], assets: readonly (readonly string[])[]): Definitions {
  const jobs: Record<string, unknown>[] = [];
  const assetNodes: Record<string, unknown>[] = assets.map((path) => assetNode(location, path, ['python'], []));
  const sensors: Record<string, unknown>[] = [];
  const schedules: Record<string, unknown>[] = [];
  const stateKeys: Definitions['stateKeys'][number][] = [];
  for (const source of airflow) {
    const { instance } = source;
    const webserver = source.webserverUrl ?? `https://airflow.invalid/${instance}`;
    const withSourceCode = source.dags.length < 50;
    const older = source.release === 'older';
    for (const dag of source.dags) {
      const dagMetadata = [
        json('Dag Info (raw)', dagInfo(dag)),
        text('Dag ID', dag.dagId),
        url('Link to DAG', `${webserver}/dags/${dag.dagId}`),
        ...(older ? [] : [json('dagster-airlift/peered-dag-mapping', [{ dag_id: dag.dagId }])]),
        ...(withSourceCode ? [markdown('Source Code', `\n\`\`\`python\n${dag.source ?? `# ${dag.dagId}`}\n\`\`\`\n`)] : []),
      ];
      if (dag.mappedAsset) assetNodes.push(assetNode(location, [dag.mappedAsset], ['airliftmapped'], [json('dagster-airlift/dag-mapping', [{ dag_id: dag.dagId }])]));
      if (source.style === 'component') {
        const tags = { 'dagster/kind/airflow': '', 'dagster/external_job_source': 'airflow', 'dagster-airlift/airflow-dag-id': dag.dagId };
        jobs.push(job(validDagsterName(dag.dagId), tags, [...dagMetadata, ...componentOrigin(location)], (dag.tasks ?? []).length > 0));
      } else {
        assetNodes.push(assetNode(location, [instance, 'dag', validDagsterName(dag.dagId)], older ? [] : ['airflow', 'dag'], dagMetadata));
      }
      // dag_asset_metadata (core/dag_asset.py): Dag Info, Dag ID and the link, without the peered mapping.
      for (const key of dag.dagAssets ?? []) {
        assetNodes.push(assetNode(location, key.split('/'), ['airliftmapped'], [json('dagster-airlift/dag-mapping', [{ dag_id: dag.dagId }]), ...dagMetadata.slice(0, 3)]));
      }
      for (const task of dag.tasks ?? []) {
        assetNodes.push(
          assetNode(location, [instance, validDagsterName(dag.dagId), validDagsterName(task)], ['airliftmapped'], [
            json('dagster-airlift/task-mapping', [{ dag_id: dag.dagId, task_id: task }]),
            json('Task Info (raw)', { task_id: task, downstream_task_ids: [] }),
            text('Dag ID', dag.dagId),
            url('Link to DAG', `${webserver}/dags/${dag.dagId}`),
            text('Task ID', task),
          ]),
        );
      }
    }
    if (source.style === 'component') {
      jobs.push(job(`${instance}__airflow_monitoring_job`, {}, componentOrigin(location), false));
      if (older) schedules.push(schedule(`${instance}__airflow_monitoring_job_schedule`));
      else sensors.push(sensor(`${instance}__airflow_monitoring_job_sensor`));
      stateKeys.push({ key: stateKey(instance), instance, management: source.defsState ?? 'LEGACY_CODE_SERVER_SNAPSHOTS' });
    } else {
      sensors.push(sensor(older ? 'airflow_dag_status_sensor' : `${instance}__airflow_dag_status_sensor`));
    }
  }
  // Dagster's implicit asset job, in every repository that has assets (recorded on dagster 1.13.27).
  if (assetNodes.length) jobs.push(job('__ASSET_JOB', {}, [], true));
  return { jobs, assetNodes, sensors, schedules, stateKeys };
}

/** What Dagster adds to every definition a component builds (recorded on dagster 1.13.27, dagster-airlift 0.29.27). */
function componentOrigin(location: string): Record<string, unknown>[] {
  return [
    {
      __typename: 'CodeReferencesMetadataEntry',
      label: 'dagster/code_references',
      description: null,
      codeReferences: [{ __typename: 'LocalFileCodeReference', filePath: `/opt/dagster/app/${location}/defs/airflow/defs.yaml`, lineNumber: 1, label: null }],
    },
    text('dagster/component_origin', 'AirflowInstanceComponent'),
  ];
}

function dagInfo(dag: SimDag): Record<string, unknown> {
  const fileloc = dag.fileloc ?? `/opt/airflow/dags/${dag.dagId}.py`;
  return {
    dag_id: dag.dagId,
    dag_display_name: dag.dagId,
    fileloc,
    file_token: Buffer.from(fileloc).toString('base64url'),
    is_active: true,
    is_paused: false,
    last_parsed_time: dag.lastParsedTime ?? null,
    ...(dag.bundleVersion === undefined ? {} : { bundle_version: dag.bundleVersion }),
    owners: ['airflow'],
    tags: [],
  };
}

function job(name: string, tags: Record<string, string>, metadataEntries: readonly unknown[], isAssetJob: boolean): Record<string, unknown> {
  return {
    __typename: 'Job',
    id: name,
    name,
    description: null,
    tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
    metadataEntries,
    isJob: true,
    isAssetJob,
    externalJobSource: tags['dagster/external_job_source'] ?? null,
  };
}

function assetNode(location: string, path: readonly string[], kinds: readonly string[], metadataEntries: readonly unknown[]): Record<string, unknown> {
  return {
    __typename: 'AssetNode',
    id: `${location}.__repository__.${JSON.stringify(path)}`,
    assetKey: { path },
    description: null,
    groupName: 'default',
    jobNames: [],
    kinds,
    tags: kinds.map((kind) => ({ key: `dagster/kind/${kind}`, value: '' })),
    metadataEntries,
  };
}

function schedule(name: string): Record<string, unknown> {
  return { __typename: 'Schedule', id: name, name, cronSchedule: '* * * * *' };
}

function sensor(name: string): Record<string, unknown> {
  return { __typename: 'Sensor', id: name, jobOriginId: name, name, description: null, minIntervalSeconds: 30, tags: [], metadataEntries: [] };
}

const text = (label: string, value: string) => ({ __typename: 'TextMetadataEntry', label, description: null, text: value });
const url = (label: string, value: string) => ({ __typename: 'UrlMetadataEntry', label, description: null, url: value });
const json = (label: string, value: unknown) => ({ __typename: 'JsonMetadataEntry', label, description: null, jsonString: JSON.stringify(value) });
const markdown = (label: string, value: string) => ({ __typename: 'MarkdownMetadataEntry', label, description: null, mdStr: value });
