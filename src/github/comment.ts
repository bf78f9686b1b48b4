// One pull request comment with the plan, updated in place on every run (found
// by a hidden marker), so a busy pull request does not collect a comment per push.
import { getOctokit } from '@actions/github';

export const COMMENT_MARKER = '<!-- airlift-sync plan -->';

export interface PullRequestTarget {
  readonly token: string;
  readonly apiUrl: string;
  readonly owner: string;
  readonly repo: string;
  readonly number: number;
}

/** Posts or updates the plan comment; returns how it went, never throws (a missing permission is not a failure). */
export async function upsertPlanComment(target: PullRequestTarget, markdown: string): Promise<{ readonly done: 'created' | 'updated' } | { readonly skipped: string }> {
  const octokit = getOctokit(target.token, { baseUrl: target.apiUrl, request: { retries: 1 } });
  const body = `${COMMENT_MARKER}\n${markdown}`;
  const issue = { owner: target.owner, repo: target.repo, issue_number: target.number };
  try {
    const existing = await octokit.paginate(octokit.rest.issues.listComments, { ...issue, per_page: 100 });
    const mine = existing.find((comment) => comment.body?.startsWith(COMMENT_MARKER));
    if (mine) {
      await octokit.rest.issues.updateComment({ owner: target.owner, repo: target.repo, comment_id: mine.id, body });
      return { done: 'updated' };
    }
    await octokit.rest.issues.createComment({ ...issue, body });
    return { done: 'created' };
  } catch (error) {
    const status = (error as { status?: number }).status;
    const why = status === 403 || status === 404 ? 'the token lacks pull-requests: write (a pull request from a fork has a read-only token)' : `GitHub answered ${status ?? (error as Error).message}`;
    return { skipped: why };
  }
}

/** The pull request number of a pull_request event, if it is one. */
export function pullRequestNumber(payload: unknown): number | undefined {
  const number = (payload as { pull_request?: { number?: unknown } } | null)?.pull_request?.number;
  return typeof number === 'number' ? number : undefined;
}
