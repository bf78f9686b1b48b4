import { describe, expect, it } from 'vitest';
import { compileIgnoreRules, pythonRegExp, scopeGlob, type IgnoreFile } from '../../src/changes/airflowignore.js';

const ignored = (syntax: 'regexp' | 'glob', files: IgnoreFile[], paths: string[]): string[] => {
  const rules = compileIgnoreRules(syntax, files);
  return paths.filter((p) => rules.ignores(p));
};

describe('.airflowignore, regexp syntax (Airflow 2 default)', () => {
  it('searches each line anywhere in the path relative to the DAGs folder, like re.search', () => {
    const files = [{ folder: '', text: 'project_a\ntenant_[\\d]\n' }];
    expect(ignored('regexp', files, ['project_a_dag_1.py', 'TESTING_project_a.py', 'tenant_1.py', 'tenant_1/dag_1.py', 'project_b.py', 'tenant_x.py'])).toEqual([
      'project_a_dag_1.py',
      'TESTING_project_a.py',
      'tenant_1.py',
      'tenant_1/dag_1.py',
    ]);
  });

  it('matches a nested file\'s lines against the path from the DAGs folder root, and only below that folder', () => {
    const files = [{ folder: 'team', text: '^team/old\n^new\n' }];
    expect(ignored('regexp', files, ['team/old_dag.py', 'team/new_dag.py', 'old_dag.py', 'new.py'])).toEqual(['team/old_dag.py']);
  });

  it('prunes a folder the rules match, even when its files would not match', () => {
    const files = [{ folder: '', text: '^legacy$\n' }];
    expect(ignored('regexp', files, ['legacy/dag.py', 'legacy.py', 'legacy2/dag.py'])).toEqual(['legacy/dag.py']);
  });

  it('drops comments from # on, and skips invalid patterns with a warning as Airflow does', () => {
    const rules = compileIgnoreRules('regexp', [{ folder: '', text: '# header\nscratch   # trailing comment\n[unclosed\n' }]);
    expect(rules.ignores('scratch_dag.py')).toBe(true);
    expect(rules.ignores('dag.py')).toBe(false);
    expect(rules.warnings).toEqual([expect.stringMatching(/^Ignoring invalid regex '\[unclosed' from \.airflowignore/)]);
  });

  it('reads Python named groups and leading inline flags', () => {
    expect(pythonRegExp('(?P<x>ab)(?P=x)').test('abab')).toBe(true);
    expect(pythonRegExp('(?i)^TMP').test('tmp_dag.py')).toBe(true);
    expect(() => pythonRegExp('(?x) a')).toThrow();
  });
});

describe('.airflowignore, glob syntax (Airflow 3 default)', () => {
  it('matches a pattern without a slash against names at any depth, one with a slash from its folder', () => {
    const files = [{ folder: '', text: '*_test.py\nlegacy/\n/top.py\nsub/exact.py\n' }];
    expect(
      ignored('glob', files, ['a_test.py', 'x/y/b_test.py', 'legacy/dag.py', 'x/legacy/dag.py', 'top.py', 'x/top.py', 'sub/exact.py', 'x/sub/exact.py']),
    ).toEqual(['a_test.py', 'x/y/b_test.py', 'legacy/dag.py', 'x/legacy/dag.py', 'top.py', 'sub/exact.py']);
  });

  it('re-includes with ! (the last matching line wins) but never inside an excluded folder', () => {
    const files = [{ folder: '', text: '*.py\n!keep*.py\nold/\n' }];
    expect(ignored('glob', files, ['a.py', 'keep_me.py', 'old/keep_me.py', 'notes.md'])).toEqual(['a.py', 'old/keep_me.py']);
  });

  it('lets a nested .airflowignore override its parent, and keeps its rules inside its folder', () => {
    const files = [
      { folder: '', text: 'generated_*.py\nscratch/\n' },
      { folder: 'team', text: '!generated_ok.py\n/local.py\nscratch/\n!scratch/\n' },
    ];
    expect(
      ignored('glob', files, ['generated_ok.py', 'team/generated_ok.py', 'team/generated_x.py', 'team/local.py', 'team/deep/local.py', 'local.py', 'team/scratch/a.py', 'scratch/a.py']),
    ).toEqual(['generated_ok.py', 'team/generated_x.py', 'team/local.py', 'scratch/a.py']);
  });

  it('is case-sensitive and ignores the no-op "/" with a warning', () => {
    const rules = compileIgnoreRules('glob', [{ folder: '', text: 'Scratch.py\n/\n' }]);
    expect(rules.ignores('scratch.py')).toBe(false);
    expect(rules.ignores('Scratch.py')).toBe(true);
    expect(rules.warnings).toEqual(["Ignoring no-op glob pattern '/' from .airflowignore"]);
  });

  it('scopes nested patterns with the folder name taken literally', () => {
    expect(scopeGlob('*.py', 'a[1]')).toBe('a\\[1\\]/**/*.py');
    expect(scopeGlob('!/x.py', '#team')).toBe('!\\#team/x.py');
    const files = [{ folder: '#weird [1]', text: 'x.py\n' }];
    expect(ignored('glob', files, ['#weird [1]/x.py', '#weird [1]/deep/x.py', 'other/x.py'])).toEqual(['#weird [1]/x.py', '#weird [1]/deep/x.py']);
  });
});
