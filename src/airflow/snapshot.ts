// The full drift check's view of Airflow: every active DAG with its tasks, as
// dagster-airlift would build definitions from it (it lists active DAGs only).
import pLimit from 'p-limit';
import { HttpError, type Deadline } from '../http.js';
import type { DagShape } from '../model.js';
import type { AirflowClient, LiveDag } from './client.js';

export interface LiveDagWithTasks extends LiveDag {
  readonly shape: DagShape;
}

/** `live` reuses a DAG list already read (the wait's last round) instead of listing again. */
export async function readLiveDagsWithTasks(
  client: AirflowClient,
  deadline: Deadline,
  options: { readonly concurrency?: number; readonly live?: readonly LiveDag[] } = {},
): Promise<LiveDagWithTasks[]> {
  const live = options.live ?? (await client.listDags(deadline));
  const limit = pLimit(options.concurrency ?? 4);
  const read = await Promise.all(
    live
      .filter((dag) => dag.active)
      .map((dag) =>
        limit(async () => {
          try {
            return { ...dag, shape: await client.getTasks(dag.dagId, deadline) };
          } catch (error) {
            // Deactivated between the list and this read: it is no longer live.
            if (error instanceof HttpError && error.status === 404) return undefined;
            throw error;
          }
        }),
      ),
  );
  return read.filter((dag): dag is LiveDagWithTasks => dag !== undefined);
}
