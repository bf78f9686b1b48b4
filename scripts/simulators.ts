// `npm run simulators -- FILE`: the demo world's Airflow 3 and Dagster+ simulators on
// 127.0.0.1, kept up until SIGTERM or SIGINT. Once both listen, FILE gets the action inputs
// that reach them, one `name=value` per line (the format of GITHUB_OUTPUT), so a workflow
// can start this in the background and run the action itself (`uses: ./`) against them:
// .github/workflows/test-action.yml does.
import { writeFileSync } from 'node:fs';
import { startScenario } from '../sim/scenario.js';

const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: npm run simulators -- FILE   (FILE receives the action inputs, name=value per line)');
  process.exit(2);
}

const scenario = await startScenario({ apiVersion: 'v2', dagster: 'dagster-plus' });
const shutdown = () => {
  void scenario.close().finally(() => process.exit(0));
};
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);

// The scenario's DAGs folder and GitHub token belong to its own repository; the workflow's run reads its own checkout.
const ownRepository = new Set(['dags-folder', 'github-token']);
const inputs = Object.entries(scenario.inputs).filter(([name]) => !ownRepository.has(name));
writeFileSync(file, inputs.map(([name, value]) => `${name}=${value}\n`).join(''));
console.log(`Airflow 3 simulator ${scenario.airflow.url}, Dagster+ simulator ${scenario.dagster.url}: inputs in ${file}`);
