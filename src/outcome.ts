// What one run found and did: the JSON report (schema/report.schema.json) and
// the source of the job summary, annotations and outputs. Plain data only.
import type { DagChange, PushRange } from './model.js';
import type { LocationPlan } from './plan.js';
import type { MigrationReport } from './migration/model.js';

export const REPORT_SCHEMA_VERSION = 1;

/** rejected: Airflow could not import a pushed file and keeps serving its previous DAGs (fail-on-import-errors: false). */
export type RunResult = 'synced' | 'in-sync' | 'planned' | 'rejected' | 'failed';

export type Stage = 'inputs' | 'changes' | 'airflow' | 'dagster';

export interface Failure {
  readonly stage: Stage;
  readonly message: string;
  /** What to change to fix it: an input, a setting, a permission. */
  readonly fix: string;
  /** The input or config key at fault, when there is one. */
  readonly input?: string;
}

/** A system the run could not compare (no URL, no secret, as on a fork pull request), and the input that would let it. */
export interface NotChecked {
  readonly system: 'airflow' | 'dagster';
  /** The Airflow instance, when several are configured. */
  readonly instance?: string;
  readonly message: string;
  readonly input: string;
}

export interface FileProblem {
  readonly file: string;
  readonly line: number;
  readonly column?: number;
  readonly message: string;
}

export interface ChangesReport {
  readonly source: 'git' | 'github-api' | 'none';
  readonly githubApiRequests: number;
  readonly dags: readonly DagChange[];
  /** Changed zip archives: Airflow reads them, this action does not look inside. */
  readonly archives: readonly string[];
  /** Syntax errors in pushed DAG files (at head). */
  readonly syntaxErrors: readonly FileProblem[];
  /** DAG ids that cannot be read without running the file. */
  readonly dynamicDags: readonly FileProblem[];
  /** Files skipped: too large, over the time budget. */
  readonly skippedFiles: readonly FileProblem[];
}

export type LiveDagState = 'parsed' | 'import-error' | 'timed-out';

export interface LiveDagReport {
  readonly dagId: string;
  readonly state: LiveDagState;
  readonly waitedMs: number;
  /** How the action knows Airflow parsed the pushed revision. */
  readonly proof?: string;
  /** What Airflow still disagrees on, when it did not catch up. */
  readonly disagreement?: string;
}

export interface AirflowReport {
  readonly instance: string;
  /** Origin and path only: never credentials. */
  readonly url: string;
  readonly apiVersion?: 'v1' | 'v2';
  readonly status: 'compared' | 'failed';
  readonly dags: readonly LiveDagReport[];
  readonly importErrors: readonly FileProblem[];
  readonly liveDagCount?: number;
  readonly requests: number;
  readonly waitedMs: number;
}

export type ReloadOutcome = 'loaded' | 'load-error' | 'timed-out' | 'not-found' | 'not-supported' | 'unauthorized' | 'error';

export interface LocationReport extends LocationPlan {
  readonly uiUrl?: string;
  /** Absent when the location was not reloaded (in sync, dry run, pull request). */
  readonly outcome?: ReloadOutcome;
  readonly message?: string;
  readonly loadMs?: number;
  /** DAGs still out of sync after the reload (the confirm step). */
  readonly outOfSync?: readonly string[];
  /** Where dagster-airlift keeps its Airflow state for this location, and what refreshed it. Set when reloaded. */
  readonly refresh?: LocationRefresh;
}

/**
 * code-server-snapshot: fetched when the code server loads (a reload refreshes it); versioned-state: in
 * Dagster's state storage (refreshed, then reloaded); image-state: baked into the image (rebuilt by a
 * workflow); unknown: the server does not say (reloaded, then confirmed).
 */
export type RefreshCase = 'code-server-snapshot' | 'versioned-state' | 'image-state' | 'unknown';

export interface LocationRefresh {
  readonly case: RefreshCase;
  /** What the case was read from, in words. */
  readonly evidence: string;
  /** reload; refresh-state (then reload, unless the refresh already reloaded it); rebuild (the workflow); none: the action could not refresh it. */
  readonly via: 'reload' | 'refresh-state' | 'rebuild' | 'none';
  /** AirflowInstanceComponent state keys: the version loaded before, the one refreshed in storage, the one loaded after. */
  readonly stateKeys?: readonly {
    readonly key: string;
    readonly management?: string;
    readonly versionBefore?: string;
    readonly versionRefreshed?: string;
    readonly versionAfter?: string;
  }[];
  /** The rebuild workflow run the action started. */
  readonly workflowRun?: { readonly id: number; readonly url: string; readonly conclusion: string | null };
}

export interface DagsterReport {
  readonly kind: 'dagster-plus' | 'self-hosted';
  readonly url: string;
  readonly status: 'compared' | 'failed';
  readonly locations: readonly LocationReport[];
  readonly requests: number;
}

export interface RunReport {
  readonly schemaVersion: typeof REPORT_SCHEMA_VERSION;
  readonly result: RunResult;
  readonly event: string;
  readonly repository?: string;
  readonly range: PushRange;
  readonly compareUrl?: string;
  readonly headUrl?: string;
  readonly dryRun: boolean;
  readonly changes: ChangesReport;
  readonly airflow: readonly AirflowReport[];
  readonly dagster?: DagsterReport;
  /** dagster-airlift's proxied state and what the change breaks in Dagster; absent when neither applies. */
  readonly migration?: MigrationReport;
  readonly failures: readonly Failure[];
  /** What was not compared, and why: the run then only plans. */
  readonly notChecked?: readonly NotChecked[];
  readonly timings: { readonly totalMs: number; readonly changesMs: number; readonly airflowMs: number; readonly dagsterMs: number };
}
