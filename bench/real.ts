// `npm run bench:real`: time-to-consistent against the real systems of __tests__/real/ (real
// Airflow 2 with a scheduler, a real dagster-webserver serving a dagster-airlift location). For a
// push that changes a DAG's tasks and one that adds a DAG, under Airflow's default parse intervals
// and under short ones, it commits the push, spawns the bundled action as the runner does, and times
// from the spawn until Dagster's GraphQL shows the change (also when Airflow's REST API shows it,
// and when the action exits). Writes the JSON array `npm run bench -- --real FILE` prints, merged
// with the presets of an earlier sitting already in FILE. See README.md, "Performance".
//
// Starts real servers: run it through the slot script, after `npm run build`:
//   /work/notes/real-run.sh npx tsx bench/real.ts --intervals short --runs 3 --out bench/results/real.json
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, startAirflow2, type ParseIntervals, type RealAirflow } from '../__tests__/real/airflow.js';
import { dagFile } from '../__tests__/real/dag-files.js';
import { startDagster, type RealDagster } from '../__tests__/real/dagster.js';
import { installedVersion, installVenvs } from '../__tests__/real/install.js';
import { act, dagsRepo, scratch, tearDown, waitForDags, type DagsRepo } from '../__tests__/real/world.js';
import { BUNDLE } from '../__tests__/support/run-action.js';
import { ms, spread } from './stats.js';

const INSTANCE = 'af2';
const LOCATION = 'airlift_af2';
/** The modified case's run `run` changes DAG orders_<run>, mapped to this asset by its `load` task. */
const mappedAsset = (run: number) => `orders_${run}_table`;
/**
 * Airflow 2 writes a DAG's serialized form (whose tasks the REST API answers) at most once per
 * min_serialized_dag_update_interval, 30 s by default: a push to a DAG written less than that ago
 * shows only after it (measured here: 8.6, 14.5, 20.5 s for pushes 30 s apart to one DAG). Each
 * modified run changes a DAG of its own, not written since Airflow first parsed it at least this long ago.
 */
const SETTLED_MS = 35_000;

const PRESETS = {
  // Nothing set: Airflow 2.11's own defaults (airflow/config_templates/config.yml).
  default: { intervals: {}, label: 'default parse intervals (dag_dir_list_interval 300 s, min_file_process_interval 30 s)' },
  short: { intervals: { dagDirList: 5, minFileProcess: 5 }, label: 'short parse intervals (dag_dir_list_interval 5 s, min_file_process_interval 5 s)' },
} satisfies Record<string, { intervals: ParseIntervals; label: string }>;
type Preset = keyof typeof PRESETS;

type Case = 'modified' | 'added';
const CASE_LABEL: Record<Case, string> = { modified: 'a DAG\'s tasks changed', added: 'a DAG added' };

interface Flags {
  presets: Preset[];
  cases: Case[];
  runs: number;
  maxMinutes: number;
  out: string;
}

const HELP = `npx tsx bench/real.ts [options]   (through /work/notes/real-run.sh, after npm run build)

  --intervals LIST   default,short (default both): Airflow 2's parse intervals, one Airflow each
  --cases LIST       modified,added (default both)
  --runs N           runs of each case per preset (default 3)
  --max-minutes M    start no run that would end past M minutes after the start (default 19)
  --out FILE         the JSON file npm run bench -- --real FILE reads (default bench/results/real.json)
`;

function parseFlags(argv: readonly string[]): Flags {
  const flags: Flags = { presets: ['short', 'default'], cases: ['modified', 'added'], runs: 3, maxMinutes: 19, out: 'bench/results/real.json' };
  const list = <T extends string>(flag: string, value: string | undefined, allowed: readonly T[]): T[] => {
    const parts = (value ?? '').split(',').filter(Boolean);
    const wrong = parts.find((part) => !allowed.includes(part as T));
    if (!parts.length || wrong !== undefined) throw new Error(`${flag} takes a comma-separated list of ${allowed.join(', ')}`);
    return parts as T[];
  };
  const positive = (flag: string, value: string | undefined) => {
    const parsed = Number(value);
    if (!(parsed > 0)) throw new Error(`${flag} needs a positive number`);
    return parsed;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(HELP);
      process.exit(0);
    } else if (flag === '--intervals') flags.presets = list(flag, argv[++i], Object.keys(PRESETS) as Preset[]);
    else if (flag === '--cases') flags.cases = list(flag, argv[++i], ['modified', 'added']);
    else if (flag === '--runs') flags.runs = Math.round(positive(flag, argv[++i]));
    else if (flag === '--max-minutes') flags.maxMinutes = positive(flag, argv[++i]);
    else if (flag === '--out') flags.out = argv[++i] ?? '';
    else throw new Error(`Unknown option ${flag} (see --help)`);
  }
  if (!flags.out) throw new Error('--out needs a file name');
  return flags;
}

interface Measurement {
  readonly preset: Preset;
  readonly case: Case;
  readonly run: number;
  /** From the action's spawn; undefined when it was not seen before the run gave up. */
  readonly dagsterShowsMs?: number;
  readonly airflowShowsMs?: number;
  readonly actionExitMs: number;
  readonly exitCode: number;
  readonly result?: string;
  readonly reloaded?: string;
  /** The action's own report: its wait for Airflow and its Dagster stage. */
  readonly reportAirflowMs?: number;
  readonly reportDagsterMs?: number;
}

interface World {
  readonly repo: DagsRepo;
  readonly airflow: RealAirflow;
  readonly dagster: RealDagster;
  /** When Airflow listed the DAGs of the modified case (performance.now()). */
  readonly parsedAt: number;
}

/** What a run pushes, and how each system shows it. */
function scenario(world: World, kase: Case, run: number, tag: string) {
  if (kase === 'modified') {
    const step = `step_${tag}`;
    const dagId = `orders_${run}`;
    return {
      files: { [`${dagId}.py`]: dagFile(2, { id: dagId, tasks: ['extract', 'load', step], edges: [['extract', 'load'], ['load', step]] }) },
      airflowShows: async () => ((await world.airflow.get(`/dags/${dagId}/tasks`)) as { tasks: { task_id: string }[] }).tasks.some((task) => task.task_id === step),
      dagsterShows: async () => {
        const info = (await world.dagster.metadata([mappedAsset(run)]))?.['Task Info (raw)'];
        return info !== undefined && (JSON.parse(info) as { downstream_task_ids: string[] }).downstream_task_ids.includes(step);
      },
    };
  }
  const dagId = `added_${tag}`;
  return {
    files: { [`${dagId}.py`]: dagFile(2, { id: dagId, tasks: ['only'] }) },
    airflowShows: async () => (await world.airflow.get(`/dags/${dagId}`)) !== undefined,
    dagsterShows: async () => ((await world.dagster.assetsByLocation()).get(LOCATION) ?? []).includes(`${INSTANCE}/dag/${dagId}`),
  };
}

/** Polls `check` every 500 ms from `start` until it holds or `done()` says to stop; the time it first held. */
async function firstSeen(start: number, check: () => Promise<boolean>, done: () => boolean): Promise<number | undefined> {
  for (;;) {
    const at = performance.now();
    try {
      if (await check()) return at - start;
    } catch {
      // Not there yet (404, or the location is reloading).
    }
    if (done()) return undefined;
    await sleep(Math.max(0, 500 - (performance.now() - at)));
  }
}

async function measure(world: World, preset: Preset, kase: Case, run: number): Promise<Measurement> {
  if (kase === 'modified') await sleep(Math.max(0, world.parsedAt + SETTLED_MS - performance.now()));
  const { files, airflowShows, dagsterShows } = scenario(world, kase, run, `${preset}_${run}`);
  const push = world.repo.push(`${kase} (${preset}, run ${run})`, files);
  const start = performance.now();
  // The inputs' defaults from action.yml, as the runner passes them (poll-interval has none).
  const action = act(world.repo, push, world.airflow, { 'airflow-instance-name': INSTANCE, 'dagster-url': world.dagster.url, 'poll-interval': '', 'airflow-timeout': '10m', 'reload-timeout': '10m' });
  let exitedAt: number | undefined;
  void action.then(() => (exitedAt = performance.now()));
  // Dagster shows a change only after a reload, so it is given 30 s after the action's exit.
  const gaveUp = () => exitedAt !== undefined && performance.now() - exitedAt > 30_000;
  const [airflowShowsMs, dagsterShowsMs, finished] = await Promise.all([firstSeen(start, airflowShows, gaveUp), firstSeen(start, dagsterShows, gaveUp), action]);
  const report = finished.report;
  return {
    preset,
    case: kase,
    run,
    dagsterShowsMs,
    airflowShowsMs,
    actionExitMs: exitedAt! - start,
    exitCode: finished.exitCode,
    result: finished.outputs.result,
    reloaded: finished.outputs['reloaded-locations'],
    reportAirflowMs: report?.timings.airflowMs,
    reportDagsterMs: report?.timings.dagsterMs,
  };
}

async function startWorld(preset: Preset, runs: number, log: (line: string) => void): Promise<World & { stop(): Promise<void> }> {
  const venvs = installVenvs();
  const work = scratch('airlift-bench-real-');
  const runNumbers = Array.from({ length: runs }, (_, index) => index + 1);
  const repo = dagsRepo(Object.fromEntries(runNumbers.map((run) => [`orders_${run}.py`, dagFile(2, { id: `orders_${run}`, tasks: ['extract', 'load'], edges: [['extract', 'load']] })])));
  let airflow: RealAirflow | undefined;
  let dagster: RealDagster | undefined;
  let parsedAt: number;
  try {
    airflow = await startAirflow2({ venv: venvs.airflow2, home: `${work.dir}/airflow`, dagsFolder: repo.dagsFolder, logDir: work.dir, parseIntervals: PRESETS[preset].intervals });
    await waitForDags(airflow, runNumbers.map((run) => `orders_${run}`));
    parsedAt = performance.now();
    dagster = await startDagster({
      venv: venvs.dagster,
      home: `${work.dir}/dagster`,
      logDir: work.dir,
      locations: [
        {
          name: LOCATION,
          instance: INSTANCE,
          airflowUrl: airflow.url,
          username: AIRFLOW_USER,
          password: AIRFLOW_PASSWORD,
          taskAssets: Object.fromEntries(runNumbers.map((run) => [`orders_${run}.load`, mappedAsset(run)])),
        },
      ],
    });
  } catch (error) {
    await tearDown({ airflow, dagster, repo, work });
    throw error;
  }
  log(`Airflow 2 at ${airflow.url} (${PRESETS[preset].label}), Dagster at ${dagster.url}, logs in ${work.dir}`);
  const started = { airflow, dagster };
  return { repo, ...started, parsedAt, stop: () => tearDown({ ...started, repo, work }) };
}

function versions(): string {
  const venvs = installVenvs();
  return [
    `apache-airflow ${installedVersion(venvs.airflow2, 'apache-airflow')} (SQLite, webserver + scheduler, parsing_processes 1)`,
    ...['dagster', 'dagster-webserver', 'dagster-airlift'].map((name) => `${name} ${installedVersion(venvs.dagster, name)}`),
  ].join(', ');
}

/** A row for `npm run bench -- --real FILE`, with the runs behind it. */
interface Entry {
  readonly what: string;
  readonly measured: string;
  readonly preset?: Preset;
  readonly runs?: readonly Measurement[];
}

function entry(preset: Preset, kase: Case, runs: readonly Measurement[]): Entry {
  const seen = runs.map((run) => run.dagsterShowsMs).filter((value): value is number => value !== undefined);
  const airflow = runs.map((run) => run.airflowShowsMs).filter((value): value is number => value !== undefined);
  const missed = runs.length - seen.length;
  const results = [...new Set(runs.map((run) => run.result ?? `exit ${run.exitCode}`))].join(', ');
  return {
    what: `Airflow 2, ${PRESETS[preset].label}, ${CASE_LABEL[kase]}: action start -> Dagster shows it`,
    measured: `${spread(seen)} (median, min–max of ${seen.length} run(s)${missed ? `; ${missed} never shown` : ''}); Airflow showed it at ${spread(airflow)}; the action exited at ${spread(runs.map((run) => run.actionExitMs))}, ${results}`,
    preset,
    runs,
  };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  if (!existsSync(BUNDLE)) throw new Error('dist/index.js is missing: run npm run build first.');
  const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
  const deadline = Date.now() + flags.maxMinutes * 60_000;
  const fresh: Entry[] = [];
  for (const preset of flags.presets) {
    const world = await startWorld(preset, flags.runs, log);
    const byCase = new Map<Case, Measurement[]>(flags.cases.map((kase) => [kase, []]));
    const longest = new Map<Case, number>();
    try {
      runs: for (let run = 1; run <= flags.runs; run++) {
        for (const kase of flags.cases) {
          // A run with default intervals can take minutes: none is started that would end past the budget.
          if (Date.now() + (longest.get(kase) ?? 0) > deadline) {
            log(`stopping before run ${run} of ${kase}: --max-minutes ${flags.maxMinutes} would be exceeded`);
            break runs;
          }
          const measured = await measure(world, preset, kase, run);
          byCase.get(kase)!.push(measured);
          longest.set(kase, Math.max(longest.get(kase) ?? 0, measured.actionExitMs));
          log(`${preset} ${kase} #${run}: Dagster ${ms(measured.dagsterShowsMs ?? Number.NaN)}, Airflow ${ms(measured.airflowShowsMs ?? Number.NaN)}, action exit ${ms(measured.actionExitMs)} (${measured.result ?? `exit ${measured.exitCode}`})`);
        }
      }
    } finally {
      await world.stop();
    }
    for (const [kase, runs] of byCase) if (runs.length) fresh.push(entry(preset, kase, runs));
  }

  // Presets measured in an earlier sitting stay; those measured now replace theirs.
  const earlier = existsSync(flags.out) ? (JSON.parse(readFileSync(flags.out, 'utf8')) as Entry[]) : [];
  const kept = earlier.filter((old) => old.preset !== undefined && !fresh.some((now) => now.preset === old.preset));
  const tested: Entry = { what: 'Tested against', measured: versions() };
  const measuredOn: Entry = { what: 'Measured', measured: `${new Date().toISOString().slice(0, 10)}, 2-core machine shared with other work; ${path.basename(process.execPath)} ${process.version}` };
  mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
  writeFileSync(flags.out, `${JSON.stringify([tested, measuredOn, ...kept, ...fresh], null, 2)}\n`);
  for (const row of fresh) console.log(`${row.what}\n  ${row.measured}`);
  log(`Wrote ${flags.out}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
