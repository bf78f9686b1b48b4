// Starting the workflow that rebuilds and redeploys the Dagster project (for Airflow state baked into
// the image), and following the run it started to its end, through GitHub's REST API
// (src/http.ts for the wire: retries, one deadline, credentials to GitHub's origin only):
// - workflow_dispatch: POST /repos/{o}/{r}/actions/workflows/{file}/dispatches {ref}. With
//   `return_run_details: true` GitHub answers 200 with the run's id (since February 2026); older
//   GitHub Enterprise Servers refuse the unknown field with 400, and then the run is found by listing.
// - repository_dispatch: POST /repos/{o}/{r}/dispatches {event_type}: 204, the run is found by listing.
// - listing: GET /repos/{o}/{r}/actions/workflows/{file}/runs?event=…&created=>=…, the first run that
//   was not there before the dispatch; then GET /repos/{o}/{r}/actions/runs/{id} until `completed`.
import { z } from 'zod';
import { HttpError, deadlineIn, parseJson, remaining, request, sleep, type Deadline, type DebugLog, type HttpResponse, type HttpTarget } from '../http.js';
import type { RebuildConfig } from '../inputs.js';

export interface WorkflowRun {
  readonly id: number;
  /** The run's page on GitHub. */
  readonly url: string;
  readonly status: string;
  readonly conclusion: string | null;
}

export type RebuildResult =
  | { readonly ok: true; readonly run: WorkflowRun }
  | { readonly ok: false; readonly message: string; readonly fix: string; readonly input: string; readonly run?: WorkflowRun };

export interface RebuildOptions {
  /** Between run polls. Default 10 s. */
  readonly pollIntervalMs?: number;
  /** Sent as repository_dispatch's client_payload (workflow_dispatch takes only declared inputs). */
  readonly payload?: Readonly<Record<string, unknown>>;
  readonly log: DebugLog;
}

const DEFAULT_POLL_MS = 10_000;
/** Runs created this long before the dispatch still count: the runner's clock and GitHub's may differ. */
const CLOCK_SKEW_MS = 120_000;

const runShape = z.object({ id: z.number(), html_url: z.string(), status: z.string().nullable(), conclusion: z.string().nullable() });
const runsShape = z.object({ workflow_runs: z.array(runShape) });
const detailsShape = z.object({ workflow_run_id: z.number() });

export async function runRebuild(config: RebuildConfig, options: RebuildOptions): Promise<RebuildResult> {
  const deadline = deadlineIn(config.timeoutMs);
  const interval = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  const target: HttpTarget = {
    service: 'GitHub',
    baseUrl: config.apiUrl,
    headers: { authorization: `Bearer ${config.token}`, 'x-github-api-version': '2022-11-28' },
    authInput: config.tokenInput,
    urlInput: 'rebuild-workflow',
    log: options.log,
  };
  const repo = `repos/${encodeURIComponent(config.owner)}/${encodeURIComponent(config.repo)}`;
  const workflow = `${repo}/actions/workflows/${encodeURIComponent(config.workflow)}`;
  const name = `${config.owner}/${config.repo}/.github/workflows/${config.workflow}`;
  const event = config.trigger.kind;
  let run: WorkflowRun | undefined;
  try {
    const dispatchedAt = Date.now();
    const first = config.trigger.kind === 'workflow_dispatch' ? await dispatchWithDetails(target, workflow, config.trigger.ref, deadline) : 'refused';
    let id = typeof first === 'number' ? first : undefined;
    let known = new Set<number>();
    if (first === 'refused') {
      known = new Set((await listRuns(target, workflow, event, undefined, deadline)).map((candidate) => candidate.id));
      await dispatch(target, config, repo, workflow, options.payload, deadline);
    }
    id ??= await findNewRun(target, workflow, event, known, dispatchedAt, deadline, interval);
    if (id === undefined) {
      const trigger = config.trigger.kind === 'workflow_dispatch' ? '`workflow_dispatch`' : `\`repository_dispatch\` (types: [${config.trigger.eventType}])`;
      return {
        ok: false,
        message: `GitHub accepted the ${event} event, but no run of ${name} appeared within ${duration(config.timeoutMs)}.`,
        fix: `Check that the workflow runs on ${trigger} and that Actions are enabled on ${config.owner}/${config.repo}.`,
        input: 'rebuild-workflow',
      };
    }
    options.log(`Following ${name} run ${id}`);
    run = await getRun(target, repo, id, deadline);
    while (run.status !== 'completed') {
      if (remaining(deadline) === 0) return timedOut(config, name, run);
      await sleep(Math.min(interval, remaining(deadline)));
      run = await getRun(target, repo, id, deadline);
    }
    if (run.conclusion === 'success') return { ok: true, run };
    return {
      ok: false,
      message: `The rebuild workflow run ${run.url} ended ${run.conclusion ?? 'without a conclusion'}, so the Dagster project was not redeployed with fresh Airflow state.`,
      fix: 'Open the run to see which step failed, fix it, then re-run this job.',
      input: 'rebuild-workflow',
      run,
    };
  } catch (error) {
    if (error instanceof HttpError && error.kind === 'deadline') return timedOut(config, name, run);
    if (error instanceof HttpError) return { ok: false, message: error.message, fix: explainFix(config, name, error), input: error.kind === 'auth' ? config.tokenInput : 'rebuild-workflow', ...(run ? { run } : {}) };
    throw error;
  }
}

/**
 * workflow_dispatch asking for the run's id: the id, 'dispatched' when the run started without one,
 * 'refused' when the server does not know the field (older GitHub Enterprise Server) and nothing started.
 */
async function dispatchWithDetails(target: HttpTarget, workflow: string, ref: string, deadline: Deadline): Promise<number | 'dispatched' | 'refused'> {
  const response = await request(target, { method: 'POST', path: `${workflow}/dispatches`, json: { ref, return_run_details: true }, deadline, accept: [400, 422] });
  if (response.status === 400 || response.status === 422) return 'refused';
  if (response.status !== 200) return 'dispatched';
  return parsed(target, 'POST dispatches', response, detailsShape).workflow_run_id;
}

async function dispatch(
  target: HttpTarget,
  config: RebuildConfig,
  repo: string,
  workflow: string,
  payload: RebuildOptions['payload'],
  deadline: Deadline,
): Promise<void> {
  if (config.trigger.kind === 'workflow_dispatch') {
    await request(target, { method: 'POST', path: `${workflow}/dispatches`, json: { ref: config.trigger.ref }, deadline });
  } else {
    await request(target, { method: 'POST', path: `${repo}/dispatches`, json: { event_type: config.trigger.eventType, client_payload: payload ?? {} }, deadline });
  }
}

async function listRuns(target: HttpTarget, workflow: string, event: string, createdSince: number | undefined, deadline: Deadline): Promise<WorkflowRun[]> {
  const created = createdSince === undefined ? undefined : `>=${new Date(createdSince).toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
  const response = await request(target, { path: `${workflow}/runs`, query: { event, created, per_page: 30 }, deadline });
  return parsed(target, 'GET runs', response, runsShape).workflow_runs.map(toRun);
}

/** The first run of the workflow that was not there before the dispatch. GitHub lists newest first. */
async function findNewRun(
  target: HttpTarget,
  workflow: string,
  event: string,
  known: ReadonlySet<number>,
  dispatchedAt: number,
  deadline: Deadline,
  intervalMs: number,
): Promise<number | undefined> {
  while (remaining(deadline) > 0) {
    const fresh = (await listRuns(target, workflow, event, dispatchedAt - CLOCK_SKEW_MS, deadline)).filter((run) => !known.has(run.id));
    const oldest = fresh.at(-1);
    if (oldest) return oldest.id;
    await sleep(Math.min(intervalMs, remaining(deadline)));
  }
  return undefined;
}

async function getRun(target: HttpTarget, repo: string, id: number, deadline: Deadline): Promise<WorkflowRun> {
  const response = await request(target, { path: `${repo}/actions/runs/${id}`, deadline });
  return toRun(parsed(target, 'GET run', response, runShape));
}

function toRun(run: z.infer<typeof runShape>): WorkflowRun {
  return { id: run.id, url: run.html_url, status: run.status ?? 'unknown', conclusion: run.conclusion };
}

function parsed<T>(target: HttpTarget, where: string, response: HttpResponse, shape: z.ZodType<T>): T {
  const result = shape.safeParse(parseJson(target, where, response));
  if (result.success) return result.data;
  throw new HttpError('garbage', `GitHub ${where} answered data of an unexpected shape.`, 'Check that GITHUB_API_URL is GitHub\'s REST API.', response.status);
}

function timedOut(config: RebuildConfig, name: string, run: WorkflowRun | undefined): RebuildResult {
  return {
    ok: false,
    message: run
      ? `The rebuild workflow run ${run.url} had not finished after ${duration(config.timeoutMs)} (status ${run.status}).`
      : `Starting ${name} did not finish within ${duration(config.timeoutMs)}.`,
    fix: 'Raise rebuild-timeout if the build and deploy take longer; otherwise check the run on GitHub.',
    input: 'rebuild-timeout',
    ...(run ? { run } : {}),
  };
}

function explainFix(config: RebuildConfig, name: string, error: HttpError): string {
  const where = `${config.owner}/${config.repo}`;
  if (error.kind === 'auth') {
    return `Check ${config.tokenInput}: it needs Actions: write on ${where}${config.trigger.kind === 'repository_dispatch' ? ' and Contents: write for repository_dispatch' : ''} (fine-grained token), or the repo scope (classic token).`;
  }
  if (error.status === 404) return `Check rebuild-workflow: GitHub has no ${name}, or ${config.tokenInput} cannot see ${where}.`;
  if (error.status === 422) {
    return config.trigger.kind === 'workflow_dispatch'
      ? `Check that ${name} has \`on: workflow_dispatch\` and that the ref ${config.trigger.ref} exists (GitHub's message above says which).`
      : `Check rebuild-event-type and that ${name} has \`on: repository_dispatch\`.`;
  }
  return error.fix;
}

function duration(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 100) / 10} s` : `${Math.round(ms / 60_000)} min`;
}
