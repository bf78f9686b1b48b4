import { describe, expect, it } from 'vitest';
import { confirm, reused, sameServer } from '../../src/dagster/confirm.js';
import type { LocationView, StateKey } from '../../src/dagster/discover.js';

function view(
  dags: Record<string, Record<string, string[]>>,
  options: { stamp?: LocationView['stamp']; stateKeys?: StateKey[]; unattributed?: string[] } = {},
): LocationView {
  return {
    name: 'airlift',
    loadStatus: 'LOADED',
    stamp: options.stamp ?? { updatedTimestamp: 100, versionKey: 'v1', serverId: 's1' },
    airflow: new Map(Object.entries(dags).map(([instance, byId]) => [instance, new Map(Object.entries(byId).map(([dagId, tasks]) => [dagId, { tasks }]))])),
    unattributed: options.unattributed ?? [],
    stateKeys: options.stateKeys ?? [],
  };
}

const reloaded = { updatedTimestamp: 200, versionKey: 'v2', serverId: 's2' };
const change = { instance: 'prod', added: ['new'], removed: ['gone'], modified: [{ dagId: 'edited', tasks: ['extract', 'load'] }] };

describe('confirm', () => {
  it('is in sync when added and modified DAGs are there, removed ones are not, and mapped tasks still exist', () => {
    const before = view({ prod: { gone: [], edited: ['extract', 'transform'] } });
    const after = view({ prod: { new: [], edited: ['extract'] } }, { stamp: reloaded });

    expect(confirm(after, change, before)).toEqual({ inSync: true, missing: [], stale: [], staleTasks: [] });
  });

  it('says the server did not re-import when the server id is unchanged and the added DAG is missing', () => {
    const before = view({ prod: { gone: [], edited: [] } });
    // Dagster gives the reloaded entry a new timestamp even when the `dagster api grpc` server stayed.
    const after = view({ prod: { gone: [], edited: [] } }, { stamp: { updatedTimestamp: 200, versionKey: 'v1', serverId: 's1' } });

    const result = confirm(after, change, before);

    expect(result).toMatchObject({ inSync: false, missing: ['new'], stale: ['gone'] });
    expect(result.message).toMatch(/did not re-import/);
    expect(result.message).toContain('dagster api grpc');
    expect(result.fix).toContain('dagster code-server start');
  });

  it('blames the Airflow data when a new server still shows a removed DAG', () => {
    const before = view({ prod: { gone: [], edited: [] } });
    const after = view({ prod: { gone: [], new: [], edited: [] } }, { stamp: reloaded });

    const result = confirm(after, change, before);

    expect(result).toMatchObject({ inSync: false, missing: [], stale: ['gone'] });
    expect(result.message).toMatch(/new server/);
    expect(result.fix).toMatch(/re-run/);
  });

  it('lists mapped tasks a modified DAG no longer has', () => {
    const after = view({ prod: { new: [], edited: ['extract', 'old_task'] } }, { stamp: reloaded });

    const result = confirm(after, change, view({ prod: {} }));

    expect(result).toMatchObject({ inSync: false, missing: [], stale: [], staleTasks: [{ dagId: 'edited', tasks: ['old_task'] }] });
  });

  it('says so when the location does not mirror the instance at all', () => {
    const after = view({ staging: { new: [] } }, { stamp: reloaded });

    const result = confirm(after, change, view({ staging: {} }));

    expect(result.missing).toEqual(['new', 'edited']);
    expect(result.message).toContain('does not mirror Airflow instance "prod" (it mirrors "staging")');
  });

  it.each([
    ['LOCAL_FILESYSTEM', /in the image \(defs_state LOCAL_FILESYSTEM\)/, /dg utils refresh-defs-state.*rebuild-workflow/],
    ['VERSIONED_STATE_STORAGE', /stored Airflow state \(version 7\)/, /refresh the stored state again/],
  ])('explains a component whose defs state is %s', (management, message, fix) => {
    const stateKeys = [{ key: 'AirflowInstanceComponent[prod]', version: '7', management }];
    const after = view({ prod: { edited: [] } }, { stamp: reloaded, stateKeys });

    const result = confirm(after, change, view({ prod: { edited: [] } }, { stateKeys }));

    expect(result.message).toMatch(message);
    expect(result.fix).toMatch(fix);
  });

  it.each([
    ['the server id, whatever the timestamp', { updatedTimestamp: 100, versionKey: 'v1', serverId: 's1' }, { updatedTimestamp: 200, versionKey: 'v2', serverId: 's1' }, true],
    ['versionKey when no server id is shown', { updatedTimestamp: 100, versionKey: 'v1' }, { updatedTimestamp: 200, versionKey: 'v1' }, true],
    ['the timestamp when neither is shown', { updatedTimestamp: 100 }, { updatedTimestamp: 200 }, false],
  ])('tells a reused server by %s', (_, before, after, same) => {
    expect(sameServer(before, after)).toBe(same);
  });

  it('does not call a fixed server id "not re-imported" when what airlift fetched changed', () => {
    const fixed = { updatedTimestamp: 100, versionKey: 'fixed', serverId: 'fixed' };
    const before = view({ prod: { gone: [], edited: [] } }, { stamp: fixed });
    const after = view({ prod: { gone: [], edited: [] } }, { stamp: { ...fixed, updatedTimestamp: 200 } });
    const refetched = { ...after, airflow: new Map([['prod', new Map([['edited', { tasks: [], snapshot: { lastParsedTime: '2026-01-01T00:00:00Z' } }]])]]) };

    expect(reused(before, after)).toBe(true);
    expect(reused(before, refetched)).toBe(false);
    expect(confirm(refetched, change, before).message).not.toMatch(/did not re-import/);
  });

  it('counts DAGs of job-based definitions that could not be tied to an instance as present', () => {
    const after = view({ prod: {}, other: {} }, { stamp: reloaded, unattributed: ['new', 'edited'] });

    expect(confirm(after, change, view({ prod: {}, other: {} })).inSync).toBe(true);
  });
});
