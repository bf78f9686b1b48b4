// No secret leaks, whatever goes wrong (issue 7). Every credential kind is
// configured at once: the Airflow password (and its basic-auth header value
// for Airflow 2), the JWT the simulated Airflow 3 issues, the Dagster+ token,
// custom header values for Airflow and Dagster, and the GitHub token (the push
// is read through the API). Airflow, Dagster and the GitHub API sit behind
// recording forwarders, so every request is kept raw, headers and bodies. The
// action runs in debug mode through each fault; then everything it wrote
// (stdout, stderr, summary, outputs, the JSON report) and everything any server
// received is scanned for every secret. A secret may appear only in the
// runner's `::add-mask::` line, and only at the origin it belongs to.
import { afterAll, describe, expect, it } from 'vitest';
import type { ScenarioOptions } from '../../sim/scenario.js';
import { AIRFLOW_PASSWORD, DAGSTER_TOKEN, LOCATION } from '../../sim/scenario.js';
import {
  act,
  BASIC_AUTH,
  cleanupOf,
  expectNoSecretLeaks,
  expectReported,
  openWorld,
  secretForms,
  startTap,
  through,
  until,
  type Secret,
  type Tap,
  type TestContext,
  type World,
} from './harness.js';

const AIRFLOW_HEADER = { name: 'X-Airflow-Proxy-Key', value: 'afk_custom-airflow-header-secret-4242' };
const DAGSTER_HEADER = { name: 'X-Dagster-Proxy-Key', value: 'dgk_custom-dagster-header-secret-4242' };

interface Fronted {
  readonly w: World;
  readonly airflow: Tap;
  readonly dagster: Tap;
  readonly github: Tap;
  /** Answers for whatever another origin sends it: a redirect target. */
  readonly elsewhere: Tap;
  readonly inputs: Record<string, string>;
  readonly env: Record<string, string>;
  readonly extra: Secret[];
}

type Variant = 'Airflow 3 + Dagster+' | 'Airflow 2 + self-hosted';

const VARIANTS: Record<Variant, ScenarioOptions> = {
  'Airflow 3 + Dagster+': { apiVersion: 'v2', dagster: 'dagster-plus' },
  'Airflow 2 + self-hosted': { apiVersion: 'v1', dagster: 'self-hosted' },
};

/** A world with every credential configured, each server behind a recording forwarder. */
async function fronted(ctx: TestContext, variant: Variant): Promise<Fronted> {
  const cleanup = cleanupOf(ctx);
  const w = await openWorld(cleanup, { ...VARIANTS[variant], githubApi: true });
  const taps = await Promise.all([startTap(w.s.airflow.url), startTap(w.s.dagster.baseUrl), startTap(w.github!.url), startTap()]);
  for (const tap of taps) cleanup(() => tap.close());
  const [airflow, dagster, github, elsewhere] = taps as [Tap, Tap, Tap, Tap];
  const dagsterUrl = through(dagster, w.s.dagster.baseUrl);
  return {
    w,
    airflow,
    dagster,
    github,
    elsewhere,
    inputs: {
      'airflow-url': through(airflow, w.s.airflow.url),
      'airflow-headers': `${AIRFLOW_HEADER.name}: ${AIRFLOW_HEADER.value}`,
      'dagster-headers': `${DAGSTER_HEADER.name}: ${DAGSTER_HEADER.value}`,
      ...('dagster-url' in w.s.inputs ? { 'dagster-url': dagsterUrl } : { 'dagster-cloud-url': dagsterUrl }),
    },
    env: { GITHUB_API_URL: github.url },
    extra: [
      { name: 'airflow-headers value', value: AIRFLOW_HEADER.value, origin: new URL(w.s.airflow.url).origin },
      { name: 'dagster-headers value', value: DAGSTER_HEADER.value, origin: new URL(w.s.dagster.url).origin },
    ],
  };
}

const isOperation = (name: string) => (request: { body: string }) => request.body.includes(`"operationName":"AirliftSync${name}"`);
const apiPath = (f: Fronted, path: string) => (request: { path: string }) => request.path === path.replace('{v}', f.w.s.airflow.apiVersion);

interface Row {
  readonly fault: string;
  readonly variant: Variant;
  /** Sets the fault up; may return input or environment overrides, and a run to await (for faults started mid-run). */
  readonly arrange: (f: Fronted) => void | { inputs?: Record<string, string>; env?: Record<string, string> };
  readonly during?: (f: Fronted) => Promise<void>;
  readonly result: 'synced' | 'failed';
}

const ROWS: readonly Row[] = [
  { fault: 'no fault', variant: 'Airflow 3 + Dagster+', arrange: () => {}, result: 'synced' },
  { fault: 'no fault', variant: 'Airflow 2 + self-hosted', arrange: () => {}, result: 'synced' },
  {
    fault: 'Airflow 429 with Retry-After',
    variant: 'Airflow 3 + Dagster+',
    arrange: (f) => void f.airflow.faults.push({ kind: 'status', status: 429, retryAfter: '0', match: apiPath(f, '/api/{v}/dags'), times: 1 }),
    result: 'synced',
  },
  { fault: 'Airflow 503 twice', variant: 'Airflow 2 + self-hosted', arrange: (f) => void f.airflow.faults.push({ kind: 'status', status: 503, match: apiPath(f, '/api/{v}/dags'), times: 2 }), result: 'synced' },
  { fault: 'Airflow request hangs', variant: 'Airflow 3 + Dagster+', arrange: (f) => void f.airflow.faults.push({ kind: 'hang', match: apiPath(f, '/api/{v}/dags'), times: 1 }), result: 'synced' },
  { fault: 'Airflow connection reset mid-body', variant: 'Airflow 2 + self-hosted', arrange: (f) => void f.airflow.faults.push({ kind: 'reset', match: apiPath(f, '/api/{v}/dags'), times: 2 }), result: 'synced' },
  { fault: 'Airflow truncated JSON', variant: 'Airflow 3 + Dagster+', arrange: (f) => void f.airflow.faults.push({ kind: 'truncate', match: apiPath(f, '/api/{v}/dags'), times: 1 }), result: 'failed' },
  { fault: 'Airflow login page (200)', variant: 'Airflow 2 + self-hosted', arrange: (f) => void f.airflow.faults.push({ kind: 'html-login', times: Infinity }), result: 'failed' },
  {
    fault: 'Airflow redirect to another origin',
    variant: 'Airflow 3 + Dagster+',
    arrange: (f) => void f.airflow.faults.push({ kind: 'redirect', location: `${f.elsewhere.url}/login`, match: apiPath(f, '/api/{v}/dags'), times: Infinity }),
    result: 'failed',
  },
  {
    fault: 'Airflow 400 whose body echoes the request headers',
    variant: 'Airflow 3 + Dagster+',
    arrange: (f) => void f.airflow.faults.push({ kind: 'echo-headers', status: 400, match: apiPath(f, '/api/{v}/dags'), times: Infinity }),
    result: 'failed',
  },
  {
    fault: 'Airflow 401 whose body echoes the request headers',
    variant: 'Airflow 2 + self-hosted',
    arrange: (f) => void f.airflow.faults.push({ kind: 'echo-headers', status: 401, match: apiPath(f, '/api/{v}/dags'), times: Infinity }),
    result: 'failed',
  },
  {
    fault: 'Airflow 3 JWT expires mid-run',
    variant: 'Airflow 3 + Dagster+',
    arrange: (f) => {
      // The push lands only once the tokens expired (see the fault matrix's JWT test): no race with a delay.
      f.w.s.publishHead({ never: true });
      return { inputs: { 'airflow-timeout': '30s' } };
    },
    during: async (f) => {
      await until(() => f.w.s.airflow.requests.some((request) => request.apiPath === '/api/v2/dags'), 30_000);
      f.w.s.airflow.expireTokens();
      f.w.s.publishHead({ delayMs: 0 });
    },
    result: 'synced',
  },
  { fault: 'Airflow host name does not resolve', variant: 'Airflow 2 + self-hosted', arrange: () => ({ inputs: { 'airflow-url': 'https://airflow.invalid' } }), result: 'failed' },
  { fault: 'Dagster 503 twice', variant: 'Airflow 3 + Dagster+', arrange: (f) => void f.dagster.faults.push({ kind: 'status', status: 503, match: isOperation('Workspace'), times: 2 }), result: 'synced' },
  { fault: 'Dagster request hangs', variant: 'Airflow 2 + self-hosted', arrange: (f) => void f.dagster.faults.push({ kind: 'hang', match: isOperation('LocationStatuses'), times: 1 }), result: 'synced' },
  { fault: 'Dagster connection reset mid-body', variant: 'Airflow 3 + Dagster+', arrange: (f) => void f.dagster.faults.push({ kind: 'reset', match: isOperation('Workspace'), times: 2 }), result: 'synced' },
  { fault: 'Dagster truncated JSON', variant: 'Airflow 2 + self-hosted', arrange: (f) => void f.dagster.faults.push({ kind: 'truncate', match: isOperation('Workspace'), times: 1 }), result: 'failed' },
  {
    fault: 'Dagster GraphQL errors',
    variant: 'Airflow 3 + Dagster+',
    arrange: (f) => void f.w.s.dagster.faults.push({ kind: 'graphql-errors', match: 'AirliftSyncWorkspace', message: 'DagsterUserCodeUnreachableError', times: 1 }),
    result: 'failed',
  },
  { fault: 'Dagster login page (200)', variant: 'Airflow 2 + self-hosted', arrange: (f) => void f.dagster.faults.push({ kind: 'html-login', times: Infinity }), result: 'failed' },
  {
    fault: 'Dagster redirect to another origin',
    variant: 'Airflow 3 + Dagster+',
    arrange: (f) => void f.dagster.faults.push({ kind: 'redirect', location: `${f.elsewhere.url}/oauth2/start`, times: Infinity }),
    result: 'failed',
  },
  {
    fault: 'Dagster 401 whose body echoes the request headers',
    variant: 'Airflow 3 + Dagster+',
    arrange: (f) => void f.dagster.faults.push({ kind: 'echo-headers', status: 401, match: isOperation('Workspace'), times: Infinity }),
    result: 'failed',
  },
  {
    fault: 'Dagster GraphQL error quoting the request headers in every encoding',
    variant: 'Airflow 3 + Dagster+',
    arrange: (f) =>
      void f.w.s.dagster.faults.push({ kind: 'graphql-errors', match: 'AirliftSyncWorkspace', message: quoting([DAGSTER_TOKEN, DAGSTER_HEADER.value]), times: Infinity }),
    result: 'failed',
  },
  {
    fault: "Airflow's version quoting the credentials",
    variant: 'Airflow 2 + self-hosted',
    arrange: (f) =>
      void f.airflow.faults.push({
        kind: 'json',
        body: { version: `2.10.5 ${quoting([AIRFLOW_PASSWORD, BASIC_AUTH, AIRFLOW_HEADER.value])}`, git_version: null },
        match: apiPath(f, '/api/v1/version'),
        times: Infinity,
      }),
    result: 'synced',
  },
  { fault: 'Dagster location stuck in LOADING', variant: 'Airflow 3 + Dagster+', arrange: (f) => f.w.s.dagster.setReload(LOCATION, 'stuck'), result: 'failed' },
  { fault: 'Dagster reload ends in a load error', variant: 'Airflow 2 + self-hosted', arrange: (f) => f.w.s.dagster.setReload(LOCATION, 'load-error'), result: 'failed' },
  { fault: 'GitHub API 503 twice', variant: 'Airflow 3 + Dagster+', arrange: (f) => void f.github.faults.push({ kind: 'status', status: 503, match: (r) => r.path.includes('/compare/'), times: 2 }), result: 'synced' },
  { fault: 'GitHub API connection reset mid-body', variant: 'Airflow 2 + self-hosted', arrange: (f) => void f.github.faults.push({ kind: 'reset', match: (r) => r.path.includes('/git/'), times: 2 }), result: 'synced' },
  { fault: 'GitHub API truncated JSON', variant: 'Airflow 3 + Dagster+', arrange: (f) => void f.github.faults.push({ kind: 'truncate', match: (r) => r.path.includes('/git/'), times: Infinity }), result: 'failed' },
  {
    fault: 'GitHub API redirect to another origin',
    variant: 'Airflow 2 + self-hosted',
    arrange: (f) => void f.github.faults.push({ kind: 'redirect', location: `${f.elsewhere.url}/moved`, times: Infinity }),
    result: 'failed',
  },
  {
    fault: 'GitHub API 400 whose body echoes the request headers',
    variant: 'Airflow 3 + Dagster+',
    arrange: (f) => void f.github.faults.push({ kind: 'echo-headers', status: 400, match: (r) => r.path.includes('/compare/'), times: Infinity }),
    result: 'failed',
  },
];

/** A server's text that quotes each secret in every form it could (Authorization: ..., %-encoded, base64, JSON in JSON). */
function quoting(secrets: readonly string[]): string {
  return secrets.flatMap((secret) => secretForms(secret).map(([form, value]) => `${form}=${value}`)).join(' ');
}

let scanned = 0;

describe.concurrent('secrets: debug runs through every fault', () => {
  for (const row of ROWS) it(`never writes or forwards a secret: ${row.fault} (${row.variant})`, async (ctx) => {
    const f = await fronted(ctx, row.variant);
    if (!row.during) f.w.s.publishHead({ delayMs: 0 });
    const overrides = row.arrange(f) ?? {};
    const running = act(f.w, { ...f.inputs, ...overrides.inputs }, { env: { ...f.env, ...overrides.env }, debug: true });
    await row.during?.(f);
    const run = await running;

    expect(run.outputs.result, run.stdout).toBe(row.result);
    expect(run.exitCode).toBe(row.result === 'failed' ? 1 : 0);
    expect(run.stdout).toContain('::debug::');
    expectReported(run);
    // The entry's first line names the event only; then every secret was handed to the runner's
    // masking before anything else was written.
    const [announced, ...rest] = run.stdout.split('\n');
    expect(announced).toMatch(/^airlift-sync: push to refs\/heads\/\S+ at [0-9a-f]{12}$/);
    const masks = rest.slice(0, rest.findIndex((line) => !line.startsWith('::add-mask::')));
    for (const secret of [AIRFLOW_HEADER.value, DAGSTER_HEADER.value]) expect(masks).toContain(`::add-mask::${secret}`);
    scanned += expectNoSecretLeaks(run, f.w, { extra: f.extra, taps: [f.airflow, f.dagster, f.github, f.elsewhere] });
    // A redirect target on another origin never sees a credential, not even its header.
    for (const request of f.elsewhere.requests) {
      expect(Object.keys(request.headers)).not.toContain('authorization');
      expect(Object.keys(request.headers)).not.toContain('dagster-cloud-api-token');
      expect(Object.keys(request.headers)).not.toContain(AIRFLOW_HEADER.name.toLowerCase());
      expect(Object.keys(request.headers)).not.toContain(DAGSTER_HEADER.name.toLowerCase());
    }
    // Each server's own credentials did reach it (the scan is not vacuous).
    if (row.fault === 'no fault') {
      expect(JSON.stringify(f.airflow.requests)).toContain(AIRFLOW_HEADER.value);
      expect(JSON.stringify(f.dagster.requests)).toContain(DAGSTER_HEADER.value);
      expect(JSON.stringify(f.github.requests)).toContain(f.w.inputs['github-token']!);
    }
  });

  it('never quotes the credentials of a malformed URL input', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    const password = 'url-userinfo-secret-4242';
    const malformed: Record<string, string>[] = [{ 'airflow-url': `https://admin:${password}@air flow.example.com` }, { 'dagster-cloud-url': `https://admin:${password}@dagster example.com/prod` }];
    for (const inputs of malformed) {
      const run = await act(w, inputs);
      expect(run.exitCode).toBe(1);
      expect(run.summary).toContain('is not a URL');
      expect(run.report!.failures[0]!.message).toContain('https://***@');
      scanned += expectNoSecretLeaks(run, w, { extra: [{ name: 'password in a URL input', value: password, origin: 'nowhere' }] });
    }
  });

  it('refuses plain http to a non-loopback host before sending any credential', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    const plain: Record<string, string>[] = [{ 'airflow-url': 'http://airflow.example.com' }, { 'dagster-cloud-url': 'http://dagster.example.com/prod' }];
    for (const inputs of plain) {
      const run = await act(w, inputs);
      expect(run.exitCode).toBe(1);
      expect(run.summary).toContain('plain http to');
      expect(run.summary).toContain('allow-insecure-http');
      scanned += expectNoSecretLeaks(run, w);
    }
    expect(w.s.airflow.requests).toEqual([]);
    expect(w.s.dagster.operations).toEqual([]);
  });
});

afterAll(() => {
  console.log(`secrets: ${ROWS.length} faulted debug runs, ${scanned} secret scans`);
});
