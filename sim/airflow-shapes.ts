// Response bodies as Airflow 2.10 (/api/v1) and Airflow 3 (/api/v2) write them:
// every field of the spec's schema, with the types the spec gives.
import type { SimTask, StoredDag, StoredImportError } from './airflow-state.js';

export type ApiVersion = 'v1' | 'v2';

export interface ShapeContext {
  readonly version: ApiVersion;
  /** Absolute folder the files live in inside the container (fileloc). */
  readonly filelocPrefix: string;
  readonly bundleName: string;
  readonly fileToken: (file: string) => string;
  readonly hasImportError: (file: string) => boolean;
}

/** Python's isoformat() of an aware UTC datetime, as Airflow serializes times. */
export function isoTime(date: Date): string {
  const [seconds, millis] = date.toISOString().replace('Z', '').split('.');
  // isoformat() writes microseconds, and only when there are some.
  return `${seconds}${millis && millis !== '000' ? `.${millis}000` : ''}+00:00`;
}

export function fileloc(ctx: ShapeContext, file: string): string {
  return `${ctx.filelocPrefix.replace(/\/$/, '')}/${file}`;
}

export function dagBody(ctx: ShapeContext, dag: StoredDag): Record<string, unknown> {
  return ctx.version === 'v1' ? dagV1(ctx, dag) : dagV2(ctx, dag);
}

function dagV1(ctx: ShapeContext, dag: StoredDag): Record<string, unknown> {
  return {
    dag_id: dag.dagId,
    dag_display_name: dag.dagId,
    root_dag_id: null,
    is_paused: dag.paused,
    is_active: dag.active,
    is_subdag: false,
    last_parsed_time: isoTime(dag.lastParsed),
    last_pickled: null,
    last_expired: null,
    scheduler_lock: null,
    pickle_id: null,
    default_view: 'grid',
    fileloc: fileloc(ctx, dag.file),
    file_token: ctx.fileToken(dag.file),
    owners: ['airflow'],
    description: null,
    schedule_interval: { __type: 'CronExpression', value: '@daily' },
    timetable_description: 'At 00:00',
    tags: [],
    max_active_tasks: 16,
    max_active_runs: 16,
    max_consecutive_failed_dag_runs: 0,
    has_task_concurrency_limits: false,
    has_import_errors: ctx.hasImportError(dag.file),
    next_dagrun: null,
    next_dagrun_data_interval_start: null,
    next_dagrun_data_interval_end: null,
    next_dagrun_create_after: null,
  };
}

function dagV2(ctx: ShapeContext, dag: StoredDag): Record<string, unknown> {
  return {
    dag_id: dag.dagId,
    dag_display_name: dag.dagId,
    is_paused: dag.paused,
    is_stale: !dag.active,
    last_parsed_time: isoTime(dag.lastParsed),
    last_parse_duration: 0.05,
    last_expired: null,
    bundle_name: ctx.bundleName,
    bundle_version: dag.bundleVersion,
    relative_fileloc: dag.file,
    fileloc: fileloc(ctx, dag.file),
    description: null,
    timetable_summary: '@daily',
    timetable_description: 'At 00:00',
    timetable_partitioned: false,
    timetable_periodic: true,
    is_backfillable: true,
    allowed_run_types: null,
    tags: [],
    max_active_tasks: 16,
    max_active_runs: 16,
    max_consecutive_failed_dag_runs: 0,
    has_task_concurrency_limits: false,
    has_import_errors: ctx.hasImportError(dag.file),
    next_dagrun_logical_date: null,
    next_dagrun_data_interval_start: null,
    next_dagrun_data_interval_end: null,
    next_dagrun_run_after: null,
    owners: ['airflow'],
    file_token: ctx.fileToken(dag.file),
  };
}

export function taskBody(version: ApiVersion, task: SimTask): Record<string, unknown> {
  const operator = task.operator ?? 'PythonOperator';
  const retryDelay = { __type: 'TimeDelta', days: 0, seconds: 300, microseconds: 0 };
  const common = {
    task_id: task.taskId,
    task_display_name: task.taskId,
    owner: 'airflow',
    start_date: '2024-01-01T00:00:00+00:00',
    end_date: null,
    trigger_rule: 'all_success',
    depends_on_past: false,
    wait_for_downstream: false,
    retries: 0,
    queue: 'default',
    pool: 'default_pool',
    pool_slots: 1,
    execution_timeout: null,
    retry_delay: retryDelay,
    priority_weight: 1,
    weight_rule: 'downstream',
    ui_color: '#ffefeb',
    ui_fgcolor: '#000',
    template_fields: [],
    downstream_task_ids: [...task.downstream].sort(),
    doc_md: null,
    is_mapped: false,
    extra_links: [],
  };
  // Airflow 2.11 and 3 both name the operator twice and list params; they differ in the backoff's type.
  return {
    ...common,
    class_ref: { class_name: operator, module_path: moduleOf(operator) },
    operator_name: operator,
    params: {},
    retry_exponential_backoff: version === 'v1' ? false : 0,
  };
}

function moduleOf(operator: string): string {
  return operator === 'BashOperator' ? 'airflow.providers.standard.operators.bash' : 'airflow.providers.standard.operators.python';
}

export function importErrorBody(ctx: ShapeContext, error: StoredImportError): Record<string, unknown> {
  const path = fileloc(ctx, error.file);
  const body = {
    import_error_id: error.id,
    timestamp: isoTime(error.timestamp),
    // Airflow 2 stores the absolute path; Airflow 3 the path relative to the bundle.
    filename: ctx.version === 'v1' ? path : error.file,
    stack_trace: stackTrace(path, error),
  };
  return ctx.version === 'v1' ? body : { ...body, bundle_name: ctx.bundleName };
}

/** A Python traceback as the DAG processor records it. */
function stackTrace(path: string, error: StoredImportError): string {
  return [
    'Traceback (most recent call last):',
    '  File "<frozen importlib._bootstrap>", line 488, in _call_with_frames_removed',
    `  File "${path}", line ${error.line}, in <module>`,
    ...(error.codeLine ? [`    ${error.codeLine}`] : []),
    error.message,
    '',
  ].join('\n');
}

/**
 * Airflow 2.11 raises NotFound(title): the message is the title and detail is null. Its OpenAPI
 * document types detail as a string, so the simulator repeats the message there.
 */
export function notFoundBody(version: ApiVersion, what: string): Record<string, unknown> {
  return version === 'v1' ? { ...errorBody('v1', 404, what), title: what } : errorBody('v2', 404, what);
}

/** An error body: RFC 7807 problem (Airflow 2, connexion) or FastAPI's {detail}. */
export function errorBody(version: ApiVersion, status: number, detail: string): Record<string, unknown> {
  if (version === 'v2') return { detail };
  return {
    type: `https://airflow.apache.org/docs/apache-airflow/2.10.0/stable-rest-api-ref.html#section/Errors/${PROBLEM_TYPES[status] ?? 'Unknown'}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
  };
}

const PROBLEM_TYPES: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthenticated',
  403: 'PermissionDenied',
  404: 'NotFound',
  405: 'MethodNotAllowed',
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The Flask 404 page Airflow 2's webserver serves for unknown paths. */
export const FLASK_404_PAGE =
  '<!DOCTYPE html>\n<html lang="en"><head><title>Airflow 404</title></head><body><h1>Page cannot be found.</h1></body></html>\n';

export const LOGIN_PAGE =
  '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form method="post" action="/oauth2/sign_in"><input name="username"><input type="password" name="password"></form></body></html>\n';
