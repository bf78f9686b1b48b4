// Airflow 3 reading its DAGs from a GitDagBundle (apache-airflow-providers-git) that clones the test's
// local repository by path: a push is a commit there, which Airflow sees only once the bundle refreshes
// (every 2 s here) and then re-parses at that commit, the DAGs' bundle_version. Plan mode (dry-run),
// like airflow3.test.ts: no dagster-airlift can mirror Airflow 3 yet.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAirflow3, type RealAirflow } from './airflow.js';
import { dagFile } from './dag-files.js';
import { installVenvs } from './install.js';
import { waitFor } from './processes.js';
import { recordAirflowShapes } from '../support/shapes.js';
import { act, dagsRepo, expectRecordedShapes, scratch, tearDown, waitForDags, waitForImportError, type DagsRepo, type Push } from './world.js';

const INSTANCE = 'af3git';
const BUNDLE = 'dags-repo';
// Long enough to catch Airflow re-parsing the commit before a push (min_file_process_interval is 1 s
// here); the action's re-parse request refreshes the bundle at once.
const REFRESH_SECONDS = 30;
// A DAG whose owner comes from a helper module in the bundle (Airflow puts the bundle on sys.path).
const REPORTS_DAG = [
  'import pendulum',
  'from airflow.sdk import DAG',
  'from airflow.providers.standard.operators.empty import EmptyOperator',
  'from common.settings import OWNER',
  '',
  'with DAG("reports", start_date=pendulum.datetime(2024, 1, 1, tz="UTC"), schedule=None, default_args={"owner": OWNER}) as dag:',
  '    EmptyOperator(task_id="render")',
  '',
].join('\n');

interface Dag {
  dag_id: string;
  bundle_name: string;
  bundle_version: string | null;
  fileloc: string;
  relative_fileloc: string;
  file_token: string;
  last_parsed_time: string;
  owners: string[];
}

/** The push as GitHub sends it: `repository.pushed_at` (seconds) is when the action counts the push from. */
function withPushedAt(push: Push, at: number): Push {
  const repository = push.payload.repository as Record<string, unknown>;
  return { ...push, payload: { ...push.payload, repository: { ...repository, pushed_at: Math.floor(at / 1000) } } };
}

const dagOf = async (airflow: RealAirflow, dagId: string) => (await airflow.get(`/dags/${dagId}`)) as Dag;

/** Asks Airflow to re-parse the DAG's file, which also refreshes its bundle at once. */
async function reparse(airflow: RealAirflow, dagId: string): Promise<void> {
  const response = await fetch(`${airflow.url}/api/v2/parseDagFile/${(await dagOf(airflow, dagId)).file_token}`, { method: 'PUT', headers: await airflow.authHeaders() });
  expect(response.status, await response.text()).toBe(201);
}

/** Airflow 3 whose one DAG bundle clones `repo` by path (no git connection: the provider takes a repo_url that starts with neither git@ nor https:// as a path). */
function startWithGitBundle(venv: string, work: string, repo: DagsRepo, kwargs: Record<string, unknown>): Promise<RealAirflow> {
  return startAirflow3({
    venv,
    home: `${work}/airflow`,
    dagsFolder: repo.dagsFolder,
    logDir: work,
    bundles: [{ name: BUNDLE, classpath: 'airflow.providers.git.bundles.git.GitDagBundle', kwargs: { repo_url: repo.repo.dir, tracking_ref: 'main', refresh_interval: REFRESH_SECONDS, ...kwargs } }],
  });
}

describe('real Airflow 3 with a git DAG bundle of dags/ (subdir)', () => {
  const work = scratch('airlift-real-af3git-');
  let repo: DagsRepo;
  let airflow: RealAirflow | undefined;
  const inputs = { 'airflow-instance-name': INSTANCE, 'dry-run': 'true' };
  const orders = (preamble: string[] = []) => dagFile(3, { id: 'orders', tasks: ['extract', 'load'], edges: [['extract', 'load']], preamble });
  const dag = (dagId: string) => dagOf(airflow!, dagId);

  beforeAll(async () => {
    const venvs = installVenvs();
    repo = dagsRepo({ 'orders.py': orders(), 'common/__init__.py': '', 'common/settings.py': 'OWNER = "analytics"\n', 'reports.py': REPORTS_DAG });
    airflow = await startWithGitBundle(venvs.airflow3, work.dir, repo, { subdir: 'dags' });
    await waitForDags(airflow, ['orders', 'reports']);
  }, 600_000);

  afterAll(() => tearDown({ airflow, repo, work }), 60_000);

  it('lists the DAGs of the bundle with its name, the commit it parsed and paths relative to subdir', async () => {
    const head = repo.repo.git('rev-parse', 'HEAD');
    const orders = await dag('orders');
    expect(orders).toMatchObject({ bundle_name: BUNDLE, bundle_version: head, relative_fileloc: 'orders.py' });
  });

  it('plans the reload of a DAG edited without task changes once its bundle_version is the pushed commit', async () => {
    const push = repo.push('document orders', { 'orders.py': orders(['# Owned by the data team.']) });

    const run = await act(repo, push, airflow!, inputs);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('planned');
    expect(run.report!.airflow[0]!.dags).toEqual([expect.objectContaining({ dagId: 'orders', state: 'parsed', proof: 'its bundle_version is the pushed commit' })]);
    expect((await dag('orders')).bundle_version).toBe(push.after);
  });

  it('a push that only changes a helper module: no parse of the commit before it counts, however recent', async () => {
    // Start the refresh timer now (a re-parse request refreshes the file's bundle first), so that the
    // bundle holds the commit before the push for a good while after it.
    const requested = Date.now();
    await reparse(airflow!, 'reports');
    await waitFor('a parse of reports after the re-parse request', async () => Date.parse((await dag('reports')).last_parsed_time) > requested, 60_000);
    const push = repo.push('reports: finance owns it', { 'common/settings.py': 'OWNER = "finance"\n' });
    const pushedAt = Date.now();
    // Airflow re-parses reports.py at the old commit, well after the push: by time alone it looks fresh.
    await waitFor(
      'a parse of reports at the commit before the push, 3 s after it',
      async () => {
        const { bundle_version, last_parsed_time } = await dag('reports');
        if (bundle_version !== push.before) return `the bundle refreshed ${REFRESH_SECONDS} s early: bundle_version ${bundle_version}`;
        return Date.parse(last_parsed_time) >= pushedAt + 3000;
      },
      60_000,
    );

    const run = await act(repo, withPushedAt(push, pushedAt), airflow!, { ...inputs, 'airflow-parse-margin': '2s' });

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`waiting for reports (Airflow last parsed it at bundle_version ${push.before.slice(0, 12)}, not the pushed commit ${push.after.slice(0, 12)})`);
    expect(run.report!.airflow[0]!.dags).toEqual([expect.objectContaining({ dagId: 'reports', state: 'parsed', proof: expect.stringMatching(/its bundle_version is the pushed commit$/) })]);
    expect(await dag('reports')).toMatchObject({ bundle_version: push.after, owners: ['finance'] });
  });

  it('a push whose file fails to import: the import error is annotated on its file and line', async () => {
    const broken = 'from airflow.sdk import DAG\n\nwith DAG("broken", schedule=None) as dag\n    pass\n';
    const push = repo.push('broken DAG', { 'broken.py': broken });
    await reparse(airflow!, 'orders'); // refreshes the bundle now rather than in up to REFRESH_SECONDS
    await waitForImportError(airflow!, 'broken.py');

    const run = await act(repo, push, airflow!, inputs);

    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.outputs.result).toBe('failed');
    expect(run.stdout).toMatch(/^::error title=Airflow import error \(af3git\),file=dags\/broken\.py,line=3::SyntaxError/m);
  });

  it('answers the action\'s requests in the recorded shapes (while it shows an import error), bundle_version a commit', async () => {
    await expectRecordedShapes('airflow3-git', await recordAirflowShapes(airflow!.url, 'v2', await airflow!.authHeaders(), 'orders'));
  });
});

describe('real Airflow 3 with a git DAG bundle of the whole repository (no subdir)', () => {
  const work = scratch('airlift-real-af3gitroot-');
  let repo: DagsRepo;
  let airflow: RealAirflow | undefined;
  const inputs = { 'airflow-instance-name': INSTANCE, 'dry-run': 'true' };

  beforeAll(async () => {
    const venvs = installVenvs();
    repo = dagsRepo({ 'orders.py': dagFile(3, { id: 'orders', tasks: ['extract', 'load'], edges: [['extract', 'load']] }) });
    airflow = await startWithGitBundle(venvs.airflow3, work.dir, repo, {});
    await waitForDags(airflow, ['orders']);
  }, 600_000);

  afterAll(() => tearDown({ airflow, repo, work }), 60_000);

  it('names files from the repository root; the action maps them to the pushed files', async () => {
    expect(await dagOf(airflow!, 'orders')).toMatchObject({ relative_fileloc: 'dags/orders.py' });
    const push = repo.push('orders: check before loading', { 'orders.py': dagFile(3, { id: 'orders', tasks: ['extract', 'check', 'load'], edges: [['extract', 'check'], ['check', 'load']] }) });

    const run = await act(repo, push, airflow!, inputs);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.report!.airflow[0]!.dags).toEqual([expect.objectContaining({ dagId: 'orders', state: 'parsed', proof: "Airflow's tasks and edges equal the pushed ones" })]);
  });

  it('annotates the import error Airflow names dags/broken.py on that file', async () => {
    const push = repo.push('broken DAG', { 'broken.py': 'from airflow.sdk import DAG\n\nwith DAG("broken", schedule=None) as dag\n    pass\n' });
    await reparse(airflow!, 'orders');
    await waitForImportError(airflow!, 'dags/broken.py');

    const run = await act(repo, push, airflow!, inputs);

    expect(run.exitCode, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^::error title=Airflow import error \(af3git\),file=dags\/broken\.py,line=3::SyntaxError/m);
  });
});
