// A pushed file the reader finds no DAG in because of a syntax error: only Airflow can say what the
// push did, so the run waits for Airflow's verdict on the file instead of ending before Airflow has
// parsed it (the race the real-systems tier found on Airflow 2.11).
import { describe, expect, it } from 'vitest';
import { pushPayload } from '../../sim/git-repo.js';
import { LOCATION } from '../../sim/scenario.js';
import { act, cleanupOf, expectCleanFailure, expectSucceeded, openWorld, type World } from './harness.js';

const UNREADABLE = 'from airflow import DAG\n\nwith DAG("late_report", schedule=None) as dag\n    pass\n';

/** Airflow at the scenario's head, then a push on top that adds dags/late_report.py. */
function pushUnreadable(w: World): { head: string; payload: Record<string, unknown> } {
  w.s.publishHead({ delayMs: 0 });
  const head = w.s.repo.commit('add late_report', { 'dags/late_report.py': UNREADABLE });
  return { head, payload: pushPayload(w.s.repo, w.s.head, head) };
}

/** Publishes Airflow's answer to the file once the run says it is waiting for it: never before the action asked. */
function answerWhenAsked(w: World, head: string, answer: 'import-error' | 'dag'): (stdout: string) => void {
  let answered = false;
  return (stdout) => {
    if (answered || !stdout.includes("Airflow's verdict on dags/late_report.py")) return;
    answered = true;
    const file =
      answer === 'import-error'
        ? { path: 'late_report.py', source: UNREADABLE, importError: { line: 3, message: "SyntaxError: expected ':'" } }
        : { path: 'late_report.py', source: UNREADABLE, dags: [{ dagId: 'late_report', tasks: [] }] };
    w.s.airflow.publish({ commit: head, files: [file] });
  };
}

describe.concurrent('a pushed file read with a syntax error', () => {
  it('waits until Airflow lists its import error, then annotates it and fails', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    const push = pushUnreadable(w);
    const run = await act(w, { 'airflow-timeout': '30s' }, { payload: push.payload, sha: push.head, onStdout: answerWhenAsked(w, push.head, 'import-error') });
    expectCleanFailure(run, 'airflow', ['cannot import 1 pushed file(s): dags/late_report.py:3']);
    expect(run.stdout).toMatch(/^::error title=Airflow import error \(prod\),file=dags\/late_report\.py,line=3::SyntaxError: expected ':'/m);
    expect(run.outputs['reloaded-locations']).toBe('[]');
  });

  it('reloads for the DAG Airflow parses from it after all (Python accepted what the reader did not)', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    const push = pushUnreadable(w);
    const run = await act(w, { 'airflow-timeout': '30s' }, { payload: push.payload, sha: push.head, onStdout: answerWhenAsked(w, push.head, 'dag') });
    expectSucceeded(run, 'synced');
    expect(run.report!.dagster!.locations.find((location) => location.location === LOCATION)!.reasons).toContainEqual({ kind: 'missing', instance: 'prod', dagId: 'late_report' });
    expect(w.s.dagster.location(LOCATION).reloads).toBe(1);
  });

  it('fails at airflow-timeout, naming the file, when Airflow never reports on it', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    const push = pushUnreadable(w);
    const run = await act(w, { 'airflow-timeout': '1s' }, { payload: push.payload, sha: push.head });
    expectCleanFailure(run, 'airflow', ['dags/late_report.py: read with a syntax error, and Airflow lists neither its import error nor a DAG from it yet']);
    expect(run.outputs['reloaded-locations']).toBe('[]');
  });
});
