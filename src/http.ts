// One HTTP path for every server the action talks to (Airflow, Dagster), so
// that the rules about credentials, retries and logging hold everywhere:
// - credentials go only to the origin they were configured for: redirects are
//   followed by hand, and one to another origin is refused, never forwarded;
// - transient failures are retried with backoff and jitter (p-retry) within
//   one overall deadline, and Retry-After is honoured; one attempt gets at most
//   half the time left, so that a request that hangs leaves time for a retry;
// - a request that changes state (idempotent: false) is retried only when the
//   server cannot have acted on it (refused, 429, 503): never after a timeout, a
//   reset or another 5xx, where a retry could do it twice;
// - a server's error text is quoted with every credential the request carried
//   blanked out, because summaries and reports are not masked by the runner;
// - each request is logged at debug level as method, path, status and time,
//   never with headers, query strings or bodies (they may carry secrets).
import pRetry, { AbortError } from 'p-retry';

export type DebugLog = (line: string) => void;

/** A point in time every request of one stage must finish by. */
export interface Deadline {
  readonly at: number;
}

export function deadlineIn(ms: number): Deadline {
  return { at: Date.now() + ms };
}

export function remaining(deadline: Deadline): number {
  return Math.max(0, deadline.at - Date.now());
}

export interface HttpTarget {
  /** Service name for messages: "Airflow", "Dagster". */
  readonly service: string;
  /** Base URL; request paths are resolved against it. */
  readonly baseUrl: URL;
  /** Sent with every request to baseUrl's origin, and nowhere else. */
  readonly headers: Readonly<Record<string, string>>;
  /** The input a user fixes when the server rejects the credentials. */
  readonly authInput: string;
  /** The input that names the URL. */
  readonly urlInput: string;
  readonly log: DebugLog;
  /**
   * The most one attempt may take. Unset: 30 s, and at most half of the time left before the
   * deadline (at least 1 s), so that a hung attempt leaves time for another.
   */
  readonly requestTimeoutMs?: number;
  readonly retries?: number;
  /** First backoff between retries (default 200 ms), doubling with jitter. */
  readonly retryMinMs?: number;
}

export interface HttpRequest {
  readonly method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path relative to the target's base URL, without a leading slash. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly json?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly deadline: Deadline;
  /** Statuses the caller handles itself instead of an error (e.g. 404 when probing). */
  readonly accept?: readonly number[];
  /**
   * An error status whose body is nevertheless the answer (Dagster sends 500 with the PythonError it
   * caught as data): returned as is, neither retried nor an error.
   */
  readonly answers?: (response: HttpResponse) => boolean;
  /**
   * False for a request that changes state (a reload): retried only when the server cannot
   * have acted on it. Default true.
   */
  readonly idempotent?: boolean;
}

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
}

export type HttpErrorKind =
  | 'auth' // 401/403 or a login page: fix the credentials
  | 'client' // other 4xx: fix the request or the input
  | 'server' // 5xx after retries
  | 'network' // refused, reset, DNS, timeout after retries
  | 'redirect' // a redirect to another origin
  | 'deadline' // the stage's deadline passed
  | 'garbage' // a body that is not what the API returns
  | 'too-large'; // a body past MAX_BODY_BYTES once decompressed (a gzip bomb, an endless stream)

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly kind: HttpErrorKind,
    message: string,
    readonly fix: string,
    readonly status?: number,
    /** For a refused redirect: where the server wanted to send the request. */
    readonly location?: URL,
  ) {
    super(message);
  }
}

const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);
/** Statuses that say the server did not act on the request: safe to send again even when not idempotent. */
const NOT_PROCESSED_STATUSES = new Set([429, 503]);
/** Connection failures that happen before the request is sent. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT']);
const MAX_REDIRECTS = 5;
const MAX_RETRY_AFTER_MS = 60_000;
const DEFAULT_ATTEMPT_MS = 30_000;
const MIN_ATTEMPT_MS = 1_000;
/**
 * The most a response body may hold once decompressed. Dagster's workspace answer, the largest the
 * action reads, is about 8 MB for 500 DAG mirrors; a server sending more than this is broken or hostile.
 */
export const MAX_BODY_BYTES = 256 * 1024 * 1024;

export async function request(target: HttpTarget, req: HttpRequest): Promise<HttpResponse> {
  const url = resolve(target.baseUrl, req.path, req.query);
  const where = `${req.method ?? 'GET'} ${url.pathname}`;
  const retries = target.retries ?? 5;
  // When the deadline ends the retries, the last real failure (a 503, a refusal) is the news, not the deadline,
  // nor the timeout of an attempt the deadline cut short.
  let lastFailure: unknown;
  const cutShort = (error: unknown) => isDeadline(error) && remaining(req.deadline) === 0;
  try {
    return await pRetry(
      async () => {
        if (remaining(req.deadline) === 0) throw new AbortError(lastFailure === undefined ? deadlineError(target, where) : toHttpError(target, where, lastFailure, req));
        const response = await sendFollowingRedirects(target, req, url);
        if (TRANSIENT_STATUSES.has(response.status) && !req.accept?.includes(response.status) && !req.answers?.(response)) {
          throw new TransientStatus(response);
        }
        return response;
      },
      {
        retries,
        minTimeout: target.retryMinMs ?? 200,
        maxTimeout: 10_000,
        factor: 2,
        randomize: true,
        maxRetryTime: remaining(req.deadline),
        shouldRetry: ({ error }) => isTransient(error) && (req.idempotent !== false || notProcessed(error)),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (!cutShort(error) || lastFailure === undefined) lastFailure = error;
          target.log(`${target.service} ${where}: attempt ${attemptNumber} failed (${describe(error)}); ${retriesLeft} retries left`);
          const wait = error instanceof TransientStatus ? retryAfterMs(error.response) : undefined;
          if (wait !== undefined && retriesLeft > 0) await sleep(Math.min(wait, remaining(req.deadline)));
        },
      },
    ).then((response) => checkStatus(target, req, where, response));
  } catch (error) {
    throw toHttpError(target, where, cutShort(error) && lastFailure !== undefined ? lastFailure : error, req);
  }
}

/** Parses a JSON body, naming the endpoint when the server sent something else (a login page, a proxy's error). */
export function parseJson(target: HttpTarget, where: string, response: HttpResponse): unknown {
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('text/html') || /^\s*<(!doctype|html)/i.test(response.body)) {
    throw new HttpError(
      'auth',
      `${target.service} ${where} answered an HTML page (status ${response.status}) instead of JSON: most likely an auth proxy's login page.`,
      `Check ${target.authInput}: the proxy in front of ${target.service} did not accept the credentials.`,
      response.status,
    );
  }
  try {
    return JSON.parse(response.body) as unknown;
  } catch {
    throw new HttpError(
      'garbage',
      `${target.service} ${where} answered a body that is not JSON (status ${response.status}, ${response.body.length} bytes).`,
      `Check that ${target.urlInput} points at the ${target.service} API itself, not at a proxy or another service.`,
      response.status,
    );
  }
}

class TransientStatus extends Error {
  constructor(readonly response: HttpResponse) {
    super(`status ${response.status}`);
  }
}

async function sendFollowingRedirects(target: HttpTarget, req: HttpRequest, first: URL): Promise<HttpResponse> {
  let url = first;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const started = Date.now();
    const left = Math.max(1, remaining(req.deadline));
    const timeout = Math.min(target.requestTimeoutMs ?? Math.min(DEFAULT_ATTEMPT_MS, Math.max(MIN_ATTEMPT_MS, Math.ceil(left / 2))), left);
    const response = await fetch(url, {
      method: req.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(req.json === undefined ? {} : { 'content-type': 'application/json' }),
        ...target.headers,
        ...req.headers,
      },
      body: req.json === undefined ? undefined : JSON.stringify(req.json),
      redirect: 'manual',
      signal: AbortSignal.timeout(timeout),
    });
    // The attempt's signal stays on the body: a body that trickles or stalls ends with the attempt.
    const body = await readBody(target, `${req.method ?? 'GET'} ${url.pathname}`, response);
    target.log(`${target.service} ${req.method ?? 'GET'} ${url.pathname} -> ${response.status} (${Date.now() - started} ms)`);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (next.origin !== target.baseUrl.origin) {
        throw new AbortError(
          new HttpError(
            'redirect',
            `${target.service} ${req.method ?? 'GET'} ${url.pathname} redirected to another origin (${next.origin}); the action does not forward credentials there.`,
            `Set ${target.urlInput} to the URL the server redirects to, if you trust it.`,
            response.status,
            next,
          ),
        );
      }
      url = next;
      continue;
    }
    return { status: response.status, headers: response.headers, body };
  }
  throw new AbortError(
    new HttpError('redirect', `${target.service} ${url.pathname}: more than ${MAX_REDIRECTS} redirects.`, `Check ${target.urlInput}.`),
  );
}

/**
 * The body as text, read chunk by chunk so that it stops at MAX_BODY_BYTES. By hand because fetch has
 * no size limit, and undici's maxResponseSize counts the bytes on the wire, before a gzip bomb inflates.
 */
async function readBody(target: HttpTarget, where: string, response: Response): Promise<string> {
  if (Number(response.headers.get('content-length')) > MAX_BODY_BYTES) {
    await response.body?.cancel();
    throw new AbortError(tooLarge(target, where));
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  // Leaving the loop early cancels the stream, which closes the connection.
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > MAX_BODY_BYTES) throw new AbortError(tooLarge(target, where));
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(target: HttpTarget, where: string): HttpError {
  return new HttpError(
    'too-large',
    `${target.service} ${where} answered a body larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB (after decompression): response too large.`,
    `Check that ${target.urlInput} points at the ${target.service} API itself: a proxy or server in front of it is sending an endless or compressed (gzip bomb) body.`,
  );
}

function checkStatus(target: HttpTarget, req: HttpRequest, where: string, response: HttpResponse): HttpResponse {
  if (response.status < 400 || req.accept?.includes(response.status) || req.answers?.(response)) return response;
  const detail = (answer: HttpResponse) => excerpt(answer, credentialsOf(target, req));
  if (response.status === 401 || response.status === 403) {
    throw new HttpError(
      'auth',
      `${target.service} rejected the credentials: ${where} answered ${response.status}${detail(response)}.`,
      `Check ${target.authInput}: the value is wrong, expired, or lacks permission.`,
      response.status,
    );
  }
  if (response.status === 429) {
    throw new HttpError(
      'server',
      `${target.service} ${where} kept answering 429 Too Many Requests${detail(response)}.`,
      `${target.service} (or a proxy in front of it) is rate-limiting the runner; retry the job later, or raise the limit for this client.`,
      response.status,
    );
  }
  if (response.status >= 500) {
    throw new HttpError(
      'server',
      `${target.service} ${where} kept failing with status ${response.status}${detail(response)}.`,
      `${target.service} is unhealthy or overloaded; retry the job once it answers again.`,
      response.status,
    );
  }
  throw new HttpError(
    'client',
    `${target.service} ${where} answered ${response.status}${detail(response)}.`,
    `Check ${target.urlInput} and the ${target.service} version.`,
    response.status,
  );
}

/**
 * A short excerpt of an error body: the server's own explanation, with every credential the
 * request carried blanked out (a proxy may echo the headers it received).
 */
function excerpt(response: HttpResponse, credentials: readonly string[]): string {
  let text = response.body.replace(/\s+/g, ' ').trim();
  if (!text || /^<(!doctype|html)/i.test(text)) return '';
  for (const credential of credentials) text = text.split(credential).join('***');
  return `: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}`;
}

/** Header values (and the credential after an auth scheme) and string fields of the body the request carried. */
function credentialsOf(target: HttpTarget, req: HttpRequest): string[] {
  const values = [...Object.values(target.headers), ...Object.values(req.headers ?? {})];
  const parts = values.flatMap((value) => [value, ...value.split(/\s+/)]);
  const body = req.json !== null && typeof req.json === 'object' ? Object.values(req.json as Record<string, unknown>).filter((v): v is string => typeof v === 'string') : [];
  // Short values (a scheme name, `admin`) are not credentials, and blanking them would garble the text.
  return [...new Set([...parts, ...body])].filter((value) => value.length >= 6).sort((a, b) => b.length - a.length);
}

function toHttpError(target: HttpTarget, where: string, error: unknown, req: HttpRequest): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof TransientStatus) {
    try {
      checkStatus(target, { ...req, accept: [] }, where, error.response);
    } catch (statusError) {
      if (statusError instanceof HttpError) return statusError;
    }
  }
  if (isDeadline(error)) return deadlineError(target, where);
  if (causeCode(error) === 'ENOTFOUND') {
    return new HttpError(
      'network',
      `${target.service} ${where} could not be reached: the host name ${target.baseUrl.hostname} does not resolve (ENOTFOUND).`,
      `Check ${target.urlInput}: a typo in the host name, or a private DNS name the runner cannot resolve.`,
    );
  }
  return new HttpError(
    'network',
    `${target.service} ${where} could not be reached: ${describe(error)}.`,
    `Check ${target.urlInput}, and that the runner can reach ${target.baseUrl.host}.`,
  );
}

function deadlineError(target: HttpTarget, where: string): HttpError {
  return new HttpError(
    'deadline',
    `${target.service} ${where} did not answer before the stage's deadline.`,
    `${target.service} is slow or unreachable from the runner; raise the timeout input or check the service.`,
  );
}

function isTransient(error: unknown): boolean {
  if (error instanceof HttpError) return false;
  if (error instanceof TransientStatus) return true;
  // A name that does not exist (NXDOMAIN) stays so; EAI_AGAIN is the transient DNS failure.
  if (causeCode(error) === 'ENOTFOUND') return false;
  // fetch rejects with TypeError('fetch failed') wrapping ECONNREFUSED/ECONNRESET/ENOTFOUND,
  // and with a TimeoutError when AbortSignal.timeout fires: all worth another try.
  return error instanceof TypeError || isDeadline(error) || (error instanceof Error && error.name === 'SocketError');
}

/** True when the server cannot have acted on the request: it was never sent, or the server said it did not take it. */
function notProcessed(error: unknown): boolean {
  if (error instanceof TransientStatus) return NOT_PROCESSED_STATUSES.has(error.response.status);
  const code = causeCode(error);
  return code !== undefined && NOT_SENT_CODES.has(code);
}

function causeCode(error: unknown): string | undefined {
  const cause = error instanceof Error ? (error as Error & { cause?: { code?: unknown } }).cause : undefined;
  return typeof cause?.code === 'string' ? cause.code : undefined;
}

function isDeadline(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function describe(error: unknown): string {
  if (error instanceof TransientStatus) return error.message;
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}

function retryAfterMs(response: HttpResponse): number | undefined {
  const header = response.headers.get('retry-after');
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS) : undefined;
}

function resolve(base: URL, path: string, query: HttpRequest['query']): URL {
  const prefix = base.href.endsWith('/') ? base.href : `${base.href}/`;
  const url = new URL(path.replace(/^\//, ''), prefix);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined) url.searchParams.set(key, String(value));
  }
  return url;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** True for hosts where plain http cannot leave the machine. */
export function isLoopback(url: URL): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
