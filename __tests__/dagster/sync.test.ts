// The Dagster stage end to end against the simulators: each way dagster-airlift keeps its Airflow state
// (fetched at load, in state storage, baked into the image), a `dagster api grpc` server, and Dagster+
// schemas, from discovery through the refresh and the reload to the confirm step, as the report shows it.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readConfig } from '../../src/inputs.js';
import type { Logger } from '../../src/log.js';
import type { DagChange } from '../../src/model.js';
import type { Failure } from '../../src/outcome.js';
import type { AirflowStage } from '../../src/stages/airflow.js';
import type { ChangesStage } from '../../src/stages/changes.js';
import { discoverDagster, syncDagster } from '../../src/stages/dagster.js';
import { airliftLocation, type DagsterSimulator, type DagsterSimulatorOptions, type DefsStateManagement, type SimLocation } from '../../sim/dagster.js';
import { createRepo, type GitRepo } from '../../sim/git-repo.js';
import { startGitHubSimulator, type GitHubSimulator, type SimWorkflow } from '../../sim/github.js';
import { PROXY_HEADERS, TOKEN, dags, startIn, type Mode } from './connect.js';

const GITHUB_TOKEN = 'ghp_rebuild0123';
let workspace: string;
let project: GitRepo;
let dagster: DagsterSimulator | undefined;
let github: GitHubSimulator | undefined;

beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'airlift-sync-'));
  mkdirSync(path.join(workspace, 'dags'));
  project = createRepo('airlift-project-');
  project.commit('project', { 'pyproject.toml': '[tool.dg.project]\n' });
});
afterAll(() => {
  rmSync(workspace, { recursive: true, force: true });
  project.remove();
});
afterEach(async () => {
  await Promise.all([dagster?.close(), github?.close()]);
  dagster = undefined;
  github = undefined;
});

const added: DagChange = {
  dagId: 'new_dag',
  instance: 'prod',
  kind: 'added',
  file: 'dags/new_dag.py',
  after: { tasks: ['t'], edges: [] },
  tasksAdded: ['t'],
  tasksRemoved: [],
  edgesAdded: [],
  edgesRemoved: [],
  partial: false,
};
const modified: DagChange = { ...added, dagId: 'a', kind: 'modified', file: 'dags/a.py', before: { tasks: ['t'], edges: [] }, after: { tasks: ['t', 'u'], edges: [] }, tasksAdded: ['u'] };

function pushed(...changes: DagChange[]): ChangesStage {
  return {
    range: { kind: 'diff', base: 'a'.repeat(40), head: 'b'.repeat(40), forced: false, event: 'push' },
    report: { source: 'git', githubApiRequests: 0, dags: changes, archives: [], syntaxErrors: [], dynamicDags: [], skippedFiles: [] },
    instances: [{ instance: { index: 0, name: 'prod', dagsFolders: ['dags'], ignoreSyntax: 'auto' }, changes, sources: new Map() }],
    // After every server the simulator started: what the locations hold predates the push.
    pushedAt: Date.now() + 60_000,
  };
}

const component = (name: string, defsState: DefsStateManagement, rest: Partial<SimLocation> = {}): SimLocation => ({
  ...airliftLocation(name, { instance: 'prod', style: 'component', defsState, dags: dags('a') }),
  ...rest,
});

interface World {
  readonly mode?: Mode;
  readonly locations: readonly SimLocation[];
  readonly dagster?: DagsterSimulatorOptions;
  readonly inputs?: Record<string, string>;
  readonly workflow?: SimWorkflow;
  /** Active DAG ids of live Airflow, as the Airflow stage found them; by default the stage is not run. */
  readonly live?: readonly string[];
}

async function sync(world: World, changes: ChangesStage = pushed(added), planOnly = false) {
  const mode = world.mode ?? 'self-hosted';
  dagster = await startIn(mode, { reloadMs: 20, ...world.dagster, locations: world.locations });
  for (const location of world.locations) dagster.setAirflowSource(location.name, () => dags('a', 'new_dag'));
  const env: Record<string, string> = {};
  if (world.workflow) {
    github = await startGitHubSimulator({ repoDir: project.dir, owner: 'acme', repo: 'dagster-project', token: GITHUB_TOKEN, workflows: { 'deploy.yml': world.workflow } });
    env.GITHUB_API_URL = github.url;
  }
  const inputs: Record<string, string> =
    mode === 'dagster-plus'
      ? { 'dagster-cloud-organization': 'hooli', 'dagster-cloud-url': dagster.baseUrl, 'dagster-cloud-api-token': TOKEN }
      : { 'dagster-url': dagster.baseUrl, 'dagster-headers': Object.entries(PROXY_HEADERS).map(([name, value]) => `${name}: ${value}`).join('\n') };
  // The Airflow stage is not run here: its URL is only read.
  const config = await readConfig({
    input: (name) => ({ ...inputs, 'airflow-url': 'http://127.0.0.1:9', 'poll-interval': '10ms', 'reload-timeout': '5s', ...world.inputs })[name] ?? '',
    env,
    mask: () => undefined,
    workspace,
  });
  const lines: string[] = [];
  const log: Logger = { info: (line) => lines.push(line), debug: () => undefined, warning: (line) => lines.push(line), group: (_, work) => work() };
  const discovery = await discoverDagster(config, log);
  const airflow: AirflowStage | undefined = world.live ? { reports: [], failures: [], caughtUp: true, notChecked: [], learned: [], live: [{ instance: 'prod', activeDagIds: new Set(world.live) }] } : undefined;
  const { report, failures } = await syncDagster(config, discovery, changes, airflow, new Map(), { planOnly, pollIntervalMs: 10 }, log);
  const location = (name: string) => report.locations.find((candidate) => candidate.location === name)!;
  return { report, failures, location, lines };
}

const rebuildInputs = { 'rebuild-workflow': 'acme/dagster-project/.github/workflows/deploy.yml@main', 'rebuild-token': GITHUB_TOKEN };
const messages = (failures: readonly Failure[]) => failures.map((failure) => `${failure.message} Fix: ${failure.fix}`).join('\n');

describe.each<Mode>(['self-hosted', 'dagster-plus'])('syncDagster (%s)', (mode) => {
  it('reloads a location whose component fetches Airflow at load, and reports the case', async () => {
    const { failures, location } = await sync({ mode, locations: [component('airlift', 'LEGACY_CODE_SERVER_SNAPSHOTS')] });

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({ outcome: 'loaded', refresh: { case: 'code-server-snapshot', via: 'reload', stateKeys: [{ key: 'AirflowInstanceComponent[prod]', management: 'LEGACY_CODE_SERVER_SNAPSHOTS' }] } });
    expect(location('airlift').outOfSync).toBeUndefined();
    expect(dagster!.location('airlift')).toMatchObject({ reloads: 1, dags: { prod: ['a', 'new_dag'] } });
  });

  it('refreshes stored state, sees that the refresh already reloaded the location, and confirms without reloading again', async () => {
    const { failures, location } = await sync({ mode, dagster: { refreshComponentState: true }, locations: [component('airlift', 'VERSIONED_STATE_STORAGE')] });
    const stored = dagster!.location('airlift').storedVersions.prod;

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({
      outcome: 'loaded',
      refresh: { case: 'versioned-state', via: 'refresh-state', stateKeys: [{ key: 'AirflowInstanceComponent[prod]', versionRefreshed: stored, versionAfter: stored }] },
    });
    expect(location('airlift').refresh!.stateKeys![0]!.versionBefore).not.toBe(stored);
    expect(dagster!.location('airlift')).toMatchObject({ reloads: 0, stateRefreshes: 1, dags: { prod: ['a', 'new_dag'] } });
  });

  it('fails with the dg command when Dagster has no refreshComponentState: self-hosted after a reload that served the same state, on Dagster+ without one', async () => {
    const { failures, location } = await sync({ mode, locations: [component('airlift', 'VERSIONED_STATE_STORAGE')] });

    expect(location('airlift')).toMatchObject(
      mode === 'dagster-plus' ? { outcome: 'not-supported', refresh: { case: 'versioned-state', via: 'none' } } : { outcome: 'loaded', outOfSync: ['new_dag'], refresh: { case: 'versioned-state', via: 'reload' } },
    );
    expect(failures).toHaveLength(1);
    expect(messages(failures)).toMatch(mode === 'dagster-plus' ? /Fix: Refresh the stored state with `dg plus deploy refresh-defs-state`/ : /served the same Airflow state.* Fix: Refresh the stored state with `dg utils refresh-defs-state`/);
    expect(dagster!.location('airlift').reloads).toBe(mode === 'dagster-plus' ? 0 : 1);
  });

  it("passes on the code server's refresh error without reloading", async () => {
    const { failures, location } = await sync({ mode, dagster: { refreshComponentState: true }, locations: [component('airlift', 'VERSIONED_STATE_STORAGE', { stateRefresh: 'error' })] });

    expect(location('airlift').outcome).toBe('error');
    expect(messages(failures)).toMatch(/could not refresh .*ConnectionError.* Fix: .*can reach Airflow/);
    expect(dagster!.location('airlift').reloads).toBe(0);
  });

  it('fails, naming rebuild-workflow, when the state is baked into the image and no workflow is set', async () => {
    const { failures, location } = await sync({ mode, locations: [component('airlift', 'LOCAL_FILESYSTEM')] });

    expect(location('airlift')).toMatchObject(mode === 'dagster-plus' ? { outcome: 'not-supported', refresh: { case: 'image-state', via: 'none' } } : { outcome: 'loaded', outOfSync: ['new_dag'], refresh: { case: 'image-state', via: 'reload' } });
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ input: 'rebuild-workflow', message: expect.stringMatching(/keeps its Airflow state in the image: .*LOCAL_FILESYSTEM.*A reload cannot show the push/) });
    expect(failures[0]!.fix).toMatch(/Set rebuild-workflow .*refresh-defs-state.*VERSIONED_STATE_STORAGE/);
    // Self-hosted it may run under `dagster dev`, which refreshes the state on reload: tried, then confirmed.
    expect(dagster!.location('airlift').reloads).toBe(mode === 'dagster-plus' ? 0 : 1);
  });

  it('starts the rebuild workflow once for every image-state location, follows it, and confirms the redeployed locations', async () => {
    const { failures, location } = await sync({
      mode,
      inputs: rebuildInputs,
      locations: [component('airlift', 'LOCAL_FILESYSTEM'), component('airlift_two', 'LOCAL_FILESYSTEM')],
      workflow: { durationMs: 40, onComplete: () => Promise.all([dagster!.redeploy('airlift'), dagster!.redeploy('airlift_two')]).then(() => undefined) },
    });
    const run = github!.runs[0]!;

    expect(failures).toEqual([]);
    expect(github!.runs).toHaveLength(1);
    for (const name of ['airlift', 'airlift_two']) {
      expect(location(name)).toMatchObject({ outcome: 'loaded', refresh: { case: 'image-state', via: 'rebuild', workflowRun: { id: run.id, conclusion: 'success' } } });
      expect(dagster!.location(name)).toMatchObject({ reloads: 0, redeploys: 1, dags: { prod: ['a', 'new_dag'] } });
    }
  });

  it('fails once with the run link when the rebuild run fails', async () => {
    const { failures, location } = await sync({ mode, inputs: rebuildInputs, locations: [component('airlift', 'LOCAL_FILESYSTEM')], workflow: { durationMs: 20, conclusion: 'failure' } });

    expect(location('airlift')).toMatchObject({ outcome: 'error', refresh: { workflowRun: { conclusion: 'failure' } } });
    expect(failures).toEqual([expect.objectContaining({ input: 'rebuild-workflow', message: expect.stringMatching(/actions\/runs\/\d+ ended failure/) })]);
  });

  it('says so when the rebuild run succeeds but the location never gets a new server', async () => {
    const { failures, location } = await sync({ mode, inputs: { ...rebuildInputs, 'reload-timeout': '300ms' }, locations: [component('airlift', 'LOCAL_FILESYSTEM')], workflow: { durationMs: 20 } });

    expect(location('airlift').outcome).toBe('timed-out');
    expect(messages(failures)).toMatch(/The rebuild workflow run https:\/\/github.com\/acme\/dagster-project\/actions\/runs\/\d+ succeeded, but code location "airlift" still served the server from before .* Fix: Check that the workflow deploys this code location/);
  });

  it('reports the case it would handle in a plan, without touching anything', async () => {
    const { failures, location } = await sync({ mode, locations: [component('airlift', 'LOCAL_FILESYSTEM')] }, pushed(added), true);

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({ reload: true, refresh: { case: 'image-state', via: mode === 'dagster-plus' ? 'none' : 'reload' } });
    expect(location('airlift').outcome).toBeUndefined();
    expect(dagster!.operations.map((op) => op.operationName)).not.toContain('AirliftSyncReloadLocation');
  });
});

describe('versioned state after an accepted refresh', () => {
  const accepted = () => component('airlift', 'VERSIONED_STATE_STORAGE', { stateRefresh: 'accepted', stateRefreshMs: 40 });

  it('self-hosted: polls until storage has the new version, reloads, and confirms the loaded version', async () => {
    const { failures, location } = await sync({ dagster: { refreshComponentState: true }, locations: [accepted()] }, pushed(modified));
    const stored = dagster!.location('airlift').storedVersions.prod;

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({ outcome: 'loaded', refresh: { via: 'refresh-state', stateKeys: [{ versionRefreshed: stored, versionAfter: stored }] } });
    expect(dagster!.location('airlift')).toMatchObject({ reloads: 1, stateVersions: { prod: stored } });
  });

  it('Dagster+: never reports success when the redeploy loads the version pinned at deploy, even where the DAGs cannot tell', async () => {
    const { failures, location } = await sync({ mode: 'dagster-plus', dagster: { refreshComponentState: true }, locations: [accepted()] }, pushed(modified));
    const { storedVersions, stateVersions } = dagster!.location('airlift');

    expect(stateVersions.prod).not.toBe(storedVersions.prod);
    expect(location('airlift')).toMatchObject({ outcome: 'loaded', outOfSync: ['a'], refresh: { stateKeys: [{ versionRefreshed: storedVersions.prod, versionAfter: stateVersions.prod }] } });
    expect(failures).toHaveLength(1);
    expect(messages(failures)).toMatch(/serves the old Airflow state: AirflowInstanceComponent\[prod\] version .*pinned when the location was deployed.* Fix: Deploy the location again \(`dg plus deploy`/);
  });
});

describe('versioned state on Dagster+ with a rebuild workflow', () => {
  it('deploys anew after an accepted refresh, instead of a redeploy that keeps the pinned version, and confirms the loaded version', async () => {
    const { failures, location } = await sync(
      {
        mode: 'dagster-plus',
        dagster: { refreshComponentState: true },
        inputs: rebuildInputs,
        locations: [component('airlift', 'VERSIONED_STATE_STORAGE', { stateRefresh: 'accepted', stateRefreshMs: 40 })],
        workflow: { durationMs: 20, onComplete: () => dagster!.redeploy('airlift') },
      },
      pushed(modified),
    );
    const { storedVersions } = dagster!.location('airlift');

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({ outcome: 'loaded', refresh: { via: 'refresh-state', workflowRun: { conclusion: 'success' }, stateKeys: [{ versionRefreshed: storedVersions.prod, versionAfter: storedVersions.prod }] } });
    expect(location('airlift').outOfSync).toBeUndefined();
    expect(dagster!.location('airlift')).toMatchObject({ reloads: 0, redeploys: 1, stateRefreshes: 1 });
    expect(github!.runs).toHaveLength(1);
  });
});

describe('`dagster dev`, which refreshes every state on reload', () => {
  it.each<DefsStateManagement>(['LOCAL_FILESYSTEM', 'VERSIONED_STATE_STORAGE'])('reloads a %s component and confirms instead of refusing', async (defsState) => {
    const { failures, location } = await sync({ locations: [component('airlift', defsState, { dev: true })] });

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({ outcome: 'loaded', refresh: { via: 'reload' } });
    expect(location('airlift').outOfSync).toBeUndefined();
    expect(dagster!.location('airlift')).toMatchObject({ reloads: 1, dags: { prod: ['a', 'new_dag'] } });
  });
});

describe('a DAG the location leaves out on purpose', () => {
  const filtered = () => airliftLocation('airlift', { instance: 'prod', dags: dags('a') }, { dagFilter: (dagId) => dagId !== 'new_dag' });

  it('is reported as excluded by the location, not as a failure, after a reload that fetched Airflow again', async () => {
    const { failures, location, report } = await sync({ locations: [filtered()], live: ['a', 'new_dag'] });

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({ outcome: 'loaded', excluded: [{ instance: 'prod', dagId: 'new_dag' }] });
    expect(location('airlift').outOfSync).toBeUndefined();
    expect(report.locations).toHaveLength(1);
  });

  it('is still a failure when Airflow does not have it either', async () => {
    const { failures, location } = await sync({ locations: [filtered()], live: ['a'] });

    expect(location('airlift')).toMatchObject({ outcome: 'loaded', outOfSync: ['new_dag'] });
    expect(location('airlift').excluded).toBeUndefined();
    expect(messages(failures)).toMatch(/new_dag missing/);
  });
});

describe('a code server with a fixed server id', () => {
  it('is confirmed, not called "not re-imported", when the reload fetched Airflow again', async () => {
    const { failures, location } = await sync({ locations: [airliftLocation('airlift', { instance: 'prod', dags: dags('a') }, { fixedServerId: 'airlift-code-server' })] }, pushed(modified));

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({ outcome: 'loaded', refresh: { via: 'reload' } });
    expect(location('airlift').outOfSync).toBeUndefined();
    expect(dagster!.location('airlift')).toMatchObject({ reloads: 1, serverId: 'airlift-code-server' });
  });
});

describe('a `dagster api grpc` code server', () => {
  it('fails, never succeeds, when the reload keeps the same server, even where the DAG ids cannot tell', async () => {
    const grpc = (name: string) => airliftLocation(name, { instance: 'prod', dags: dags('a') }, { reload: 'grpc-no-reimport' });
    const { failures, location } = await sync({ locations: [grpc('airlift')] }, pushed(modified));

    expect(location('airlift')).toMatchObject({ outcome: 'loaded', outOfSync: ['a'], refresh: { case: 'code-server-snapshot', via: 'reload' } });
    expect(failures).toHaveLength(1);
    expect(failures[0]!.message).toMatch(/answered the reload, but its server did not re-import .*same server id.*dagster api grpc/);
    expect(failures[0]!.fix).toMatch(/dagster code-server start/);
  });

  it('names the missing DAG and the cause when the added DAG does not show', async () => {
    const { failures, location } = await sync({ locations: [airliftLocation('airlift', { instance: 'prod', dags: dags('a') }, { reload: 'grpc-no-reimport' })] });

    expect(location('airlift')).toMatchObject({ outcome: 'loaded', outOfSync: ['new_dag'] });
    expect(messages(failures)).toMatch(/still does not show the push: new_dag missing\. .*did not re-import.* Fix: Run the code server with `dagster code-server start`/);
  });
});

describe('Dagster+ schemas', () => {
  const OLD = { cloudRoots: true, omitFields: ['Query.workspaceLocationEntryOrError', 'WorkspaceLocationEntry.versionKey', 'WorkspaceLocationStatusEntry.versionKey', 'WorkspaceLocationEntry.defsStateInfo', 'AssetNode.kinds', 'Query.latestDefsStateInfo'] };

  it('refreshes stored state through CloudMutation on a newer Dagster+ without workspaceLocationEntryOrError or versionKey', async () => {
    const { failures, location } = await sync({
      mode: 'dagster-plus',
      dagster: { cloudRoots: true, refreshComponentState: true, omitFields: ['Query.workspaceLocationEntryOrError', 'WorkspaceLocationEntry.versionKey'] },
      locations: [component('airlift', 'VERSIONED_STATE_STORAGE')],
    });

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({ outcome: 'loaded', refresh: { case: 'versioned-state', via: 'refresh-state' } });
    expect(dagster!.location('airlift').dags).toEqual({ prod: ['a', 'new_dag'] });
  });

  it('reloads and confirms when an old schema does not show the state at all (case unknown)', async () => {
    const { failures, location } = await sync({ mode: 'dagster-plus', dagster: OLD, locations: [component('airlift', 'LEGACY_CODE_SERVER_SNAPSHOTS')] });

    expect(failures).toEqual([]);
    expect(location('airlift')).toMatchObject({ outcome: 'loaded', refresh: { case: 'unknown', via: 'reload', evidence: expect.stringContaining('does not show defsStateInfo') } });
  });

  it('explains an old schema whose location turns out to keep the state in the image: the confirm step catches it', async () => {
    const { failures, location } = await sync({ mode: 'dagster-plus', dagster: OLD, locations: [component('airlift', 'LOCAL_FILESYSTEM')] });

    expect(location('airlift')).toMatchObject({ outcome: 'loaded', outOfSync: ['new_dag'], refresh: { case: 'unknown' } });
    expect(messages(failures)).toMatch(/still does not show the push: new_dag missing/);
  });
});
