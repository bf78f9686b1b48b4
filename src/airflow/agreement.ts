// Whether live Airflow agrees with one pushed DAG change, from what was read
// of it (its DAG row, tasks, stored source, import error). Pure: the wait loop
// reads, this decides, and says what else it needs read when it cannot yet.
import type { DagChange, DagShape, Edge } from '../model.js';
import type { ApiVersion, LiveDag, LiveImportError } from './client.js';
import { producedBy, readStackTrace } from './import-errors.js';

export interface PushedRevision {
  /** The pushed head commit: Airflow 3 git bundles report it as bundle_version. */
  readonly commit?: string;
  /** When the push happened (ms since the epoch). */
  readonly time: number;
  /**
   * When only a parse time is left as evidence, the parse must end at least this long after the push:
   * git-sync or a bundle refresh lags the push, and Airflow re-parses unchanged files on a timer, so a
   * parse just after the push may still have read the old file. Default 0.
   */
  readonly marginMs?: number;
  /** Content at head of the pushed DAG files, by repository path. */
  readonly sources: ReadonlyMap<string, string>;
}

export interface CurrentImportError {
  readonly file: string;
  readonly line?: number;
  readonly message: string;
}

export interface Facts {
  readonly apiVersion: ApiVersion;
  readonly live?: LiveDag;
  /** The repository path Airflow reads the DAG from, when known. */
  readonly liveFile?: string;
  /** An import error the pushed revision of the change's file caused. */
  readonly importError?: CurrentImportError;
  readonly tasks?: DagShape;
  /** undefined = not read; null = Airflow stores none. */
  readonly source?: string | null;
  readonly pushed: PushedRevision;
}

export type Verdict =
  | { readonly settled: true; readonly state: 'parsed' | 'import-error'; readonly proof: string }
  | { readonly settled: false; readonly disagreement: string; readonly needs?: 'tasks' | 'source' };

export function judge(change: DagChange, facts: Facts): Verdict {
  const { live } = facts;
  if (facts.importError) {
    const { file, line, message } = facts.importError;
    return { settled: true, state: 'import-error', proof: `import error in ${file}${line === undefined ? '' : ` line ${line}`}: ${message}` };
  }
  if (change.kind === 'removed') {
    if (!live) return parsed('Airflow no longer lists it');
    if (!live.active) return parsed(facts.apiVersion === 'v1' ? 'Airflow marks it inactive' : 'Airflow marks it stale');
    return waiting(`Airflow still lists it as active${facts.liveFile ? ` (from ${facts.liveFile})` : ''}`);
  }
  if (!live) return waiting('Airflow does not list it yet');
  if (!live.active) return waiting(`Airflow lists it as ${facts.apiVersion === 'v1' ? 'inactive' : 'stale'}`);
  if (facts.liveFile !== undefined && facts.liveFile !== change.file) return waiting(`Airflow still reads it from ${facts.liveFile}`);
  if (change.kind === 'added') return parsed('Airflow lists it as active');

  // A DAG listed for a changed helper must at least show the tasks and edges its own file defines;
  // the helper may add more, which the file's text cannot show.
  const expected = change.kind === 'modified' || change.via ? change.after : undefined;
  const partial = change.partial || change.via !== undefined;
  let shapeProof: string | undefined;
  if (expected) {
    if (!facts.tasks) return { settled: false, disagreement: 'tasks not read yet', needs: 'tasks' };
    const difference = shapeDifference(expected, facts.tasks, partial);
    if (difference) return waiting(difference);
    shapeProof = partial ? 'the tasks and edges read from the push are in Airflow' : "Airflow's tasks and edges equal the pushed ones";
    // A structure that could be the old one too proves nothing about which revision Airflow read.
    if (!partial && hasStructuralChange(change)) return parsed(shapeProof);
  }
  const fresh = freshness(change, live, facts);
  if (!fresh.settled) return fresh;
  return parsed(shapeProof ? `${shapeProof}, and ${fresh.proof}` : fresh.proof);
}

function freshness(change: DagChange, live: LiveDag, facts: Facts): Verdict {
  const { pushed } = facts;
  if (pushed.commit && live.bundleVersion === pushed.commit) return parsed('its bundle_version is the pushed commit');
  // A DAG listed for a changed helper module has the same file before and after the push: its stored
  // source equals the pushed file whether or not Airflow re-parsed it, so it proves nothing.
  const content = change.via ? undefined : pushed.sources.get(change.file);
  if (content !== undefined) {
    if (facts.source === undefined) return { settled: false, disagreement: 'stored source not read yet', needs: 'source' };
    if (facts.source !== null && sameText(facts.source, content)) return parsed(`the source Airflow stored is the pushed ${change.file}`);
    return waiting(`the source Airflow stored for ${change.file} is not the pushed revision yet`);
  }
  // A versioned bundle (git) names the commit it parsed: a parse of another one, however long after
  // the push, read other files (the bundle refreshes every 5 minutes by default, not at the push).
  if (pushed.commit && live.bundleVersion) {
    return waiting(`Airflow last parsed it at bundle_version ${live.bundleVersion.slice(0, 12)}, not the pushed commit ${pushed.commit.slice(0, 12)}`);
  }
  return parsedAfterPush(live, pushed);
}

/** The weakest evidence, used only when no content can tell: a parse that ended a margin after the push. */
function parsedAfterPush(live: LiveDag, pushed: PushedRevision): Verdict {
  const margin = pushed.marginMs ?? 0;
  const parsedAt = live.lastParsedTime === undefined ? NaN : Date.parse(live.lastParsedTime);
  const seconds = `${Math.round(margin / 1000)} s`;
  if (parsedAt >= pushed.time + margin) {
    return parsed(`time is the only evidence: Airflow parsed it at ${live.lastParsedTime}, ${margin ? `at least ${seconds} (airflow-parse-margin) ` : ''}after the push`);
  }
  if (parsedAt > pushed.time) return waiting(`Airflow last parsed it at ${live.lastParsedTime}, less than ${seconds} (airflow-parse-margin) after the push`);
  return waiting(`Airflow last parsed it ${live.lastParsedTime ? `at ${live.lastParsedTime}` : 'never'}, before the push`);
}

/**
 * The import error Airflow reports for a pushed file, when the pushed revision
 * caused it: its traceback quotes the pushed code line, or (when it quotes
 * none) it was recorded after the push. An error left over from the revision
 * the push fixes is not one.
 */
export function importErrorFromPush(file: string, error: LiveImportError, pushed: PushedRevision): CurrentImportError | undefined {
  const detail = readStackTrace(error.stackTrace, error.filename);
  const content = pushed.sources.get(file);
  const fromPush = (content === undefined ? undefined : producedBy(detail, content)) ?? Date.parse(error.timestamp) >= pushed.time;
  if (!fromPush) return undefined;
  return { file, ...(detail.line === undefined ? {} : { line: detail.line }), message: detail.message };
}

/** What Airflow still disagrees on, or undefined when it agrees. A partial shape only has to be present. */
function shapeDifference(expected: DagShape, actual: DagShape, partial: boolean): string | undefined {
  const liveTasks = new Set(actual.tasks);
  const pushedTasks = new Set(expected.tasks);
  const liveEdges = new Set(actual.edges.map(edgeKey));
  const pushedEdges = new Set(expected.edges.map(edgeKey));
  const parts = [
    describe('tasks Airflow lacks', expected.tasks.filter((task) => !liveTasks.has(task))),
    describe('tasks Airflow still has', partial ? [] : actual.tasks.filter((task) => !pushedTasks.has(task))),
    describe('edges Airflow lacks', expected.edges.filter((edge) => !liveEdges.has(edgeKey(edge))).map(edgeText)),
    describe('edges Airflow still has', partial ? [] : actual.edges.filter((edge) => !pushedEdges.has(edgeKey(edge))).map(edgeText)),
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('; ') : undefined;
}

function hasStructuralChange(change: DagChange): boolean {
  return change.tasksAdded.length + change.tasksRemoved.length + change.edgesAdded.length + change.edgesRemoved.length > 0;
}

function describe(label: string, items: readonly string[]): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, 5).join(', ');
  return `${label}: ${shown}${items.length > 5 ? ` and ${items.length - 5} more` : ''}`;
}

const edgeKey = (edge: Edge) => `${edge[0]}\u0000${edge[1]}`;
const edgeText = (edge: Edge) => `${edge[0]} >> ${edge[1]}`;

function sameText(a: string, b: string): boolean {
  return a.replace(/\r\n/g, '\n') === b.replace(/\r\n/g, '\n');
}

function parsed(proof: string): Verdict {
  return { settled: true, state: 'parsed', proof };
}

function waiting(disagreement: string): Verdict {
  return { settled: false, disagreement };
}
