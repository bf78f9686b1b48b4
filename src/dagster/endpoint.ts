// How to reach Dagster's GraphQL API, as an HttpTarget for src/http.ts. Pure.
// The inputs themselves (Dagster+ organization, deployment and region, dagster-cloud-url,
// dagster-url, the token and its DAGSTER_CLOUD_API_TOKEN fallback, dagster-headers, plain-http
// refusal, masking) are read and checked once, in src/inputs.ts; this only adapts the result.
import type { DebugLog, HttpTarget } from '../http.js';
import type { DagsterConfig } from '../inputs.js';

export type DagsterKind = DagsterConfig['kind'];

export interface DagsterConnection {
  readonly kind: DagsterKind;
  /** baseUrl is the deployment root (with a trailing slash); credentials go to its origin only. */
  readonly target: HttpTarget;
  /** The GraphQL endpoint relative to target.baseUrl: `graphql`. */
  readonly graphqlPath: string;
}

export function dagsterConnection(config: DagsterConfig, log: DebugLog): DagsterConnection {
  // http.request resolves paths against the base with a trailing slash; resolving '' against
  // the endpoint itself would ask for `.../graphql/`, which Dagster does not serve.
  const baseUrl = new URL('./', config.endpoint);
  return {
    kind: config.kind,
    graphqlPath: config.endpoint.pathname.slice(baseUrl.pathname.length),
    target: {
      service: 'Dagster',
      baseUrl,
      headers: config.headers,
      authInput: config.authInput,
      urlInput: config.urlInput,
      log,
    },
  };
}
