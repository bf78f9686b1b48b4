// The proxied-state reader and checks, on the file shapes dagster-airlift's proxied_state.py accepts and rejects.
import { describe, expect, it } from 'vitest';
import { checkState, type InstanceState } from '../../src/migration/check.js';
import { dagsterImpact, unaffectedLocations } from '../../src/migration/impact.js';
import { isStateFile } from '../../src/migration/state-file.js';
import { parseStateFile } from '../../src/migration/state-parse.js';
import type { DagChange } from '../../src/model.js';

const FILE = 'dags/proxied_state/orders.yaml';

describe('a proxied-state file', () => {
  it('reads task-level state as PyYAML does: YAML 1.1 booleans, 1 and 0, the DAG id from the stem', () => {
    const file = parseStateFile(FILE, 'tasks:\n  - id: extract\n    proxied: yes\n  - id: load\n    proxied: off\n  - {id: publish, proxied: 1}\n');
    expect(file.dagId).toBe('orders');
    expect(file.problems).toEqual([]);
    expect(file.state).toEqual({
      level: 'task',
      tasks: [
        { id: 'extract', proxied: true, line: 2 },
        { id: 'load', proxied: false, line: 4 },
        { id: 'publish', proxied: true, line: 6 },
      ],
    });
  });

  it('takes the last value of a key given twice, as PyYAML does', () => {
    expect(parseStateFile(FILE, 'proxied: false\nproxied: true\n').state).toEqual({ level: 'dag', proxied: true });
    expect(parseStateFile(FILE, 'tasks:\n  - id: a\n    proxied: true\n    proxied: false\n').state).toEqual({ level: 'task', tasks: [{ id: 'a', proxied: false, line: 2 }] });
  });

  it('reads DAG-level state, and an empty `proxied:` as task level with no task', () => {
    expect(parseStateFile('p/proxied_state/a.yml', 'proxied: true\n').state).toEqual({ level: 'dag', proxied: true });
    expect(parseStateFile(FILE, 'proxied:\n').state).toEqual({ level: 'task', tasks: [] });
  });

  it.each([
    ['an empty file', '', 1, /expected a mapping/],
    ['a list at the top', '- id: a\n', 1, /expected a mapping/],
    ['both keys', 'proxied: true\ntasks: []\n', 1, /both `tasks:` and `proxied:`/],
    ['neither key', 'dag: orders\n', 1, /neither/],
    ['tasks not a list', 'tasks:\n  extract: true\n', 2, /must be a list/],
    ['a task with an extra key', 'tasks:\n  - id: a\n    proxied: true\n    owner: me\n', 2, /exactly the keys `id` and `proxied` \(found `id`, `proxied`, `owner`\)/],
    ['a task without proxied', 'tasks:\n  - id: a\n', 2, /exactly the keys/],
    ['proxied as a string', 'tasks:\n  - id: a\n    proxied: "true"\n', 2, /must be true or false/],
    ['DAG-level proxied as a string', 'proxied: maybe\n', 1, /true, false or empty/],
    ['broken YAML', 'tasks:\n  - id: a\n    proxied: [true\n', 4, /not valid YAML/],
  ])('calls %s malformed, at its line', (_name, text, line, message) => {
    const file = parseStateFile(FILE, text);
    expect(file.state).toBeUndefined();
    expect(file.problems).toEqual([{ kind: 'malformed', line, message: expect.stringMatching(message) }]);
  });

  it('keeps a task listed twice, its last entry winning, and says so at the second line', () => {
    const file = parseStateFile(FILE, 'tasks:\n  - id: a\n    proxied: true\n  - id: a\n    proxied: false\n');
    expect(file.problems).toEqual([{ kind: 'duplicate-task', line: 4, taskId: 'a', message: expect.stringContaining('keeps the last entry (proxied: false)') }]);
  });

  it('is a .yaml or .yml file directly in the folder, as load_proxied_state_from_yaml iterates it', () => {
    const folder = 'dags/proxied_state';
    expect(isStateFile(`${folder}/a.yaml`, folder)).toBe(true);
    expect(isStateFile(`${folder}/a.yml`, folder)).toBe(true);
    expect(isStateFile(`${folder}/README.md`, folder)).toBe(false);
    expect(isStateFile(`${folder}/old/a.yaml`, folder)).toBe(false);
  });
});

function instance(overrides: Partial<InstanceState>): InstanceState {
  return { instance: 'prod', head: [], base: [], dags: new Map(), loaders: ['dags/orders.py'], dynamicIds: false, ...overrides };
}

describe('checking the state against the DAGs', () => {
  const orders = { file: 'dags/orders.py', tasks: ['extract', 'load'], partial: false, applied: true };

  it('does not call a task unknown in a DAG read only in part, or in a file that does not apply the state', () => {
    const head = [parseStateFile(FILE, 'tasks:\n  - id: built_at_run_time\n    proxied: true\n')];
    expect(checkState(instance({ head, dags: new Map([['orders', { ...orders, partial: true }]]) })).problems).toEqual([]);
    expect(checkState(instance({ head, dags: new Map([['orders', { ...orders, applied: false }]]) })).problems).toEqual([]);
    expect(checkState(instance({ head, dags: new Map([['orders', orders]]) })).problems.map((problem) => problem.kind)).toEqual(['unknown-task']);
  });

  it('does not call a DAG unknown when a file that applies state defines DAGs the reader cannot name', () => {
    const head = [parseStateFile('dags/proxied_state/generated.yaml', 'proxied: true\n')];
    expect(checkState(instance({ head, dynamicIds: true })).problems).toEqual([]);
    expect(checkState(instance({ head })).problems.map((problem) => problem.kind)).toEqual(['unknown-dag']);
  });

  it('reports tasks returned to Airflow, a whole DAG given back, and a removed state file', () => {
    const base = [parseStateFile(FILE, 'tasks:\n  - id: extract\n    proxied: true\n  - id: load\n    proxied: true\n'), parseStateFile('dags/proxied_state/billing.yaml', 'proxied: true\n')];
    const head = [parseStateFile(FILE, 'tasks:\n  - id: extract\n    proxied: true\n  - id: load\n    proxied: false\n')];
    const { dags } = checkState(instance({ head, base, dags: new Map([['orders', orders]]) }));
    expect(dags).toEqual([
      expect.objectContaining({ dagId: 'billing', level: 'none', file: 'dags/proxied_state/billing.yaml', newlyProxied: [], returnedToAirflow: ['*'] }),
      expect.objectContaining({ dagId: 'orders', level: 'task', proxiedTasks: ['extract'], totalTasks: 2, newlyProxied: [], returnedToAirflow: ['load'] }),
    ]);
  });
});

describe('what a change breaks in Dagster', () => {
  const change = (kind: DagChange['kind'], tasksRemoved: string[] = []): DagChange => ({
    dagId: 'orders',
    instance: 'prod',
    kind,
    file: 'dags/orders.py',
    tasksAdded: [],
    tasksRemoved,
    edgesAdded: [],
    edgesRemoved: [],
    partial: false,
  });
  const location = {
    name: 'airlift_prod',
    airflow: new Map([['prod', new Map([['orders', { tasks: ['publish'], assets: [{ key: 'warehouse/published', task: 'publish' }, { key: 'warehouse/orders' }] }]])]]),
  };

  it('names the assets of a removed task, and every asset of a removed DAG', () => {
    expect(dagsterImpact([change('modified', ['publish', 'unmapped'])], [location])).toEqual([
      expect.objectContaining({ location: 'airlift_prod', dagId: 'orders', taskId: 'publish', assetKeys: ['warehouse/published'] }),
    ]);
    expect(dagsterImpact([change('removed')], [location])).toEqual([expect.objectContaining({ dagId: 'orders', assetKeys: ['warehouse/orders', 'warehouse/published'] })]);
    expect(dagsterImpact([change('modified')], [location])).toEqual([]);
  });

  it('says no reload only for a location that mirrors a changed DAG and is not reloaded anyway', () => {
    const dags = [{ dagId: 'orders', instance: 'prod', file: FILE, level: 'task' as const, proxiedTasks: [], partial: false, newlyProxied: ['load'], returnedToAirflow: [] }];
    expect(unaffectedLocations(dags, [location], new Set())).toEqual([{ location: 'airlift_prod', dags: ['orders'] }]);
    expect(unaffectedLocations(dags, [location], new Set(['airlift_prod']))).toEqual([]);
    expect(unaffectedLocations([{ ...dags[0]!, newlyProxied: [] }], [location], new Set())).toEqual([]);
  });
});
