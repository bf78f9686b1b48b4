// The real systems' virtual environments: real/install.sh installs them from the committed lock
// files into a cache folder outside the clone (AIRLIFT_SYNC_REAL_CACHE) and names them.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface Venvs {
  readonly airflow3: string;
  readonly airflow2: string;
  readonly dagster: string;
}

export function installVenvs(): Venvs {
  const out = execFileSync(path.join(ROOT, 'real/install.sh'), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const venvs = Object.fromEntries(out.trim().split('\n').map((line) => line.split('=') as [string, string]));
  return { airflow3: venvs.airflow3!, airflow2: venvs.airflow2!, dagster: venvs.dagster! };
}

/** The installed version of a distribution in a venv, as pip's metadata records it. */
export function installedVersion(venv: string, distribution: string): string {
  return execFileSync(path.join(venv, 'bin/python'), ['-c', `import importlib.metadata as m; print(m.version(${JSON.stringify(distribution)}))`], { encoding: 'utf8' }).trim();
}
