import { existsSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitRevisions, GitUnavailable, prepareGitRange } from '../../src/changes/git.js';
import { DAG, git, tempDir, TestRepo } from './repo.js';

const ODD_NAMES = ['dags/with space.py', `dags/quote'"s.py`, 'dags/$(touch pwned).py', 'dags/new\nline.py', 'dags/ünïcødé 日本.py', 'dags/-rf.py'];

let tmp: ReturnType<typeof tempDir>;
let origin: TestRepo;
/** A full (non-shallow) clone of origin, as actions/checkout makes with fetch-depth 0. */
let full: string;
const c: Record<string, string> = {};
const log: string[] = [];
const debug = (line: string): void => void log.push(line);

beforeAll(() => {
  tmp = tempDir('git');
  origin = TestRepo.init(path.join(tmp.dir, 'origin'));
  const copySource = `${'# shared setup, long enough for copy detection\n'.repeat(20)}${DAG('src')}`;
  c.c0 = origin.commit('base', {
    'dags/a.py': DAG('a'),
    'dags/b.py': DAG('b'),
    'dags/common/util.py': 'X = 1\n',
    'dags/rename_me.py': DAG('renamed'),
    'dags/copy_src.py': copySource,
    'README.md': 'hi\n',
  });
  // Enough history that deepening a shallow clone a few steps leaves it shallow.
  for (let i = 0; i < 12; i++) origin.commit(`filler ${i}`, { 'README.md': `hi ${i}\n` });
  c.c1 = origin.commit('one', { 'dags/a.py': DAG('a', '# v2\n') });
  c.c2 = origin.commit('two', { 'dags/c.py': 'from airflow.sdk import dag\n\n@dag(schedule=None)\ndef c():\n    pass\n\nc()\n' });
  origin.git('checkout', '-q', '-b', 'feature', c.c1);
  c.f1 = origin.commit('feature', { 'dags/b.py': DAG('b', '# feature\n') });
  origin.git('checkout', '-q', 'main');
  origin.git('merge', '-q', '--no-ff', '-m', 'merge feature', 'feature');
  c.merge = origin.head();
  origin.git('mv', 'dags/rename_me.py', 'dags/renamed.py');
  c.c3 = origin.commit('rename and copy', { 'dags/copy_dst.py': copySource, 'dags/copy_src.py': `${copySource}# touched\n` });
  c.c4 = origin.commit('odd names', Object.fromEntries(ODD_NAMES.map((name, i) => [name, DAG(`odd_${i}`)])));
  origin.git('checkout', '-q', '-b', 'newbranch', c.merge);
  c.nb = origin.commit('new branch work', { 'dags/nb.py': DAG('nb') });
  origin.git('checkout', '-q', '-b', 'rewrite', c.c0);
  c.rw = origin.commit('rewritten history', { 'dags/a.py': DAG('a', '# rewritten\n') });
  origin.git('checkout', '-q', '--orphan', 'lonely');
  origin.git('rm', '-rqf', '.');
  c.lonely = origin.commit('unrelated', { 'dags/solo.py': DAG('solo') });
  origin.git('checkout', '-q', 'main');
  full = path.join(tmp.dir, 'full');
  git(tmp.dir, 'clone', '-q', `file://${origin.dir}`, full);
});

afterAll(() => tmp.cleanup());

describe('GitRevisions on a full clone', () => {
  it('lists what a push of several commits changed', async () => {
    const revisions = new GitRevisions(origin.dir);
    expect(await revisions.changedFiles(c.c0!, c.c2!)).toEqual([
      { path: 'README.md', kind: 'modified' },
      { path: 'dags/a.py', kind: 'modified' },
      { path: 'dags/c.py', kind: 'added' },
    ]);
  });

  it('compares the trees across a merge commit', async () => {
    const revisions = new GitRevisions(origin.dir);
    expect(await revisions.changedFiles(c.c2!, c.merge!)).toEqual([{ path: 'dags/b.py', kind: 'modified' }]);
  });

  it('detects renames; a copy is the new file it is', async () => {
    const revisions = new GitRevisions(origin.dir);
    expect(await revisions.changedFiles(c.merge!, c.c3!)).toEqual([
      { path: 'dags/copy_dst.py', kind: 'added' },
      { path: 'dags/copy_src.py', kind: 'modified' },
      { path: 'dags/renamed.py', previousPath: 'dags/rename_me.py', kind: 'renamed' },
    ]);
  });

  it('reads files at a revision, null where absent, and lists a folder', async () => {
    const revisions = new GitRevisions(origin.dir);
    expect(await revisions.readFile(c.c0!, 'dags/a.py')).toBe(DAG('a'));
    expect(await revisions.readFile(c.c1!, 'dags/a.py')).toBe(DAG('a', '# v2\n'));
    expect(await revisions.readFile(c.c0!, 'dags/c.py')).toBeNull();
    expect(await revisions.readFile(c.c0!, 'dags')).toBeNull();
    expect(await revisions.listFiles(c.c2!, 'dags')).toEqual(['dags/a.py', 'dags/b.py', 'dags/c.py', 'dags/common/util.py', 'dags/copy_src.py', 'dags/rename_me.py']);
    expect(await revisions.listFiles(c.c0!, '')).toContain('README.md');
    await revisions.close();
  });

  it('reads a file the same whether the diff named it or not, and a symlink as no file', async () => {
    const repo = TestRepo.init(path.join(tmp.dir, 'links'));
    const base = repo.commit('base', { 'dags/a.py': DAG('a'), 'dags/deep/er/b.py': DAG('b') });
    symlinkSync('a.py', path.join(repo.dir, 'dags/link.py'));
    const head = repo.commit('link and edit', { 'dags/deep/er/b.py': DAG('b', '# v2\n') });

    const fromDiff = new GitRevisions(repo.dir);
    expect(await fromDiff.changedFiles(base, head)).toEqual([
      { path: 'dags/deep/er/b.py', kind: 'modified' },
      { path: 'dags/link.py', kind: 'added' },
    ]);
    const walked = new GitRevisions(repo.dir);
    for (const revisions of [fromDiff, walked]) {
      expect(await revisions.readFile(base, 'dags/deep/er/b.py')).toBe(DAG('b'));
      expect(await revisions.readFile(head, 'dags/deep/er/b.py')).toBe(DAG('b', '# v2\n'));
      expect(await revisions.readFile(head, 'dags/link.py')).toBeNull();
      expect(await revisions.readFile(head, 'dags/deep/er')).toBeNull();
      expect(await revisions.readFile(head, 'dags/a.py/x')).toBeNull();
      await revisions.close();
    }
  });

  it('keeps file names with spaces, quotes, $(), newlines, unicode and dashes as data', async () => {
    const revisions = new GitRevisions(origin.dir);
    const changes = await revisions.changedFiles(c.c3!, c.c4!);
    expect(changes.map((change) => change.path).sort()).toEqual([...ODD_NAMES].sort());
    const contents = await Promise.all(ODD_NAMES.map((name) => revisions.readFile(c.c4!, name)));
    expect(contents).toEqual(ODD_NAMES.map((_, i) => DAG(`odd_${i}`)));
    expect(existsSync(path.join(origin.dir, 'pwned'))).toBe(false);
    expect(existsSync(path.join(origin.dir, 'dags', 'pwned'))).toBe(false);
    expect(existsSync('pwned')).toBe(false);
    await revisions.close();
  });

  it('confirms a force push: before is not an ancestor of after', async () => {
    const range = await prepareGitRange(full, { kind: 'diff', base: c.c2!, head: c.rw!, forced: false, event: 'push' }, debug);
    expect(range).toEqual({ kind: 'diff', base: c.c2!, head: c.rw!, forced: true, event: 'push' });
    // The trees are compared, not the commits between: c.py goes, a.py differs.
    expect(await new GitRevisions(origin.dir).changedFiles(c.c2!, c.rw!)).toEqual([
      { path: 'README.md', kind: 'modified' },
      { path: 'dags/a.py', kind: 'modified' },
      { path: 'dags/c.py', kind: 'removed' },
    ]);
  });

  it('resolves a new branch to the diff from its merge base with the default branch', async () => {
    const range = await prepareGitRange(
      full,
      { kind: 'merge-base', head: c.nb!, against: { kind: 'branch', name: 'main' }, event: 'push', description: 'new branch newbranch against main' },
      debug,
    );
    expect(range).toEqual({ kind: 'diff', base: c.merge!, head: c.nb!, forced: false, event: 'push' });
  });

  it('checks everything on a new branch that shares no history with the default branch', async () => {
    const range = await prepareGitRange(
      full,
      { kind: 'merge-base', head: c.lonely!, against: { kind: 'commit', sha: c.c4! }, event: 'push', description: 'new branch lonely against main' },
      debug,
    );
    expect(range).toEqual({ kind: 'full', head: c.lonely!, event: 'push', reason: 'new branch lonely against main: no common history, so every DAG file is checked' });
  });
});

describe('prepareGitRange on a shallow clone (actions/checkout fetch-depth 1)', () => {
  const isShallow = (dir: string): boolean => git(dir, 'rev-parse', '--is-shallow-repository') === 'true';
  const has = (dir: string, sha: string): boolean => {
    try {
      git(dir, 'cat-file', '-e', `${sha}^{commit}`);
      return true;
    } catch {
      return false;
    }
  };

  it('deepens until the base of a push is there, staying shallow', async () => {
    const clone = origin.shallowClone(path.join(tmp.dir, 'shallow-push'));
    expect(has(clone, c.c1!)).toBe(false);
    const range = await prepareGitRange(clone, { kind: 'diff', base: c.c1!, head: c.c4!, forced: false, event: 'push' }, debug);
    expect(range).toMatchObject({ kind: 'diff', base: c.c1!, head: c.c4!, forced: false });
    expect(isShallow(clone)).toBe(true);
    // Deepened, not fetched alone: the history from base to head is there.
    expect(() => git(clone, 'merge-base', '--is-ancestor', c.c1!, c.c4!)).not.toThrow();
    expect(git(clone, 'rev-list', '--count', 'HEAD')).not.toBe(git(origin.dir, 'rev-list', '--count', 'main'));
    const changes = await new GitRevisions(clone).changedFiles(c.c1!, c.c4!);
    expect(changes).toContainEqual({ path: 'dags/renamed.py', previousPath: 'dags/rename_me.py', kind: 'renamed' });
  });

  it('fetches the before commit of a force push on its own', async () => {
    const clone = origin.shallowClone(path.join(tmp.dir, 'shallow-forced'), 'rewrite');
    const range = await prepareGitRange(clone, { kind: 'diff', base: c.c2!, head: c.rw!, forced: true, event: 'push' }, debug);
    expect(range).toMatchObject({ kind: 'diff', forced: true });
    expect(has(clone, c.c2!)).toBe(true);
    expect(git(clone, 'rev-list', '--count', 'HEAD')).toBe('1');
  });

  it('finds the merge base of a new branch by fetching the default branch and deepening', async () => {
    const clone = origin.shallowClone(path.join(tmp.dir, 'shallow-new'), 'newbranch');
    const range = await prepareGitRange(
      clone,
      { kind: 'merge-base', head: c.nb!, against: { kind: 'branch', name: 'main' }, event: 'push', description: 'new branch newbranch against main' },
      debug,
    );
    expect(range).toEqual({ kind: 'diff', base: c.merge!, head: c.nb!, forced: false, event: 'push' });
  });

  it('gives up (for the API) when the base cannot be fetched', async () => {
    const clone = origin.shallowClone(path.join(tmp.dir, 'shallow-offline'));
    git(clone, 'remote', 'set-url', 'origin', `file://${path.join(tmp.dir, 'gone')}`);
    await expect(prepareGitRange(clone, { kind: 'diff', base: c.c1!, head: c.c4!, forced: false, event: 'push' }, debug)).rejects.toBeInstanceOf(GitUnavailable);
    await expect(prepareGitRange(path.join(tmp.dir, 'not-a-repo'), { kind: 'full', head: c.c4!, event: 'schedule', reason: '' }, debug)).rejects.toThrow(/not a git clone/);
  });
});

describe('reading many files', () => {
  it('reads 500 changed files at two revisions, each at the right revision', async () => {
    const big = TestRepo.init(path.join(tmp.dir, 'big'));
    const files = (v: number): Record<string, string> => Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`dags/d${i}.py`, `${DAG(`d${i}`)}# v${v}\n`]));
    const base = big.commit('v1', files(1));
    const head = big.commit('v2', files(2));
    const revisions = new GitRevisions(big.dir);
    const changes = await revisions.changedFiles(base, head);
    const contents = await Promise.all(changes.flatMap((change) => [revisions.readFile(base, change.path), revisions.readFile(head, change.path)]));
    await revisions.close();
    expect(changes).toHaveLength(500);
    expect(contents.filter((text) => text?.endsWith('# v1\n'))).toHaveLength(500);
    expect(contents.filter((text) => text?.endsWith('# v2\n'))).toHaveLength(500);
  });
});
