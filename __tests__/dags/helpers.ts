// Shared helpers for the DAG reader tests: read a Python snippet, pick a DAG.
import type { DagDefinition, DagFileRead } from '../../src/model.js';
import { readDagFile } from '../../src/dags/read.js';

/**
 * Strips the common indentation of a template literal, so snippets can be
 * indented in tests. Interpolated values (shared imports) are inserted as they are.
 */
export function py(strings: TemplateStringsArray, ...values: unknown[]): string {
  const parts = strings.raw.map((part, i) => (i === 0 ? part.replace(/^\n/, '') : part));
  const lines = parts.flatMap((part, i) => (i === 0 ? part.split('\n') : part.split('\n').slice(1)));
  const indent = Math.min(...lines.filter((line) => line.trim()).map((line) => /^ */.exec(line)![0].length));
  const dedent = (part: string, i: number): string =>
    part
      .split('\n')
      .map((line, j) => (i === 0 || j > 0 ? line.slice(indent) : line))
      .join('\n');
  return parts.map((part, i) => dedent(part, i) + (i < values.length ? String(values[i]) : '')).join('');
}

export function read(source: string, path = 'dags/example.py'): Promise<DagFileRead> {
  return readDagFile(path, source);
}

/** The one DAG with this id; fails the test when it is missing. */
export async function dagOf(source: string, dagId: string): Promise<DagDefinition> {
  const result = await read(source);
  if (result.syntaxErrors.length > 0) throw new Error(`syntax errors in the snippet: ${JSON.stringify(result.syntaxErrors)}`);
  const dag = result.dags.find((d) => d.dagId === dagId);
  if (!dag) throw new Error(`no DAG ${dagId}; got ${result.dags.map((d) => d.dagId).join(', ') || 'none'} ${JSON.stringify(result.dynamic)}`);
  return dag;
}

export const ids = (result: DagFileRead): string[] => result.dags.map((dag) => dag.dagId);
export const edges = (dag: DagDefinition): string[] => dag.edges.map(([up, down]) => `${up} >> ${down}`);
