// The logging the stages need, without tying them to the runner: main.ts backs
// it with the runner's workflow commands (src/runner.ts), tests with an array.
import { unusedToken } from './fence.js';

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

/** A line the runner would take as a workflow command: `::cmd::` or the older `##[cmd]`, after leading spaces. */
const COMMAND_LINE = /(^|[\r\n])[ \t]*(::|##\[)/;

/**
 * Text the runner will show, never run. It reads any stdout line that starts with `::` as a workflow
 * command, and info (src/runner.ts) writes text as it is given, so a server's or a pusher's
 * multi-line text (a traceback, an error body) could otherwise annotate, mask or stop commands. Such
 * text is fenced with the runner's own stop-commands, under a fresh token the text cannot contain.
 */
export function inert(text: string, token?: () => string): string {
  if (!COMMAND_LINE.test(text)) return text;
  const fence = unusedToken(text, token);
  return `::stop-commands::${fence}\n${text}\n::${fence}::`;
}

type HeldLine = { readonly kind: 'info' | 'warning'; readonly message: string } | { readonly kind: 'group'; readonly name: string; readonly lines: HeldLine[] };

/**
 * A logger for work that runs beside another logging stage: its lines are held and written to
 * `into` when `replay` is called, so the runner's log groups do not interleave. Debug lines are
 * written at once: they say when each request and retry happened, which is what they are read for.
 */
export function heldLogger(into: Logger): { readonly log: Logger; replay(): Promise<void> } {
  const root: HeldLine[] = [];
  let current = root;
  const log: Logger = {
    info: (message) => current.push({ kind: 'info', message }),
    debug: (message) => into.debug(message),
    warning: (message) => current.push({ kind: 'warning', message }),
    group: async (name, work) => {
      const outer = current;
      const lines: HeldLine[] = [];
      outer.push({ kind: 'group', name, lines });
      current = lines;
      try {
        return await work();
      } finally {
        current = outer;
      }
    },
  };
  const replay = async (lines: readonly HeldLine[]): Promise<void> => {
    for (const line of lines) {
      if (line.kind === 'group') await into.group(line.name, () => replay(line.lines));
      else into[line.kind](line.message);
    }
  };
  return { log, replay: () => replay(root) };
}
