// Stage 1: the pushed range -> per Airflow instance, the DAGs the push adds,
// removes or changes, read statically at both revisions.
import { listDagFiles } from '../changes/dag-files.js';
import { readPushedChanges, type InstanceChanges, type PushedChanges } from '../changes/index.js';
import { diffDagFiles, findImportLinks, readDagFile, releasePythonParser, type ReadOptions } from '../dags/index.js';
import type { Config, IgnoreSyntaxSetting } from '../inputs.js';
import type { Logger } from '../log.js';
import { readMigration, type MigrationRead } from '../migration/index.js';
import type { DagChange, DagFileRead, PushRange } from '../model.js';
import type { ChangesReport, FileProblem } from '../outcome.js';
import type { PlanInput } from '../plan.js';
import type { RunContext } from '../context.js';
import { helperSources } from './helper-source.js';

/** One configured Airflow instance, with the name dagster-airlift knows it by. */
export interface NamedInstance {
  readonly index: number;
  readonly name: string;
  readonly dagsFolders: readonly string[];
  /** 2 or 3 when known from the live instance; undefined when not connected. */
  readonly airflowMajor?: 2 | 3;
  readonly ignoreSyntax: IgnoreSyntaxSetting;
}

export interface InstanceDagChanges {
  readonly instance: NamedInstance;
  readonly changes: readonly DagChange[];
  /** Content at head of the instance's pushed DAG files, by repository path. */
  readonly sources: ReadonlyMap<string, string>;
}

export interface ChangesStage {
  readonly range: PushRange;
  readonly report: ChangesReport;
  readonly instances: readonly InstanceDagChanges[];
  /** When the push reached GitHub (ms since the epoch): Airflow parses after it are fresh. */
  readonly pushedAt: number;
  /** dagster-airlift's proxied state at both revisions; absent when the repository has none. */
  readonly migration?: MigrationRead;
}

export async function readChanges(config: Config, context: RunContext, instances: readonly NamedInstance[], log: Logger): Promise<ChangesStage> {
  const [owner = '', repo = ''] = (context.repository ?? '').split('/');
  const folders = instances.map((instance) => ({
    name: instance.name,
    dagsFolders: instance.dagsFolders,
    airflowMajor: instance.airflowMajor ?? 2,
    ignoreSyntax: resolveIgnoreSyntax(instance),
  }));
  const pushed = await readPushedChanges({
    eventName: context.eventName,
    payload: context.payload,
    headSha: context.sha,
    includeTags: config.includeTags,
    repoDir: context.workspace,
    repository: { owner, repo },
    token: config.githubToken || undefined,
    apiUrl: context.apiUrl,
    instances: folders,
    log: (line) => log.debug(line),
  });
  try {
    const readOptions = readOptionsAt(pushed);
    const stage = await describeChanges(instances, pushed, readOptions, context, log);
    if (!pushed.revisions || pushed.range.kind === 'skip') return stage;
    const migration = await readMigration(pushed.revisions, pushed.range, folders, readOptions);
    if (migration) log.info(`Proxied state: ${migration.instances.reduce((sum, entry) => sum + entry.head.length, 0)} files in ${migration.folders.join(', ') || 'no folder at head'}.`);
    return migration ? { ...stage, migration } : stage;
  } finally {
    // No Python is read after this stage: the parser's memory is given back before Dagster and Airflow answer.
    releasePythonParser();
    await pushed.revisions?.close();
  }
}

async function describeChanges(instances: readonly NamedInstance[], pushed: PushedChanges, readOptions: ReadOptionsAt, context: RunContext, log: Logger): Promise<ChangesStage> {
  describeRange(pushed.range, log);

  const problems = { syntaxErrors: [] as FileProblem[], dynamicDags: [] as FileProblem[], skippedFiles: [] as FileProblem[] };
  const perInstance: InstanceDagChanges[] = [];
  for (const instance of instances) {
    const classified = pushed.instances.find((entry) => entry.name === instance.name);
    if (!classified) continue;
    const range = pushed.range;
    const at = {
      base: readOptions(range.kind === 'diff' ? range.base : undefined, instance.dagsFolders),
      head: readOptions(range.kind === 'skip' ? undefined : range.head, instance.dagsFolders),
    };
    perInstance.push(await instanceChanges(instance, classified, pushed, problems, at, log));
  }
  const dags = perInstance.flatMap((entry) => entry.changes);
  log.info(`${dags.filter((dag) => dag.kind !== 'unchanged').length} DAG changes in ${dags.length} DAGs read (source: ${pushed.source ?? 'none'}).`);
  return {
    range: pushed.range,
    instances: perInstance,
    pushedAt: pushTime(context),
    report: {
      source: pushed.source ?? 'none',
      githubApiRequests: pushed.apiRequests,
      dags,
      archives: pushed.instances.flatMap((entry) => entry.archives.map((archive) => archive.path)),
      ...problems,
    },
  };
}

async function instanceChanges(
  instance: NamedInstance,
  classified: InstanceChanges,
  pushed: PushedChanges,
  problems: { syntaxErrors: FileProblem[]; dynamicDags: FileProblem[]; skippedFiles: FileProblem[] },
  at: RevisionReads,
  log: Logger,
): Promise<InstanceDagChanges> {
  for (const warning of classified.warnings) log.warning(warning);
  const before: DagFileRead[] = [];
  const after: DagFileRead[] = [];
  const sources = new Map<string, string>();
  for (const file of classified.dagFiles) {
    const basePath = file.change.previousPath ?? file.change.path;
    if (file.before !== null) before.push(await readDagFile(basePath, file.before, at.base));
    if (file.after !== null) {
      sources.set(file.change.path, file.after);
      const read = await readDagFile(file.change.path, file.after, at.head);
      after.push(read);
      collectProblems(read, problems);
    }
  }
  const changes = [...diffDagFiles(instance.name, before, after)];
  changes.push(...(await importerChanges(instance, classified, pushed, changes, sources, at)));
  return { instance, changes, sources };
}

/** How a DAG file of these DAGs folders is read at a revision: with that revision's helper modules. */
type ReadOptionsAt = (rev: string | undefined, dagsFolders: readonly string[]) => ReadOptions;

/** One read per helper module and revision, shared by every reader of the push; nothing is read before a file needs it. */
function readOptionsAt(pushed: PushedChanges): ReadOptionsAt {
  const helpersAt = pushed.revisions ? helperSources(pushed.revisions) : null;
  return (rev, dagsFolders) => (helpersAt && rev !== undefined ? { helpers: helpersAt(rev, dagsFolders) } : {});
}

/** How DAG files are read at each revision of the range: with that revision's helper modules. */
interface RevisionReads {
  readonly base: ReadOptions;
  readonly head: ReadOptions;
}

/**
 * DAG files that import a module the push changed may define different DAGs
 * now, though their own text did not change. Each is read at both revisions,
 * with the helper modules of each, and listed with `via` (as `unchanged` when
 * its shape stayed the same), so Airflow is asked to prove it re-parsed them.
 */
async function importerChanges(
  instance: NamedInstance,
  classified: InstanceChanges,
  pushed: PushedChanges,
  direct: readonly DagChange[],
  sources: Map<string, string>,
  at: RevisionReads,
): Promise<DagChange[]> {
  if (!classified.modules.length || !pushed.revisions || pushed.range.kind !== 'diff') return [];
  const head = pushed.range.head;
  const all = await listDagFiles(pushed.revisions, head, {
    dagsFolders: instance.dagsFolders,
    airflowMajor: instance.airflowMajor ?? 2,
    ignoreSyntax: resolveIgnoreSyntax(instance),
  });
  const changedPaths = new Set(classified.dagFiles.map((file) => file.change.path));
  const moduleNames = classified.modules.map((module) => module.path);
  const reads: DagFileRead[] = [];
  for (const file of all.dagFiles) {
    if (changedPaths.has(file.change.path) || file.after === null) continue;
    // A cheap text filter before parsing: an importer names the module's last part.
    if (!moduleNames.some((module) => file.after!.includes(lastPart(module)))) continue;
    reads.push(await readDagFile(file.change.path, file.after, at.head));
    sources.set(file.change.path, file.after);
  }
  const readBefore = async (path: string): Promise<DagFileRead[]> => {
    const text = await pushed.revisions!.readFile(pushed.range.kind === 'diff' ? pushed.range.base : head, path);
    return text === null ? [] : [await readDagFile(path, text, at.base)];
  };
  const result: DagChange[] = [];
  const known = new Set(direct.map((change) => change.dagId));
  for (const folder of instance.dagsFolders) {
    for (const link of findImportLinks(moduleNames, reads, folder)) {
      const read = reads.find((entry) => entry.path === link.file);
      if (!read) continue;
      for (const change of diffDagFiles(instance.name, await readBefore(link.file), [read])) {
        if (known.has(change.dagId)) continue;
        known.add(change.dagId);
        result.push({ ...change, via: { module: link.module } });
      }
    }
  }
  return result;
}

function lastPart(modulePath: string): string {
  return modulePath.replace(/\.py$/, '').replace(/\/__init__$/, '').split('/').pop() ?? modulePath;
}

function collectProblems(read: DagFileRead, problems: { syntaxErrors: FileProblem[]; dynamicDags: FileProblem[]; skippedFiles: FileProblem[] }): void {
  for (const error of read.syntaxErrors) problems.syntaxErrors.push({ file: read.path, line: error.line, column: error.column, message: error.message });
  for (const dynamic of read.dynamic) problems.dynamicDags.push({ file: read.path, line: dynamic.line, message: dynamic.reason });
  if (read.skipped) problems.skippedFiles.push({ file: read.path, line: 1, message: read.skipped.reason });
}

export function resolveIgnoreSyntax(instance: Pick<NamedInstance, 'ignoreSyntax' | 'airflowMajor'>): 'regexp' | 'glob' {
  if (instance.ignoreSyntax !== 'auto') return instance.ignoreSyntax;
  return instance.airflowMajor === 3 ? 'glob' : 'regexp';
}

function describeRange(range: PushRange, log: Logger): void {
  if (range.kind === 'diff') log.info(`Comparing ${range.base.slice(0, 12)}..${range.head.slice(0, 12)} (${range.event}${range.forced ? ', force push: trees compared' : ''}).`);
  else if (range.kind === 'full') log.info(`Full drift check at ${range.head.slice(0, 12)}: ${range.reason}.`);
  else log.info(`Nothing to do: ${range.reason}.`);
}

/**
 * When the pushed revision reached GitHub. `repository.pushed_at` is the push
 * itself; a commit's timestamp can be much older (a rebase), which would make
 * an Airflow parse before the push look fresh. Without either, the run's start
 * is a safe upper bound.
 */
function pushTime(context: RunContext): number {
  const payload = context.payload as { repository?: { pushed_at?: unknown } } | null;
  const pushedAt = payload?.repository?.pushed_at;
  if (typeof pushedAt === 'number' && pushedAt > 0) return pushedAt * 1000;
  return context.startedAt;
}

/**
 * The pushed head the plan may call a held DAG fresh against. None for a pull request: Airflow has
 * never read its code, so no record Airflow made can be fresh for it.
 */
export function pushedHead(changes: ChangesStage, marginMs: number): PlanInput['head'] {
  if (changes.range.kind === 'skip' || changes.range.event.startsWith('pull_request')) return undefined;
  return { sha: changes.range.head, time: changes.pushedAt, marginMs };
}
