// Inputs and the optional config file, validated into one typed Config before
// anything is sent anywhere. Every error names the input (or config key and
// line) and says how to fix it.
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod/mini';
import { readConfigText } from './config-source.js';
import './zod-messages.js';
import type { AirflowAuth } from './airflow/auth.js';
import { isLoopback } from './http.js';
import { ActionError } from './model.js';
import type { NotChecked } from './outcome.js';

export type ApiVersionSetting = 'auto' | 'v1' | 'v2';
export type IgnoreSyntaxSetting = 'auto' | 'regexp' | 'glob';

export interface AirflowConnectionConfig {
  readonly url: URL;
  readonly auth: AirflowAuth;
  readonly headers: Readonly<Record<string, string>>;
  readonly apiVersion: ApiVersionSetting;
  /** Airflow 2: the container folder that `fileloc` starts with; undefined = detect. */
  readonly dagsPrefix?: string;
  /** Names of the inputs (or config keys) to point at in errors. */
  readonly urlInput: string;
  readonly authInput: string;
}

export interface AirflowInstanceConfig {
  /** dagster-airlift's AirflowInstance name; undefined = the one instance Dagster mirrors. */
  readonly name: string | undefined;
  /** Undefined when no Airflow URL was given: the live comparison is skipped. */
  readonly airflow?: AirflowConnectionConfig;
  readonly dagsFolders: readonly string[];
  readonly ignoreSyntax: IgnoreSyntaxSetting;
  /** Code locations the config file says peer to this instance. */
  readonly codeLocations: readonly string[];
}

export type DagsterConfig =
  | {
      readonly kind: 'dagster-plus';
      readonly endpoint: URL;
      readonly uiUrl: URL;
      readonly headers: Readonly<Record<string, string>>;
      readonly authInput: string;
      readonly urlInput: string;
    }
  | {
      readonly kind: 'self-hosted';
      readonly endpoint: URL;
      readonly uiUrl: URL;
      readonly headers: Readonly<Record<string, string>>;
      readonly authInput: string;
      readonly urlInput: string;
    };

/** The workflow that rebuilds and redeploys the Dagster project, for Airflow state baked into the image. */
export interface RebuildConfig {
  readonly owner: string;
  readonly repo: string;
  /** The workflow file name (deploy.yml), which GitHub's API takes as the workflow id. */
  readonly workflow: string;
  /** workflow_dispatch on a ref, or repository_dispatch with an event type (the workflow runs on the default branch). */
  readonly trigger: { readonly kind: 'workflow_dispatch'; readonly ref: string } | { readonly kind: 'repository_dispatch'; readonly eventType: string };
  readonly token: string;
  /** The input the token came from: rebuild-token, or github-token when that is empty. */
  readonly tokenInput: 'rebuild-token' | 'github-token';
  /** GitHub's REST API (GITHUB_API_URL on the runner; GitHub Enterprise Server differs). */
  readonly apiUrl: URL;
  /** rebuild-timeout: from the dispatch until the run completes. */
  readonly timeoutMs: number;
}

export interface Config {
  readonly instances: readonly AirflowInstanceConfig[];
  /** Undefined when no Dagster deployment or no Dagster+ token was given: `notChecked` says which. */
  readonly dagster?: DagsterConfig;
  /** What cannot be compared for lack of an input or a secret (a fork pull request): the run then only plans. */
  readonly notChecked: readonly NotChecked[];
  /** Locations named by `code-locations`: only these are considered. */
  readonly codeLocations: readonly string[];
  readonly dryRun: boolean;
  readonly failOnImportErrors: boolean;
  readonly includeTags: boolean;
  readonly commentOnPullRequest: boolean;
  readonly airflowTimeoutMs: number;
  /**
   * airflow-parse-margin: when only a parse time is left as evidence, a parse counts only if it
   * ended this long after the push (git-sync and bundle refreshes lag, and files are re-parsed on a timer).
   */
  readonly parseMarginMs: number;
  readonly reloadTimeoutMs: number;
  /** First pause between status polls; undefined: 1 s for Airflow (backing off), 5 s for Dagster. */
  readonly pollIntervalMs?: number;
  readonly githubToken: string;
  /** state-refresh-timeout: how long refreshComponentState may take, polling included. */
  readonly stateRefreshTimeoutMs: number;
  readonly rebuild?: RebuildConfig;
}

export interface InputSource {
  /** The raw input value, '' when unset (like src/runner.ts's getInput). */
  input(name: string): string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Called with every secret and every value derived from one, before it is used. */
  mask(secret: string): void;
  /** Where relative paths (config, dags folders) are resolved. */
  readonly workspace: string;
}

export async function readConfig(given: InputSource): Promise<Config> {
  // Every secret input is masked first, once, before any check can fail and before anything is printed.
  const masked = new Set<string>();
  const source: InputSource = {
    ...given,
    mask: (value) => {
      if (masked.has(value)) return;
      masked.add(value);
      given.mask(value);
    },
  };
  maskSecretInputs(source);
  const allowInsecureHttp = readBoolean(source, 'allow-insecure-http', false);
  const dryRun = readBoolean(source, 'dry-run', false);
  const configPath = source.input('config').trim();
  const instances = configPath
    ? await readConfigFile(source, configPath, allowInsecureHttp)
    : [readSingleInstance(source, allowInsecureHttp)];
  const { dagster, notChecked: dagsterUnchecked } = readDagster(source, allowInsecureHttp);
  // A missing URL or secret (as on a fork pull request) is not an error: the push is still read and
  // reported, nothing is reloaded, and a notice names the input to set.
  const notChecked: NotChecked[] = instances.flatMap((instance, index) =>
    instance.airflow
      ? []
      : [
          {
            system: 'airflow' as const,
            ...(instance.name ? { instance: instance.name } : {}),
            message: `No Airflow URL is set${instance.name ? ` for instance "${instance.name}"` : ''}: Airflow was not compared, and Dagster is not reloaded before Airflow shows the push.`,
            input: configPath ? `config instances[${index}].url` : 'airflow-url',
          },
        ],
  );
  if (dagsterUnchecked) notChecked.push(dagsterUnchecked);
  for (const instance of instances) {
    for (const folder of instance.dagsFolders) checkDagsFolder(source.workspace, folder, configPath ? 'config' : 'dags-folder');
  }
  const rebuild = readRebuild(source);
  return {
    instances,
    dagster,
    notChecked,
    codeLocations: readList(source.input('code-locations')),
    dryRun,
    failOnImportErrors: readBoolean(source, 'fail-on-import-errors', true),
    includeTags: readBoolean(source, 'include-tags', false),
    commentOnPullRequest: readBoolean(source, 'comment-on-pull-request', true),
    airflowTimeoutMs: readDuration(source, 'airflow-timeout', 600_000),
    parseMarginMs: readDuration(source, 'airflow-parse-margin', 30_000, true),
    reloadTimeoutMs: readDuration(source, 'reload-timeout', 600_000),
    ...(source.input('poll-interval').trim() ? { pollIntervalMs: readDuration(source, 'poll-interval', 0) } : {}),
    githubToken: secret(source, source.input('github-token').trim()),
    stateRefreshTimeoutMs: readDuration(source, 'state-refresh-timeout', 300_000),
    ...(rebuild ? { rebuild } : {}),
  };
}

// owner/repo/.github/workflows/file.yml@ref, as a `uses:` line names a reusable workflow.
const WORKFLOW_REF = /^([A-Za-z0-9-]+)\/([\w.-]+)\/\.github\/workflows\/([\w.-]+\.ya?ml)(?:@(\S+))?$/;

function readRebuild(source: InputSource): RebuildConfig | undefined {
  const raw = source.input('rebuild-workflow').trim();
  const eventType = source.input('rebuild-event-type').trim();
  const ownToken = secret(source, source.input('rebuild-token').trim());
  if (!raw) {
    const stray = eventType ? 'rebuild-event-type' : ownToken ? 'rebuild-token' : undefined;
    if (stray) {
      throw new ActionError(
        `${stray} is set but rebuild-workflow is empty.`,
        'Set rebuild-workflow to the workflow that rebuilds and deploys the Dagster project, e.g. acme/dagster-project/.github/workflows/deploy.yml@main.',
        'rebuild-workflow',
      );
    }
    return undefined;
  }
  const match = WORKFLOW_REF.exec(raw);
  if (!match) {
    throw new ActionError(
      `rebuild-workflow "${raw}" does not name a workflow file.`,
      'Write it as OWNER/REPO/.github/workflows/FILE.yml@REF, e.g. acme/dagster-project/.github/workflows/deploy.yml@main.',
      'rebuild-workflow',
    );
  }
  const [, owner = '', repo = '', workflow = '', ref] = match;
  if (eventType.length > 100) {
    throw new ActionError('rebuild-event-type is longer than 100 characters.', 'GitHub takes event types of at most 100 characters: use a short name such as airlift-rebuild.', 'rebuild-event-type');
  }
  let trigger: RebuildConfig['trigger'];
  if (eventType) trigger = { kind: 'repository_dispatch', eventType };
  else if (ref) trigger = { kind: 'workflow_dispatch', ref };
  else {
    throw new ActionError(
      `rebuild-workflow "${raw}" has no @REF to run the workflow on.`,
      `Add the branch or tag, e.g. ${raw}@main (or set rebuild-event-type to start it with repository_dispatch, which runs on the default branch).`,
      'rebuild-workflow',
    );
  }
  const token = ownToken || source.input('github-token').trim();
  if (!token) {
    throw new ActionError(
      'rebuild-workflow is set but there is no token to start it with.',
      `Set rebuild-token to a token with Actions: write on ${owner}/${repo}${eventType ? ' (Contents: write for repository_dispatch)' : ''}, from a secret.`,
      'rebuild-token',
    );
  }
  const apiUrl = source.env.GITHUB_API_URL?.trim() || 'https://api.github.com';
  if (!URL.canParse(apiUrl)) {
    throw new ActionError(`GITHUB_API_URL "${apiUrl}" is not a URL.`, 'Leave GITHUB_API_URL as the runner sets it.', 'rebuild-workflow');
  }
  return {
    owner,
    repo,
    workflow,
    trigger,
    token,
    tokenInput: ownToken ? 'rebuild-token' : 'github-token',
    apiUrl: new URL(apiUrl),
    timeoutMs: readDuration(source, 'rebuild-timeout', 1_800_000),
  };
}

function readSingleInstance(source: InputSource, allowInsecureHttp: boolean): AirflowInstanceConfig {
  const rawUrl = source.input('airflow-url').trim();
  const name = source.input('airflow-instance-name').trim() || undefined;
  if (name !== undefined) checkInstanceName(name, 'airflow-instance-name');
  const username = source.input('airflow-username').trim();
  const password = secret(source, source.input('airflow-password'));
  const token = secret(source, source.input('airflow-token').trim());
  const headers = readHeaders(source, source.input('airflow-headers'), 'airflow-headers');
  const dagsPrefix = source.input('airflow-dags-prefix').trim() || undefined;
  const base = {
    name,
    dagsFolders: readFolders(source.input('dags-folder') || 'dags', 'dags-folder'),
    ignoreSyntax: readEnum(source, 'airflow-ignore-syntax', ['auto', 'regexp', 'glob'] as const, 'auto'),
    codeLocations: [],
  };
  if (!rawUrl) {
    if (username || password || token || Object.keys(headers).length > 0) {
      throw new ActionError(
        'Airflow credentials were given but airflow-url is empty.',
        'Set airflow-url to the Airflow webserver URL, or remove the airflow credentials.',
        'airflow-url',
      );
    }
    return base;
  }
  const url = readUrl(rawUrl, 'airflow-url', allowInsecureHttp, Boolean(password || token || Object.keys(headers).length));
  return {
    ...base,
    airflow: {
      url,
      auth: readAirflowAuth(source, username, password, token, 'airflow-username/airflow-password', 'airflow-token'),
      headers,
      apiVersion: readEnum(source, 'airflow-api-version', ['auto', 'v1', 'v2'] as const, 'auto'),
      dagsPrefix,
      urlInput: 'airflow-url',
      authInput: authInputName(username, token, headers, 'airflow-username/airflow-password', 'airflow-token', 'airflow-headers'),
    },
  };
}

function readAirflowAuth(
  source: InputSource,
  username: string,
  password: string,
  token: string,
  passwordInput: string,
  tokenInput: string,
): AirflowAuth {
  if (token && (username || password)) {
    throw new ActionError(
      `Both ${tokenInput} and ${passwordInput} are set.`,
      `Use one: ${tokenInput} for a bearer token (Astronomer, Cloud Composer), or ${passwordInput} for basic auth / Airflow 3 login.`,
      tokenInput,
    );
  }
  if (token) return { kind: 'bearer', token };
  if (username || password) {
    if (!username || !password) {
      throw new ActionError(
        `Only half of ${passwordInput} is set.`,
        `Set both the username and the password (from a secret).`,
        passwordInput,
      );
    }
    // Airflow 2 sends this exact value in the Authorization header: mask it too.
    source.mask(Buffer.from(`${username}:${password}`).toString('base64'));
    return { kind: 'password', username, password };
  }
  return { kind: 'none' };
}

function authInputName(
  username: string,
  token: string,
  headers: Record<string, string>,
  passwordInput: string,
  tokenInput: string,
  headersInput: string,
): string {
  if (token) return tokenInput;
  if (username) return passwordInput;
  if (Object.keys(headers).length) return headersInput;
  return `${passwordInput} or ${tokenInput}`;
}

function readDagster(source: InputSource, allowInsecureHttp: boolean): { dagster?: DagsterConfig; notChecked?: NotChecked } {
  const rawUrl = source.input('dagster-url').trim();
  const organization = source.input('dagster-cloud-organization').trim();
  // dagster-cloud-url names the deployment on its own: it overrides organization, region and deployment.
  const cloudUrl = source.input('dagster-cloud-url').trim();
  const headers = readHeaders(source, source.input('dagster-headers'), 'dagster-headers');
  if (rawUrl && (organization || cloudUrl)) {
    const other = organization ? 'dagster-cloud-organization' : 'dagster-cloud-url';
    throw new ActionError(
      `Both dagster-url and ${other} are set.`,
      'Use dagster-cloud-organization (with dagster-cloud-deployment and dagster-cloud-api-token) or dagster-cloud-url for Dagster+, or dagster-url for a self-hosted Dagster, not both.',
      'dagster-url',
    );
  }
  if (organization || cloudUrl) {
    const base = cloudUrl ? readUrl(cloudUrl, 'dagster-cloud-url', allowInsecureHttp, true).href.replace(/\/graphql\/?$/, '').replace(/\/?$/, '/') : dagsterPlusUrl(source, organization);
    const urlInput = cloudUrl ? 'dagster-cloud-url' : 'dagster-cloud-organization';
    const token = secret(source, source.input('dagster-cloud-api-token').trim() || (source.env.DAGSTER_CLOUD_API_TOKEN ?? '').trim());
    if (!token) {
      return {
        notChecked: {
          system: 'dagster',
          message: `${urlInput} is set but dagster-cloud-api-token is empty (a pull request from a fork gets no secrets): Dagster was not compared or reloaded.`,
          input: 'dagster-cloud-api-token',
        },
      };
    }
    return {
      dagster: {
        kind: 'dagster-plus',
        endpoint: new URL('graphql', base),
        uiUrl: new URL(base),
        headers: { ...headers, 'Dagster-Cloud-Api-Token': token },
        authInput: 'dagster-cloud-api-token',
        urlInput,
      },
    };
  }
  if (rawUrl) {
    const url = readUrl(rawUrl, 'dagster-url', allowInsecureHttp, Object.keys(headers).length > 0);
    const base = url.href.replace(/\/graphql\/?$/, '').replace(/\/?$/, '/');
    return {
      dagster: {
        kind: 'self-hosted',
        endpoint: new URL('graphql', base),
        uiUrl: new URL(base),
        headers,
        authInput: 'dagster-headers',
        urlInput: 'dagster-url',
      },
    };
  }
  return {
    notChecked: {
      system: 'dagster',
      message: 'No Dagster deployment is configured: the code locations were not compared or reloaded.',
      input: 'dagster-cloud-organization (Dagster+) or dagster-url (self-hosted)',
    },
  };
}

/** https://ORG[.eu].dagster.cloud/DEPLOYMENT/ from the organization, region and deployment inputs. */
function dagsterPlusUrl(source: InputSource, organization: string): string {
  if (!/^[a-z0-9][a-z0-9-]*$/i.test(organization)) {
    throw new ActionError(
      `dagster-cloud-organization "${organization}" is not an organization name.`,
      'Give only the ORG part of https://ORG.dagster.cloud, not a URL.',
      'dagster-cloud-organization',
    );
  }
  const deployment = source.input('dagster-cloud-deployment').trim() || 'prod';
  if (!/^[\w-]+$/.test(deployment)) {
    throw new ActionError(
      `dagster-cloud-deployment "${deployment}" is not a deployment name.`,
      'Give the deployment name as the Dagster+ UI shows it (prod, or a branch deployment name).',
      'dagster-cloud-deployment',
    );
  }
  const region = readEnum(source, 'dagster-cloud-region', ['us', 'eu'] as const, 'us');
  return `https://${organization}.${region === 'eu' ? 'eu.' : ''}dagster.cloud/${deployment}/`;
}

function readUrl(raw: string, input: string, allowInsecureHttp: boolean, carriesCredentials: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ActionError(`${input} "${raw}" is not a URL.`, `Give a full URL such as https://airflow.example.com.`, input);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ActionError(`${input} uses ${url.protocol}, not http(s).`, `Give an https:// URL.`, input);
  }
  if (url.username || url.password) {
    throw new ActionError(
      `${input} has credentials in it.`,
      'Remove them from the URL and pass them through the credential inputs, from secrets.',
      input,
    );
  }
  if (url.protocol === 'http:' && !isLoopback(url) && !allowInsecureHttp && carriesCredentials) {
    throw new ActionError(
      `${input} is plain http to ${url.hostname}: credentials would cross the network unencrypted.`,
      `Use https://, or set allow-insecure-http: true if the network path is private and you accept the risk.`,
      input,
    );
  }
  url.search = '';
  url.hash = '';
  return url;
}

/** Parses `Name: value` lines. Values are secrets: auth proxies put keys and cookies there. */
function readHeaders(source: InputSource, raw: string, input: string): Record<string, string> {
  const headers: Record<string, string> = {};
  raw.split(/\r?\n/).forEach((line, index) => {
    if (!line.trim() || line.trim().startsWith('#')) return;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new ActionError(
        `${input} line ${index + 1} is not a header line.`,
        'Write one header per line as `Name: value`, for example `X-Api-Key: ${{ secrets.KEY }}`.',
        input,
      );
    }
    const value = line.slice(colon + 1).trim();
    secret(source, value);
    headers[name] = value;
  });
  return headers;
}

function maskSecretInputs(source: InputSource): void {
  secret(source, source.input('airflow-password'));
  for (const name of ['airflow-token', 'dagster-cloud-api-token', 'github-token', 'rebuild-token']) secret(source, source.input(name).trim());
  secret(source, (source.env.DAGSTER_CLOUD_API_TOKEN ?? '').trim());
  for (const name of ['airflow-headers', 'dagster-headers']) {
    for (const line of source.input(name).split(/\r?\n/)) {
      const colon = line.indexOf(':');
      if (colon > 0 && !line.trim().startsWith('#')) secret(source, line.slice(colon + 1).trim());
    }
  }
}

function secret(source: InputSource, value: string): string {
  if (value) source.mask(value);
  return value;
}

function readBoolean(source: InputSource, input: string, fallback: boolean): boolean {
  const raw = source.input(input).trim().toLowerCase();
  if (!raw) return fallback;
  if (['true', 'yes', 'on', '1'].includes(raw)) return true;
  if (['false', 'no', 'off', '0'].includes(raw)) return false;
  throw new ActionError(`${input} "${raw}" is not a boolean.`, `Set ${input} to true or false.`, input);
}

function readEnum<T extends string>(source: InputSource, input: string, allowed: readonly T[], fallback: T): T {
  const raw = source.input(input).trim();
  if (!raw) return fallback;
  if ((allowed as readonly string[]).includes(raw)) return raw as T;
  throw new ActionError(`${input} "${raw}" is not one of ${allowed.join(', ')}.`, `Set ${input} to one of ${allowed.join(', ')}.`, input);
}

export function parseDuration(raw: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/i.exec(raw.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's').toLowerCase() as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(match[1]) * unit);
}

function readDuration(source: InputSource, input: string, fallback: number, zeroAllowed = false): number {
  const raw = source.input(input).trim();
  if (!raw) return fallback;
  const ms = parseDuration(raw);
  if (ms === undefined || ms < 0 || (ms === 0 && !zeroAllowed)) {
    throw new ActionError(`${input} "${raw}" is not a duration.`, `Give seconds (600) or a number with a unit (90s, 10m, 1h).`, input);
  }
  return ms;
}

function readList(raw: string): string[] {
  return [...new Set(raw.split(/[\n,]/).map((item) => item.trim()).filter(Boolean))];
}

function readFolders(raw: string, input: string): string[] {
  return readList(raw).map((folder) => {
    const normal = path.posix.normalize(folder.replace(/\\/g, '/')).replace(/\/$/, '');
    if (path.posix.isAbsolute(normal) || normal === '..' || normal.startsWith('../')) {
      throw new ActionError(`${input} "${folder}" is outside the repository.`, 'Give the folder relative to the repository root, e.g. dags.', input);
    }
    return normal === '.' ? '' : normal;
  });
}

function checkDagsFolder(workspace: string, folder: string, input: string): void {
  const full = path.join(workspace, folder);
  if (!existsSync(full) || !statSync(full).isDirectory()) {
    throw new ActionError(
      `The DAGs folder "${folder || '.'}" does not exist in the checked-out repository (${workspace}).`,
      `Set ${input} to the folder that holds the DAG files, relative to the repository root, and check out the repository (actions/checkout) before this step.`,
      input,
    );
  }
}

function checkInstanceName(name: string, where: string): void {
  if (!/^[\w.-]+$/.test(name)) {
    throw new ActionError(`${where} "${name}" is not an Airflow instance name.`, 'Use the name given to AirflowInstance(name=...) in the Dagster code.', where);
  }
}

// ---- the config file ----------------------------------------------------

const envName = z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name'));
const folderList = z.union([z.string(), z.array(z.string()).check(z.minLength(1))]);

const instanceSchema = z.strictObject({
  name: z.string().check(z.regex(/^[\w.-]+$/, 'must be the AirflowInstance name (letters, digits, _ . -)')),
  url: z.optional(z.string()),
  'api-version': z.optional(z.enum(['auto', 'v1', 'v2'])),
  'dags-folder': z.optional(folderList),
  'ignore-syntax': z.optional(z.enum(['auto', 'regexp', 'glob'])),
  'dags-prefix': z.optional(z.string()),
  'code-locations': z.optional(z.array(z.string())),
  auth: z.optional(
    z.strictObject({
      'username-env': z.optional(envName),
      'password-env': z.optional(envName),
      'token-env': z.optional(envName),
      'headers-env': z.optional(envName),
    }),
  ),
});

const configFileSchema = z.strictObject({
  instances: z.array(instanceSchema).check(z.minLength(1)),
});

type InstanceEntry = z.infer<typeof instanceSchema>;

async function readConfigFile(source: InputSource, configPath: string, allowInsecureHttp: boolean): Promise<AirflowInstanceConfig[]> {
  for (const single of ['airflow-url', 'airflow-username', 'airflow-password', 'airflow-token', 'airflow-headers', 'airflow-instance-name']) {
    if (source.input(single).trim()) {
      throw new ActionError(
        `Both config and ${single} are set.`,
        `Put every Airflow instance in the config file, or use the single-instance inputs without config.`,
        single,
      );
    }
  }
  const text = readConfigText(source.workspace, configPath);
  // YAML is loaded only for a config file: most runs have none, and it is about 10 ms of start-up.
  const { parseConfigYaml } = await import('./config-yaml.js');
  const document = parseConfigYaml(text, configPath);
  const parsed = configFileSchema.safeParse(document.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const keyPath = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') keyPath.push(issue.keys[0]!);
    const line = document.lineOf(keyPath);
    throw new ActionError(
      `The config file ${configPath}${line ? ` line ${line}` : ''}: ${keyPath.join('.') || 'top level'}: ${issue.message}.`,
      'See the config file reference in the README for the allowed keys.',
      'config',
    );
  }
  const names = new Set<string>();
  return parsed.data.instances.map((entry, index) => {
    if (names.has(entry.name)) {
      throw new ActionError(
        `The config file ${configPath} line ${document.lineOf(['instances', String(index), 'name']) ?? '?'}: instance "${entry.name}" is listed twice.`,
        'Give each Airflow instance once.',
        'config',
      );
    }
    names.add(entry.name);
    return instanceFromEntry(source, entry, index, allowInsecureHttp);
  });
}

function instanceFromEntry(source: InputSource, entry: InstanceEntry, index: number, allowInsecureHttp: boolean): AirflowInstanceConfig {
  const key = `instances[${index}]`;
  const fromEnv = (name: string | undefined, what: string): string => {
    if (!name) return '';
    const value = source.env[name];
    if (value === undefined || value === '') {
      throw new ActionError(
        `The config file's ${key}.auth.${what} names the environment variable ${name}, which is not set.`,
        `Map the secret to it in the step: env: { ${name}: \${{ secrets.${name} }} }.`,
        'config',
      );
    }
    return value;
  };
  const username = fromEnv(entry.auth?.['username-env'], 'username-env').trim();
  const password = secret(source, fromEnv(entry.auth?.['password-env'], 'password-env'));
  const token = secret(source, fromEnv(entry.auth?.['token-env'], 'token-env').trim());
  const headers = readHeaders(source, fromEnv(entry.auth?.['headers-env'], 'headers-env'), `${key}.auth.headers-env`);
  const folders = entry['dags-folder'] ?? 'dags';
  const base = {
    name: entry.name,
    dagsFolders: readFolders(Array.isArray(folders) ? folders.join('\n') : folders, `config ${key}.dags-folder`),
    ignoreSyntax: entry['ignore-syntax'] ?? 'auto',
    codeLocations: entry['code-locations'] ?? [],
  };
  if (!entry.url) return base;
  return {
    ...base,
    airflow: {
      url: readUrl(entry.url, `config ${key}.url`, allowInsecureHttp, Boolean(password || token || Object.keys(headers).length)),
      auth: readAirflowAuth(source, username, password, token, `${key}.auth.username-env/password-env`, `${key}.auth.token-env`),
      headers,
      apiVersion: entry['api-version'] ?? 'auto',
      dagsPrefix: entry['dags-prefix'],
      urlInput: `config ${key}.url`,
      authInput: `config ${key}.auth`,
    },
  };
}
