// pull_request events: a plan, never a reload, posted as one comment that later runs update.
import { afterEach, describe, expect, it } from 'vitest';
import { startGitHubSimulator, type GitHubSimulator } from '../../sim/github.js';
import { LOCATION, startScenario, type Scenario } from '../../sim/scenario.js';
import { runAction } from '../support/run-action.js';
import { COMMENT_MARKER } from '../../src/github/comment.js';

let scenario: Scenario | undefined;
let github: GitHubSimulator | undefined;
afterEach(async () => {
  await Promise.all([scenario?.close(), github?.close()]);
  scenario = undefined;
  github = undefined;
});

function pullRequest(s: Scenario): Record<string, unknown> {
  return {
    action: 'synchronize',
    number: 7,
    pull_request: { number: 7, base: { sha: s.base, ref: 'main' }, head: { sha: s.head, ref: 'feature/reporting' } },
    repository: { full_name: 'acme/airflow-dags', name: 'airflow-dags', owner: { login: 'acme' }, default_branch: 'main' },
  };
}

async function plan(s: Scenario, gh: GitHubSimulator, airflowTimeout = '10s') {
  return runAction({
    inputs: { ...s.inputs, 'github-token': 'ghs_pull_request_token', 'poll-interval': '50ms', 'airflow-timeout': airflowTimeout },
    eventName: 'pull_request',
    payload: pullRequest(s),
    workspace: s.repo.dir,
    sha: s.head,
    env: { GITHUB_API_URL: gh.url },
  });
}

describe('pull requests', () => {
  it('plans without reloading and keeps one plan comment up to date', async () => {
    const s = (scenario = await startScenario({ parseDelayMs: 0, reloadMs: 50 }));
    const gh = (github = await startGitHubSimulator({ repoDir: s.repo.dir, owner: 'acme', repo: 'airflow-dags', token: 'ghs_pull_request_token' }));
    s.publishHead({ delayMs: 0 });

    const first = await plan(s, gh);
    expect(first.exitCode, first.stdout).toBe(0);
    expect(first.outputs.result).toBe('planned');
    expect(JSON.parse(first.outputs['affected-locations']!)).toEqual([LOCATION]);
    expect(s.dagster.location(LOCATION).reloads).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(gh.comments[0]!.body).toContain('📝 would reload');

    const second = await plan(s, gh);
    expect(second.exitCode).toBe(0);
    expect(gh.comments).toHaveLength(1);
    expect(second.stdout).toContain('Plan comment updated on pull request #7');
  });

  it('never waits for Airflow to parse the pull request: it plans against what Airflow holds now and ends at once', async () => {
    const s = (scenario = await startScenario({ parseDelayMs: 0, reloadMs: 50 }));
    const gh = (github = await startGitHubSimulator({ repoDir: s.repo.dir, owner: 'acme', repo: 'airflow-dags', token: 'ghs_pull_request_token' }));
    // The pull request's code never reaches Airflow: nothing is published.
    const run = await plan(s, gh, '3s');
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('planned');
    expect(run.report!.failures).toEqual([]);
    const planned = run.report!.dagster!.locations.find((location) => location.location === LOCATION)!;
    expect(planned.reasons.map((reason) => ('dagId' in reason ? `${reason.kind} ${reason.dagId}` : reason.kind)).sort()).toEqual([
      'added new_reporting',
      'modified orders_etl',
      'removed legacy_export',
    ]);
    expect(run.report!.airflow[0]).toMatchObject({ status: 'compared', dags: [], waitedMs: 0, liveDagCount: 3 });
    // One look at the DAG list: no polling, no tasks or sources read, no re-parse asked for.
    expect(s.airflow.requests.filter((request) => /\/(tasks|dagSources|parseDagFile|importErrors)/.test(request.apiPath))).toEqual([]);
    expect(s.airflow.requests.filter((request) => request.apiPath.endsWith('/dags')).length).toBe(1);
    expect(s.dagster.location(LOCATION).reloads).toBe(0);
  });

  it('does not fail when the token may not comment (a fork)', async () => {
    const s = (scenario = await startScenario({ parseDelayMs: 0 }));
    const gh = (github = await startGitHubSimulator({ repoDir: s.repo.dir, owner: 'acme', repo: 'airflow-dags' }));
    gh.fault('/issues/7/comments', { status: 403 });
    s.publishHead({ delayMs: 0 });
    const run = await plan(s, gh);
    expect(run.exitCode, run.stdout).toBe(0);
    expect(run.outputs.result).toBe('planned');
    expect(run.stdout).toContain('Plan comment skipped: the token lacks pull-requests: write');
    expect(gh.comments).toHaveLength(0);
  });
});
