// Pure rendering of a RunReport: the job summary (Markdown), annotations and
// outputs. main.ts hands them to the runner.
import type { DagChange, Edge } from './model.js';
import type { StaleReason } from './plan.js';
import { cap, capitalize, capped, clip, code, escape, fileLink, firstLine, fold, number, plural, safeUrl, seconds, sentence, table } from './markdown.js';
import { migrationAnnotations, migrationSection } from './migration/summary.js';
import type { AirflowReport, Failure, FileProblem, LiveDagReport, LocationReport, RunReport } from './outcome.js';

export { escape, TABLE_CAP } from './markdown.js';

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
  for (const dag of rejected(report)) {
    annotations.push({
      level: 'warning',
      title: 'DAG not updated in Airflow',
      message: `Airflow could not import the pushed ${dag.file} and keeps serving the previous ${dag.dagId}: Dagster was not reloaded for it. Fix the import error and push again.`,
      file: dag.file,
      ...(dag.line ? { line: dag.line } : {}),
    });
  }
  for (const entry of report.notChecked ?? []) {
    annotations.push({ level: 'notice', title: `airlift-sync: ${entry.system === 'airflow' ? 'Airflow' : 'Dagster'} not checked`, message: `${entry.message} To check it, set ${entry.input}.` });
  }
  if (report.migration) {
    const dagFile = (instance: string, dagId: string) => report.changes.dags.find((dag) => dag.instance === instance && dag.dagId === dagId);
    annotations.push(...migrationAnnotations(report.migration, dagFile));
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
  const parts = [headline(report), failuresSection(report), notCheckedSection(report), dagsSection(report), airflowSection(report), dagsterSection(report), migrationSection(report.migration, report), footer(report)];
  return `${parts.filter(Boolean).join('\n\n')}\n`;
}

/** Tables up to this many rows are shown open; longer ones are counted, and their rows folded. */
const OPEN_ROWS = 12;

/** The pushed DAGs whose file Airflow could not import: it keeps serving their previous version. */
function rejected(report: RunReport): DagChange[] {
  const keys = new Set(report.airflow.flatMap((airflow) => airflow.dags.filter((dag) => dag.state === 'import-error').map((dag) => `${airflow.instance}\0${dag.dagId}`)));
  return report.changes.dags.filter((dag) => keys.has(`${dag.instance}\0${dag.dagId}`));
}

function notCheckedSection(report: RunReport): string {
  const entries = report.notChecked ?? [];
  if (!entries.length) return '';
  const items = entries.map((entry) => `- ℹ️ ${escape(sentence(entry.message))} To check it, set ${code(entry.input)}.`);
  return `### Not checked

The DAG changes below were read from the push; nothing was reloaded.

${items.join('\n')}`;
}

function affected(report: RunReport): LocationReport[] {
  return (report.dagster?.locations ?? []).filter((location) => location.reload);
}

function reloadedLocations(report: RunReport): LocationReport[] {
  return (report.dagster?.locations ?? []).filter((l) => l.outcome === 'loaded' && !l.outOfSync?.length);
}

function headline(report: RunReport): string {
  const reloaded = reloadedLocations(report).length;
  const planned = affected(report).length;
  const title = {
    synced: `✅ Reloaded ${plural(reloaded, 'code location')}`,
    'in-sync': '✅ Dagster is in sync with Airflow',
    planned: `📝 Plan: ${planned ? `reload ${plural(planned, 'code location')}` : 'nothing to reload'}`,
    rejected: `⚠️ Airflow rejected ${plural(new Set(rejected(report).map((dag) => dag.file)).size, 'pushed file')}: it keeps serving the previous DAGs${reloaded ? `; reloaded ${plural(reloaded, 'code location')} for the rest` : ''}`,
    failed: `❌ airlift-sync failed${failedImpact(report)}`,
  }[report.result];
  const facts = [describeRange(report), dagCounts(report), report.dryRun ? 'plan only: nothing reloaded' : ''];
  const inSync = (report.dagster?.locations ?? []).filter((location) => !location.reload).length;
  if (report.result === 'synced' && inSync) facts.push(`${plural(inSync, 'other code location')} already in sync`);
  return `## ${title}\n\n${facts.filter(Boolean).join(' · ')}`;
}

/** What a failed run still did to Dagster: the first thing a reader needs to know. */
function failedImpact(report: RunReport): string {
  const planned = affected(report).length;
  const reloaded = reloadedLocations(report).length;
  if (!planned || report.dryRun) return ': nothing reloaded';
  if (reloaded) return `: reloaded ${reloaded} of ${plural(planned, 'stale code location')}`;
  return planned === 1 ? ': the stale code location was not reloaded' : `: none of the ${number(planned)} stale code locations reloaded`;
}

function dagCounts(report: RunReport): string {
  const dags = report.changes.dags;
  if (report.range.kind === 'skip') return '';
  // A full check reads every DAG file at head: nothing is "added", everything is checked.
  if (report.range.kind === 'full') return `${plural(dags.length, 'DAG')} checked against Airflow`;
  const changed = dags.filter((dag) => dag.kind !== 'unchanged');
  const kinds = (['added', 'removed', 'modified'] as const).map((kind) => [kind, changed.filter((dag) => dag.kind === kind).length] as const).filter(([, n]) => n);
  const edited = dags.filter((dag) => dag.kind === 'unchanged' && !dag.via).length;
  const importing = dags.filter((dag) => dag.kind === 'unchanged' && dag.via).length;
  const breakdown = kinds.length > 1 ? ` (${kinds.map(([kind, n]) => `${number(n)} ${kind}`).join(', ')})` : kinds.length ? ` (${kinds[0]![0]})` : '';
  return [
    `${plural(changed.length, 'DAG change')}${breakdown}`,
    edited ? `${plural(edited, 'DAG')} edited without task changes` : '',
    importing ? `${plural(importing, 'DAG')} importing changed code` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

function describeRange(report: RunReport): string {
  const range = report.range;
  switch (range.kind) {
    case 'diff': {
      const text = `\`${range.base.slice(0, 7)}..${range.head.slice(0, 7)}\``;
      const linked = report.compareUrl ? `[${text}](${safeUrl(report.compareUrl)})` : text;
      return `${escape(range.event)} ${linked}${range.forced ? ' (force push: trees compared)' : ''}`;
    }
    case 'full':
      return `${escape(range.event)}: full drift check at \`${range.head.slice(0, 7)}\` (${escape(range.reason)})`;
    case 'skip':
      // A failed run that never read the push did not decide there was nothing to do.
      return `${escape(range.event)}: ${report.result === 'failed' ? 'not compared' : 'nothing to do'} (${escape(range.reason)})`;
  }
}

const STAGE_WHAT: Record<Failure['stage'], string> = {
  inputs: 'reading the inputs',
  changes: 'reading the push',
  airflow: 'waiting for Airflow',
  dagster: 'reloading Dagster',
};

function failuresSection(report: RunReport): string {
  if (!report.failures.length) return '';
  const items = report.failures.map((failure) => {
    const input = failure.input && !failure.fix.includes(failure.input) ? ` (input ${code(failure.input)})` : '';
    return `- **${failure.stage}**: ${escape(sentence(failure.message))}\n  **Fix:** ${escape(sentence(failure.fix))}${input}`;
  });
  const stages = [...new Set(report.failures.map((failure) => failure.stage))].map(
    (stage) => `${number(report.failures.filter((failure) => failure.stage === stage).length)} while ${STAGE_WHAT[stage]}`,
  );
  const only = report.failures[0]!.stage;
  const oneStage = report.failures.every((failure) => failure.stage === only);
  const intro = report.failures.length < 2 ? '' : oneStage ? `${plural(report.failures.length, 'problem')} while ${STAGE_WHAT[only]}:\n\n` : `${plural(report.failures.length, 'problem')}: ${stages.join(', ')}.\n\n`;
  return `### What failed\n\n${intro}${items.join('\n')}`;
}

// ─── DAG changes ─────────────────────────────────────────────────────────────

const KIND_ORDER: Record<DagChange['kind'], number> = { added: 0, removed: 1, modified: 2, unchanged: 3 };

function dagsSection(report: RunReport): string {
  const notes = [
    ...report.changes.syntaxErrors.map((p) => `- ⚠️ Python syntax error in ${fileLink(report, p.file, p.line)} line ${p.line}: ${escape(p.message)}`),
    ...report.changes.skippedFiles.map((p) => `- ⚠️ not read: ${fileLink(report, p.file)}: ${escape(p.message)}`),
    ...report.changes.archives.map((file) => `- 📦 changed archive ${fileLink(report, file)}: not read (Airflow loads it)`),
    ...report.changes.dynamicDags.map((p) => `- ℹ️ DAG id not readable statically in ${fileLink(report, p.file, p.line)} line ${p.line}: ${escape(p.message)}; compared with Airflow by the file's source`),
  ];
  const dags = [...report.changes.dags].sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || a.instance.localeCompare(b.instance));
  if (report.range.kind === 'skip' && !dags.length) return '';
  const full = report.range.kind === 'full';
  const title = full ? '### DAGs checked' : '### DAG changes';
  if (!dags.length && !notes.length) return `${title}\n\n${full ? 'No DAG file found.' : 'No DAG file changed.'}`;
  const instances = new Set(dags.map((dag) => dag.instance));
  const showInstance = instances.size > 1;
  const refused = new Set(rejected(report));
  const rows = dags.map((dag) => [
    `${code(dag.dagId)}<br>${fileLink(report, dag.file, dag.line)}${dag.previousFile ? `<br>moved from ${code(dag.previousFile)}` : ''}`,
    ...(showInstance ? [escape(dag.instance)] : []),
    ...(full ? [] : [refused.has(dag) ? `${changeText(dag)}: ❌ not applied (import error)` : changeText(dag)]),
    // What Airflow rejected did not happen: its previous tasks and edges are still what Airflow serves.
    refused.has(dag) ? 'Airflow keeps the previous version' : full && dag.kind === 'added' ? shapeText(dag.after ?? { tasks: dag.tasksAdded, edges: dag.edgesAdded }) : structureDelta(dag),
  ]);
  const header = ['DAG and file', ...(showInstance ? ['Airflow'] : []), ...(full ? [] : ['Change']), 'Tasks and edges'];
  let body = '';
  if (rows.length && rows.length <= OPEN_ROWS) body = table(header, rows);
  else if (rows.length) {
    const counts = full ? '' : `${countsTable(dags, showInstance)}\n\n`;
    body = `${counts}${fold(`All ${plural(rows.length, 'DAG')}, with their tasks and edges`, table(header, rows))}`;
  }
  return `${title}\n\n${[body, cap(notes).join('\n')].filter(Boolean).join('\n\n')}`;
}

function countsTable(dags: readonly DagChange[], byInstance: boolean): string {
  const groups = byInstance ? [...new Set(dags.map((dag) => dag.instance))].sort() : [undefined];
  const rows = groups.map((instance) => {
    const own = dags.filter((dag) => instance === undefined || dag.instance === instance);
    const countOf = (kind: DagChange['kind']) => number(own.filter((dag) => dag.kind === kind).length);
    return [...(byInstance ? [escape(instance!)] : []), countOf('added'), countOf('removed'), countOf('modified'), countOf('unchanged')];
  });
  return table([...(byInstance ? ['Airflow'] : []), 'Added', 'Removed', 'Modified', 'Re-checked (same tasks)'], rows);
}

function changeText(dag: DagChange): string {
  const partial = dag.partial ? ' ⚠️ partly read' : '';
  if (dag.kind === 'unchanged') return `${dag.via ? `imports changed ${code(dag.via.module)}` : 'file edited'}${partial}`;
  if (dag.kind === 'modified' && dag.previousFile && !hasDelta(dag)) return `moved${partial}`;
  return `${dag.kind}${partial}${dag.via ? ` (imports ${code(dag.via.module)})` : ''}`;
}

function hasDelta(dag: DagChange): boolean {
  return dag.tasksAdded.length + dag.tasksRemoved.length + dag.edgesAdded.length + dag.edgesRemoved.length > 0;
}

/** Per line: what the push adds, then what it removes; new and removed DAGs are counted, not listed. */
function structureDelta(dag: DagChange): string {
  if (dag.kind === 'added') {
    const shape = dag.after ?? { tasks: dag.tasksAdded, edges: dag.edgesAdded };
    return `new: ${shapeText(shape)}`;
  }
  if (dag.kind === 'removed') {
    const shape = dag.before ?? { tasks: dag.tasksRemoved, edges: dag.edgesRemoved };
    return `had ${shapeText(shape)}`;
  }
  if (!hasDelta(dag)) return 'same tasks and edges';
  const line = (sign: string, tasks: readonly string[], edges: readonly Edge[]) => {
    const parts = [...tasks.map((task) => `${sign}${code(task)}`), ...edges.map((edge) => `${sign}${edgeText(edge)}`)];
    const shown = parts.slice(0, 6).join(' ');
    return parts.length > 6 ? `${shown} …${sign}${parts.length - 6} more` : shown;
  };
  return [line('+', dag.tasksAdded, dag.edgesAdded), line('−', dag.tasksRemoved, dag.edgesRemoved)].filter(Boolean).join('<br>');
}

function shapeText(shape: { readonly tasks: readonly unknown[]; readonly edges: readonly unknown[] }): string {
  return [plural(shape.tasks.length, 'task'), shape.edges.length ? plural(shape.edges.length, 'edge') : ''].filter(Boolean).join(', ');
}

function edgeText([upstream, downstream]: Edge): string {
  return code(`${upstream} >> ${downstream}`);
}

// ─── Airflow ─────────────────────────────────────────────────────────────────

function airflowSection(report: RunReport): string {
  return report.airflow.map((airflow) => airflowTable(report, airflow)).join('\n\n');
}

const LIVE_STATE: Record<LiveDagReport['state'], string> = { parsed: '✅&nbsp;caught&nbsp;up', 'import-error': '❌&nbsp;import&nbsp;error', 'timed-out': '⏳&nbsp;not&nbsp;caught&nbsp;up' };

function airflowTable(report: RunReport, airflow: AirflowReport): string {
  const heading = `### Airflow: ${escape(airflow.instance)}`;
  const version = airflow.apiVersion ? ` · Airflow ${airflow.apiVersion === 'v2' ? 3 : 2} (API ${airflow.apiVersion})` : '';
  const live = airflow.liveDagCount === undefined ? '' : ` · ${plural(airflow.liveDagCount, 'active DAG')}`;
  const facts = `<sub>${escape(airflow.url)}${version}${live} · ${plural(airflow.requests, 'request')}</sub>`;
  if (airflow.status === 'failed') {
    return `${heading}\n\n❌ Not compared: see What failed. Dagster was not reloaded, so it does not cache an old Airflow state.<br>${facts}`;
  }
  const row = (dag: LiveDagReport) => [code(dag.dagId), LIVE_STATE[dag.state], seconds(dag.waitedMs), escape(sentence(capitalize(dag.disagreement ?? dag.proof ?? '')))];
  const header = ['DAG', 'Airflow', 'Waited', 'Evidence'];
  const problems = airflow.dags.filter((dag) => dag.state !== 'parsed');
  const caughtUp = airflow.dags.filter((dag) => dag.state === 'parsed');
  const problemsFirst = [...problems, ...caughtUp];
  const parts: string[] = [];
  const timedOut = problems.filter((dag) => dag.state === 'timed-out').length;
  const erroring = problems.length - timedOut;
  const all = caughtUp.length === airflow.dags.length;
  const noun = report.range.kind === 'full' ? 'checked DAG' : 'changed DAG';
  const status = [
    all ? `✅ ${airflow.dags.length === 1 ? `The ${noun}` : `All ${plural(airflow.dags.length, noun)}`} caught up in ${seconds(airflow.waitedMs)}` : '',
    !all && caughtUp.length ? `✅ ${number(caughtUp.length)} of ${plural(airflow.dags.length, noun)} caught up` : '',
    erroring ? `❌ ${number(erroring)} with an import error` : '',
    timedOut ? `⏳ ${number(timedOut)} not caught up` : '',
    all ? '' : `waited ${seconds(airflow.waitedMs)}`,
  ].filter(Boolean);
  if (!airflow.dags.length) parts.push(`No ${noun} to wait for.<br>${facts}`);
  else if (airflow.dags.length <= OPEN_ROWS) parts.push(`${status.join(' · ')}<br>${facts}`, table(header, problemsFirst.map(row)));
  else {
    parts.push(`${status.join(' · ')}<br>${facts}`);
    if (problems.length) parts.push(table(header, problems.map(row)));
    if (caughtUp.length) parts.push(fold(`Evidence for the ${number(caughtUp.length)} DAGs that caught up`, table(header, caughtUp.map(row))));
  }
  const errors = airflow.importErrors.map((p) => `- ❌ ${fileLink(report, p.file, p.line)} line ${p.line}: ${escape(firstLine(p.message))}`);
  if (errors.length) parts.push(`**Import errors in pushed files**\n\n${cap(errors).join('\n')}`);
  return `${heading}\n\n${parts.join('\n\n')}`;
}

// ─── Dagster ─────────────────────────────────────────────────────────────────

function dagsterSection(report: RunReport): string {
  const dagster = report.dagster;
  if (!dagster) {
    // Dagster never answered: say so, or a reader cannot tell whether anything was reloaded.
    if (!report.failures.some((failure) => failure.stage === 'dagster')) return '';
    return '### Dagster code locations\n\n❌ Not reached: see What failed. No code location was reloaded.';
  }
  const kind = dagster.kind === 'dagster-plus' ? 'Dagster+' : 'self-hosted';
  const order = (location: LocationReport) => (!location.reload ? 3 : location.outcome === 'loaded' && !location.outOfSync?.length ? 2 : location.outcome ? 0 : 1);
  const locations = [...dagster.locations].sort((a, b) => order(a) - order(b));
  const timed = locations.some((location) => location.loadMs !== undefined);
  const rows = locations.map((location) => [
    location.uiUrl ? `[${escape(location.location)}](${safeUrl(location.uiUrl)})` : escape(location.location),
    reasonsText(report, location),
    outcomeText(report, location),
    ...(timed ? [location.loadMs === undefined ? '' : seconds(location.loadMs)] : []),
  ]);
  let body = rows.length ? table(['Code location', 'Why', 'Result', ...(timed ? ['Load&nbsp;time'] : [])], rows) : 'No dagster-airlift code location found.';
  if (dagster.status === 'failed' && !rows.length) body = '❌ Not compared: see What failed. No code location was reloaded.';
  return `### Dagster code locations (${kind})\n\n${body}`;
}

function reasonsText(report: RunReport, location: LocationReport): string {
  const reasons: readonly StaleReason[] = location.reasons;
  if (!reasons.length) {
    const touched = new Set(report.changes.dags.map((dag) => dag.instance));
    if (report.range.kind === 'diff' && location.instances.length && !location.instances.some((instance) => touched.has(instance))) {
      return `mirrors ${location.instances.map(escape).join(', ')}: the push changes none of its DAGs`;
    }
    return 'holds what Airflow holds';
  }
  const words = reasons.map((reason) => {
    if (reason.kind === 'load-error') return 'failed to load before';
    const verb = { added: 'new DAG', removed: 'removed DAG', modified: 'changed DAG', missing: 'missing DAG', extra: 'DAG gone from Airflow' }[reason.kind];
    return `${verb} ${code(reason.dagId)}`;
  });
  if (words.length <= 4) return words.join(', ');
  // Many reasons: count them by kind; the JSON report lists each.
  const labels = { added: 'new', removed: 'removed', modified: 'changed', missing: 'missing', extra: 'gone from Airflow' } as const;
  const counts = (Object.keys(labels) as (keyof typeof labels)[])
    .map((kind) => [labels[kind], reasons.filter((reason) => reason.kind === kind).length] as const)
    .filter(([, n]) => n)
    .map(([label, n]) => `${number(n)} ${label}`);
  const loadError = reasons.some((reason) => reason.kind === 'load-error') ? 'failed to load before; ' : '';
  return `${loadError}${counts.join(', ')} DAGs`;
}

function outcomeText(report: RunReport, location: LocationReport): string {
  // DAGs the location's filter leaves out are neither missing nor a reason to reload: said, not failed.
  const leftOut = location.excluded?.length ? `; excluded by the location's DAG filter: ${capped(location.excluded.map((dag) => code(dag.dagId)), 5)}` : '';
  return `${outcomeWords(report, location)}${leftOut}`;
}

function outcomeWords(report: RunReport, location: LocationReport): string {
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
  const refresh = location.refresh;
  const how =
    refresh?.via === 'refresh-state'
      ? ' (stored Airflow state refreshed)'
      : refresh?.via === 'rebuild' && refresh.workflowRun
        ? ` (image rebuilt: [workflow run](${safeUrl(refresh.workflowRun.url)}))`
        : '';
  const message = location.message ? `: ${escape(clip(sentence(firstLine(location.message)), 160))}` : '';
  if (location.outOfSync?.length) {
    // Reloaded, yet the confirm step found it still stale: that is a failure, never a ✅.
    return `⚠️ reloaded${how}, still out of sync: ${capped(location.outOfSync.map(code), 5)}${message}`;
  }
  return `${text}${location.outcome === 'loaded' ? how : ''}${message}`;
}

function footer(report: RunReport): string {
  const t = report.timings;
  const stages = [
    t.changesMs ? `changes ${seconds(t.changesMs)}` : '',
    t.airflowMs ? `Airflow ${seconds(t.airflowMs)}` : '',
    t.dagsterMs ? `Dagster ${seconds(t.dagsterMs)}` : '',
    `total ${seconds(t.totalMs)}`,
    report.changes.githubApiRequests ? `GitHub API requests: ${report.changes.githubApiRequests}` : '',
  ];
  return `<sub>airlift-sync · ${stages.filter(Boolean).join(' · ')} · full data in the JSON report (output report-path)</sub>`;
}
