// Pure rendering of a RunReport: the job summary (Markdown), annotations and
// outputs. main.ts hands them to the runner.
import type { DagChange, Edge } from './model.js';
import type { StaleReason } from './plan.js';
import type { AirflowReport, FileProblem, LocationReport, RunReport } from './outcome.js';

/** Rows shown per table before the rest is folded away; the JSON report has everything. */
export const TABLE_CAP = 50;

export interface Annotation {
  readonly level: 'error' | 'warning' | 'notice';
  readonly title: string;
  readonly message: string;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export function renderOutputs(report: RunReport, reportPath: string): Record<string, string> {
  return {
    'changed-dags': JSON.stringify(
      report.changes.dags.map((dag) => ({ dagId: dag.dagId, instance: dag.instance, kind: dag.kind, file: dag.file })),
    ),
    'affected-locations': JSON.stringify(affected(report).map((location) => location.location)),
    'reloaded-locations': JSON.stringify(
      (report.dagster?.locations ?? []).filter((location) => location.outcome === 'loaded' && !location.outOfSync?.length).map((l) => l.location),
    ),
    result: report.result,
    'report-path': reportPath,
  };
}

export function renderAnnotations(report: RunReport): Annotation[] {
  const annotations: Annotation[] = [];
  for (const problem of report.changes.syntaxErrors) {
    annotations.push({ level: 'error', title: 'Python syntax error in a DAG file', ...located(problem) });
  }
  for (const problem of report.changes.dynamicDags) {
    annotations.push({
      level: 'notice',
      title: 'DAG id not readable statically',
      ...located(problem),
      message: `${problem.message}: airlift-sync compares this file with Airflow by its source, not by its DAG ids.`,
    });
  }
  for (const problem of report.changes.skippedFiles) annotations.push({ level: 'warning', title: 'DAG file not read', ...located(problem) });
  for (const airflow of report.airflow) {
    for (const problem of airflow.importErrors) {
      annotations.push({ level: 'error', title: `Airflow import error (${airflow.instance})`, ...located(problem) });
    }
  }
  for (const failure of report.failures) {
    annotations.push({ level: 'error', title: `airlift-sync: ${failure.stage} failed`, message: `${failure.message} Fix: ${failure.fix}` });
  }
  return annotations;
}

function located(problem: FileProblem): Pick<Annotation, 'message' | 'file' | 'line' | 'column'> {
  return { message: problem.message, file: problem.file, line: problem.line, column: problem.column };
}

export function renderSummary(report: RunReport): string {
  const parts = [headline(report), failuresSection(report), dagsSection(report), airflowSection(report), dagsterSection(report), footer(report)];
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

function affected(report: RunReport): LocationReport[] {
  return (report.dagster?.locations ?? []).filter((location) => location.reload);
}

function headline(report: RunReport): string {
  const reloaded = (report.dagster?.locations ?? []).filter((l) => l.outcome === 'loaded' && !l.outOfSync?.length).length;
  const planned = affected(report).length;
  const title = {
    synced: `✅ Reloaded ${plural(reloaded, 'code location')}`,
    'in-sync': '✅ Dagster is in sync with Airflow',
    planned: `📝 Plan: ${planned ? `reload ${plural(planned, 'code location')}` : 'nothing to reload'}`,
    failed: '❌ airlift-sync failed',
  }[report.result];
  const range = describeRange(report);
  const dags = report.changes.dags.filter((dag) => dag.kind !== 'unchanged').length;
  return `## ${title}\n\n${range} · ${plural(dags, 'DAG change')}${report.dryRun ? ' · dry run' : ''}`;
}

function describeRange(report: RunReport): string {
  const range = report.range;
  switch (range.kind) {
    case 'diff': {
      const text = `\`${range.base.slice(0, 7)}..${range.head.slice(0, 7)}\``;
      const linked = report.compareUrl ? `[${text}](${report.compareUrl})` : text;
      return `${escape(range.event)} ${linked}${range.forced ? ' (force push: trees compared)' : ''}`;
    }
    case 'full':
      return `${escape(range.event)}: full drift check at \`${range.head.slice(0, 7)}\` (${escape(range.reason)})`;
    case 'skip':
      return `${escape(range.event)}: nothing to do (${escape(range.reason)})`;
  }
}

function failuresSection(report: RunReport): string {
  if (!report.failures.length) return '';
  const items = report.failures.map((failure) => `- **${failure.stage}**: ${escape(failure.message)}\n  **Fix:** ${escape(failure.fix)}`);
  return `### What failed\n\n${items.join('\n')}`;
}

function dagsSection(report: RunReport): string {
  const dags = report.changes.dags;
  const notes = [
    ...report.changes.syntaxErrors.map((p) => `- ⚠️ syntax error in ${fileLink(report, p.file, p.line)} line ${p.line}: ${escape(p.message)}`),
    ...report.changes.archives.map((file) => `- 📦 changed archive ${fileLink(report, file)} (not read; Airflow loads it)`),
    ...report.changes.dynamicDags.map((p) => `- ℹ️ ${fileLink(report, p.file, p.line)} line ${p.line}: ${escape(p.message)}`),
  ];
  if (!dags.length && !notes.length) return '### DAG changes\n\nNo DAG file changed.';
  const rows = dags.map((dag) => [
    code(dag.dagId),
    escape(dag.instance),
    fileLink(report, dag.file, dag.line) + (dag.previousFile ? ` (from ${escape(dag.previousFile)})` : ''),
    `${dag.kind}${dag.partial ? ' (partly read)' : ''}${dag.via ? ` (imports ${code(dag.via.module)})` : ''}`,
    structureDelta(dag),
  ]);
  return `### DAG changes\n\n${table(['DAG', 'Instance', 'File', 'Change', 'Tasks and edges'], rows)}${notes.length ? `\n\n${cap(notes).join('\n')}` : ''}`;
}

function structureDelta(dag: DagChange): string {
  const parts = [
    ...dag.tasksAdded.map((task) => `+${code(task)}`),
    ...dag.tasksRemoved.map((task) => `−${code(task)}`),
    ...dag.edgesAdded.map((edge) => `+${edgeText(edge)}`),
    ...dag.edgesRemoved.map((edge) => `−${edgeText(edge)}`),
  ];
  if (!parts.length) return dag.kind === 'added' ? `${dag.after?.tasks.length ?? 0} tasks` : '';
  const shown = parts.slice(0, 8).join(' ');
  return parts.length > 8 ? `${shown} …+${parts.length - 8}` : shown;
}

function edgeText([upstream, downstream]: Edge): string {
  return code(`${upstream} >> ${downstream}`);
}

function airflowSection(report: RunReport): string {
  return report.airflow.map((airflow) => airflowTable(report, airflow)).join('\n\n');
}

function airflowTable(report: RunReport, airflow: AirflowReport): string {
  const heading = `### Live Airflow: ${escape(airflow.instance)}`;
  const facts = `${escape(airflow.url)}${airflow.apiVersion ? ` · API ${airflow.apiVersion}` : ''}${airflow.liveDagCount === undefined ? '' : ` · ${airflow.liveDagCount} DAGs`} · ${plural(airflow.requests, 'request')} · waited ${seconds(airflow.waitedMs)}`;
  const rows = airflow.dags.map((dag) => [
    code(dag.dagId),
    { parsed: '✅ parsed', 'import-error': '❌ import error', 'timed-out': '⏳ not caught up' }[dag.state],
    seconds(dag.waitedMs),
    escape(dag.disagreement ?? dag.proof ?? ''),
  ]);
  const errors = airflow.importErrors.map((p) => `- ❌ ${fileLink(report, p.file, p.line)} line ${p.line}: ${escape(firstLine(p.message))}`);
  const body = rows.length ? table(['DAG', 'Airflow', 'Waited', 'Evidence'], rows) : 'No changed DAG to wait for.';
  return `${heading}\n\n${facts}\n\n${body}${errors.length ? `\n\n**Import errors**\n\n${cap(errors).join('\n')}` : ''}`;
}

function dagsterSection(report: RunReport): string {
  const dagster = report.dagster;
  if (!dagster) return '';
  const rows = dagster.locations.map((location) => [
    location.uiUrl ? `[${escape(location.location)}](${location.uiUrl})` : escape(location.location),
    reasonsText(location.reasons),
    outcomeText(report, location),
    location.loadMs === undefined ? '' : seconds(location.loadMs),
  ]);
  const body = rows.length ? table(['Code location', 'Why', 'Result', 'Load time'], rows) : 'No dagster-airlift code location found.';
  return `### Dagster code locations (${dagster.kind === 'dagster-plus' ? 'Dagster+' : 'self-hosted'})\n\n${body}`;
}

function reasonsText(reasons: readonly StaleReason[]): string {
  if (!reasons.length) return 'holds what Airflow holds';
  const words = reasons.map((reason) => {
    if (reason.kind === 'load-error') return 'failed to load before';
    const verb = { added: 'new DAG', removed: 'removed DAG', modified: 'changed DAG', missing: 'missing DAG', extra: 'DAG gone from Airflow' }[reason.kind];
    return `${verb} ${code(reason.dagId)}`;
  });
  const shown = words.slice(0, 6).join(', ');
  return words.length > 6 ? `${shown} …+${words.length - 6}` : shown;
}

function outcomeText(report: RunReport, location: LocationReport): string {
  if (!location.reload) return '✅ in sync';
  if (!location.outcome) return report.dryRun || report.result === 'planned' ? '📝 would reload' : '⏭️ not reloaded';
  const text = {
    loaded: '✅ reloaded',
    'load-error': '❌ failed to load',
    'timed-out': '⏳ still loading',
    'not-found': '❌ not found',
    'not-supported': '❌ reload not supported',
    unauthorized: '❌ not authorized',
    error: '❌ reload failed',
  }[location.outcome];
  const outOfSync = location.outOfSync?.length ? ` · ⚠️ still out of sync: ${location.outOfSync.map(code).join(', ')}` : '';
  return `${text}${location.message ? `: ${escape(firstLine(location.message))}` : ''}${outOfSync}`;
}

function footer(report: RunReport): string {
  const t = report.timings;
  const api = report.changes.githubApiRequests ? ` · GitHub API requests: ${report.changes.githubApiRequests}` : '';
  return `<sub>airlift-sync · changes ${seconds(t.changesMs)} · Airflow ${seconds(t.airflowMs)} · Dagster ${seconds(t.dagsterMs)} · total ${seconds(t.totalMs)}${api} · full data in the JSON report (output report-path)</sub>`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const head = [line(header), line(header.map(() => '---'))];
  const body = rows.slice(0, TABLE_CAP).map(line);
  const markdown = [...head, ...body].join('\n');
  if (rows.length <= TABLE_CAP) return markdown;
  const rest = [...head, ...rows.slice(TABLE_CAP, TABLE_CAP * 4).map(line)].join('\n');
  const dropped = rows.length - TABLE_CAP * 4;
  return `${markdown}\n\n<details><summary>${rows.length - TABLE_CAP} more rows</summary>\n\n${rest}\n\n${dropped > 0 ? `…and ${dropped} more: see the JSON report.\n\n` : ''}</details>`;
}

function cap(lines: readonly string[]): string[] {
  if (lines.length <= TABLE_CAP) return [...lines];
  return [...lines.slice(0, TABLE_CAP), `- …and ${lines.length - TABLE_CAP} more: see the JSON report.`];
}

function fileLink(report: RunReport, file: string, line?: number): string {
  const label = code(file);
  if (!report.headUrl) return label;
  const encoded = file.split('/').map(encodeURIComponent).join('/');
  return `[${label}](${report.headUrl}/${encoded}${line ? `#L${line}` : ''})`;
}

/** File names, DAG ids and server messages are untrusted: neutralise Markdown and HTML. */
export function escape(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#!~])/g, '\\$1');
}

function code(text: string): string {
  // Inside a code span nothing but backticks and pipes (in tables) can break out.
  const clean = text.replace(/[\r\n]+/g, ' ').replace(/`/g, 'ˋ').replace(/\|/g, '\\|');
  return `\`${clean}\``;
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim()) ?? '';
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}
