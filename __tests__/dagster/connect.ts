// Connecting the client to a Dagster simulator the way the action would: a DagsterConfig as
// src/inputs.ts produces it for Dagster+ (token) or a self-hosted Dagster behind custom headers.
import type { DagsterConfig } from '../../src/inputs.js';
import { deadlineIn } from '../../src/http.js';
import { connectDagster, type DagsterClient } from '../../src/dagster/client.js';
import { dagsterConnection, type DagsterConnection } from '../../src/dagster/endpoint.js';
import { startDagsterSimulator, type DagsterSimulator, type DagsterSimulatorOptions } from '../../sim/dagster.js';

export const TOKEN = 'user:s3cr3t-t0ken';
export const PROXY_HEADERS = { 'X-Api-Key': 'k3y-value', Authorization: 'Bearer pr0xy', Cookie: '_oauth2_proxy=c00kie' };

export type Mode = 'dagster-plus' | 'self-hosted';

/** A simulator as each mode really looks: Dagster+ with its token and async redeploys, or a webserver behind an auth proxy. */
export function startIn(mode: Mode, options: DagsterSimulatorOptions = {}): Promise<DagsterSimulator> {
  return startDagsterSimulator(
    mode === 'dagster-plus'
      ? { deployment: 'dagster-plus', auth: { kind: 'dagster-plus', token: TOKEN }, basePath: '/prod', ...options }
      : { deployment: 'self-hosted', auth: { kind: 'headers', headers: PROXY_HEADERS }, ...options },
  );
}

export function configFor(sim: DagsterSimulator, mode: Mode, credentials?: Readonly<Record<string, string>>): DagsterConfig {
  const endpoint = new URL(sim.url);
  const uiUrl = new URL(sim.baseUrl);
  return mode === 'dagster-plus'
    ? {
        kind: 'dagster-plus',
        endpoint,
        uiUrl,
        headers: credentials ?? { 'Dagster-Cloud-Api-Token': TOKEN },
        authInput: 'dagster-cloud-api-token',
        urlInput: 'dagster-cloud-url',
      }
    : { kind: 'self-hosted', endpoint, uiUrl, headers: credentials ?? PROXY_HEADERS, authInput: 'dagster-headers', urlInput: 'dagster-url' };
}

export interface Connected {
  readonly client: DagsterClient;
  readonly connection: DagsterConnection;
  readonly log: string[];
}

export async function connect(
  sim: DagsterSimulator,
  mode: Mode,
  options: { credentials?: Readonly<Record<string, string>>; retries?: number; requestTimeoutMs?: number } = {},
): Promise<Connected> {
  const log: string[] = [];
  const base = dagsterConnection(configFor(sim, mode, options.credentials), (line) => log.push(line));
  const connection = { ...base, target: { ...base.target, retries: options.retries ?? 2, requestTimeoutMs: options.requestTimeoutMs } };
  return { client: await connectDagster(connection, deadlineIn(10_000)), connection, log };
}

export const dags = (...ids: string[]) => ids.map((dagId) => ({ dagId }));
