// An in-process Airflow API server for tests and the benchmark: Airflow 2.10
// (/api/v1) or Airflow 3 (/api/v2), with its auth schemes, paging rules, a DAG
// processor that lands pushed revisions late, and per-request fault injection.
// Every request and response is logged for the spec-conformance suite.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { createTokens, safeEqual } from './airflow-tokens.js';
import { AirflowState, type DagRecord, type PublishOptions, type Revision, type StoredDag } from './airflow-state.js';
import {
  dagBody,
  errorBody,
  notFoundBody,
  FLASK_404_PAGE,
  fileloc,
  importErrorBody,
  LOGIN_PAGE,
  taskBody,
  type ApiVersion,
  type ShapeContext,
} from './airflow-shapes.js';

export type { DagRecord, PublishOptions, Revision, RevisionFile, SimTask } from './airflow-state.js';
export type { ApiVersion } from './airflow-shapes.js';

export type SimAuth =
  | { readonly kind: 'none' }
  /** Airflow 2's basic-auth backend. */
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  /** Airflow 3's simple auth manager: POST /auth/token, then Bearer JWT. */
  | { readonly kind: 'jwt'; readonly username: string; readonly password: string; readonly tokenTtlMs?: number }
  /** A static bearer token (Astronomer, Cloud Composer). */
  | { readonly kind: 'bearer'; readonly token: string };

/** An auth proxy in front of Airflow that wants its own headers. */
export interface SimProxy {
  readonly headers: Readonly<Record<string, string>>;
  /** What the proxy answers without them: a login page with 200, or a redirect to a login origin. */
  readonly onMissing: { readonly kind: 'html-login' } | { readonly kind: 'redirect'; readonly location: string };
}

export interface AirflowSimulatorOptions {
  readonly apiVersion: ApiVersion;
  /** Airflow behind a path (Composer/Astronomer style), e.g. /deployment-x. */
  readonly basePath?: string;
  readonly auth?: SimAuth;
  readonly proxy?: SimProxy;
  /** [api] maximum_page_limit. Default 100 for v1, 'none' (no clamp, Airflow 3.0/3.1) for v2. */
  readonly maximumPageLimit?: number | 'none';
  /** Added to every response. */
  readonly latencyMs?: number;
  readonly dags?: readonly DagRecord[];
  /** The folder fileloc starts with in the container. Default /opt/airflow/dags. */
  readonly filelocPrefix?: string;
  readonly bundleName?: string;
  readonly bundleVersion?: string | null;
  /** Reported by GET version; Airflow 2 before 2.10 has no parseDagFile. */
  readonly airflowVersion?: string;
  /** How long a file's pending revision still takes after parseDagFile. Default 0. */
  readonly reparseDelayMs?: number;
}

export interface RecordedRequest {
  readonly method: string;
  /** The full path, with any basePath. */
  readonly path: string;
  /** The path below basePath, as the API specs name it (/api/v1/dags, /auth/token). */
  readonly apiPath: string;
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  /** Header names lower-cased; secret values (and secret body fields) replaced by [redacted]. */
  readonly headers: Readonly<Record<string, string>>;
  /** The Authorization scheme sent, if any (Basic, Bearer): never the credential. */
  readonly authScheme?: string;
  readonly body?: unknown;
  readonly status: number;
  readonly responseContentType?: string;
  /** Parsed JSON, or the raw text when not JSON; undefined for an empty body. */
  readonly responseBody?: unknown;
  /** Set when a fault answered instead of the API. */
  readonly fault?: FaultKind;
}

export type FaultKind = 'latency' | 'status' | 'retry-after' | 'timeout' | 'malformed' | 'drop' | 'html-login' | 'redirect';

export interface Fault {
  readonly match: (req: { method: string; apiPath: string; query: URLSearchParams }) => boolean;
  /** How many matching requests it affects. Default 1; Infinity for all. */
  times?: number;
  readonly kind: FaultKind;
  /** latency: extra delay before the normal answer. */
  readonly ms?: number;
  /** status: e.g. 500, 502, 503, 504, 429. */
  readonly status?: number;
  /** retry-after: the Retry-After header value (seconds). */
  readonly retryAfter?: string;
  /** redirect: where to. */
  readonly location?: string;
}

export interface AirflowSimulator {
  readonly url: string;
  readonly apiVersion: ApiVersion;
  readonly basePath: string;
  readonly requests: RecordedRequest[];
  readonly faults: Fault[];
  readonly state: AirflowState;
  /** The revisions' landing: see AirflowState.publish. */
  publish(revision: Revision, options?: PublishOptions): void;
  /** Every JWT issued so far stops being valid (401). */
  expireTokens(): void;
  /** The fileloc Airflow reports for a file. */
  fileloc(file: string): string;
  close(): Promise<void>;
}

const SECRET_HEADER = /authorization|cookie|token|key|secret|password|session|auth/i;

export async function startAirflowSimulator(options: AirflowSimulatorOptions): Promise<AirflowSimulator> {
  const version = options.apiVersion;
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const auth = options.auth ?? { kind: 'none' };
  const tokens = createTokens();
  const state = new AirflowState(options.bundleVersion ?? null);
  state.setDags(options.dags ?? []);
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const airflowVersion = options.airflowVersion ?? (version === 'v1' ? '2.10.5' : '3.1.0');
  const clamp = options.maximumPageLimit ?? (version === 'v1' ? 100 : 'none');
  const secretHeaders = new Set(Object.keys(options.proxy?.headers ?? {}).map((name) => name.toLowerCase()));

  const ctx: ShapeContext = {
    version,
    filelocPrefix: options.filelocPrefix ?? '/opt/airflow/dags',
    bundleName: options.bundleName ?? 'dags-folder',
    // Airflow 2 signs the absolute fileloc, Airflow 3 the bundle and relative path.
    fileToken: (file) =>
      tokens.sign(version === 'v1' ? fileloc(ctx, file) : { bundle_name: ctx.bundleName, relative_fileloc: file }),
    hasImportError: (file) => state.hasImportError(file),
  };
  const fileOfToken = (token: string): string | undefined => {
    const value = tokens.read(token);
    if (typeof value === 'string') {
      const prefix = `${ctx.filelocPrefix.replace(/\/$/, '')}/`;
      return value.startsWith(prefix) ? value.slice(prefix.length) : undefined;
    }
    const relative = (value as { relative_fileloc?: unknown } | undefined)?.relative_fileloc;
    return typeof relative === 'string' ? relative : undefined;
  };

  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    switch (auth.kind) {
      case 'none':
        return true;
      case 'basic':
        return safeEqual(header, `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
      case 'bearer':
        return safeEqual(header, `Bearer ${auth.token}`);
      case 'jwt':
        return header.startsWith('Bearer ') && tokens.jwtValid(header.slice('Bearer '.length));
    }
  };

  function route(req: IncomingMessage, apiPath: string, query: URLSearchParams, body: unknown): Answer {
    const method = req.method ?? 'GET';
    if (apiPath === '/auth/token') {
      if (version === 'v1') return html(404, FLASK_404_PAGE);
      if (method !== 'POST') return json(405, { detail: 'Method Not Allowed' });
      const login = body as { username?: unknown; password?: unknown } | undefined;
      if (typeof login?.username !== 'string' || typeof login.password !== 'string') {
        return json(422, { detail: [{ loc: ['body', 'username'], msg: 'Field required', type: 'missing' }] });
      }
      if (auth.kind !== 'jwt' || login.username !== auth.username || !safeEqual(login.password, auth.password)) {
        return json(401, { detail: 'Invalid credentials' });
      }
      return json(201, { access_token: tokens.issueJwt(auth.username, auth.tokenTtlMs ?? 86_400_000) });
    }
    const prefix = `/api/${version}`;
    if (apiPath !== prefix && !apiPath.startsWith(`${prefix}/`)) {
      // Airflow 2's Flask app answers an HTML page; Airflow 3's FastAPI app JSON.
      return version === 'v1' ? html(404, FLASK_404_PAGE) : json(404, { detail: 'Not Found' });
    }
    const segments = apiPath.slice(prefix.length).split('/').filter(Boolean).map(decodeURIComponent);
    // The version endpoint is public in both (Airflow 2's has no access check); everything else needs credentials.
    const isPublic = segments.join('/') === 'version';
    if (!isPublic && !authorized(req)) {
      const problem = version === 'v1' ? 'Unauthorized' : req.headers.authorization ? 'Invalid JWT token' : 'Not authenticated';
      return { ...problemAnswer(401, problem), headers: version === 'v1' ? { 'www-authenticate': 'Basic realm="Airflow"' } : {} };
    }
    const endpoint = endpoints.find((candidate) => candidate.method === method && candidate.matches(segments));
    if (!endpoint) {
      const known = endpoints.some((candidate) => candidate.matches(segments));
      return known ? problemAnswer(405, 'Method Not Allowed') : problemAnswer(404, 'Not Found');
    }
    return endpoint.handle(segments, query);
  }

  const problemAnswer = (status: number, detail: string): Answer =>
    version === 'v1'
      ? { status, contentType: 'application/problem+json', body: JSON.stringify(errorBody('v1', status, detail)) }
      : json(status, errorBody('v2', status, detail));

  const invalid = (name: string, message: string): Answer =>
    version === 'v1'
      ? problemAnswer(400, `${name}: ${message}`)
      : json(422, { detail: [{ loc: ['query', name], msg: message, type: 'value_error' }] });

  /** Parses limit/offset and clamps limit like the server does. */
  const paging = (query: URLSearchParams): { limit: number; offset: number } | Answer => {
    const limit = integerParam(query, 'limit', version === 'v1' ? 100 : 50);
    const offset = integerParam(query, 'offset', 0);
    if (limit === undefined || limit < 0) return invalid('limit', 'must be a non-negative integer');
    if (offset === undefined || offset < 0) return invalid('offset', 'must be a non-negative integer');
    // Airflow 2 treats limit=0 as "the fallback page limit".
    const asked = version === 'v1' && limit === 0 ? 100 : limit;
    return { limit: clamp === 'none' ? asked : Math.min(asked, clamp), offset };
  };

  const booleanParam = (query: URLSearchParams, name: string, fallback: boolean): boolean | Answer => {
    const raw = query.get(name);
    if (raw === null) return fallback;
    const value = raw.toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(value) && (version === 'v2' || value === 'true')) return true;
    if (['false', '0', 'no', 'off'].includes(value) && (version === 'v2' || value === 'false')) return false;
    return invalid(name, 'must be a boolean');
  };

  const listDags = (query: URLSearchParams): Answer => {
    const page = paging(query);
    if ('status' in page) return page;
    // Both default to hiding inactive (stale) DAGs.
    const activeOnly =
      version === 'v1' ? booleanParam(query, 'only_active', true) : booleanParam(query, 'exclude_stale', true);
    if (typeof activeOnly !== 'boolean') return activeOnly;
    const pattern = query.get('dag_id_pattern');
    const matches = pattern ? likeMatcher(pattern, version) : () => true;
    const selected = state.dags().filter((dag) => (!activeOnly || dag.active) && matches(dag.dagId));
    return json(200, {
      dags: selected.slice(page.offset, page.offset + page.limit).map((dag) => dagBody(ctx, dag)),
      total_entries: selected.length,
    });
  };

  const notFound = (what: string): Answer =>
    version === 'v1' ? { status: 404, contentType: 'application/problem+json', body: JSON.stringify(notFoundBody('v1', what)) } : json(404, notFoundBody('v2', what));
  const withDag = (dagId: string, then: (dag: StoredDag) => Answer): Answer => {
    const dag = state.dag(dagId);
    return dag ? then(dag) : notFound(`DAG with dag_id: '${dagId}' not found`);
  };

  const endpoints: Endpoint[] = [
    endpoint('GET', ['version'], () => json(200, { version: airflowVersion, git_version: `.release:${airflowVersion}` })),
    endpoint('GET', ['dags'], (_, query) => {
      state.listed();
      return listDags(query);
    }),
    endpoint('GET', ['dags', '*'], ([, dagId]) => withDag(dagId!, (dag) => json(200, dagBody(ctx, dag)))),
    endpoint('GET', ['dags', '*', 'tasks'], ([, dagId]) =>
      withDag(dagId!, (dag) => {
        const tasks = [...dag.tasks].sort((a, b) => (a.taskId < b.taskId ? -1 : 1)).map((task) => taskBody(version, task));
        return json(200, { tasks, total_entries: tasks.length });
      }),
    ),
    endpoint('GET', ['importErrors'], (_, query) => {
      const page = paging(query);
      if ('status' in page) return page;
      const errors = state.importErrors();
      return json(200, {
        import_errors: errors.slice(page.offset, page.offset + page.limit).map((error) => importErrorBody(ctx, error)),
        total_entries: errors.length,
      });
    }),
    endpoint('GET', ['dagSources', '*'], ([, key]) => {
      // Airflow 2 addresses a source by file token, Airflow 3 by DAG id.
      const file = version === 'v1' ? fileOfToken(key!) : state.dag(key!)?.file;
      const content = file === undefined ? undefined : state.source(file);
      if (content === undefined) return notFound(`Source for ${key} not found`);
      return json(200, version === 'v1' ? { content } : { dag_id: key, dag_display_name: key, content, version_number: 1 });
    }),
  ];
  if (version === 'v2' || compareVersions(airflowVersion, '2.10.0') >= 0) {
    endpoints.push(
      endpoint('PUT', ['parseDagFile', '*'], ([, token]) => {
        const file = fileOfToken(token!);
        if (file === undefined || !state.requestReparse(file, options.reparseDelayMs ?? 0)) return notFound('File not found');
        return version === 'v1' ? { status: 201, body: '' } : json(201, null);
      }),
    );
  }

  const liveSockets = new Set<Socket>();
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  server.on('connection', (socket) => {
    liveSockets.add(socket);
    socket.on('close', () => liveSockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://sim');
    const method = req.method ?? 'GET';
    const apiPath = url.pathname.startsWith(`${basePath}/`) ? url.pathname.slice(basePath.length) : url.pathname;
    let body: unknown;
    try {
      body = raw ? (JSON.parse(raw) as unknown) : undefined;
    } catch {
      body = raw;
    }
    const record = (answer: Answer, fault?: FaultKind) =>
      requests.push({
        method,
        path: url.pathname,
        apiPath,
        query: queryRecord(url.searchParams),
        headers: redact(req, secretHeaders),
        ...(req.headers.authorization ? { authScheme: req.headers.authorization.split(' ')[0] } : {}),
        ...(body === undefined ? {} : { body: redactBody(body) }),
        status: answer.status,
        ...(answer.contentType ? { responseContentType: answer.contentType } : {}),
        ...(answer.body ? { responseBody: parseMaybe(answer.body) } : {}),
        ...(fault ? { fault } : {}),
      });

    if (options.latencyMs) await sleep(options.latencyMs);
    const fault = takeFault(faults, { method, apiPath, query: url.searchParams });
    if (fault?.kind === 'latency') await sleep(fault.ms ?? 0);
    else if (fault) {
      const answer = faultAnswer(fault, version);
      record(answer, fault.kind);
      if (fault.kind === 'timeout') return; // never answered; close() destroys the socket
      if (fault.kind === 'drop') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
        // Cut the connection mid-body, once the first bytes are out.
        res.write(answer.body, () => res.socket?.destroy());
        return;
      }
      send(res, answer);
      return;
    }

    const proxy = options.proxy;
    if (proxy && !Object.entries(proxy.headers).every(([name, value]) => req.headers[name.toLowerCase()] === value)) {
      const answer =
        proxy.onMissing.kind === 'html-login'
          ? html(200, LOGIN_PAGE)
          : { status: 302, headers: { location: proxy.onMissing.location }, body: '' };
      record(answer);
      send(res, answer);
      return;
    }
    if (basePath && !url.pathname.startsWith(`${basePath}/`)) {
      const answer = html(404, FLASK_404_PAGE);
      record(answer);
      send(res, answer);
      return;
    }
    const answer = route(req, apiPath, url.searchParams, body);
    record(answer);
    send(res, answer);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${basePath}`,
    apiVersion: version,
    basePath,
    requests,
    faults,
    state,
    publish: (revision, publishOptions) => state.publish(revision, publishOptions),
    expireTokens: () => tokens.expireJwts(),
    fileloc: (file) => fileloc(ctx, file),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of liveSockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

interface Answer {
  readonly status: number;
  readonly body: string;
  readonly contentType?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

interface Endpoint {
  readonly method: string;
  matches(segments: readonly string[]): boolean;
  handle(segments: readonly string[], query: URLSearchParams): Answer;
}

function endpoint(method: string, pattern: readonly string[], handle: Endpoint['handle']): Endpoint {
  return {
    method,
    matches: (segments) => segments.length === pattern.length && pattern.every((part, i) => part === '*' || part === segments[i]),
    handle,
  };
}

function json(status: number, value: unknown): Answer {
  return { status, contentType: 'application/json', body: JSON.stringify(value) };
}

function html(status: number, page: string): Answer {
  return { status, contentType: 'text/html; charset=utf-8', body: page };
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, {
    ...(answer.contentType ? { 'content-type': answer.contentType } : {}),
    ...answer.headers,
  });
  res.end(answer.body);
}

function faultAnswer(fault: Fault, version: ApiVersion): Answer {
  switch (fault.kind) {
    case 'status': {
      const status = fault.status ?? 500;
      // Gateways in front of Airflow answer their own HTML; Airflow itself answers JSON.
      return status === 502 || status === 504
        ? html(status, `<html><body><h1>${status} Gateway error</h1></body></html>`)
        : json(status, errorBody(version, status, 'Simulated failure'));
    }
    case 'retry-after':
      return { ...json(429, errorBody(version, 429, 'Too many requests')), headers: { 'retry-after': fault.retryAfter ?? '0' } };
    case 'malformed':
      return { status: 200, contentType: 'application/json', body: '{"dags": [{"dag_id": "trunc' };
    case 'drop':
      return { status: 200, contentType: 'application/json', body: '{"dags": [' };
    case 'html-login':
      return html(200, LOGIN_PAGE);
    case 'redirect':
      return { status: 302, headers: { location: fault.location ?? 'https://login.example.com/' }, body: '' };
    case 'timeout':
    case 'latency':
      return { status: 0, body: '' };
  }
}

function takeFault(faults: Fault[], req: Parameters<Fault['match']>[0]): Fault | undefined {
  const fault = faults.find((candidate) => (candidate.times ?? 1) > 0 && candidate.match(req));
  if (fault) fault.times = (fault.times ?? 1) - 1;
  return fault;
}

/** SQL ILIKE '%pattern%', as Airflow filters dag_id_pattern: `%` and `_` are wildcards; Airflow 3 also splits on `|`. */
function likeMatcher(pattern: string, version: ApiVersion): (value: string) => boolean {
  const terms = version === 'v2' && pattern.includes('|') ? pattern.split('|').map((term) => term.trim()).filter(Boolean) : [pattern];
  const expressions = terms.map((term) => {
    const body = [...term].map((char) => (char === '%' ? '.*' : char === '_' ? '.' : char.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
    return new RegExp(`^.*${body}.*$`, 'is');
  });
  return (value) => expressions.some((expression) => expression.test(value));
}

function integerParam(query: URLSearchParams, name: string, fallback: number): number | undefined {
  const raw = query.get(name);
  if (raw === null) return fallback;
  return /^-?\d+$/.test(raw) ? Number(raw) : undefined;
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

function redact(req: IncomingMessage, secretHeaders: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = SECRET_HEADER.test(name) || secretHeaders.has(name) ? '[redacted]' : Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The login body keeps its shape for the conformance suite, without the password. */
function redactBody(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, SECRET_HEADER.test(key) ? '[redacted]' : value]));
}

function parseMaybe(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function compareVersions(a: string, b: string): number {
  const parts = (v: string) => v.split(/[.+-]/).map((part) => Number.parseInt(part, 10) || 0);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    const diff = (x[i] ?? 0) - (y[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
