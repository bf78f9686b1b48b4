// The Airflow REST API as the action needs it, over Airflow 2 (/api/v1) and
// Airflow 3 (/api/v2): detects the version, authenticates, lists every DAG
// (paged), reads tasks, import errors and stored sources, and asks for re-parses.
// Responses are checked with zod, only for the fields the action reads.
import { z } from 'zod';
import { HttpError, parseJson, request, type DebugLog, type Deadline, type HttpRequest, type HttpResponse, type HttpTarget } from '../http.js';
import type { DagShape, Edge } from '../model.js';
import { openSession, staticHeaders, withSlash, type AirflowAuth, type ApiVersion, type AuthSession } from './auth.js';
import { readAllPages, type PageMemory } from './paging.js';

export type { AirflowAuth, ApiVersion } from './auth.js';

export interface AirflowConnection {
  /** The webserver / API server base URL, without /api/v1 or /api/v2. */
  readonly url: URL;
  readonly auth: AirflowAuth;
  /** Extra headers for an auth proxy; sent only to url's origin. */
  readonly headers: Readonly<Record<string, string>>;
  readonly apiVersion: 'auto' | ApiVersion;
  readonly log: DebugLog;
  /** dagster-airlift's name for the instance, for messages. */
  readonly instance: string;
  /** Input names to point at in errors. */
  readonly authInput: string;
  readonly urlInput: string;
}

export interface ClientTuning {
  /** Pages read at once after the first (with it, when polling). Default 16. */
  readonly pageConcurrency?: number;
  /** The `limit` asked for; servers may serve fewer. Default: 100 on Airflow 2, 1,000 on Airflow 3. */
  readonly pageLimit?: number;
  readonly requestTimeoutMs?: number;
  readonly retries?: number;
}

/** One DAG as live Airflow lists it. */
export interface LiveDag {
  readonly dagId: string;
  /** False when Airflow 2 marks it inactive or Airflow 3 stale. */
  readonly active: boolean;
  /** Absolute path inside the Airflow container. */
  readonly fileloc: string;
  /** Airflow 3: the path relative to the DAG bundle. */
  readonly relativeFileloc?: string;
  readonly fileToken?: string;
  readonly lastParsedTime?: string;
  /** Airflow 3: the bundle version (the commit, for git bundles). */
  readonly bundleVersion?: string | null;
  readonly hasImportErrors: boolean;
}

export interface LiveImportError {
  /** Airflow 2: absolute path; Airflow 3: relative to the bundle. */
  readonly filename: string;
  readonly bundleName?: string;
  readonly stackTrace: string;
  readonly timestamp: string;
}

export interface AirflowClient {
  readonly instance: string;
  readonly apiVersion: ApiVersion;
  /** What GET version reported, e.g. 2.10.5. */
  readonly airflowVersion: string;
  /** HTTP requests sent so far (retries of one request count once). */
  readonly requestCount: number;
  /** Every DAG, including inactive (stale) ones. */
  listDags(deadline: Deadline): Promise<LiveDag[]>;
  /** Task ids and edges, sorted. */
  getTasks(dagId: string, deadline: Deadline): Promise<DagShape>;
  listImportErrors(deadline: Deadline): Promise<LiveImportError[]>;
  /** The source Airflow stored for the DAG's file; null when it has none. */
  getDagSource(dag: LiveDag, deadline: Deadline): Promise<string | null>;
  /** Asks Airflow to parse the DAG's file soon; false when it does not know the file or predates 2.10. */
  reparseFile(dag: LiveDag, deadline: Deadline): Promise<boolean>;
}

// The version is written to the log and the report as the server sent it: only what a version is
// made of is kept (a line break could start a workflow command), at a version's length.
const VersionInfo = z.object({ version: z.string().transform((version) => version.replace(/[^\w.+-]/g, '?').slice(0, 40)) });

// Airflow 2 marks removed DAGs inactive, Airflow 3 stale; both become `active: false`.
const DagV1 = z
  .object({
    dag_id: z.string(),
    fileloc: z.string(),
    file_token: z.string().optional(),
    is_active: z.boolean().nullish(),
    last_parsed_time: z.string().nullish(),
    has_import_errors: z.boolean().nullish(),
  })
  .transform(
    (dag): LiveDag => ({
      dagId: dag.dag_id,
      active: dag.is_active === true,
      fileloc: dag.fileloc,
      ...(dag.file_token ? { fileToken: dag.file_token } : {}),
      ...(dag.last_parsed_time ? { lastParsedTime: dag.last_parsed_time } : {}),
      hasImportErrors: dag.has_import_errors === true,
    }),
  );
const DagV2 = z
  .object({
    dag_id: z.string(),
    fileloc: z.string(),
    file_token: z.string(),
    is_stale: z.boolean(),
    relative_fileloc: z.string().nullish(),
    last_parsed_time: z.string().nullish(),
    bundle_version: z.string().nullish(),
    has_import_errors: z.boolean(),
  })
  .transform(
    (dag): LiveDag => ({
      dagId: dag.dag_id,
      active: !dag.is_stale,
      fileloc: dag.fileloc,
      ...(dag.relative_fileloc ? { relativeFileloc: dag.relative_fileloc } : {}),
      fileToken: dag.file_token,
      ...(dag.last_parsed_time ? { lastParsedTime: dag.last_parsed_time } : {}),
      bundleVersion: dag.bundle_version ?? null,
      hasImportErrors: dag.has_import_errors,
    }),
  );
const DagPages = {
  v1: z.object({ dags: z.array(DagV1), total_entries: z.number().int() }),
  v2: z.object({ dags: z.array(DagV2), total_entries: z.number().int() }),
};
const TaskList = z.object({
  tasks: z.array(z.object({ task_id: z.string(), downstream_task_ids: z.array(z.string()).nullish() })),
});
const ImportErrorPage = z.object({
  import_errors: z.array(
    z.object({ filename: z.string(), stack_trace: z.string(), timestamp: z.string(), bundle_name: z.string().nullish() }),
  ),
  total_entries: z.number().int(),
});
const DagSource = z.object({ content: z.string().nullish() });

export async function connectAirflow(connection: AirflowConnection, deadline: Deadline, tuning: ClientTuning = {}): Promise<AirflowClient> {
  const target: HttpTarget = {
    service: 'Airflow',
    baseUrl: connection.url,
    headers: connection.headers,
    authInput: connection.authInput,
    urlInput: connection.urlInput,
    log: connection.log,
    requestTimeoutMs: tuning.requestTimeoutMs,
    retries: tuning.retries,
  };
  let requestCount = 0;
  const send = (t: HttpTarget, req: HttpRequest): Promise<HttpResponse> => {
    requestCount++;
    return request(t, req);
  };
  const where = (method: string, path: string) => `${method} ${new URL(path, withSlash(connection.url)).pathname}`;
  const decode = <T>(schema: z.ZodType<T>, method: string, path: string, response: HttpResponse): T => {
    const at = where(method, path);
    const parsed = schema.safeParse(parseJson(target, at, response));
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    throw new HttpError(
      'garbage',
      `Airflow ${at} answered JSON of an unexpected shape (${issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid'}).`,
      `Check that ${connection.urlInput} points at the Airflow webserver / API server and that its version is supported (Airflow 2.3+ or 3).`,
      response.status,
    );
  };

  const { apiVersion, airflowVersion } = await detectVersion(connection, target, deadline, send, decode);
  connection.log(`Airflow ${connection.instance}: API ${apiVersion} (Airflow ${airflowVersion})`);
  const session: AuthSession = await openSession(connection.auth, apiVersion, target, deadline, send);
  const pageConcurrency = tuning.pageConcurrency ?? 16;
  // Airflow 2 clamps to maximum_page_limit (default 100) and logs a warning for each larger ask;
  // Airflow 3.0/3.1 serve what is asked, and later 3.x clamp silently.
  const pageLimit = tuning.pageLimit ?? (apiVersion === 'v1' ? 100 : 1000);
  const api = (path: string) => `api/${apiVersion}/${path}`;
  const dagPages: PageMemory = {};
  const errorPages: PageMemory = {};

  /** One API call with the session's credentials, renewed once after a 401. */
  const call = async (req: HttpRequest): Promise<HttpResponse> => {
    const sent = session.headers();
    try {
      return await send(target, { ...req, headers: { ...req.headers, ...sent } });
    } catch (error) {
      if (!(error instanceof HttpError && error.status === 401)) throw error;
      if (!(await session.renew(sent, req.deadline))) throw explainBasicAuth(error, connection.auth, apiVersion);
      connection.log(`Airflow ${connection.instance}: ${where(req.method ?? 'GET', req.path)} answered 401; logged in again`);
      return send(target, { ...req, headers: { ...req.headers, ...session.headers() } });
    }
  };
  const get = async <T>(schema: z.ZodType<T>, path: string, deadline: Deadline, query?: HttpRequest['query']): Promise<T> =>
    decode(schema, 'GET', path, await call({ path, query, deadline }));

  return {
    instance: connection.instance,
    apiVersion,
    airflowVersion,
    get requestCount() {
      return requestCount;
    },

    async listDags(listDeadline) {
      // Inactive (stale) DAGs are hidden by default; removals are checked against them.
      const filter = apiVersion === 'v1' ? { only_active: false } : { exclude_stale: false };
      const dags = await readAllPages(async (offset) => {
        const page = await get<{ dags: LiveDag[]; total_entries: number }>(DagPages[apiVersion], api('dags'), listDeadline, {
          limit: pageLimit,
          offset,
          order_by: 'dag_id',
          ...filter,
        });
        return { items: page.dags, total: page.total_entries };
      }, pageConcurrency, dagPages);
      // Pages read while the DAG table changes can overlap: the later row wins.
      return [...new Map(dags.map((dag) => [dag.dagId, dag])).values()].sort((a, b) => compare(a.dagId, b.dagId));
    },

    async getTasks(dagId, tasksDeadline) {
      const { tasks } = await get(TaskList, api(`dags/${encodeURIComponent(dagId)}/tasks`), tasksDeadline);
      const edges = tasks.flatMap((task) => (task.downstream_task_ids ?? []).map((down): Edge => [task.task_id, down]));
      return {
        tasks: [...new Set(tasks.map((task) => task.task_id))].sort(compare),
        edges: [...new Map(edges.map((edge) => [`${edge[0]}\u0000${edge[1]}`, edge])).values()].sort(
          (a, b) => compare(a[0], b[0]) || compare(a[1], b[1]),
        ),
      };
    },

    async listImportErrors(errorsDeadline) {
      return readAllPages(async (offset) => {
        const page = await get(ImportErrorPage, api('importErrors'), errorsDeadline, { limit: pageLimit, offset });
        return {
          items: page.import_errors.map((error) => ({
            filename: error.filename,
            ...(error.bundle_name ? { bundleName: error.bundle_name } : {}),
            stackTrace: error.stack_trace,
            timestamp: error.timestamp,
          })),
          total: page.total_entries,
        };
      }, pageConcurrency, errorPages);
    },

    async getDagSource(dag, sourceDeadline) {
      // Airflow 2 addresses sources by file token, Airflow 3 by DAG id.
      const key = apiVersion === 'v1' ? dag.fileToken : dag.dagId;
      if (!key) return null;
      const path = api(`dagSources/${encodeURIComponent(key)}`);
      const response = await call({ path, deadline: sourceDeadline, accept: [404] });
      if (response.status === 404) return null;
      return decode(DagSource, 'GET', path, response).content ?? null;
    },

    async reparseFile(dag, reparseDeadline) {
      if (!dag.fileToken) return false;
      const path = api(`parseDagFile/${encodeURIComponent(dag.fileToken)}`);
      const response = await call({ method: 'PUT', path, deadline: reparseDeadline, accept: [404] });
      return response.status !== 404;
    },
  };
}

type Decode = <T>(schema: z.ZodType<T>, method: string, path: string, response: HttpResponse) => T;

/** Probes /api/v2 first (Airflow 3), then /api/v1; a forced version probes only that one. */
async function detectVersion(
  connection: AirflowConnection,
  target: HttpTarget,
  deadline: Deadline,
  send: typeof request,
  decode: Decode,
): Promise<{ apiVersion: ApiVersion; airflowVersion: string }> {
  const candidates: ApiVersion[] = connection.apiVersion === 'auto' ? ['v2', 'v1'] : [connection.apiVersion];
  const tried: string[] = [];
  for (const apiVersion of candidates) {
    const path = `api/${apiVersion}/version`;
    // Airflow 3's version endpoint is public, so a password login can wait until the version is known.
    const headers = staticHeaders(connection.auth, apiVersion) ?? {};
    const response = await send(target, { path, deadline, headers, accept: [404] });
    tried.push(`${new URL(path, withSlash(connection.url)).pathname}`);
    if (response.status === 404) continue;
    return { apiVersion, airflowVersion: decode(VersionInfo, 'GET', path, response).version };
  }
  throw new HttpError(
    'client',
    `Airflow at ${connection.url.origin} has no REST API at ${tried.join(' or ')} (404).`,
    connection.apiVersion === 'auto'
      ? `Check ${connection.urlInput}: give the Airflow webserver / API server base URL (with any path prefix, without /api/v1 or /api/v2).`
      : `Check ${connection.urlInput} and the API version setting (${connection.apiVersion}): Airflow 2 serves /api/v1, Airflow 3 /api/v2.`,
    404,
  );
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Airflow 2 refuses basic auth with 401 unless its API allows it: the default `[api] auth_backends`
 * is session-only. The credentials may be right, so the fix names the setting as well.
 */
function explainBasicAuth(error: HttpError, auth: AirflowAuth, apiVersion: ApiVersion): HttpError {
  if (apiVersion !== 'v1' || (auth.kind !== 'password' && auth.kind !== 'basic')) return error;
  return new HttpError(
    error.kind,
    error.message,
    `${error.fix} If they are right, Airflow 2 is not accepting basic auth: add airflow.api.auth.backend.basic_auth (or, with the FAB provider, airflow.providers.fab.auth_manager.api.auth.backend.basic_auth) to [api] auth_backends (AIRFLOW__API__AUTH_BACKENDS); the default, airflow.api.auth.backend.session, answers 401 to every basic-auth request.`,
    error.status,
    error.location,
  );
}
