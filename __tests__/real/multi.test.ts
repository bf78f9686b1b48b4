// Two teams, one DAGs repository: dags/team_a is the DAGs folder of one real Airflow 2, dags/team_b
// of another, each mirrored by its own dagster-airlift location in one real Dagster webserver. The
// action reads both instances from the repository's config file, as the README's "Several Airflow
// instances" sets it up. The tests share the servers and run in order: each push builds on the last.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { AIRFLOW_PASSWORD, AIRFLOW_USER, startAirflow2, type RealAirflow } from './airflow.js';
import { dagFile } from './dag-files.js';
import { startDagster, type RealDagster } from './dagster.js';
import { installVenvs } from './install.js';
import { waitFor } from './processes.js';
import { actWithConfig, dagsRepo, scratch, tearDown, waitForDags, type DagsRepo, type Push } from './world.js';

const TEAMS = ['team_a', 'team_b'] as const;
type Team = (typeof TEAMS)[number];
const location = (team: Team) => `airlift_${team}`;
const asset = (team: Team, dagId: string) => `${team}/dag/${dagId}`;
const CONFIG = '.github/airlift-sync.yml';
// The step maps each instance's secrets to these variables; the config file names them.
const ENV = { TEAM_A_AIRFLOW_USERNAME: AIRFLOW_USER, TEAM_A_AIRFLOW_PASSWORD: AIRFLOW_PASSWORD, TEAM_B_AIRFLOW_USERNAME: AIRFLOW_USER, TEAM_B_AIRFLOW_PASSWORD: AIRFLOW_PASSWORD };

function configFile(urls: Readonly<Record<Team, string>>): string {
  return stringify({
    instances: TEAMS.map((team) => ({
      name: team,
      url: urls[team],
      'api-version': 'v1',
      'dags-folder': `dags/${team}`,
      auth: { 'username-env': `${team.toUpperCase()}_AIRFLOW_USERNAME`, 'password-env': `${team.toUpperCase()}_AIRFLOW_PASSWORD` },
    })),
  });
}

describe('two real Airflow 2 instances feeding two dagster-airlift locations, configured by the config file', () => {
  const work = scratch('airlift-real-multi-');
  let repo: DagsRepo;
  const airflows = new Map<Team, RealAirflow>();
  let dagster: RealDagster | undefined;
  const act = (push: Push) => actWithConfig(repo, push, CONFIG, ENV, { 'dagster-url': dagster!.url });
  const assets = async (team: Team) => (await dagster!.assetsByLocation()).get(location(team)) ?? [];
  const loadTimes = async () => {
    const times = await dagster!.loadTimes();
    return Object.fromEntries(TEAMS.map((team) => [team, times.get(location(team))])) as Record<Team, number | undefined>;
  };
  const changedDags = (run: Awaited<ReturnType<typeof act>>) => (JSON.parse(run.outputs['changed-dags']!) as { dagId: string }[]).sort((a, b) => a.dagId.localeCompare(b.dagId));
  // The summary's table row of a location (Markdown escapes the name's underscores).
  const summaryRow = (run: Awaited<ReturnType<typeof act>>, team: Team) => run.summary.split('\n').find((line) => line.startsWith('|') && line.includes(location(team).replace(/_/g, '\\_')));
  const planned = (run: Awaited<ReturnType<typeof act>>) => Object.fromEntries((run.report?.dagster?.locations ?? []).map((entry) => [entry.location, entry.reload]));

  beforeAll(async () => {
    const venvs = installVenvs();
    repo = dagsRepo({
      'team_a/orders.py': dagFile(2, { id: 'orders', tasks: ['extract', 'load'], edges: [['extract', 'load']] }),
      'team_b/billing.py': dagFile(2, { id: 'billing', tasks: ['invoice'] }),
    });
    // Both at once (each migrates its own SQLite and starts a webserver and a scheduler); every one
    // that started is kept for afterAll, also when the other failed.
    const started = await Promise.allSettled(
      TEAMS.map(async (team) => {
        const home = `${work.dir}/airflow-${team}`;
        const airflow = await startAirflow2({ venv: venvs.airflow2, home, dagsFolder: `${repo.dagsFolder}/${team}`, logDir: home });
        airflows.set(team, airflow);
        await waitForDags(airflow, [team === 'team_a' ? 'orders' : 'billing']);
      }),
    );
    const failed = started.find((result) => result.status === 'rejected');
    if (failed) throw failed.reason;
    repo.repo.commit('airlift-sync config', { [CONFIG]: configFile({ team_a: airflows.get('team_a')!.url, team_b: airflows.get('team_b')!.url }) });
    dagster = await startDagster({
      venv: venvs.dagster,
      home: `${work.dir}/dagster`,
      logDir: work.dir,
      locations: TEAMS.map((team) => ({ name: location(team), instance: team, airflowUrl: airflows.get(team)!.url, username: AIRFLOW_USER, password: AIRFLOW_PASSWORD })),
    });
  }, 600_000);

  afterAll(() => tearDown({ airflows: [...airflows.values()], dagster, repo, work }), 60_000);

  let teamAOnly: Push;

  it('a push touching only team_a: location A shows the new DAG and reloads, location B is untouched', async () => {
    const assetsB = await assets('team_b');
    const before = await loadTimes();
    teamAOnly = repo.push('team_a: shipments, and orders transforms', {
      'team_a/shipments.py': dagFile(2, { id: 'shipments', tasks: ['ship'] }),
      'team_a/orders.py': dagFile(2, { id: 'orders', tasks: ['extract', 'transform', 'load'], edges: [['extract', 'transform'], ['transform', 'load']] }),
    });
    expect(await assets('team_a')).not.toContain(asset('team_a', 'shipments'));

    const run = await act(teamAOnly);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(changedDags(run)).toEqual([
      expect.objectContaining({ dagId: 'orders', instance: 'team_a', kind: 'modified', file: 'dags/team_a/orders.py' }),
      expect.objectContaining({ dagId: 'shipments', instance: 'team_a', kind: 'added', file: 'dags/team_a/shipments.py' }),
    ]);
    expect(JSON.parse(run.outputs['affected-locations']!)).toEqual([location('team_a')]);
    expect(JSON.parse(run.outputs['reloaded-locations']!)).toEqual([location('team_a')]);
    expect(planned(run)).toEqual({ [location('team_a')]: true, [location('team_b')]: false });
    expect(run.summary).toMatch(/^## ✅ Reloaded 1 code location\n\n.*1 other code location already in sync/m);
    expect(summaryRow(run, 'team_a')).toContain('✅ reloaded');
    expect(summaryRow(run, 'team_b')).toContain('✅ in sync');
    expect(await assets('team_a')).toEqual(expect.arrayContaining([asset('team_a', 'orders'), asset('team_a', 'shipments')]));
    const after = await loadTimes();
    expect(after.team_a).toBeGreaterThan(before.team_a!);
    expect(after.team_b).toBe(before.team_b);
    expect(await assets('team_b')).toEqual(assetsB);
  });

  // Airflow 2 re-parses unchanged files (every second here, 30 s by default) and has no bundle version:
  // the DAG record location A holds is older than Airflow's by the re-run. Its copy of orders.py is
  // the pushed text, and that is what says it is in sync.
  it('re-running the same push after Airflow re-parsed: in-sync, neither location is reloaded', async () => {
    const held = async () => (JSON.parse((await dagster!.metadata(['team_a', 'dag', 'orders']))!['Dag Info (raw)']!) as { last_parsed_time: string }).last_parsed_time;
    const heldParse = await held();
    await waitFor('a re-parse of orders in Airflow A', async () => ((await airflows.get('team_a')!.get('/dags/orders')) as { last_parsed_time: string }).last_parsed_time !== heldParse, 60_000);
    const before = await loadTimes();

    const run = await act(teamAOnly);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('in-sync');
    expect(run.outputs['reloaded-locations']).toBe('[]');
    expect(run.summary).toMatch(/^## ✅ Dagster is in sync with Airflow/m);
    expect(await loadTimes()).toEqual(before);
    expect(await held()).toBe(heldParse);
  });

  it('a push touching both folders: both locations reload and show it', async () => {
    const before = await loadTimes();
    const push = repo.push('team_a drops shipments, team_b adds refunds', {
      'team_a/shipments.py': null,
      'team_b/refunds.py': dagFile(2, { id: 'refunds', tasks: ['refund'] }),
    });

    const run = await act(push);

    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.outputs.result).toBe('synced');
    expect(changedDags(run)).toEqual([
      expect.objectContaining({ dagId: 'refunds', instance: 'team_b', kind: 'added' }),
      expect.objectContaining({ dagId: 'shipments', instance: 'team_a', kind: 'removed' }),
    ]);
    expect(JSON.parse(run.outputs['reloaded-locations']!).sort()).toEqual([location('team_a'), location('team_b')]);
    expect(await assets('team_a')).not.toContain(asset('team_a', 'shipments'));
    expect(await assets('team_b')).toEqual(expect.arrayContaining([asset('team_b', 'billing'), asset('team_b', 'refunds')]));
    const after = await loadTimes();
    expect(after.team_a).toBeGreaterThan(before.team_a!);
    expect(after.team_b).toBeGreaterThan(before.team_b!);
  });
});
