// The repository's DAG files as the Airflow stage lists them (to find the DAGs folder inside the
// Airflow 2 container): real folders on disk, symlinks followed like Airflow follows them.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { pythonFiles } from '../../src/stages/airflow.js';

let root: string;
afterEach(() => rmSync(root, { recursive: true, force: true }));

function tree(files: readonly string[]): string {
  root = mkdtempSync(path.join(os.tmpdir(), 'airlift-pyfiles-'));
  for (const file of files) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), '');
  }
  return root;
}

describe('pythonFiles', () => {
  it('lists .py files under the folder, nested ones included, with / separators', () => {
    tree(['dags/etl.py', 'dags/team/report.py', 'dags/README.md', 'other/x.py']);
    expect(pythonFiles(root, 'dags').sort()).toEqual(['dags/etl.py', 'dags/team/report.py']);
  });

  it('follows a symlinked folder, and ends on a link back to an ancestor', () => {
    tree(['dags/etl.py', 'shared/common.py']);
    symlinkSync(path.join(root, 'shared'), path.join(root, 'dags', 'shared'));
    symlinkSync(path.join(root, 'dags'), path.join(root, 'dags', 'loop'));
    expect(pythonFiles(root, 'dags').sort()).toEqual(['dags/etl.py', 'dags/shared/common.py']);
  });
});
