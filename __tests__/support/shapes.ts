// The shape of a JSON answer (field names and value types, not values), and the requests whose
// answers the real Airflow and the simulator must shape alike. The real tier records the real
// shapes into __tests__/fixtures/real-shapes/; the conformance suite holds the simulator to them.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A leaf is 'string', 'number', 'boolean', 'null', 'empty-array', or (GraphQL) `=TypeName` for a
 * `__typename`. An array holds one shape per distinct element shape (shapeOf keeps the first only).
 */
export type Shape = string | Shape[] | { [field: string]: Shape };

export function shapeOf(value: unknown): Shape {
  if (value === null) return 'null';
  if (Array.isArray(value)) return value.length === 0 ? 'empty-array' : [shapeOf(value[0])];
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value).sort(([a], [b]) => a.localeCompare(b)).map(([key, field]) => [key, shapeOf(field)]));
  return typeof value as 'string' | 'number' | 'boolean';
}

/**
 * Where two shapes differ, one line per difference (`path: real X, simulator Y`). A null on one side
 * against a value on the other is a difference too: it says the simulator gets nullability wrong or
 * the sample did not show it, and the caller decides which of those is known and allowed.
 */
export function shapeDifferences(real: Shape, sim: Shape, at = '$'): string[] {
  if (typeof real === 'string' || typeof sim === 'string' || Array.isArray(real) !== Array.isArray(sim)) {
    return JSON.stringify(real) === JSON.stringify(sim) ? [] : [`${at}: real ${describe(real)}, simulator ${describe(sim)}`];
  }
  if (Array.isArray(real) && Array.isArray(sim)) return real.length === 1 && sim.length === 1 ? shapeDifferences(real[0]!, sim[0]!, `${at}[]`) : elementDifferences(real, sim, `${at}[]`);
  const realObject = real as Record<string, Shape>;
  const simObject = sim as Record<string, Shape>;
  const differences: string[] = [];
  for (const key of new Set([...Object.keys(realObject), ...Object.keys(simObject)])) {
    if (!(key in simObject)) differences.push(`${at}.${key}: real ${describe(realObject[key]!)}, simulator has no such field`);
    else if (!(key in realObject)) differences.push(`${at}.${key}: real has no such field, simulator ${describe(simObject[key]!)}`);
    else differences.push(...shapeDifferences(realObject[key]!, simObject[key]!, `${at}.${key}`));
  }
  return differences;
}

/**
 * Arrays of several element shapes (a union, or objects with optional fields): each real shape the
 * simulator lacks is compared with the simulator's closest one (same `__typename`, most fields in
 * common); shapes only the simulator has are named too.
 */
function elementDifferences(real: Shape[], sim: Shape[], at: string): string[] {
  const key = (shape: Shape) => JSON.stringify(shape);
  const simKeys = new Set(sim.map(key));
  const realKeys = new Set(real.map(key));
  const paired = new Set<string>();
  const differences: string[] = [];
  for (const shape of real.filter((candidate) => !simKeys.has(key(candidate)))) {
    const closest = closestShape(shape, sim.filter((candidate) => !realKeys.has(key(candidate))));
    if (closest === undefined) {
      differences.push(`${at}: real has elements shaped ${key(shape)}, simulator none`);
      continue;
    }
    paired.add(key(closest));
    differences.push(...shapeDifferences(shape, closest, at));
  }
  for (const shape of sim.filter((candidate) => !realKeys.has(key(candidate)) && !paired.has(key(candidate)))) {
    differences.push(`${at}: simulator has elements shaped ${key(shape)}, real none`);
  }
  return differences;
}

function closestShape(shape: Shape, candidates: readonly Shape[]): Shape | undefined {
  const fields = (of: Shape) => (typeof of === 'object' && !Array.isArray(of) ? of : {});
  const typename = fields(shape).__typename;
  const alike = candidates.filter((candidate) => typeof candidate === typeof shape && Array.isArray(candidate) === Array.isArray(shape) && fields(candidate).__typename === typename);
  const common = (candidate: Shape) => Object.keys(fields(candidate)).filter((field) => field in fields(shape)).length;
  return alike.sort((a, b) => common(b) - common(a))[0];
}

function describe(shape: Shape): string {
  return typeof shape === 'string' ? shape : Array.isArray(shape) ? 'an array of objects' : 'an object';
}

/** One request the action makes, with what is needed to make it against any Airflow. */
export interface ShapeRequest {
  readonly name: string;
  readonly method: 'GET' | 'PUT';
  /**
   * Below /api/v1 or /api/v2. `{dag}`: a DAG id the server knows; `{token}`: its file_token;
   * `{source}`: what dagSources is addressed by (v1 the file token, v2 the DAG id); `{all}`: the
   * filter that keeps inactive (stale) DAGs.
   */
  readonly path: string;
}

/** The Airflow requests of the action (src/airflow/client.ts), the same for both API versions. */
export const AIRFLOW_REQUESTS: readonly ShapeRequest[] = [
  { name: 'version', method: 'GET', path: '/version' },
  { name: 'list DAGs', method: 'GET', path: '/dags?limit=100&offset=0&order_by=dag_id&{all}' },
  { name: 'tasks', method: 'GET', path: '/dags/{dag}/tasks' },
  { name: 'import errors', method: 'GET', path: '/importErrors?limit=100&offset=0' },
  { name: 'DAG source', method: 'GET', path: '/dagSources/{source}' },
  { name: 'DAG source of an unknown DAG file', method: 'GET', path: '/dagSources/no_such_dag' },
  { name: 'reparse a DAG file', method: 'PUT', path: '/parseDagFile/{token}' },
  { name: 'tasks of an unknown DAG', method: 'GET', path: '/dags/no_such_dag/tasks' },
];

export interface RecordedShape {
  readonly name: string;
  readonly status: number;
  readonly shape: Shape;
}

/** Makes each request against an Airflow (`url` without /api/vN) and records status and shape. */
export async function recordAirflowShapes(url: string, version: 'v1' | 'v2', headers: Record<string, string>, dagId: string): Promise<RecordedShape[]> {
  const apiRoot = `${url.replace(/\/$/, '')}/api/${version}`;
  const send = async (method: string, apiPath: string) => fetch(`${apiRoot}${apiPath}`, { method, headers: { ...headers, accept: 'application/json' } });
  const dag = (await (await send('GET', `/dags/${encodeURIComponent(dagId)}`)).json()) as { file_token: string };
  const fill = (apiPath: string) =>
    apiPath
      .replace('{dag}', encodeURIComponent(dagId))
      .replace('{token}', encodeURIComponent(dag.file_token))
      .replace('{source}', encodeURIComponent(version === 'v1' ? dag.file_token : dagId))
      .replace('{all}', version === 'v1' ? 'only_active=false' : 'exclude_stale=false');
  const recorded: RecordedShape[] = [];
  for (const request of AIRFLOW_REQUESTS) {
    const response = await send(request.method, fill(request.path));
    const text = await response.text();
    recorded.push({ name: request.name, status: response.status, shape: text ? shapeOf(JSON.parse(text)) : 'null' });
  }
  return recorded;
}

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/real-shapes');

/** Real Airflow 2; real Airflow 3 on its default local bundle, and on a git bundle (bundle_version set); real Dagster. */
export type FixtureName = 'airflow2' | 'airflow3' | 'airflow3-git' | 'dagster';

export function fixturePath(name: FixtureName): string {
  return path.join(FIXTURES, `${name}.json`);
}

export function readFixture(name: FixtureName): RecordedShape[] | undefined {
  return existsSync(fixturePath(name)) ? (JSON.parse(readFileSync(fixturePath(name), 'utf8')) as RecordedShape[]) : undefined;
}

export function writeFixture(name: FixtureName, shapes: readonly RecordedShape[]): void {
  writeFileSync(fixturePath(name), `${JSON.stringify(shapes, null, 2)}\n`);
}
