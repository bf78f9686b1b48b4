// The action as a new user first meets it: a dry run (`dry-run: true`, `dags-folder: dags`, no
// Airflow or Dagster input) of a push, timed as a whole process, spawn to exit, of the bundle the
// runner runs. Each run is set between `node -e 0` and `git diff --name-status` of the same range,
// the floors any Node action and any diff-only tool pay on this machine at that moment.
//
// Two pushes on one 5,000-file repository (the generator's DAG files and helper modules in
// dags/team_a, team_b, team_c, as the main benchmark):
// - one DAG file modified;
// - 50 DAG files added, 50 removed, 450 modified: 1,000 file versions to read.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateRepo } from '../sim/synthetic-dags.js';
import { runBundle, runNodeNoop, runProcess } from './action.js';
import { cacheRoot, importCommits } from './repo.js';
import { against, count, median, ms, ratio, spread, type Row } from './stats.js';

const FILES = 5000;
const PUSH = { added: 50, removed: 50, modified: 450 } as const;

interface DryRunRepo {
  readonly dir: string;
  readonly base: string;
  /** One DAG file modified on top of base. */
  readonly oneFile: string;
  /** PUSH on top of oneFile. */
  readonly push: string;
}

export interface DryRunCase {
  readonly name: string;
  readonly changedFiles: number;
  readonly dagChanges: number[];
  readonly actionMs: number[];
  readonly noopMs: number[];
  readonly gitDiffMs: number[];
  readonly maxRssBytes: number[];
  readonly problems: string[];
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** The repository, generated once and cached next to the main benchmark's (keyed by this file and the generator). */
async function dryRunRepo(log: (line: string) => void): Promise<DryRunRepo> {
  const sources = [fileURLToPath(import.meta.url), path.join(here, '../sim/synthetic-dags.ts')].map((file) => readFileSync(file, 'utf8')).join('\0');
  const key = createHash('sha256').update(sources).digest('hex').slice(0, 16);
  const dir = path.join(cacheRoot(), `dry-run-${FILES}-${key}`);
  const marker = path.join(dir, '.git', 'airlift-bench.json');
  if (existsSync(marker)) return { dir, ...(JSON.parse(readFileSync(marker, 'utf8')) as Omit<DryRunRepo, 'dir'>) };

  log(`Generating the dry-run repository (${count(FILES)} DAG files) into ${dir} ...`);
  // The generator's files beyond the first FILES are the ones the push adds.
  const synthetic = generateRepo({ files: FILES + PUSH.added, changed: 0 });
  const all = synthetic.baseFiles.flatMap((files, index) => files.map((file) => ({ path: `${synthetic.instances[index]!.folder}/${file.path}`, source: file.source })));
  const present = all.slice(0, FILES);
  const edit = (source: string) => `${source}\n# reviewed: owner and schedule unchanged\n`;
  const now = Math.floor(Date.now() / 1000);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  const removed = present.slice(0, PUSH.removed);
  const modified = present.slice(PUSH.removed, PUSH.removed + PUSH.modified);
  await importCommits(dir, [
    { message: 'Airflow DAGs', when: now - 86_400, writes: [...synthetic.supportFiles, ...present.map((file) => [file.path, file.source] as const)] },
    { message: 'Edit one DAG file', when: now - 3_600, writes: [[present.at(-1)!.path, edit(present.at(-1)!.source)]] },
    {
      message: 'Add 50, remove 50, edit 450 DAG files',
      when: now - 60,
      writes: [
        ...all.slice(FILES).map((file) => [file.path, file.source] as const),
        ...removed.map((file) => [file.path, null] as const),
        ...modified.map((file) => [file.path, edit(file.source)] as const),
      ],
    },
  ]);
  const commits = { base: git('rev-parse', 'main~2'), oneFile: git('rev-parse', 'main~1'), push: git('rev-parse', 'main') };
  git('-c', 'core.fsmonitor=false', 'reset', '-q', '--hard', 'main');
  writeFileSync(marker, JSON.stringify(commits));
  return { dir, ...commits };
}

/** Both dry runs, `runs` times each, interleaved with their floors. */
export async function measureDryRuns(bundle: string, runs: number, log: (line: string) => void): Promise<DryRunCase[]> {
  const repo = await dryRunRepo(log);
  const cases = [
    { name: 'a push that modifies 1 DAG file', base: repo.base, head: repo.oneFile, changedFiles: 1 },
    { name: `a push that adds ${PUSH.added}, removes ${PUSH.removed}, modifies ${PUSH.modified} DAG files`, base: repo.oneFile, head: repo.push, changedFiles: PUSH.added + PUSH.removed + PUSH.modified },
  ];
  const results: DryRunCase[] = cases.map((entry) => ({ name: entry.name, changedFiles: entry.changedFiles, dagChanges: [], actionMs: [], noopMs: [], gitDiffMs: [], maxRssBytes: [], problems: [] }));
  // One unmeasured run of each warms the page cache and git's object store, as on a runner after checkout.
  for (let run = 0; run <= runs; run++) {
    for (const [index, entry] of cases.entries()) {
      const result = results[index]!;
      const noop = await runNodeNoop();
      const diff = await runProcess('git', ['diff', '--name-status', entry.base, entry.head], repo.dir);
      const action = await runBundle({
        bundle,
        inputs: { 'dry-run': 'true', 'dags-folder': 'dags' },
        payload: {
          ref: 'refs/heads/main',
          before: entry.base,
          after: entry.head,
          created: false,
          deleted: false,
          forced: false,
          repository: { full_name: 'acme/airflow-dags', name: 'airflow-dags', owner: { login: 'acme' }, default_branch: 'main' },
        },
        workspace: repo.dir,
        sha: entry.head,
      });
      const files = new Set(action.report?.changes.dags.map((dag) => dag.file));
      if (action.exitCode !== 0 || action.report?.result !== 'planned' || diff.exitCode !== 0) {
        result.problems.push(`exit ${action.exitCode}, result ${action.report?.result ?? 'none'}: ${action.stderr.slice(0, 300)}`);
      } else if (files.size < Math.min(entry.changedFiles, 1)) {
        result.problems.push(`the report names ${files.size} changed DAG files`);
      }
      if (run === 0) continue;
      result.noopMs.push(noop.wallMs);
      result.gitDiffMs.push(diff.wallMs);
      result.actionMs.push(action.wallMs);
      result.dagChanges.push(action.report?.changes.dags.filter((dag) => dag.kind !== 'unchanged').length ?? 0);
      if (action.maxRssBytes !== undefined) result.maxRssBytes.push(action.maxRssBytes);
    }
    if (run > 0) log(`Dry runs ${run}/${runs}: ${results.map((result) => ms(result.actionMs.at(-1)!)).join(', ')}`);
  }
  return results;
}

/** The targets of issue 16: the one-file dry run within 5x `node -e 0`, the 550-file one within 20x. */
export function dryRunRows(results: readonly DryRunCase[]): Row[] {
  const limits = [5, 20];
  const rows: Row[] = [[`Dry runs, whole process: dist/index.js spawn to exit, ${count(FILES)}-file repository, no Airflow or Dagster input`]];
  for (const [index, result] of results.entries()) {
    const action = median(result.actionMs);
    const noop = median(result.noopMs);
    const diff = median(result.gitDiffMs);
    const limit = limits[index] ?? Number.POSITIVE_INFINITY;
    rows.push(
      [
        `${result.name} (${count(median(result.dagChanges))} DAG changes)`,
        `${spread(result.actionMs)} = ${ratio(action / noop)} node -e 0, ${ratio(action / diff)} git diff${result.problems.length ? `; ${result.problems.length} run(s) FAILED: ${result.problems[0]}` : ''}`,
        `<= ${limit}x node -e 0`,
        result.problems.length ? 'MISSED' : against(action / noop, limit),
      ],
      ['  node -e 0 | git diff --name-status, same runs', `${spread(result.noopMs)} | ${spread(result.gitDiffMs)}`],
      ['  peak RSS', `${count(median(result.maxRssBytes) / 1e6)} MB`],
    );
  }
  return rows;
}
