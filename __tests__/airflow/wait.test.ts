import { describe, expect, it } from 'vitest';
import { waitUntilParsed, type WaitOptions, type WaitProgress } from '../../src/airflow/wait.js';
import type { DagChange } from '../../src/model.js';
import type { AirflowSimulator } from '../../sim/airflow.js';
import { chain, change, connect, dag, shapeOf, simulator, VERSIONS } from './fixtures.js';

const ETL_V1 = 'from airflow import DAG\nwith DAG("etl") as dag:\n    extract >> load\n';
const ETL_V2 = 'from airflow import DAG\nwith DAG("etl") as dag:\n    extract >> transform >> load\n';

/** Options for a repository whose DAGs folder `dags/` is Airflow's DAGs folder / bundle root. */
function options(logs: string[], extra: Partial<WaitOptions> = {}, files: string[] = ['dags/etl.py']): WaitOptions {
  return {
    files: { dagsFolders: ['dags'], knownFiles: new Set(files) },
    timeoutMs: 3_000,
    pollInitialMs: 20,
    pollMaxMs: 60,
    log: (line) => logs.push(line),
    ...extra,
  };
}

function modifiedEtl(extra: Partial<DagChange> = {}): DagChange {
  return change('modified', 'etl', 'dags/etl.py', {
    before: shapeOf(chain('extract', 'load')),
    after: shapeOf(chain('extract', 'transform', 'load')),
    tasksAdded: ['transform'],
    edgesAdded: [
      ['extract', 'transform'],
      ['transform', 'load'],
    ],
    edgesRemoved: [['extract', 'load']],
    ...extra,
  });
}

const pushed = (sources: Record<string, string> = { 'dags/etl.py': ETL_V2 }, commit = 'c0ffee') => ({
  commit,
  time: Date.now(),
  sources: new Map(Object.entries(sources)),
});

/** etl.py, unchanged by the push, listed because it imports the changed `helpers` module. */
function importerOfHelpers(): DagChange {
  return change('unchanged', 'etl', 'dags/etl.py', { before: shapeOf(chain('extract', 'load')), after: shapeOf(chain('extract', 'load')), via: { module: 'helpers' } });
}

/** `ignoresReparse`: a processor on which parseDagFile does not speed anything up, so the publish delay is the wait. */
async function etlInstance(version: 'v1' | 'v2', ignoresReparse = false): Promise<AirflowSimulator> {
  return simulator({
    apiVersion: version,
    dags: [dag('etl', 'etl.py', chain('extract', 'load'), { source: ETL_V1 })],
    ...(ignoresReparse ? { reparseDelayMs: 60_000 } : {}),
  });
}

describe.each(VERSIONS)('waiting for Airflow to parse the push (%s)', (version) => {
  it('waits for a slow processor, then confirms the pushed tasks and edges', async () => {
    const sim = await etlInstance(version, true);
    const expectation = { changes: [modifiedEtl()], pushed: pushed() };
    sim.publish(
      { commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V2, dags: [{ dagId: 'etl', tasks: chain('extract', 'transform', 'load') }] }] },
      { afterListings: 2 },
    );
    const { client } = await connect(sim);
    const logs: string[] = [];
    const report = await waitUntilParsed(client, expectation, options(logs));
    expect(report.dags).toEqual([
      {
        dagId: 'etl',
        instance: 'airflow',
        state: 'parsed',
        waitedMs: expect.any(Number),
        proof: "Airflow's tasks and edges equal the pushed ones",
      },
    ]);
    expect(sim.requests.filter((r) => r.apiPath.endsWith('/dags')).length).toBe(3);
    expect(sim.requests.filter((r) => r.apiPath.endsWith('/dags/etl/tasks')).length).toBe(2);
  });

  it('reads the tasks once per parse Airflow shows, not every poll, and not before the first poll', async () => {
    const sim = await etlInstance(version, true);
    // The processor re-parses the old revision after the push (a git-sync that lags), then nothing.
    sim.publish({ commit: 'old', files: [{ path: 'etl.py', source: ETL_V1, dags: [{ dagId: 'etl', tasks: chain('extract', 'load') }] }] }, { afterListings: 2 });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [modifiedEtl()], pushed: pushed() }, options([], { timeoutMs: 1_000 }));
    expect(report.dags[0]).toMatchObject({
      state: 'timed-out',
      disagreement: 'tasks Airflow lacks: transform; edges Airflow lacks: extract >> transform, transform >> load; edges Airflow still has: extract >> load',
    });
    const lists = sim.requests.filter((r) => r.apiPath.endsWith('/dags'));
    expect(lists.length).toBeGreaterThan(4);
    // One read of the parse from before the push (from the second round on), one of the parse after it.
    const reads = sim.requests.filter((r) => r.apiPath.endsWith('/dags/etl/tasks'));
    expect(reads).toHaveLength(2);
    expect(sim.requests.indexOf(reads[0]!)).toBeGreaterThan(sim.requests.indexOf(lists[1]!));
  });

  it('asks Airflow to re-parse a changed file it knows instead of waiting for the regular parse', async () => {
    const sim = await etlInstance(version);
    sim.publish(
      { commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V2, dags: [{ dagId: 'etl', tasks: chain('extract', 'transform', 'load') }] }] },
      { delayMs: 60_000 },
    );
    const { client } = await connect(sim);
    const logs: string[] = [];
    const report = await waitUntilParsed(client, { changes: [modifiedEtl()], pushed: pushed() }, options(logs, { timeoutMs: 5_000 }));
    expect(report.dags[0]!.state).toBe('parsed');
    const puts = sim.requests.filter((r) => r.method === 'PUT');
    expect(puts).toHaveLength(1);
    expect(puts[0]).toMatchObject({ apiPath: expect.stringMatching(new RegExp(`^/api/${version}/parseDagFile/`)), status: 201 });
    expect(logs.join('\n')).toContain('asked Airflow to re-parse dags/etl.py');
  });

  it('asks no re-parse of a file the processor picked up on its own before the second poll', async () => {
    const sim = await etlInstance(version, true);
    sim.publish(
      { commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V2, dags: [{ dagId: 'etl', tasks: chain('extract', 'transform', 'load') }] }] },
      { afterListings: 1 },
    );
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [modifiedEtl()], pushed: pushed() }, options([], { pollInitialMs: 150 }));
    expect(report.dags[0]!.state).toBe('parsed');
    expect(sim.requests.filter((r) => r.apiPath.endsWith('/dags'))).toHaveLength(2);
    expect(sim.requests.some((r) => r.method === 'PUT')).toBe(false);
  });

  it('reads the stored source of a file once per poll however many changed DAGs it defines', async () => {
    const both = `${ETL_V1}with DAG("etl_backfill") as backfill:\n    extract >> load\n# reformatted\n`;
    const sim = await simulator({
      apiVersion: version,
      dags: [dag('etl', 'etl.py', chain('extract', 'load'), { source: ETL_V1 }), dag('etl_backfill', 'etl.py', chain('extract', 'load'))],
      reparseDelayMs: 60_000,
    });
    const dagsAtHead = [
      { dagId: 'etl', tasks: chain('extract', 'load') },
      { dagId: 'etl_backfill', tasks: chain('extract', 'load') },
    ];
    sim.publish({ commit: 'c0ffee', files: [{ path: 'etl.py', source: both, dags: dagsAtHead }] }, { delayMs: 0 });
    const { client } = await connect(sim);
    const edited = ['etl', 'etl_backfill'].map((dagId) => change('unchanged', dagId, 'dags/etl.py'));
    const report = await waitUntilParsed(client, { changes: edited, pushed: pushed({ 'dags/etl.py': both }, 'not-the-bundle') }, options([]));
    expect(report.dags.map((d) => d.state)).toEqual(['parsed', 'parsed']);
    // Airflow 2 stores one source per file (by file token); Airflow 3 one per DAG.
    expect(sim.requests.filter((r) => r.apiPath.includes('/dagSources/'))).toHaveLength(version === 'v1' ? 1 : 2);
  });

  it('waits for a new file until the folder is re-listed, without asking for a re-parse', async () => {
    const sim = await etlInstance(version);
    sim.publish({ commit: 'c0ffee', files: [{ path: 'reports/daily.py', dags: [{ dagId: 'daily', tasks: chain('a') }] }] }, { newFileDelayMs: 200 });
    const { client } = await connect(sim);
    const logs: string[] = [];
    const added = change('added', 'daily', 'dags/reports/daily.py', { after: shapeOf(chain('a')) });
    const report = await waitUntilParsed(client, { changes: [added], pushed: pushed({}) }, options(logs, {}, ['dags/etl.py', 'dags/reports/daily.py']));
    expect(report.dags[0]).toMatchObject({ dagId: 'daily', state: 'parsed', proof: 'Airflow lists it as active' });
    expect(report.dags[0]!.waitedMs).toBeGreaterThanOrEqual(150);
    expect(sim.requests.some((r) => r.method === 'PUT')).toBe(false);
    expect(logs.join('\n')).toContain('dags/reports/daily.py is new to Airflow');
    expect(logs.join('\n')).toContain('5 minutes');
    expect(report.live.map((d) => d.dagId)).toEqual(['daily', 'etl']);
  });

  it('times out when the processor never catches up, listing what Airflow still disagrees on', async () => {
    const sim = await etlInstance(version);
    sim.publish({ commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V2, dags: [{ dagId: 'etl', tasks: chain('extract', 'transform', 'load') }] }] }, { never: true });
    const { client } = await connect(sim);
    const progress: WaitProgress[] = [];
    const report = await waitUntilParsed(
      client,
      { changes: [modifiedEtl()], pushed: pushed() },
      options([], { timeoutMs: 300, progressEveryMs: 100, onProgress: (p) => progress.push(p) }),
    );
    expect(report.dags[0]).toMatchObject({
      state: 'timed-out',
      proof: '',
      disagreement: 'tasks Airflow lacks: transform; edges Airflow lacks: extract >> transform, transform >> load; edges Airflow still has: extract >> load',
    });
    expect(report.dags[0]!.waitedMs).toBeGreaterThanOrEqual(300);
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress.length).toBeLessThan(10);
    expect(progress[0]).toMatchObject({ instance: 'airflow', round: 1, total: 1, settled: 0, pending: [{ dagId: 'etl' }] });
  });

  it('stops waiting for the DAGs of a pushed file that fails to import, and reports the error', async () => {
    const sim = await etlInstance(version);
    const broken = 'from airflow import DAG\nimport pandas_nope\nwith DAG("etl") as dag:\n    extract >> transform >> load\n';
    sim.publish(
      { commit: 'c0ffee', files: [{ path: 'etl.py', source: broken, importError: { line: 2, message: "ModuleNotFoundError: No module named 'pandas_nope'" } }] },
      { delayMs: 60_000 },
    );
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [modifiedEtl()], pushed: pushed({ 'dags/etl.py': broken }) }, options([]));
    expect(report.dags[0]).toMatchObject({
      state: 'import-error',
      proof: "import error in dags/etl.py line 2: ModuleNotFoundError: No module named 'pandas_nope'",
    });
    expect(report.importErrors).toEqual([
      {
        file: 'dags/etl.py',
        airflowFile: version === 'v1' ? '/opt/airflow/dags/etl.py' : 'etl.py',
        line: 2,
        message: "ModuleNotFoundError: No module named 'pandas_nope'",
        timestamp: expect.any(String),
      },
    ]);
  });

  // The reader finds no DAG in a new file with a syntax error: Airflow's verdict is what tells.
  const UNREADABLE = 'from airflow import DAG\n\nwith DAG("late", schedule=None) as dag\n    pass\n';

  it('waits for Airflow to list the import error of a new file it read with a syntax error', async () => {
    const sim = await etlInstance(version);
    sim.publish({ commit: 'c0ffee', files: [{ path: 'late.py', source: UNREADABLE, importError: { line: 3, message: "SyntaxError: expected ':'" } }] }, { afterListings: 1 });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [], unreadFiles: ['dags/late.py'], pushed: pushed({ 'dags/late.py': UNREADABLE }) }, options([]));
    expect(report.files).toEqual([{ file: 'dags/late.py', state: 'import-error', waitedMs: expect.any(Number), proof: "import error in dags/late.py line 3: SyntaxError: expected ':'" }]);
    expect(report.importErrors.map((error) => [error.file, error.line])).toEqual([['dags/late.py', 3]]);
  });

  it('settles a file it read with a syntax error once Airflow parses a DAG from it after the push', async () => {
    const sim = await etlInstance(version);
    sim.publish({ commit: 'c0ffee', files: [{ path: 'late.py', source: UNREADABLE, dags: [{ dagId: 'late', tasks: chain('only') }] }] }, { afterListings: 1 });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [], unreadFiles: ['dags/late.py'], pushed: pushed({ 'dags/late.py': UNREADABLE }) }, options([], {}, ['dags/etl.py', 'dags/late.py']));
    expect(report.files).toEqual([{ file: 'dags/late.py', state: 'parsed', waitedMs: expect.any(Number), proof: 'Airflow parsed late from it after the push', dagIds: ['late'] }]);
    expect(report.importErrors).toEqual([]);
  });

  it('times out on a file it read with a syntax error when Airflow never reports on it', async () => {
    const sim = await etlInstance(version);
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [], unreadFiles: ['dags/late.py'], pushed: pushed({ 'dags/late.py': UNREADABLE }) }, options([], { timeoutMs: 300 }));
    expect(report.files).toEqual([{ file: 'dags/late.py', state: 'timed-out', waitedMs: expect.any(Number), proof: '' }]);
    expect(report.waitedMs).toBeGreaterThanOrEqual(250);
  });

  it('does not stop on an import error left from the revision the push fixes', async () => {
    const sim = await etlInstance(version, true);
    // The old revision failed on its line 2; the push fixes it, and lands later.
    sim.publish({ commit: 'old', files: [{ path: 'etl.py', source: 'x\nimport broken\n', importError: { line: 2, message: 'ImportError: broken' } }] });
    sim.publish({ commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V2, dags: [{ dagId: 'etl', tasks: chain('extract', 'transform', 'load') }] }] }, { delayMs: 150 });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [modifiedEtl()], pushed: pushed() }, options([]));
    expect(report.dags[0]!.state).toBe('parsed');
    expect(report.importErrors).toEqual([]);
  });

  it('confirms a removed DAG once Airflow marks it inactive (stale)', async () => {
    const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py'), dag('old', 'old.py')] });
    sim.publish({ commit: 'c0ffee', files: [], removed: ['old.py'] }, { delayMs: 100 });
    const { client } = await connect(sim);
    const removed = change('removed', 'old', 'dags/old.py', { before: shapeOf(chain('extract', 'load')) });
    const report = await waitUntilParsed(client, { changes: [removed], pushed: pushed({}) }, options([], {}, ['dags/etl.py']));
    expect(report.dags[0]).toMatchObject({ state: 'parsed', proof: version === 'v1' ? 'Airflow marks it inactive' : 'Airflow marks it stale' });
    expect(report.live.find((d) => d.dagId === 'old')).toMatchObject({ active: false });
  });

  it('proves a DAG edited without task changes fresh by its stored source (or, on Airflow 3, its bundle version)', async () => {
    const sim = await etlInstance(version, true);
    const withComment = `${ETL_V1}# helpers moved\n`;
    sim.publish({ commit: 'c0ffee', files: [{ path: 'etl.py', source: withComment, dags: [{ dagId: 'etl', tasks: chain('extract', 'load') }] }] }, { delayMs: 100 });
    const { client } = await connect(sim);
    const unchanged = change('unchanged', 'etl', 'dags/etl.py');
    const report = await waitUntilParsed(client, { changes: [unchanged], pushed: pushed({ 'dags/etl.py': withComment }) }, options([]));
    expect(report.dags[0]).toMatchObject({
      state: 'parsed',
      proof: version === 'v1' ? 'the source Airflow stored is the pushed dags/etl.py' : 'its bundle_version is the pushed commit',
    });
    if (version === 'v1') expect(sim.requests.some((r) => r.apiPath.includes('/dagSources/'))).toBe(true);
  });

  it('does not take the unchanged file of a DAG that imports a changed helper as proof that Airflow re-parsed it', async () => {
    // The DAG file did not change: Airflow's stored source equals the pushed file before any re-parse.
    const sim = await simulator({
      apiVersion: version,
      dags: [dag('etl', 'etl.py', chain('extract', 'load'), { source: ETL_V1, lastParsedTime: new Date(Date.now() - 3_600_000).toISOString() })],
      reparseDelayMs: 60_000,
    });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [importerOfHelpers()], pushed: pushed({ 'dags/etl.py': ETL_V1 }) }, options([], { timeoutMs: 400 }));
    expect(report.dags[0]).toMatchObject({ state: 'timed-out', disagreement: expect.stringMatching(/before the push$/) });
  });

  it('proves a DAG that imports a changed helper by a parse after the push (or its bundle version) and by its tasks and edges', async () => {
    const sim = await simulator({
      apiVersion: version,
      dags: [dag('etl', 'etl.py', chain('extract', 'load'), { source: ETL_V1, lastParsedTime: new Date(Date.now() - 3_600_000).toISOString() })],
      reparseDelayMs: 60_000,
    });
    sim.publish({ commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V1, dags: [{ dagId: 'etl', tasks: chain('extract', 'load') }] }] }, { delayMs: 100 });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [importerOfHelpers()], pushed: { ...pushed({ 'dags/etl.py': ETL_V1 }), time: Date.now() - 1000 } }, options([]));
    expect(report.dags[0]!.state).toBe('parsed');
    expect(report.dags[0]!.proof).toMatch(
      version === 'v1'
        ? /^the tasks and edges read from the push are in Airflow, and time is the only evidence: Airflow parsed it at .*, after the push$/
        : /^the tasks and edges read from the push are in Airflow, and its bundle_version is the pushed commit$/,
    );
  });

  it('accepts a parse after the push as freshness when the pushed content is unknown, saying time is the only evidence', async () => {
    const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py', chain('a'), { lastParsedTime: '2020-01-01T00:00:00+00:00' })], reparseDelayMs: 60_000 });
    const push = { time: Date.now(), sources: new Map<string, string>() };
    sim.publish({ commit: 'c1', files: [{ path: 'etl.py', dags: [{ dagId: 'etl', tasks: chain('a') }] }] }, { delayMs: 100 });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [change('unchanged', 'etl', 'dags/etl.py')], pushed: push }, options([]));
    expect(report.dags[0]!.state).toBe('parsed');
    expect(report.dags[0]!.proof).toMatch(/^time is the only evidence: Airflow parsed it at .*, after the push$/);
  });

  it('does not accept a parse within airflow-parse-margin of the push when time is the only evidence', async () => {
    const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py', chain('a'), { lastParsedTime: '2020-01-01T00:00:00+00:00' })], reparseDelayMs: 60_000 });
    // git-sync had not delivered the push yet: the parse right after it read the old file.
    const push = { time: Date.now(), marginMs: 60_000, sources: new Map<string, string>() };
    sim.publish({ commit: 'c1', files: [{ path: 'etl.py', dags: [{ dagId: 'etl', tasks: chain('a') }] }] }, { delayMs: 50 });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [change('unchanged', 'etl', 'dags/etl.py')], pushed: push }, options([], { timeoutMs: 400 }));
    expect(report.dags[0]).toMatchObject({ state: 'timed-out', disagreement: expect.stringMatching(/less than 60 s \(airflow-parse-margin\) after the push$/) });
  });

  it('compares only what was read of a partially read DAG, plus freshness', async () => {
    const sim = await etlInstance(version, true);
    const tasks = [...chain('extract', 'transform', 'load'), { taskId: 'dynamic_1', downstream: [] }];
    sim.publish({ commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V2, dags: [{ dagId: 'etl', tasks }] }] }, { delayMs: 100 });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [modifiedEtl({ partial: true })], pushed: pushed() }, options([]));
    expect(report.dags[0]!.state).toBe('parsed');
    expect(report.dags[0]!.proof).toContain('the tasks and edges read from the push are in Airflow');
  });

  it('waits until Airflow reads a moved DAG from its new file', async () => {
    const sim = await simulator({
      apiVersion: version,
      dags: [dag('etl', 'etl.py', chain('extract', 'load'), { source: ETL_V1 }), dag('other', 'team/other.py')],
    });
    sim.publish({ commit: 'c0ffee', files: [], removed: ['etl.py'] }, { delayMs: 60_000 });
    sim.publish({ commit: 'c0ffee', files: [{ path: 'pipelines/etl.py', source: ETL_V1, dags: [{ dagId: 'etl', tasks: chain('extract', 'load') }] }] }, { afterListings: 2 });
    const { client } = await connect(sim);
    const moved = change('unchanged', 'etl', 'dags/pipelines/etl.py', { previousFile: 'dags/etl.py' });
    const progress: WaitProgress[] = [];
    const report = await waitUntilParsed(
      client,
      { changes: [moved], pushed: pushed({ 'dags/pipelines/etl.py': ETL_V1 }) },
      options([], { progressEveryMs: 0, onProgress: (p) => progress.push(p) }, ['dags/pipelines/etl.py', 'dags/team/other.py']),
    );
    expect(progress[0]!.pending[0]!.disagreement).toBe('Airflow still reads it from dags/etl.py');
    expect(report.dags[0]!.state).toBe('parsed');
    // The old file was known: its re-parse request is what lands the removal early.
    expect(sim.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });

  it('rides out Airflow failing for a while mid-wait', async () => {
    const sim = await etlInstance(version, true);
    sim.publish({ commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V2, dags: [{ dagId: 'etl', tasks: chain('extract', 'transform', 'load') }] }] }, { delayMs: 200 });
    const { client } = await connect(sim, { kind: 'none' }, {}, { retries: 0, requestTimeoutMs: 1_000 });
    sim.faults.push({ match: (r) => r.apiPath.endsWith('/dags'), kind: 'status', status: 503, times: 3 });
    const logs: string[] = [];
    const report = await waitUntilParsed(client, { changes: [modifiedEtl()], pushed: pushed() }, options(logs));
    expect(report.dags[0]!.state).toBe('parsed');
    expect(logs.filter((line) => line.includes('Trying again at the next poll'))).toHaveLength(3);
  });

  it('reads the live DAG list once when there is nothing to wait for', async () => {
    const sim = await etlInstance(version);
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [], pushed: pushed({}) }, options([]));
    expect(report.dags).toEqual([]);
    expect(report.live.map((d) => d.dagId)).toEqual(['etl']);
    expect(sim.requests.filter((r) => r.apiPath.endsWith('/dags'))).toHaveLength(1);
  });

  it('fails at once on an auth error mid-wait, naming the input', async () => {
    const sim = await simulator({ apiVersion: version, auth: { kind: 'bearer', token: 't' }, dags: [dag('etl', 'etl.py')] });
    const { client } = await connect(sim, { kind: 'bearer', token: 't' });
    sim.faults.push({ match: (r) => r.apiPath.endsWith('/dags'), kind: 'status', status: 403, times: Infinity });
    await expect(waitUntilParsed(client, { changes: [modifiedEtl()], pushed: pushed() }, options([]))).rejects.toMatchObject({
      kind: 'auth',
      fix: expect.stringContaining('airflow-token'),
    });
  });

  it('maps Airflow file names to repository paths when the container folder is not the default (Airflow 2: detected)', async () => {
    const sim = await simulator({
      apiVersion: version,
      filelocPrefix: '/usr/local/airflow/dags/repo',
      dags: [dag('etl', 'etl.py', chain('extract', 'load'), { source: ETL_V1 }), dag('other', 'team/other.py')],
    });
    sim.publish({ commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V2, dags: [{ dagId: 'etl', tasks: chain('extract', 'transform', 'load') }] }] }, { delayMs: 60_000 });
    const { client } = await connect(sim);
    const report = await waitUntilParsed(client, { changes: [modifiedEtl()], pushed: pushed() }, options([], {}, ['dags/etl.py', 'dags/team/other.py']));
    // Only a correctly mapped file gets its re-parse request, which is what lands the push in time.
    expect(report.dags[0]!.state).toBe('parsed');
    expect(sim.requests.filter((r) => r.method === 'PUT')).toHaveLength(1);
  });
});


describe('waiting for Airflow 3 on a versioned (git) bundle', () => {
  it('takes no parse of an older bundle_version as evidence, however long after the push: it waits for the pushed commit', async () => {
    // The bundle has not refreshed yet: the processor re-parses the file at the commit before the push.
    const sim = await simulator({ apiVersion: 'v2', bundleVersion: 'before', dags: [dag('etl', 'etl.py', chain('extract', 'load'), { source: ETL_V1, lastParsedTime: '2020-01-01T00:00:00+00:00' })], reparseDelayMs: 60_000 });
    const push = { ...pushed({ 'dags/etl.py': ETL_V1 }, 'c0ffee'), time: Date.now() - 1000 };
    sim.publish({ commit: 'before', files: [{ path: 'etl.py', source: ETL_V1, dags: [{ dagId: 'etl', tasks: chain('extract', 'load') }] }] }, { delayMs: 20 });
    const { client } = await connect(sim);

    const stale = await waitUntilParsed(client, { changes: [importerOfHelpers()], pushed: push }, options([], { timeoutMs: 400 }));

    expect(stale.dags[0]).toMatchObject({ state: 'timed-out', disagreement: 'Airflow last parsed it at bundle_version before, not the pushed commit c0ffee' });

    sim.publish({ commit: 'c0ffee', files: [{ path: 'etl.py', source: ETL_V1, dags: [{ dagId: 'etl', tasks: chain('extract', 'load') }] }] }, { delayMs: 20 });
    const fresh = await waitUntilParsed(client, { changes: [importerOfHelpers()], pushed: push }, options([]));
    expect(fresh.dags[0]).toMatchObject({ state: 'parsed', proof: 'the tasks and edges read from the push are in Airflow, and its bundle_version is the pushed commit' });
  });
});
