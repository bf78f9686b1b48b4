// The domain types every stage shares. Stages own their own internal types;
// only what crosses a stage boundary lives here.

/** An edge of a DAG's task graph: upstream task id, downstream task id. */
export type Edge = readonly [upstream: string, downstream: string];

/** The structure of one DAG: task ids and edges, both sorted, no duplicates. */
export interface DagShape {
  readonly tasks: readonly string[];
  readonly edges: readonly Edge[];
}

/** One DAG that a Python file defines, as read statically. */
export interface DagDefinition extends DagShape {
  readonly dagId: string;
  /** 1-based line of the DAG constructor or decorator. */
  readonly line: number;
  /**
   * True when part of the structure could not be read statically (a task id
   * built at run time, a loop that could not be unrolled, a syntax error in
   * the file): the ids and edges listed are right, but may be incomplete.
   */
  readonly partial: boolean;
}

/** A DAG constructor whose id cannot be known without running the file. */
export interface DynamicDag {
  readonly line: number;
  readonly reason: string;
}

export interface SyntaxProblem {
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

/** What one revision of one Python file defines. */
export interface DagFileRead {
  readonly path: string;
  readonly dags: readonly DagDefinition[];
  readonly dynamic: readonly DynamicDag[];
  readonly syntaxErrors: readonly SyntaxProblem[];
  /** Dotted module names the file imports (`common.utils`, `.helpers`). */
  readonly imports: readonly string[];
  /** Set when the file was not read: too large, or over the time budget. */
  readonly skipped?: { readonly reason: string };
}

export type FileChangeKind = 'added' | 'modified' | 'removed' | 'renamed' | 'copied';

/** A file the pushed range touches. Paths are relative to the repository root, `/`-separated. */
export interface FileChange {
  readonly path: string;
  /** For renames and copies: the path at the base revision. */
  readonly previousPath?: string;
  readonly kind: FileChangeKind;
}

/** What the triggering event asks the action to compare. */
export type PushRange =
  /** Two revisions to diff: a push, a force push, a pull request. */
  | {
      readonly kind: 'diff';
      readonly base: string;
      readonly head: string;
      /** True when base is not an ancestor of head (force push): the trees are compared. */
      readonly forced: boolean;
      readonly event: string;
    }
  /** No range: every DAG file at head is input (schedule, workflow_dispatch, a new branch without a merge base). */
  | { readonly kind: 'full'; readonly head: string; readonly event: string; readonly reason: string }
  /** Nothing to do (a deleted branch, a tag push): said in the summary. */
  | { readonly kind: 'skip'; readonly event: string; readonly reason: string };

export type DagChangeKind = 'added' | 'removed' | 'modified' | 'unchanged';

/** How one DAG id differs between the base and head revisions. */
export interface DagChange {
  readonly dagId: string;
  /** The Airflow instance (its dagster-airlift name) whose DAGs folder holds the file. */
  readonly instance: string;
  readonly kind: DagChangeKind;
  /** The file at head (for removed DAGs: at base). */
  readonly file: string;
  /** Set when the DAG moved from another file. */
  readonly previousFile?: string;
  readonly line?: number;
  readonly before?: DagShape;
  readonly after?: DagShape;
  readonly tasksAdded: readonly string[];
  readonly tasksRemoved: readonly string[];
  readonly edgesAdded: readonly Edge[];
  readonly edgesRemoved: readonly Edge[];
  /** True when the structure was read only in part at either revision. */
  readonly partial: boolean;
  /**
   * Why the DAG is listed although its own file may not have changed:
   * it imports a module the push changed.
   */
  readonly via?: { readonly module: string };
}

/** A structured, user-facing failure: what failed and which input or setting fixes it. */
export class ActionError extends Error {
  override readonly name = 'ActionError';
  constructor(
    message: string,
    readonly fix: string,
    readonly input?: string,
  ) {
    super(message);
  }
}
