// From the triggering event to the DAG files each Airflow instance sees
// change, with their text at both revisions: event → range → revisions (the
// local clone, deepened if need be, else the GitHub API) → classification.
import { ActionError, type PushRange } from '../model.js';
import { classifyChanges, listDagFiles, type ClassifiedChanges, type DagFolders } from './dag-files.js';
import { GitRevisions, GitUnavailable, prepareGitRange, type DebugLog } from './git.js';
import type { GitHubApiRevisions } from '../github/revisions-api.js';
import { pushRangeFromEvent, type CheckRange } from './range.js';
import type { Revisions } from './revisions.js';

export type { ClassifiedChanges, DagFileChange, DagFolders } from './dag-files.js';
export type { CheckRange, EventRange } from './range.js';
export type { Revisions } from './revisions.js';

export interface AirflowInstanceFolders extends DagFolders {
  /** The instance's dagster-airlift name, echoed in the result. */
  readonly name: string;
}

export interface ReadPushedChangesOptions {
  /** GITHUB_EVENT_NAME */
  readonly eventName: string;
  /** The parsed JSON of GITHUB_EVENT_PATH. */
  readonly payload: unknown;
  /** GITHUB_SHA */
  readonly headSha: string;
  readonly includeTags: boolean;
  /** The clone's folder: GITHUB_WORKSPACE, or the path actions/checkout was given. */
  readonly repoDir: string;
  /** GITHUB_REPOSITORY, split. */
  readonly repository: { readonly owner: string; readonly repo: string };
  /** For the GitHub API, used only when the clone cannot serve the range. */
  readonly token?: string;
  /** GITHUB_API_URL */
  readonly apiUrl?: string;
  readonly instances: readonly AirflowInstanceFolders[];
  readonly log: DebugLog;
}

export interface InstanceChanges extends ClassifiedChanges {
  readonly name: string;
}

export interface PushedChanges {
  /** What was compared: a diff (new branches and pull requests from their merge base), a full check, or a skip. */
  readonly range: PushRange;
  /** Where the revisions were read; null when the range was skipped. */
  readonly source: Revisions['source'] | null;
  /** GitHub API requests spent (0 when the clone served everything). */
  readonly apiRequests: number;
  readonly instances: readonly InstanceChanges[];
  /**
   * The revisions, for reading more files at base or head (the DAG files
   * that import a changed module); null when the range was skipped.
   */
  readonly revisions: Revisions | null;
}

export async function readPushedChanges(options: ReadPushedChangesOptions): Promise<PushedChanges> {
  const eventRange = pushRangeFromEvent(options.eventName, options.payload, { includeTags: options.includeTags, headSha: options.headSha });
  if (eventRange.kind === 'skip') {
    return { range: eventRange, source: null, apiRequests: 0, instances: [], revisions: null };
  }
  let revisions: GitRevisions | GitHubApiRevisions;
  let range: CheckRange;
  try {
    range = await prepareGitRange(options.repoDir, eventRange, options.log);
    revisions = new GitRevisions(options.repoDir);
  } catch (error) {
    if (!(error instanceof GitUnavailable)) throw error;
    options.log(`git: ${error.message}; reading the revisions from the GitHub API`);
    // Octokit is loaded only when the clone cannot serve the range.
    const api = await import('../github/revisions-api.js');
    revisions = githubApi(api.GitHubApiRevisions, options, error);
    range = await api.prepareApiRange(revisions, eventRange);
  }
  const changed = range.kind === 'diff' ? await revisions.changedFiles(range.base, range.head) : null;
  const instances = await Promise.all(
    options.instances.map(async (instance): Promise<InstanceChanges> => {
      const classified =
        range.kind === 'diff' && changed !== null
          ? await classifyChanges(changed, revisions, range.base, range.head, instance)
          : await listDagFiles(revisions, range.head, instance);
      return { name: instance.name, ...classified };
    }),
  );
  return {
    range,
    source: revisions.source,
    apiRequests: revisions.source === 'github-api' ? (revisions as GitHubApiRevisions).requests : 0,
    instances,
    revisions,
  };
}

function githubApi(Api: typeof GitHubApiRevisions, options: ReadPushedChangesOptions, why: GitUnavailable): GitHubApiRevisions {
  if (!options.token) {
    throw new ActionError(
      `The revisions to compare are not in the local clone (${why.message}), and there is no token to read them from the GitHub API.`,
      'Check out the repository with actions/checkout (fetch-depth: 0 avoids any fetch), or pass github-token.',
      'github-token',
    );
  }
  return new Api({ token: options.token, baseUrl: options.apiUrl, owner: options.repository.owner, repo: options.repository.repo });
}
