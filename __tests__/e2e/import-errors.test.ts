// A pushed file Airflow cannot import: Airflow keeps serving the DAG it parsed before, so that DAG is
// no reason to reload (a reload would only cache the old DAG again), and the run says so instead of
// reporting the push as synced.
import { describe, expect, it } from 'vitest';
import { HEAD_DAGS, HEAD_FILES } from '../../sim/demo-dags.js';
import { LOCATION } from '../../sim/scenario.js';
import { act, cleanupOf, expectCleanFailure, expectSucceeded, openWorld, type World } from './harness.js';

const BROKEN = 'orders_etl.py';

/** Airflow parses the push, except orders_etl.py, which fails to import: its old DAG stays. */
function publishWithImportError(w: World): void {
  w.s.airflow.publish({
    commit: w.s.head,
    files: HEAD_DAGS.map((dag) => {
      const source = HEAD_FILES[`dags/${dag.file}`] ?? '';
      if (dag.file === BROKEN) return { path: dag.file, source, importError: { line: 4, message: "ModuleNotFoundError: No module named 'airflow.operators.bash'" } };
      return { path: dag.file, source, dags: [{ dagId: dag.dagId, tasks: Object.entries(dag.tasks).map(([taskId, downstream]) => ({ taskId, downstream })) }] };
    }),
    removed: ['legacy_export.py'],
  });
}

const reasonsOf = (run: Awaited<ReturnType<typeof act>>) => run.report!.dagster!.locations.find((location) => location.location === LOCATION)!.reasons;

describe.concurrent('a pushed file Airflow cannot import', () => {
  it('with fail-on-import-errors: false, reloads only for what Airflow took, and reports the rejected file instead of synced', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    publishWithImportError(w);
    const run = await act(w, { 'fail-on-import-errors': 'false' });
    expectSucceeded(run, 'rejected');
    expect(run.report!.airflow[0]!.dags.find((dag) => dag.dagId === 'orders_etl')).toMatchObject({ state: 'import-error' });
    // The other changes were parsed: the location is reloaded for them, never for orders_etl.
    expect(reasonsOf(run).map((reason) => ('dagId' in reason ? reason.dagId : reason.kind)).sort()).toEqual(['legacy_export', 'new_reporting']);
    expect(w.s.dagster.location(LOCATION).reloads).toBe(1);
    expect(run.summary).toMatch(/^## ⚠️ Airflow rejected 1 pushed file: it keeps serving the previous DAGs; reloaded 1 code location for the rest/);
    // The changes table does not list the edges Airflow still serves as removed.
    const row = run.summary.split('\n').find((line) => line.includes('`orders_etl`'))!;
    expect(row).toContain('not applied (import error)');
    expect(row).toContain('Airflow keeps the previous version');
    expect(row).not.toContain('−');
    expect(run.stdout).toContain('::warning title=DAG not updated in Airflow,file=dags/orders_etl.py,line=6::Airflow could not import the pushed dags/orders_etl.py and keeps serving the previous orders_etl');
    expect(run.stdout).toMatch(/::error title=Airflow import error \(prod\),file=dags\/orders_etl\.py,line=4::ModuleNotFoundError/);
  });

  it('by default fails on the import error, and still does not reload for the rejected DAG', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    publishWithImportError(w);
    const run = await act(w);
    expectCleanFailure(run, 'airflow', ['cannot import 1 pushed file(s): dags/orders_etl.py:4']);
    expect(reasonsOf(run).some((reason) => 'dagId' in reason && reason.dagId === 'orders_etl')).toBe(false);
  });
});
