// The benchmark's git repository: the synthetic DAGs at a base commit and the
// pushed commit on top, written with `git fast-import` (a plain `git add` of
// 80,000 files takes minutes) and cached in a temp folder keyed by the options
// and by the generator's own source, so runs after the first reuse it.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateRepo, type SyntheticFile, type SyntheticOptions, type SyntheticRepo } from '../sim/synthetic-dags.js';

export interface BenchRepo {
  readonly dir: string;
  readonly base: string;
  readonly head: string;
  readonly synthetic: SyntheticRepo;
  /** Whether this run generated it (false: reused from the cache). */
  readonly built: boolean;
  readonly buildMs: number;
  /** Bytes of the DAG files at base. */
  readonly baseBytes: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const GENERATOR_SOURCES = [path.join(here, '../sim/synthetic-dags.ts'), fileURLToPath(import.meta.url)];

export function cacheRoot(): string {
  return path.join(os.tmpdir(), 'airlift-sync-bench');
}

export async function benchRepo(options: SyntheticOptions, log: (line: string) => void): Promise<BenchRepo> {
  const started = performance.now();
  const synthetic = generateRepo(options);
  const key = createHash('sha256')
    .update(JSON.stringify(synthetic.options))
    .update(GENERATOR_SOURCES.map((file) => readFileSync(file, 'utf8')).join('\0'))
    .digest('hex')
    .slice(0, 16);
  const dir = path.join(cacheRoot(), `repo-${synthetic.options.files}-${synthetic.options.changed}-${synthetic.options.instances}-${key}`);
  const marker = path.join(dir, '.git', 'airlift-bench.json');
  const baseBytes = synthetic.baseFiles.flat().reduce((sum, file) => sum + Buffer.byteLength(file.source), 0);
  if (existsSync(marker)) {
    const { base, head } = JSON.parse(readFileSync(marker, 'utf8')) as { base: string; head: string };
    log(`Reusing the generated repository ${dir}`);
    return { dir, base, head, synthetic, built: false, buildMs: performance.now() - started, baseBytes };
  }

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  log(`Generating ${synthetic.options.files} DAG files (${(baseBytes / 1e6).toFixed(1)} MB) into ${dir} ...`);
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }).trim();
  git('init', '-q', '-b', 'main');
  await fastImport(dir, synthetic);
  const base = git('rev-parse', 'main~1');
  const head = git('rev-parse', 'main');
  // The workspace actions/checkout leaves: the pushed commit checked out.
  git('-c', 'core.fsmonitor=false', 'reset', '-q', '--hard', 'main');
  writeFileSync(marker, JSON.stringify({ base, head }));
  log(`Generated in ${((performance.now() - started) / 1000).toFixed(1)} s: ${base.slice(0, 7)}..${head.slice(0, 7)}`);
  return { dir, base, head, synthetic, built: true, buildMs: performance.now() - started, baseBytes };
}

/** Streams both commits into `git fast-import`. */
function fastImport(dir: string, synthetic: SyntheticRepo): Promise<void> {
  const now = Math.floor(Date.now() / 1000);
  const base = new Map<string, string>(synthetic.supportFiles);
  for (const [index, files] of synthetic.baseFiles.entries()) {
    const folder = synthetic.instances[index]!.folder;
    for (const dagFile of files) base.set(`${folder}/${dagFile.path}`, dagFile.source);
  }
  return importCommits(dir, [
    { message: 'Airflow DAGs', when: now - 86_400, writes: base },
    { message: `Change ${synthetic.changes.length} DAG files`, when: now - 60, writes: synthetic.headWrites },
  ]);
}

export interface ImportedCommit {
  readonly message: string;
  /** Seconds since the epoch. */
  readonly when: number;
  /** Content by repository path, or null for a deletion. */
  readonly writes: Iterable<readonly [string, string | null]>;
}

/** Streams commits, one on top of the other, onto `main` of the repository in dir with `git fast-import`. */
export async function importCommits(dir: string, commits: readonly ImportedCommit[]): Promise<void> {
  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: dir, stdio: ['pipe', 'inherit', 'inherit'] });
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git fast-import exited with ${code}`))));
  });
  const chunks: Buffer[] = [];
  let pending = 0;
  const write = async (text: string | Buffer) => {
    const buffer = typeof text === 'string' ? Buffer.from(text) : text;
    chunks.push(buffer);
    pending += buffer.length;
    if (pending > 4 * 1024 * 1024) await flush();
  };
  const flush = async () => {
    const data = Buffer.concat(chunks);
    chunks.length = 0;
    pending = 0;
    if (!child.stdin.write(data)) await new Promise<void>((resolve) => child.stdin.once('drain', resolve));
  };
  for (const commit of commits) {
    const author = `airlift-sync bench <bench@airlift-sync.invalid> ${commit.when} +0000`;
    await write(`commit refs/heads/main\nauthor ${author}\ncommitter ${author}\ndata ${Buffer.byteLength(commit.message)}\n${commit.message}\n`);
    for (const [repoPath, content] of commit.writes) {
      if (content === null) {
        await write(`D ${repoPath}\n`);
        continue;
      }
      const bytes = Buffer.from(content);
      await write(`M 100644 inline ${repoPath}\ndata ${bytes.length}\n`);
      await write(bytes);
      await write('\n');
    }
    await write('\n');
  }
  await write('done\n');
  await flush();
  child.stdin.end();
  await exited;
}

/** The changed DAG files' versions the action reads: base (unless added) and head (unless removed). */
export function changedVersions(repo: SyntheticRepo): { path: string; source: string }[] {
  const versions: { path: string; source: string }[] = [];
  for (const [index, instance] of repo.instances.entries()) {
    const base = new Map(repo.baseFiles[index]!.map((file) => [file.path, file]));
    const head = new Map<string, SyntheticFile>(repo.reparsed[index]!.files.map((file) => [file.path, file]));
    for (const change of repo.changes) {
      if (change.instance !== index) continue;
      const before = base.get(change.previousPath ?? change.path);
      const after = change.kind === 'removed' ? undefined : head.get(change.path);
      if (before) versions.push({ path: `${instance.folder}/${before.path}`, source: before.source });
      if (after) versions.push({ path: `${instance.folder}/${after.path}`, source: after.source });
    }
  }
  return versions;
}
