// A real dagster-webserver serving dagster-airlift code locations (build_defs_from_airflow_instance, or
// a components project with an AirflowInstanceComponent), and the GraphQL reads a test makes to see what a user sees in Dagster.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { refreshDefsState, writeComponentProject, type DefsStateManagement } from './component-project.js';
import { freePort, portOpen, startServer, waitFor, type Server } from './processes.js';

export interface AirliftLocation {
  readonly name: string;
  /** AirflowInstance(name=...). */
  readonly instance: string;
  readonly airflowUrl: string;
  readonly username: string;
  readonly password: string;
  /**
   * Who serves it: the webserver's own code server (a python_file entry, the default), or a gRPC
   * server it connects to, started with `dagster api grpc` or `dagster code-server start`.
   */
  readonly server?: 'webserver' | 'api-grpc' | 'code-server';
  /**
   * An AirflowInstanceComponent in a components project instead of build_defs_from_airflow_instance,
   * its state written before the webserver starts, as a deploy's build step does (served by the webserver).
   */
  readonly component?: {
    readonly defsState?: DefsStateManagement;
    /** No state written ahead: a VERSIONED_STATE_STORAGE location has no stored version until refreshed, as after a first deploy without a build step. */
    readonly unbuilt?: boolean;
  };
  /** assets_with_task_mappings: asset key by `dagId.taskId`. */
  readonly taskAssets?: Readonly<Record<string, string>>;
}

/** A location whose definitions file raises `fails` at import: Dagster shows it LOADED with a PythonError. */
export interface FailingLocation {
  readonly name: string;
  readonly fails: string;
}

type AnyLocation = AirliftLocation | FailingLocation;
const fails = (location: AnyLocation): location is FailingLocation => 'fails' in location;

export interface RealDagster {
  readonly url: string;
  /** The asset keys (joined with `/`) each location serves, by location name. */
  assetsByLocation(): Promise<Map<string, string[]>>;
  /**
   * The job names each location serves, by location name, without Dagster's own `__ASSET_JOB`s: an
   * AirflowInstanceComponent without mappings shows a DAG as its job only (dagster_airlift job_builder.job_name).
   */
  jobsByLocation(): Promise<Map<string, string[]>>;
  /** An asset's metadata entries as label -> text (JSON entries as their JSON string); undefined when Dagster has no such asset. */
  metadata(assetKey: readonly string[]): Promise<Record<string, string> | undefined>;
  /** The locations' load times (`updatedTimestamp`): a reload moves them. */
  loadTimes(): Promise<Map<string, number>>;
  graphql<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  stop(): Promise<void>;
}

function definitionsFile(location: AirliftLocation): string {
  const byDag = new Map<string, string[]>();
  for (const [task, asset] of Object.entries(location.taskAssets ?? {})) {
    const [dagId, taskId] = task.split('.') as [string, string];
    byDag.set(dagId, [...(byDag.get(dagId) ?? []), `${JSON.stringify(taskId)}: [AssetSpec(${JSON.stringify(asset)})]`]);
  }
  const mapped = [...byDag].map(([dagId, tasks]) => `*assets_with_task_mappings(dag_id=${JSON.stringify(dagId)}, task_mappings={${tasks.join(', ')}})`);
  return [
    'from dagster import AssetSpec, Definitions',
    'from dagster_airlift.core import AirflowBasicAuthBackend, AirflowInstance, assets_with_task_mappings, build_defs_from_airflow_instance',
    '',
    'defs = build_defs_from_airflow_instance(',
    `    defs=Definitions(assets=[${mapped.join(', ')}]),`,
    '    airflow_instance=AirflowInstance(',
    `        auth_backend=AirflowBasicAuthBackend(webserver_url=${JSON.stringify(location.airflowUrl)}, username=${JSON.stringify(location.username)}, password=${JSON.stringify(location.password)}),`,
    `        name=${JSON.stringify(location.instance)},`,
    '    )',
    ')',
    '',
  ].join('\n');
}

/** `dev`: serve with `dagster dev` (webserver and daemon; every load refreshes every defs state) instead of dagster-webserver. */
export async function startDagster(options: { venv: string; home: string; logDir: string; locations: readonly AnyLocation[]; dev?: boolean }): Promise<RealDagster> {
  mkdirSync(options.home, { recursive: true });
  writeFileSync(path.join(options.home, 'dagster.yaml'), '');
  const env = { PATH: `${path.join(options.venv, 'bin')}:${process.env.PATH ?? ''}`, HOME: process.env.HOME, DAGSTER_HOME: options.home };
  const run = { cwd: options.home, env, logDir: options.logDir };
  const servers: Server[] = [];
  const workspace: Record<string, unknown>[] = [];
  const grpcPorts: { port: number; server: Server }[] = [];
  for (const location of options.locations) {
    if (!fails(location) && location.component) {
      const project = writeComponentProject({
        home: options.home,
        location: location.name,
        instance: location.instance,
        airflowUrl: location.airflowUrl,
        username: location.username,
        password: location.password,
        defsState: location.component.defsState,
      });
      // LEGACY_CODE_SERVER_SNAPSHOTS state lives in a code server's memory only: it has none to write ahead.
      if (location.component.defsState !== 'LEGACY_CODE_SERVER_SNAPSHOTS' && !location.component.unbuilt) await refreshDefsState(project, run);
      workspace.push({ python_module: { module_name: project.module, working_directory: project.root, location_name: location.name } });
      continue;
    }
    const file = `${location.name}.py`;
    writeFileSync(path.join(options.home, file), fails(location) ? `raise Exception(${JSON.stringify(location.fails)})\n` : definitionsFile(location));
    const server = fails(location) ? 'webserver' : (location.server ?? 'webserver');
    if (server === 'webserver') {
      workspace.push({ python_file: { relative_path: file, location_name: location.name } });
      continue;
    }
    const grpcPort = await freePort();
    const command = server === 'api-grpc' ? ['api', 'grpc'] : ['code-server', 'start'];
    const codeServer = startServer(`dagster-${server}-${location.name}`, 'dagster', [...command, '-f', file, '-h', '127.0.0.1', '-p', String(grpcPort)], run);
    servers.push(codeServer);
    grpcPorts.push({ port: grpcPort, server: codeServer });
    workspace.push({ grpc_server: { host: '127.0.0.1', port: grpcPort, location_name: location.name } });
  }
  writeFileSync(path.join(options.home, 'workspace.yaml'), stringify({ load_from: workspace }));
  // The webserver does not retry a code server it could not reach: start it once they all listen.
  try {
    for (const { port, server } of grpcPorts) await waitFor(server.name, () => portOpen(port), 180_000, () => server.tail());
  } catch (error) {
    await Promise.all(servers.map((server) => server.stop()));
    throw error;
  }
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const listen = ['-w', 'workspace.yaml', '-h', '127.0.0.1', '-p', String(port)];
  const webserver = options.dev ? startServer('dagster-dev', 'dagster', ['dev', ...listen], run) : startServer('dagster-webserver', 'dagster-webserver', listen, run);
  servers.push(webserver);
  const stop = async () => {
    await Promise.all(servers.map((server) => server.stop()));
  };

  async function graphql<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const response = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
    const body = (await response.json()) as { data?: T; errors?: unknown };
    if (!response.ok || body.errors || !body.data) throw new Error(`Dagster GraphQL: ${response.status} ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  interface Entries {
    workspaceOrError: { locationEntries?: { name: string; loadStatus: string; updatedTimestamp: number; locationOrLoadError: { __typename: string; message?: string } | null }[] };
  }
  const entries = async () =>
    (await graphql<Entries>('{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus updatedTimestamp locationOrLoadError { __typename ... on PythonError { message } } } } } }')).workspaceOrError
      .locationEntries ?? [];

  try {
    await waitFor(
      'Dagster webserver',
      async () => {
        const loaded = await entries();
        const meantToFail = new Set(options.locations.filter(fails).map((location) => location.name));
        const failed = loaded.find((entry) => entry.locationOrLoadError?.__typename === 'PythonError' && !meantToFail.has(entry.name));
        if (failed) return `location ${failed.name} failed to load: ${failed.locationOrLoadError!.message}`;
        return loaded.length === options.locations.length && loaded.every((entry) => entry.loadStatus === 'LOADED');
      },
      180_000,
      () => servers.map((server) => server.tail()).join('\n'),
    );
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    url,
    graphql,
    async assetsByLocation() {
      interface Repositories {
        repositoriesOrError: { nodes?: { location: { name: string }; assetNodes: { assetKey: { path: string[] } }[] }[] };
      }
      const data = await graphql<Repositories>('{ repositoriesOrError { ... on RepositoryConnection { nodes { location { name } assetNodes { assetKey { path } } } } } }');
      const byLocation = new Map<string, string[]>();
      for (const node of data.repositoriesOrError.nodes ?? []) {
        byLocation.set(node.location.name, [...(byLocation.get(node.location.name) ?? []), ...node.assetNodes.map((asset) => asset.assetKey.path.join('/'))].sort());
      }
      return byLocation;
    },
    async jobsByLocation() {
      interface Repositories {
        repositoriesOrError: { nodes?: { location: { name: string }; jobs: { name: string }[] }[] };
      }
      const data = await graphql<Repositories>('{ repositoriesOrError { ... on RepositoryConnection { nodes { location { name } jobs { name } } } } }');
      const byLocation = new Map<string, string[]>();
      for (const node of data.repositoriesOrError.nodes ?? []) {
        const jobs = node.jobs.map((job) => job.name).filter((name) => !name.startsWith('__'));
        byLocation.set(node.location.name, [...(byLocation.get(node.location.name) ?? []), ...jobs].sort());
      }
      return byLocation;
    },
    async metadata(assetKey) {
      interface Nodes {
        assetNodes: { metadataEntries: { label: string; text?: string; jsonString?: string; url?: string }[] }[];
      }
      const data = await graphql<Nodes>(
        'query ($keys: [AssetKeyInput!]) { assetNodes(assetKeys: $keys) { metadataEntries { label ... on TextMetadataEntry { text } ... on JsonMetadataEntry { jsonString } ... on UrlMetadataEntry { url } } } }',
        { keys: [{ path: assetKey }] },
      );
      const node = data.assetNodes[0];
      return node && Object.fromEntries(node.metadataEntries.map((entry) => [entry.label, entry.text ?? entry.jsonString ?? entry.url ?? '']));
    },
    async loadTimes() {
      return new Map((await entries()).map((entry) => [entry.name, entry.updatedTimestamp]));
    },
    stop,
  };
}
