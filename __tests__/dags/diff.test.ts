import { describe, expect, it } from 'vitest';
import type { DagDefinition, DagFileRead, Edge } from '../../src/model.js';
import { diffDagFiles } from '../../src/dags/diff.js';

function dag(dagId: string, tasks: string[], edges: Edge[] = [], partial = false): DagDefinition {
  return { dagId, line: 1, tasks, edges, partial };
}

function file(path: string, dags: DagDefinition[], extra: Partial<DagFileRead> = {}): DagFileRead {
  return { path, dags, dynamic: [], syntaxErrors: [], imports: [], ...extra };
}

describe('diffDagFiles', () => {
  it('reports added, removed, modified and unchanged DAGs, ordered by id', () => {
    const before = [
      file('dags/a.py', [dag('stays', ['t1']), dag('edited', ['x', 'y'], [['x', 'y']]), dag('gone', ['g'])]),
    ];
    const after = [
      file('dags/a.py', [dag('stays', ['t1']), dag('edited', ['x', 'y', 'z'], [['x', 'z']]), dag('fresh', ['f'])]),
    ];
    const changes = diffDagFiles('prod', before, after);
    expect(changes.map((c) => [c.dagId, c.kind])).toEqual([
      ['edited', 'modified'],
      ['fresh', 'added'],
      ['gone', 'removed'],
      ['stays', 'unchanged'],
    ]);
    const edited = changes[0]!;
    expect(edited).toMatchObject({
      instance: 'prod',
      file: 'dags/a.py',
      tasksAdded: ['z'],
      tasksRemoved: [],
      edgesAdded: [['x', 'z']],
      edgesRemoved: [['x', 'y']],
      before: { tasks: ['x', 'y'], edges: [['x', 'y']] },
      after: { tasks: ['x', 'y', 'z'], edges: [['x', 'z']] },
    });
    expect(changes[1]).toMatchObject({ tasksAdded: ['f'], tasksRemoved: [], after: { tasks: ['f'] } });
    expect(changes[1]!.before).toBeUndefined();
    expect(changes[2]).toMatchObject({ file: 'dags/a.py', tasksRemoved: ['g'], before: { tasks: ['g'] } });
    expect(changes[2]!.after).toBeUndefined();
    expect(changes[3]).toMatchObject({ tasksAdded: [], tasksRemoved: [], edgesAdded: [], edgesRemoved: [] });
  });

  it('reports a DAG that moved to another file as modified, with its previous file', () => {
    const changes = diffDagFiles('prod', [file('dags/old.py', [dag('mover', ['a'])])], [file('dags/new.py', [dag('mover', ['a'])])]);
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ kind: 'modified', file: 'dags/new.py', previousFile: 'dags/old.py', tasksAdded: [] });
  });

  it('sorts task and edge deltas', () => {
    const [change] = diffDagFiles(
      'i',
      [file('f.py', [dag('d', ['b', 'a'])])],
      [file('f.py', [dag('d', ['d', 'c', 'b', 'a'], [['c', 'd'], ['a', 'b']])])],
    );
    expect(change!.tasksAdded).toEqual(['c', 'd']);
    expect(change!.edgesAdded).toEqual([
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('is partial when either side was read only in part', () => {
    const changes = diffDagFiles('i', [file('f.py', [dag('d', ['a'], [], true)])], [file('f.py', [dag('d', ['a'])])]);
    expect(changes[0]).toMatchObject({ kind: 'unchanged', partial: true });
  });

  it('does not call the DAGs of an unreadable revision removed or added', () => {
    const skipped = { skipped: { reason: 'file is larger than 1048576 bytes' } };
    const grew = diffDagFiles('i', [file('f.py', [dag('d', ['a'])])], [file('f.py', [], skipped)]);
    expect(grew[0]).toMatchObject({ dagId: 'd', kind: 'modified', partial: true, before: { tasks: ['a'] } });
    const shrank = diffDagFiles('i', [file('f.py', [], skipped)], [file('f.py', [dag('d', ['a'])])]);
    expect(shrank[0]).toMatchObject({ dagId: 'd', kind: 'modified', partial: true, after: { tasks: ['a'] } });
  });

  it('handles files added or deleted by the push, and returns nothing for no DAGs', () => {
    expect(diffDagFiles('i', [], [file('n.py', [dag('new', ['t'])])]).map((c) => c.kind)).toEqual(['added']);
    expect(diffDagFiles('i', [file('o.py', [dag('old', ['t'])])], []).map((c) => c.kind)).toEqual(['removed']);
    expect(diffDagFiles('i', [file('x.py', [])], [file('x.py', [])])).toEqual([]);
  });

  it('gives the same result whatever the order of the reads', () => {
    const before = [file('b.py', [dag('two', ['t'])]), file('a.py', [dag('one', ['t'])])];
    const after = [file('a.py', [dag('one', ['t', 'u'])]), file('b.py', [dag('two', ['t'])])];
    expect(diffDagFiles('i', before, after)).toEqual(diffDagFiles('i', [...before].reverse(), [...after].reverse()));
  });
});
