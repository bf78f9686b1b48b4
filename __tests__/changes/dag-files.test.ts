import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyChanges, listDagFiles, mightContainDag, type DagFolders } from '../../src/changes/dag-files.js';
import { GitRevisions } from '../../src/changes/git.js';
import { DAG, tempDir, TestRepo } from './repo.js';

let tmp: ReturnType<typeof tempDir>;
let repo: TestRepo;
let revisions: GitRevisions;
const c: Record<string, string> = {};

const ASSET_ONLY = 'from airflow.sdk import Asset\n\nraw = Asset("s3://bucket/raw")\n';
const HELPER = (v: number): string => `def helper():\n    return ${v}\n`;
const ZIP = (v: number): Buffer => Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(32, v)]);

beforeAll(() => {
  tmp = tempDir('dagfiles');
  repo = TestRepo.init(path.join(tmp.dir, 'repo'));
  c.a0 = repo.commit('a0', {
    'dags/etl.py': DAG('etl'),
    'dags/helpers/util.py': HELPER(1),
    'dags/assets.py': ASSET_ONLY,
    'dags/bundle.zip': ZIP(1),
    'dags/notes.txt': 'notes\n',
    'other/x.py': DAG('outside'),
    // regexp syntax, nested
    'dags_r/.airflowignore': 'legacy   # old DAGs\n',
    'dags_r/team/.airflowignore': '^team/scratch\n',
    'dags_r/legacy/old.py': DAG('old'),
    'dags_r/team/scratch_dag.py': DAG('scratch'),
    'dags_r/team/real.py': DAG('real'),
    // glob syntax, nested, with negation
    'dags_g/.airflowignore': '*_test.py\nold/\n',
    'dags_g/team/.airflowignore': '!keep_test.py\n',
    'dags_g/a_test.py': DAG('a_test'),
    'dags_g/team/keep_test.py': DAG('keep_test'),
    'dags_g/team/b_test.py': DAG('b_test'),
    'dags_g/old/x.py': DAG('x'),
    'dags_g/main.py': DAG('main'),
    'dags_d/keep.py': DAG('keep'),
    'dags_d/exp/e.py': DAG('e'),
    'dags_h/becomes.py': 'import airflow\n',
  });
  c.a1 = repo.commit('a1', {
    'dags/etl.py': DAG('etl', '# v2\n'),
    'dags/helpers/util.py': HELPER(2),
    'dags/assets.py': `${ASSET_ONLY}# v2\n`,
    'dags/bundle.zip': ZIP(2),
    'dags/notes.txt': 'more notes\n',
    'other/x.py': DAG('outside', '# v2\n'),
    'dags_r/legacy/old.py': DAG('old', '# v2\n'),
    'dags_r/team/scratch_dag.py': DAG('scratch', '# v2\n'),
    'dags_r/team/real.py': DAG('real', '# v2\n'),
    'dags_g/a_test.py': DAG('a_test', '# v2\n'),
    'dags_g/team/keep_test.py': DAG('keep_test', '# v2\n'),
    'dags_g/team/b_test.py': DAG('b_test', '# v2\n'),
    'dags_g/old/x.py': DAG('x', '# v2\n'),
    'dags_g/main.py': DAG('main', '# v2\n'),
    'dags_h/becomes.py': 'import airflow\n\nwith airflow.DAG("now") as d:\n    pass\n',
  });
  c.a2 = repo.commit('ignore exp', { 'dags_d/.airflowignore': 'exp/\n' });
  repo.git('mv', 'dags_g/main.py', 'dags_g/old/main.py');
  c.a3 = repo.commit('move main into an ignored folder');
  c.a4 = repo.commit('copy', {
    'dags_g/team/keep_copy.py': DAG('keep_test', '# v2\n'),
    'dags_g/team/keep_test.py': DAG('keep_test', '# v2\n# v3\n'),
  });
  revisions = new GitRevisions(repo.dir);
});

afterAll(async () => {
  await revisions.close();
  tmp.cleanup();
});

const instance = (dagsFolders: string[], ignoreSyntax: 'regexp' | 'glob' = 'glob', airflowMajor: 2 | 3 = 2): DagFolders => ({ dagsFolders, ignoreSyntax, airflowMajor });
const classify = async (base: string, head: string, folders: DagFolders) => classifyChanges(await revisions.changedFiles(base, head), revisions, base, head, folders);

describe('classifyChanges', () => {
  it('gives DAG files with their text at both revisions, archives and helper modules; nothing outside the folder', async () => {
    const result = await classify(c.a0!, c.a1!, instance(['dags']));
    expect(result.dagFiles).toEqual([{ change: { path: 'dags/etl.py', kind: 'modified' }, before: DAG('etl'), after: DAG('etl', '# v2\n') }]);
    expect(result.archives).toEqual([{ path: 'dags/bundle.zip', kind: 'modified' }]);
    expect(result.modules).toEqual([
      { path: 'dags/assets.py', kind: 'modified' },
      { path: 'dags/helpers/util.py', kind: 'modified' },
    ]);
    expect(result.ignored).toEqual([]);
  });

  it('applies the safe-mode heuristic of the Airflow version: assets count from Airflow 3 on', async () => {
    const result = await classify(c.a0!, c.a1!, instance(['./dags/'], 'glob', 3));
    expect(result.dagFiles.map((file) => file.change.path)).toEqual(['dags/assets.py', 'dags/etl.py']);
    expect(result.modules).toEqual([{ path: 'dags/helpers/util.py', kind: 'modified' }]);
    expect(mightContainDag('from airflow import DAG', 2)).toBe(true);
    expect(mightContainDag('# AIRFLOW Dag', 2)).toBe(true);
    expect(mightContainDag('import dagster  # no a-word', 3)).toBe(false);
  });

  it('reports a file that starts passing the heuristic as a new DAG file', async () => {
    const result = await classify(c.a0!, c.a1!, instance(['dags_h']));
    expect(result.dagFiles).toEqual([{ change: { path: 'dags_h/becomes.py', kind: 'added' }, before: null, after: expect.stringContaining('DAG("now")') }]);
  });

  it('follows nested .airflowignore files in regexp syntax', async () => {
    const result = await classify(c.a0!, c.a1!, instance(['dags_r'], 'regexp'));
    expect(result.dagFiles.map((file) => file.change.path)).toEqual(['dags_r/team/real.py']);
    expect(result.ignored).toEqual(['dags_r/legacy/old.py', 'dags_r/team/scratch_dag.py']);
    // Ignored files are still importable.
    expect(result.modules.map((change) => change.path)).toEqual(['dags_r/legacy/old.py', 'dags_r/team/scratch_dag.py']);
  });

  it('follows nested .airflowignore files in glob syntax, with negation', async () => {
    const result = await classify(c.a0!, c.a1!, instance(['dags_g'], 'glob'));
    expect(result.dagFiles.map((file) => file.change.path)).toEqual(['dags_g/main.py', 'dags_g/team/keep_test.py']);
    expect(result.ignored).toEqual(['dags_g/a_test.py', 'dags_g/old/x.py', 'dags_g/team/b_test.py']);
  });

  it('reads the same files differently per syntax (regexp: "*_test.py" is an invalid pattern)', async () => {
    const result = await classify(c.a0!, c.a1!, instance(['dags_g'], 'regexp'));
    expect(result.warnings).toEqual([expect.stringMatching(/^Ignoring invalid regex '\*_test\.py' from \.airflowignore/)]);
    expect(result.ignored).toEqual(['dags_g/old/x.py']);
  });

  it('drops DAG files an .airflowignore change excludes, though the push did not touch them', async () => {
    const result = await classify(c.a1!, c.a2!, instance(['dags_d']));
    expect(result.dagFiles).toEqual([{ change: { path: 'dags_d/exp/e.py', kind: 'removed' }, before: DAG('e'), after: null }]);
    const back = await classify(c.a2!, c.a1!, instance(['dags_d']));
    expect(back.dagFiles).toEqual([{ change: { path: 'dags_d/exp/e.py', kind: 'added' }, before: null, after: DAG('e') }]);
  });

  it('sees a rename into an ignored folder as the DAG file removed', async () => {
    const result = await classify(c.a2!, c.a3!, instance(['dags_g']));
    expect(result.dagFiles).toEqual([{ change: { path: 'dags_g/main.py', kind: 'removed' }, before: DAG('main', '# v2\n'), after: null }]);
    expect(result.ignored).toEqual(['dags_g/old/main.py']);
  });

  it('gives a copy no before: its source is still there', async () => {
    const modified = { change: { path: 'dags_g/team/keep_test.py', kind: 'modified' as const }, before: DAG('keep_test', '# v2\n'), after: DAG('keep_test', '# v2\n# v3\n') };
    // git is asked without copy detection: to it the copy is the file it adds.
    expect((await classify(c.a3!, c.a4!, instance(['dags_g']))).dagFiles).toEqual([
      { change: { path: 'dags_g/team/keep_copy.py', kind: 'added' }, before: null, after: DAG('keep_test', '# v2\n') },
      modified,
    ]);
    // The GitHub API names a copy's source.
    const copy = { path: 'dags_g/team/keep_copy.py', previousPath: 'dags_g/team/keep_test.py', kind: 'copied' } as const;
    const fromApi = await classifyChanges([copy, modified.change], revisions, c.a3!, c.a4!, instance(['dags_g']));
    expect(fromApi.dagFiles).toEqual([{ change: copy, before: null, after: DAG('keep_test', '# v2\n') }, modified]);
  });

  it('takes several DAGs folders, each with its own .airflowignore root', async () => {
    const result = await classify(c.a0!, c.a1!, instance(['dags', 'dags_g'], 'glob'));
    expect(result.dagFiles.map((file) => file.change.path)).toEqual(['dags/etl.py', 'dags_g/main.py', 'dags_g/team/keep_test.py']);
  });
});

describe('listDagFiles (full check)', () => {
  it('lists every DAG file and archive at a revision as added, and what .airflowignore keeps out', async () => {
    const result = await listDagFiles(revisions, c.a4!, instance(['dags', 'dags_g']));
    expect(result.dagFiles.map((file) => file.change)).toEqual([
      { path: 'dags/etl.py', kind: 'added' },
      { path: 'dags_g/team/keep_copy.py', kind: 'added' },
      { path: 'dags_g/team/keep_test.py', kind: 'added' },
    ]);
    expect(result.dagFiles.every((file) => file.before === null && file.after !== null)).toBe(true);
    expect(result.archives).toEqual([{ path: 'dags/bundle.zip', kind: 'added' }]);
    expect(result.ignored).toEqual(['dags_g/a_test.py', 'dags_g/old/main.py', 'dags_g/old/x.py', 'dags_g/team/b_test.py']);
    expect(result.modules).toEqual([]);
  });
});
