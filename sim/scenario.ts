// A whole world for the action: a real git repository of Airflow DAGs, a
// simulated Airflow that parses it, and a simulated Dagster whose airlift code
// location mirrors that Airflow. Used by the demo and the end-to-end tests.
import { createRepo, pushPayload, type GitRepo } from './git-repo.js';
import { startAirflowSimulator, type AirflowSimulator, type ApiVersion, type DagRecord, type PublishOptions } from './airflow.js';
import {
  airliftLocation,
  startDagsterSimulator,
  type DagsterSimulator,
  type DefsStateManagement,
  type ReloadBehaviour,
  type SimDag,
  type SimLocation,
  type StateRefreshBehaviour,
} from './dagster.js';
import type { SchemaVariant } from './dagster-schema.js';
import { startGitHubSimulator, type GitHubSimulator, type SimWorkflow } from './github.js';
import { BASE_DAGS, BASE_FILES, HEAD_DAGS, HEAD_FILES, type DemoDag } from './demo-dags.js';

export const INSTANCE = 'prod';
export const LOCATION = 'airlift_prod';
/** A second airlift location, for another Airflow instance: the push must not reload it. */
export const OTHER_LOCATION = 'airlift_marketing';
export const DAGSTER_TOKEN = 'user:demo-dagster-token-0123456789';
export const AIRFLOW_PASSWORD = 'demo-airflow-password';

export interface ScenarioOptions {
  readonly apiVersion?: ApiVersion;
  readonly dagster?: 'dagster-plus' | 'self-hosted';
  /** How long the simulated DAG processor takes to parse the push. */
  readonly parseDelayMs?: number;
  readonly reloadMs?: number;
  readonly reload?: ReloadBehaviour;
  readonly latencyMs?: number;
  /** The airlift location as an AirflowInstanceComponent with this defs_state (default: build_defs_from_airflow_instance). */
  readonly defsState?: DefsStateManagement;
  /** Serve refreshComponentState (a newer Dagster), answering this way. */
  readonly stateRefresh?: StateRefreshBehaviour;
  /** An older or Dagster+ schema: roots renamed, fields removed. */
  readonly schema?: Pick<SchemaVariant, 'cloudRoots' | 'omitFields'>;
  /** How the airlift location's code server runs (`dagster dev`, a fixed server id), and its DAG filter. */
  readonly location?: Pick<SimLocation, 'dev' | 'fixedServerId' | 'dagFilter'>;
  /**
   * A GitHub API with the workflow REBUILD_WORKFLOW that rebuilds the Dagster project: each run
   * redeploys the airlift location (unless `redeploys: false`) before it completes. Sets the
   * rebuild inputs, and GITHUB_API_URL in `env`.
   */
  readonly rebuild?: Pick<SimWorkflow, 'durationMs' | 'conclusion'> & { readonly redeploys?: boolean };
}

/** The rebuild workflow's repository and file, in the scenario's GitHub API. */
export const REBUILD_WORKFLOW = 'acme/dagster-project/.github/workflows/deploy.yml';
export const GITHUB_TOKEN = 'ghp_demo-rebuild-token-0123456789';

export interface Scenario {
  readonly repo: GitRepo;
  readonly base: string;
  readonly head: string;
  readonly airflow: AirflowSimulator;
  readonly dagster: DagsterSimulator;
  /** Set with the `rebuild` option. */
  readonly github?: GitHubSimulator;
  /** The action's inputs for this world. */
  readonly inputs: Record<string, string>;
  /** Environment variables the action needs in this world (GITHUB_API_URL with `rebuild`). */
  readonly env: Record<string, string>;
  /** The push event payload for base..head. */
  readonly payload: Record<string, unknown>;
  /** Lets the simulated Airflow start parsing the pushed revision. */
  publishHead(options?: PublishOptions): void;
  close(): Promise<void>;
}

export async function startScenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const apiVersion = options.apiVersion ?? 'v2';
  const repo = createRepo('airlift-demo-');
  const base = repo.commit('Airflow DAGs', BASE_FILES);
  const head = repo.commit('Add new_reporting, drop legacy_export, validate orders', HEAD_FILES);
  repo.git('checkout', '-q', head);

  const sourceAt = (rev: string, file: string) => (rev === head ? HEAD_FILES : BASE_FILES)[`dags/${file}`] ?? '';
  const airflow = await startAirflowSimulator({
    apiVersion,
    auth: apiVersion === 'v2' ? { kind: 'jwt', username: 'admin', password: AIRFLOW_PASSWORD } : { kind: 'basic', username: 'admin', password: AIRFLOW_PASSWORD },
    bundleVersion: base,
    latencyMs: options.latencyMs,
    dags: BASE_DAGS.map((dag) => record(dag, sourceAt(base, dag.file), new Date(Date.now() - 3_600_000).toISOString())),
  });

  const liveDags = () => airliftFetch(airflow);
  const dagster = await startDagsterSimulator({
    ...options.schema,
    ...(options.stateRefresh ? { refreshComponentState: true } : {}),
    deployment: options.dagster ?? 'dagster-plus',
    auth: (options.dagster ?? 'dagster-plus') === 'dagster-plus' ? { kind: 'dagster-plus', token: DAGSTER_TOKEN } : { kind: 'none' },
    basePath: '/prod',
    reloadMs: options.reloadMs ?? 300,
    latencyMs: options.latencyMs,
    locations: [
      airliftLocation(
        LOCATION,
        { instance: INSTANCE, dags: liveDags(), ...(options.defsState ? { style: 'component', defsState: options.defsState } : {}) },
        { reload: options.reload, ...(options.stateRefresh ? { stateRefresh: options.stateRefresh } : {}), ...options.location },
      ),
      airliftLocation(OTHER_LOCATION, { instance: 'marketing', dags: [{ dagId: 'campaign_sync' }] }),
      { name: 'analytics', assets: [['warehouse', 'orders']] },
    ],
  });
  // On reload the airlift location re-reads Airflow, as dagster-airlift does when its code server loads.
  dagster.setAirflowSource(LOCATION, liveDags);

  const inputs: Record<string, string> = {
    'airflow-url': airflow.url,
    'airflow-instance-name': INSTANCE,
    'airflow-username': 'admin',
    'airflow-password': AIRFLOW_PASSWORD,
    'dags-folder': 'dags',
    'dagster-cloud-organization': 'hooli',
    'dagster-cloud-deployment': 'prod',
    'dagster-cloud-url': dagster.baseUrl,
    'dagster-cloud-api-token': DAGSTER_TOKEN,
    'github-token': '',
  };
  if ((options.dagster ?? 'dagster-plus') === 'self-hosted') {
    delete inputs['dagster-cloud-organization'];
    delete inputs['dagster-cloud-url'];
    delete inputs['dagster-cloud-api-token'];
    inputs['dagster-url'] = dagster.baseUrl;
  }
  const env: Record<string, string> = {};
  let github: GitHubSimulator | undefined;
  if (options.rebuild) {
    const { redeploys = true, ...workflow } = options.rebuild;
    const [owner = '', name = ''] = REBUILD_WORKFLOW.split('/');
    github = await startGitHubSimulator({
      repoDir: repo.dir,
      owner,
      repo: name,
      token: GITHUB_TOKEN,
      workflows: { 'deploy.yml': { durationMs: 200, ...workflow, ...(redeploys ? { onComplete: () => dagster.redeploy(LOCATION) } : {}) } },
    });
    inputs['rebuild-workflow'] = `${REBUILD_WORKFLOW}@main`;
    inputs['rebuild-token'] = GITHUB_TOKEN;
    env.GITHUB_API_URL = github.url;
  }

  return {
    repo,
    base,
    head,
    airflow,
    dagster,
    ...(github ? { github } : {}),
    inputs,
    env,
    payload: pushPayload(repo, base, head, { repository: { ...repositoryOf(), pushed_at: Math.floor(Date.now() / 1000) - 1 } }),
    publishHead(publishOptions = { delayMs: options.parseDelayMs ?? 1000 }) {
      airflow.publish(
        {
          commit: head,
          files: HEAD_DAGS.map((dag) => ({ path: dag.file, source: sourceAt(head, dag.file), dags: [record(dag, sourceAt(head, dag.file))] })),
          removed: BASE_DAGS.filter((dag) => !HEAD_DAGS.some((next) => next.file === dag.file)).map((dag) => dag.file),
        },
        publishOptions,
      );
    },
    async close() {
      await Promise.all([airflow.close(), dagster.close(), github?.close()]);
      repo.remove();
    },
  };
}

/**
 * What dagster-airlift fetches from Airflow when its code server loads: the active DAGs, with the
 * DAG record (parse time, and on Airflow 3 the bundle version) and the stored source it keeps as metadata.
 */
export function airliftFetch(airflow: AirflowSimulator): SimDag[] {
  return airflow.state
    .dags()
    .filter((dag) => dag.active)
    .map((dag) => {
      const source = airflow.state.source(dag.file);
      return {
        dagId: dag.dagId,
        fileloc: airflow.fileloc(dag.file),
        lastParsedTime: dag.lastParsed.toISOString(),
        ...(airflow.apiVersion === 'v2' ? { bundleVersion: dag.bundleVersion } : {}),
        ...(source === undefined ? {} : { source }),
      };
    });
}

function record(dag: DemoDag, source: string, lastParsedTime?: string): DagRecord {
  return {
    dagId: dag.dagId,
    file: dag.file,
    source,
    tasks: Object.entries(dag.tasks).map(([taskId, downstream]) => ({ taskId, downstream })),
    ...(lastParsedTime ? { lastParsedTime } : {}),
  };
}

function repositoryOf() {
  return { full_name: 'acme/airflow-dags', name: 'airflow-dags', owner: { login: 'acme' }, default_branch: 'main' };
}
