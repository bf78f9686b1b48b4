// Runs the bundled dist/index.js as the GitHub runner does: INPUT_* variables,
// GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY, RUNNER_TEMP.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunReport } from '../../src/outcome.js';

export const BUNDLE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/index.js');

export interface ActionRun {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly outputs: Record<string, string>;
  readonly summary: string;
  readonly report?: RunReport;
  readonly elapsedMs: number;
}

export interface ActionOptions {
  readonly inputs: Readonly<Record<string, string>>;
  readonly eventName: string;
  readonly payload: unknown;
  readonly workspace: string;
  readonly sha?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly debug?: boolean;
  /** The bundle to run; default dist/index.js of this repository. */
  readonly bundle?: string;
  /** Called with all of stdout so far whenever more arrives: a test reacts to what the run says, not to a timer. */
  readonly onStdout?: (stdout: string) => void;
}

/** A runner's temp folder with the files a step reads and writes. */
export interface RunnerFiles {
  readonly folder: string;
  readonly event: string;
  readonly output: string;
  readonly summary: string;
}

function refOf(payload: unknown): string {
  const ref = typeof payload === 'object' && payload !== null ? (payload as { ref?: unknown }).ref : undefined;
  return typeof ref === 'string' ? ref : '';
}

/** The environment the GitHub runner gives a JavaScript action's step, and the files behind it. */
export function runnerEnvironment(options: Omit<ActionOptions, 'bundle'>, prefix = 'airlift-runner-'): { env: Record<string, string>; files: RunnerFiles } {
  const folder = mkdtempSync(path.join(os.tmpdir(), prefix));
  const files = { folder, event: path.join(folder, 'event.json'), output: path.join(folder, 'output'), summary: path.join(folder, 'summary.md') };
  writeFileSync(files.event, JSON.stringify(options.payload));
  writeFileSync(files.output, '');
  writeFileSync(files.summary, '');
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? folder,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: 'acme/airflow-dags',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_API_URL: 'http://127.0.0.1:9',
    GITHUB_SHA: options.sha ?? '',
    // The runner sets the ref for every event; a push's payload carries it.
    GITHUB_REF: refOf(options.payload),
    GITHUB_RUN_ID: '42',
    GITHUB_ACTION: 'airlift-sync',
    RUNNER_TEMP: folder,
    ...(options.debug ? { RUNNER_DEBUG: '1', ACTIONS_STEP_DEBUG: 'true' } : {}),
    ...options.env,
  };
  for (const [name, value] of Object.entries(options.inputs)) env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value;
  return { env, files };
}

/** The outputs, and the JSON report they name, that a finished step left behind. */
export function readStepResults(files: RunnerFiles): { outputs: Record<string, string>; report?: RunReport } {
  const outputs = parseOutputFile(readFileSync(files.output, 'utf8'));
  const reportPath = outputs['report-path'];
  return { outputs, ...(reportPath && existsSync(reportPath) ? { report: JSON.parse(readFileSync(reportPath, 'utf8')) as RunReport } : {}) };
}

export async function runAction(options: ActionOptions): Promise<ActionRun> {
  const { env, files } = runnerEnvironment(options);
  const started = Date.now();
  const child = spawn(process.execPath, [options.bundle ?? BUNDLE], { env, cwd: options.workspace });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    options.onStdout?.(stdout);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exitCode = await new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return { exitCode, stdout, stderr, ...readStepResults(files), summary: readFileSync(files.summary, 'utf8'), elapsedMs: Date.now() - started };
}

/** Reads the `name<<delimiter ... delimiter` blocks the action (src/runner.ts) writes to GITHUB_OUTPUT. */
export function parseOutputFile(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^<=]+)<<(.+)$/.exec(lines[i]!);
    if (!match) continue;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== match[2]; i++) value.push(lines[i]!);
    outputs[match[1]!] = value.join('\n');
  }
  return outputs;
}
