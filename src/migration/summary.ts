// The migration section of the job summary and its annotations. Pure.
import { code, escape, fileLink, plural, table } from '../markdown.js';
import type { DagsterImpact, MigrationDag, MigrationProblem, MigrationReport } from './model.js';

export interface MigrationAnnotation {
  readonly level: 'error' | 'warning';
  readonly title: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
}

const EFFECT = {
  'import-error': '❌ import error',
  ignored: '⚠️ ignored, silently',
  'last-entry-wins': '⚠️ last entry wins, silently',
} as const;

const TITLE = {
  malformed: 'Proxied state airlift cannot load',
  'unknown-task': 'Proxied state names a task the DAG does not have',
  'duplicate-task': 'Proxied state lists a task twice',
  'unknown-dag': 'Proxied state for a DAG that does not exist',
} as const;

/** `dagFile`: where a removed DAG or task is annotated (the DAG's file and line). */
export function migrationAnnotations(
  migration: MigrationReport,
  dagFile: (instance: string, dagId: string) => { readonly file: string; readonly line?: number } | undefined,
): MigrationAnnotation[] {
  const problems = migration.problems.map((problem): MigrationAnnotation => ({ level: 'error', title: TITLE[problem.kind], message: problem.message, file: problem.file, line: problem.line }));
  const impact = migration.dagsterImpact.map((entry): MigrationAnnotation => {
    const where = dagFile(entry.instance, entry.dagId);
    return {
      level: 'warning',
      title: `Dagster location ${entry.location} maps assets to ${entry.taskId ? 'a removed task' : 'a removed DAG'}`,
      message: `${removedText(entry, false)} is mapped to ${entry.assetKeys.join(', ')} in ${entry.location}. ${entry.consequence}`,
      ...(where ? { file: where.file, ...(where.line ? { line: where.line } : {}) } : {}),
    };
  });
  return [...problems, ...impact];
}

export function migrationSection(migration: MigrationReport | undefined, report: { readonly headUrl?: string }): string {
  if (!migration) return '';
  const parts = ['### Migrating with airlift'];
  if (migration.problems.length) parts.push(`❌ ${plural(migration.problems.length, 'mistake')} in the proxied state:\n\n${problemsTable(migration.problems, report)}`);
  if (migration.dagsterImpact.length) parts.push(`⚠️ This change breaks Dagster code locations:\n\n${impactTable(migration.dagsterImpact)}`);
  if (migration.dags.length) parts.push(`Progress, per DAG:\n\n${progressTable(migration.dags, report)}`);
  for (const entry of migration.noReload) {
    parts.push(
      `ℹ️ ${code(entry.location)} mirrors ${entry.dags.map(code).join(', ')}, whose proxied state changed: no reload, as proxying happens inside Airflow and airlift's Dagster definitions do not read it.`,
    );
  }
  return parts.join('\n\n');
}

function problemsTable(problems: readonly MigrationProblem[], report: { readonly headUrl?: string }): string {
  const rows = problems.map((problem) => [fileLink(report, problem.file, problem.line), EFFECT[problem.effect], withCode(problem.message)]);
  return table(['Proxied-state file', 'At parse time', 'Problem'], rows);
}

/** Our messages quote ids between backticks: those become code spans, the rest is escaped. */
function withCode(message: string): string {
  return message
    .split('`')
    .map((part, index) => (index % 2 ? code(part) : escape(part)))
    .join('');
}

function impactTable(impact: readonly DagsterImpact[]): string {
  const rows = impact.map((entry) => [code(entry.location), removedText(entry, true), entry.assetKeys.map(code).join(', '), escape(entry.consequence)]);
  return table(['Code location', 'Removed', 'Assets mapped', 'What happens in Dagster'], rows);
}

function progressTable(dags: readonly MigrationDag[], report: { readonly headUrl?: string }): string {
  const rows = dags.map((dag) => [code(dag.dagId), progressText(dag), changeText(dag), fileLink(report, dag.file)]);
  return table(['DAG', 'Proxied to Dagster', 'This change', 'State file'], rows);
}

function progressText(dag: MigrationDag): string {
  if (dag.level === 'none') return 'state file removed: nothing proxied';
  if (dag.level === 'dag') return dag.dagProxied ? '✅ whole DAG' : 'none (`proxied: false`)';
  const total = dag.totalTasks === undefined ? '?' : `${dag.totalTasks}${dag.partial ? '+' : ''}`;
  const share = dag.totalTasks ? ` (${Math.round((100 * dag.proxiedTasks.length) / dag.totalTasks)}%)` : '';
  return `${dag.proxiedTasks.length} of ${total} tasks${share}`;
}

function changeText(dag: MigrationDag): string {
  const words: string[] = [];
  if (dag.newlyProxied.length) words.push(`newly proxied: ${tasksText(dag.newlyProxied)}`);
  if (dag.returnedToAirflow.length) words.push(`back to Airflow: ${tasksText(dag.returnedToAirflow)}`);
  return words.join('; ') || 'unchanged';
}

function tasksText(tasks: readonly string[]): string {
  return tasks.map((task) => (task === '*' ? 'the whole DAG' : code(task))).join(', ');
}

function removedText(entry: DagsterImpact, markdown: boolean): string {
  const name = (text: string) => (markdown ? code(text) : `\`${text}\``);
  return entry.taskId ? `task ${name(entry.taskId)} of DAG ${name(entry.dagId)}` : `DAG ${name(entry.dagId)}`;
}
