// What the interpreters of one DAG file and of the helper modules it imports share: the Airflow
// model they build together, the helper modules, the nesting limits, and the shapes of control flow.
import type { AirflowModel } from '../airflow.js';
import type { HelperModule } from '../modules.js';
import type { ParsedModule } from '../parser.js';
import type { Scope, Value } from '../values.js';

export const MAX_CALL_DEPTH = 8;
/** Bounds the interpreter's own recursion, whatever the nesting of calls and expressions. */
export const MAX_EVAL_DEPTH = 1000;
export const MAX_LOOP_ITERATIONS = 1000;

/** How a statement ends: on to the next one, or out of a loop or function. */
export type Flow = 'normal' | 'break' | 'continue' | 'return' | 'raise';

/** A function call (or the module) being run: what it returned, the names it declared global. */
export interface Frame {
  readonly returns: Value[];
  readonly globals: Set<string>;
}

/** The file being read: its parse, its text, and the dotted name it is imported as (relative imports start there). */
export interface ModuleText {
  readonly parsed: ParsedModule;
  readonly source: string;
  readonly name: string;
  readonly isPackage: boolean;
}

/** A module's interpreter, as an import sees it. */
export interface ModuleRun {
  readonly moduleScope: Scope;
  run(): void;
}

export interface Program {
  readonly airflow: AirflowModel;
  /** Helper modules by dotted name, parsed, not run yet. */
  readonly helpers: ReadonlyMap<string, HelperModule>;
  /** Module globals of the helpers run so far (`sys.modules`). */
  readonly loaded: Map<string, Scope>;
  /** An interpreter for another module of the same program. */
  open(file: ModuleText): ModuleRun;
  /** While the DAG file runs a helper module's code: the line of that call, where what it creates is reported. */
  callSite: number | null;
  /** Nesting of calls and of evaluation, across modules. */
  callDepth: number;
  depth: number;
}

/** A helper's value the reader could not work out still comes from project code, which may add tasks when called. */
export function projectCode(value: Value | undefined, module: string): Value | undefined {
  return value?.kind === 'unknown' && !value.module ? { ...value, module } : value;
}
