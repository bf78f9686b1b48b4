// The migration section of the JSON report (schema/report.schema.json, `migration`): what the
// proxied-state files say, what is wrong in them, and what the push breaks in Dagster. Plain data.

/**
 * malformed: airlift cannot load the file (an import error of every DAG file that loads the folder);
 * unknown-task: a task id the DAG does not define (an import error of the DAG's file);
 * duplicate-task: a task listed twice (the last entry wins, silently);
 * unknown-dag: no DAG has the file's id (the file is ignored, silently).
 */
export type ProblemKind = 'malformed' | 'unknown-task' | 'duplicate-task' | 'unknown-dag';

/** What airlift does with the problem when Airflow parses the DAG files. */
export type ParseTimeEffect = 'import-error' | 'ignored' | 'last-entry-wins';

export interface MigrationProblem {
  readonly kind: ProblemKind;
  readonly effect: ParseTimeEffect;
  readonly file: string;
  readonly line: number;
  readonly dagId: string;
  readonly taskId?: string;
  readonly message: string;
}

export interface MigrationDag {
  readonly dagId: string;
  readonly instance: string;
  /** The proxied-state file at head (at base when the push removed it). */
  readonly file: string;
  /** dag: the whole DAG is proxied or not (`proxied:`); task: task by task (`tasks:`); none: the push removed the file. */
  readonly level: 'dag' | 'task' | 'none';
  /** For level dag. */
  readonly dagProxied?: boolean;
  /** Tasks proxied at head, of the DAG's tasks (level task). */
  readonly proxiedTasks: readonly string[];
  /** The DAG's task count at head; absent when no DAG file defines the DAG. */
  readonly totalTasks?: number;
  /** True when the DAG's tasks could be read only in part. */
  readonly partial: boolean;
  /** Tasks proxied at head and not at base ("*" alone: the whole DAG). */
  readonly newlyProxied: readonly string[];
  /** Tasks proxied at base and not at head: they run in Airflow again ("*" alone: the whole DAG). */
  readonly returnedToAirflow: readonly string[];
}

/** A Dagster code location that maps assets to a DAG or task the change removes. */
export interface DagsterImpact {
  readonly location: string;
  readonly instance: string;
  readonly dagId: string;
  /** Absent when the whole DAG is removed. */
  readonly taskId?: string;
  /** Asset keys, `/`-joined. */
  readonly assetKeys: readonly string[];
  /** What Dagster does at the location's next load, from airlift's source. */
  readonly consequence: string;
}

/** A location that mirrors DAGs whose proxied state changed, and needs no reload for it. */
export interface UnaffectedLocation {
  readonly location: string;
  readonly dags: readonly string[];
}

export interface MigrationReport {
  /** The `proxied_state` folders read, at head. */
  readonly folders: readonly string[];
  readonly dags: readonly MigrationDag[];
  readonly problems: readonly MigrationProblem[];
  readonly dagsterImpact: readonly DagsterImpact[];
  readonly noReload: readonly UnaffectedLocation[];
}
