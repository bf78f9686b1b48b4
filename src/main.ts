// The action, loaded by src/index.ts, and the only module that talks to the runner after the
// entry's first line: inputs in, outputs, job summary, annotations and exit status out.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readEventPayload } from './event-file.js';
import { createRedactor } from './redact.js';
import { readConfig, type Config } from './inputs.js';
import { inert, type Logger } from './log.js';
import { ActionError } from './model.js';
import type { RunReport } from './outcome.js';
import { renderAnnotations, renderOutputs, renderSummary } from './report.js';
import type { RunContext } from './context.js';
import { inputFailureReport, run } from './run.js';
import * as runner from './runner.js';

// Everything written passes this: secrets the inputs named, in their encodings, and URL credentials.
const redactor = createRedactor();
const { redact } = redactor;

const logger: Logger = {
  info: (message) => runner.info(inert(redact(message))),
  // The runner drops ::debug:: lines unless step debugging is on (RUNNER_DEBUG): a large push
  // would otherwise write thousands of per-request lines nobody sees.
  debug: runner.isDebug() ? (message) => runner.debug(redact(message)) : () => undefined,
  warning: (message) => runner.warning(redact(message)),
  group: (name, work) => runner.group(redact(name), work),
};

async function main(): Promise<void> {
  let context = runContext();
  let report: RunReport;
  let config: Config | undefined;
  try {
    // Inputs first, so that their secrets are masked before any failure is written.
    const inputs = await readConfig({
      input: (name) => runner.getInput(name),
      env: process.env,
      mask: (secret) => {
        runner.setSecret(secret);
        redactor.add(secret);
      },
      workspace: context.workspace,
    });
    context = { ...context, payload: readEventPayload(process.env.GITHUB_EVENT_PATH, context.eventName) };
    config = inputs;
    report = await run(config, context, logger);
  } catch (error) {
    if (!(error instanceof ActionError)) throw error;
    report = inputFailureReport(context, error);
  }
  const written = redactor.redactDeep(report);
  await publish(written);
  if (config) await commentOnPullRequest(config, context, written);
}

async function commentOnPullRequest(config: Config, context: RunContext, report: RunReport): Promise<void> {
  if (!context.eventName.startsWith('pull_request') || !config.commentOnPullRequest) return;
  // Octokit is loaded only here (and for the API fallback): most runs never need it.
  const { pullRequestNumber, upsertPlanComment } = await import('./github/comment.js');
  const number = pullRequestNumber(context.payload);
  const [owner, repo] = (context.repository ?? '').split('/');
  if (number === undefined || !owner || !repo) return;
  if (!config.githubToken) {
    runner.info('No github-token: the plan is in the job summary only.');
    return;
  }
  const outcome = await upsertPlanComment({ token: config.githubToken, apiUrl: context.apiUrl, owner, repo, number }, renderSummary(report));
  runner.info(inert(redact('done' in outcome ? `Plan comment ${outcome.done} on pull request #${number}.` : `Plan comment skipped: ${outcome.skipped}.`)));
}

/** The run's context before the event file is read: the payload comes once it is known to be whole. */
function runContext(): RunContext {
  return {
    eventName: process.env.GITHUB_EVENT_NAME ?? '',
    payload: {},
    workspace: process.env.GITHUB_WORKSPACE ?? process.cwd(),
    sha: process.env.GITHUB_SHA ?? '',
    repository: process.env.GITHUB_REPOSITORY,
    serverUrl: process.env.GITHUB_SERVER_URL ?? 'https://github.com',
    apiUrl: process.env.GITHUB_API_URL ?? 'https://api.github.com',
    startedAt: Date.now(),
  };
}

async function publish(report: RunReport): Promise<void> {
  const folder = process.env.RUNNER_TEMP || os.tmpdir();
  mkdirSync(folder, { recursive: true });
  const reportPath = path.join(folder, `airlift-sync-report-${process.env.GITHUB_RUN_ID ?? process.pid}-${process.env.GITHUB_ACTION ?? 'step'}.json`);
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);

  for (const [name, value] of Object.entries(renderOutputs(report, reportPath))) runner.setOutput(name, value);
  for (const annotation of renderAnnotations(report)) {
    const properties = { title: annotation.title, file: annotation.file, startLine: annotation.line, startColumn: annotation.column };
    if (annotation.level === 'error') runner.error(annotation.message, properties);
    else if (annotation.level === 'warning') runner.warning(annotation.message, properties);
    else runner.notice(annotation.message, properties);
  }
  const summary = renderSummary(report);
  if (process.env.GITHUB_STEP_SUMMARY) {
    try {
      runner.appendSummary(summary);
    } catch (error) {
      runner.warning(`Could not write the job summary: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  runner.info(`result: ${report.result} · report: ${reportPath}`);
  if (report.result === 'failed') {
    const first = report.failures[0];
    runner.setFailed(first ? `${first.message} Fix: ${first.fix}` : 'airlift-sync failed.');
  }
}

main().catch((error: unknown) => {
  // Only a bug lands here: every expected failure is reported above.
  runner.setFailed(redact(`airlift-sync crashed: ${error instanceof Error ? error.message : String(error)}`));
});
