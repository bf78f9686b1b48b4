import { describe, expect, it } from 'vitest';
import type { DagChange } from '../../src/model.js';
import { mirroredInstances, planReloads, type HeldDag, type LocationHoldings, type PlanInput } from '../../src/plan.js';

function change(dagId: string, kind: DagChange['kind'], instance = 'prod'): DagChange {
  return { dagId, instance, kind, file: `dags/${dagId}.py`, tasksAdded: [], tasksRemoved: [], edgesAdded: [], edgesRemoved: [], partial: false };
}

function location(name: string, airflow: Record<string, Record<string, HeldDag>>, loadError?: string): LocationHoldings {
  return {
    name,
    loadError,
    airflow: new Map(Object.entries(airflow).map(([instance, dags]) => [instance, new Map(Object.entries(dags))])),
  };
}

function input(overrides: Partial<PlanInput>): PlanInput {
  return { changes: [], locations: [], live: [], peers: new Map(), fullCheck: false, ...overrides };
}

describe('planReloads', () => {
  it('reloads the location that mirrors the instance gaining, losing or changing a DAG, and only it', () => {
    const plans = planReloads(
      input({
        changes: [change('new_dag', 'added'), change('old_dag', 'removed'), change('etl', 'modified')],
        locations: [
          location('airlift_prod', { prod: { old_dag: {}, etl: {} } }),
          location('airlift_staging', { staging: { etl: {} } }),
          location('analytics', {}),
        ],
      }),
    );
    expect(plans.map((plan) => [plan.location, plan.reload])).toEqual([
      ['airlift_prod', true],
      ['airlift_staging', false],
      ['analytics', false],
    ]);
    expect(plans[0]!.reasons).toEqual([
      { kind: 'added', instance: 'prod', dagId: 'new_dag' },
      { kind: 'removed', instance: 'prod', dagId: 'old_dag' },
      { kind: 'modified', instance: 'prod', dagId: 'etl' },
    ]);
    expect(plans[0]!.expect).toEqual([{ instance: 'prod', present: ['etl', 'new_dag'], absent: ['old_dag'] }]);
  });

  it('leaves a location alone when it already holds what the push did (idempotent second run)', () => {
    const head = { sha: 'a'.repeat(40), time: Date.parse('2026-11-24T10:00:00Z') };
    const plans = planReloads(
      input({
        head,
        changes: [change('new_dag', 'added'), change('old_dag', 'removed'), change('etl', 'modified'), change('v3', 'modified')],
        locations: [
          location('airlift_prod', {
            prod: {
              new_dag: {},
              etl: { snapshot: { lastParsedTime: '2026-11-24T10:00:05Z' } },
              v3: { snapshot: { bundleVersion: head.sha } },
            },
          }),
        ],
      }),
    );
    expect(plans[0]).toMatchObject({ reload: false, reasons: [] });
  });

  it('treats a modified DAG as stale when the held snapshot predates the push or names another bundle version', () => {
    const head = { sha: 'b'.repeat(40), time: Date.parse('2026-11-24T10:00:00Z') };
    const plans = planReloads(
      input({
        head,
        changes: [change('etl', 'modified'), change('v3', 'modified')],
        locations: [
          location('loc', {
            prod: { etl: { snapshot: { lastParsedTime: '2026-11-24T09:59:00Z' } }, v3: { snapshot: { bundleVersion: 'c'.repeat(40), lastParsedTime: '2026-11-24T11:00:00Z' } } },
          }),
        ],
      }),
    );
    expect(plans[0]!.reasons.map((reason) => 'dagId' in reason && reason.dagId)).toEqual(['etl', 'v3']);
  });

  it('calls a held parse time fresh only at least the margin after the push (git-sync lags it)', () => {
    const pushedAt = Date.parse('2026-11-24T10:00:00Z');
    const held = { etl: { snapshot: { lastParsedTime: '2026-11-24T10:00:05Z' } } };
    const plan = (marginMs: number) =>
      planReloads(input({ head: { sha: 'f'.repeat(40), time: pushedAt, marginMs }, changes: [change('etl', 'modified')], locations: [location('loc', { prod: held })] }))[0]!;
    expect(plan(30_000)).toMatchObject({ reload: true, reasons: [{ kind: 'modified', dagId: 'etl' }] });
    expect(plan(1_000)).toMatchObject({ reload: false });
  });

  it('trusts the record Airflow shows now over the pushed commit (a re-run of an older push)', () => {
    const head = { sha: 'd'.repeat(40), time: Date.parse('2026-11-24T10:00:00Z') };
    const current = { bundleVersion: 'e'.repeat(40), lastParsedTime: '2026-11-24T10:05:00Z' };
    const plans = planReloads(
      input({
        head,
        changes: [change('etl', 'modified')],
        locations: [location('loc', { prod: { etl: { snapshot: current } } })],
        live: [{ instance: 'prod', activeDagIds: new Set(['etl']), parsed: new Map([['etl', current]]) }],
      }),
    );
    expect(plans[0]).toMatchObject({ reload: false });
  });

  it("calls a modified DAG fresh when the location's copy of its file is the pushed text, however often Airflow re-parsed since", () => {
    const head = { sha: 'a'.repeat(40), time: Date.parse('2026-11-24T10:00:00Z'), marginMs: 30_000 };
    const pushed = 'with DAG("etl") as dag:\n    a >> b\n';
    const held = (source: string) => location('loc', { prod: { etl: { snapshot: { lastParsedTime: '2026-11-24T10:00:02Z', source } } } });
    // Airflow 2 re-parsed the unchanged file after the location fetched it: the records differ.
    const live = [{ instance: 'prod', activeDagIds: new Set(['etl']), parsed: new Map([['etl', { lastParsedTime: '2026-11-24T10:07:00Z' }]]) }];
    const plan = (overrides: Partial<PlanInput>) => planReloads(input({ head, live, changes: [change('etl', 'modified')], sources: new Map([['dags/etl.py', pushed]]), ...overrides }))[0]!;

    expect(plan({ locations: [held(pushed.replace(/\n/g, '\r\n'))] })).toMatchObject({ reload: false });
    expect(plan({ locations: [held('with DAG("etl") as dag:\n    a\n')] })).toMatchObject({ reload: true, reasons: [{ kind: 'modified', dagId: 'etl' }] });
    // A DAG listed for a changed helper has the same file before and after; a pull request's code never reached Airflow.
    expect(plan({ locations: [held(pushed)], changes: [{ ...change('etl', 'modified'), via: { module: 'dags/common.py' } }] })).toMatchObject({ reload: true });
    expect(planReloads(input({ live, changes: [change('etl', 'modified')], sources: new Map([['dags/etl.py', pushed]]), locations: [held(pushed)] }))[0]).toMatchObject({ reload: true });
  });

  it('counts a configured peer as mirroring the instance even before it holds any DAG', () => {
    const plans = planReloads(
      input({ changes: [change('first_dag', 'added', 'fresh')], locations: [location('new_location', {})], peers: new Map([['fresh', ['new_location']]]) }),
    );
    expect(plans[0]).toMatchObject({ reload: true, instances: ['fresh'], reasons: [{ kind: 'added', dagId: 'first_dag' }] });
  });

  it('reloads a location that failed to load, whatever the push changed', () => {
    const plans = planReloads(input({ locations: [location('broken', {}, 'ImportError: no module named airflow_client')] }));
    expect(plans[0]).toMatchObject({ reload: true, reasons: [{ kind: 'load-error' }] });
  });

  it('in a full drift check, compares every live DAG with what the location holds', () => {
    const plans = planReloads(
      input({
        fullCheck: true,
        locations: [location('loc', { prod: { a: {}, gone: {} } }), location('synced', { other: { x: {} } })],
        live: [
          { instance: 'prod', activeDagIds: new Set(['a', 'b']) },
          { instance: 'other', activeDagIds: new Set(['x']) },
        ],
      }),
    );
    expect(plans[0]!.reasons).toEqual([
      { kind: 'missing', instance: 'prod', dagId: 'b' },
      { kind: 'extra', instance: 'prod', dagId: 'gone' },
    ]);
    expect(plans[1]).toMatchObject({ location: 'synced', reload: false });
  });

  it('a DAG the push only touched but that the location lacks is missing', () => {
    const plans = planReloads(input({ changes: [change('etl', 'unchanged')], locations: [location('loc', { prod: { other: {} } })] }));
    expect(plans[0]!.reasons).toEqual([{ kind: 'missing', instance: 'prod', dagId: 'etl' }]);
  });
});

describe('a comment-only push', () => {
  it('leaves a location alone although the Source Code text airlift holds is now stale', () => {
    const head = { sha: 'a'.repeat(40), time: Date.parse('2026-11-24T10:00:00Z') };
    const [plan] = planReloads(
      input({ head, changes: [change('etl', 'unchanged')], locations: [location('airlift_prod', { prod: { etl: { snapshot: { lastParsedTime: '2026-11-24T09:00:00Z' } } } })] }),
    );

    expect(plan).toMatchObject({ reload: false, reasons: [] });
  });
});

describe('DAGs a location leaves out on purpose', () => {
  const head = { sha: 'a'.repeat(40), time: Date.parse('2026-11-24T10:00:00Z') };
  const live = [{ instance: 'prod', activeDagIds: new Set(['etl', 'filtered']) }];
  // The location fetched Airflow after the push reached it (its record of etl was parsed after the push).
  const fetchedAfter = location('airlift_prod', { prod: { etl: { snapshot: { lastParsedTime: '2026-11-24T10:00:05Z' } } } });
  const fetchedBefore = location('airlift_prod', { prod: { etl: { snapshot: { lastParsedTime: '2026-11-24T09:59:00Z' } } } });

  it('is not a reason to reload once the location fetched Airflow after Airflow had the DAG: it is listed as excluded', () => {
    const [pushed] = planReloads(input({ head, live, changes: [change('filtered', 'modified')], locations: [fetchedAfter] }));
    const [drift] = planReloads(input({ head, live, fullCheck: true, locations: [fetchedAfter] }));

    for (const plan of [pushed!, drift!]) {
      expect(plan).toMatchObject({ reload: false, reasons: [], excluded: [{ instance: 'prod', dagId: 'filtered' }] });
    }
  });

  it('still reloads when the location fetched before the push, or Airflow does not have the DAG', () => {
    const [before] = planReloads(input({ head, live, changes: [change('filtered', 'added')], locations: [fetchedBefore] }));
    const [notLive] = planReloads(input({ head, live: [], changes: [change('filtered', 'added')], locations: [fetchedAfter] }));

    for (const plan of [before!, notLive!]) {
      expect(plan).toMatchObject({ reload: true, reasons: [{ kind: 'added', dagId: 'filtered' }] });
      expect(plan.excluded).toBeUndefined();
    }
  });
});

describe('mirroredInstances', () => {
  it('lists each Airflow instance once across locations', () => {
    expect(mirroredInstances([location('a', { prod: {}, dev: {} }), location('b', { prod: {} })])).toEqual(['dev', 'prod']);
  });
});
