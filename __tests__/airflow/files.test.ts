import { describe, expect, it } from 'vitest';
import type { LiveDag } from '../../src/airflow/client.js';
import { createFileMapper, detectDagsPrefix } from '../../src/airflow/files.js';

const live = (fileloc: string, relativeFileloc?: string): LiveDag => ({
  dagId: fileloc,
  active: true,
  fileloc,
  hasImportErrors: false,
  ...(relativeFileloc ? { relativeFileloc } : {}),
});

const known = new Set(['dags/etl.py', 'dags/team/sales.py', 'dags/team/common/helpers.py', 'other/readme.py']);

describe('Airflow 3 file mapping', () => {
  it('joins relative_fileloc with the DAGs folder', () => {
    const mapper = createFileMapper({ apiVersion: 'v2', dagsFolders: ['dags'], knownFiles: known }, []);
    expect(mapper.dagFile(live('/opt/airflow/dags/team/sales.py', 'team/sales.py'))).toBe('dags/team/sales.py');
    expect(mapper.airflowFile('etl.py')).toBe('dags/etl.py');
    expect(mapper.dagFile(live('/somewhere/x.py'))).toBeUndefined();
  });

  it('picks the DAGs folder that has the file when there are several', () => {
    const mapper = createFileMapper({ apiVersion: 'v2', dagsFolders: ['other', 'dags'], knownFiles: known }, []);
    expect(mapper.airflowFile('etl.py')).toBe('dags/etl.py');
    expect(mapper.airflowFile('brand-new.py')).toBe('other/brand-new.py');
  });

  it('maps the paths of a git bundle of the whole repository (no subdir) from its root', () => {
    const mapper = createFileMapper({ apiVersion: 'v2', dagsFolders: ['dags'], knownFiles: known }, []);
    expect(mapper.dagFile(live('/tmp/dag_bundles/repo/tracking_repo/dags/team/sales.py', 'dags/team/sales.py'))).toBe('dags/team/sales.py');
    expect(mapper.airflowFile('dags/etl.py')).toBe('dags/etl.py');
    // A file the push deleted is no longer in the repository.
    expect(mapper.airflowFile('dags/gone.py')).toBe('dags/gone.py');
    expect(mapper.airflowFile('gone.py')).toBe('dags/gone.py');
  });

  it('treats a repository-root DAGs folder as the bundle root', () => {
    const mapper = createFileMapper({ apiVersion: 'v2', dagsFolders: ['.'], knownFiles: known }, []);
    expect(mapper.airflowFile('dags/etl.py')).toBe('dags/etl.py');
  });
});

describe('Airflow 2 file mapping', () => {
  it('strips the configured container prefix', () => {
    const mapper = createFileMapper({ apiVersion: 'v1', dagsFolders: ['dags'], dagsPrefix: '/usr/local/airflow/dags/', knownFiles: known }, []);
    expect(mapper.dagsPrefix).toBe('/usr/local/airflow/dags');
    expect(mapper.dagFile(live('/usr/local/airflow/dags/team/sales.py'))).toBe('dags/team/sales.py');
    expect(mapper.airflowFile('/usr/local/airflow/dags/new.py')).toBe('dags/new.py');
    expect(mapper.airflowFile('/home/airflow/.local/lib/python3.12/site-packages/airflow/example_dags/x.py')).toBeUndefined();
  });

  it('detects the prefix from the DAGs Airflow lists and the DAG files the repository has', () => {
    const filelocs = [
      '/opt/airflow/dags/repo/dags/etl.py',
      '/opt/airflow/dags/repo/dags/team/sales.py',
      '/opt/airflow/dags/repo/dags/not-in-repo.py',
      '/home/airflow/.local/lib/python3.12/site-packages/airflow/example_dags/example_bash_operator.py',
    ];
    expect(detectDagsPrefix(filelocs, ['dags'], known)).toBe('/opt/airflow/dags/repo/dags');
    const mapper = createFileMapper({ apiVersion: 'v1', dagsFolders: ['dags'], knownFiles: known }, filelocs.map((f) => live(f)));
    expect(mapper.dagFile(live('/opt/airflow/dags/repo/dags/not-in-repo.py'))).toBe('dags/not-in-repo.py');
  });

  it('prefers the prefix most paths agree on, then the longest', () => {
    // "etl.py" alone would also match under /opt/airflow/dags/team; two files agree on the shorter prefix.
    const repo = new Set(['dags/etl.py', 'dags/team/etl.py', 'dags/team/sales.py']);
    expect(detectDagsPrefix(['/opt/airflow/dags/team/etl.py', '/opt/airflow/dags/team/sales.py', '/opt/airflow/dags/etl.py'], ['dags'], repo)).toBe(
      '/opt/airflow/dags',
    );
    expect(detectDagsPrefix(['/a/b/etl.py'], ['dags'], new Set(['dags/etl.py', 'dags/b/etl.py']))).toBe('/a/b');
  });

  it('finds no prefix when no path lands on a repository file', () => {
    expect(detectDagsPrefix(['/opt/airflow/dags/x.py'], ['dags'], known)).toBeUndefined();
    const mapper = createFileMapper({ apiVersion: 'v1', dagsFolders: ['dags'], knownFiles: known }, [live('/opt/airflow/dags/x.py')]);
    expect(mapper.dagsPrefix).toBeUndefined();
    expect(mapper.dagFile(live('/opt/airflow/dags/x.py'))).toBeUndefined();
  });
});
