// A full garbage collection between stages. The action's live data stays small (under 30 MB at
// 5,000 DAG files), but each stage briefly holds a lot: the parser's WebAssembly memory, Dagster's
// workspace answer (8 MB of JSON at 5,000 DAGs), Airflow's DAG-list pages. V8 sizes its heap for
// the machine and collects lazily, so without a collection where a stage has just let go of its
// share, each stage's garbage stacks on the next and the peak is twice what the run holds. Node has
// no API for it; the collector is reached the way Jest's leak detector reaches it.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collector: (() => void) | undefined;

export function collectGarbage(): void {
  collector ??= exposeCollector();
  collector();
}

function exposeCollector(): () => void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
