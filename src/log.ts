// The logging the stages need, without tying them to the runner: main.ts backs
// it with @actions/core, tests with an array.
export interface Logger {
  info(message: string): void;
  /** Shown only with ACTIONS_STEP_DEBUG: per-request lines. Never secrets. */
  debug(message: string): void;
  warning(message: string): void;
  group<T>(name: string, work: () => Promise<T>): Promise<T>;
}

/**
 * Progress during a long wait, at a readable rate: the first call, then at
 * most once per interval, however often the poller calls it.
 */
export function throttled(log: (message: string) => void, intervalMs: number, now: () => number = Date.now): (message: string) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (message) => {
    const time = now();
    if (time - last < intervalMs) return;
    last = time;
    log(message);
  };
}
