// Real Airflow 2 (webserver + scheduler, basic auth, /api/v1) and Airflow 3 (api-server +
// dag-processor, JWT from the simple auth manager, /api/v2) on SQLite, reading the DAGs folder of a
// real git repository, with short parse intervals so a commit shows within seconds.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, runCommand, startServer, waitFor, type Server } from './processes.js';

export const AIRFLOW_USER = 'admin';
export const AIRFLOW_PASSWORD = 'real-tier-password';

export interface RealAirflow {
  readonly major: 2 | 3;
  readonly url: string;
  readonly dagsFolder: string;
  /** Headers that authenticate a REST request (basic auth, or a fresh JWT). */
  authHeaders(): Promise<Record<string, string>>;
  /** GET a REST path under /api/v1 or /api/v2. */
  get(apiPath: string): Promise<unknown>;
  stop(): Promise<void>;
}

interface Options {
  readonly venv: string;
  readonly home: string;
  readonly dagsFolder: string;
  readonly logDir: string;
}

/**
 * Airflow 2's parse intervals in seconds (AIRFLOW__SCHEDULER__* and AIRFLOW__CORE__*); one left out
 * keeps Airflow's default (dag_dir_list_interval 300, min_file_process_interval 30,
 * min_serialized_dag_update_interval 30, min_serialized_dag_fetch_interval 10).
 */
export interface ParseIntervals {
  readonly dagDirList?: number;
  readonly minFileProcess?: number;
  readonly minSerializedDagUpdate?: number;
  readonly minSerializedDagFetch?: number;
}

/** The tier's: re-list the folder every 2 s and re-parse a known file after 1 s, so a commit shows within seconds. */
export const FAST_PARSING: ParseIntervals = { dagDirList: 2, minFileProcess: 1, minSerializedDagUpdate: 1, minSerializedDagFetch: 1 };

function intervalEnv(intervals: ParseIntervals): Record<string, string> {
  const names = {
    dagDirList: 'AIRFLOW__SCHEDULER__DAG_DIR_LIST_INTERVAL',
    minFileProcess: 'AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL',
    minSerializedDagUpdate: 'AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL',
    minSerializedDagFetch: 'AIRFLOW__CORE__MIN_SERIALIZED_DAG_FETCH_INTERVAL',
  } as const;
  return Object.fromEntries(Object.entries(intervals).map(([key, seconds]) => [names[key as keyof ParseIntervals], String(seconds)]));
}

/** One entry of Airflow 3's `[dag_processor] dag_bundle_config_list`. */
export interface BundleConfig {
  readonly name: string;
  readonly classpath: string;
  readonly kwargs: Readonly<Record<string, unknown>>;
}

interface Airflow3Options extends Options {
  /** The DAG bundles; default Airflow's own (one local bundle, `dags-folder`, on dagsFolder). */
  readonly bundles?: readonly BundleConfig[];
}

function baseEnv(options: Options): NodeJS.ProcessEnv {
  return {
    PATH: `${path.join(options.venv, 'bin')}:${process.env.PATH ?? ''}`,
    HOME: process.env.HOME,
    AIRFLOW_HOME: options.home,
    AIRFLOW__CORE__DAGS_FOLDER: options.dagsFolder,
    AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
    AIRFLOW__LOGGING__LOGGING_LEVEL: 'WARNING',
  };
}

async function stopAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(servers.map((server) => server.stop()));
}

/** Waits until the REST API answers with the credentials; stops the servers when it never does. */
async function ready(major: 2 | 3, url: string, dagsFolder: string, authHeaders: () => Promise<Record<string, string>>, servers: readonly Server[]): Promise<RealAirflow> {
  const get = async (apiPath: string) => {
    const response = await fetch(`${url}/api/v${major === 2 ? 1 : 2}${apiPath}`, { headers: await authHeaders() });
    if (!response.ok) throw new Error(`GET ${apiPath}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<unknown>;
  };
  try {
    await waitFor(`Airflow ${major}`, async () => (await get('/dags')) !== undefined, 180_000, () => servers.map((server) => server.tail()).join('\n'));
  } catch (error) {
    await stopAll(servers);
    throw error;
  }
  return { major, url, dagsFolder, authHeaders, get, stop: () => stopAll(servers) };
}

export async function startAirflow2(options: Options & { readonly parseIntervals?: ParseIntervals }): Promise<RealAirflow> {
  mkdirSync(options.home, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = {
    ...baseEnv(options),
    AIRFLOW__API__AUTH_BACKENDS: 'airflow.api.auth.backend.basic_auth',
    ...intervalEnv(options.parseIntervals ?? FAST_PARSING),
    AIRFLOW__SCHEDULER__PARSING_PROCESSES: '1',
    AIRFLOW__WEBSERVER__WORKERS: '1',
    AIRFLOW__WEBSERVER__SECRET_KEY: 'real-tier-secret-key',
  };
  const run = { cwd: options.home, env, logDir: options.logDir };
  await runCommand('airflow2-migrate', 'airflow', ['db', 'migrate'], run);
  await runCommand('airflow2-user', 'airflow', ['users', 'create', '--role', 'Admin', '--username', AIRFLOW_USER, '--password', AIRFLOW_PASSWORD, '--email', 'admin@example.invalid', '--firstname', 'A', '--lastname', 'Dmin'], run);
  const servers = [startServer('airflow2-webserver', 'airflow', ['webserver', '-H', '127.0.0.1', '-p', String(port)], run), startServer('airflow2-scheduler', 'airflow', ['scheduler'], run)];
  const authHeaders = () => Promise.resolve({ Authorization: `Basic ${Buffer.from(`${AIRFLOW_USER}:${AIRFLOW_PASSWORD}`).toString('base64')}` });
  return ready(2, url, options.dagsFolder, authHeaders, servers);
}

export async function startAirflow3(options: Airflow3Options): Promise<RealAirflow> {
  mkdirSync(options.home, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // The simple auth manager reads its users' passwords from this file, generating it when missing.
  const passwords = path.join(options.home, 'simple_auth_manager_passwords.json.generated');
  writeFileSync(passwords, JSON.stringify({ [AIRFLOW_USER]: AIRFLOW_PASSWORD }));
  const env = {
    ...baseEnv(options),
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS: `${AIRFLOW_USER}:admin`,
    AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE: passwords,
    // Every process must sign and check tokens with the same secrets.
    AIRFLOW__API_AUTH__JWT_SECRET: 'real-tier-jwt-secret-0123456789abcdef',
    AIRFLOW__API__SECRET_KEY: 'real-tier-secret-key',
    AIRFLOW__CORE__EXECUTION_API_SERVER_URL: `${url}/execution/`,
    // Re-list the bundle every 2 s and re-parse a known file after 1 s (defaults 300 s and 30 s).
    AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL: '2',
    AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL: '1',
    AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL: '1',
    AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES: '1',
    AIRFLOW__CORE__MIN_SERIALIZED_DAG_UPDATE_INTERVAL: '1',
    // Bundles that clone (git) keep their clones here; the default, <tmp>/airflow/dag_bundles, is
    // shared by every Airflow on the machine.
    AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_STORAGE_PATH: path.join(options.home, 'dag_bundles'),
    ...(options.bundles ? { AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST: JSON.stringify(options.bundles) } : {}),
  };
  const run = { cwd: options.home, env, logDir: options.logDir };
  await runCommand('airflow3-migrate', 'airflow', ['db', 'migrate'], run);
  const servers = [startServer('airflow3-api-server', 'airflow', ['api-server', '-H', '127.0.0.1', '-p', String(port), '-w', '1'], run)];
  servers.push(startServer('airflow3-dag-processor', 'airflow', ['dag-processor'], run));
  const authHeaders = async () => {
    const response = await fetch(`${url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: AIRFLOW_USER, password: AIRFLOW_PASSWORD }) });
    if (response.status !== 201) throw new Error(`POST /auth/token: ${response.status} ${await response.text()}`);
    return { Authorization: `Bearer ${((await response.json()) as { access_token: string }).access_token}` };
  };
  return ready(3, url, options.dagsFolder, authHeaders, servers);
}
