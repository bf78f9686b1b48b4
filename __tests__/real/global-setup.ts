// Installs the real systems once before the suites (a warm cache only checks them) and prints the
// exact versions this run is against.
import { installedVersion, installVenvs } from './install.js';

export default function setup(): void {
  const venvs = installVenvs();
  const versions = [
    ['apache-airflow (Airflow 3)', installedVersion(venvs.airflow3, 'apache-airflow')],
    ['apache-airflow-providers-standard', installedVersion(venvs.airflow3, 'apache-airflow-providers-standard')],
    ['apache-airflow (Airflow 2)', installedVersion(venvs.airflow2, 'apache-airflow')],
    ['dagster', installedVersion(venvs.dagster, 'dagster')],
    ['dagster-webserver', installedVersion(venvs.dagster, 'dagster-webserver')],
    ['dagster-airlift', installedVersion(venvs.dagster, 'dagster-airlift')],
  ];
  console.log(`Real systems under test:\n${versions.map(([name, version]) => `  ${name} ${version}`).join('\n')}`);
}
