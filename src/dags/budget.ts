// What reading one file may spend: time, interpreter steps, and the size of the values it
// builds. A file that runs past a budget stops with BudgetExceeded and is reported as not
// readable statically; the other files of the push are read as usual.
//
// Module state rather than an object handed around: the value factories and the recursive
// helpers (repr, equality, linking) all charge it, and a read is synchronous, so exactly
// one file is being read at any time (startBudget begins each read afresh).

/** Thrown when a file runs past a budget; `message` says which, for the report. */
export class BudgetExceeded extends Error {}

/** Longest string a value may hold (UTF-16 units): 4 Mi, four times the largest file read. */
export const MAX_STRING = 1 << 22;
/** Most items a list, tuple or dict may hold. */
export const MAX_ITEMS = 1 << 17;
/** All string units and list items built while reading one file. */
const MAX_ALLOCATED = 1 << 25;
/** Interpreter steps (statements, expressions, links) for one file. */
const MAX_STEPS = 20_000_000;

let deadline = Number.POSITIVE_INFINITY;
let maxMillis = 0;
let steps = 0;
let allocated = 0;

/** Begins the budget of one read; `until` is a `performance.now()` value. */
export function startBudget(until: number, millis: number): void {
  deadline = until;
  maxMillis = millis;
  steps = 0;
  allocated = 0;
}

/** One step of work; the clock is read every 1,024 steps. */
export function tick(): void {
  steps++;
  if ((steps & 1023) !== 0) return;
  if (steps > MAX_STEPS) throw new BudgetExceeded(`reading needs more than ${MAX_STEPS.toLocaleString('en-US')} steps`);
  if (performance.now() > deadline) throw new BudgetExceeded(`reading took longer than ${maxMillis} ms`);
}

/** Charges a new string of `length` units, before it is built when its length is known in advance. */
export function chargeString(length: number): void {
  if (length > MAX_STRING) throw new BudgetExceeded(`a string grows past ${MAX_STRING.toLocaleString('en-US')} characters`);
  charge(length);
}

/** Charges `count` list, tuple or dict items on a container that will hold `total`. */
export function chargeItems(count: number, total: number): void {
  if (total > MAX_ITEMS) throw new BudgetExceeded(`a list grows past ${MAX_ITEMS.toLocaleString('en-US')} items`);
  charge(count);
}

function charge(units: number): void {
  allocated += units;
  if (allocated > MAX_ALLOCATED) throw new BudgetExceeded(`the values built take more than ${MAX_ALLOCATED.toLocaleString('en-US')} units of memory`);
}
