// The simulated Airflow metadata database and DAG processor: DAG rows, stored
// sources, import errors, and pushed revisions that land after a delay. No
// HTTP here; the server in airflow.ts reads and changes this state.

export interface SimTask {
  readonly taskId: string;
  readonly downstream: readonly string[];
  /** Operator class name; defaults to PythonOperator. */
  readonly operator?: string;
}

export interface DagRecord {
  readonly dagId: string;
  /** Path relative to the DAGs folder (Airflow 2) or the bundle root (Airflow 3). */
  readonly file: string;
  readonly tasks: readonly SimTask[];
  /** Sets the stored source of the DAG's file. */
  readonly source?: string;
  /** False = inactive (Airflow 2) / stale (Airflow 3). Default true. */
  readonly active?: boolean;
  /** ISO time; default: when the record was set. */
  readonly lastParsedTime?: string;
  /** Airflow 3 bundle version (commit sha); default: the simulator's bundleVersion. */
  readonly bundleVersion?: string | null;
  readonly paused?: boolean;
}

export interface RevisionFile {
  readonly path: string;
  readonly source?: string;
  /** The DAGs the file defines at this revision (their `file` is this path). */
  readonly dags?: ReadonlyArray<Omit<DagRecord, 'file' | 'source'>>;
  /** The file fails to import: its DAGs keep their previous state. */
  readonly importError?: { readonly line: number; readonly message: string };
}

export interface Revision {
  readonly commit: string;
  readonly files: readonly RevisionFile[];
  readonly removed?: readonly string[];
}

export interface PublishOptions {
  /** When a file Airflow already knows is re-parsed. Default 0. */
  readonly delayMs?: number;
  /** When a new file is picked up (the DAGs-folder re-listing). Default: delayMs. */
  readonly newFileDelayMs?: number;
  /** The processor never catches up, whatever is asked. */
  readonly never?: boolean;
  /**
   * Lands when the DAG list is asked for the (n+1)-th time after the publish, instead of after a
   * delay: the first n polls see the old state on a busy machine too, so a test need not race the clock.
   */
  readonly afterListings?: number;
}

export interface StoredDag {
  readonly dagId: string;
  readonly file: string;
  readonly tasks: readonly SimTask[];
  readonly active: boolean;
  readonly lastParsed: Date;
  readonly bundleVersion: string | null;
  readonly paused: boolean;
}

export interface StoredImportError {
  readonly id: number;
  readonly file: string;
  readonly line: number;
  readonly message: string;
  readonly timestamp: Date;
  /** The line the traceback quotes: from the revision that failed, which Airflow does not store as the DAG source. */
  readonly codeLine?: string;
}

interface PendingChange {
  readonly file: string;
  readonly commit: string;
  /** Undefined = the file was removed. */
  readonly content: RevisionFile | undefined;
  dueAt: number;
  /** Lands only once more DAG listings than this were served. */
  readonly afterListing?: number;
}

export class AirflowState {
  private readonly dagRows = new Map<string, StoredDag>();
  private readonly sources = new Map<string, string>();
  private readonly errors = new Map<string, StoredImportError>();
  private pending: PendingChange[] = [];
  private nextErrorId = 1;
  private listings = 0;

  constructor(private readonly bundleVersion: string | null) {}

  setDags(records: readonly DagRecord[]): void {
    for (const record of records) this.putDag(record);
  }

  putDag(record: DagRecord): void {
    this.dagRows.set(record.dagId, {
      dagId: record.dagId,
      file: record.file,
      tasks: record.tasks,
      active: record.active ?? true,
      lastParsed: record.lastParsedTime ? new Date(record.lastParsedTime) : new Date(),
      bundleVersion: record.bundleVersion === undefined ? this.bundleVersion : record.bundleVersion,
      paused: record.paused ?? false,
    });
    if (record.source !== undefined) this.sources.set(record.file, record.source);
  }

  /** Airflow's periodic re-parse of unchanged files (every min_file_process_interval): only parse times move. */
  reparseAll(at = new Date()): void {
    for (const [dagId, row] of this.dagRows) this.dagRows.set(dagId, { ...row, lastParsed: at });
  }

  deleteDag(dagId: string): void {
    this.dagRows.delete(dagId);
  }

  /** `source` is the failing revision's content; by default the stored source. */
  setImportError(file: string, error: { line: number; message: string } | undefined, source = this.sources.get(file)): void {
    if (!error) {
      this.errors.delete(file);
      return;
    }
    const id = this.errors.get(file)?.id ?? this.nextErrorId++;
    const codeLine = source?.split('\n')[error.line - 1]?.trim();
    this.errors.set(file, { id, file, line: error.line, message: error.message, timestamp: new Date(), ...(codeLine ? { codeLine } : {}) });
  }

  /** Queues a revision: each file lands after its delay, like the DAG processor's loop. */
  publish(revision: Revision, options: PublishOptions = {}): void {
    const now = Date.now();
    const known = options.delayMs ?? 0;
    const fresh = options.newFileDelayMs ?? known;
    const due = (file: string) => (options.never ? Infinity : now + (this.knows(file) ? known : fresh));
    const gate = options.afterListings === undefined ? {} : { afterListing: this.listings + options.afterListings };
    const changes: PendingChange[] = [
      ...revision.files.map((content) => ({ file: content.path, commit: revision.commit, content, dueAt: due(content.path), ...gate })),
      ...(revision.removed ?? []).map((file) => ({ file, commit: revision.commit, content: undefined, dueAt: due(file), ...gate })),
    ];
    const touched = new Set(changes.map((change) => change.file));
    // A newer revision of a file replaces one still waiting, as a real checkout would.
    this.pending = [...this.pending.filter((change) => !touched.has(change.file)), ...changes];
    this.applyDue();
  }

  /** parseDagFile: a known file's pending revision lands (almost) at once. False when Airflow has no DAG from it. */
  requestReparse(file: string, delayMs: number): boolean {
    if (![...this.dagRows.values()].some((dag) => dag.file === file)) return false;
    for (const change of this.pending) {
      if (change.file === file && Number.isFinite(change.dueAt)) change.dueAt = Math.min(change.dueAt, Date.now() + delayMs);
    }
    return true;
  }

  /** A DAG-list request arrived: changes gated on listings may land before it is answered. */
  listed(): void {
    this.listings++;
  }

  /** Files waiting to be parsed. */
  pendingFiles(): string[] {
    this.applyDue();
    return this.pending.map((change) => change.file);
  }

  dags(): StoredDag[] {
    this.applyDue();
    return [...this.dagRows.values()].sort((a, b) => (a.dagId < b.dagId ? -1 : a.dagId > b.dagId ? 1 : 0));
  }

  dag(dagId: string): StoredDag | undefined {
    this.applyDue();
    return this.dagRows.get(dagId);
  }

  source(file: string): string | undefined {
    this.applyDue();
    return this.sources.get(file);
  }

  importErrors(): StoredImportError[] {
    this.applyDue();
    return [...this.errors.values()].sort((a, b) => a.id - b.id);
  }

  hasImportError(file: string): boolean {
    return this.errors.has(file);
  }

  private knows(file: string): boolean {
    return this.errors.has(file) || [...this.dagRows.values()].some((dag) => dag.file === file);
  }

  private applyDue(): void {
    const now = Date.now();
    const isDue = (change: PendingChange) => change.dueAt <= now && (change.afterListing === undefined || this.listings > change.afterListing);
    const due = this.pending.filter(isDue).sort((a, b) => a.dueAt - b.dueAt);
    if (due.length === 0) return;
    this.pending = this.pending.filter((change) => !isDue(change));
    for (const change of due) this.apply(change);
  }

  private apply(change: PendingChange): void {
    const { file, content } = change;
    if (!content) {
      // A deleted file: its DAGs become inactive (stale), they are not deleted.
      this.errors.delete(file);
      for (const dag of this.dagRows.values()) {
        if (dag.file === file) this.dagRows.set(dag.dagId, { ...dag, active: false });
      }
      return;
    }
    if (content.importError) {
      // A failing import leaves the file's DAG rows as they were.
      this.setImportError(file, content.importError, content.source);
      return;
    }
    this.errors.delete(file);
    if (content.source !== undefined) this.sources.set(file, content.source);
    const parsedAt = new Date();
    const defined = new Set((content.dags ?? []).map((dag) => dag.dagId));
    for (const dag of this.dagRows.values()) {
      if (dag.file === file && !defined.has(dag.dagId)) this.dagRows.set(dag.dagId, { ...dag, active: false });
    }
    for (const dag of content.dags ?? []) {
      this.dagRows.set(dag.dagId, {
        dagId: dag.dagId,
        file,
        tasks: dag.tasks,
        active: dag.active ?? true,
        lastParsed: parsedAt,
        bundleVersion: change.commit,
        paused: dag.paused ?? this.dagRows.get(dag.dagId)?.paused ?? false,
      });
    }
  }
}
