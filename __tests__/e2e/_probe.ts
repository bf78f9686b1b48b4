import { openWorld, act, startTap } from './harness.js';
const cleanups: (() => unknown)[] = [];
for (const kind of ['truncate', 'html-login', 'reset'] as const) {
  const w = await openWorld((f) => cleanups.push(f), { githubApi: true });
  w.s.publishHead({ delayMs: 0 });
  const tap = await startTap(w.github!.url);
  cleanups.push(() => tap.close());
  tap.faults.push({ kind, times: kind === 'reset' ? 2 : Infinity, match: (r) => r.path.includes('/git/') });
  const t0 = Date.now();
  const run = await act(w, {}, { env: { GITHUB_API_URL: tap.url } });
  console.log(kind, run.exitCode, run.outputs.result, Date.now() - t0, run.report?.changes.source, JSON.stringify(run.report?.failures));
}
for (const c of cleanups.reverse()) await c();
