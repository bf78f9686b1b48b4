// The runner's side of the workflow-command protocol, for exactly what src/main.ts uses: inputs,
// masks, log lines, groups, annotations, outputs, the job summary and the exit status, written as
// @actions/core 3.0 writes them (https://docs.github.com/actions/reference/workflow-commands-for-github-actions).
//
// Why not @actions/core: its entry module imports its OIDC client at load, and with it
// @actions/http-client, tunnel and undici (0.4 MB, and Node's http, https, tls and http2
// modules), though no run asks for an OIDC token. That was most of the chunk every run loads
// first: without it a one-file dry run took 48 ms less CPU here (286 to 238 ms, same sitting), and
// issue 16's target is the whole process. The toolkit cannot be loaded without it (its package
// exports only the entry), so these few writes are done here.
import { appendFileSync, existsSync } from 'node:fs';
import { EOL } from 'node:os';
import { unusedToken } from './fence.js';

export interface AnnotationProperties {
  readonly title?: string;
  readonly file?: string;
  readonly startLine?: number;
  readonly startColumn?: number;
}

/** The value of an action input, trimmed; '' when unset. */
export function getInput(name: string): string {
  return (process.env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

/** Step debugging is on: the runner shows ::debug:: lines. */
export function isDebug(): boolean {
  return process.env.RUNNER_DEBUG === '1';
}

export function setSecret(secret: string): void {
  command('add-mask', {}, secret);
}

export function info(message: string): void {
  process.stdout.write(`${message}${EOL}`);
}

export function debug(message: string): void {
  command('debug', {}, message);
}

export function notice(message: string, properties: AnnotationProperties = {}): void {
  command('notice', annotation(properties), message);
}

export function warning(message: string, properties: AnnotationProperties = {}): void {
  command('warning', annotation(properties), message);
}

export function error(message: string, properties: AnnotationProperties = {}): void {
  command('error', annotation(properties), message);
}

/** Fails the step: an error annotation, and exit status 1 once the process ends. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  error(message);
}

export async function group<T>(name: string, work: () => Promise<T>): Promise<T> {
  command('group', {}, name);
  try {
    return await work();
  } finally {
    command('endgroup', {}, '');
  }
}

/** A step output, in GITHUB_OUTPUT's `name<<delimiter` form (or the old command without that file). */
export function setOutput(name: string, value: string): void {
  const file = process.env.GITHUB_OUTPUT;
  if (!file) {
    process.stdout.write(EOL);
    command('set-output', { name }, value);
    return;
  }
  // A value holding the delimiter would end the block early.
  const delimiter = `ghadelimiter_${unusedToken(`${name}\n${value}`)}`;
  appendToFile(file, `${name}<<${delimiter}${EOL}${value}${EOL}${delimiter}${EOL}`);
}

/** Appends markdown to the job summary (GITHUB_STEP_SUMMARY). */
export function appendSummary(markdown: string): void {
  const file = process.env.GITHUB_STEP_SUMMARY;
  if (!file) throw new Error('Unable to find environment variable for $GITHUB_STEP_SUMMARY. Check if your runtime environment supports job summaries.');
  appendToFile(file, markdown);
}

function appendToFile(file: string, text: string): void {
  if (!existsSync(file)) throw new Error(`Missing file at path: ${file}`);
  appendFileSync(file, text, { encoding: 'utf8' });
}

function annotation(properties: AnnotationProperties): Record<string, string | number | undefined> {
  return { title: properties.title, file: properties.file, line: properties.startLine, col: properties.startColumn };
}

/** `::name key=value,...::message`, escaped so that a value cannot end the command or start another. */
function command(name: string, properties: Record<string, string | number | undefined>, message: string): void {
  const set = Object.entries(properties).filter(([, value]) => value !== undefined && value !== '' && value !== 0);
  const props = set.length ? ` ${set.map(([key, value]) => `${key}=${escapeProperty(String(value))}`).join(',')}` : '';
  process.stdout.write(`::${name}${props}::${escapeData(message)}${EOL}`);
}

function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
