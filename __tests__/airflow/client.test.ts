import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectAirflow } from '../../src/airflow/client.js';
import { deadlineIn, HttpError } from '../../src/http.js';
import { chain, connect, connectionTo, dag, FAST, passwordAuth, simulator, VERSIONS } from './fixtures.js';

const deadline = () => deadlineIn(10_000);

function manyDags(count: number) {
  return Array.from({ length: count }, (_, i) => dag(`dag_${String(i).padStart(4, '0')}`, `team/file_${i % 7}.py`));
}

async function rejection(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(HttpError);
  return error as HttpError;
}

describe.each(VERSIONS)('Airflow client (%s)', (version) => {
  describe('version detection', () => {
    it('finds the API the server has, probing /api/v2 first', async () => {
      const sim = await simulator({ apiVersion: version, airflowVersion: version === 'v1' ? '2.10.4' : '3.0.6' });
      const { client } = await connect(sim);
      expect(client.apiVersion).toBe(version);
      expect(client.airflowVersion).toBe(version === 'v1' ? '2.10.4' : '3.0.6');
      expect(sim.requests.map((r) => `${r.apiPath} ${r.status}`)).toEqual(
        version === 'v1' ? ['/api/v2/version 404', '/api/v1/version 200'] : ['/api/v2/version 200'],
      );
    });

    it('uses only the forced API version', async () => {
      const sim = await simulator({ apiVersion: version });
      const { client } = await connect(sim, { kind: 'none' }, { apiVersion: version });
      expect(client.apiVersion).toBe(version);
      expect(sim.requests.map((r) => r.apiPath)).toEqual([`/api/${version}/version`]);
    });

    it('names the URL and the API version setting when the forced version is not served', async () => {
      const sim = await simulator({ apiVersion: version });
      const other = version === 'v1' ? 'v2' : 'v1';
      const { connection } = connectionTo(sim.url, { kind: 'none' }, { apiVersion: other });
      const error = await rejection(connectAirflow(connection, deadline(), FAST));
      expect(error.message).toContain(`/api/${other}/version`);
      expect(error.fix).toContain('airflow-url');
      expect(error.fix).toContain(other);
    });

    it('works under a path prefix (Composer / Astronomer style)', async () => {
      const sim = await simulator({ apiVersion: version, basePath: '/deployment-x', dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim);
      expect((await client.listDags(deadline())).map((d) => d.dagId)).toEqual(['etl']);
      expect(sim.requests.every((r) => r.path.startsWith('/deployment-x/'))).toBe(true);
    });

    it('says the URL is wrong when neither API exists there', async () => {
      const server = createServer((_, res) => res.writeHead(404).end('not here'));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { connection } = connectionTo(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
        const error = await rejection(connectAirflow(connection, deadline(), FAST));
        expect(error.message).toContain('/api/v2/version or /api/v1/version');
        expect(error.fix).toContain('airflow-url');
      } finally {
        server.close();
      }
    });
  });

  describe('listing DAGs', () => {
    it('reads every page of a server that clamps limit (25 served of more asked), inactive DAGs included', async () => {
      const dags = manyDags(230).map((d, i) => (i % 10 === 0 ? { ...d, active: false } : d));
      const sim = await simulator({ apiVersion: version, maximumPageLimit: 25, dags });
      const { client } = await connect(sim);
      const live = await client.listDags(deadline());
      expect(live.map((d) => d.dagId)).toEqual(dags.map((d) => d.dagId));
      expect(live.filter((d) => !d.active)).toHaveLength(23);
      const pages = sim.requests.filter((r) => r.apiPath === `/api/${version}/dags`);
      expect(pages).toHaveLength(10);
      expect(pages.every((r) => r.query.limit === (version === 'v1' ? '100' : '1000'))).toBe(true);
      expect(pages.map((r) => Number(r.query.offset)).sort((a, b) => a - b)).toEqual([0, 25, 50, 75, 100, 125, 150, 175, 200, 225]);
      expect(pages[0]!.query[version === 'v1' ? 'only_active' : 'exclude_stale']).toBe('false');
    });

    it('reads every page of a server that does not clamp: 100 per page from Airflow 2 (its default maximum), 1,000 from Airflow 3', async () => {
      const dags = manyDags(2300);
      const sim = await simulator({ apiVersion: version, maximumPageLimit: 'none', dags });
      const { client } = await connect(sim);
      expect((await client.listDags(deadline())).map((d) => d.dagId)).toEqual(dags.map((d) => d.dagId));
      const offsets = sim.requests.filter((r) => r.apiPath.endsWith('/dags')).map((r) => Number(r.query.offset));
      const size = version === 'v1' ? 100 : 1000;
      expect(offsets.sort((a, b) => a - b)).toEqual(Array.from({ length: Math.ceil(2300 / size) }, (_, page) => page * size));
    });

    it('reports the fields the action uses', async () => {
      const sim = await simulator({
        apiVersion: version,
        bundleVersion: 'abc123',
        dags: [dag('etl', 'team/etl.py', chain('a'), { lastParsedTime: '2025-01-02T03:04:05+00:00' })],
      });
      const { client } = await connect(sim);
      const [live] = await client.listDags(deadline());
      expect(live).toMatchObject({
        dagId: 'etl',
        active: true,
        fileloc: '/opt/airflow/dags/team/etl.py',
        lastParsedTime: '2025-01-02T03:04:05+00:00',
        hasImportErrors: false,
      });
      expect(live!.fileToken).toEqual(expect.any(String));
      if (version === 'v2') expect(live).toMatchObject({ relativeFileloc: 'team/etl.py', bundleVersion: 'abc123' });
      else expect(live!.relativeFileloc).toBeUndefined();
    });

    it('never narrows the list with dag_id_pattern, whose ILIKE wildcards match look-alikes', async () => {
      const dags = [dag('etl_daily', 'a.py'), dag('ETL_DAILY_v2', 'b.py'), dag('etlXdaily', 'c.py'), dag('other', 'd.py')];
      const sim = await simulator({ apiVersion: version, dags });
      // What the server does with a pattern: case-insensitive substring, `_` matches any character.
      const response = await fetch(`${sim.url}/api/${version}/dags?dag_id_pattern=etl_daily&only_active=false&exclude_stale=false`);
      const body = (await response.json()) as { dags: Array<{ dag_id: string }> };
      expect(body.dags.map((d) => d.dag_id).sort()).toEqual(['ETL_DAILY_v2', 'etlXdaily', 'etl_daily']);
      const probes = sim.requests.length;
      const { client } = await connect(sim);
      expect((await client.listDags(deadline())).map((d) => d.dagId)).toEqual(['ETL_DAILY_v2', 'etlXdaily', 'etl_daily', 'other']);
      expect(sim.requests.slice(probes).some((r) => 'dag_id_pattern' in r.query)).toBe(false);
    });
  });

  describe('tasks, import errors, sources, re-parse', () => {
    it('reads tasks as sorted ids and edges from downstream_task_ids', async () => {
      const tasks = [
        { taskId: 'load', downstream: [] },
        { taskId: 'extract', downstream: ['transform', 'audit'] },
        { taskId: 'transform', downstream: ['load'] },
        { taskId: 'audit', downstream: [] },
      ];
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py', tasks)] });
      const { client } = await connect(sim);
      expect(await client.getTasks('etl', deadline())).toEqual({
        tasks: ['audit', 'extract', 'load', 'transform'],
        edges: [
          ['extract', 'audit'],
          ['extract', 'transform'],
          ['transform', 'load'],
        ],
      });
    });

    it('reads import errors with the file as this Airflow version names it', async () => {
      const sim = await simulator({ apiVersion: version, maximumPageLimit: 2 });
      for (const file of ['a.py', 'b.py', 'c.py']) sim.state.setImportError(file, { line: 3, message: `NameError: ${file}` });
      const { client } = await connect(sim);
      const errors = await client.listImportErrors(deadline());
      expect(errors.map((e) => e.filename)).toEqual(
        version === 'v1' ? ['/opt/airflow/dags/a.py', '/opt/airflow/dags/b.py', '/opt/airflow/dags/c.py'] : ['a.py', 'b.py', 'c.py'],
      );
      expect(errors[0]!.stackTrace).toContain('NameError: a.py');
      if (version === 'v2') expect(errors[0]!.bundleName).toBe('dags-folder');
    });

    it('reads the stored source of a DAG, addressed as this version wants', async () => {
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py', chain('a'), { source: 'print("etl")\n' })] });
      const { client } = await connect(sim);
      const [live] = await client.listDags(deadline());
      expect(await client.getDagSource(live!, deadline())).toBe('print("etl")\n');
      const request = sim.requests.find((r) => r.apiPath.includes('/dagSources/'))!;
      expect(request.apiPath).toBe(version === 'v1' ? `/api/v1/dagSources/${live!.fileToken}` : '/api/v2/dagSources/etl');
    });

    it('asks Airflow to re-parse a file it knows, and says false for one it does not', async () => {
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py'), dag('gone', 'gone.py')] });
      const { client } = await connect(sim);
      const [etl, gone] = await client.listDags(deadline());
      sim.state.deleteDag('gone');
      expect(await client.reparseFile(etl!, deadline())).toBe(true);
      expect(await client.reparseFile(gone!, deadline())).toBe(false);
      expect(sim.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([201, 404]);
    });

    if (version === 'v1') {
      it('says false for a re-parse on Airflow before 2.10, which has no parseDagFile', async () => {
        const sim = await simulator({ apiVersion: 'v1', airflowVersion: '2.9.3', dags: [dag('etl', 'etl.py')] });
        const { client } = await connect(sim);
        const [etl] = await client.listDags(deadline());
        expect(await client.reparseFile(etl!, deadline())).toBe(false);
      });
    }

    it('counts its requests', async () => {
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim);
      const before = client.requestCount;
      await client.listDags(deadline());
      await client.getTasks('etl', deadline());
      expect(client.requestCount - before).toBe(2);
      expect(client.requestCount).toBe(sim.requests.length);
    });
  });

  describe('auth', () => {
    it(`logs in with a username and password (${version === 'v1' ? 'basic auth' : 'a JWT from POST /auth/token'})`, async () => {
      const sim = await simulator({ apiVersion: version, auth: passwordAuth(version), dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim, { kind: 'password', username: 'ci', password: 's3cret-pw' });
      expect((await client.listDags(deadline())).map((d) => d.dagId)).toEqual(['etl']);
      const listing = sim.requests.find((r) => r.apiPath.endsWith('/dags'))!;
      expect(listing.authScheme).toBe(version === 'v1' ? 'Basic' : 'Bearer');
      if (version === 'v2') {
        const login = sim.requests.find((r) => r.apiPath === '/auth/token')!;
        expect(login).toMatchObject({ method: 'POST', status: 201 });
      }
    });

    it('names the credential inputs and does not retry when the password is wrong', async () => {
      const sim = await simulator({ apiVersion: version, auth: passwordAuth(version) });
      const { connection, logs } = connectionTo(sim.url, { kind: 'password', username: 'ci', password: 'wrong-pw' });
      // Airflow 3 rejects the login itself; Airflow 2 the first API call.
      const error = await rejection(connectAirflow(connection, deadline(), FAST).then((client) => client.listDags(deadline())));
      expect(error.kind).toBe('auth');
      expect(error.status).toBe(401);
      expect(error.fix).toContain('airflow-username/airflow-password');
      // Airflow 2 answers 401 to right credentials too when its API accepts only sessions (the default).
      if (version === 'v1') expect(error.fix).toMatch(/\[api\] auth_backends \(AIRFLOW__API__AUTH_BACKENDS\)/);
      else expect(error.fix).not.toContain('auth_backends');
      expect(`${error.message} ${error.fix} ${logs.join('\n')}`).not.toContain('wrong-pw');
      expect(sim.requests.filter((r) => r.status === 401)).toHaveLength(1);
    });

    it('sends a static bearer token (Astronomer, Cloud Composer)', async () => {
      const sim = await simulator({ apiVersion: version, auth: { kind: 'bearer', token: 'astro-token' }, dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim, { kind: 'bearer', token: 'astro-token' });
      expect(await client.listDags(deadline())).toHaveLength(1);
      const bad = connectionTo(sim.url, { kind: 'bearer', token: 'stale-token' });
      const error = await rejection(connectAirflow(bad.connection, deadline(), FAST).then((c) => c.listDags(deadline())));
      expect(error.kind).toBe('auth');
      expect(error.fix).toContain('airflow-token');
      expect(error.message).not.toContain('stale-token');
    });

    it('sends the custom headers an auth proxy wants', async () => {
      const sim = await simulator({
        apiVersion: version,
        proxy: { headers: { 'X-Api-Key': 'proxy-key' }, onMissing: { kind: 'html-login' } },
        dags: [dag('etl', 'etl.py')],
      });
      const { client } = await connect(sim, { kind: 'none' }, { headers: { 'X-Api-Key': 'proxy-key' }, authInput: 'airflow-headers' });
      expect(await client.listDags(deadline())).toHaveLength(1);
      expect(sim.requests.every((r) => r.headers['x-api-key'] === '[redacted]')).toBe(true);
    });

    it("says a proxy's HTML login page is an auth problem, naming airflow-headers", async () => {
      const sim = await simulator({ apiVersion: version, proxy: { headers: { 'X-Api-Key': 'proxy-key' }, onMissing: { kind: 'html-login' } } });
      const { connection } = connectionTo(sim.url, { kind: 'none' }, { headers: { 'X-Api-Key': 'wrong' }, authInput: 'airflow-headers' });
      const error = await rejection(connectAirflow(connection, deadline(), FAST));
      expect(error.kind).toBe('auth');
      expect(error.message).toContain('HTML page');
      expect(error.message).toContain('/api/v2/version');
      expect(error.fix).toContain('airflow-headers');
    });
  });

  describe('failures', () => {
    it.each([
      ['429 with Retry-After', { kind: 'retry-after', retryAfter: '0' }],
      ['502', { kind: 'status', status: 502 }],
      ['503', { kind: 'status', status: 503 }],
      ['504', { kind: 'status', status: 504 }],
      ['a reset connection', { kind: 'drop' }],
      ['a hung request', { kind: 'timeout' }],
    ] as const)('retries %s within the deadline', async (_, fault) => {
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim, { kind: 'none' }, {}, { requestTimeoutMs: 300, retries: 3 });
      sim.faults.push({ match: (r) => r.apiPath.endsWith('/dags'), ...fault });
      expect((await client.listDags(deadline())).map((d) => d.dagId)).toEqual(['etl']);
      expect(sim.requests.filter((r) => r.apiPath.endsWith('/dags'))).toHaveLength(2);
    });

    it('waits as long as Retry-After says', async () => {
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim);
      sim.faults.push({ match: (r) => r.apiPath.endsWith('/dags'), kind: 'retry-after', retryAfter: '1' });
      const started = Date.now();
      await client.listDags(deadline());
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    });

    it('gives up on a server that keeps failing, naming the endpoint', async () => {
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim, { kind: 'none' }, {}, { retries: 1 });
      sim.faults.push({ match: (r) => r.apiPath.endsWith('/dags'), times: Infinity, kind: 'status', status: 500 });
      const error = await rejection(client.listDags(deadline()));
      expect(error.kind).toBe('server');
      expect(error.message).toContain(`GET /api/${version}/dags`);
      expect(sim.requests.filter((r) => r.apiPath.endsWith('/dags'))).toHaveLength(2);
    });

    it.each([400, 401, 403, 404])('does not retry %i', async (status) => {
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim);
      sim.faults.push({ match: (r) => r.apiPath.endsWith('/tasks'), times: Infinity, kind: 'status', status });
      const error = await rejection(client.getTasks('etl', deadline()));
      expect(error.status).toBe(status);
      expect(error.message).toContain(`/api/${version}/dags/etl/tasks`);
      expect(error.fix).toContain(status === 401 || status === 403 ? 'airflow-username/airflow-password' : 'airflow-url');
      expect(sim.requests.filter((r) => r.apiPath.endsWith('/tasks'))).toHaveLength(1);
    });

    it('says a body that is not JSON is not the Airflow API, without retrying', async () => {
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim);
      sim.faults.push({ match: (r) => r.apiPath.endsWith('/dags'), kind: 'malformed' });
      const error = await rejection(client.listDags(deadline()));
      expect(error.kind).toBe('garbage');
      expect(error.fix).toContain('airflow-url');
      expect(sim.requests.filter((r) => r.apiPath.endsWith('/dags'))).toHaveLength(1);
    });

    it('says which field is wrong when the JSON has another shape', async () => {
      const server = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(req.url?.includes('/version') ? JSON.stringify({ version: '3.1.0' }) : JSON.stringify({ dags: [{ dag_id: 7 }], total_entries: 1 }));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const { connection } = connectionTo(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, { kind: 'none' }, { apiVersion: 'v2' });
        const client = await connectAirflow(connection, deadline(), FAST);
        const error = await rejection(client.listDags(deadline()));
        expect(error.kind).toBe('garbage');
        expect(error.message).toContain('GET /api/v2/dags');
        expect(error.message).toContain('dags.0.dag_id');
      } finally {
        server.close();
      }
    });

    it('refuses a redirect to another origin without sending it the credentials', async () => {
      const seen: IncomingHttpHeaders[] = [];
      const other = createServer((req, res) => {
        seen.push(req.headers);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      try {
        const otherUrl = `http://localhost:${(other.address() as AddressInfo).port}/login`;
        const sim = await simulator({ apiVersion: version, auth: passwordAuth(version), dags: [dag('etl', 'etl.py')] });
        const { client } = await connect(sim, { kind: 'password', username: 'ci', password: 's3cret-pw' });
        sim.faults.push({ match: (r) => r.apiPath.endsWith('/dags'), kind: 'redirect', location: otherUrl });
        const error = await rejection(client.listDags(deadline()));
        expect(error.kind).toBe('redirect');
        expect(error.message).toContain('another origin');
        expect(seen.filter((headers) => headers.authorization !== undefined)).toEqual([]);
        expect(seen).toEqual([]);
      } finally {
        other.close();
      }
    });

    it('refuses a proxy that redirects to a login page on another origin', async () => {
      const sim = await simulator({
        apiVersion: version,
        proxy: { headers: { 'X-Api-Key': 'proxy-key' }, onMissing: { kind: 'redirect', location: 'https://login.example.com/oauth' } },
      });
      const { connection } = connectionTo(sim.url, { kind: 'none' }, { headers: {}, authInput: 'airflow-headers' });
      const error = await rejection(connectAirflow(connection, deadline(), FAST));
      expect(error.kind).toBe('redirect');
      expect(error.message).toContain('https://login.example.com');
    });

    it('stops at the deadline', async () => {
      const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py')] });
      const { client } = await connect(sim, { kind: 'none' }, {}, { requestTimeoutMs: 5_000, retries: 5 });
      sim.faults.push({ match: (r) => r.apiPath.endsWith('/dags'), times: Infinity, kind: 'timeout' });
      const error = await rejection(client.listDags(deadlineIn(300)));
      expect(['deadline', 'network']).toContain(error.kind);
    });
  });
});

describe('Airflow 3 JWT expiry', () => {
  it('logs in again once when the token expires mid-run', async () => {
    const sim = await simulator({ apiVersion: 'v2', auth: passwordAuth('v2'), dags: [dag('etl', 'etl.py')] });
    const { client, logs } = await connect(sim, { kind: 'password', username: 'ci', password: 's3cret-pw' });
    await client.listDags(deadline());
    sim.expireTokens();
    expect(await client.getTasks('etl', deadline())).toMatchObject({ tasks: ['extract', 'load'] });
    expect(sim.requests.filter((r) => r.apiPath === '/auth/token')).toHaveLength(2);
    expect(sim.requests.filter((r) => r.apiPath.endsWith('/tasks')).map((r) => r.status)).toEqual([401, 200]);
    expect(logs.join('\n')).toContain('logged in again');
  });

  it('shares one new login among concurrent requests', async () => {
    const sim = await simulator({ apiVersion: 'v2', auth: passwordAuth('v2'), dags: [dag('a', 'a.py'), dag('b', 'b.py'), dag('c', 'c.py')] });
    const { client } = await connect(sim, { kind: 'password', username: 'ci', password: 's3cret-pw' });
    sim.expireTokens();
    await Promise.all(['a', 'b', 'c'].map((id) => client.getTasks(id, deadline())));
    expect(sim.requests.filter((r) => r.apiPath === '/auth/token')).toHaveLength(2);
  });

  it('expires tokens after their configured lifetime', async () => {
    const sim = await simulator({ apiVersion: 'v2', auth: { kind: 'jwt', username: 'ci', password: 's3cret-pw', tokenTtlMs: 100 }, dags: [dag('etl', 'etl.py')] });
    const { client } = await connect(sim, { kind: 'password', username: 'ci', password: 's3cret-pw' });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await client.listDags(deadline());
    expect(sim.requests.filter((r) => r.apiPath.endsWith('/dags')).map((r) => r.status)).toEqual([401, 200]);
  });

  it('fails with an auth error when the login stops working', async () => {
    const sim = await simulator({ apiVersion: 'v2', auth: passwordAuth('v2'), dags: [dag('etl', 'etl.py')] });
    const { client } = await connect(sim, { kind: 'password', username: 'ci', password: 's3cret-pw' });
    sim.expireTokens();
    sim.faults.push({ match: (r) => r.apiPath === '/auth/token', kind: 'status', status: 401, times: Infinity });
    const error = await rejection(client.listDags(deadline()));
    expect(error.kind).toBe('auth');
    expect(error.message).toContain('/auth/token');
  });
});
