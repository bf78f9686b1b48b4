// Runs the bundled dist/index.js as the GitHub runner does (the runner
// environment of __tests__/support/run-action.ts), and records
// what the benchmark needs on top: when each log line arrived, the time from
// spawn to exit, and the child's peak memory from /usr/bin/time.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BUNDLE, readStepResults, runnerEnvironment } from '../__tests__/support/run-action.js';
import type { RunReport } from '../src/outcome.js';

export const TIME_BIN = '/usr/bin/time';

export interface TimedLine {
  /** ms since the child was spawned. */
  readonly at: number;
  readonly text: string;
}

export interface BenchActionRun {
  readonly exitCode: number;
  readonly lines: readonly TimedLine[];
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly report?: RunReport;
  /** Spawn to exit. */
  readonly wallMs: number;
  /** Peak resident set of the node process, bytes; undefined without /usr/bin/time. */
  readonly maxRssBytes?: number;
  /** CPU time of the node process (user + system), ms; undefined without /usr/bin/time. */
  readonly cpuMs?: number;
  /** Resident set sampled from /proc every 20 ms: [ms since spawn, bytes]. Empty where /proc is missing. */
  readonly rssSamples: readonly (readonly [number, number])[];
}

export interface BenchActionOptions {
  /** The bundle to run; default dist/index.js. */
  readonly bundle?: string;
  readonly inputs: Readonly<Record<string, string>>;
  readonly payload: unknown;
  readonly workspace: string;
  readonly sha: string;
  readonly env?: Readonly<Record<string, string>>;
  /** Called for every stdout line as it arrives (e.g. to let Airflow parse when the action starts waiting). */
  readonly onLine?: (line: TimedLine) => void;
}

export async function runBundle(options: BenchActionOptions): Promise<BenchActionRun> {
  const { env, files } = runnerEnvironment(
    { inputs: options.inputs, eventName: 'push', payload: options.payload, workspace: options.workspace, sha: options.sha, env: options.env },
    'airlift-bench-runner-',
  );
  try {
    const rssFile = path.join(files.folder, 'usage');
    const measured = withPeakMemory(process.execPath, [options.bundle ?? BUNDLE], rssFile);
    const started = performance.now();
    const child = spawn(measured.command, measured.args, { env, cwd: options.workspace });
    const lines: TimedLine[] = [];
    let partial = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const at = performance.now() - started;
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      for (const text of parts) {
        const line = { at, text };
        lines.push(line);
        options.onLine?.(line);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const rssSamples: [number, number][] = [];
    const sampler = setInterval(() => {
      const rss = residentSet(child.pid, measured.command !== process.execPath);
      if (rss !== undefined) rssSamples.push([performance.now() - started, rss]);
    }, 20);
    const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    clearInterval(sampler);
    const wallMs = performance.now() - started;
    if (partial) lines.push({ at: wallMs, text: partial });

    const { outputs, report } = readStepResults(files);
    return {
      exitCode,
      lines,
      stderr,
      outputs,
      report,
      wallMs,
      ...readUsage(rssFile),
      rssSamples,
    };
  } finally {
    rmSync(files.folder, { recursive: true, force: true });
  }
}

/**
 * A copy of dist/ in a temp folder outside the repository, as a runner has it (no node_modules
 * anywhere above): the benchmark runs the bundle as it was when it started, whatever rebuilds
 * happen meanwhile (the wasm files and chunks are found next to index.js). When the copy cannot
 * load a module there, the bundle is not self-contained: `missing` names it, and the copy is made
 * inside the repository instead (under .tmp/, where node_modules resolves) so the measurements
 * still run.
 */
export function snapshotBundle(repoRoot: string, bundle = BUNDLE): { bundle: string; missing?: string; remove: () => void } {
  const outside = copyDist(os.tmpdir(), bundle);
  const missing = missingModule(outside.bundle);
  if (!missing) return outside;
  outside.remove();
  mkdirSync(path.join(repoRoot, '.tmp'), { recursive: true });
  return { ...copyDist(path.join(repoRoot, '.tmp'), bundle), missing };
}

function copyDist(parent: string, bundle: string): { bundle: string; remove: () => void } {
  const dir = mkdtempSync(path.join(parent, 'airlift-bench-dist-'));
  cpSync(path.dirname(bundle), dir, { recursive: true });
  return { bundle: path.join(dir, path.basename(bundle)), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Loads the bundle with no inputs (it stops at the inputs check) and reports a module it could not find. */
function missingModule(bundle: string): string | undefined {
  const result = spawnSync(process.execPath, [bundle], { cwd: path.dirname(bundle), env: { PATH: process.env.PATH ?? '' }, encoding: 'utf8', timeout: 30_000 });
  return /Cannot find (?:module|package) '([^']+)'/.exec(`${result.stderr}\n${result.stdout}`)?.[1];
}

/**
 * Any command under the same wrapper as the action, spawn to exit: `node -e 0` and `git diff`, the
 * floors the action's whole-process times are compared with.
 */
export async function runProcess(command: string, args: readonly string[], cwd = os.tmpdir()): Promise<{ wallMs: number; exitCode: number; maxRssBytes?: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'airlift-bench-floor-'));
  try {
    const rss = path.join(dir, 'rss');
    const measured = withPeakMemory(command, args, rss);
    const started = performance.now();
    const child = spawn(measured.command, measured.args, { stdio: 'ignore', cwd, env: { PATH: process.env.PATH ?? '' } });
    const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
    return { wallMs: performance.now() - started, exitCode, ...readUsage(rss) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `node -e 0`: what any Node program costs before its first line of code. */
export function runNodeNoop(): Promise<{ wallMs: number; maxRssBytes?: number }> {
  return runProcess(process.execPath, ['-e', '0']);
}

/** VmRSS of the node process (the wrapper's child when wrapped), in bytes. */
function residentSet(pid: number | undefined, wrapped: boolean): number | undefined {
  if (pid === undefined) return undefined;
  try {
    let target = pid;
    if (wrapped) {
      const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
      if (!children) return undefined;
      target = Number(children.split(' ')[0]);
    }
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${target}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** GNU time: %M is the peak resident set size in KiB, %U and %S the user and system CPU seconds. */
function withPeakMemory(command: string, args: readonly string[], output: string): { command: string; args: string[] } {
  if (!existsSync(TIME_BIN)) return { command, args: [...args] };
  return { command: TIME_BIN, args: ['-f', '%M %U %S', '-o', output, command, ...args] };
}

function readUsage(file: string): { maxRssBytes?: number; cpuMs?: number } {
  if (!existsSync(file)) return {};
  // A non-zero exit adds a "Command exited with ..." line first.
  const [kib, user, system] = (readFileSync(file, 'utf8').trim().split('\n').pop() ?? '').split(' ').map(Number);
  return {
    ...(Number.isFinite(kib) ? { maxRssBytes: kib! * 1024 } : {}),
    ...(Number.isFinite(user) && Number.isFinite(system) ? { cpuMs: (user! + system!) * 1000 } : {}),
  };
}
