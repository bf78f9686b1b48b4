import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseDuration, readConfig, type InputSource } from '../../src/inputs.js';
import { ActionError } from '../../src/model.js';

let workspace: string;
beforeAll(() => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'airlift-inputs-'));
  mkdirSync(path.join(workspace, 'dags'));
  mkdirSync(path.join(workspace, 'team_a'));
});

function source(inputs: Record<string, string>, env: Record<string, string> = {}): InputSource & { masked: string[] } {
  const masked: string[] = [];
  return { input: (name) => inputs[name] ?? '', env, mask: (secret) => masked.push(secret), workspace, masked };
}

const airflow = { 'airflow-url': 'https://airflow.example.com' };
const dagsterPlus = { ...airflow, 'dagster-cloud-organization': 'hooli', 'dagster-cloud-api-token': 'user:tok3n' };

async function failure(inputs: Record<string, string>, env: Record<string, string> = {}): Promise<ActionError> {
  try {
    await readConfig(source(inputs, env));
  } catch (error) {
    if (error instanceof ActionError) return error;
    throw error;
  }
  throw new Error('readConfig accepted the inputs');
}

describe('readConfig', () => {
  it('builds the Dagster+ endpoint from organization, deployment and region, and masks the token', async () => {
    const inputs = source({ ...dagsterPlus, 'dagster-cloud-deployment': 'feature-branch-12', 'dagster-cloud-region': 'eu' });
    const config = await readConfig(inputs);
    expect(config.dagster).toMatchObject({ kind: 'dagster-plus' });
    expect(config.dagster!.endpoint.href).toBe('https://hooli.eu.dagster.cloud/feature-branch-12/graphql');
    expect(config.dagster!.headers['Dagster-Cloud-Api-Token']).toBe('user:tok3n');
    expect(inputs.masked).toContain('user:tok3n');
  });

  it('takes dagster-cloud-url alone as the Dagster+ deployment', async () => {
    const config = await readConfig(source({ ...airflow, 'dagster-cloud-url': 'https://hooli.dagster.cloud/staging', 'dagster-cloud-api-token': 'user:tok3n' }));
    expect(config.dagster).toMatchObject({ kind: 'dagster-plus', urlInput: 'dagster-cloud-url' });
    expect(config.dagster!.endpoint.href).toBe('https://hooli.dagster.cloud/staging/graphql');
    expect(config.notChecked).toEqual([]);
  });

  it.each([
    ['the quick start with empty secrets (a fork pull request)', { ...airflow, 'dagster-cloud-organization': 'hooli', 'dagster-cloud-api-token': '' }, [['dagster', 'dagster-cloud-api-token']]],
    ['no Airflow or Dagster input at all', {}, [['airflow', 'airflow-url'], ['dagster', 'dagster-cloud-organization (Dagster+) or dagster-url (self-hosted)']]],
    ['no Airflow URL', { ...dagsterPlus, 'airflow-url': '' }, [['airflow', 'airflow-url']]],
  ])('accepts %s, saying what will not be checked and which input to set', async (_, inputs, expected) => {
    const config = await readConfig(source(inputs));
    expect(config.notChecked.map((entry) => [entry.system, entry.input])).toEqual(expected);
    expect(config.dryRun).toBe(false);
  });

  it('takes the Dagster+ token from DAGSTER_CLOUD_API_TOKEN when the input is empty', async () => {
    const config = await readConfig(source({ ...airflow, 'dagster-cloud-organization': 'hooli' }, { DAGSTER_CLOUD_API_TOKEN: 'from-env' }));
    expect(config.dagster!.headers['Dagster-Cloud-Api-Token']).toBe('from-env');
    expect(config.dagster!.endpoint.href).toBe('https://hooli.dagster.cloud/prod/graphql');
  });

  it('serves self-hosted GraphQL under dagster-url and masks custom header values', async () => {
    const inputs = source({ ...airflow, 'dagster-url': 'https://dagster.internal/prefix', 'dagster-headers': 'X-Api-Key: s3cret\nCookie: session=abc' });
    const config = await readConfig(inputs);
    expect(config.dagster!.endpoint.href).toBe('https://dagster.internal/prefix/graphql');
    expect(config.dagster!.headers).toEqual({ 'X-Api-Key': 's3cret', Cookie: 'session=abc' });
    expect(inputs.masked).toEqual(expect.arrayContaining(['s3cret', 'session=abc']));
  });

  it('masks the Airflow password and the basic-auth header derived from it', async () => {
    const inputs = source({ ...dagsterPlus, 'airflow-url': 'https://airflow.example.com', 'airflow-username': 'admin', 'airflow-password': 'pw' });
    await readConfig(inputs);
    expect(inputs.masked).toEqual(expect.arrayContaining(['pw', Buffer.from('admin:pw').toString('base64')]));
  });

  it.each([
    [{ ...dagsterPlus, 'dagster-url': 'https://d.example.com' }, 'dagster-url', /Both dagster-url and dagster-cloud-organization/],
    [{ 'dagster-url': 'not a url' }, 'dagster-url', /is not a URL/],
    [{ 'dagster-url': 'ftp://d.example.com' }, 'dagster-url', /ftp:/],
    [{ 'dagster-url': 'http://dagster.example.com', 'dagster-headers': 'X-Api-Key: k' }, 'dagster-url', /plain http/],
    [{ 'dagster-url': 'https://user:pw@d.example.com' }, 'dagster-url', /credentials in it/],
    [{ 'dagster-url': 'https://d.example.com', 'dagster-headers': 'no colon here' }, 'dagster-headers', /line 1 is not a header/],
    [{ ...dagsterPlus, 'airflow-url': 'https://a.example.com', 'airflow-token': 't', 'airflow-password': 'p', 'airflow-username': 'u' }, 'airflow-token', /Both/],
    [{ ...dagsterPlus, 'airflow-url': 'https://a.example.com', 'airflow-username': 'u' }, 'airflow-username/airflow-password', /half/],
    [{ ...dagsterPlus, 'airflow-url': '', 'airflow-token': 't' }, 'airflow-url', /airflow-url is empty/],
    [{ ...dagsterPlus, 'dags-folder': 'missing_folder' }, 'dags-folder', /does not exist/],
    [{ ...dagsterPlus, 'dags-folder': '../elsewhere' }, 'dags-folder', /outside the repository/],
    [{ ...dagsterPlus, 'dry-run': 'maybe' }, 'dry-run', /not a boolean/],
    [{ ...dagsterPlus, 'airflow-timeout': 'soon' }, 'airflow-timeout', /not a duration/],
    [{ ...dagsterPlus, 'airflow-url': 'https://a.example.com', 'airflow-api-version': 'v3' }, 'airflow-api-version', /not one of/],
  ])('rejects bad inputs before any request, naming the input (%#)', async (inputs, input, message) => {
    const error = await failure(inputs);
    expect(error.input).toBe(input);
    expect(error.message).toMatch(message);
    expect(error.fix.length).toBeGreaterThan(10);
  });

  it('allows plain http to loopback, and elsewhere only with allow-insecure-http', async () => {
    expect((await readConfig(source({ ...airflow, 'dagster-url': 'http://127.0.0.1:3000', 'dagster-headers': 'X-Api-Key: k' }))).dagster!.endpoint.href).toBe('http://127.0.0.1:3000/graphql');
    const config = await readConfig(source({ ...airflow, 'dagster-url': 'http://dagster.svc', 'dagster-headers': 'X-Api-Key: k', 'allow-insecure-http': 'true' }));
    expect(config.dagster!.endpoint.protocol).toBe('http:');
  });

  it('works without Airflow or Dagster inputs in a dry run (a pull request from a fork)', async () => {
    const config = await readConfig(source({ 'dry-run': 'true' }));
    expect(config).toMatchObject({ dryRun: true, dagster: undefined, instances: [{ name: undefined, dagsFolders: ['dags'] }] });
  });

  it('parses durations with and without units', () => {
    expect([parseDuration('600'), parseDuration('90s'), parseDuration('10m'), parseDuration('1h'), parseDuration('x')]).toEqual([600_000, 90_000, 600_000, 3_600_000, undefined]);
  });
});

describe('the config file', () => {
  function withConfig(text: string, inputs: Record<string, string> = {}, env: Record<string, string> = {}) {
    const file = `config-${Math.random().toString(36).slice(2)}.yml`;
    writeFileSync(path.join(workspace, file), text);
    return source({ ...dagsterPlus, 'airflow-url': '', config: file, ...inputs }, env);
  }

  it('reads several instances with credentials from environment variables', async () => {
    const inputs = withConfig(
      [
        'instances:',
        '  - name: warehouse',
        '    url: https://airflow-wh.example.com',
        '    dags-folder: dags',
        '    code-locations: [airlift_wh]',
        '    auth: { username-env: WH_USER, password-env: WH_PASSWORD }',
        '  - name: team_a',
        '    url: https://team-a.astronomer.run/d1',
        '    api-version: v2',
        '    ignore-syntax: glob',
        '    dags-folder: [team_a]',
        '    auth: { token-env: TEAM_A_TOKEN }',
      ].join('\n'),
      {},
      { WH_USER: 'svc', WH_PASSWORD: 'pw1', TEAM_A_TOKEN: 'astro-token' },
    );
    const config = await readConfig(inputs);
    expect(config.instances.map((i) => [i.name, i.airflow?.auth.kind, i.dagsFolders, i.codeLocations])).toEqual([
      ['warehouse', 'password', ['dags'], ['airlift_wh']],
      ['team_a', 'bearer', ['team_a'], []],
    ]);
    expect(inputs.masked).toEqual(expect.arrayContaining(['pw1', 'astro-token']));
  });

  it('names the line of an unknown key', async () => {
    const error = await readConfig(withConfig('instances:\n  - name: wh\n    url: https://a.example.com\n    pasword-env: X\n')).then(
      () => undefined,
      (e: unknown) => e as ActionError,
    );
    expect(error?.message).toMatch(/line 4: instances\.0\.pasword-env/);
    expect(error?.input).toBe('config');
  });

  it('names the line of a YAML syntax error', async () => {
    await expect(readConfig(withConfig('instances:\n  - name: wh\n   url: [unclosed\n'))).rejects.toThrow(/not valid YAML \(line \d\)/);
  });

  it('refuses a secret variable that is not set, and single-instance inputs next to the file', async () => {
    await expect(readConfig(withConfig('instances:\n  - name: wh\n    url: https://a.example.com\n    auth: { token-env: NOT_SET }\n'))).rejects.toThrow(/NOT_SET, which is not set/);
    await expect(readConfig(withConfig('instances:\n  - name: wh\n', { 'airflow-url': 'https://x.example.com' }))).rejects.toThrow(/Both config and airflow-url/);
  });

  it('refuses an instance listed twice', async () => {
    await expect(readConfig(withConfig('instances:\n  - name: wh\n  - name: wh\n'))).rejects.toThrow(/line 3: instance "wh" is listed twice/);
  });
});

describe('dagster-cloud-url', () => {
  it('overrides the Dagster+ host and still sends the token header', async () => {
    const config = await readConfig(source({ ...dagsterPlus, 'dagster-cloud-url': 'https://hooli.dagster.plus/staging' }));
    expect(config.dagster!.endpoint.href).toBe('https://hooli.dagster.plus/staging/graphql');
    expect(config.dagster!.headers['Dagster-Cloud-Api-Token']).toBe('user:tok3n');
  });
});

describe('rebuild-workflow', () => {
  const workflow = { ...dagsterPlus, 'rebuild-workflow': 'acme/dagster-project/.github/workflows/deploy.yml@main' };

  it('reads the workflow to dispatch, masks rebuild-token, and takes the API from GITHUB_API_URL', async () => {
    const inputs = source({ ...workflow, 'rebuild-token': 'ghp_r3build', 'rebuild-timeout': '45m' }, { GITHUB_API_URL: 'https://ghe.example.com/api/v3' });
    const config = await readConfig(inputs);
    expect(config.rebuild).toEqual({
      owner: 'acme',
      repo: 'dagster-project',
      workflow: 'deploy.yml',
      trigger: { kind: 'workflow_dispatch', ref: 'main' },
      token: 'ghp_r3build',
      tokenInput: 'rebuild-token',
      apiUrl: new URL('https://ghe.example.com/api/v3'),
      timeoutMs: 2_700_000,
    });
    expect(inputs.masked).toContain('ghp_r3build');
  });

  it('starts it with repository_dispatch when rebuild-event-type is set, and falls back to github-token and api.github.com', async () => {
    const config = await readConfig(source({ ...workflow, 'rebuild-workflow': 'acme/dagster-project/.github/workflows/deploy.yml', 'rebuild-event-type': 'airlift-rebuild', 'github-token': 'ghs_job' }));
    expect(config.rebuild).toMatchObject({
      trigger: { kind: 'repository_dispatch', eventType: 'airlift-rebuild' },
      token: 'ghs_job',
      tokenInput: 'github-token',
      timeoutMs: 1_800_000,
    });
    expect(config.rebuild!.apiUrl.href).toBe('https://api.github.com/');
  });

  it('is off by default, with a 5 minute state-refresh-timeout', async () => {
    const config = await readConfig(source(dagsterPlus));
    expect(config.rebuild).toBeUndefined();
    expect(config.stateRefreshTimeoutMs).toBe(300_000);
    expect((await readConfig(source({ ...dagsterPlus, 'state-refresh-timeout': '90s' }))).stateRefreshTimeoutMs).toBe(90_000);
  });

  it.each([
    ['a workflow that is not a file path', { 'rebuild-workflow': 'acme/dagster-project deploy' }, 'rebuild-workflow', /does not name a workflow file/, /OWNER\/REPO\/\.github\/workflows\/FILE\.yml@REF/],
    ['a workflow_dispatch without a ref', { 'rebuild-workflow': 'acme/dagster-project/.github/workflows/deploy.yml' }, 'rebuild-workflow', /no @REF/, /deploy\.yml@main/],
    ['no token at all', { 'rebuild-workflow': workflow['rebuild-workflow'], 'github-token': '' }, 'rebuild-token', /no token/, /Actions: write on acme\/dagster-project/],
    ['a rebuild-token without a workflow', { 'rebuild-token': 'ghp_x' }, 'rebuild-workflow', /rebuild-token is set but rebuild-workflow is empty/, /deploy\.yml@main/],
    ['an event type without a workflow', { 'rebuild-event-type': 'go' }, 'rebuild-workflow', /rebuild-event-type is set/, /rebuild-workflow/],
    ['an event type over 100 characters', { ...workflow, 'rebuild-event-type': 'x'.repeat(101) }, 'rebuild-event-type', /longer than 100/, /at most 100/],
    ['a rebuild-timeout that is not a duration', { ...workflow, 'github-token': 't', 'rebuild-timeout': 'soon' }, 'rebuild-timeout', /not a duration/, /10m/],
    ['a state-refresh-timeout that is not a duration', { 'state-refresh-timeout': '-1' }, 'state-refresh-timeout', /not a duration/, /10m/],
  ])('refuses %s, naming the input and the fix', async (_, inputs, input, message, fix) => {
    const error = await failure({ ...dagsterPlus, ...inputs });
    expect(error.input).toBe(input);
    expect(error.message).toMatch(message);
    expect(error.fix).toMatch(fix);
  });
});
