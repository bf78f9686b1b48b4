// The revisions from the GitHub REST API, for when the local clone cannot
// serve them. Every request counts against the GITHUB_TOKEN's 1,000 requests
// an hour per repository, so each one is counted and nothing is asked twice:
// one tree listing per revision, one blob request per distinct file content.
import { getOctokit } from '@actions/github';
import pLimit from 'p-limit';
import pRetry, { AbortError } from 'p-retry';
import { ActionError, type FileChange, type FileChangeKind } from '../model.js';
import type { CheckRange, EventRange } from '../changes/range.js';
import { filesUnder, foldersNamedIn, type Revisions } from '../changes/revisions.js';

export interface GitHubApiOptions {
  readonly token: string;
  /** GITHUB_API_URL; api.github.com when unset. */
  readonly baseUrl?: string;
  readonly owner: string;
  readonly repo: string;
  readonly concurrency?: number;
  readonly requestTimeoutMs?: number;
  /** Attempts after the first for a 5xx, a 429 or a network failure. */
  readonly retries?: number;
}

// Past these the compare endpoint silently cuts its lists.
export const COMPARE_MAX_FILES = 300;
export const COMPARE_MAX_COMMITS = 250;

type Octokit = ReturnType<typeof getOctokit>;

export class GitHubApiRevisions implements Revisions {
  /** Nothing is held open between requests. */
  async close(): Promise<void> {}

  readonly source = 'github-api' as const;
  private readonly octokit: Octokit;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly trees = new Map<string, Promise<Map<string, string>>>();
  private readonly blobs = new Map<string, Promise<string>>();
  private count = 0;

  constructor(private readonly options: GitHubApiOptions) {
    this.octokit = getOctokit(options.token, options.baseUrl ? { baseUrl: options.baseUrl } : {});
    this.limit = pLimit(options.concurrency ?? 8);
  }

  /** HTTP requests made so far, retries included. */
  get requests(): number {
    return this.count;
  }

  async changedFiles(base: string, head: string): Promise<FileChange[]> {
    if (base === head) return [];
    const compare = await this.compare(base, head);
    // The compare endpoint diffs head against the merge base, not against
    // base: right only when base is an ancestor of head, and only while it
    // did not cut its lists.
    const complete = compare.files.length < COMPARE_MAX_FILES && compare.totalCommits <= COMPARE_MAX_COMMITS;
    if ((compare.status === 'ahead' || compare.status === 'identical') && complete) return compare.files;
    return this.diffTrees(base, head);
  }

  async readFile(rev: string, path: string): Promise<string | null> {
    const sha = (await this.tree(rev)).get(path);
    return sha === undefined ? null : this.blob(sha);
  }

  async listFiles(rev: string, folder: string): Promise<string[]> {
    return filesUnder(await this.tree(rev), folder);
  }

  /** From the revision's one tree listing, which reading a file needs anyway. */
  async foldersNamed(rev: string, name: string): Promise<Map<string, string[]>> {
    return foldersNamedIn(await this.tree(rev), name);
  }

  /** The merge base of two revisions, or null when they share no history. */
  async mergeBase(a: string, b: string): Promise<string | null> {
    try {
      const { data } = await this.call(
        'compare',
        (request) => this.octokit.rest.repos.compareCommitsWithBasehead({ ...this.repoParams(), basehead: `${a}...${b}`, per_page: 1, request }),
        (body) => typeof field(field(body, 'merge_base_commit'), 'sha') === 'string',
      );
      return data.merge_base_commit.sha;
    } catch (error) {
      // GitHub answers 404 "No common ancestor" for unrelated histories.
      if (error instanceof ApiError && error.status === 404) return null;
      throw error;
    }
  }

  private async compare(base: string, head: string): Promise<{ status: string; totalCommits: number; files: FileChange[] }> {
    const { data } = await this.call(
      'compare',
      (request) => this.octokit.rest.repos.compareCommitsWithBasehead({ ...this.repoParams(), basehead: `${base}...${head}`, request }),
      (body) => typeof field(body, 'status') === 'string' && typeof field(body, 'total_commits') === 'number' && (field(body, 'files') === undefined || Array.isArray(field(body, 'files'))),
    );
    const files: FileChange[] = [];
    for (const file of data.files ?? []) {
      const kind = COMPARE_STATUS[file.status];
      if (kind === undefined) continue;
      files.push(file.previous_filename && (kind === 'renamed' || kind === 'copied') ? { path: file.filename, previousPath: file.previous_filename, kind } : { path: file.filename, kind });
    }
    return { status: data.status, totalCommits: data.total_commits, files };
  }

  /** Tree-to-tree diff; a path gone and a path new with the same content are a rename, as git's exact rename detection has it. */
  private async diffTrees(base: string, head: string): Promise<FileChange[]> {
    const [before, after] = await Promise.all([this.tree(base), this.tree(head)]);
    const removed = new Map<string, string[]>();
    for (const [path, sha] of before) {
      if (after.has(path)) continue;
      const paths = removed.get(sha) ?? [];
      paths.push(path);
      removed.set(sha, paths);
    }
    const renamedFrom = new Set<string>();
    const changes: FileChange[] = [];
    for (const [path, sha] of after) {
      const old = before.get(path);
      if (old !== undefined) {
        if (old !== sha) changes.push({ path, kind: 'modified' });
        continue;
      }
      const candidates = (removed.get(sha) ?? []).filter((candidate) => !renamedFrom.has(candidate));
      // Like git, prefer the candidate with the same file name.
      const source = candidates.find((candidate) => baseName(candidate) === baseName(path)) ?? candidates[0];
      if (source === undefined) {
        changes.push({ path, kind: 'added' });
      } else {
        renamedFrom.add(source);
        changes.push({ path, previousPath: source, kind: 'renamed' });
      }
    }
    for (const path of before.keys()) {
      if (!after.has(path) && !renamedFrom.has(path)) changes.push({ path, kind: 'removed' });
    }
    return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Path → blob id of every regular file at rev. */
  private tree(rev: string): Promise<Map<string, string>> {
    let tree = this.trees.get(rev);
    if (!tree) {
      tree = this.call(
        'tree',
        (request) => this.octokit.rest.git.getTree({ ...this.repoParams(), tree_sha: rev, recursive: 'true', request }),
        (body) => Array.isArray(field(body, 'tree')),
      ).then(({ data }) => {
        if (data.truncated) {
          throw new ActionError(
            `The GitHub API listed only part of the files at ${rev} (the repository tree is too large for one request).`,
            'Check out the repository with its history (actions/checkout with fetch-depth: 0) so that the local clone is used instead of the API.',
          );
        }
        const files = new Map<string, string>();
        for (const entry of data.tree) {
          // Regular files only, as from the local clone: not symlinks (120000) or submodules.
          if (entry.type === 'blob' && entry.path !== undefined && entry.sha !== undefined && entry.mode !== '120000') {
            files.set(entry.path, entry.sha);
          }
        }
        return files;
      });
      this.trees.set(rev, tree);
    }
    return tree;
  }

  private blob(sha: string): Promise<string> {
    let blob = this.blobs.get(sha);
    if (!blob) {
      blob = this.call(
        'blob',
        (request) => this.octokit.rest.git.getBlob({ ...this.repoParams(), file_sha: sha, request }),
        (body) => typeof field(body, 'content') === 'string' && typeof field(body, 'encoding') === 'string',
      ).then(({ data }) =>
        data.encoding === 'base64' ? Buffer.from(data.content, 'base64').toString('utf8') : data.content,
      );
      this.blobs.set(sha, blob);
    }
    return blob;
  }

  private repoParams(): { owner: string; repo: string } {
    return { owner: this.options.owner, repo: this.options.repo };
  }

  /**
   * One request, limited in concurrency, retried when transient, counted per attempt; failures become ActionErrors.
   * `valid` checks the body: Octokit hands back what it could not parse as JSON (a connection reset mid-body, a
   * truncated body, a proxy's login page) as a string, which is retried like a network failure.
   */
  private call<T extends { data: unknown }>(what: string, send: (request: { signal: AbortSignal }) => Promise<T>, valid: (body: unknown) => boolean): Promise<T> {
    const timeout = this.options.requestTimeoutMs ?? 30_000;
    return this.limit(() =>
      pRetry(
        async () => {
          this.count++;
          let result: T;
          try {
            result = await send({ signal: AbortSignal.timeout(timeout) });
          } catch (error) {
            const status = statusOf(error);
            if (status === undefined || status >= 500 || status === 429) throw error;
            throw new AbortError(apiError(what, this.options, status, error));
          }
          if (!valid(result.data)) throw new GarbledAnswer();
          return result;
        },
        { retries: this.options.retries ?? 3, minTimeout: 200, maxTimeout: 5_000, randomize: true },
      ).catch((error: unknown) => {
        if (error instanceof GarbledAnswer) throw garbledError(what, this.options);
        throw error instanceof ApiError ? error : apiError(what, this.options, statusOf(error), error);
      }),
    );
  }
}

const COMPARE_STATUS: Readonly<Record<string, FileChangeKind | undefined>> = {
  added: 'added',
  removed: 'removed',
  modified: 'modified',
  changed: 'modified',
  renamed: 'renamed',
  copied: 'copied',
};

/** An ActionError that keeps the HTTP status (undefined for a network failure). */
class ApiError extends ActionError {
  constructor(
    message: string,
    fix: string,
    readonly status: number | undefined,
  ) {
    super(message, fix, 'github-token');
  }
}

/** A body that is not the JSON the endpoint answers. */
class GarbledAnswer extends Error {}

function garbledError(what: string, repo: GitHubApiOptions): ApiError {
  return new ApiError(
    `the GitHub API (${what} of ${repo.owner}/${repo.repo}) kept answering something that is not its JSON (a connection cut mid-answer, a truncated body, or a proxy's page).`,
    'Check GITHUB_API_URL and any proxy between the runner and GitHub, then re-run; or check out the repository with fetch-depth: 0 so that the API is not needed.',
    undefined,
  );
}

function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
}

function apiError(what: string, repo: GitHubApiOptions, status: number | undefined, error: unknown): ApiError {
  const where = `the GitHub API (${what} of ${repo.owner}/${repo.repo})`;
  // Only the status and GitHub's own message: never the request, whose headers carry the token. A proxy
  // may echo those headers in its message: the token is blanked out (summaries and reports are not masked).
  const said = error instanceof Error ? `: ${error.message.split('\n')[0]?.split(repo.token).join('***').slice(0, 200)}` : '';
  if (status === 401) return new ApiError(`${where} rejected the token (401)${said}.`, 'Pass a valid token in github-token (by default the workflow GITHUB_TOKEN).', status);
  if (status === 403 && /rate limit/i.test(said)) {
    return new ApiError(`${where} refused the request: rate limit exceeded${said}.`, 'Wait for the rate limit to reset, or check out the repository with fetch-depth: 0 so that the API is not needed.', status);
  }
  if (status === 403 || status === 404) {
    return new ApiError(`${where} answered ${status}${said}.`, 'Give the job read access to the repository (permissions: contents: read) and check that the commits exist.', status);
  }
  if (status === undefined || status >= 500 || status === 429) {
    return new ApiError(`${where} failed after retries (${status === undefined ? 'no answer' : status})${said}.`, 'GitHub may be having trouble: re-run the job, or check out the repository with fetch-depth: 0 so that the API is not needed.', status);
  }
  return new ApiError(`${where} answered ${status}${said}.`, 'Check that the commits of the event exist in the repository.', status);
}

function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') {
    // Octokit reports a network failure or an abort as status 500 without a response.
    return 'response' in error && error.response !== undefined ? error.status : undefined;
  }
  return undefined;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** Resolves a merge-base range with the API: compare answers it, 404 when there is none. */
export async function prepareApiRange(api: GitHubApiRevisions, range: Exclude<EventRange, { kind: 'skip' }>): Promise<CheckRange> {
  if (range.kind !== 'merge-base') return range;
  const against = range.against.kind === 'commit' ? range.against.sha : range.against.name;
  const base = await api.mergeBase(against, range.head);
  if (base === null) {
    return { kind: 'full', head: range.head, event: range.event, reason: `${range.description}: no common history, so every DAG file is checked` };
  }
  return { kind: 'diff', base, head: range.head, forced: false, event: range.event };
}
