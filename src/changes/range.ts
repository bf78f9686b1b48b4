// Which revisions the triggering event asks to compare. Pure: the payload in,
// a range out; git or the API resolve what the payload cannot say.
import * as z from 'zod/mini';
import '../zod-messages.js';
import { ActionError, type PushRange } from '../model.js';

/** A commit, or a branch of the origin repository to be resolved to one. */
export type CommitOrBranch = { readonly kind: 'commit'; readonly sha: string } | { readonly kind: 'branch'; readonly name: string };

/**
 * What an event asks for: a PushRange, or a diff from the merge base of head
 * and another revision, which only the repository can tell (a new branch
 * against the default branch, a pull request against its base). With no
 * merge base the range becomes `full`.
 */
export type EventRange =
  | PushRange
  | {
      readonly kind: 'merge-base';
      readonly head: string;
      readonly against: CommitOrBranch;
      readonly event: string;
      /** What head is and what it is compared with, for the summary. */
      readonly description: string;
    };

/** A range with something to compare: what git or the API resolve an EventRange to. */
export type CheckRange = Exclude<PushRange, { readonly kind: 'skip' }>;

export const SUPPORTED_EVENTS = ['push', 'pull_request', 'pull_request_target', 'workflow_dispatch', 'schedule'] as const;

export interface RangeOptions {
  /** Check tag pushes too (by default they are skipped). */
  readonly includeTags: boolean;
  /** GITHUB_SHA: the revision checked for events without a range of their own. */
  readonly headSha: string;
}

const sha = z.string().check(z.regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'a full commit id'));
const text = z.string().check(z.minLength(1));

const pushPayload = z.object({
  ref: text,
  before: sha,
  after: sha,
  deleted: z.optional(z.boolean()),
  forced: z.optional(z.boolean()),
  repository: z.optional(z.object({ default_branch: z.optional(text) })),
});

const pullRequestPayload = z.object({
  pull_request: z.object({
    number: z.optional(z.number()),
    base: z.object({ sha, ref: z.string() }),
    head: z.object({ sha }),
  }),
});

export function pushRangeFromEvent(eventName: string, payload: unknown, options: RangeOptions): EventRange {
  switch (eventName) {
    case 'push':
      return pushRange(parse(eventName, pushPayload, payload), options);
    case 'pull_request':
    case 'pull_request_target': {
      const { pull_request: pr } = parse(eventName, pullRequestPayload, payload);
      const number = pr.number === undefined ? '' : ` #${pr.number}`;
      return {
        kind: 'merge-base',
        head: pr.head.sha,
        against: { kind: 'commit', sha: pr.base.sha },
        event: eventName,
        description: `pull request${number} against ${pr.base.ref}`,
      };
    }
    case 'workflow_dispatch':
    case 'schedule':
      return { kind: 'full', head: headSha(options.headSha), event: eventName, reason: `a ${eventName} run checks every DAG file` };
    default:
      throw new ActionError(
        `The ${eventName} event is not supported: airlift-sync needs to know which revisions to compare.`,
        `Run it on one of: ${SUPPORTED_EVENTS.join(', ')}.`,
      );
  }
}

const ZEROS = /^0+$/;

function pushRange(push: z.infer<typeof pushPayload>, options: RangeOptions): EventRange {
  const event = 'push';
  const tag = push.ref.startsWith('refs/tags/');
  const name = push.ref.replace(/^refs\/(?:heads|tags)\//, '');
  if (tag && !options.includeTags) {
    return { kind: 'skip', event, reason: `tag ${name} was pushed; tags are not checked unless include-tags is true` };
  }
  if (push.deleted === true || ZEROS.test(push.after)) {
    return { kind: 'skip', event, reason: `${tag ? 'tag' : 'branch'} ${name} was deleted` };
  }
  if (ZEROS.test(push.before)) {
    const defaultBranch = push.repository?.default_branch;
    if (tag) return { kind: 'full', head: push.after, event, reason: `tag ${name} is new: there is no earlier revision to compare with` };
    if (defaultBranch === undefined || defaultBranch === name) {
      return { kind: 'full', head: push.after, event, reason: `branch ${name} is new: there is no earlier revision to compare with` };
    }
    return {
      kind: 'merge-base',
      head: push.after,
      against: { kind: 'branch', name: defaultBranch },
      event,
      description: `new branch ${name} against ${defaultBranch}`,
    };
  }
  return { kind: 'diff', base: push.before, head: push.after, forced: push.forced === true, event };
}

function headSha(value: string): string {
  const parsed = sha.safeParse(value);
  if (!parsed.success) {
    throw new ActionError(`GITHUB_SHA is not a commit id: ${JSON.stringify(value.slice(0, 80))}.`, 'Run the action in a GitHub Actions job, where GITHUB_SHA is set.');
  }
  return parsed.data;
}

function parse<T>(eventName: string, schema: z.ZodMiniType<T>, payload: unknown): T {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new ActionError(
      `The ${eventName} event payload is not what GitHub sends: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}.`,
      'Run the action from a workflow triggered by GitHub; when testing locally, pass a complete event payload in GITHUB_EVENT_PATH.',
    );
  }
  return parsed.data;
}
