// The GraphQL requests of the action (src/dagster/operations.ts) whose answers the real Dagster
// webserver and the simulator must shape alike, and their shapes. GraphQL answers are unions and
// lists of unlike elements (metadata entries of several kinds, loaded and failed locations), so a
// shape here keeps each `__typename` and every distinct element shape of a list, not the first.
import {
  CAPABILITIES,
  LATEST_DEFS_STATE,
  LOCATION,
  LOCATION_STATUSES,
  REFRESH_COMPONENT_STATE,
  RELOAD,
  WORKSPACE,
  WORKSPACE_DEFS_STATE,
  WORKSPACE_LEGACY,
} from '../../src/dagster/operations.js';
import type { RecordedShape, Shape } from './shapes.js';

export function graphqlShapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (value.length === 0) return 'empty-array';
    const distinct = new Map(value.map((element) => graphqlShapeOf(element)).map((shape) => [JSON.stringify(shape), shape]));
    return [...distinct].sort(([a], [b]) => a.localeCompare(b)).map(([, shape]) => shape);
  }
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, field]) => [key, key === '__typename' && typeof field === 'string' ? `=${field}` : graphqlShapeOf(field)]),
    );
  }
  return typeof value;
}

/**
 * The names a request is made with: a location that loads (build_defs_from_airflow_instance), one that
 * fails to load, one built by an AirflowInstanceComponent keeping its state in state storage, and that
 * component's defs-state key.
 */
export interface DagsterNames {
  readonly location: string;
  readonly broken: string;
  readonly component: string;
  readonly stateKey: string;
}

export const UNKNOWN_LOCATION = 'no_such_location';

export interface GraphQLShapeRequest {
  readonly name: string;
  readonly document: string;
  /** Values naming a field of DagsterNames (`location`, `broken`, `component`, `stateKey`) are replaced by it. */
  readonly variables?: Readonly<Record<string, string>>;
}

/** In order: the reads first, then the reloads (which move the stamps), then the state refreshes. */
export const DAGSTER_REQUESTS: readonly GraphQLShapeRequest[] = [
  { name: 'capabilities', document: CAPABILITIES.document },
  { name: 'workspace (one location loaded, one failed)', document: WORKSPACE.document },
  { name: 'workspace, legacy document', document: WORKSPACE_LEGACY.document },
  { name: 'workspace defs state', document: WORKSPACE_DEFS_STATE.document },
  { name: 'a loaded location', document: LOCATION.document, variables: { name: 'location' } },
  { name: 'a location that failed to load', document: LOCATION.document, variables: { name: 'broken' } },
  { name: 'a location with a state-backed component', document: LOCATION.document, variables: { name: 'component' } },
  { name: 'an unknown location', document: LOCATION.document, variables: { name: UNKNOWN_LOCATION } },
  { name: 'location statuses', document: LOCATION_STATUSES.document },
  { name: 'latest defs state', document: LATEST_DEFS_STATE.document },
  { name: 'reload a location', document: RELOAD.document, variables: { name: 'location' } },
  { name: 'reload a location that fails to load', document: RELOAD.document, variables: { name: 'broken' } },
  { name: 'reload an unknown location', document: RELOAD.document, variables: { name: UNKNOWN_LOCATION } },
  { name: 'refresh a component\'s state', document: REFRESH_COMPONENT_STATE.document, variables: { locationName: 'component', defsStateKey: 'stateKey' } },
  { name: 'latest defs state, after a refresh', document: LATEST_DEFS_STATE.document },
  { name: 'a location with a state-backed component, after a refresh', document: LOCATION.document, variables: { name: 'component' } },
  { name: 'refresh the state of an unknown key', document: REFRESH_COMPONENT_STATE.document, variables: { locationName: 'location', defsStateKey: 'NoSuchComponent[none]' } },
  { name: 'refresh the state in an unknown location', document: REFRESH_COMPONENT_STATE.document, variables: { locationName: UNKNOWN_LOCATION, defsStateKey: 'NoSuchComponent[none]' } },
  { name: 'a document the schema rejects', document: 'query AirliftSyncShapeInvalid { workspaceOrError { ... on Workspace { noSuchField } } }' },
];

export interface GraphQLAnswer {
  readonly name: string;
  readonly status: number;
  readonly body: unknown;
}

/** Sends each request to a GraphQL endpoint; `headers` for auth. The answers keep their values, for a look. */
export async function askDagster(url: string, names: DagsterNames, headers: Record<string, string> = {}): Promise<GraphQLAnswer[]> {
  const fill = (value: string) => (value in names ? names[value as keyof DagsterNames] : value);
  const answers: GraphQLAnswer[] = [];
  for (const request of DAGSTER_REQUESTS) {
    const variables = Object.fromEntries(Object.entries(request.variables ?? {}).map(([key, value]) => [key, fill(value)]));
    const response = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ query: request.document, variables }) });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // Not JSON: its shape is 'string'.
    }
    answers.push({ name: request.name, status: response.status, body });
  }
  return answers;
}

export function dagsterShapes(answers: readonly GraphQLAnswer[]): RecordedShape[] {
  return answers.map((answer) => ({ name: answer.name, status: answer.status, shape: graphqlShapeOf(answer.body) }));
}
