// `npm run bench`: the bundled action (dist/index.js, run as the GitHub runner
// runs it) on a push to a large synthetic Airflow DAGs repository, against
// three Airflow simulators (Airflow 2 and 3) and a Dagster+ simulator with six
// dagster-airlift code locations, every request delayed by 20 ms. Prints the
// medians of several runs against the performance targets, a baseline (a)
// reloading every location on every push, and an ablation (b) of the action's
// own concurrency (one request at a time). Then two dry runs timed as whole
// processes against `node -e 0` and `git diff` (bench/dry-runs.ts). See
// README.md, "Performance".
//
//   npx tsx bench/run.ts [--scale 1,4,16] [--runs 5] [--quick] [--help]
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE } from '../__tests__/support/run-action.js';
import { pushPayload, type GitRepo } from '../sim/git-repo.js';
import type { RecordedRequest } from '../sim/airflow.js';
import type { SimOperation } from '../sim/dagster.js';
import type { RunReport } from '../src/outcome.js';
import { runBundle, runNodeNoop, snapshotBundle, TIME_BIN, type BenchActionRun } from './action.js';
import { reloadEverything, type ReloadAllResult } from './baselines.js';
import { startSerializingProxy } from './proxy.js';
import type { ReadingResult } from './reading.js';
import { benchRepo, cacheRoot, changedVersions, type BenchRepo } from './repo.js';
import { measureDryRuns, dryRunRows } from './dry-runs.js';
import { against, count, mb, median, medianOf, ms, ratio, renderTable, spread, type Row } from './stats.js';
import { actionInputs, startWorld, type World } from './world.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Flags {
  files: number;
  changed: number;
  instances: number;
  scales: number[];
  runs: number;
  latencyMs: number;
  parseDelayMs: number;
  newFileDelayMs: number;
  reparseDelayMs: number;
  reloadMs: number;
  pollMs: number;
  airflowTimeout: string;
  baselines: boolean;
  /** Also run with simulated parse and load delays. */
  delays: boolean;
  warmup: boolean;
  quick: boolean;
  /** Run the dry runs of bench/dry-runs.ts; with false for scaleRuns, only them. */
  dryRuns: boolean;
  scaleRuns: boolean;
  /** Time-to-consistent figures measured against real Airflow and Dagster, to print alongside. */
  real?: string;
  json?: string;
  seed: number;
  /** The copy of dist/index.js the runs use. */
  bundle: string;
  /** A module the bundle needs from node_modules at run time, if any. */
  bundleMissing?: string;
}

const HELP = `npm run bench -- [options]

  --scale LIST          multiples of --files to measure, e.g. 1,4,16 (default 1)
  --files N             DAG files at scale 1 (default 5000; --quick 600)
  --changed N           DAG files the pushed commit changes (default 500; --quick 60)
  --instances N         Airflow instances, 2 code locations each (default 3)
  --runs N              runs per configuration; medians are printed (default 5; --quick 2)
  --latency MS          added to every simulator response (default 20)
  --parse-delay MS      until Airflow re-parses a changed file it knows (default 300)
  --new-file-delay MS   until Airflow picks up a new file (default 600)
  --reparse-delay MS    until a file lands after PUT parseDagFile (default 100)
  --reload-ms MS        how long a Dagster code server takes to load (default 300)
  --poll-interval MS    the action's poll-interval input (default 250)
  --airflow-timeout T   the action's airflow-timeout input (default 120s)
  --no-baselines        skip baseline (a) and ablation (b)
  --no-dry-runs         skip the two whole-process dry runs
  --dry-runs-only       only the two whole-process dry runs
  --bundle FILE         measure another build of the action (default dist/index.js), e.g. main's for a before/after
  --real FILE           also print real-system figures: a JSON array of {"what": ..., "measured": ...},
                        as npm run bench:real writes (e.g. bench/results/real-2026-12-05.json)
  --no-delays           skip the run with simulated parse/load delays (only the net run)
  --no-warmup           skip the unmeasured first run
  --quick               a small smoke run (600 files, 60 changed, 2 runs)
  --json FILE           also write every measurement as JSON
  --seed N              generator seed (default 1)
`;

function parseFlags(argv: readonly string[]): Flags {
  const quick = argv.includes('--quick');
  const flags: Flags = {
    files: quick ? 600 : 5000,
    changed: quick ? 60 : 500,
    instances: 3,
    scales: [1],
    runs: quick ? 2 : 5,
    latencyMs: 20,
    parseDelayMs: 300,
    newFileDelayMs: 600,
    reparseDelayMs: 100,
    reloadMs: 300,
    pollMs: 250,
    airflowTimeout: '120s',
    baselines: true,
    delays: true,
    warmup: !quick,
    quick,
    dryRuns: true,
    scaleRuns: true,
    seed: 1,
    bundle: BUNDLE,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    const int = () => {
      const parsed = Number(value());
      if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${flag} needs a whole number`);
      return parsed;
    };
    switch (flag) {
      case '--quick':
        break;
      case '--help':
      case '-h':
        process.stdout.write(HELP);
        process.exit(0);
        break;
      case '--scale':
        flags.scales = value()
          .split(',')
          .map((part) => Number(part.replace(/x$/, '')));
        if (flags.scales.some((scale) => !(scale > 0))) throw new Error('--scale takes positive numbers, e.g. 1,4,16');
        break;
      case '--files':
        flags.files = int();
        break;
      case '--changed':
        flags.changed = int();
        break;
      case '--instances':
        flags.instances = Math.max(1, int());
        break;
      case '--runs':
        flags.runs = Math.max(1, int());
        break;
      case '--latency':
        flags.latencyMs = int();
        break;
      case '--parse-delay':
        flags.parseDelayMs = int();
        break;
      case '--new-file-delay':
        flags.newFileDelayMs = int();
        break;
      case '--reparse-delay':
        flags.reparseDelayMs = int();
        break;
      case '--reload-ms':
        flags.reloadMs = int();
        break;
      case '--poll-interval':
        flags.pollMs = Math.max(1, int());
        break;
      case '--airflow-timeout':
        flags.airflowTimeout = value();
        break;
      case '--no-baselines':
        flags.baselines = false;
        break;
      case '--no-delays':
        flags.delays = false;
        break;
      case '--no-dry-runs':
        flags.dryRuns = false;
        break;
      case '--dry-runs-only':
        flags.scaleRuns = false;
        break;
      case '--bundle':
        flags.bundle = path.resolve(value());
        break;
      case '--real':
        flags.real = value();
        break;
      case '--no-warmup':
        flags.warmup = false;
        break;
      case '--json':
        flags.json = value();
        break;
      case '--seed':
        flags.seed = int();
        break;
      default:
        throw new Error(`Unknown option ${flag} (see --help)`);
    }
  }
  return flags;
}

// ---------------------------------------------------------------------------
// One run of the action

type Kind = 'delays' | 'net' | 'serial';

interface RequestStats {
  readonly total: number;
  readonly byKind: Record<string, number>;
  /** Per instance: the DAG-list rounds (first pages) seen. */
  readonly rounds: readonly number[];
  /** Per instance: the target's allowance (pages of every round + 1 per changed DAG + connecting). */
  readonly budget: number;
}

/** Spans of a run, from the arrival times of the action's log lines (group headers and stage summaries). */
interface Phases {
  /** Spawn to the first group: loading the bundle and reading the inputs. */
  readonly startup?: number;
  readonly connect?: number;
  readonly discovery?: number;
  /** The pushed range and the changed files, read with git. */
  readonly git?: number;
  /** Reading the changed DAG files at both revisions (and importers of changed helpers). */
  readonly reading?: number;
  readonly airflowWait?: number;
  /** Planning, reloading and confirming. */
  readonly dagsterSync?: number;
  /** Writing the report, summary and outputs, and exiting. */
  readonly finish?: number;
}

interface RunResult {
  readonly kind: Kind;
  readonly ok: boolean;
  readonly problem?: string;
  readonly action: BenchActionRun;
  readonly report?: RunReport;
  readonly airflow: RequestStats;
  readonly dagster: { readonly total: number; readonly byOperation: Record<string, number>; readonly budget: number };
  readonly reloaded: readonly string[];
  readonly needed: readonly string[];
  /** From the arrival times of the action's log lines. */
  readonly phases: Phases;
  /** Resident set when discovery ended, when the DAGs were read, and at the end (bytes, sampled). */
  readonly rssAt: { readonly startup?: number; readonly discovery?: number; readonly reading?: number; readonly end?: number };
  /** CPU the benchmark process (the simulators) used during the run. */
  readonly simulatorCpuMs: number;
}

async function runOnce(repo: BenchRepo, flags: Flags, kind: Kind): Promise<RunResult> {
  const delays = kind === 'delays';
  const world = await startWorld(repo, {
    latencyMs: flags.latencyMs,
    reloadMs: delays ? flags.reloadMs : 0,
    reparseDelayMs: delays ? flags.reparseDelayMs : 0,
  });
  // Without simulated delays, Airflow has parsed the push before the action starts.
  if (!delays) world.publishHead({ delayMs: 0, newFileDelayMs: 0 });
  const proxy = kind === 'serial' ? await startSerializingProxy([...world.airflows.map((airflow) => airflow.url), world.dagster.baseUrl]) : undefined;
  // Inside the checkout: the action refuses a config file outside the repository. Untracked, so the pushed range is unchanged.
  const dir = mkdtempSync(path.join(repo.dir, '.airlift-bench-config-'));
  try {
    const configFile = path.join(dir, 'airlift-sync.yml');
    const instanceCount = repo.synthetic.instances.length;
    world.writeConfig(configFile, proxy?.urls.slice(0, instanceCount));
    const inputs = actionInputs(configFile, proxy ? proxy.urls[instanceCount]! : world.dagster.baseUrl, `${flags.pollMs}ms`, flags.airflowTimeout);
    const payload = pushPayload(gitOf(repo.dir), repo.base, repo.head, {
      repository: { full_name: 'acme/airflow-dags', name: 'airflow-dags', owner: { login: 'acme' }, default_branch: 'main', pushed_at: Math.floor(Date.now() / 1000) - 1 },
    });
    let published = false;
    const cpu = process.cpuUsage();
    const action = await runBundle({
      bundle: flags.bundle,
      inputs,
      payload,
      workspace: repo.dir,
      sha: repo.head,
      env: world.env,
      onLine: (line) => {
        // The DAG processor starts on the push when the action starts waiting for it: the delays are then all in its way.
        if (delays && !published && line.text.startsWith('::group::Wait for Airflow')) {
          published = true;
          world.publishHead({ delayMs: flags.parseDelayMs, newFileDelayMs: flags.newFileDelayMs });
        }
      },
    });
    const used = process.cpuUsage(cpu);
    return analyse(repo, world, kind, action, (used.user + used.system) / 1000, flags);
  } finally {
    await proxy?.close();
    await world.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function discoveryMs(lines: readonly string[]): number | undefined {
  const said = lines.map((text) => /^Dagster listed \d+ code locations? in (\d+) ms\.$/.exec(text)).find(Boolean);
  return said ? Number(said[1]) : undefined;
}

function analyse(repo: BenchRepo, world: World, kind: Kind, action: BenchActionRun, simulatorCpuMs: number, flags: Flags): RunResult {
  const { synthetic } = repo;
  const report = action.report;
  const at = (test: (text: string) => boolean) => action.lines.find((line) => test(line.text))?.at;
  const marks = {
    connect: at((text) => text === '::group::Connect to Airflow'),
    discover: at((text) => text === '::group::Discover Dagster code locations'),
    changes: at((text) => text === '::group::Read the pushed DAG changes'),
    range: at((text) => text.startsWith('Comparing ') || text.startsWith('Full drift check')),
    read: at((text) => /DAG changes in \d+ DAGs read/.test(text)),
    wait: at((text) => text.startsWith('::group::Wait for Airflow')),
    dagster: at((text) => /^::group::(Reload|Plan) Dagster/.test(text)),
    end: at((text) => text.startsWith('result: ')),
  };
  const between = (from: number | undefined, to: number | undefined) => (from !== undefined && to !== undefined ? to - from : undefined);
  // The action reads the push while Dagster answers when every instance is named (discovery's group
  // is written after the push's), and asks Dagster first otherwise: a group ends where the next one
  // starts, whichever that is.
  const groupStarts = [marks.connect, marks.discover, marks.changes, marks.wait, marks.dagster, marks.end].filter((mark): mark is number => mark !== undefined);
  const nextGroup = (from: number | undefined) => (from === undefined ? undefined : groupStarts.filter((start) => start > from).sort((a, b) => a - b)[0]);
  const phases: Phases = {
    startup: marks.connect,
    connect: between(marks.connect, nextGroup(marks.connect)),
    // Discovery runs beside the reading; its own line says how long Dagster took to answer.
    discovery: discoveryMs(action.lines.map((line) => line.text)) ?? between(marks.discover, nextGroup(marks.discover)),
    git: between(marks.changes, marks.range),
    reading: between(marks.range, marks.read),
    airflowWait: between(marks.wait, marks.dagster),
    dagsterSync: between(marks.dagster, marks.end),
    finish: marks.end === undefined ? undefined : action.wallMs - marks.end,
  };
  const rssBy = (time: number | undefined) => (time === undefined ? undefined : action.rssSamples.filter(([at]) => at <= time).at(-1)?.[1]);
  const rssAt = { startup: rssBy(nextGroup(marks.connect)), discovery: rssBy(nextGroup(marks.discover)), reading: rssBy(marks.read), end: rssBy(marks.end) };

  const byKind: Record<string, number> = {};
  const rounds: number[] = [];
  let budget = 0;
  for (const [index, airflow] of world.airflows.entries()) {
    const truth = synthetic.truth[index]!;
    const changedDags = truth.dagsAdded.length + truth.dagsRemoved.length + truth.dagsModified.length + truth.dagsUnchanged.length;
    let listPages = 0;
    let errorPages = 0;
    let connect = 0;
    let round = 0;
    for (const request of airflow.requests) {
      const kindOf = classifyAirflow(request);
      byKind[kindOf] = (byKind[kindOf] ?? 0) + 1;
      if (kindOf === 'DAG list pages') {
        listPages++;
        if (!request.query.offset || request.query.offset === '0') round++;
      } else if (kindOf === 'import-error pages') errorPages++;
      else if (kindOf === 'version/auth') connect++;
    }
    rounds.push(round);
    budget += listPages + errorPages + changedDags + connect;
    airflow.requests.length = 0;
  }
  const airflowTotal = Object.values(byKind).reduce((sum, value) => sum + value, 0);

  const byOperation: Record<string, number> = {};
  for (const operation of world.dagster.operations) {
    const name = classifyDagster(operation);
    byOperation[name] = (byOperation[name] ?? 0) + 1;
  }
  world.dagster.operations.length = 0;
  const needed = synthetic.instances.flatMap((_, index) => (synthetic.truth[index]!.needsReload ? world.locations[index]! : []));
  const reloaded = world.locations.flat().filter((name) => world.dagster.location(name).reloads > 0);
  const pollsPerReload = Math.ceil((kind === 'delays' ? flags.reloadMs : 0) / flags.pollMs) + 1;
  // Per location: on Dagster+, a look for a load already under way (another run of the push), the
  // reload, its polls and the read-back.
  const dagsterBudget = 3 + needed.length * (1 + 1 + pollsPerReload + 1);

  const expected = 'synced';
  const problem =
    action.exitCode !== 0 || report?.result !== expected
      ? `result ${report?.result ?? 'none'} (exit ${action.exitCode}): ${
          report?.failures
            .slice(0, 3)
            .map((failure) => failure.message)
            .join(' | ') ?? action.stderr.slice(0, 500)
        }`
      : undefined;
  return {
    kind,
    ok: problem === undefined,
    ...(problem ? { problem } : {}),
    action,
    report,
    airflow: { total: airflowTotal, byKind, rounds, budget },
    dagster: { total: Object.values(byOperation).reduce((sum, value) => sum + value, 0), byOperation, budget: dagsterBudget },
    reloaded,
    needed,
    phases,
    rssAt,
    simulatorCpuMs,
  };
}

/** Whether the instances were waited for one after another (the stage lasts their sum) or together (their longest). */
function overlap(stage: number, sum: number, longest: number): string {
  if (![stage, sum, longest].every(Number.isFinite) || sum <= longest * 1.2) return '';
  return stage >= sum * 0.9 ? ' (one after another: the stage lasts their sum)' : ' (concurrent: the stage lasts the longest)';
}

function classifyAirflow(request: RecordedRequest): string {
  const segments = request.apiPath.split('/').filter(Boolean);
  if (request.apiPath === '/auth/token' || segments.at(-1) === 'version') return 'version/auth';
  const [, , resource, , sub] = segments;
  if (resource === 'dags' && segments.length === 3) return 'DAG list pages';
  if (resource === 'dags' && sub === 'tasks') return 'tasks';
  if (resource === 'dags') return 'DAG details';
  if (resource === 'dagSources') return 'sources';
  if (resource === 'importErrors') return 'import-error pages';
  if (resource === 'parseDagFile') return 're-parse requests';
  return 'other';
}

function classifyDagster(operation: SimOperation): string {
  const name = operation.operationName ?? 'anonymous';
  if (name === 'AirliftSyncCapabilities' || name.startsWith('AirliftSyncWorkspace')) return 'discovery';
  if (name === 'AirliftSyncReloadLocation') return 'reloads';
  if (name === 'AirliftSyncLocationStatuses') return 'status polls';
  if (name === 'AirliftSyncLocation') return 'read-backs';
  return name;
}

function gitOf(dir: string): GitRepo {
  // stderr ignored: `git show` of a huge commit warns about rename detection limits.
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  return {
    dir,
    git,
    commit: () => {
      throw new Error('the benchmark repository is read-only');
    },
    remove: () => {},
  };
}

/** The project's DAG reader over the changed files at both revisions, in a fresh process. */
async function measureReading(repo: BenchRepo): Promise<ReadingResult> {
  const options = JSON.stringify({ files: repo.synthetic.options.files, changed: repo.synthetic.options.changed, instances: repo.synthetic.options.instances, seed: repo.synthetic.options.seed });
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/reading.ts'), options], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number>((resolve) => child.on('close', (exit) => resolve(exit ?? -1)));
  if (code !== 0) throw new Error(`bench/reading.ts exited with ${code}`);
  return JSON.parse(out.trim().split('\n').pop()!) as ReadingResult;
}

/** What the action reads: both versions of each changed DAG file, and the importers of the changed helper module at head. */
function readSet(repo: BenchRepo): { readFiles: number; readBytes: number } {
  const versions = changedVersions(repo.synthetic);
  let readFiles = versions.length;
  let readBytes = versions.reduce((sum, version) => sum + Buffer.byteLength(version.source), 0);
  for (const [index, reparsed] of repo.synthetic.reparsed.entries()) {
    const changed = new Set(repo.synthetic.changes.filter((change) => change.instance === index).map((change) => change.path));
    for (const file of reparsed.files) {
      if (changed.has(file.path)) continue;
      readFiles++;
      readBytes += Buffer.byteLength(file.source);
    }
  }
  return { readFiles, readBytes };
}

function bundleBytes(bundle: string): { total: number; files: Record<string, number> } {
  const dist = path.dirname(bundle);
  const files: Record<string, number> = {};
  for (const name of readdirSync(dist)) {
    const stat = statSync(path.join(dist, name));
    if (stat.isFile()) files[name] = stat.size;
  }
  return { total: Object.values(files).reduce((sum, size) => sum + size, 0), files };
}

// ---------------------------------------------------------------------------
// One scale: all runs, then the table

interface ScaleResult {
  readonly scale: number;
  readonly repo: {
    readonly files: number;
    readonly dags: number;
    readonly baseBytes: number;
    readonly changedFiles: number;
    /** DAG file versions the action reads: the changed files at both revisions, and the importers of the changed helper. */
    readonly readFiles: number;
    readonly readBytes: number;
    readonly built: boolean;
    readonly buildMs: number;
  };
  readonly runs: Record<Kind, RunResult[]>;
  readonly reloadAll: ReloadAllResult[];
  readonly reading: ReadingResult[];
  readonly noop: number[];
}

async function measureScale(scale: number, flags: Flags, log: (line: string) => void): Promise<ScaleResult> {
  const files = Math.round(flags.files * scale);
  const repo = await benchRepo({ files, changed: Math.min(flags.changed, files), instances: flags.instances, seed: flags.seed }, log);
  const runs: Record<Kind, RunResult[]> = { delays: [], net: [], serial: [] };
  const reloadAll: ReloadAllResult[] = [];
  const reading: ReadingResult[] = [];
  const noop: number[] = [];
  const reportProblem = (result: RunResult) => {
    if (!result.ok) log(`  ! ${result.kind} run did not sync: ${result.problem}`);
  };

  if (flags.warmup) {
    log('Warm-up run (not counted) ...');
    reportProblem(await runOnce(repo, flags, 'net'));
  }
  for (let run = 1; run <= flags.runs; run++) {
    const started = performance.now();
    for (let i = 0; i < 5; i++) noop.push((await runNodeNoop()).wallMs);
    const kinds: Kind[] = [...(flags.delays ? (['delays'] as const) : []), 'net', ...(flags.baselines ? (['serial'] as const) : [])];
    for (const kind of kinds) {
      const result = await runOnce(repo, flags, kind);
      reportProblem(result);
      runs[kind].push(result);
    }
    reading.push(await measureReading(repo));
    if (flags.baselines) {
      // Baseline (a) on a fresh world where Airflow already shows the push, with the same load time.
      const world = await startWorld(repo, { latencyMs: flags.latencyMs, reloadMs: flags.reloadMs, reparseDelayMs: 0 });
      try {
        world.publishHead({ delayMs: 0, newFileDelayMs: 0 });
        reloadAll.push(await reloadEverything(world, { concurrency: 4, pollIntervalMs: flags.pollMs }));
      } finally {
        await world.close();
      }
    }
    log(
      `Run ${run}/${flags.runs} (${ms(performance.now() - started)}):${flags.delays ? ` with delays ${ms(runs.delays.at(-1)!.action.wallMs)},` : ''} net ${ms(runs.net.at(-1)!.action.wallMs)}${
        flags.baselines ? `, one request at a time ${ms(runs.serial.at(-1)!.action.wallMs)}` : ''
      }`,
    );
  }
  return {
    scale,
    repo: {
      files,
      dags: repo.synthetic.baseFiles.flat().reduce((sum, file) => sum + file.dags.length, 0),
      baseBytes: repo.baseBytes,
      changedFiles: repo.synthetic.headWrites.size,
      ...readSet(repo),
      built: repo.built,
      buildMs: repo.buildMs,
    },
    runs,
    reloadAll,
    reading,
    noop,
  };
}

function scaleTable(result: ScaleResult, flags: Flags, bundle: { total: number }): { text: string; summary: Record<string, number | string> } {
  const { runs } = result;
  const delays = runs.delays;
  const net = runs.net;
  const serial = runs.serial;
  const all = [...delays, ...net, ...serial];
  const ok = (list: readonly RunResult[]) => list.filter((run) => run.ok);
  const failed = all.filter((run) => !run.ok).length;

  const noop = median(result.noop);
  const reading = {
    files: median(result.reading.map((r) => r.files)),
    bytes: median(result.reading.map((r) => r.bytes)),
    readMs: median(result.reading.map((r) => r.readMs)),
    parserMs: median(result.reading.map((r) => r.parserLoadMs)),
  };
  const readTotal = reading.readMs + reading.parserMs;
  const timing = (list: readonly RunResult[], key: 'totalMs' | 'changesMs' | 'airflowMs' | 'dagsterMs') => medianOf(ok(list), (run) => run.report?.timings[key]);
  const wall = (list: readonly RunResult[]) => medianOf(ok(list), (run) => run.action.wallMs);
  const phase = (list: readonly RunResult[], key: keyof Phases) => medianOf(ok(list), (run) => run.phases[key]);
  const both = (key: keyof Phases) => `${ms(phase(net, key))} | ${ms(phase(delays, key))}`;
  const readingMs = phase(net.concat(delays), 'reading');
  const waitedSum = medianOf(ok(delays), (run) => run.report?.airflow.reduce((sum, instance) => sum + instance.waitedMs, 0));
  const waitedMax = medianOf(ok(delays), (run) => Math.max(0, ...(run.report?.airflow.map((instance) => instance.waitedMs) ?? [])));
  const waitedSumNet = medianOf(ok(net), (run) => run.report?.airflow.reduce((sum, instance) => sum + instance.waitedMs, 0));
  const waitedMaxNet = medianOf(ok(net), (run) => Math.max(0, ...(run.report?.airflow.map((instance) => instance.waitedMs) ?? [])));

  // Requests, reloads and CPU come from the run with delays when there is one.
  const primary = delays.length ? delays : net;
  const reqAirflow = medianOf(primary, (run) => run.airflow.total);
  const reqAirflowBudget = medianOf(primary, (run) => run.airflow.budget);
  const reqAirflowNet = medianOf(net, (run) => run.airflow.total);
  const reqAirflowNetBudget = medianOf(net, (run) => run.airflow.budget);
  const airflowKinds = [...new Set(primary.flatMap((run) => Object.keys(run.airflow.byKind)))].sort();
  const reqDagster = medianOf(primary, (run) => run.dagster.total);
  const reqDagsterBudget = medianOf(primary, (run) => run.dagster.budget);
  const dagsterOps = [...new Set(primary.flatMap((run) => Object.keys(run.dagster.byOperation)))].sort();
  const roundsOf = medianOf(primary, (run) => Math.max(...run.airflow.rounds));

  const sample = ok(primary)[0] ?? primary[0]!;
  const needed = sample.needed;
  const needless = Math.max(...delays.concat(net).map((run) => run.reloaded.filter((name) => !run.needed.includes(name)).length));
  const missed = Math.max(...delays.concat(net).map((run) => run.needed.filter((name) => !run.reloaded.includes(name)).length));
  const reloadedCount = medianOf(primary, (run) => run.reloaded.length);
  const rss = Math.max(...all.map((run) => run.action.maxRssBytes ?? Number.NaN).filter(Number.isFinite));
  const rssMedian = medianOf(all, (run) => run.action.maxRssBytes);
  const simCpu = medianOf(primary, (run) => run.simulatorCpuMs);

  const netTotal = wall(net);
  const serialTotal = wall(serial);
  const locations = result.reloadAll[0]?.reloads ?? sample.reloaded.length;
  const loadMsPerReload = flags.reloadMs;
  const reloadAllWall = median(result.reloadAll.map((r) => r.wallMs));

  const instances = sample.report?.airflow.map((instance) => instance.apiVersion === 'v2' ? 'Airflow 3' : 'Airflow 2') ?? [];
  const header = `airlift-sync benchmark, scale ${result.scale}x: ${count(result.repo.files)} DAG files (${count(result.repo.dags)} DAGs, ${mb(result.repo.baseBytes)}) in ${flags.instances} instances (${instances.join(', ')}), ${flags.instances * 2} code locations; a push changing ${count(result.repo.changedFiles)} files; ${flags.latencyMs} ms per request; median of ${flags.runs} run(s)${failed ? `; ${failed} run(s) FAILED (see above)` : ''}`;

  const rows: Row[] = [
    ['Startup'],
    ['node -e 0 (spawn to exit), 5 per run', spread(result.noop)],
    ['bundle: dist/ with its assets', mb(bundle.total), '< 2 MB', against(bundle.total, 2e6)],
    [
      'bundle runs without node_modules (as on a runner)',
      flags.bundleMissing ? `NO: needs '${flags.bundleMissing}' from node_modules` : 'yes',
      'self-contained',
      flags.bundleMissing ? 'MISSED' : 'met',
    ],
    ['Where the time goes, from the action log: net | with delays'],
    ['startup: load the bundle, read the inputs', both('startup')],
    [`connect to ${flags.instances} Airflow instances`, both('connect')],
    [`Dagster discovery (${flags.instances * 2} locations, ${count(result.repo.dags * 2)} DAG mirrors)`, both('discovery')],
    [`pushed range and changed files (git, ${count(result.repo.changedFiles)} files)`, both('git')],
    [
      `reading ${count(result.repo.readFiles)} DAG file versions (${mb(result.repo.readBytes)}, helper importers incl.)`,
      `${both('reading')}; ${count(result.repo.readFiles / (readingMs / 1000))} files/s, ${(result.repo.readBytes / 1e6 / (readingMs / 1000)).toFixed(1)} MB/s`,
    ],
    ['Airflow comparison: wait until parsed', both('airflowWait')],
    [
      `  per-instance waits: sum, longest${overlap(phase(net, 'airflowWait'), waitedSumNet, waitedMaxNet)}`,
      `${ms(waitedSumNet)}, ${ms(waitedMaxNet)} | ${ms(waitedSum)}, ${ms(waitedMax)}`,
    ],
    ['Dagster planning, reloads, confirmation', both('dagsterSync')],
    ['report, summary, outputs, exit', both('finish')],
    ['total, spawn to exit, excluding simulated parse/load delays', `${spread(ok(net).map((run) => run.action.wallMs))} = ${ratio(netTotal / noop)} node -e 0`, '<= 2 s', against(netTotal, 2000)],
    [`total, spawn to exit, with delays (parse ${flags.parseDelayMs}/${flags.newFileDelayMs} ms, load ${flags.reloadMs} ms)`, ms(wall(delays))],
    ['report timings: changes | Airflow | Dagster | total (net run)', [timing(net, 'changesMs'), timing(net, 'airflowMs'), timing(net, 'dagsterMs'), timing(net, 'totalMs')].map(ms).join(' | ')],
    ['report timings: changes | Airflow | Dagster | total (with delays)', [timing(delays, 'changesMs'), timing(delays, 'airflowMs'), timing(delays, 'dagsterMs'), timing(delays, 'totalMs')].map(ms).join(' | ')],
    ['DAG reading alone (the reader in a fresh process)'],
    [
      `the ${count(reading.files)} changed file versions (${mb(reading.bytes)})`,
      `${ms(readTotal)} incl. ${ms(reading.parserMs)} grammar load; ${count(reading.files / (reading.readMs / 1000))} files/s, ${(reading.bytes / 1e6 / (reading.readMs / 1000)).toFixed(1)} MB/s`,
      '< 1 s',
      against(readTotal, 1000),
    ],
    [`Requests (${delays.length ? 'run with delays' : 'net run'})`],
    [
      `to Airflow (${count(roundsOf)} poll rounds)`,
      `${count(reqAirflow)} (allowance ${count(reqAirflowBudget)}); net run ${count(reqAirflowNet)} (allowance ${count(reqAirflowNetBudget)})`,
      '<= list pages x rounds + 1/changed DAG',
      against(reqAirflow, reqAirflowBudget),
    ],
    ...airflowKinds.map((name): Row => [`  ${name}`, count(medianOf(primary, (run) => run.airflow.byKind[name] ?? 0))]),
    ['to Dagster', `${count(reqDagster)} (allowance ${count(reqDagsterBudget)})`, '<= 3 + per location: look, reload, polls, read-back', against(reqDagster, reqDagsterBudget)],
    ...dagsterOps.map((name): Row => [`  ${name}`, count(medianOf(primary, (run) => run.dagster.byOperation[name] ?? 0))]),
    ['Reloads'],
    [
      'locations reloaded vs needing it',
      `${count(reloadedCount)} of ${needed.length} needed (${needed.join(', ')}); needless ${needless}, missed ${missed}`,
      '0 needless',
      needless === 0 && missed === 0 ? 'met' : 'MISSED',
    ],
    ['Memory'],
    ['peak RSS of the action (max over runs)', `${mb(rss)} (median ${mb(rssMedian)})`, '< 200 MB', against(rss, 200e6)],
    [
      '  RSS after connecting | discovery | reading | at the end',
      (['startup', 'discovery', 'reading', 'end'] as const).map((key) => mb(medianOf(ok(net), (run) => run.rssAt[key]))).join(' | '),
    ],
  ];
  if (flags.baselines) {
    rows.push(
      ['Baseline and ablation (same data, same simulators)'],
      [
        '(a) reload every location on every push',
        `${locations} reloads in ${ms(reloadAllWall)} vs ${count(reloadedCount)} (${ratio(locations / Math.max(1, reloadedCount))}), ${Math.max(0, locations - needed.length)} needless; code-server load time ${ms(locations * loadMsPerReload)} vs ${ms(reloadedCount * loadMsPerReload)}`,
      ],
      ['(b) ablation of the action\'s own concurrency: one request at a time (serializing proxy)', `${ms(serialTotal)} vs ${ms(netTotal)} net (${ratio(serialTotal / netTotal)}); Airflow stage ${ms(timing(serial, 'airflowMs'))} vs ${ms(timing(net, 'airflowMs'))}`],
    );
  }
  rows.push(
    ['CPU (2 cores shared by the action and the simulators)'],
    ['the action (user + system), net | with delays', `${ms(medianOf(ok(net), (run) => run.action.cpuMs))} | ${ms(medianOf(ok(delays), (run) => run.action.cpuMs))}`],
    [`the simulators (benchmark process), ${delays.length ? 'run with delays' : 'net run'}`, ms(simCpu)],
  );
  const text = `${header}\n\n${renderTable(rows)}`;
  return {
    text,
    summary: {
      scale: result.scale,
      files: result.repo.files,
      dags: result.repo.dags,
      mb: result.repo.baseBytes / 1e6,
      gitMs: phase(net, 'git'),
      readMs: readingMs,
      discoveryMs: phase(net, 'discovery'),
      readerMs: readTotal,
      changesNetMs: timing(net, 'changesMs'),
      airflowNetMs: timing(net, 'airflowMs'),
      dagsterNetMs: timing(net, 'dagsterMs'),
      netMs: netTotal,
      delaysMs: wall(delays),
      serialMs: serialTotal,
      airflowRequests: reqAirflow,
      dagsterRequests: reqDagster,
      rssMb: rss / 1e6,
      actionCpuMs: medianOf(ok(net), (run) => run.action.cpuMs),
      simulatorCpuMs: simCpu,
    },
  };
}

/**
 * Time-to-consistent against real Airflow and Dagster is measured elsewhere (their start-up takes
 * minutes): given its results as `[{ "what": "...", "measured": "..." }]`, they are printed here.
 */
function realSystemRows(file: string | undefined): Row[] {
  if (!file) return [];
  const entries = JSON.parse(readFileSync(file, 'utf8')) as { what: string; measured: string }[];
  return [[`Real systems (from ${file})`], ...entries.map((entry): Row => [entry.what, entry.measured])];
}

// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const log = (line: string) => console.log(line);
  if (!existsSync(flags.bundle)) throw new Error(`${path.relative(ROOT, flags.bundle)} is missing: run npm run build first.`);
  if (!existsSync(TIME_BIN)) log(`${TIME_BIN} is missing: peak memory is not measured.`);
  const snapshot = snapshotBundle(ROOT, flags.bundle);
  if (snapshot.missing) {
    log(
      `WARNING: dist/index.js is not self-contained: copied out of the repository it cannot load '${snapshot.missing}' (it resolves it from node_modules at run time). A GitHub runner has no node_modules next to the action, so the action would crash there. Measuring a copy under .tmp/ instead.`,
    );
  }
  flags.bundle = snapshot.bundle;
  flags.bundleMissing = snapshot.missing;
  process.on('exit', () => snapshot.remove());
  const bundle = bundleBytes(snapshot.bundle);
  log(`Bundle dist/ (copied to ${path.dirname(snapshot.bundle)}): ${Object.entries(bundle.files).map(([name, size]) => `${name} ${mb(size)}`).join(', ')}`);
  log(`Cache: ${cacheRoot()} (generated repositories are kept between runs; delete the folder to free the space)`);

  const tables: string[] = [];
  const summaries: Record<string, number | string>[] = [];
  const raw: unknown[] = [];
  for (const scale of flags.scaleRuns ? flags.scales : []) {
    const result = await measureScale(scale, flags, log);
    const { text, summary } = scaleTable(result, flags, bundle);
    log(`\n${text}\n`);
    tables.push(text);
    summaries.push(summary);
    raw.push({
      ...result,
      runs: Object.fromEntries(
        Object.entries(result.runs).map(([kind, list]) => [kind, list.map((run) => ({ ...run, action: { ...run.action, lines: run.action.lines.length } }))]),
      ),
    });
  }
  if (summaries.length > 1) {
    const growth: Row[] = summaries.map((s): Row => [
      `${s.scale}x: ${count(s.files as number)} files, ${count(s.dags as number)} DAGs`,
      `net ${ms(s.netMs as number)} (changes ${ms(s.changesNetMs as number)}, Airflow ${ms(s.airflowNetMs as number)}, Dagster ${ms(s.dagsterNetMs as number)}); with delays ${ms(s.delaysMs as number)}; Airflow requests ${count(s.airflowRequests as number)}; RSS ${mb((s.rssMb as number) * 1e6)}`,
    ]);
    log(`Growth with the repository size (same ${flags.changed}-file push)\n\n${renderTable(growth, ['', 'median', '', ''])}\n`);
  }
  const dryRuns = flags.dryRuns ? await measureDryRuns(flags.bundle, flags.runs, log) : [];
  const closing: Row[] = [...dryRunRows(dryRuns), ...realSystemRows(flags.real)];
  if (closing.length) log(`\n${renderTable(closing)}\n`);
  if (flags.json) {
    writeFileSync(flags.json, `${JSON.stringify({ flags, bundle, summaries, scales: raw, dryRuns }, null, 2)}\n`);
    log(`Wrote ${flags.json}`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
