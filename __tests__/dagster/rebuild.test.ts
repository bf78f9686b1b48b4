// Starting the rebuild workflow and following its run, against the GitHub simulator's Actions endpoints.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runRebuild } from '../../src/github/dispatch.js';
import type { RebuildConfig } from '../../src/inputs.js';
import { createRepo, type GitRepo } from '../../sim/git-repo.js';
import { startGitHubSimulator, type GitHubSimulator, type GitHubSimulatorOptions } from '../../sim/github.js';

const TOKEN = 'ghp_rebuildtoken0123';
let repo: GitRepo;
let github: GitHubSimulator | undefined;

beforeAll(() => {
  repo = createRepo('airlift-rebuild-');
  repo.commit('project', { 'pyproject.toml': '[tool.dg.project]\n' });
});
afterAll(() => repo.remove());
afterEach(async () => {
  await github?.close();
  github = undefined;
});

async function start(options: Partial<GitHubSimulatorOptions> = {}): Promise<GitHubSimulator> {
  github = await startGitHubSimulator({ repoDir: repo.dir, owner: 'acme', repo: 'dagster-project', token: TOKEN, workflows: { 'deploy.yml': { durationMs: 60 } }, ...options });
  return github;
}

function config(sim: GitHubSimulator, overrides: Partial<RebuildConfig> = {}): RebuildConfig {
  return {
    owner: 'acme',
    repo: 'dagster-project',
    workflow: 'deploy.yml',
    trigger: { kind: 'workflow_dispatch', ref: 'main' },
    token: TOKEN,
    tokenInput: 'rebuild-token',
    apiUrl: new URL(sim.url),
    timeoutMs: 5_000,
    ...overrides,
  };
}

const log: string[] = [];
const options = { pollIntervalMs: 10, log: (line: string) => log.push(line) };

describe('runRebuild', () => {
  it('dispatches the workflow, learns the run id from the answer, and follows it to success', async () => {
    const sim = await start();

    const result = await runRebuild(config(sim), options);

    expect(result).toEqual({ ok: true, run: { id: sim.runs[0]!.id, url: `https://github.com/acme/dagster-project/actions/runs/${sim.runs[0]!.id}`, status: 'completed', conclusion: 'success' } });
    expect(sim.runs).toHaveLength(1);
    expect(sim.runs[0]).toMatchObject({ event: 'workflow_dispatch', ref: 'main' });
    expect(sim.requests.filter((request) => request.path.includes('/runs?'))).toEqual([]);
  });

  it('finds the run by listing on a GitHub Enterprise Server that refuses return_run_details, ignoring older runs', async () => {
    const sim = await start({ runDetails: false });
    await runRebuild(config(sim), options);

    const result = await runRebuild(config(sim), options);

    expect(sim.runs).toHaveLength(2);
    expect(result).toMatchObject({ ok: true, run: { id: sim.runs[1]!.id, conclusion: 'success' } });
    expect(sim.requests.filter((request) => request.method === 'POST').map((request) => request.status)).toEqual([400, 204, 400, 204]);
  });

  it('starts it with repository_dispatch, sending the payload, and finds its run', async () => {
    const sim = await start({ workflows: { 'deploy.yml': { durationMs: 30, on: ['repository_dispatch'], types: ['airlift-rebuild'] } } });

    const result = await runRebuild(config(sim, { trigger: { kind: 'repository_dispatch', eventType: 'airlift-rebuild' } }), { ...options, payload: { locations: ['airlift_prod'] } });

    expect(result).toMatchObject({ ok: true, run: { conclusion: 'success' } });
    expect(sim.runs[0]).toMatchObject({ event: 'repository_dispatch', clientPayload: { locations: ['airlift_prod'] } });
  });

  it('calls the run hook before the run shows completed', async () => {
    let sawStatus = '';
    const sim = await start({ workflows: { 'deploy.yml': { durationMs: 20, onComplete: (run) => void (sawStatus = run.status) } } });

    await runRebuild(config(sim), options);

    expect(sawStatus).toBe('in_progress');
  });

  it('fails with the run link when the run does not succeed', async () => {
    const sim = await start({ workflows: { 'deploy.yml': { durationMs: 20, conclusion: 'failure' } } });

    const result = await runRebuild(config(sim), options);

    expect(result).toMatchObject({ ok: false, input: 'rebuild-workflow', run: { conclusion: 'failure' } });
    expect(result.ok || result.message).toMatch(/run https:\/\/github\.com\/acme\/dagster-project\/actions\/runs\/\d+ ended failure/);
  });

  it('times out, naming rebuild-timeout, while the run is still going', async () => {
    const sim = await start({ workflows: { 'deploy.yml': { durationMs: 5_000 } } });

    const result = await runRebuild(config(sim, { timeoutMs: 200 }), options);

    expect(result).toMatchObject({ ok: false, input: 'rebuild-timeout' });
    expect(result.ok || result.message).toMatch(/had not finished after 0\.2 s \(status (queued|in_progress)\)/);
  });

  it.each([
    ['a token GitHub rejects', { token: 'wrong' }, {}, 'rebuild-token', /Actions: write on acme\/dagster-project/],
    ['a workflow GitHub does not have', { workflow: 'nope.yml' }, {}, 'rebuild-workflow', /GitHub has no acme\/dagster-project\/\.github\/workflows\/nope\.yml/],
    ['a workflow without workflow_dispatch', {}, { workflows: { 'deploy.yml': { on: ['repository_dispatch'] } } }, 'rebuild-workflow', /has `on: workflow_dispatch`/],
    ['a ref that does not exist', { trigger: { kind: 'workflow_dispatch', ref: 'nope' } }, {}, 'rebuild-workflow', /the ref nope exists/],
  ] as const)('explains %s', async (_, overrides, simOptions, input, fix) => {
    const sim = await start(simOptions as Partial<GitHubSimulatorOptions>);

    const result = await runRebuild(config(sim, overrides as Partial<RebuildConfig>), options);

    expect(result).toMatchObject({ ok: false, input });
    expect(result.ok || result.fix).toMatch(fix);
    expect(sim.runs).toHaveLength(0);
  });
});
