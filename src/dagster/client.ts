// The Dagster GraphQL client: graphql-request for the GraphQL protocol, src/http.ts for the wire.
// GraphQLClient gets a `fetch` that sends through http.request, so Dagster requests follow the
// same rules as Airflow's: retries with Retry-After, same-origin redirects only, one deadline,
// debug lines without secrets, and the same error messages.
import { ClientError, GraphQLClient } from 'graphql-request';
import type { z } from 'zod';
import { ActionError } from '../model.js';
import { HttpError, parseJson, request, type Deadline, type HttpResponse, type HttpTarget } from '../http.js';
import type { DagsterConnection, DagsterKind } from './endpoint.js';
import { BASELINE, CAPABILITIES, type Operation } from './operations.js';
import { capabilitiesData } from './wire.js';

export interface Capabilities {
  /** `Type.field` for the probed types, root types spelled Query and Mutation whatever the server calls them. */
  readonly members: ReadonlySet<string>;
  /** False when the server refused introspection and BASELINE is assumed. */
  readonly introspected: boolean;
}

export interface SendOptions {
  /** Defaults to the deadline given to connectDagster. */
  readonly deadline?: Deadline;
  /** Per-attempt timeout, for requests the server answers only when done (a self-hosted reload). */
  readonly requestTimeoutMs?: number;
  /** False for a mutation: resent only when the server cannot have acted on it. Default true. */
  readonly idempotent?: boolean;
  /**
   * The answer is parsed only once this settles: a large answer that arrives while the action is
   * busy elsewhere waits as text, not as the objects it becomes, and memory peaks stay apart.
   */
  readonly parseAfter?: Promise<void>;
}

export interface DagsterClient {
  readonly kind: DagsterKind;
  /** GraphQL operations sent so far, the introspection included (retries of one count once). */
  readonly requestCount: number;
  readonly capabilities: Capabilities;
  supports(operation: Operation): boolean;
  send<T>(operation: Operation, shape: z.ZodType<T>, variables?: Record<string, unknown>, options?: SendOptions): Promise<T>;
}

/** The server answered with a GraphQL `errors` array. */
export class DagsterGraphQLError extends ActionError {}

/** Learns once which of the documents the server can answer, then sends only those. */
export async function connectDagster(connection: DagsterConnection, deadline: Deadline): Promise<DagsterClient> {
  let requestCount = 0;
  const send = <T>(operation: Operation, shape: z.ZodType<T>, variables?: Record<string, unknown>, options?: SendOptions) => {
    requestCount++;
    return sendOperation(connection, operation, shape, variables, { ...options, deadline: options?.deadline ?? deadline });
  };
  const capabilities = await learnCapabilities(connection.target, send);
  const lacking = (operation: Operation) => operation.requires.filter((member) => !capabilities.members.has(member));
  return {
    kind: connection.kind,
    get requestCount() {
      return requestCount;
    },
    capabilities,
    supports: (operation) => lacking(operation).length === 0,
    send: async (operation, shape, variables, options) => {
      const missing = lacking(operation);
      if (missing.length) {
        throw new ActionError(
          `This Dagster's GraphQL API lacks ${missing.join(', ')}, which airlift-sync needs (${operation.name}).`,
          `Check that ${connection.target.urlInput} points at a Dagster webserver or Dagster+ deployment of a supported version.`,
          connection.target.urlInput,
        );
      }
      return send(operation, shape, variables, options);
    },
  };
}

async function learnCapabilities(
  target: HttpTarget,
  send: <T>(operation: Operation, shape: z.ZodType<T>) => Promise<T>,
): Promise<Capabilities> {
  let data: z.infer<typeof capabilitiesData>;
  try {
    data = await send(CAPABILITIES, capabilitiesData);
  } catch (error) {
    // Some deployments turn introspection off; the oldest documents still work there.
    if (!(error instanceof DagsterGraphQLError)) throw error;
    target.log(`Dagster refused introspection (${error.message}); assuming the oldest supported schema`);
    return { members: new Set(BASELINE), introspected: false };
  }
  const members = new Set<string>();
  const add = (type: string, fields: readonly { name: string }[] | null | undefined) => {
    for (const field of fields ?? []) members.add(`${type}.${field.name}`);
  };
  add('Query', data.__schema.queryType.fields);
  add('Mutation', data.__schema.mutationType?.fields);
  add('WorkspaceLocationEntry', data.workspaceLocationEntry?.fields);
  add('RepositoryLocation', data.repositoryLocation?.fields);
  add('AssetNode', data.assetNode?.fields);
  target.log(
    `Dagster schema: roots ${data.__schema.queryType.name}/${data.__schema.mutationType?.name ?? '-'}, ` +
      `workspaceLocationEntryOrError ${members.has('Query.workspaceLocationEntryOrError') ? 'yes' : 'no'}, ` +
      `versionKey ${members.has('WorkspaceLocationEntry.versionKey') ? 'yes' : 'no'}`,
  );
  return { members, introspected: true };
}

async function sendOperation<T>(
  { target, graphqlPath }: DagsterConnection,
  operation: Operation,
  shape: z.ZodType<T>,
  variables: Record<string, unknown> | undefined,
  { deadline, requestTimeoutMs, idempotent = true, parseAfter }: SendOptions & { readonly deadline: Deadline },
): Promise<T> {
  const through = requestTimeoutMs === undefined ? target : { ...target, requestTimeoutMs };
  // fetchThrough parses the body once (it must, to tell a login page or garbage from JSON) and hands
  // graphql-request the parsed value: a second JSON.parse of a large workspace answer doubles its memory.
  let body: unknown;
  const graphql = new GraphQLClient(new URL(graphqlPath, target.baseUrl).href, {
    fetch: fetchThrough(through, graphqlPath, { deadline, idempotent, parseAfter }, (parsed) => (body = parsed)),
    jsonSerializer: { stringify: JSON.stringify, parse: () => body },
  });
  let data: unknown;
  try {
    data = await graphql.request(operation.document, variables);
  } catch (error) {
    throw explain(target, operation, error);
  }
  const parsed = shape.safeParse(data);
  if (!parsed.success) {
    throw new HttpError(
      'garbage',
      `Dagster answered ${operation.name} with data of an unexpected shape (${parsed.error.issues[0]?.path.join('.') ?? '?'}: ${parsed.error.issues[0]?.message ?? '?'}).`,
      `Check that ${target.urlInput} points at a Dagster webserver or Dagster+ deployment.`,
    );
  }
  return parsed.data;
}

/**
 * A fetch for graphql-request that goes through http.request and accepts only JSON bodies: the parsed
 * body goes to `parsed`, and the Response graphql-request gets carries no text.
 */
function fetchThrough(
  target: HttpTarget,
  path: string,
  { deadline, idempotent, parseAfter }: { readonly deadline: Deadline; readonly idempotent: boolean; readonly parseAfter?: Promise<void> },
  parsed: (body: unknown) => void,
): typeof fetch {
  return async (_url, init) => {
    const response = await request(target, {
      method: 'POST',
      path,
      json: typeof init?.body === 'string' ? (JSON.parse(init.body) as unknown) : undefined,
      deadline,
      idempotent,
      // Dagster answers 400 to a document it cannot validate, with the reasons as GraphQL errors.
      accept: [400],
      answers: caughtError,
    });
    await parseAfter;
    // Throws on a login page (auth) or a body that is not JSON (garbage).
    parsed(parseJson(target, `POST ${new URL(path, target.baseUrl).pathname}`, response));
    // graphql-request makes any non-2xx status an error: a caught error's answer goes to it as the answer it is.
    return new Response(null, { status: caughtError(response) ? 200 : response.status, headers: { 'content-type': 'application/json' } });
  };
}

/**
 * A 500 that is an answer: the webserver turns an exception in a resolver into the field's PythonError
 * member and sends it as data with status 500 (dagster_webserver/graphql.py, _determine_status_code: any
 * captured error), e.g. reloadRepositoryLocation when the code server is unreachable. A 500 without data,
 * or with GraphQL errors, is a failure, retried as any other.
 */
function caughtError(response: HttpResponse): boolean {
  if (response.status !== 500) return false;
  try {
    const body = JSON.parse(response.body) as { data?: unknown; errors?: unknown };
    return typeof body.data === 'object' && body.data !== null && body.errors === undefined;
  } catch {
    return false;
  }
}

function explain(target: HttpTarget, operation: Operation, error: unknown): Error {
  if (error instanceof ClientError) {
    const messages = (error.response.errors ?? []).map((e) => clip(e.message));
    return new DagsterGraphQLError(
      `Dagster answered ${operation.name} with ${messages.length ? `errors: ${messages.join('; ')}` : `status ${error.response.status} and no data`}.`,
      error.response.status === 400
        ? `The Dagster server's GraphQL schema does not accept what airlift-sync sends: check that ${target.urlInput} is a Dagster webserver or Dagster+ deployment of a supported version.`
        : 'The message above is Dagster\'s own; fix what it names, or retry if it was transient.',
      target.urlInput,
    );
  }
  // A GraphQL API that redirects a POST to another host is an auth proxy sending us to its login
  // page; a redirect to the same host (http to https) is a URL to fix, as http.ts says.
  if (error instanceof HttpError && error.kind === 'redirect' && !redirectsToSameHost(target, error)) {
    return new HttpError(
      'auth',
      `${error.message} This is most likely an auth proxy's login page.`,
      `Check ${target.authInput}: the proxy in front of Dagster did not accept the credentials.`,
      error.status,
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

function redirectsToSameHost(target: HttpTarget, error: HttpError): boolean {
  return error.location?.hostname === target.baseUrl.hostname;
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}
