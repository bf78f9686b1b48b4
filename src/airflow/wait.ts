// Waits until live Airflow has parsed the push: each changed DAG is polled
// until Airflow agrees with it (see agreement.ts), its file fails to import,
// or the timeout passes. Reloading Dagster before then would cache the old
// DAGs, because dagster-airlift builds its definitions from this same API.
import pLimit, { type LimitFunction } from 'p-limit';
import { HttpError, sleep, type Deadline } from '../http.js';
import type { DagChange, DagShape } from '../model.js';
import { importErrorFromPush, judge, type CurrentImportError, type Facts, type PushedRevision, type Verdict } from './agreement.js';
import type { AirflowClient, LiveDag, LiveImportError } from './client.js';
import { createFileMapper, type FileMapper, type FileMappingInput } from './files.js';

export type { PushedRevision } from './agreement.js';

export interface ParseExpectations {
  /** The instance's changed DAGs, as the push reading stage found them. */
  readonly changes: readonly DagChange[];
  /**
   * Pushed DAG files read with a syntax error and no DAG in them: only Airflow can tell what they
   * hold, so its verdict on each (an import error, or DAGs parsed from it after the push) is waited
   * for like a DAG's. Without it a run acting at once would end before Airflow lists the error.
   */
  readonly unreadFiles?: readonly string[];
  readonly pushed: PushedRevision;
}

export interface WaitOptions {
  readonly files: Omit<FileMappingInput, 'apiVersion'>;
  /** Default 10 minutes. */
  readonly timeoutMs?: number;
  /** First pause between polls (default 1 s), growing by pollFactor (1.5) up to pollMaxMs (15 s). */
  readonly pollInitialMs?: number;
  readonly pollMaxMs?: number;
  readonly pollFactor?: number;
  /** Requests per round at once (tasks, sources, re-parse requests). Default 16. */
  readonly concurrency?: number;
  /** At most one progress report per this long (default 15 s), plus one after the first round. */
  readonly progressEveryMs?: number;
  readonly onProgress?: (progress: WaitProgress) => void;
  /** User-facing notes (new files, re-parse requests, transient failures). */
  readonly log?: (line: string) => void;
}

export interface WaitProgress {
  readonly instance: string;
  readonly round: number;
  readonly elapsedMs: number;
  readonly total: number;
  readonly settled: number;
  /** DAG ids still waited for, with what Airflow still disagrees on. */
  readonly pending: ReadonlyArray<{ readonly dagId: string; readonly disagreement: string }>;
  /** Unread files Airflow has not reported on yet. */
  readonly pendingFiles: readonly string[];
}

export interface DagParseResult {
  readonly dagId: string;
  readonly instance: string;
  readonly state: 'parsed' | 'import-error' | 'timed-out';
  readonly waitedMs: number;
  /** What established the state; empty when timed out. */
  readonly proof: string;
  /** What Airflow still disagreed on when the wait ended. */
  readonly disagreement?: string;
}

export interface FileParseResult {
  readonly file: string;
  readonly state: 'parsed' | 'import-error' | 'timed-out';
  readonly waitedMs: number;
  /** What established the state; empty when timed out. */
  readonly proof: string;
  /** The DAGs Airflow parsed from it, when parsed. */
  readonly dagIds?: readonly string[];
}

export interface ImportErrorReport extends CurrentImportError {
  /** The file as Airflow names it. */
  readonly airflowFile: string;
  readonly timestamp: string;
}

export interface AirflowParseReport {
  readonly instance: string;
  readonly dags: readonly DagParseResult[];
  /** Airflow's verdict on each of the expectations' unread files. */
  readonly files: readonly FileParseResult[];
  /** Import errors the pushed revision caused, on pushed files. */
  readonly importErrors: readonly ImportErrorReport[];
  /** The DAG list of the last round. */
  readonly live: readonly LiveDag[];
  readonly waitedMs: number;
  /** Set when Airflow failed the last round (down, overloaded), or never completed one (hanging): why. */
  readonly lastFailure?: HttpError;
}

const REPARSE_NOTE = 'Airflow picks up new files when it next lists the DAGs folder (every 5 minutes by default)';

export async function waitUntilParsed(client: AirflowClient, expectations: ParseExpectations, options: WaitOptions): Promise<AirflowParseReport> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 600_000;
  const deadline: Deadline = { at: started + timeoutMs };
  const log = options.log ?? (() => {});
  const limit = pLimit(options.concurrency ?? 16);
  const reads = createReads(client);
  const pushedFiles = new Set([...expectations.changes.map((change) => change.file), ...expectations.pushed.sources.keys()]);

  const pending = new Map(expectations.changes.map((change) => [change.dagId, { change, disagreement: 'not checked yet' }]));
  const results = new Map<string, DagParseResult>();
  const pendingFiles = new Set(expectations.unreadFiles ?? []);
  const fileResults = new Map<string, FileParseResult>();
  let live: LiveDag[] = [];
  let importErrors: ImportErrorReport[] = [];
  let interval = options.pollInitialMs ?? 1000;
  let lastProgress: number | undefined;
  let prefixWarned = false;
  // Why the last round failed; a deadline that merely ends the wait counts only when no round ever completed.
  let lastFailure: HttpError | undefined;
  let completedRounds = 0;

  // At least one round, so the report's live DAG list is real even with nothing to wait for.
  for (let round = 1; ; round++) {
    try {
      const [dags, errors] = await Promise.all([client.listDags(deadline), client.listImportErrors(deadline)]);
      live = dags;
      const mapper = createFileMapper({ ...options.files, apiVersion: client.apiVersion }, live);
      if (client.apiVersion === 'v1' && mapper.dagsPrefix === undefined && live.length > 0 && !prefixWarned) {
        prefixWarned = true;
        log(`Airflow ${client.instance}: no DAG's fileloc ends in a DAG file of the repository; set airflow-dags-prefix to the DAGs folder inside the Airflow container.`);
      }
      importErrors = currentImportErrors(errors, mapper, pushedFiles, expectations.pushed);
      const liveById = new Map(live.map((dag) => [dag.dagId, dag]));
      reads.startRound(round);
      await Promise.all(
        [...pending.values()].map(({ change }) =>
          limit(async () => {
            const verdict = await evaluate(change, reads, {
              apiVersion: client.apiVersion,
              live: liveById.get(change.dagId),
              mapper,
              importError: importErrors.find((error) => error.file === change.file),
              pushed: expectations.pushed,
              deadline,
              firstRound: completedRounds === 0,
            });
            if (verdict.settled) {
              pending.delete(change.dagId);
              results.set(change.dagId, { dagId: change.dagId, instance: change.instance, state: verdict.state, waitedMs: Date.now() - started, proof: verdict.proof });
            } else {
              pending.get(change.dagId)!.disagreement = verdict.disagreement;
            }
          }),
        ),
      );
      for (const file of pendingFiles) {
        const verdict = fileVerdict(file, importErrors, live, mapper, expectations.pushed);
        if (verdict) {
          pendingFiles.delete(file);
          fileResults.set(file, { file, ...verdict, waitedMs: Date.now() - started });
        }
      }
      // The processor often picks the push up on its own within a poll: re-parse requests go only to
      // the files it still has not parsed by the second round, one per file.
      if (completedRounds === 1) {
        await askReparse(client, [...pending.values()].map(({ change }) => change), live, mapper, { deadline, log, limit });
      }
      lastFailure = undefined;
      completedRounds++;
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      if (error.kind !== 'deadline' || completedRounds === 0) lastFailure = error;
      if (error.kind === 'deadline') break;
      // Airflow restarting mid-wait (a deploy) is not a reason to give up; anything else is.
      if (error.kind !== 'server' && error.kind !== 'network') throw error;
      log(`Airflow ${client.instance}: ${error.message} Trying again at the next poll.`);
    }

    const now = Date.now();
    if (options.onProgress && (lastProgress === undefined || now - lastProgress >= (options.progressEveryMs ?? 15_000) || pending.size + pendingFiles.size === 0)) {
      lastProgress = now;
      options.onProgress({
        instance: client.instance,
        round,
        elapsedMs: now - started,
        total: expectations.changes.length,
        settled: results.size,
        pending: [...pending.values()].map(({ change, disagreement }) => ({ dagId: change.dagId, disagreement })),
        pendingFiles: [...pendingFiles],
      });
    }
    const pause = Math.min(interval, deadline.at - now);
    if ((pending.size === 0 && pendingFiles.size === 0) || pause <= 0) break;
    await sleep(pause);
    interval = Math.min(interval * (options.pollFactor ?? 1.5), options.pollMaxMs ?? 15_000);
  }

  const waitedMs = Date.now() - started;
  for (const { change, disagreement } of pending.values()) {
    results.set(change.dagId, { dagId: change.dagId, instance: change.instance, state: 'timed-out', waitedMs, proof: '', disagreement });
  }
  return {
    instance: client.instance,
    dags: expectations.changes.map((change) => results.get(change.dagId)!),
    files: (expectations.unreadFiles ?? []).map((file) => fileResults.get(file) ?? { file, state: 'timed-out', waitedMs, proof: '' }),
    importErrors,
    live,
    waitedMs,
    ...(lastFailure && pending.size + pendingFiles.size > 0 ? { lastFailure } : {}),
  };
}

/** Airflow's verdict on an unread pushed file: the import error it caused, or a DAG parsed from it after the push. */
function fileVerdict(
  file: string,
  importErrors: readonly ImportErrorReport[],
  live: readonly LiveDag[],
  mapper: FileMapper,
  pushed: PushedRevision,
): Pick<FileParseResult, 'state' | 'proof' | 'dagIds'> | undefined {
  const error = importErrors.find((candidate) => candidate.file === file);
  if (error) return { state: 'import-error', proof: `import error in ${file}${error.line === undefined ? '' : ` line ${error.line}`}: ${error.message}` };
  const dagIds = live.filter((candidate) => candidate.active && mapper.dagFile(candidate) === file && parsedSincePush(candidate, pushed)).map((dag) => dag.dagId);
  return dagIds.length ? { state: 'parsed', proof: `Airflow parsed ${dagIds.join(', ')} from it after the push`, dagIds } : undefined;
}

function parsedSincePush(live: LiveDag, pushed: PushedRevision): boolean {
  if (pushed.commit !== undefined && live.bundleVersion === pushed.commit) return true;
  return live.lastParsedTime !== undefined && Date.parse(live.lastParsedTime) >= pushed.time + (pushed.marginMs ?? 0);
}

interface EvaluationInput {
  readonly apiVersion: AirflowClient['apiVersion'];
  readonly live: LiveDag | undefined;
  readonly mapper: FileMapper;
  readonly importError: CurrentImportError | undefined;
  readonly pushed: PushedRevision;
  readonly deadline: Deadline;
  /** No round has completed yet. */
  readonly firstRound: boolean;
}

/** Judges one change, reading its tasks or stored source only when the judgement needs them and they can have changed. */
async function evaluate(change: DagChange, reads: Reads, input: EvaluationInput): Promise<Verdict> {
  const { live } = input;
  const liveFile = live && input.mapper.dagFile(live);
  let facts: Facts = {
    apiVersion: input.apiVersion,
    pushed: input.pushed,
    ...(live ? { live } : {}),
    ...(liveFile !== undefined ? { liveFile } : {}),
    ...(input.importError ? { importError: input.importError } : {}),
  };
  let verdict = judge(change, facts);
  if (verdict.settled || !verdict.needs || !live) return verdict;
  // The processor often parses the push within the first poll: reading what it held before the push
  // would mostly be a wasted request per DAG. From the second round on, Airflow's state is read as it is.
  if (input.firstRound && parsedBeforePush(live, input.pushed)) {
    return { settled: false, disagreement: `Airflow last parsed it at ${live.lastParsedTime}, before the push` };
  }
  try {
    if (verdict.needs === 'tasks') {
      facts = { ...facts, tasks: await reads.tasks(live, input.deadline) };
      verdict = judge(change, facts);
    }
    if (!verdict.settled && verdict.needs === 'source') {
      facts = { ...facts, source: await reads.source(live, input.deadline) };
      verdict = judge(change, facts);
    }
  } catch (error) {
    // The DAG went away between the list and this read: judged again next round.
    if (error instanceof HttpError && error.status === 404) return { settled: false, disagreement: 'Airflow has no tasks for it yet' };
    throw error;
  }
  return verdict;
}

function parsedBeforePush(live: LiveDag, pushed: PushedRevision): boolean {
  if (live.lastParsedTime === undefined || (pushed.commit !== undefined && live.bundleVersion === pushed.commit)) return false;
  return Date.parse(live.lastParsedTime) <= pushed.time;
}

interface Reads {
  /** Requests of one round are shared; what an earlier round read is reused while the DAG's parse is the same. */
  startRound(round: number): void;
  tasks(live: LiveDag, deadline: Deadline): Promise<DagShape>;
  source(live: LiveDag, deadline: Deadline): Promise<string | null>;
}

interface ReadFacts {
  readonly tasks: DagShape;
  readonly source: string | null;
}

function createReads(client: AirflowClient): Reads {
  let round = 0;
  let inFlight = new Map<string, Promise<unknown>>();
  const known = new Map<string, { readonly parse: string; readonly read: Partial<ReadFacts> }>();

  // Airflow commits a parse's tasks, source and last_parsed_time together: the same
  // last_parsed_time means the same tasks and source. Without one, read every round.
  const parseOf = (live: LiveDag) => (live.lastParsedTime === undefined ? `round ${round}` : `${live.lastParsedTime} ${live.bundleVersion ?? ''}`);
  const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    let pending = inFlight.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = load();
      inFlight.set(key, pending);
    }
    return pending;
  };
  const remembered = async <K extends keyof ReadFacts>(live: LiveDag, fact: K, load: () => Promise<ReadFacts[K]>): Promise<ReadFacts[K]> => {
    const parse = parseOf(live);
    const entry = known.get(live.dagId);
    const kept = entry?.parse === parse ? entry.read[fact] : undefined;
    if (kept !== undefined) return kept;
    const value = await load();
    const current = known.get(live.dagId);
    known.set(live.dagId, { parse, read: { ...(current?.parse === parse ? current.read : {}), [fact]: value } });
    return value;
  };

  return {
    startRound(next) {
      round = next;
      inFlight = new Map();
    },
    tasks: (live, deadline) => remembered(live, 'tasks', () => once(`tasks ${live.dagId}`, () => client.getTasks(live.dagId, deadline))),
    // Airflow 2 stores one source per file (its file token), Airflow 3 one per DAG.
    source: (live, deadline) =>
      remembered(live, 'source', () =>
        once(`source ${client.apiVersion === 'v1' && live.fileToken ? live.fileToken : live.dagId}`, () => client.getDagSource(live, deadline)),
      ),
  };
}

function currentImportErrors(
  errors: readonly LiveImportError[],
  mapper: FileMapper,
  pushedFiles: ReadonlySet<string>,
  pushed: PushedRevision,
): ImportErrorReport[] {
  const reports: ImportErrorReport[] = [];
  for (const error of errors) {
    const file = mapper.airflowFile(error.filename);
    if (file === undefined || !pushedFiles.has(file)) continue;
    const current = importErrorFromPush(file, error, pushed);
    if (current) reports.push({ ...current, airflowFile: error.filename, timestamp: error.timestamp });
  }
  return reports;
}

/** Asks Airflow to re-parse each changed file it knows (PUT parseDagFile), once: it cuts the wait from up to min_file_process_interval to seconds. */
async function askReparse(
  client: AirflowClient,
  changes: readonly DagChange[],
  live: readonly LiveDag[],
  mapper: FileMapper,
  { deadline, log, limit }: { deadline: Deadline; log: (line: string) => void; limit: LimitFunction },
): Promise<void> {
  const files = [...new Set(changes.flatMap((change) => [change.file, ...(change.previousFile ? [change.previousFile] : [])]))].sort();
  const knownFiles = new Map<string, LiveDag>();
  for (const dag of live) {
    const file = dag.fileToken ? mapper.dagFile(dag) : undefined;
    if (file !== undefined && !knownFiles.has(file)) knownFiles.set(file, dag);
  }
  const notes = await Promise.all(
    files.map((file) =>
      limit(async (): Promise<string | undefined> => {
        const known = knownFiles.get(file);
        if (!known) {
          const isNew = changes.some((change) => change.file === file && change.kind !== 'removed');
          return isNew ? `${file} is new to Airflow; ${REPARSE_NOTE}.` : undefined;
        }
        try {
          return (await client.reparseFile(known, deadline))
            ? `asked Airflow to re-parse ${file}.`
            : `Airflow did not take a re-parse request for ${file} (Airflow before 2.10, or it no longer knows the file); waiting for its regular parse.`;
        } catch (error) {
          // Re-parsing only speeds things up: a read-only user (403) still gets the regular parse.
          if (!(error instanceof HttpError) || error.kind === 'deadline') throw error;
          return `could not request a re-parse of ${file} (${error.message}); waiting for its regular parse.`;
        }
      }),
    ),
  );
  for (const note of notes) if (note) log(`Airflow ${client.instance}: ${note}`);
}
