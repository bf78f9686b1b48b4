import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHubSimulator, type GitHubSimulator } from '../../sim/github.js';
import { GitRevisions } from '../../src/changes/git.js';
import { GitHubApiRevisions, prepareApiRange } from '../../src/github/revisions-api.js';
import { ActionError } from '../../src/model.js';
import { DAG, tempDir, TestRepo } from './repo.js';

const TOKEN = 'ghs_simulatedtoken123';
let tmp: ReturnType<typeof tempDir>;
let origin: TestRepo;
let sim: GitHubSimulator;
const c: Record<string, string> = {};

beforeAll(async () => {
  tmp = tempDir('api');
  origin = TestRepo.init(path.join(tmp.dir, 'origin'));
  c.c0 = origin.commit('base', {
    'dags/a.py': DAG('a'),
    'dags/b.py': DAG('b', '# b is its own file\n'),
    'dags/pkg1/__init__.py': '',
    'dags/pkg2/__init__.py': '',
    'README.md': 'hi\n',
  });
  origin.git('mv', 'dags/b.py', 'dags/b2.py');
  c.c1 = origin.commit('one', { 'dags/a.py': DAG('a', '# v2\n'), 'dags/ünï.py': DAG('ünïcødé — ✓') });
  origin.git('checkout', '-q', '-b', 'big');
  c.big = origin.commit('many', Object.fromEntries(Array.from({ length: 350 }, (_, i) => [`dags/gen/g${i}.py`, `${DAG(`g${i}`)}# ${i}\n`])));
  origin.git('checkout', '-q', '-b', 'rewrite', c.c0);
  // Force-pushed over main: c1's a.py moved unchanged, b2.py back to b.py, empty packages swapped.
  c.rw = origin.commit('rewritten', { 'dags/a.py': null, 'dags/moved/a.py': DAG('a', '# v2\n'), 'dags/pkg1/__init__.py': null, 'dags/pkg3/__init__.py': '' });
  origin.git('checkout', '-q', '--orphan', 'lonely');
  origin.git('rm', '-rqf', '.');
  c.lonely = origin.commit('unrelated', { 'solo.py': DAG('solo') });
  origin.git('checkout', '-q', 'main');
  sim = await startGitHubSimulator({ repoDir: origin.dir, owner: 'octo', repo: 'dags', token: TOKEN });
});

afterAll(async () => {
  // Undefined when beforeAll failed before starting it.
  if ((sim as GitHubSimulator | undefined) !== undefined) await sim.close();
  tmp.cleanup();
});

const api = (extra: Partial<ConstructorParameters<typeof GitHubApiRevisions>[0]> = {}): GitHubApiRevisions =>
  new GitHubApiRevisions({ token: TOKEN, baseUrl: sim.url, owner: 'octo', repo: 'dags', ...extra });

const paths = (from: number): string[] => sim.requests.slice(from).map((request) => request.path.replace(/\?.*/, ''));

describe('GitHubApiRevisions against the simulator', () => {
  it('lists a push with one compare request, the same as git does', async () => {
    const revisions = api();
    const start = sim.requests.length;
    expect(await revisions.changedFiles(c.c0!, c.c1!)).toEqual([
      { path: 'dags/a.py', kind: 'modified' },
      { path: 'dags/b2.py', previousPath: 'dags/b.py', kind: 'renamed' },
      { path: 'dags/ünï.py', kind: 'added' },
    ]);
    expect(revisions.requests).toBe(1);
    expect(paths(start)).toEqual([`/repos/octo/dags/compare/${c.c0}...${c.c1}`]);
  });

  it('switches to the trees API when compare may have cut its list at 300 files', async () => {
    const revisions = api();
    const start = sim.requests.length;
    const changes = await revisions.changedFiles(c.c1!, c.big!);
    expect(changes).toHaveLength(350);
    expect(changes.every((change) => change.kind === 'added' && change.path.startsWith('dags/gen/'))).toBe(true);
    const [compare, ...trees] = paths(start);
    expect(compare).toBe(`/repos/octo/dags/compare/${c.c1}...${c.big}`);
    expect(trees.sort()).toEqual([`/repos/octo/dags/git/trees/${c.c1}`, `/repos/octo/dags/git/trees/${c.big}`].sort());
    expect(revisions.requests).toBe(3);
  });

  it('compares the trees of a force push, pairing renames by identical content as git does', async () => {
    const revisions = api();
    const changes = await revisions.changedFiles(c.c1!, c.rw!);
    expect(changes).toEqual([
      { path: 'dags/b.py', previousPath: 'dags/b2.py', kind: 'renamed' },
      { path: 'dags/moved/a.py', previousPath: 'dags/a.py', kind: 'renamed' },
      { path: 'dags/pkg3/__init__.py', previousPath: 'dags/pkg1/__init__.py', kind: 'renamed' },
      { path: 'dags/ünï.py', kind: 'removed' },
    ]);
    // What git itself says of the two trees.
    expect(changes).toEqual(await new GitRevisions(origin.dir).changedFiles(c.c1!, c.rw!));
  });

  it('reads files from one tree listing per revision and one request per distinct content', async () => {
    const revisions = api();
    expect(await revisions.readFile(c.c1!, 'dags/ünï.py')).toBe(DAG('ünïcødé — ✓'));
    expect(await revisions.readFile(c.c0!, 'dags/ünï.py')).toBeNull();
    expect(await revisions.readFile(c.c0!, 'README.md')).toBe('hi\n');
    expect(await revisions.readFile(c.c1!, 'README.md')).toBe('hi\n');
    // Trees of c1 and c0, the unicode blob, the README blob once.
    expect(revisions.requests).toBe(4);
    expect(await revisions.listFiles(c.c0!, 'dags')).toEqual(['dags/a.py', 'dags/b.py', 'dags/pkg1/__init__.py', 'dags/pkg2/__init__.py']);
    expect(revisions.requests).toBe(4);
  });

  it('resolves a merge base with compare, and full when histories are unrelated', async () => {
    const revisions = api();
    const mergeBase = { kind: 'merge-base', head: c.rw!, against: { kind: 'branch', name: 'main' }, event: 'push', description: 'new branch rewrite against main' } as const;
    expect(await prepareApiRange(revisions, mergeBase)).toEqual({ kind: 'diff', base: c.c0!, head: c.rw!, forced: false, event: 'push' });
    expect(await prepareApiRange(revisions, { ...mergeBase, head: c.lonely! })).toMatchObject({ kind: 'full', head: c.lonely!, reason: expect.stringContaining('no common history') });
  });

  it('retries a server error and a stalled request, counting each attempt', async () => {
    const revisions = api({ requestTimeoutMs: 200 });
    sim.fault('/compare/', { status: 502, times: 1 });
    sim.fault('/compare/', { delayMs: 1_000, times: 1 });
    try {
      expect(await revisions.changedFiles(c.c0!, c.c1!)).toHaveLength(3);
      expect(revisions.requests).toBe(3);
    } finally {
      sim.clearFaults();
    }
  });

  it('says which input to fix when the token is refused, without the token', async () => {
    const revisions = api({ token: 'ghs_wrong_token_value' });
    const error = await revisions.changedFiles(c.c0!, c.c1!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ActionError);
    expect((error as ActionError).message).toMatch(/rejected the token \(401\)/);
    expect((error as ActionError).input).toBe('github-token');
    expect(JSON.stringify({ ...(error as ActionError), message: (error as Error).message })).not.toContain('ghs_wrong_token_value');
    expect(revisions.requests).toBe(1);
  });

  it('refuses a tree the API could list only in part', async () => {
    const small = await startGitHubSimulator({ repoDir: origin.dir, owner: 'octo', repo: 'dags', treeEntryCap: 3 });
    try {
      const revisions = new GitHubApiRevisions({ token: TOKEN, baseUrl: small.url, owner: 'octo', repo: 'dags' });
      await expect(revisions.listFiles(c.c1!, '')).rejects.toThrow(/listed only part of the files/);
    } finally {
      await small.close();
    }
  });
});
