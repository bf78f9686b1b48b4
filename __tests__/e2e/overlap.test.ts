// When every Airflow instance is named, the action asks Dagster for its code locations while it
// reads the push (src/run.ts): the two waits overlap. Proved by order, not by time, with each side
// held until the other has moved: the push's revisions come from the GitHub API, which holds its
// first answer until Dagster has been asked, and Dagster holds its answer until the log says the
// push was read. An action that did one before the other would wait on itself (each hold gives up
// after 5 s, and the test says which).
import { setTimeout as delay } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { act, cleanupOf, expectSucceeded, openWorld } from './harness.js';

const GIVE_UP_MS = 5_000;

function orGiveUp(event: Promise<unknown>, what: string): Promise<string> {
  return Promise.race([event.then(() => what), delay(GIVE_UP_MS).then(() => `gave up waiting: ${what}`)]);
}

it('asks Dagster for its code locations while it reads the push', async (context) => {
  const w = await openWorld(cleanupOf(context), { githubApi: true });
  w.s.publishHead({ delayMs: 0 });
  let pushWasRead = () => {};
  const dagsterAsked = orGiveUp(w.s.dagster.asked('AirliftSyncWorkspace'), 'Dagster was asked');
  const pushRead = orGiveUp(new Promise<void>((resolve) => (pushWasRead = resolve)), 'the push was read');
  w.github!.fault('/compare/', { until: dagsterAsked, times: 1 });
  // Every try: a client that gave up on the first would be answered by its retry.
  w.s.dagster.faults.push({ kind: 'latency', match: 'AirliftSyncWorkspace', until: pushRead, times: Number.POSITIVE_INFINITY });

  const run = await act(w, {}, { onStdout: (stdout) => /DAG changes in \d+ DAGs read/.test(stdout) && pushWasRead() });
  expect(await dagsterAsked).toBe('Dagster was asked');
  expect(await pushRead).toBe('the push was read');
  expectSucceeded(run);
  expect(run.report!.changes.source).toBe('github-api');
});
