// A small GitHub REST API on 127.0.0.1, answering from a real local git
// repository: compare (with GitHub's silent 300-file cap), git trees, blobs
// and commits. It counts every request and can be told to fail or stall on
// chosen paths, for tests of the action's API fallback. It also runs Actions
// workflows: workflow_dispatch and repository_dispatch start a run that
// completes after a delay with a chosen conclusion, calling a hook first (a
// deploy step: make the simulated Dagster redeploy).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GitError, runGit, splitNul } from '../src/changes/git-cli.js';

export interface GitHubSimulatorOptions {
  /** A git repository (bare or not) the API serves. */
  readonly repoDir: string;
  readonly owner?: string;
  readonly repo?: string;
  /** When set, a request without `Authorization: token|Bearer <token>` gets 401. */
  readonly token?: string;
  /** Files the compare endpoint lists at most (GitHub: 300). */
  readonly compareFileCap?: number;
  /** Commits the compare endpoint lists at most (GitHub: 250). */
  readonly compareCommitCap?: number;
  /** Tree entries a recursive tree lists before it says `truncated` (GitHub: 100,000). */
  readonly treeEntryCap?: number;
  /** Workflows by file name (deploy.yml), for the dispatch and run endpoints. */
  readonly workflows?: Readonly<Record<string, SimWorkflow>>;
  /**
   * true (default): workflow_dispatch honours `return_run_details` with 200 and the run's id, as GitHub.com
   * does since February 2026. false: an older GitHub Enterprise Server, which refuses the field with 400.
   */
  readonly runDetails?: boolean;
}

export interface SimWorkflow {
  /** From the dispatch until the run completes. Default 50 ms. */
  readonly durationMs?: number;
  /** Default success. */
  readonly conclusion?: 'success' | 'failure' | 'cancelled' | 'timed_out';
  /** The workflow's triggers (`on:`). Default both. */
  readonly on?: readonly ('workflow_dispatch' | 'repository_dispatch')[];
  /** repository_dispatch `types:`; default any event type. */
  readonly types?: readonly string[];
  /** Called as the run's last step, before it shows `completed` (awaited): a deploy. */
  readonly onComplete?: (run: SimWorkflowRun) => void | Promise<void>;
}

export interface SimWorkflowRun {
  readonly id: number;
  readonly workflow: string;
  readonly event: 'workflow_dispatch' | 'repository_dispatch';
  /** The ref dispatched on (workflow_dispatch) or the default branch. */
  readonly ref: string;
  readonly createdAt: Date;
  status: 'queued' | 'in_progress' | 'completed';
  conclusion: string | null;
  readonly clientPayload?: unknown;
}

export interface SimulatedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly path: string;
  readonly status: number;
}

export interface Fault {
  /** Answer this status (with a JSON message) instead of the real answer. */
  readonly status?: number;
  /** Wait this long before answering. */
  readonly delayMs?: number;
  /** Answer only once this settles: a test holds a request until something else has happened. */
  readonly until?: Promise<unknown>;
  /** Apply to this many matching requests, then stop (default: every one). */
  readonly times?: number;
}

export interface IssueComment {
  readonly id: number;
  readonly issue: number;
  body: string;
  readonly user: { readonly login: string; readonly type: string };
}

export interface GitHubSimulator {
  /** Base URL, for Octokit's baseUrl or GITHUB_API_URL. */
  readonly url: string;
  /** Pull request (issue) comments, as posted and edited through the API. */
  readonly comments: IssueComment[];
  /** Every request so far, in order. */
  readonly requests: readonly SimulatedRequest[];
  /** Workflow runs started through the dispatch endpoints, oldest first. */
  readonly runs: readonly SimWorkflowRun[];
  /** Injects a fault on requests whose path (without query) contains or matches `path`. */
  fault(path: string | RegExp, fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
}

interface ActiveFault {
  readonly match: string | RegExp;
  readonly fault: Fault;
  remaining: number;
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {}
}

export async function startGitHubSimulator(options: GitHubSimulatorOptions): Promise<GitHubSimulator> {
  const owner = options.owner ?? 'octo';
  const repo = options.repo ?? 'dags';
  const requests: SimulatedRequest[] = [];
  let faults: ActiveFault[] = [];
  const api = new RepoApi(options);
  const comments: IssueComment[] = [];
  const runs: SimWorkflowRun[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let base = '';

  const server = createServer((req, res) => {
    void handle(req, res);
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let answer: HttpAnswer;
    try {
      answer = await route(req, url);
    } catch (error) {
      answer = error instanceof HttpAnswer ? error : new HttpAnswer(500, { message: `simulator: ${(error as Error).message}` });
    }
    requests.push({ method: req.method ?? 'GET', path: `${url.pathname}${url.search}`, status: answer.status });
    if (res.destroyed) return;
    if (answer.status === 204) {
      res.writeHead(204).end();
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(answer.body));
  }

  async function route(req: IncomingMessage, url: URL): Promise<HttpAnswer> {
    const fault = faults.find((active) => active.remaining > 0 && matches(active.match, url.pathname));
    if (fault) {
      fault.remaining--;
      if (fault.fault.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.fault.delayMs));
      await fault.fault.until;
      if (fault.fault.status) return new HttpAnswer(fault.fault.status, { message: `simulated fault ${fault.fault.status}` });
    }
    if (options.token !== undefined && !authorized(req.headers.authorization, options.token)) {
      return new HttpAnswer(401, { message: 'Bad credentials' });
    }
    const parts = url.pathname.split('/').slice(1).map(decodeURIComponent);
    if (parts[0] !== 'repos' || parts[1] !== owner || parts[2] !== repo) return NOT_FOUND;
    const [, , , area, kind, id] = parts;
    if (area === 'issues') return commentsApi(req, kind, id, parts.length);
    if (area === 'dispatches' && parts.length === 4 && req.method === 'POST') return repositoryDispatch(await readJson(req));
    if (area === 'actions') return actionsApi(req, url, kind, id, parts.slice(6));
    if (req.method !== 'GET') return new HttpAnswer(405, { message: 'Method not allowed' });
    if (area === 'compare' && kind !== undefined && parts.length === 5) return new HttpAnswer(200, await api.compare(kind));
    if (area === 'commits' && kind !== undefined && parts.length === 5) return new HttpAnswer(200, await api.commit(kind));
    if (area === 'git' && kind === 'trees' && id !== undefined && parts.length === 6) {
      const recursive = url.searchParams.has('recursive') && !['0', 'false'].includes(url.searchParams.get('recursive') ?? '');
      return new HttpAnswer(200, await api.tree(id, recursive));
    }
    if (area === 'git' && kind === 'blobs' && id !== undefined && parts.length === 6) return new HttpAnswer(200, await api.blob(id));
    return NOT_FOUND;
  }

  // GET/POST /repos/{o}/{r}/issues/{n}/comments and PATCH /repos/{o}/{r}/issues/comments/{id}.
  async function commentsApi(req: IncomingMessage, kind: string | undefined, id: string | undefined, length: number): Promise<HttpAnswer> {
    if (kind === 'comments' && id !== undefined && length === 6 && req.method === 'PATCH') {
      const comment = comments.find((candidate) => candidate.id === Number(id));
      if (!comment) return NOT_FOUND;
      comment.body = String(((await readJson(req)) as { body?: unknown }).body ?? '');
      return new HttpAnswer(200, comment);
    }
    if (kind !== undefined && /^\d+$/.test(kind) && id === 'comments' && length === 6) {
      const issue = Number(kind);
      if (req.method === 'GET') return new HttpAnswer(200, comments.filter((comment) => comment.issue === issue));
      if (req.method === 'POST') {
        const body = String(((await readJson(req)) as { body?: unknown }).body ?? '');
        const comment: IssueComment = { id: comments.length + 1, issue, body, user: { login: 'github-actions[bot]', type: 'Bot' } };
        comments.push(comment);
        return new HttpAnswer(201, comment);
      }
    }
    return NOT_FOUND;
  }

  // POST .../actions/workflows/{file}/dispatches, GET .../actions/workflows/{file}/runs, GET .../actions/runs/{id}.
  async function actionsApi(req: IncomingMessage, url: URL, kind: string | undefined, id: string | undefined, rest: string[]): Promise<HttpAnswer> {
    if (kind === 'runs' && id !== undefined && rest.length === 0 && req.method === 'GET') {
      const run = runs.find((candidate) => candidate.id === Number(id));
      return run ? new HttpAnswer(200, runJson(run)) : NOT_FOUND;
    }
    const workflow = id === undefined ? undefined : options.workflows?.[id];
    if (kind !== 'workflows' || id === undefined || !workflow || rest.length !== 1) return NOT_FOUND;
    if (rest[0] === 'runs' && req.method === 'GET') {
      const created = /^(>=?)(.+)$/.exec(url.searchParams.get('created') ?? '');
      const since = created?.[2] ? Date.parse(created[2]) : undefined;
      const listed = runs
        .filter((run) => run.workflow === id)
        .filter((run) => !url.searchParams.get('event') || run.event === url.searchParams.get('event'))
        .filter((run) => since === undefined || (created?.[1] === '>' ? run.createdAt.getTime() > since : run.createdAt.getTime() >= since))
        .reverse();
      return new HttpAnswer(200, { total_count: listed.length, workflow_runs: listed.slice(0, Number(url.searchParams.get('per_page') ?? 30)).map(runJson) });
    }
    if (rest[0] !== 'dispatches' || req.method !== 'POST') return NOT_FOUND;
    const body = (await readJson(req)) as { ref?: unknown; inputs?: unknown; return_run_details?: unknown };
    if (body.return_run_details !== undefined && options.runDetails === false) {
      return new HttpAnswer(400, { message: 'Invalid request.\n\n"return_run_details" is not a permitted key.' });
    }
    if (!triggers(workflow).includes('workflow_dispatch')) return new HttpAnswer(422, { message: "Workflow does not have 'workflow_dispatch' trigger" });
    if (typeof body.ref !== 'string' || !(await api.hasRef(body.ref))) return new HttpAnswer(422, { message: `No ref found for: ${String(body.ref)}` });
    if (body.inputs && Object.keys(body.inputs).length) return new HttpAnswer(422, { message: `Unexpected inputs provided: ${JSON.stringify(Object.keys(body.inputs))}` });
    const run = start(id, workflow, 'workflow_dispatch', body.ref);
    if (body.return_run_details !== true) return new HttpAnswer(204, undefined);
    return new HttpAnswer(200, { workflow_run_id: run.id, run_url: `${base}/repos/${owner}/${repo}/actions/runs/${run.id}`, html_url: htmlUrl(run) });
  }

  function repositoryDispatch(body: unknown): HttpAnswer {
    const { event_type: eventType, client_payload: clientPayload } = body as { event_type?: unknown; client_payload?: unknown };
    if (typeof eventType !== 'string' || !eventType) return new HttpAnswer(422, { message: 'Invalid request.\n\nFor \'links/0/schema\', nil is not a string.' });
    for (const [file, workflow] of Object.entries(options.workflows ?? {})) {
      if (!triggers(workflow).includes('repository_dispatch')) continue;
      if (workflow.types && !workflow.types.includes(eventType)) continue;
      start(file, workflow, 'repository_dispatch', 'main', clientPayload);
    }
    return new HttpAnswer(204, undefined);
  }

  function start(file: string, workflow: SimWorkflow, event: SimWorkflowRun['event'], ref: string, clientPayload?: unknown): SimWorkflowRun {
    const run: SimWorkflowRun = { id: 7000 + runs.length + 1, workflow: file, event, ref, createdAt: new Date(), status: 'queued', conclusion: null, ...(clientPayload === undefined ? {} : { clientPayload }) };
    runs.push(run);
    const durationMs = workflow.durationMs ?? 50;
    later(durationMs / 2, () => {
      run.status = 'in_progress';
    });
    later(durationMs, () => {
      void Promise.resolve(workflow.onComplete?.(run)).then(() => {
        run.conclusion = workflow.conclusion ?? 'success';
        run.status = 'completed';
      });
    });
    return run;
  }

  function later(ms: number, work: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      work();
    }, ms);
    timers.add(timer);
  }

  function htmlUrl(run: SimWorkflowRun): string {
    return `https://github.com/${owner}/${repo}/actions/runs/${run.id}`;
  }

  function runJson(run: SimWorkflowRun): unknown {
    return {
      id: run.id,
      name: run.workflow,
      path: `.github/workflows/${run.workflow}`,
      event: run.event,
      status: run.status,
      conclusion: run.conclusion,
      head_branch: run.ref,
      created_at: run.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      url: `${base}/repos/${owner}/${repo}/actions/runs/${run.id}`,
      html_url: htmlUrl(run),
    };
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    comments,
    requests,
    runs,
    fault(match, fault) {
      faults.push({ match, fault, remaining: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults() {
      faults = [];
    },
    close: () =>
      new Promise((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : {};
}

const NOT_FOUND = new HttpAnswer(404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });

function triggers(workflow: SimWorkflow): readonly string[] {
  return workflow.on ?? ['workflow_dispatch', 'repository_dispatch'];
}

function matches(match: string | RegExp, path: string): boolean {
  return typeof match === 'string' ? path.includes(match) : match.test(path);
}

function authorized(header: string | undefined, token: string): boolean {
  const [scheme, value] = (header ?? '').split(' ');
  return (scheme?.toLowerCase() === 'token' || scheme?.toLowerCase() === 'bearer') && value === token;
}

const RAW_STATUS: Readonly<Record<string, string>> = { A: 'added', D: 'removed', M: 'modified', T: 'changed', R: 'renamed', C: 'copied' };
const NO_OBJECT = /^0+$/;

/** The endpoints, each a few git commands on the repository. */
class RepoApi {
  constructor(private readonly options: GitHubSimulatorOptions) {}

  async compare(basehead: string): Promise<unknown> {
    const [baseRef, headRef, extra] = basehead.split('...');
    if (baseRef === undefined || headRef === undefined || extra !== undefined) throw NOT_FOUND;
    const [base, head] = await Promise.all([this.commitId(baseRef), this.commitId(headRef)]);
    const mergeBase = await this.git(['merge-base', base, head], [1]);
    if (mergeBase.code !== 0) {
      throw new HttpAnswer(404, { message: `No common ancestor between ${baseRef} and ${headRef}.` });
    }
    const mb = mergeBase.text.trim();
    const [ahead, behind, log, raw] = await Promise.all([
      this.git(['rev-list', '--count', `${mb}..${head}`]),
      this.git(['rev-list', '--count', `${mb}..${base}`]),
      this.git(['log', '--reverse', '--format=%H %P', `${mb}..${head}`]),
      this.git(['diff', '--raw', '-z', '-M', '--no-abbrev', mb, head, '--']),
    ]);
    const aheadBy = Number(ahead.text.trim());
    const behindBy = Number(behind.text.trim());
    const status = base === head ? 'identical' : behindBy === 0 ? 'ahead' : aheadBy === 0 ? 'behind' : 'diverged';
    const commits = log.text
      .split('\n')
      .filter((line) => line.length > 0)
      .slice(0, this.options.compareCommitCap ?? 250)
      .map((line) => {
        const [sha, ...parents] = line.split(' ');
        return { sha, parents: parents.filter((p) => p.length > 0).map((p) => ({ sha: p })) };
      });
    return {
      status,
      ahead_by: aheadBy,
      behind_by: behindBy,
      total_commits: aheadBy,
      base_commit: { sha: base },
      merge_base_commit: { sha: mb },
      commits,
      files: parseRawDiff(splitNul(raw.stdout)).slice(0, this.options.compareFileCap ?? 300),
    };
  }

  async commit(ref: string): Promise<unknown> {
    const sha = await this.commitId(ref);
    const { text } = await this.git(['show', '-s', '--format=%T%n%P%n%B', sha]);
    const [tree, parents = '', ...message] = text.split('\n');
    return {
      sha,
      commit: { tree: { sha: tree }, message: message.join('\n').trimEnd() },
      parents: parents
        .split(' ')
        .filter((p) => p.length > 0)
        .map((p) => ({ sha: p })),
    };
  }

  async tree(ref: string, recursive: boolean): Promise<unknown> {
    const resolved = await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{tree}`], [1]);
    if (resolved.code !== 0) throw NOT_FOUND;
    const sha = resolved.text.trim();
    const { stdout } = await this.git(['ls-tree', '-l', '-z', ...(recursive ? ['-r', '-t'] : []), sha]);
    const entries = splitNul(stdout).map((entry) => {
      const tab = entry.indexOf('\t');
      const [mode, type, oid, size] = entry.slice(0, tab).split(/\s+/);
      return { path: entry.slice(tab + 1), mode, type, sha: oid, ...(type === 'blob' ? { size: Number(size) } : {}) };
    });
    const cap = this.options.treeEntryCap ?? 100_000;
    return { sha, tree: entries.slice(0, cap), truncated: entries.length > cap };
  }

  async blob(sha: string): Promise<unknown> {
    if (!/^[0-9a-f]{40}$/.test(sha)) throw NOT_FOUND;
    const type = await this.git(['cat-file', '-t', sha], [128]);
    if (type.code !== 0 || type.text.trim() !== 'blob') throw NOT_FOUND;
    const { stdout } = await this.git(['cat-file', 'blob', sha]);
    // GitHub wraps base64 at 60 characters.
    const content = stdout.toString('base64').replace(/.{60}/g, '$&\n');
    return { sha, size: stdout.length, content, encoding: 'base64' };
  }

  async hasRef(ref: string): Promise<boolean> {
    return (await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], [1])).code === 0;
  }

  private async commitId(ref: string): Promise<string> {
    const resolved = await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], [1]);
    if (resolved.code !== 0) throw NOT_FOUND;
    return resolved.text.trim();
  }

  private async git(args: string[], okCodes: number[] = []): Promise<{ stdout: Buffer; text: string; code: number }> {
    try {
      const { stdout, code } = await runGit(args, { cwd: this.options.repoDir, okCodes });
      return { stdout, text: stdout.toString('utf8'), code };
    } catch (error) {
      if (error instanceof GitError) throw new HttpAnswer(500, { message: `simulator: ${error.message}` });
      throw error;
    }
  }
}

/** `git diff --raw -z`: ":old-mode new-mode old-sha new-sha STATUS\0path\0[path\0]". */
function parseRawDiff(fields: readonly string[]): unknown[] {
  const files: unknown[] = [];
  for (let i = 0; i < fields.length; ) {
    const [, , oldSha, newSha, status = ''] = (fields[i++] ?? '').split(' ');
    const kind = RAW_STATUS[status.charAt(0)] ?? 'modified';
    const sha = newSha && !NO_OBJECT.test(newSha) ? newSha : oldSha;
    if (kind === 'renamed' || kind === 'copied') {
      const previous = fields[i++];
      files.push({ sha, filename: fields[i++], previous_filename: previous, status: kind });
    } else {
      files.push({ sha, filename: fields[i++], status: kind });
    }
  }
  return files;
}
