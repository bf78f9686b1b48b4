// What every read of a Python file must be, whatever went in: the fuzz test and `npm run fuzz`
// hold the reader to it.
import type { DagFileRead } from '../../src/model.js';

/** Each way `read` is malformed, in words; empty when it is well formed. */
export function readProblems(read: DagFileRead, path: string): string[] {
  const problems: string[] = [];
  if (read.path !== path) problems.push(`path ${read.path}, not ${path}`);
  if (!Array.isArray(read.dags) || !Array.isArray(read.dynamic) || !Array.isArray(read.syntaxErrors)) problems.push('dags, dynamic or syntaxErrors is not a list');
  if (read.imports.some((name, i) => i > 0 && read.imports[i - 1]! > name)) problems.push('imports are not sorted');
  for (const dag of read.dags) {
    if (!(dag.line >= 1)) problems.push(`${dag.dagId}: line ${dag.line}`);
    if (new Set(dag.tasks).size !== dag.tasks.length) problems.push(`${dag.dagId}: duplicate task ids`);
    if (dag.tasks.some((task, i) => i > 0 && dag.tasks[i - 1]! > task)) problems.push(`${dag.dagId}: tasks are not sorted`);
    const tasks = new Set(dag.tasks);
    for (const [up, down] of dag.edges) if (!tasks.has(up) || !tasks.has(down)) problems.push(`${dag.dagId}: edge ${up} >> ${down} names an unknown task`);
  }
  for (const problem of read.syntaxErrors) {
    if (!(problem.line >= 1) || !(problem.column >= 1)) problems.push(`syntax error at line ${problem.line}, column ${problem.column}`);
    if (problem.message.length === 0) problems.push('syntax error without a message');
  }
  return problems;
}
