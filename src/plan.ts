// Pure planning: pushed DAG changes x live Airflow x what each Dagster code
// location holds -> which locations to reload, and why. No I/O here, so every
// rule is tested without a network.
import type { DagChange } from './model.js';

/** What a code location holds about one Airflow DAG (from dagster-airlift's metadata). */
export interface HeldDag {
  /** When the location last fetched this DAG's record from Airflow, if it says. */
  readonly snapshot?: { readonly lastParsedTime?: string; readonly bundleVersion?: string | null; readonly source?: string };
}

export interface LocationHoldings {
  readonly name: string;
  readonly loadError?: string;
  /** Airflow instance name -> DAG id -> what the location holds. */
  readonly airflow: ReadonlyMap<string, ReadonlyMap<string, HeldDag>>;
}

/** What live Airflow holds for one instance, after it parsed the push. Undefined when not compared. */
export interface LiveInstance {
  readonly instance: string;
  /** Active (not stale) DAG ids. */
  readonly activeDagIds: ReadonlySet<string>;
  /** The record of each DAG that caught up with the push, as Airflow shows it now. */
  readonly parsed?: ReadonlyMap<string, NonNullable<HeldDag['snapshot']>>;
}

export type StaleReason =
  | { readonly kind: 'added' | 'removed' | 'modified'; readonly instance: string; readonly dagId: string }
  /** Full drift check: Airflow has the DAG, the location does not (or the reverse). */
  | { readonly kind: 'missing' | 'extra'; readonly instance: string; readonly dagId: string }
  | { readonly kind: 'load-error'; readonly message: string };

export interface LocationPlan {
  readonly location: string;
  /** The Airflow instances this location mirrors or is configured to peer with. */
  readonly instances: readonly string[];
  readonly reload: boolean;
  readonly reasons: readonly StaleReason[];
  /** What the location must hold once reloaded, per instance: the confirm step checks it. */
  readonly expect: readonly ExpectedDags[];
  /**
   * DAGs Airflow has that the location left out although it fetched Airflow after the push reached it
   * (dag_selector_fn, retrieval_filter, the component's filter): not a reason to reload. Absent: none.
   */
  readonly excluded?: readonly { readonly instance: string; readonly dagId: string }[];
}

export interface ExpectedDags {
  readonly instance: string;
  readonly present: readonly string[];
  readonly absent: readonly string[];
}

export interface PlanInput {
  readonly changes: readonly DagChange[];
  readonly locations: readonly LocationHoldings[];
  /** Live Airflow per instance; absent for instances not compared (no URL, dry-run without secrets). */
  readonly live: readonly LiveInstance[];
  /** Configured peers: instance -> location names (from the config file). */
  readonly peers: ReadonlyMap<string, readonly string[]>;
  /** Compare every DAG, not only the changed ones (schedule, workflow_dispatch). */
  readonly fullCheck: boolean;
  /**
   * The pushed head commit and when it was pushed: evidence a held DAG is already fresh. A parse time
   * counts only `marginMs` after the push (the sync into Airflow lags it). Undefined for a pull request,
   * whose code Airflow has never read.
   */
  readonly head?: { readonly sha: string; readonly time: number; readonly marginMs?: number };
  /** The pushed DAG files' text at head, by repository path: a location holding it fetched the push. */
  readonly sources?: ReadonlyMap<string, string>;
}

export function planReloads(input: PlanInput): LocationPlan[] {
  return input.locations.map((location) => planLocation(location, input)).sort((a, b) => a.location.localeCompare(b.location));
}

function planLocation(location: LocationHoldings, input: PlanInput): LocationPlan {
  const instances = new Set(location.airflow.keys());
  for (const [instance, names] of input.peers) if (names.includes(location.name)) instances.add(instance);

  const reasons: StaleReason[] = [];
  if (location.loadError !== undefined) reasons.push({ kind: 'load-error', message: location.loadError });

  const expect: ExpectedDags[] = [];
  const excluded: { instance: string; dagId: string }[] = [];
  for (const instance of [...instances].sort()) {
    const held = location.airflow.get(instance) ?? new Map<string, HeldDag>();
    const present = new Set<string>();
    const absent = new Set<string>();
    const live = input.live.find((entry) => entry.instance === instance);
    // The location fetched Airflow after the push reached it, and Airflow has the DAG: the location left it out.
    const fetchedAfterPush = [...held.values()].some((dag) => isFresh(dag, input.head));
    const leftOut = (dagId: string) => {
      const out = fetchedAfterPush && (live?.activeDagIds.has(dagId) ?? false);
      if (out && !excluded.some((dag) => dag.instance === instance && dag.dagId === dagId)) excluded.push({ instance, dagId });
      return out;
    };
    for (const change of input.changes) {
      if (change.instance !== instance) continue;
      const holds = held.get(change.dagId);
      if (change.kind === 'removed') {
        absent.add(change.dagId);
        if (holds) reasons.push({ kind: 'removed', instance, dagId: change.dagId });
        continue;
      }
      if (!holds && leftOut(change.dagId)) continue;
      present.add(change.dagId);
      if (!holds) reasons.push({ kind: change.kind === 'added' ? 'added' : 'missing', instance, dagId: change.dagId });
      else if (change.kind === 'modified' && !isFresh(holds, input.head, live?.parsed?.get(change.dagId)) && !holdsPushedFile(holds, change, input)) {
        reasons.push({ kind: 'modified', instance, dagId: change.dagId });
      }
    }
    if (input.fullCheck && live) {
      for (const dagId of [...live.activeDagIds].sort()) {
        if (!held.has(dagId) && leftOut(dagId)) continue;
        present.add(dagId);
        if (!held.has(dagId) && !reasons.some((reason) => 'dagId' in reason && reason.dagId === dagId && reason.instance === instance)) {
          reasons.push({ kind: 'missing', instance, dagId });
        }
      }
      for (const dagId of [...held.keys()].sort()) {
        if (!live.activeDagIds.has(dagId) && !absent.has(dagId)) {
          absent.add(dagId);
          reasons.push({ kind: 'extra', instance, dagId });
        }
      }
    }
    if (present.size || absent.size) expect.push({ instance, present: [...present].sort(), absent: [...absent].sort() });
  }
  return { location: location.name, instances: [...instances].sort(), reload: reasons.length > 0, reasons, expect, ...(excluded.length ? { excluded } : {}) };
}

/**
 * A location that already fetched the DAG after the push was parsed holds the
 * new structure (dagster-airlift reads tasks and the DAG record in the same
 * load). The record Airflow shows now, once it caught up, proves it exactly;
 * without it, Airflow 3's bundle version of the pushed commit does, and, as
 * weak evidence, a parse time at least the margin after the push.
 */
function isFresh(held: HeldDag, head: PlanInput['head'], now?: NonNullable<HeldDag['snapshot']>): boolean {
  const snapshot = held.snapshot;
  if (!snapshot) return false;
  if (now?.bundleVersion && snapshot.bundleVersion === now.bundleVersion) return true;
  // The same instant may be written two ways (Z or +00:00, with or without microseconds).
  if (now?.lastParsedTime && snapshot.lastParsedTime && Date.parse(snapshot.lastParsedTime) === Date.parse(now.lastParsedTime)) return true;
  if (!head) return false;
  if (snapshot.bundleVersion) return snapshot.bundleVersion === head.sha;
  const parsed = snapshot.lastParsedTime ? Date.parse(snapshot.lastParsedTime) : Number.NaN;
  return Number.isFinite(parsed) && parsed >= head.time + (head.marginMs ?? 0);
}

/**
 * The location's copy of the DAG file (airlift's "Source Code") is the pushed text: it fetched Airflow
 * after Airflow stored the pushed file, and the DAG's tasks in the same load. This is content, so it
 * holds however often Airflow re-parsed since (Airflow 2 changes last_parsed_time at every parse).
 * Not for a DAG listed for a changed helper (its file is the same before and after), nor for a pull
 * request (Airflow never had its code).
 */
function holdsPushedFile(held: HeldDag, change: DagChange, input: PlanInput): boolean {
  if (!input.head || change.via) return false;
  const pushed = input.sources?.get(change.file);
  const source = held.snapshot?.source;
  return pushed !== undefined && source !== undefined && source.replace(/\r\n/g, '\n') === pushed.replace(/\r\n/g, '\n');
}

/** The Airflow instance names the locations mirror: how a single-instance setup learns its name. */
export function mirroredInstances(locations: readonly { readonly airflow: ReadonlyMap<string, unknown> }[]): string[] {
  return [...new Set(locations.flatMap((location) => [...location.airflow.keys()]))].sort();
}
