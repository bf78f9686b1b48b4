import { describe, expect, it } from 'vitest';
import { ActionError } from '../../src/model.js';
import { pushRangeFromEvent } from '../../src/changes/range.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const ZERO = '0'.repeat(40);
const HEAD = 'c'.repeat(40);
const options = { includeTags: false, headSha: HEAD };

const push = (extra: Record<string, unknown>) => ({ ref: 'refs/heads/main', before: A, after: B, repository: { default_branch: 'main' }, ...extra });

describe('pushRangeFromEvent', () => {
  it('compares before with after for a push', () => {
    expect(pushRangeFromEvent('push', push({}), options)).toEqual({ kind: 'diff', base: A, head: B, forced: false, event: 'push' });
  });

  it('marks a force push, whose trees are compared', () => {
    expect(pushRangeFromEvent('push', push({ forced: true }), options)).toMatchObject({ kind: 'diff', base: A, head: B, forced: true });
  });

  it('compares a new branch from its merge base with the default branch', () => {
    expect(pushRangeFromEvent('push', push({ ref: 'refs/heads/feature/x', before: ZERO, created: true }), options)).toEqual({
      kind: 'merge-base',
      head: B,
      against: { kind: 'branch', name: 'main' },
      event: 'push',
      description: 'new branch feature/x against main',
    });
  });

  it('checks everything on the first push of the default branch, or when the payload names no default branch', () => {
    expect(pushRangeFromEvent('push', push({ before: ZERO }), options)).toMatchObject({ kind: 'full', head: B, reason: expect.stringContaining('branch main is new') });
    expect(pushRangeFromEvent('push', push({ ref: 'refs/heads/x', before: ZERO, repository: {} }), options)).toMatchObject({ kind: 'full', head: B });
  });

  it('skips a deleted branch, saying which', () => {
    const range = pushRangeFromEvent('push', push({ ref: 'refs/heads/old', after: ZERO, deleted: true }), options);
    expect(range).toEqual({ kind: 'skip', event: 'push', reason: 'branch old was deleted' });
  });

  it('skips tag pushes unless tags are included', () => {
    const tag = push({ ref: 'refs/tags/v1' });
    expect(pushRangeFromEvent('push', tag, options)).toMatchObject({ kind: 'skip', reason: expect.stringContaining('include-tags') });
    expect(pushRangeFromEvent('push', tag, { ...options, includeTags: true })).toMatchObject({ kind: 'diff', base: A, head: B });
    expect(pushRangeFromEvent('push', { ...tag, before: ZERO }, { ...options, includeTags: true })).toMatchObject({ kind: 'full', head: B, reason: expect.stringContaining('tag v1 is new') });
    expect(pushRangeFromEvent('push', { ...tag, after: ZERO, deleted: true }, { ...options, includeTags: true })).toMatchObject({ kind: 'skip', reason: 'tag v1 was deleted' });
  });

  it.each(['pull_request', 'pull_request_target'])('plans a %s from the merge base with its base', (event) => {
    const payload = { pull_request: { number: 7, base: { sha: A, ref: 'main' }, head: { sha: B } } };
    expect(pushRangeFromEvent(event, payload, options)).toEqual({
      kind: 'merge-base',
      head: B,
      against: { kind: 'commit', sha: A },
      event,
      description: 'pull request #7 against main',
    });
  });

  it.each(['workflow_dispatch', 'schedule'])('checks every DAG file at GITHUB_SHA on %s', (event) => {
    expect(pushRangeFromEvent(event, {}, options)).toMatchObject({ kind: 'full', head: HEAD, event });
  });

  it('names an unsupported event and the events that work', () => {
    const thrown = catchError(() => pushRangeFromEvent('issues', {}, options));
    expect(thrown).toBeInstanceOf(ActionError);
    expect(thrown.message).toContain('issues');
    expect((thrown as ActionError).fix).toContain('push, pull_request, pull_request_target, workflow_dispatch, schedule');
  });

  it('rejects a payload that is not what GitHub sends, naming the field', () => {
    const thrown = catchError(() => pushRangeFromEvent('push', { ref: 'refs/heads/main', before: A, after: 'HEAD~1' }, options));
    expect(thrown).toBeInstanceOf(ActionError);
    expect(thrown.message).toMatch(/after/);
    expect(catchError(() => pushRangeFromEvent('workflow_dispatch', {}, { ...options, headSha: '' }))).toBeInstanceOf(ActionError);
  });
});

function catchError(run: () => unknown): Error {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
