// Real git repositories in temp dirs for the changes tests. Files are written
// with fs and git runs with argument arrays, so odd file names stay data.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const IDENTITY = ['-c', 'user.name=t', '-c', 'user.email=t@e', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main'];

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...IDENTITY, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A temp folder removed by cleanup(). */
export function tempDir(prefix: string): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), `airlift-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export class TestRepo {
  constructor(readonly dir: string) {}

  static init(dir: string): TestRepo {
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q');
    return new TestRepo(dir);
  }

  /** Writes (string) or deletes (null) files, then commits everything; returns the commit id. */
  commit(message: string, files: Readonly<Record<string, string | Buffer | null>> = {}): string {
    for (const [file, content] of Object.entries(files)) {
      const full = path.join(this.dir, file);
      if (content === null) {
        unlinkSync(full);
      } else {
        mkdirSync(path.dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    git(this.dir, 'add', '-A');
    git(this.dir, 'commit', '-q', '--allow-empty', '-m', message);
    return this.head();
  }

  head(): string {
    return git(this.dir, 'rev-parse', 'HEAD');
  }

  git(...args: string[]): string {
    return git(this.dir, ...args);
  }

  /** `git clone --depth 1` over file:// (a real shallow clone, as actions/checkout makes). */
  shallowClone(into: string, branch = 'main'): string {
    execFileSync('git', ['clone', '-q', '--depth', '1', '--branch', branch, `file://${this.dir}`, into], { stdio: 'ignore' });
    return into;
  }
}

export const DAG = (id: string, extra = ''): string =>
  `from airflow import DAG\nfrom airflow.operators.empty import EmptyOperator\n\nwith DAG("${id}") as dag:\n    EmptyOperator(task_id="start")\n${extra}`;
