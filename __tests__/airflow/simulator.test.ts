// The simulator itself: the server behaviour the client tests and the benchmark rely on.
import { describe, expect, it } from 'vitest';
import { chain, dag, simulator, VERSIONS } from './fixtures.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function getJson(url: string, headers: Record<string, string> = {}) {
  const response = await fetch(url, { headers });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // HTML pages stay text
  }
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: body as Record<string, unknown> };
}

describe.each(VERSIONS)('Airflow simulator (%s)', (version) => {
  const api = (url: string) => `${url}/api/${version}`;

  it('serves only its own API version, 404 for the other like the real server', async () => {
    const sim = await simulator({ apiVersion: version });
    const other = version === 'v1' ? 'v2' : 'v1';
    const answer = await getJson(`${sim.url}/api/${other}/version`);
    expect(answer.status).toBe(404);
    expect(answer.type).toContain(version === 'v1' ? 'text/html' : 'application/json');
    expect((await getJson(`${api(sim.url)}/version`)).status).toBe(200);
  });

  it('serves under its base path only', async () => {
    const sim = await simulator({ apiVersion: version, basePath: '/deployment-x' });
    expect(sim.url).toMatch(/\/deployment-x$/);
    expect((await getJson(`${api(sim.url)}/version`)).status).toBe(200);
    expect((await getJson(`${sim.url.replace('/deployment-x', '')}/api/${version}/version`)).status).toBe(404);
  });

  it('clamps limit to maximum_page_limit as this version does, with its default page size', async () => {
    const dags = Array.from({ length: 130 }, (_, i) => dag(`d${String(i).padStart(3, '0')}`, 'f.py'));
    const defaults = await simulator({ apiVersion: version, dags });
    const asked = await getJson(`${api(defaults.url)}/dags?limit=120`);
    expect((asked.body.dags as unknown[]).length).toBe(version === 'v1' ? 100 : 120);
    expect(asked.body.total_entries).toBe(130);
    const unasked = await getJson(`${api(defaults.url)}/dags`);
    expect((unasked.body.dags as unknown[]).length).toBe(version === 'v1' ? 100 : 50);
    const clamped = await simulator({ apiVersion: version, dags, maximumPageLimit: 25 });
    expect(((await getJson(`${api(clamped.url)}/dags?limit=100&offset=120`)).body.dags as unknown[]).length).toBe(10);
  });

  it('hides inactive (stale) DAGs unless asked', async () => {
    const sim = await simulator({ apiVersion: version, dags: [dag('live', 'a.py'), dag('old', 'b.py', chain('a'), { active: false })] });
    const flag = version === 'v1' ? 'only_active' : 'exclude_stale';
    const ids = async (query: string) =>
      ((await getJson(`${api(sim.url)}/dags${query}`)).body.dags as Array<{ dag_id: string }>).map((d) => d.dag_id);
    expect(await ids('')).toEqual(['live']);
    expect(await ids(`?${flag}=false`)).toEqual(['live', 'old']);
    const invalid = await getJson(`${api(sim.url)}/dags?${flag}=maybe`);
    expect(invalid.status).toBe(version === 'v1' ? 400 : 422);
  });

  it('filters dag_id_pattern as a case-insensitive ILIKE substring with % and _ wildcards', async () => {
    const ids = ['sales_etl', 'SALES-ETL', 'salesXetl', 'marketing', 'sales%etl'];
    const sim = await simulator({ apiVersion: version, dags: ids.map((id) => dag(id, 'f.py')) });
    const match = async (pattern: string) =>
      ((await getJson(`${api(sim.url)}/dags?dag_id_pattern=${encodeURIComponent(pattern)}`)).body.dags as Array<{ dag_id: string }>)
        .map((d) => d.dag_id)
        .sort();
    expect(await match('sales_etl')).toEqual(['SALES-ETL', 'sales%etl', 'salesXetl', 'sales_etl']);
    expect(await match('ales%tl')).toEqual(['SALES-ETL', 'sales%etl', 'salesXetl', 'sales_etl']);
    expect(await match('MARK')).toEqual(['marketing']);
    // Airflow 3 reads `|` as OR; Airflow 2 as a literal character.
    expect(await match('marketing|salesXetl')).toEqual(version === 'v2' ? ['marketing', 'salesXetl'] : []);
  });

  it('answers errors in this version’s format', async () => {
    const sim = await simulator({ apiVersion: version });
    const missing = await getJson(`${api(sim.url)}/dags/nope`);
    expect(missing.status).toBe(404);
    if (version === 'v1') {
      expect(missing.type).toContain('application/problem+json');
      // Real Airflow 2.11 (recorded in __tests__/fixtures/real-shapes/) puts the message in the title.
      expect(missing.body).toMatchObject({ status: 404, title: "DAG with dag_id: 'nope' not found", type: expect.any(String), detail: expect.any(String) });
    } else {
      expect(Object.keys(missing.body)).toEqual(['detail']);
    }
  });

  it('lands a pushed revision after the processor delay; a new file only after the folder re-listing', async () => {
    const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py', chain('a', 'b'))] });
    sim.publish(
      {
        commit: 'c1',
        files: [
          { path: 'etl.py', dags: [{ dagId: 'etl', tasks: chain('a', 'b', 'c') }] },
          { path: 'new.py', dags: [{ dagId: 'fresh', tasks: chain('x') }] },
        ],
      },
      { delayMs: 80, newFileDelayMs: 250 },
    );
    expect(sim.state.dag('etl')!.tasks).toHaveLength(2);
    await sleep(120);
    expect(sim.state.dag('etl')!.tasks).toHaveLength(3);
    expect(sim.state.dag('fresh')).toBeUndefined();
    await sleep(200);
    expect(sim.state.dag('fresh')).toMatchObject({ active: true, file: 'new.py', bundleVersion: 'c1' });
  });

  it('re-parses a known file at once on PUT parseDagFile, and 404s a file it does not know', async () => {
    const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py', chain('a'))] });
    sim.publish({ commit: 'c1', files: [{ path: 'etl.py', dags: [{ dagId: 'etl', tasks: chain('a', 'b') }] }] }, { delayMs: 60_000 });
    const [row] = (await getJson(`${api(sim.url)}/dags`)).body.dags as Array<{ file_token: string }>;
    const put = await fetch(`${api(sim.url)}/parseDagFile/${row!.file_token}`, { method: 'PUT' });
    expect(put.status).toBe(201);
    expect(sim.state.dag('etl')!.tasks).toHaveLength(2);
    const unknown = await fetch(`${api(sim.url)}/parseDagFile/${row!.file_token.replace(/.$/, 'x')}`, { method: 'PUT' });
    expect(unknown.status).toBe(404);
  });

  it('marks the DAGs of removed files inactive (stale) instead of deleting them', async () => {
    const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py'), dag('keep', 'keep.py')] });
    sim.publish({ commit: 'c1', files: [], removed: ['etl.py'] });
    expect(sim.state.dag('etl')).toMatchObject({ active: false });
    const body = (await getJson(`${api(sim.url)}/dags/etl`)).body;
    expect(body[version === 'v1' ? 'is_active' : 'is_stale']).toBe(version === 'v2');
  });

  it('keeps the previous DAGs of a file that fails to import, and records the import error', async () => {
    const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py', chain('a'))] });
    sim.publish({
      commit: 'c1',
      files: [{ path: 'etl.py', source: 'import nope\n', importError: { line: 1, message: "ModuleNotFoundError: No module named 'nope'" } }],
    });
    expect(sim.state.dag('etl')).toMatchObject({ active: true, tasks: chain('a') });
    const errors = (await getJson(`${api(sim.url)}/importErrors`)).body.import_errors as Array<Record<string, string>>;
    expect(errors).toHaveLength(1);
    expect(errors[0]!.filename).toBe(version === 'v1' ? '/opt/airflow/dags/etl.py' : 'etl.py');
    expect(errors[0]!.stack_trace).toContain('line 1');
    expect((await getJson(`${api(sim.url)}/dags/etl`)).body.has_import_errors).toBe(true);
  });

  it('never lands a revision published with never, whatever is asked', async () => {
    const sim = await simulator({ apiVersion: version, dags: [dag('etl', 'etl.py', chain('a'))] });
    sim.publish({ commit: 'c1', files: [{ path: 'etl.py', dags: [{ dagId: 'etl', tasks: chain('a', 'b') }] }] }, { never: true });
    const [row] = (await getJson(`${api(sim.url)}/dags`)).body.dags as Array<{ file_token: string }>;
    await fetch(`${api(sim.url)}/parseDagFile/${row!.file_token}`, { method: 'PUT' });
    expect(sim.state.dag('etl')!.tasks).toHaveLength(1);
    expect(sim.state.pendingFiles()).toEqual(['etl.py']);
  });

  it('injects faults a given number of times and logs requests without secrets', async () => {
    const sim = await simulator({ apiVersion: version, auth: { kind: 'bearer', token: 'tok-123' } });
    sim.faults.push({ match: (r) => r.apiPath.endsWith('/version'), kind: 'status', status: 503, times: 1 });
    const headers = { Authorization: 'Bearer tok-123', 'X-Api-Key': 'k-1', 'X-Trace': 'visible' };
    expect((await getJson(`${api(sim.url)}/version`, headers)).status).toBe(503);
    expect((await getJson(`${api(sim.url)}/version`, headers)).status).toBe(200);
    expect(sim.requests.map((r) => [r.status, r.fault])).toEqual([
      [503, 'status'],
      [200, undefined],
    ]);
    const logged = JSON.stringify(sim.requests);
    expect(logged).not.toContain('tok-123');
    expect(logged).not.toContain('k-1');
    expect(sim.requests[1]!.headers['x-trace']).toBe('visible');
    expect(sim.requests[1]!.authScheme).toBe('Bearer');
  });

  it('adds the configured latency to every answer', async () => {
    const sim = await simulator({ apiVersion: version, latencyMs: 60, auth: { kind: 'none' } });
    const started = Date.now();
    await getJson(`${api(sim.url)}/version`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });
});

describe('Airflow 3 simulator auth', () => {
  it('issues a JWT on POST /auth/token (201) and rejects it once expired', async () => {
    const sim = await simulator({ apiVersion: 'v2', auth: { kind: 'jwt', username: 'u', password: 'p' } });
    const login = await fetch(`${sim.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'u', password: 'p' }),
    });
    expect(login.status).toBe(201);
    const { access_token } = (await login.json()) as { access_token: string };
    expect(access_token.split('.')).toHaveLength(3);
    const authorized = { Authorization: `Bearer ${access_token}` };
    expect((await getJson(`${sim.url}/api/v2/dags`, authorized)).status).toBe(200);
    expect((await getJson(`${sim.url}/api/v2/dags`)).status).toBe(401);
    sim.expireTokens();
    expect((await getJson(`${sim.url}/api/v2/dags`, authorized)).status).toBe(401);
    const wrong = await fetch(`${sim.url}/auth/token`, { method: 'POST', body: JSON.stringify({ username: 'u', password: 'x' }) });
    expect(wrong.status).toBe(401);
  });

  it('answers an auth proxy login page, or a redirect to the login origin, without its headers', async () => {
    const page = await simulator({ apiVersion: 'v2', proxy: { headers: { 'X-Api-Key': 'k' }, onMissing: { kind: 'html-login' } } });
    const html = await getJson(`${page.url}/api/v2/version`);
    expect(html.status).toBe(200);
    expect(html.type).toContain('text/html');
    const redirect = await simulator({
      apiVersion: 'v2',
      proxy: { headers: { 'X-Api-Key': 'k' }, onMissing: { kind: 'redirect', location: 'https://login.example.com/' } },
    });
    const response = await fetch(`${redirect.url}/api/v2/version`, { redirect: 'manual' });
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('https://login.example.com/');
    expect((await getJson(`${redirect.url}/api/v2/version`, { 'X-Api-Key': 'k' })).status).toBe(200);
  });
});
