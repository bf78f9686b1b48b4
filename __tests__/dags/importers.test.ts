import { describe, expect, it } from 'vitest';
import type { DagFileRead } from '../../src/model.js';
import { findImportLinks, findImporters } from '../../src/dags/importers.js';

function file(path: string, imports: string[]): DagFileRead {
  return { path, dags: [], dynamic: [], syntaxErrors: [], imports };
}

describe('findImporters', () => {
  const reads = [
    file('dags/plain_import.py', ['common.utils']),
    file('dags/from_package.py', ['common', 'common.utils']),
    file('dags/from_module.py', ['common.utils', 'common.utils.load']),
    file('dags/submodule.py', ['common.utils.parsers']),
    file('dags/other.py', ['common', 'common.other']),
    file('dags/unrelated.py', ['os', 'airflow.sdk']),
  ];

  it('finds every way of importing a changed module, given as a path or a dotted name', () => {
    const expected = ['dags/from_module.py', 'dags/from_package.py', 'dags/plain_import.py', 'dags/submodule.py'];
    expect(findImporters(['dags/common/utils.py'], reads, 'dags')).toEqual(expected);
    expect(findImporters(['common.utils'], reads, 'dags/')).toEqual(expected);
  });

  it('treats a changed package __init__ as a change to everything imported through it', () => {
    expect(findImporters(['dags/common/__init__.py'], reads, 'dags')).toEqual([
      'dags/from_module.py',
      'dags/from_package.py',
      'dags/other.py',
      'dags/plain_import.py',
      'dags/submodule.py',
    ]);
  });

  it('resolves relative imports against the importing file package', () => {
    const relative = [
      file('dags/team/etl.py', ['.helpers']),
      file('dags/team/report.py', ['..common.utils']),
      file('dags/team/__init__.py', ['.', '.helpers']),
      file('dags/team/far.py', ['...outside']),
    ];
    expect(findImporters(['dags/team/helpers.py'], relative, 'dags')).toEqual(['dags/team/__init__.py', 'dags/team/etl.py']);
    expect(findImporters(['dags/common/utils.py'], relative, 'dags')).toEqual(['dags/team/report.py']);
  });

  it('follows imports through helper modules that were read too', () => {
    const chain = [
      file('dags/helpers/base.py', ['common.utils']),
      file('dags/helpers/tasks.py', ['helpers.base']),
      file('dags/pipeline.py', ['helpers.tasks']),
      file('dags/lonely.py', ['helpers']),
    ];
    expect(findImportLinks(['dags/common/utils.py'], chain, 'dags')).toEqual([
      { file: 'dags/helpers/base.py', module: 'common.utils' },
      { file: 'dags/helpers/tasks.py', module: 'common.utils' },
      { file: 'dags/pipeline.py', module: 'common.utils' },
    ]);
  });

  it('matches modules outside the DAGs folder by their path from the repository root', () => {
    const rooted = [file('dags/uses_include.py', ['include.transforms.clean'])];
    expect(findImporters(['include/transforms.py'], rooted, 'dags')).toEqual(['dags/uses_include.py']);
  });

  it('ignores non-Python paths and returns nothing when nothing imports the change', () => {
    expect(findImporters(['dags/common/utils.py'], [file('dags/x.py', ['common.utilsx'])], 'dags')).toEqual([]);
    expect(findImporters(['README.md'], reads, 'dags')).toEqual([]);
  });
});
