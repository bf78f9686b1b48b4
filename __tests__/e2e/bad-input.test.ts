// Bad input, one run through the bundle per category (issue 7): every input is
// validated before any network call, so the simulators receive nothing; the run
// fails with exit code 1, a summary that names the input and the fix, an error
// annotation, and a valid JSON report. (The input rules themselves are unit
// tested in __tests__/unit/inputs.test.ts.) An unknown code location needs
// Dagster's list of locations: it is checked right after that one query, before
// anything waits on Airflow, and nothing is reloaded.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAGSTER_TOKEN, LOCATION, OTHER_LOCATION } from '../../sim/scenario.js';
import type { ActionRun } from '../support/run-action.js';
import { act, cleanupOf, expectCleanFailure, expectNoSecretLeaks, openWorld, type TestContext, type World } from './harness.js';

function writeConfig(w: World, name: string, text: string): string {
  const file = path.join('.github', name);
  mkdirSync(path.join(w.workspace, '.github'), { recursive: true });
  writeFileSync(path.join(w.workspace, file), text);
  return file;
}

/** Ten levels of nine aliases each: 9^10 leaves once expanded. */
function aliasBomb(): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let level = 1; level < 10; level++) lines.push(`a${level}: &a${level} [${Array.from({ length: 9 }, () => `*a${level - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\ninstances: *a9\n`;
}

/** The single-instance Airflow inputs a config file replaces. */
const WITHOUT_SINGLE_AIRFLOW = { 'airflow-url': '', 'airflow-instance-name': '', 'airflow-username': '', 'airflow-password': '', 'dags-folder': '' };

function refusedBeforeSending(run: ActionRun, w: World, input: string, says: readonly (string | RegExp)[]): void {
  expectCleanFailure(run, 'inputs', says);
  expect(run.report!.failures[0]!.input).toBe(input);
  expect(run.summary).toContain(`${input}`);
  expect(w.s.airflow.requests, 'requests to Airflow').toEqual([]);
  expect(w.s.dagster.operations, 'requests to Dagster').toEqual([]);
  expect(run.report!.range).toMatchObject({ kind: 'skip' });
  expectNoSecretLeaks(run, w);
}

interface Case {
  readonly category: string;
  readonly input: string;
  readonly inputs: (w: World) => Record<string, string>;
  readonly says: readonly (string | RegExp)[];
  readonly eventName?: string;
}

const CASES: readonly Case[] = [
  { category: 'a malformed URL', input: 'airflow-url', inputs: () => ({ 'airflow-url': 'airflow.example.com/api' }), says: ['is not a URL', 'https://'] },
  { category: 'a URL that is not http(s)', input: 'dagster-cloud-url', inputs: () => ({ 'dagster-cloud-url': 'ftp://dagster.example.com/prod' }), says: ['not http(s)'] },
  { category: 'credentials in a URL', input: 'airflow-url', inputs: () => ({ 'airflow-url': 'https://admin:hunter2hunter2@airflow.example.com' }), says: ['has credentials in it'] },
  {
    category: 'plain http to a non-loopback host',
    input: 'airflow-url',
    inputs: () => ({ 'airflow-url': 'http://airflow.example.com' }),
    says: ['plain http to airflow.example.com', 'allow-insecure-http: true'],
  },
  {
    category: 'both dagster-url and a Dagster+ organization',
    input: 'dagster-url',
    inputs: (w) => ({ 'dagster-url': w.s.dagster.baseUrl }),
    says: ['Both dagster-url and dagster-cloud-organization are set'],
  },
  { category: 'half of the Airflow credentials', input: 'airflow-username/airflow-password', inputs: () => ({ 'airflow-username': '' }), says: ['Only half of'] },
  { category: 'a malformed header line', input: 'airflow-headers', inputs: () => ({ 'airflow-headers': 'X-Api-Key abc123' }), says: ['airflow-headers line 1 is not a header line', 'Name: value'] },
  {
    category: 'a config file that is not valid YAML',
    input: 'config',
    inputs: (w) => ({ ...WITHOUT_SINGLE_AIRFLOW, config: writeConfig(w, 'airlift-broken.yml', 'instances:\n  - name: prod\n     url: [unclosed\n') }),
    says: ['is not valid YAML', 'Fix the YAML syntax'],
  },
  {
    category: 'a config file with an unknown key',
    input: 'config',
    inputs: (w) => ({ ...WITHOUT_SINGLE_AIRFLOW, config: writeConfig(w, 'airlift-typo.yml', 'instances:\n  - name: prod\n    dags-folder: dags\n    code-location: [airlift_prod]\n') }),
    says: [/line 4: instances\.0\.code-location/, 'allowed keys'],
  },
  {
    category: 'a config file that is a YAML alias bomb',
    input: 'config',
    inputs: (w) => ({ ...WITHOUT_SINGLE_AIRFLOW, config: writeConfig(w, 'airlift-bomb.yml', aliasBomb()) }),
    says: ['uses YAML aliases (*name) that expand too far', 'without nested aliases'],
  },
  {
    category: 'a config path that is a folder',
    input: 'config',
    inputs: (w) => ({ ...WITHOUT_SINGLE_AIRFLOW, config: path.dirname(writeConfig(w, 'airlift.yml', 'instances: []\n')) }),
    says: ['The config file .github is a folder', 'relative to the repository root'],
  },
  { category: 'a config path that is a device (/dev/zero)', input: 'config', inputs: () => ({ ...WITHOUT_SINGLE_AIRFLOW, config: '/dev/zero' }), says: ['The config file /dev/zero is outside the repository'] },
  { category: 'a config path outside the workspace (/etc/passwd)', input: 'config', inputs: () => ({ ...WITHOUT_SINGLE_AIRFLOW, config: '/etc/passwd' }), says: ['The config file /etc/passwd is outside the repository'] },
  { category: 'a config path that climbs out of the workspace', input: 'config', inputs: () => ({ ...WITHOUT_SINGLE_AIRFLOW, config: '../../x' }), says: ['The config file ../../x is outside the repository'] },
  {
    category: 'a config file that links out of the workspace',
    input: 'config',
    inputs: (w) => {
      mkdirSync(path.join(w.workspace, '.github'), { recursive: true });
      symlinkSync('/dev/zero', path.join(w.workspace, '.github', 'airlift-zero.yml'));
      return { ...WITHOUT_SINGLE_AIRFLOW, config: '.github/airlift-zero.yml' };
    },
    says: ['is a link to /dev/zero, outside the repository'],
  },
  {
    category: 'a config file that is a FIFO',
    input: 'config',
    inputs: (w) => {
      mkdirSync(path.join(w.workspace, '.github'), { recursive: true });
      execFileSync('mkfifo', [path.join(w.workspace, '.github', 'airlift-fifo.yml')]);
      return { ...WITHOUT_SINGLE_AIRFLOW, config: '.github/airlift-fifo.yml' };
    },
    says: ['The config file .github/airlift-fifo.yml is not a regular file'],
  },
  {
    category: 'a config file far larger than a config',
    input: 'config',
    inputs: (w) => ({ ...WITHOUT_SINGLE_AIRFLOW, config: writeConfig(w, 'airlift-huge.yml', `# ${'x'.repeat(300 * 1024)}\ninstances: []\n`) }),
    says: ['is larger than 256 KiB'],
  },
  { category: 'a DAGs folder that does not exist', input: 'dags-folder', inputs: () => ({ 'dags-folder': 'dagz' }), says: ['The DAGs folder "dagz" does not exist', 'actions/checkout'] },
  { category: 'a duration that is not one', input: 'airflow-timeout', inputs: () => ({ 'airflow-timeout': 'ten minutes' }), says: ['is not a duration', '90s, 10m, 1h'] },
  { category: 'a boolean that is not one', input: 'dry-run', inputs: () => ({ 'dry-run': 'maybe' }), says: ['is not a boolean'] },
];

describe.concurrent('bad input is refused before any request', () => {
  for (const entry of CASES) {
    it(`refuses ${entry.category} before sending anything`, async (ctx: TestContext) => {
      const w = await openWorld(cleanupOf(ctx));
      const run = await act(w, entry.inputs(w));
      refusedBeforeSending(run, w, entry.input, entry.says);
    });
  }

  it('refuses an event it does not handle (issues) before sending anything', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    const run = await act(w, {}, { eventName: 'issues', payload: { action: 'opened', issue: { number: 1 } } });
    expectCleanFailure(run, 'inputs', ['The issues event is not supported', 'push, pull_request']);
    expect(w.s.airflow.requests).toEqual([]);
    expect(w.s.dagster.operations).toEqual([]);
    expectNoSecretLeaks(run, w);
  });

  for (const event of [
    { kind: 'truncated', text: (w: World) => JSON.stringify(w.s.payload).slice(0, 40), says: /is truncated or not JSON \(40 bytes\)/ },
    { kind: 'empty', text: () => '', says: /is empty/ },
    { kind: 'missing', text: undefined, says: /does not exist/ },
  ]) {
    it(`says the event file is ${event.kind}, naming it, instead of a field the event lacks`, async (ctx) => {
      const w = await openWorld(cleanupOf(ctx));
      const folder = mkdtempSync(path.join(os.tmpdir(), 'airlift-event-'));
      ctx.onTestFinished(() => rmSync(folder, { recursive: true, force: true }));
      const eventPath = path.join(folder, 'event.json');
      if (event.text) writeFileSync(eventPath, event.text(w));
      else if (event.kind === 'empty') writeFileSync(eventPath, '');
      const run = await act(w, {}, { env: { GITHUB_EVENT_PATH: eventPath } });
      // The summary escapes the underscores of GITHUB_EVENT_PATH as Markdown; the report keeps them.
      expectCleanFailure(run, 'inputs', [`The event file ${eventPath} (GITHUB_EVENT_PATH)`, event.says]);
      expect(run.report!.failures[0]!.input).toBe('GITHUB_EVENT_PATH');
      expect(run.summary).toContain(eventPath);
      expect(run.summary).not.toContain('expected string');
      expect(w.s.airflow.requests).toEqual([]);
      expect(w.s.dagster.operations).toEqual([]);
      expectNoSecretLeaks(run, w);
    });
  }

  it('names an unknown code location right after discovery, waits for nothing, and reloads nothing', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    // Airflow never catches up: a run that waited for it would take airflow-timeout.
    w.s.publishHead({ never: true });
    const run = await act(w, { 'code-locations': 'airlift_prd', 'airflow-timeout': '30s' });
    expectCleanFailure(run, 'dagster', ['Dagster has no code location named "airlift_prd"', `"${LOCATION}"`, 'case-sensitive']);
    expect(run.report!.failures.find((failure) => failure.stage === 'dagster')!.input).toBe('code-locations');
    expect(w.s.dagster.operations.map((operation) => operation.operationName)).toEqual(['AirliftSyncCapabilities', 'AirliftSyncWorkspace']);
    expect(w.s.dagster.location(LOCATION).reloads).toBe(0);
    expect(w.s.dagster.location(OTHER_LOCATION).reloads).toBe(0);
    // Connected, but never polled: the wait for the push did not start.
    expect(w.s.airflow.requests.filter((request) => request.apiPath.endsWith('/dags'))).toEqual([]);
    expectNoSecretLeaks(run, w);
  });

  it('masks the secrets of inputs it refuses', async (ctx) => {
    const w = await openWorld(cleanupOf(ctx));
    const run = await act(w, { 'dagster-url': w.s.dagster.baseUrl });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(`::add-mask::${DAGSTER_TOKEN}`);
    expectNoSecretLeaks(run, w);
  });
});
