// Which case a location is in: where dagster-airlift keeps its Airflow state, read from defsStateInfo.
import { describe, expect, it } from 'vitest';
import type { LocationView, StateKey } from '../../src/dagster/discover.js';
import { locationState, refreshCommand } from '../../src/dagster/state.js';

function view(stateKeys: StateKey[]): LocationView {
  return {
    name: 'airlift',
    loadStatus: 'LOADED',
    stamp: { updatedTimestamp: 1, serverId: 's1' },
    airflow: new Map([['prod', new Map()]]),
    unattributed: [],
    stateKeys,
  };
}

const key = (instance: string, management: string | undefined, version = 'v1'): StateKey => ({
  key: `AirflowInstanceComponent[${instance}]`,
  ...(management ? { version, management } : {}),
});

describe('locationState', () => {
  it.each([
    ['LEGACY_CODE_SERVER_SNAPSHOTS', 'code-server-snapshot', /whenever the code server loads/],
    ['VERSIONED_STATE_STORAGE', 'versioned-state', /latest stored state/],
    ['LOCAL_FILESYSTEM', 'image-state', /when the image was built/],
  ])('reads %s as %s', (management, expected, evidence) => {
    const state = locationState(view([key('prod', management)]), ['prod'], true);

    expect(state.case).toBe(expected);
    expect(state.keys).toEqual([key('prod', management)]);
    expect(state.evidence).toMatch(evidence);
    expect(state.evidence).toContain('AirflowInstanceComponent[prod]');
  });

  it('lets a key baked into the image decide over the others: a reload cannot help it', () => {
    const keys = [key('prod', 'VERSIONED_STATE_STORAGE'), key('staging', 'LOCAL_FILESYSTEM')];

    expect(locationState(view(keys), ['prod', 'staging'], true)).toMatchObject({ case: 'image-state', keys: [keys[1]] });
  });

  it('looks only at the instances the location is reloaded for', () => {
    const keys = [key('prod', 'LEGACY_CODE_SERVER_SNAPSHOTS'), key('staging', 'LOCAL_FILESYSTEM')];

    expect(locationState(view(keys), ['prod'], true).case).toBe('code-server-snapshot');
  });

  it('takes a location without a component key for build_defs_from_airflow_instance, fetched at load', () => {
    expect(locationState(view([]), ['prod'], true)).toMatchObject({ case: 'code-server-snapshot', evidence: expect.stringContaining('build_defs_from_airflow_instance') });
  });

  it('does not guess when the schema hides defsStateInfo or the key has no recorded state', () => {
    expect(locationState(view([]), ['prod'], false)).toMatchObject({ case: 'unknown', evidence: expect.stringContaining('does not show defsStateInfo') });
    expect(locationState(view([key('prod', undefined)]), ['prod'], true)).toMatchObject({ case: 'unknown', evidence: expect.stringContaining('no recorded state') });
  });
});

describe('refreshCommand', () => {
  it('names the dg command for each kind of deployment, and where to run it', () => {
    expect(refreshCommand('self-hosted')).toMatch(/^`dg utils refresh-defs-state` .*defs_state_storage/);
    expect(refreshCommand('dagster-plus')).toMatch(/^`dg plus deploy refresh-defs-state` .*Dagster\+ token/);
  });
});
