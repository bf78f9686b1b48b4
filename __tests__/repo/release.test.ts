// scripts/release.sh in real git repositories with a bare `origin`: the checks that refuse a
// release, the tags it creates and pushes, and the major tag it moves. The build is replaced
// (RELEASE_BUILD_COMMAND) by one that leaves dist/ as it is, or changes it as a stale dist/ would.
import { spawnSync, execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createRepo, type GitRepo } from '../../sim/git-repo.js';
import { ROOT } from './files.js';

const IDENTITY = { GIT_AUTHOR_NAME: 'release test', GIT_AUTHOR_EMAIL: 'release@airlift-sync.invalid', GIT_COMMITTER_NAME: 'release test', GIT_COMMITTER_EMAIL: 'release@airlift-sync.invalid' };
const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((remove) => remove()));

function files(version: string, notes = `## [${version}] - 2026-12-05\n\n### Added\n\n- Everything.\n`): Record<string, string> {
  return {
    'package.json': `${JSON.stringify({ name: 'airlift-sync', version }, null, 2)}\n`,
    'CHANGELOG.md': `# Changelog\n\n## [Unreleased]\n\n${notes}`,
    'dist/index.js': `// built from src at ${version}\n`,
  };
}

/** A clone of this project's shape with the release script, on main, pushing to a bare origin. */
function project(version = '1.2.0'): { repo: GitRepo; origin: string } {
  const repo = createRepo('airlift-release-');
  mkdirSync(path.join(repo.dir, 'scripts'));
  copyFileSync(path.join(ROOT, 'scripts/release.sh'), path.join(repo.dir, 'scripts/release.sh'));
  repo.commit('Release script', files(version));
  const origin = mkdtempSync(path.join(os.tmpdir(), 'airlift-origin-'));
  execFileSync('git', ['init', '-q', '--bare', origin]);
  repo.git('remote', 'add', 'origin', origin);
  repo.git('push', '-q', 'origin', 'main');
  cleanup.push(() => {
    repo.remove();
    rmSync(origin, { recursive: true, force: true });
  });
  return { repo, origin };
}

function release(repo: GitRepo, args: string[], build = 'true') {
  const run = spawnSync('bash', ['scripts/release.sh', ...args], {
    cwd: repo.dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', HOME: repo.dir, ...IDENTITY, RELEASE_BUILD_COMMAND: build },
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** tag -> commit, as `git ls-remote` or the local clone shows them. */
function tags(dir: string, remote = false): Record<string, string> {
  const lines = remote
    ? execFileSync('git', ['ls-remote', '--tags', dir], { encoding: 'utf8' }).trim().split('\n').filter((line) => line.endsWith('^{}') || !line.includes('^'))
    : execFileSync('git', ['for-each-ref', '--format=%(*objectname)%(objectname) %(refname)', 'refs/tags'], { cwd: dir, encoding: 'utf8' }).trim().split('\n');
  const result: Record<string, string> = {};
  for (const line of lines.filter(Boolean)) {
    const [sha = '', ref = ''] = line.split(/\s+/);
    // An annotated tag: ls-remote lists the tag object and then the commit it peels to (^{}).
    result[ref.replace('refs/tags/', '').replace('^{}', '')] = sha.slice(0, 40);
  }
  return result;
}

describe('scripts/release.sh', () => {
  it('--dry-run says what it would do and changes nothing', () => {
    const { repo, origin } = project();
    const head = repo.git('rev-parse', 'HEAD');
    const run = release(repo, ['1.2.0', '--dry-run']);
    expect(run.status).toBe(0);
    expect(run.output).toContain(`Dry run: v1.2.0 at ${head} passes the checks`);
    expect(run.output).toContain(`git tag -f v1 ${head}`);
    expect(run.output).toContain('git push --force origin refs/tags/v1');
    expect(tags(repo.dir)).toEqual({});
    expect(tags(origin, true)).toEqual({});
  });

  it('tags vX.Y.Z, points vX at it, pushes both, and moves vX on the next release', () => {
    const { repo, origin } = project();
    const first = repo.git('rev-parse', 'HEAD');
    const run = release(repo, ['v1.2.0']);
    expect(run.output).toContain(`Released v1.2.0 at ${first}.`);
    expect(run.status).toBe(0);
    expect(repo.git('cat-file', '-t', 'v1.2.0')).toBe('tag');
    expect(tags(repo.dir)).toEqual({ 'v1.2.0': first, v1: first });
    expect(tags(origin, true)).toEqual({ 'v1.2.0': first, v1: first });

    const second = repo.commit('1.3.0', files('1.3.0'));
    repo.git('push', '-q', 'origin', 'main');
    expect(release(repo, ['1.3.0']).status).toBe(0);
    expect(tags(origin, true)).toEqual({ 'v1.2.0': first, 'v1.3.0': second, v1: second });
  });

  it('leaves the major tag alone for a pre-release', () => {
    const { repo, origin } = project();
    expect(release(repo, ['1.2.0']).status).toBe(0);
    const released = repo.git('rev-parse', 'HEAD');
    const candidate = repo.commit('rc', files('1.3.0-rc.1'));
    const run = release(repo, ['1.3.0-rc.1']);
    expect(run.status).toBe(0);
    expect(run.output).toContain('pre-release: v1 not moved');
    expect(tags(origin, true)).toEqual({ 'v1.2.0': released, 'v1.3.0-rc.1': candidate, v1: released });
  });

  it('--no-push tags only the local clone', () => {
    const { repo, origin } = project();
    expect(release(repo, ['1.2.0', '--no-push']).status).toBe(0);
    expect(Object.keys(tags(repo.dir)).sort()).toEqual(['v1', 'v1.2.0']);
    expect(tags(origin, true)).toEqual({});
  });

  it.each([
    ['a version that is not X.Y.Z', (_repo: GitRepo) => ['1.2'], 'true', '"1.2" is not a semantic version'],
    ['a dirty tree', (repo: GitRepo) => (repo.git('rm', '-q', '--cached', 'CHANGELOG.md'), ['1.2.0']), 'true', 'the working tree is not clean'],
    ['a stale dist/', (_repo: GitRepo) => ['1.2.0'], 'echo rebuilt >> dist/index.js', 'dist/ is stale: commit the rebuilt dist/'],
    ['another version in package.json', (_repo: GitRepo) => ['1.2.1'], 'true', 'package.json says 1.2.0: run npm version --no-git-tag-version 1.2.1'],
    ['no changelog section', (repo: GitRepo) => (repo.commit('notes', files('1.2.0', 'Nothing yet.\n')), ['1.2.0']), 'true', 'CHANGELOG.md has no "## [1.2.0]" section'],
    ['an existing tag', (repo: GitRepo) => (repo.git('tag', 'v1.2.0'), ['1.2.0']), 'true', 'tag v1.2.0 already exists'],
    ['a branch other than main', (repo: GitRepo) => (repo.git('checkout', '-q', '-b', 'topic'), ['1.2.0']), 'true', 'releases are cut from main; HEAD is on topic'],
  ])('refuses %s', (_what, arrange, build, message) => {
    const { repo, origin } = project();
    const run = release(repo, arrange(repo), build);
    expect(run.output).toContain(message);
    expect(run.status).toBe(1);
    expect(tags(origin, true)).toEqual({});
    expect(Object.keys(tags(repo.dir)).filter((tag) => tag === 'v1')).toEqual([]);
  });
});
