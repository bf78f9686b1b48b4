// The fault matrix (issue 7): every fault of Airflow, Dagster and the GitHub API
// the action must survive or fail cleanly on, each run end to end through the
// bundle in debug mode against its own simulators. A bounded fault (`times: 2`)
// must be retried into a success; one that persists must end in exit code 1 with
// a summary that names what failed and the fix. Either way: a valid JSON report,
// a job summary, never a second reload for one push, never a reload reported
// done that the action did not see finish, and no secret anywhere.
import { afterAll, describe, expect, it } from 'vitest';
import type { Fault as AirflowFault } from '../../sim/airflow.js';
import type { DagsterFault } from '../../sim/dagster.js';
import type { Fault as GitHubFault } from '../../sim/github.js';
import { LOCATION, OTHER_LOCATION } from '../../sim/scenario.js';
import type { ActionRun } from '../support/run-action.js';
import {
  act,
  expectCleanFailure,
  expectNoSecretLeaks,
  expectNothingReportedReloaded,
  expectSucceeded,
  listenOnceRefused,
  openWorld,
  refusedPort,
  startTap,
  through,
  until,
  cleanupOf,
  type Secret,
  type TestContext,
  type Tap,
  type World,
  type WorldOptions,
} from './harness.js';

const tally = { tried: 0, survived: 0, failedCleanly: 0, secretsScanned: 0 };
afterAll(() => {
  console.log(`fault matrix: ${tally.tried} faults tried, ${tally.survived} survived, ${tally.failedCleanly} failed cleanly, ${tally.secretsScanned} secret scans`);
});

async function world(ctx: TestContext, options: WorldOptions = {}): Promise<World> {
  return openWorld(cleanupOf(ctx), options);
}

async function tap(ctx: TestContext, target?: string): Promise<Tap> {
  const started = await startTap(target);
  cleanupOf(ctx)(() => started.close());
  return started;
}

const HEAD_DAGS = { prod: ['customers_sync', 'new_reporting', 'orders_etl'] };

function airflowFault(w: World, path: string, fault: Omit<AirflowFault, 'match'>, method = 'GET'): void {
  const apiPath = path.replace('{v}', w.s.airflow.apiVersion);
  w.s.airflow.faults.push({ ...fault, match: (request) => request.method === method && request.apiPath === apiPath });
}

function dagsterFault(w: World, operation: string, fault: Omit<DagsterFault, 'match'>): void {
  w.s.dagster.faults.push({ ...fault, match: `AirliftSync${operation}` });
}

/** Whether a tap request is the GraphQL operation `name`. */
function operationIs(name: string): (request: { body: string }) => boolean {
  return (request) => {
    try {
      return (JSON.parse(request.body) as { operationName?: string }).operationName === `AirliftSync${name}`;
    } catch {
      return false;
    }
  };
}

function dagsterUrlInput(w: World, url: string): Record<string, string> {
  return 'dagster-url' in w.s.inputs ? { 'dagster-url': url } : { 'dagster-cloud-url': url };
}

/** The fault was retried into a success: the push reloaded exactly once, and confirmed. */
function survived(run: ActionRun, w: World, options: { taps?: readonly Tap[]; extra?: readonly Secret[] } = {}): void {
  tally.tried++;
  expectSucceeded(run);
  expect(w.s.dagster.location(LOCATION).reloads).toBe(1);
  expect(w.s.dagster.location(OTHER_LOCATION).reloads).toBe(0);
  expect(w.s.dagster.location(LOCATION).dags).toEqual(HEAD_DAGS);
  expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([LOCATION]);
  tally.secretsScanned += expectNoSecretLeaks(run, w, options);
  tally.survived++;
}

/**
 * The fault persisted: a clean failure naming it, `reloadsSent` reloads at the simulator (1 when
 * the reload was sent but not seen to finish), none reported done.
 */
function failedCleanly(
  run: ActionRun,
  w: World,
  stage: 'changes' | 'airflow' | 'dagster',
  says: readonly (string | RegExp)[],
  options: { reloadsSent?: number; taps?: readonly Tap[]; extra?: readonly Secret[] } = {},
): void {
  tally.tried++;
  expectCleanFailure(run, stage, says);
  expect(w.s.dagster.location(LOCATION).reloads).toBe(options.reloadsSent ?? 0);
  expect(w.s.dagster.location(OTHER_LOCATION).reloads).toBe(0);
  expectNothingReportedReloaded(run);
  tally.secretsScanned += expectNoSecretLeaks(run, w, options);
  tally.failedCleanly++;
}

const faulted = (w: World, kind: string) => w.s.airflow.requests.filter((request) => request.fault === kind).length;
const dagsterFaulted = (w: World, kind: string) => w.s.dagster.operations.filter((operation) => operation.fault === kind).length;

describe.concurrent('fault matrix: Airflow', () => {
  it('Airflow: survives a 429 with Retry-After twice, waiting as long as it says', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    const seen: number[] = [];
    const stamp = (request: { method: string; apiPath: string }) => {
      const hit = request.method === 'GET' && request.apiPath === '/api/v2/version';
      if (hit) seen.push(Date.now());
      return hit;
    };
    w.s.airflow.faults.push({ kind: 'retry-after', retryAfter: '1', times: 2, match: stamp });
    // Records when the request after the two 429s arrived, and lets it through.
    w.s.airflow.faults.push({ kind: 'latency', ms: 0, times: 1, match: stamp });
    // Connecting takes at most airflow-timeout: two waits of 1 s need a deadline with a large margin.
    const run = await act(w, { 'airflow-timeout': '30s' });
    survived(run, w);
    expect(faulted(w, 'retry-after')).toBe(2);
    expect(seen).toHaveLength(3);
    expect(seen[1]! - seen[0]!).toBeGreaterThanOrEqual(950);
    expect(seen[2]! - seen[1]!).toBeGreaterThanOrEqual(950);
  });

  it('Airflow: survives a 429 without Retry-After twice', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, '/api/{v}/dags', { kind: 'status', status: 429, times: 2 });
    const run = await act(w);
    survived(run, w);
    expect(faulted(w, 'status')).toBe(2);
  });

  it.for([
    [500, 'GET', '/api/{v}/version'],
    [502, 'POST', '/auth/token'],
    [503, 'GET', '/api/{v}/dags'],
    [504, 'GET', '/api/{v}/importErrors'],
  ] as const)('Airflow: survives %i twice in a row (%s %s)', async ([status, method, path], ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, path, { kind: 'status', status, times: 2 }, method);
    const run = await act(w);
    survived(run, w);
    expect(faulted(w, 'status')).toBe(2);
  });

  it('Airflow 2: survives 503 twice with basic auth and a self-hosted Dagster', async (ctx) => {
    const w = await world(ctx, { apiVersion: 'v1', dagster: 'self-hosted' });
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, '/api/{v}/dags', { kind: 'status', status: 503, times: 2 });
    const run = await act(w);
    survived(run, w);
    expect(w.s.airflow.requests.every((request) => request.authScheme === undefined || request.authScheme === 'Basic')).toBe(true);
  });

  it('Airflow: fails cleanly when it answers 503 for the whole wait, naming the status', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, '/api/{v}/dags', { kind: 'status', status: 503, times: Infinity });
    const run = await act(w);
    failedCleanly(run, w, 'airflow', ['status 503', 'Dagster was not reloaded', /unhealthy or overloaded/]);
  });

  it('Airflow: fails cleanly when it keeps answering 429, saying it is rate-limited', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, '/api/{v}/dags', { kind: 'status', status: 429, times: Infinity });
    const run = await act(w);
    failedCleanly(run, w, 'airflow', ['429 Too Many Requests', 'rate-limiting']);
  });

  it('Airflow: survives a request that hangs', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, '/api/{v}/dags', { kind: 'timeout', times: 1 });
    const run = await act(w);
    survived(run, w);
    expect(faulted(w, 'timeout')).toBe(1);
  });

  it('Airflow: fails cleanly when every poll hangs', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, '/api/{v}/dags', { kind: 'timeout', times: Infinity });
    const run = await act(w);
    failedCleanly(run, w, 'airflow', ['did not answer before', 'airflow-timeout']);
  });

  it('Airflow: survives connection refused until it starts listening', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    const port = await refusedPort();
    const refused = /::debug::Airflow GET \/api\/v2\/version: attempt 1 failed \(ECONNREFUSED\)/;
    const onStdout = listenOnceRefused(port, w.s.airflow.url, refused, cleanupOf(ctx));
    const run = await act(w, { 'airflow-url': `http://127.0.0.1:${port}` }, { onStdout });
    survived(run, w);
    expect(run.stdout).toMatch(refused);
  });

  it('Airflow: fails cleanly when nothing listens (connection refused)', async (ctx) => {
    const w = await world(ctx);
    const port = await refusedPort();
    const run = await act(w, { 'airflow-url': `http://127.0.0.1:${port}` });
    failedCleanly(run, w, 'airflow', ['could not be reached: ECONNREFUSED', 'airflow-url']);
  });

  it('Airflow: survives a connection reset mid-body twice', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, '/api/{v}/dags', { kind: 'drop', times: 2 });
    const run = await act(w);
    survived(run, w);
    expect(faulted(w, 'drop')).toBe(2);
  });

  it('Airflow: fails cleanly on a truncated JSON body', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, '/api/{v}/dags', { kind: 'malformed', times: 1 });
    const run = await act(w);
    failedCleanly(run, w, 'airflow', ['answered a body that is not JSON', 'airflow-url']);
  });

  it("Airflow: fails cleanly on an auth proxy's login page (HTML with status 200)", async (ctx) => {
    const w = await world(ctx);
    airflowFault(w, '/api/{v}/version', { kind: 'html-login', times: Infinity });
    const run = await act(w);
    failedCleanly(run, w, 'airflow', ["an auth proxy's login page", 'airflow-username/airflow-password']);
  });

  it('Airflow: refuses a redirect to another origin, which receives nothing', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    const elsewhere = await tap(ctx);
    airflowFault(w, '/api/{v}/dags', { kind: 'redirect', location: `${elsewhere.url}/login?next=/api/v2/dags`, times: Infinity });
    const run = await act(w);
    failedCleanly(run, w, 'airflow', ['redirected to another origin', elsewhere.origin, 'does not forward credentials'], { taps: [elsewhere] });
    expect(elsewhere.requests).toEqual([]);
  });

  it('Airflow: follows a redirect within its own origin, with its credentials', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    airflowFault(w, '/api/{v}/dags', { kind: 'redirect', location: '/api/v2/dags?limit=100&offset=0&order_by=dag_id&exclude_stale=false', times: 1 });
    const run = await act(w);
    survived(run, w);
    expect(faulted(w, 'redirect')).toBe(1);
  });

  it('Airflow: fails cleanly when its host name does not resolve (DNS)', async (ctx) => {
    const w = await world(ctx);
    const run = await act(w, { 'airflow-url': 'https://airflow.invalid' });
    failedCleanly(run, w, 'airflow', ['airflow.invalid does not resolve (ENOTFOUND)', 'airflow-url']);
    // A name that does not exist is not retried.
    expect(run.stdout).not.toMatch(/attempt 2 failed/);
  });

  it('Airflow 3: logs in again when its JWT expires during the wait', async (ctx) => {
    const w = await world(ctx);
    // The push lands only once the tokens expired, whenever that is: a delay could elapse before the
    // first poll on a busy machine, and then no request would need a new login.
    w.s.publishHead({ never: true });
    const started = act(w, { 'airflow-timeout': '30s' });
    await until(() => w.s.airflow.requests.some((request) => request.apiPath === '/api/v2/dags'), 30_000);
    w.s.airflow.expireTokens();
    w.s.publishHead({ delayMs: 0 });
    const run = await started;
    survived(run, w);
    expect(w.s.airflow.requests.filter((request) => request.apiPath === '/auth/token' && request.status === 201)).toHaveLength(2);
    expect(w.s.airflow.requests.some((request) => request.status === 401)).toBe(true);
  });

  it('Airflow: fails cleanly when the DAG processor never catches up', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ never: true });
    const run = await act(w, { 'airflow-timeout': '1500ms' });
    failedCleanly(run, w, 'airflow', ['did not show the push within airflow-timeout', 'new_reporting', 'DAG processor']);
  });
});

describe.concurrent('fault matrix: Dagster', () => {
  it('Dagster: survives a 429 with Retry-After twice', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'Workspace', { kind: 'retry-after', retryAfter: '1', times: 2 });
    // Discovery takes at most reload-timeout: two waits of 1 s need a deadline with a large margin.
    const run = await act(w, { 'reload-timeout': '30s' });
    survived(run, w);
    expect(dagsterFaulted(w, 'retry-after')).toBe(2);
  });

  it('Dagster: survives a 429 without Retry-After twice', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'Capabilities', { kind: 'status', status: 429, times: 2 });
    const run = await act(w);
    survived(run, w);
    expect(dagsterFaulted(w, 'status')).toBe(2);
  });

  it.for([
    [500, 'Capabilities'],
    [502, 'Workspace'],
    [503, 'LocationStatuses'],
    [504, 'Location'],
  ] as const)('Dagster: survives %i twice in a row (%s)', async ([status, operation], ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, operation, { kind: 'status', status, times: 2 });
    const run = await act(w);
    survived(run, w);
    expect(dagsterFaulted(w, 'status')).toBe(2);
  });

  it('Dagster (self-hosted): survives 503 twice on the reload request, reloading once', async (ctx) => {
    const w = await world(ctx, { apiVersion: 'v1', dagster: 'self-hosted' });
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'ReloadLocation', { kind: 'status', status: 503, times: 2 });
    const run = await act(w);
    survived(run, w);
    expect(dagsterFaulted(w, 'status')).toBe(2);
  });

  it('Dagster: fails cleanly when every status poll fails (503), and does not report the reload done', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'LocationStatuses', { kind: 'status', status: 503, times: Infinity });
    const run = await act(w);
    failedCleanly(run, w, 'dagster', ['status 503'], { reloadsSent: 1 });
    expect(run.summary).toContain('❌ reload failed');
  });

  it('Dagster: survives a status poll that hangs', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'LocationStatuses', { kind: 'timeout', times: 1 });
    const run = await act(w);
    survived(run, w);
    expect(dagsterFaulted(w, 'timeout')).toBe(1);
  });

  it('Dagster: fails cleanly when the reload request hangs, and does not send it twice', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'ReloadLocation', { kind: 'timeout', times: Infinity });
    const run = await act(w);
    failedCleanly(run, w, 'dagster', ['did not finish reloading within 3 s', 'reload-timeout']);
    expect(w.s.dagster.operations.filter((operation) => operation.operationName === 'AirliftSyncReloadLocation')).toHaveLength(1);
  });

  it('Dagster: survives connection refused until it starts listening', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    const port = await refusedPort();
    const refused = /::debug::Dagster POST \/prod\/graphql: attempt 1 failed \(ECONNREFUSED\)/;
    const onStdout = listenOnceRefused(port, w.s.dagster.baseUrl, refused, cleanupOf(ctx));
    const run = await act(w, dagsterUrlInput(w, `http://127.0.0.1:${port}${new URL(w.s.dagster.baseUrl).pathname}`), { onStdout });
    survived(run, w);
    expect(run.stdout).toMatch(refused);
  });

  it('Dagster: fails cleanly when nothing listens (connection refused)', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    const port = await refusedPort();
    const run = await act(w, dagsterUrlInput(w, `http://127.0.0.1:${port}/prod/`));
    failedCleanly(run, w, 'dagster', ['could not be reached: ECONNREFUSED', 'dagster-cloud-url']);
  });

  it('Dagster: survives a connection reset twice', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'Workspace', { kind: 'drop', times: 2 });
    const run = await act(w);
    survived(run, w);
    expect(dagsterFaulted(w, 'drop')).toBe(2);
  });

  // Fails until src/dagster sends the reload mutation as non-idempotent and looks before resending
  // (see RELIABILITY.md, "Open"): today the reset reload is sent again and the location reloads twice.
  it.for(['dagster-plus', 'self-hosted'] as const)(
    'Dagster (%s): reloads once when the connection drops after Dagster acted on the reload',
    async (dagster, ctx) => {
      const w = await world(ctx, { dagster });
      w.s.publishHead({ delayMs: 0 });
      const front = await tap(ctx, w.s.dagster.baseUrl);
      front.faults.push({ kind: 'reset-after-forward', match: operationIs('ReloadLocation'), times: 1 });
      const run = await act(w, dagsterUrlInput(w, through(front, w.s.dagster.baseUrl)));
      expect(w.s.dagster.location(LOCATION).reloads, 'reloads for one push').toBe(1);
      survived(run, w, { taps: [front] });
    },
  );

  it('Dagster: reloads once when a gateway answers 502 after Dagster acted on the reload', async (ctx) => {
    const w = await world(ctx, { dagster: 'self-hosted' });
    w.s.publishHead({ delayMs: 0 });
    const front = await tap(ctx, w.s.dagster.baseUrl);
    front.faults.push({ kind: 'status-after-forward', status: 502, match: operationIs('ReloadLocation'), times: 1 });
    const run = await act(w, dagsterUrlInput(w, through(front, w.s.dagster.baseUrl)));
    expect(w.s.dagster.location(LOCATION).reloads, 'reloads for one push').toBe(1);
    survived(run, w, { taps: [front] });
  });

  it('Dagster: fails cleanly on a truncated JSON body', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'Workspace', { kind: 'malformed', times: 1 });
    const run = await act(w);
    failedCleanly(run, w, 'dagster', ['not JSON']);
  });

  it("Dagster: fails cleanly on a GraphQL errors array, quoting Dagster's message", async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'Workspace', { kind: 'graphql-errors', message: 'DagsterUserCodeUnreachableError: could not reach the code server', times: 1 });
    const run = await act(w);
    failedCleanly(run, w, 'dagster', ['DagsterUserCodeUnreachableError: could not reach the code server']);
  });

  it('Dagster: survives refused introspection (GraphQL errors on the capability probe)', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    dagsterFault(w, 'Capabilities', { kind: 'graphql-errors', message: 'GraphQL introspection is not allowed', times: 1 });
    const run = await act(w);
    survived(run, w);
    expect(run.stdout).toContain('assuming the oldest supported schema');
  });

  it("Dagster: fails cleanly on an auth proxy's login page (HTML with status 200)", async (ctx) => {
    const w = await world(ctx);
    dagsterFault(w, 'Capabilities', { kind: 'html-login', times: Infinity });
    const run = await act(w);
    failedCleanly(run, w, 'dagster', ["an auth proxy's login page", 'dagster-cloud-api-token']);
  });

  it('Dagster: refuses a redirect to another origin, which receives nothing', async (ctx) => {
    const w = await world(ctx);
    const elsewhere = await tap(ctx);
    dagsterFault(w, 'Capabilities', { kind: 'redirect', location: `${elsewhere.url}/oauth2/start`, times: Infinity });
    const run = await act(w);
    failedCleanly(run, w, 'dagster', ['redirected to another origin', 'does not forward credentials'], { taps: [elsewhere] });
    expect(elsewhere.requests).toEqual([]);
  });

  it('Dagster: fails cleanly when its host name does not resolve (DNS)', async (ctx) => {
    const w = await world(ctx);
    const run = await act(w, dagsterUrlInput(w, 'https://dagster.invalid/prod/'));
    failedCleanly(run, w, 'dagster', ['dagster.invalid does not resolve (ENOTFOUND)']);
  });

  it('Dagster: fails cleanly when the location stays LOADING, and does not report it reloaded', async (ctx) => {
    const w = await world(ctx, { reload: 'stuck' });
    w.s.publishHead({ delayMs: 0 });
    const run = await act(w);
    failedCleanly(run, w, 'dagster', ['was still loading after 3 s', 'reload-timeout'], { reloadsSent: 1 });
    expect(run.summary).toContain('⏳ still loading');
  });

  it('Dagster: fails cleanly when the reload ends in a load error', async (ctx) => {
    const w = await world(ctx, { reload: 'load-error' });
    w.s.publishHead({ delayMs: 0 });
    const run = await act(w);
    failedCleanly(run, w, 'dagster', ['failed to load', 'DagsterImportError'], { reloadsSent: 1 });
    expect(run.summary).toContain('❌ failed to load');
  });

  it('Dagster: fails cleanly when the location is gone by the time it is reloaded', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    w.s.dagster.setReload(LOCATION, 'not-found');
    const run = await act(w);
    failedCleanly(run, w, 'dagster', [`Dagster has no code location "${LOCATION}"`, 'code-locations'], { reloadsSent: 1 });
    expect(run.summary).toContain('❌ not found');
  });

  it('Dagster: fails cleanly when the location disappears while it reloads', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    const front = await tap(ctx, w.s.dagster.baseUrl);
    front.faults.push({ kind: 'json', body: { data: { workspaceLocationEntryOrError: null } }, match: operationIs('Location'), times: Infinity });
    const run = await act(w, dagsterUrlInput(w, through(front, w.s.dagster.baseUrl)));
    failedCleanly(run, w, 'dagster', ['disappeared from the workspace while it reloaded'], { reloadsSent: 1, taps: [front] });
  });
});

describe.concurrent('fault matrix: bodies that never end or inflate (deadline on the whole response, size cap)', () => {
  // Each fault alone would hold the run for minutes (or forever): a run that ends failed, well within
  // the test's timeout, is one whose deadline covered the body. The deadlines are short, the bound is not.
  it.for(['trickle', 'stall-after-headers'] as const)('Airflow: a version answer that %s ends at airflow-timeout', async (kind, ctx) => {
    const w = await world(ctx);
    const front = await tap(ctx, w.s.airflow.url);
    front.faults.push({ kind, match: (r) => r.path.endsWith('/version'), times: Infinity });
    const run = await act(w, { 'airflow-url': through(front, w.s.airflow.url), 'airflow-timeout': '2s' });
    failedCleanly(run, w, 'airflow', ["Airflow GET /api/v2/version did not answer before the stage's deadline", 'raise the timeout input'], { taps: [front] });
  });

  it.for(['trickle', 'stall-after-headers'] as const)('Dagster: a workspace answer that %s ends at reload-timeout', async (kind, ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    const front = await tap(ctx, w.s.dagster.baseUrl);
    front.faults.push({ kind, match: operationIs('Workspace'), times: Infinity });
    const run = await act(w, { ...dagsterUrlInput(w, through(front, w.s.dagster.baseUrl)), 'reload-timeout': '2s' });
    failedCleanly(run, w, 'dagster', ["did not answer before the stage's deadline"], { taps: [front] });
  });

  it('Dagster: a gzip bomb is "response too large", naming Dagster, not "could not be reached"', async (ctx) => {
    const w = await world(ctx);
    w.s.publishHead({ delayMs: 0 });
    const front = await tap(ctx, w.s.dagster.baseUrl);
    front.faults.push({ kind: 'gzip-bomb', match: operationIs('Workspace'), times: Infinity });
    // Inflating 256 MiB takes seconds on a busy machine: the deadline must not be what ends it.
    const run = await act(w, { ...dagsterUrlInput(w, through(front, w.s.dagster.baseUrl)), 'reload-timeout': '60s' });
    failedCleanly(run, w, 'dagster', [/Dagster POST \/prod\/graphql answered a body larger than 256 MiB \(after decompression\): response too large\./], { taps: [front] });
    expect(run.summary).not.toContain('could not be reached');
    expect(front.requests.filter((request) => request.body.includes('AirliftSyncWorkspace'))).toHaveLength(1);
  });
});

describe.concurrent('fault matrix: GitHub API (a shallow clone that cannot fetch the range)', () => {
  it('GitHub API: reads the push when the clone cannot (no fault)', async (ctx) => {
    const w = await world(ctx, { githubApi: true });
    w.s.publishHead({ delayMs: 0 });
    const run = await act(w);
    survived(run, w);
    expect(run.report!.changes.source).toBe('github-api');
    expect(run.report!.changes.githubApiRequests).toBeGreaterThan(0);
  });

  it.for([
    [429, '/compare/'],
    [500, '/compare/'],
    [502, '/git/trees/'],
    [503, '/git/blobs/'],
    [504, '/compare/'],
  ] as const)('GitHub API: survives %i twice in a row (%s)', async ([status, path], ctx) => {
    const w = await world(ctx, { githubApi: true });
    w.s.publishHead({ delayMs: 0 });
    w.github!.fault(path, { status, times: 2 } satisfies GitHubFault);
    const run = await act(w);
    survived(run, w);
    expect(run.report!.changes.source).toBe('github-api');
    expect(w.github!.requests.filter((request) => request.status === status)).toHaveLength(2);
  });

  it('GitHub API: fails cleanly when it keeps answering 503', async (ctx) => {
    const w = await world(ctx, { githubApi: true });
    w.s.publishHead({ delayMs: 0 });
    w.github!.fault('/compare/', { status: 503 });
    const run = await act(w);
    failedCleanly(run, w, 'changes', ['failed after retries (503)', 'fetch-depth: 0']);
  });

  it('GitHub API: fails cleanly when it rejects the token (401)', async (ctx) => {
    const w = await world(ctx, { githubApi: true });
    const wrong = 'ghs_wrong_token_for_the_fault_matrix_0123';
    const run = await act(w, { 'github-token': wrong });
    failedCleanly(run, w, 'changes', ['rejected the token (401)', 'github-token'], { extra: [{ name: 'rejected github-token', value: wrong, origin: new URL(w.github!.url).origin }] });
  });

  it('GitHub API: survives a connection reset mid-body twice', async (ctx) => {
    const w = await world(ctx, { githubApi: true });
    w.s.publishHead({ delayMs: 0 });
    const front = await tap(ctx, w.github!.url);
    front.faults.push({ kind: 'reset', match: (request) => request.path.includes('/git/trees/'), times: 2 });
    const run = await act(w, {}, { env: { GITHUB_API_URL: front.url } });
    survived(run, w, { taps: [front] });
  });

  it('GitHub API: fails cleanly on a truncated JSON body', async (ctx) => {
    const w = await world(ctx, { githubApi: true });
    const front = await tap(ctx, w.github!.url);
    front.faults.push({ kind: 'truncate', match: (request) => request.path.includes('/git/'), times: Infinity });
    const run = await act(w, {}, { env: { GITHUB_API_URL: front.url } });
    failedCleanly(run, w, 'changes', ['not its JSON', 'GITHUB_API_URL'], { taps: [front] });
  });

  it("GitHub API: fails cleanly on a proxy's login page (HTML with status 200)", async (ctx) => {
    const w = await world(ctx, { githubApi: true });
    const front = await tap(ctx, w.github!.url);
    front.faults.push({ kind: 'html-login', times: Infinity });
    const run = await act(w, {}, { env: { GITHUB_API_URL: front.url } });
    failedCleanly(run, w, 'changes', ['not its JSON'], { taps: [front] });
  });

  it('GitHub API: a redirect to another origin gets no token', async (ctx) => {
    const w = await world(ctx, { githubApi: true });
    const elsewhere = await tap(ctx);
    const front = await tap(ctx, w.github!.url);
    front.faults.push({ kind: 'redirect', location: `${elsewhere.url}/moved`, times: Infinity });
    const run = await act(w, {}, { env: { GITHUB_API_URL: front.url } });
    failedCleanly(run, w, 'changes', ['answered 404'], { taps: [front, elsewhere] });
    expect(elsewhere.requests.length).toBeGreaterThan(0);
    expect(elsewhere.requests.filter((request) => request.headers.authorization !== undefined)).toEqual([]);
  });

  it('GitHub API: fails cleanly when nothing listens (connection refused)', async (ctx) => {
    const w = await world(ctx, { githubApi: true });
    const port = await refusedPort();
    const run = await act(w, {}, { env: { GITHUB_API_URL: `http://127.0.0.1:${port}` } });
    failedCleanly(run, w, 'changes', ['failed after retries (no answer)']);
  });

  it('GitHub API: fails cleanly when its host name does not resolve (DNS)', async (ctx) => {
    const w = await world(ctx, { githubApi: true });
    const run = await act(w, {}, { env: { GITHUB_API_URL: 'https://api.github.invalid' } });
    failedCleanly(run, w, 'changes', ['failed after retries (no answer)']);
  });
});
