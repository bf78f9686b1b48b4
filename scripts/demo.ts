// `npm run demo`: the bundled action, run exactly as a GitHub runner runs it,
// against the Airflow and Dagster simulators and a real git repository. A push
// adds a DAG, removes one and changes the tasks of a third; the action waits
// for Airflow to parse it and reloads the one affected code location.
import { runAction } from '../__tests__/support/run-action.js';
import { LOCATION, OTHER_LOCATION, startScenario } from '../sim/scenario.js';

const scenario = await startScenario({ apiVersion: 'v2', dagster: 'dagster-plus', parseDelayMs: 1500, reloadMs: 800 });
try {
  console.log(`Airflow 3 simulator: ${scenario.airflow.url}`);
  console.log(`Dagster+ simulator:  ${scenario.dagster.url}`);
  console.log(`DAGs repository:     ${scenario.repo.dir}`);
  console.log(`Push:                ${scenario.base.slice(0, 7)}..${scenario.head.slice(0, 7)} (adds new_reporting, removes legacy_export, changes orders_etl)\n`);

  scenario.publishHead();
  const run = await runAction({
    inputs: { ...scenario.inputs, 'poll-interval': '250ms' },
    eventName: 'push',
    payload: scenario.payload,
    workspace: scenario.repo.dir,
    sha: scenario.head,
  });

  console.log('──── action log ────');
  process.stdout.write(run.stdout.replace(/^::(?:add-mask|set-output)::.*\n/gm, ''));
  if (run.stderr) process.stdout.write(run.stderr);
  console.log('\n──── job summary (GITHUB_STEP_SUMMARY) ────');
  console.log(run.summary);
  console.log('──── outputs (GITHUB_OUTPUT) ────');
  for (const [name, value] of Object.entries(run.outputs)) console.log(`${name}: ${value}`);
  console.log('\n──── Dagster reloads ────');
  for (const name of [LOCATION, OTHER_LOCATION, 'analytics']) console.log(`${name}: ${scenario.dagster.location(name).reloads} reload(s)`);
  console.log(`\nexit code ${run.exitCode} after ${(run.elapsedMs / 1000).toFixed(1)} s`);
  process.exitCode = run.exitCode;
} finally {
  await scenario.close();
}
