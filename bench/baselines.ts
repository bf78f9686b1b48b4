// Baseline (a): what a CI step without airlift-sync does after every push —
// reload every code location and wait until each has loaded again. It runs
// against the same Dagster+ simulator (same latency, same load time), with
// the same reload concurrency and poll interval as the action, so its count
// of reloads and code-server load time compare directly.
import type { World } from './world.js';
import { DAGSTER_TOKEN } from './world.js';

const RELOAD = `mutation BenchReload($name: String!) {
  reloadRepositoryLocation(repositoryLocationName: $name) {
    __typename
    ... on WorkspaceLocationEntry { name loadStatus }
    ... on PythonError { message }
  }
}`;

const STATUSES = `query BenchStatuses {
  locationStatusesOrError {
    __typename
    ... on WorkspaceLocationStatusEntries { entries { name loadStatus updateTimestamp } }
  }
}`;

interface StatusEntry {
  readonly name: string;
  readonly loadStatus: string;
  readonly updateTimestamp: number;
}

export interface ReloadAllResult {
  readonly reloads: number;
  readonly wallMs: number;
  readonly requests: number;
}

export async function reloadEverything(world: World, options: { readonly concurrency: number; readonly pollIntervalMs: number }): Promise<ReloadAllResult> {
  const names = world.locations.flat();
  let requests = 0;
  const send = async <T>(query: string, variables?: Record<string, unknown>): Promise<T> => {
    requests++;
    const response = await fetch(world.dagster.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'Dagster-Cloud-Api-Token': DAGSTER_TOKEN },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: unknown };
    if (!response.ok || !body.data) throw new Error(`Dagster answered ${response.status}: ${JSON.stringify(body.errors)}`);
    return body.data;
  };
  const statuses = async (): Promise<StatusEntry[]> =>
    (await send<{ locationStatusesOrError: { entries: StatusEntry[] } }>(STATUSES)).locationStatusesOrError.entries;

  const started = performance.now();
  const before = new Map((await statuses()).map((entry) => [entry.name, entry.updateTimestamp]));
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
      await send(RELOAD, { name });
      // Dagster+ answers at once; the new server counts once its timestamp moved and it is LOADED.
      for (;;) {
        await new Promise((resolve) => setTimeout(resolve, options.pollIntervalMs));
        const entry = (await statuses()).find((candidate) => candidate.name === name);
        if (entry && entry.loadStatus === 'LOADED' && entry.updateTimestamp > (before.get(name) ?? 0)) break;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, names.length) }, worker));
  return { reloads: names.length, wallMs: performance.now() - started, requests };
}
