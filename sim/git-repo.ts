// Real git repositories in temp folders, for the tests, the demo and the benchmark.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface GitRepo {
  readonly dir: string;
  git(...args: string[]): string;
  /** Writes (string) or deletes (null) files, commits them, returns the new commit sha. */
  commit(message: string, files: Readonly<Record<string, string | null>>): string;
  remove(): void;
}

const IDENTITY = ['-c', 'user.name=airlift-sync tests', '-c', 'user.email=tests@airlift-sync.invalid', '-c', 'commit.gpgsign=false'];

export function createRepo(prefix = 'airlift-repo-'): GitRepo {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const git = (...args: string[]) => execFileSync('git', [...IDENTITY, ...args], { cwd: dir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 }).trim();
  git('init', '-q', '-b', 'main');
  return {
    dir,
    git,
    commit(message, files) {
      for (const [file, content] of Object.entries(files)) {
        const full = path.join(dir, file);
        if (content === null) {
          rmSync(full, { force: true });
        } else {
          mkdirSync(path.dirname(full), { recursive: true });
          writeFileSync(full, content);
        }
      }
      git('add', '-A');
      git('commit', '-q', '--allow-empty', '-m', message);
      return git('rev-parse', 'HEAD');
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A GitHub push event payload for before..after on main. */
export function pushPayload(repo: GitRepo, before: string, after: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before,
    after,
    created: /^0+$/.test(before),
    deleted: /^0+$/.test(after),
    forced: false,
    compare: `https://github.com/acme/airflow-dags/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    head_commit: { id: after, timestamp: repo.git('show', '-s', '--format=%cI', after) },
    repository: { full_name: 'acme/airflow-dags', name: 'airflow-dags', owner: { login: 'acme' }, default_branch: 'main' },
    ...overrides,
  };
}
