// The bundle's entry. It says at once what the run is for, then loads the action: 0.26 MB of
// JavaScript at start (zod/mini, the DAG reader), more only when the run reads YAML or talks to
// Airflow or Dagster, and the log should not sit silent meanwhile. Plain stdout: the action's
// runner I/O (src/runner.ts) is part of what this line runs ahead of.
const { GITHUB_EVENT_NAME: event, GITHUB_REF: ref, GITHUB_SHA: sha } = process.env;
process.stdout.write(`airlift-sync: ${event ? `${event}${ref ? ` to ${ref}` : ''}${sha ? ` at ${sha.slice(0, 12)}` : ''}` : 'started outside a workflow run'}\n`);

import('./main.js').catch((error: unknown) => {
  // Only a broken bundle lands here (a chunk missing next to index.js).
  process.stdout.write(`::error::airlift-sync could not load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
