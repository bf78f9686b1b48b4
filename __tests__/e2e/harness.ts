// Shared by the fault, secrets and idempotency suites: one world per test (a
// git repository, the Airflow and Dagster simulators, optionally the GitHub API
// simulator with a clone that cannot serve the range), the bundled action run
// against it in debug mode, and the checks every run must pass whatever the
// fault: a schema-valid JSON report, a job summary, and no secret anywhere.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import os from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';
import { startGitHubSimulator, type GitHubSimulator } from '../../sim/github.js';
import { AIRFLOW_PASSWORD, DAGSTER_TOKEN, startScenario, type Scenario, type ScenarioOptions } from '../../sim/scenario.js';
import { runAction, type ActionRun } from '../support/run-action.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ajv = new Ajv2020({ allErrors: true, strict: true });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
const validateReport = ajv.compile(JSON.parse(readFileSync(path.join(root, 'schema/report.schema.json'), 'utf8')) as object);

export const GITHUB_TOKEN = 'ghs_faultmatrixgithubtoken0123456789';
/** The basic-auth header value the action sends to Airflow 2 (and masks). */
export const BASIC_AUTH = Buffer.from(`admin:${AIRFLOW_PASSWORD}`).toString('base64');

export type Cleanup = (work: () => void | Promise<void>) => void;

/** The part of vitest's test context the suites use (the context's hook, which concurrent tests need). */
export interface TestContext {
  onTestFinished(fn: () => void | Promise<void>): void;
}

/** Cleanup registered on the test's own context: with concurrent tests, the global hook can pick another test. */
export function cleanupOf(context: TestContext): Cleanup {
  return (work) =>
    context.onTestFinished(async () => {
      await work();
    });
}

export interface WorldOptions extends ScenarioOptions {
  /**
   * Read the push through the GitHub API: the workspace is a shallow clone
   * whose origin is unreachable, and the GitHub API simulator serves the repository.
   */
  readonly githubApi?: boolean;
}

export interface World {
  readonly s: Scenario;
  /** The checked-out repository the action runs in. */
  readonly workspace: string;
  readonly github?: GitHubSimulator;
  /** Extra inputs (github-token) the world needs. */
  readonly inputs: Record<string, string>;
  /** Extra environment (GITHUB_API_URL). */
  readonly env: Record<string, string>;
}

/** A world that is torn down when the test ends (`onTestFinished` of the test context). */
export async function openWorld(cleanup: Cleanup, options: WorldOptions = {}): Promise<World> {
  const s = await startScenario({ parseDelayMs: 0, reloadMs: 100, ...options });
  cleanup(() => s.close());
  if (!options.githubApi) return { s, workspace: s.repo.dir, inputs: {}, env: {} };
  const workspace = mkdtempSync(path.join(os.tmpdir(), 'airlift-shallow-'));
  cleanup(() => rmSync(workspace, { recursive: true, force: true }));
  execFileSync('git', ['clone', '-q', '--depth', '1', `file://${s.repo.dir}`, workspace], { stdio: 'ignore' });
  // A shallow clone that cannot fetch the base commit: the range has to come from the API.
  execFileSync('git', ['-C', workspace, 'remote', 'set-url', 'origin', path.join(workspace, 'no-such-origin')], { stdio: 'ignore' });
  const github = await startGitHubSimulator({ repoDir: s.repo.dir, owner: 'acme', repo: 'airflow-dags', token: GITHUB_TOKEN });
  cleanup(() => github.close());
  return { s, workspace, github, inputs: { 'github-token': GITHUB_TOKEN }, env: { GITHUB_API_URL: github.url } };
}

export interface ActOptions {
  readonly eventName?: string;
  readonly payload?: unknown;
  readonly env?: Record<string, string>;
  readonly workspace?: string;
  readonly sha?: string;
  /** Default true: every run of these suites is a debug run. */
  readonly debug?: boolean;
  readonly onStdout?: (stdout: string) => void;
}

/** Runs the bundle with short deadlines and fast polls, in debug mode. */
export function act(world: World, inputs: Record<string, string> = {}, options: ActOptions = {}): Promise<ActionRun> {
  return runAction({
    inputs: {
      ...world.s.inputs,
      ...world.inputs,
      'poll-interval': '50ms',
      'airflow-timeout': '3s',
      'reload-timeout': '3s',
      ...inputs,
    },
    eventName: options.eventName ?? 'push',
    payload: options.payload ?? world.s.payload,
    workspace: options.workspace ?? world.workspace,
    sha: options.sha ?? world.s.head,
    env: { ...world.s.env, ...world.env, ...options.env },
    debug: options.debug ?? true,
    ...(options.onStdout ? { onStdout: options.onStdout } : {}),
  });
}

export function expectValidReport(run: ActionRun): void {
  expect(run.report, run.stdout + run.stderr).toBeDefined();
  expect(validateReport(run.report), JSON.stringify(validateReport.errors)).toBe(true);
}

/** What a user must see after any run: outputs, a summary, a valid report that agrees with the outputs. */
export function expectReported(run: ActionRun): void {
  expectValidReport(run);
  expect(run.outputs.result).toBe(run.report!.result);
  expect(run.summary).toMatch(/^## /);
  expect(run.summary).toContain('full data in the JSON report');
  expect(run.stderr, 'nothing crashed').not.toMatch(/airlift-sync crashed|Unexpected error|This is a bug/);
  expect(run.stdout).not.toMatch(/airlift-sync crashed|This is a bug in airlift-sync/);
}

export function expectSucceeded(run: ActionRun, result: 'synced' | 'in-sync' | 'planned' | 'rejected' = 'synced'): void {
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  expect(run.outputs.result, run.summary).toBe(result);
  expect(run.report!.failures).toEqual([]);
  expectReported(run);
}

/**
 * A clean failure: exit code 1, `result: failed`, a summary that names the
 * failing stage, what failed and the fix (all matched against `says`), and an
 * error annotation.
 */
export function expectCleanFailure(run: ActionRun, stage: 'inputs' | 'changes' | 'airflow' | 'dagster', says: readonly (string | RegExp)[] = []): void {
  expect(run.exitCode, run.stdout + run.stderr).toBe(1);
  expect(run.outputs.result).toBe('failed');
  expectReported(run);
  expect(run.summary).toMatch(/^## ❌ airlift-sync failed/);
  expect(run.summary).toContain('### What failed');
  expect(run.summary).toContain(`- **${stage}**:`);
  expect(run.summary).toContain('**Fix:**');
  expect(run.report!.failures.map((failure) => failure.stage)).toContain(stage);
  // The runner's command syntax escapes the colon of the title.
  expect(run.stdout).toContain(`::error title=airlift-sync%3A ${stage} failed::`);
  const failures = run.report!.failures.map((failure) => `${failure.message} ${failure.fix}`).join('\n');
  for (const phrase of says) {
    if (typeof phrase === 'string') expect(failures).toContain(phrase);
    else expect(failures).toMatch(phrase);
  }
}

/** No reload was reported as done: nothing in reloaded-locations, no location with outcome `loaded`. */
export function expectNothingReportedReloaded(run: ActionRun): void {
  expect(run.outputs['reloaded-locations']).toBe('[]');
  expect(run.report?.dagster?.locations.filter((location) => location.outcome === 'loaded') ?? []).toEqual([]);
  expect(run.summary).not.toContain('✅ reloaded');
}

// ---- secrets ----------------------------------------------------------------

/** A secret and the origin it may be sent to. */
export interface Secret {
  readonly name: string;
  readonly value: string;
  readonly origin: string;
}

/** The JWTs the simulated Airflow 3 issued (the login responses it recorded). */
export function issuedJwts(world: World): string[] {
  return world.s.airflow.requests
    .filter((request) => request.apiPath === '/auth/token' && request.status === 201)
    .map((request) => (request.responseBody as { access_token?: string } | undefined)?.access_token)
    .filter((token): token is string => typeof token === 'string');
}

/** The secrets of a world: Airflow password and basic-auth value, issued JWTs, the Dagster+ token, the GitHub token, and `extra`. */
export function secretsOf(world: World, extra: readonly Secret[] = []): Secret[] {
  const airflow = new URL(world.s.airflow.url).origin;
  const dagster = new URL(world.s.dagster.url).origin;
  return [
    { name: 'airflow-password', value: AIRFLOW_PASSWORD, origin: airflow },
    { name: 'basic-auth header value', value: BASIC_AUTH, origin: airflow },
    ...issuedJwts(world).map((value, index) => ({ name: `Airflow 3 JWT #${index + 1}`, value, origin: airflow })),
    { name: 'dagster-cloud-api-token', value: DAGSTER_TOKEN, origin: dagster },
    ...(world.github ? [{ name: 'github-token', value: GITHUB_TOKEN, origin: new URL(world.github.url).origin }] : []),
    ...extra,
  ];
}

/** A secret as a server or proxy may quote it: as sent, URL-encoded, base64, JSON-escaped (inside a JSON text, escaped again). */
export function secretForms(value: string): [form: string, value: string][] {
  const json = JSON.stringify(value).slice(1, -1);
  return [
    ['raw', value],
    ['URL-encoded', encodeURIComponent(value)],
    ['base64', Buffer.from(value).toString('base64')],
    ['JSON-escaped', json],
    ['JSON-escaped twice', JSON.stringify(json).slice(1, -1)],
  ];
}

/** Every place a secret could leak to, as text, by the origin that received it (undefined: the runner's own files). */
export interface Written {
  readonly where: string;
  readonly text: string;
  /** For requests: the origin that received them. */
  readonly origin?: string;
}

/**
 * Scans what the run wrote (stdout without the `::add-mask::` lines, stderr,
 * summary, outputs, the JSON report file) and what every server other than
 * a secret's own received, for every secret. Returns the number of secrets scanned.
 */
export function expectNoSecretLeaks(run: ActionRun, world: World, options: { extra?: readonly Secret[]; taps?: readonly Tap[] } = {}): number {
  const secrets = secretsOf(world, options.extra);
  const masked = run.stdout.split('\n').filter((line) => line.startsWith('::add-mask::'));
  const reportText = run.outputs['report-path'] ? readFileSync(run.outputs['report-path'], 'utf8') : '';
  const places: Written[] = [
    { where: 'stdout', text: run.stdout.split('\n').filter((line) => !line.startsWith('::add-mask::')).join('\n') },
    { where: 'stderr', text: run.stderr },
    { where: 'job summary', text: run.summary },
    { where: 'outputs', text: JSON.stringify(run.outputs) },
    { where: 'JSON report', text: reportText },
    { where: 'Airflow simulator', origin: new URL(world.s.airflow.url).origin, text: JSON.stringify(world.s.airflow.requests) },
    { where: 'Dagster simulator', origin: new URL(world.s.dagster.url).origin, text: JSON.stringify(world.s.dagster.operations) },
    ...(world.github ? [{ where: 'GitHub API simulator', origin: new URL(world.github.url).origin, text: JSON.stringify(world.github.requests) }] : []),
    // A tap that forwards to a server stands for it: it may see that server's credentials, and no other.
    ...(options.taps ?? []).map((tap) => ({ where: `server at ${tap.origin}`, origin: tap.target ?? tap.origin, text: JSON.stringify(tap.requests) })),
  ];
  for (const secret of secrets) {
    expect(secret.value.length, secret.name).toBeGreaterThan(8);
    for (const place of places) {
      if (place.origin === secret.origin) continue;
      for (const [form, value] of secretForms(secret.value)) {
        expect(place.text.includes(value), `${secret.name} (${form}) found in ${place.where}`).toBe(false);
      }
    }
    // The runner's mask command is the one place a secret may be written, once.
    expect(masked.filter((line) => line === `::add-mask::${secret.value}`).length, `${secret.name} masked at most once`).toBeLessThanOrEqual(1);
  }
  // Header names that carry another server's credentials: the simulators record them redacted, by name.
  const airflowHeaders = world.s.airflow.requests.flatMap((request) => Object.keys(request.headers));
  expect(airflowHeaders, 'Dagster+ token header sent to Airflow').not.toContain('dagster-cloud-api-token');
  const dagsterHeaders = world.s.dagster.operations.flatMap((operation) => Object.keys(operation.headers));
  expect(dagsterHeaders, 'Airflow credentials sent to Dagster').not.toContain('authorization');
  return secrets.length;
}

// ---- servers the tests control -------------------------------------------------

export interface RawRequest {
  readonly method: string;
  readonly url: string;
  /** As received: values not redacted, so that a leak shows. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

export type TapFaultKind =
  /** Never answers. */
  | 'hang'
  /** Headers and the first bytes of a longer body, then the connection is cut. */
  | 'reset'
  /** Forwards the request, then cuts the connection instead of answering: the server did act on it. */
  | 'reset-after-forward'
  /** 200 with a JSON body cut short. */
  | 'truncate'
  /** 200 with an auth proxy's login page. */
  | 'html-login'
  /** 302 to `location`. */
  | 'redirect'
  /** `status` with a JSON message; with `retryAfter`, a Retry-After header. */
  | 'status'
  /** `status` (default 400) with a body that echoes the request headers, as some debugging proxies do. */
  | 'echo-headers'
  /** Forwards the request, then answers `status` (default 502) instead of the server's answer: a gateway timing out after the server acted. */
  | 'status-after-forward'
  /** `status` (default 200) with `body` as JSON: a server answering something else than usual. */
  | 'json'
  /** 200 and a JSON body that never ends, one byte a second. */
  | 'trickle'
  /** 200 and its headers, then nothing. */
  | 'stall-after-headers'
  /** 200 with a gzip body that inflates to 1 GiB of zeros. */
  | 'gzip-bomb';

export interface TapFault {
  readonly match?: (request: { method: string; path: string; body: string }) => boolean;
  /** Default 1; Infinity for every matching request. */
  times?: number;
  readonly kind: TapFaultKind;
  readonly status?: number;
  readonly retryAfter?: string;
  readonly location?: string;
  readonly body?: unknown;
}

/** An HTTP server on 127.0.0.1 that records every request raw and forwards it to `target` (an origin), unless a fault answers. */
export interface Tap {
  readonly url: string;
  readonly origin: string;
  /** The origin it forwards to, whose credentials it may see; undefined for a tap that answers itself. */
  readonly target?: string;
  readonly port: number;
  readonly requests: RawRequest[];
  readonly faults: TapFault[];
  close(): Promise<void>;
}

const BOILERPLATE_HEADERS = new Set(['host', 'connection', 'content-length', 'content-type', 'accept', 'accept-encoding', 'accept-language', 'sec-fetch-mode', 'user-agent']);
const LOGIN_PAGE = '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action="/login"><input name="password" type="password"></form></body></html>';

/** 64 MiB of zeros as about 64 KiB of gzip, made once, when a test first needs it. */
const GZIPPED_ZEROS = (() => {
  let made: Buffer | undefined;
  return () => (made ??= gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 }));
})();

export async function startTap(target?: string, port = 0): Promise<Tap> {
  const requests: RawRequest[] = [];
  const faults: TapFault[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void handle(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const url = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', url, headers: { ...req.headers }, body });
    const fault = faults.find((candidate) => (candidate.times ?? 1) > 0 && (candidate.match?.({ method: req.method ?? 'GET', path: url.replace(/\?.*/, ''), body }) ?? true));
    if (fault) fault.times = (fault.times ?? 1) - 1;
    switch (fault?.kind) {
      case 'hang':
        return;
      case 'reset':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        res.write('{"data": {', () => res.socket?.destroy());
        return;
      case 'reset-after-forward':
        await forward(req, body).catch(() => undefined);
        res.socket?.destroy();
        return;
      case 'truncate':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": {"sha": "trunc');
        return;
      case 'html-login':
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE);
        return;
      case 'redirect':
        res.writeHead(302, { location: fault.location ?? 'https://login.invalid/' }).end();
        return;
      case 'status':
        res
          .writeHead(fault.status ?? 503, { 'content-type': 'application/json', ...(fault.retryAfter ? { 'retry-after': fault.retryAfter } : {}) })
          .end(JSON.stringify({ message: `simulated ${fault.status ?? 503}` }));
        return;
      case 'status-after-forward':
        await forward(req, body).catch(() => undefined);
        res.writeHead(fault.status ?? 502, { 'content-type': 'text/html' }).end(`<html><body>${fault.status ?? 502} Bad Gateway</body></html>`);
        return;
      case 'json':
        res.writeHead(fault.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(fault.body ?? null));
        return;
      case 'trickle': {
        res.writeHead(200, { 'content-type': 'application/json' }).write('{');
        const timer = setInterval(() => res.write(' '), 1_000);
        res.on('close', () => clearInterval(timer));
        return;
      }
      case 'stall-after-headers':
        res.writeHead(200, { 'content-type': 'application/json' }).flushHeaders();
        return;
      case 'gzip-bomb': {
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        // Concatenated gzip members inflate to the sum of their parts: 16 x 64 MiB.
        let sent = 0;
        const more = (): void => {
          while (sent < 16 && res.write(GZIPPED_ZEROS())) sent++;
          if (sent < 16) res.once('drain', more);
          else res.end();
        };
        more();
        return;
      }
      case 'echo-headers':
        // The headers that are not the client's boilerplate come first, within any excerpt the action quotes.
        res.writeHead(fault.status ?? 400, { 'content-type': 'application/json' }).end(
          JSON.stringify({ error: 'bad request', received: Object.fromEntries(Object.entries(req.headers).filter(([name]) => !BOILERPLATE_HEADERS.has(name))) }),
        );
        return;
      case undefined:
        break;
    }
    if (!target) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'nothing here' }));
      return;
    }
    try {
      const answer = await forward(req, body);
      res.writeHead(answer.status, answer.headers).end(answer.body);
    } catch {
      res.socket?.destroy();
    }
  }

  function forward(req: IncomingMessage, body: string): Promise<{ status: number; headers: Record<string, string | string[]>; body: Buffer }> {
    const to = new URL(target!);
    return new Promise((resolve, reject) => {
      const headers = { ...req.headers, host: to.host };
      const out = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers }, (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('end', () => {
          const passed: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(answer.headers)) {
            if (value !== undefined && !['transfer-encoding', 'connection', 'content-length', 'keep-alive'].includes(name)) passed[name] = value;
          }
          resolve({ status: answer.statusCode ?? 502, headers: passed, body: Buffer.concat(chunks) });
        });
        answer.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}`,
    origin: `http://127.0.0.1:${bound}`,
    ...(target ? { target: new URL(target).origin } : {}),
    port: bound,
    requests,
    faults,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens (connections are refused). */
export async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * Refuses connections on `port` until the run's log shows a refused attempt (`refused` matches its
 * debug line), then forwards the port to `target`. Gated on the run's own words, not a timer: on a
 * busy machine a timer can fire before the first attempt, and then nothing was ever refused.
 */
export function listenOnceRefused(port: number, target: string, refused: RegExp, cleanup: Cleanup): (stdout: string) => void {
  let tap: Promise<Tap> | undefined;
  cleanup(async () => {
    await (await tap)?.close();
  });
  return (stdout) => {
    if (!tap && refused.test(stdout)) tap = startTap(target, port);
  };
}

/** The same URL with another origin (the tap's), keeping path and trailing slash. */
export function through(tap: Tap, url: string): string {
  const original = new URL(url);
  return `${tap.origin}${original.pathname}${original.search}`;
}

/** Resolves once `predicate` holds, polling every 20 ms (for starting a fault mid-run). */
export async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error('until: condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
