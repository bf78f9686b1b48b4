// Runs without some inputs or secrets (a pull request from a fork gets no secrets): the push is still
// read and reported, nothing is reloaded, the step succeeds, and a notice names what was not checked
// and the input that would check it, on every event. And dagster-cloud-url alone names a Dagster+ deployment.
import { describe, expect, it } from 'vitest';
import { LOCATION } from '../../sim/scenario.js';
import { runAction } from '../support/run-action.js';
import { act, cleanupOf, expectSucceeded, openWorld, type World } from './harness.js';

/** The README quick start, with every secret empty. */
const EMPTY_SECRETS = { 'airflow-username': '', 'airflow-password': '', 'dagster-cloud-api-token': '' };

function pullRequest(w: World): Record<string, unknown> {
  return {
    action: 'opened',
    number: 9,
    pull_request: { number: 9, base: { sha: w.s.base, ref: 'main' }, head: { sha: w.s.head, ref: 'fork/feature' } },
    repository: { full_name: 'acme/airflow-dags', name: 'airflow-dags', owner: { login: 'acme' }, default_branch: 'main' },
  };
}

describe.concurrent('missing inputs and secrets', () => {
  it.for(['push', 'pull_request'])('reads and reports the DAG changes with the quick start and empty secrets (%s)', async (eventName, ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    w.s.publishHead({ delayMs: 0 });
    const run = await act(w, EMPTY_SECRETS, eventName === 'push' ? {} : { eventName, payload: pullRequest(w) });
    expectSucceeded(run, 'planned');
    expect(JSON.parse(run.outputs['changed-dags']!)).toHaveLength(4);
    expect(run.report!.notChecked!.map((entry) => [entry.system, entry.input])).toEqual([
      ['dagster', 'dagster-cloud-api-token'],
      ['airflow', 'airflow-username/airflow-password or airflow-token'],
    ]);
    expect(run.summary).toContain('### Not checked');
    expect(run.summary).toContain('To check it, set `dagster-cloud-api-token`.');
    expect(run.stdout).toContain('::notice title=airlift-sync%3A Dagster not checked::');
    expect(run.stdout).toContain('::notice title=airlift-sync%3A Airflow not checked::');
    // Airflow was asked without credentials, refused, and nothing else happened.
    expect(w.s.airflow.requests.every((request) => request.authScheme === undefined)).toBe(true);
    expect(w.s.dagster.operations).toHaveLength(0);
    expect(w.s.dagster.location(LOCATION).reloads).toBe(0);
  });

  it('reads and reports the DAG changes on a push with no Airflow or Dagster input at all, without dry-run', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    const run = await runAction({ inputs: { 'dags-folder': 'dags' }, eventName: 'push', payload: w.s.payload, workspace: w.workspace, sha: w.s.head });
    expectSucceeded(run, 'planned');
    expect(JSON.parse(run.outputs['changed-dags']!)).toHaveLength(4);
    expect(run.report!.notChecked!.map((entry) => entry.input)).toEqual(['airflow-url', 'dagster-cloud-organization (Dagster+) or dagster-url (self-hosted)']);
    expect(w.s.airflow.requests).toHaveLength(0);
    expect(w.s.dagster.operations).toHaveLength(0);
  });

  it('takes dagster-cloud-url alone as the Dagster+ deployment, and reloads through it', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    w.s.publishHead({ delayMs: 0 });
    const run = await act(w, { 'dagster-cloud-organization': '', 'dagster-cloud-deployment': '' });
    expectSucceeded(run, 'synced');
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([LOCATION]);
    expect(w.s.dagster.location(LOCATION).reloads).toBe(1);
  });
});
