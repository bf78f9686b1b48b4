import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubSimulator, type GitHubSimulator } from '../../sim/github.js';
import { readPushedChanges, type ReadPushedChangesOptions } from '../../src/changes/index.js';
import { ActionError } from '../../src/model.js';
import { DAG, git, tempDir, TestRepo } from './repo.js';

const ODD = 'dags/odd $(touch pwned) "q"\n.py';
const TOKEN = 'ghs_e2e_token';
const ZERO = '0'.repeat(40);
// Unlike the template DAGs, so that git does not take it for a copy of one (the API would not).
const ODD_DAG = 'import pendulum\nfrom airflow.sdk import dag, task\n\n@dag(start_date=pendulum.datetime(2024, 1, 1))\ndef odd():\n    @task\n    def work():\n        return 42\n    work()\n\nodd()\n';

let tmp: ReturnType<typeof tempDir>;
let origin: TestRepo;
let full: string;
let sim: GitHubSimulator;
const c: Record<string, string> = {};

beforeAll(async () => {
  tmp = tempDir('e2e');
  origin = TestRepo.init(path.join(tmp.dir, 'origin'));
  c.p0 = origin.commit('p0', {
    'dags/a.py': DAG('a'),
    'dags/b.py': DAG('b'),
    'dags/util.py': 'RETRIES = 1\n',
    'dags/skip_me.py': DAG('skipped'),
    'dags/.airflowignore': 'skip_*\n',
  });
  for (let i = 0; i < 12; i++) origin.commit(`filler ${i}`, { 'CHANGELOG.md': `${i}\n` });
  c.p1 = origin.commit('p1', { 'dags/a.py': DAG('a', '# v2\n'), [ODD]: ODD_DAG });
  origin.git('checkout', '-q', '-b', 'feature');
  c.f1 = origin.commit('f1', { 'dags/util.py': 'RETRIES = 3\n', 'dags/feat.py': 'from airflow.sdk import dag\n\n@dag()\ndef feat():\n    pass\n' });
  origin.git('checkout', '-q', 'main');
  c.p2 = origin.commit('p2', { 'dags/b.py': DAG('b', '# v2\n'), 'dags/skip_me.py': DAG('skipped', '# v2\n') });
  origin.git('checkout', '-q', '--orphan', 'lonely');
  origin.git('rm', '-rqf', '.');
  c.lonely = origin.commit('unrelated', { 'dags/solo.py': DAG('solo') });
  origin.git('checkout', '-q', 'main');
  full = path.join(tmp.dir, 'full');
  git(tmp.dir, 'clone', '-q', `file://${origin.dir}`, full);
  sim = await startGitHubSimulator({ repoDir: origin.dir, owner: 'octo', repo: 'dags', token: TOKEN });
});

afterAll(async () => {
  if ((sim as GitHubSimulator | undefined) !== undefined) await sim.close();
  tmp.cleanup();
});

const options = (extra: Partial<ReadPushedChangesOptions>): ReadPushedChangesOptions => ({
  eventName: 'push',
  payload: {},
  headSha: c.p2!,
  includeTags: false,
  repoDir: full,
  repository: { owner: 'octo', repo: 'dags' },
  instances: [{ name: 'prod', dagsFolders: ['dags'], ignoreSyntax: 'glob', airflowMajor: 3 }],
  log: () => undefined,
  ...extra,
});
const push = (before: string, after: string, extra: Record<string, unknown> = {}) => ({
  ref: 'refs/heads/main',
  before,
  after,
  repository: { default_branch: 'main' },
  ...extra,
});

describe('readPushedChanges', () => {
  it('reads a push of several commits from the clone: the DAG files with both texts, no API requests', async () => {
    const result = await readPushedChanges(options({ payload: push(c.p0!, c.p2!) }));
    expect(result).toMatchObject({ range: { kind: 'diff', base: c.p0!, head: c.p2!, forced: false }, source: 'git', apiRequests: 0 });
    expect(result.instances).toEqual([
      {
        name: 'prod',
        dagFiles: [
          { change: { path: 'dags/a.py', kind: 'modified' }, before: DAG('a'), after: DAG('a', '# v2\n') },
          { change: { path: 'dags/b.py', kind: 'modified' }, before: DAG('b'), after: DAG('b', '# v2\n') },
          { change: { path: ODD, kind: 'added' }, before: null, after: ODD_DAG },
        ],
        archives: [],
        // Ignored by .airflowignore, but still importable.
        modules: [{ path: 'dags/skip_me.py', kind: 'modified' }],
        ignored: ['dags/skip_me.py'],
        warnings: [],
      },
    ]);
    expect(existsSync(path.join(full, 'pwned')) || existsSync(path.join(full, 'dags', 'pwned')) || existsSync('pwned')).toBe(false);
  });

  it('plans a pull request from its merge base: changes made on the base branch since are not its own', async () => {
    const payload = { pull_request: { number: 3, base: { sha: c.p2!, ref: 'main' }, head: { sha: c.f1! } } };
    const result = await readPushedChanges(options({ eventName: 'pull_request', payload }));
    expect(result.range).toEqual({ kind: 'diff', base: c.p1!, head: c.f1!, forced: false, event: 'pull_request' });
    const [prod] = result.instances;
    expect(prod?.dagFiles.map((file) => file.change)).toEqual([{ path: 'dags/feat.py', kind: 'added' }]);
    expect(prod?.modules).toEqual([{ path: 'dags/util.py', kind: 'modified' }]);
  });

  it('checks every DAG file at GITHUB_SHA on workflow_dispatch', async () => {
    const result = await readPushedChanges(options({ eventName: 'workflow_dispatch', payload: { inputs: {} } }));
    expect(result.range).toMatchObject({ kind: 'full', head: c.p2! });
    expect(result.instances[0]?.dagFiles.map((file) => [file.change.path, file.before, file.after?.length])).toEqual([
      ['dags/a.py', null, DAG('a', '# v2\n').length],
      ['dags/b.py', null, DAG('b', '# v2\n').length],
      [ODD, null, ODD_DAG.length],
    ]);
  });

  it('skips a deleted branch without touching git', async () => {
    const result = await readPushedChanges(options({ payload: push(c.p2!, ZERO, { ref: 'refs/heads/gone', deleted: true }), repoDir: path.join(tmp.dir, 'nowhere') }));
    expect(result).toEqual({ range: { kind: 'skip', event: 'push', reason: 'branch gone was deleted' }, source: null, apiRequests: 0, instances: [], revisions: null });
  });

  it('skips a tag push unless tags are included', async () => {
    const payload = push(c.p1!, c.p2!, { ref: 'refs/tags/v2' });
    expect((await readPushedChanges(options({ payload }))).range.kind).toBe('skip');
    const included = await readPushedChanges(options({ payload, includeTags: true }));
    expect(included.instances[0]?.dagFiles.map((file) => file.change.path)).toEqual(['dags/b.py']);
  });

  it('checks everything on a new branch without history in common with the default branch', async () => {
    const result = await readPushedChanges(options({ payload: push(ZERO, c.lonely!, { ref: 'refs/heads/lonely' }), headSha: c.lonely! }));
    expect(result.range).toMatchObject({ kind: 'full', head: c.lonely!, reason: expect.stringContaining('new branch lonely against main') });
    expect(result.instances[0]?.dagFiles.map((file) => file.change)).toEqual([{ path: 'dags/solo.py', kind: 'added' }]);
  });

  it('deepens a shallow clone to reach the base of the push', async () => {
    const clone = origin.shallowClone(path.join(tmp.dir, 'shallow'));
    const result = await readPushedChanges(options({ payload: push(c.p0!, c.p2!), repoDir: clone }));
    expect(result).toMatchObject({ source: 'git', apiRequests: 0 });
    expect(result.instances[0]?.dagFiles).toHaveLength(3);
  });

  it('falls back to the GitHub API when the shallow clone cannot fetch, with the same answer', async () => {
    const clone = origin.shallowClone(path.join(tmp.dir, 'offline'));
    git(clone, 'remote', 'set-url', 'origin', `file://${path.join(tmp.dir, 'gone')}`);
    const log: string[] = [];
    const start = sim.requests.length;
    const fromApi = await readPushedChanges(options({ payload: push(c.p0!, c.p2!), repoDir: clone, token: TOKEN, apiUrl: sim.url, log: (line) => log.push(line) }));
    const fromGit = await readPushedChanges(options({ payload: push(c.p0!, c.p2!) }));
    expect(fromApi.source).toBe('github-api');
    expect(fromApi.instances).toEqual(fromGit.instances);
    // compare, two trees, and one blob per distinct text read.
    expect(fromApi.apiRequests).toBe(sim.requests.length - start);
    expect(fromApi.apiRequests).toBeGreaterThanOrEqual(4);
    expect(log.join('\n')).toContain('reading the revisions from the GitHub API');
    expect(log.join('\n')).not.toContain(TOKEN);
  });

  it('says what to do when neither the clone nor a token can serve the range', async () => {
    const clone = origin.shallowClone(path.join(tmp.dir, 'offline-no-token'));
    git(clone, 'remote', 'set-url', 'origin', `file://${path.join(tmp.dir, 'gone')}`);
    const error = await readPushedChanges(options({ payload: push(c.p0!, c.p2!), repoDir: clone })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).fix).toMatch(/fetch-depth: 0.*github-token/);
  });
});
