// Validates recorded HTTP exchanges against Airflow's OpenAPI documents
// (../shared/specs/airflow): the request must match an operation, its path and
// query parameters must be declared with those types, its JSON body must fit
// the request schema, and the response body must fit the schema documented for
// its status. OpenAPI 3.0 `nullable` and `$ref`s into components are turned
// into plain JSON Schema for Ajv.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import formatsPlugin from 'ajv-formats';
import { parse } from 'yaml';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Where CI and developers keep the specs: beside the repository. */
export const AIRFLOW_SPECS = path.resolve(repoRoot, '../shared/specs/airflow');

export interface HttpExchange {
  readonly method: string;
  /** The path as the specs name it: /api/v1/dags, /api/v2/dags, /auth/token. */
  readonly apiPath: string;
  readonly query: Readonly<Record<string, string | readonly string[]>>;
  readonly body?: unknown;
  readonly status: number;
  readonly responseContentType?: string;
  /** Parsed JSON, raw text when not JSON, undefined when empty. */
  readonly responseBody?: unknown;
}

export interface MatchedOperation {
  readonly document: string;
  readonly operationId: string;
}

export interface OpenApiValidator {
  match(method: string, apiPath: string): MatchedOperation | undefined;
  /** Problems with the request, empty when it conforms. */
  validateRequest(exchange: HttpExchange): string[];
  /** Problems with the response, empty when it conforms. */
  validateResponse(exchange: HttpExchange): string[];
}

type Json = Record<string, unknown>;

interface Operation {
  readonly document: string;
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  readonly spec: Json;
  readonly parameters: readonly Json[];
}

const DOCUMENTS = [
  { name: 'v1', file: 'v1.yaml' },
  { name: 'v2', file: 'v2.yaml' },
  { name: 'auth', file: 'simple-auth-manager.yaml' },
] as const;

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];

export function loadAirflowSpecs(dir = AIRFLOW_SPECS): OpenApiValidator {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  (formatsPlugin as unknown as (a: Ajv2020) => void)(ajv);
  // Formats the Airflow 2 document uses that JSON Schema does not define.
  for (const format of ['datetime', 'path', 'password']) ajv.addFormat(format, true);

  const operations: Operation[] = [];
  const docs = new Map<string, Json>();
  for (const { name, file } of DOCUMENTS) {
    const doc = parse(readFileSync(path.join(dir, file), 'utf8')) as Json;
    docs.set(name, doc);
    ajv.addSchema({ $id: name, components: { schemas: toJsonSchema(get(doc, 'components', 'schemas') ?? {}, name) } });
    // Airflow 2's paths are relative to its server URL (/api/v1); the others carry their prefix.
    const prefix = String((doc.servers as Json[] | undefined)?.[0]?.url ?? '').replace(/\/$/, '');
    for (const [template, item] of Object.entries(doc.paths as Record<string, Json>)) {
      const shared = (item.parameters as Json[] | undefined) ?? [];
      for (const method of METHODS) {
        const spec = item[method] as Json | undefined;
        if (!spec) continue;
        const own = ((spec.parameters as Json[] | undefined) ?? []).map((p) => resolve(doc, p));
        const parameters = [...own, ...shared.map((p) => resolve(doc, p)).filter((p) => !own.some((o) => o.name === p.name && o.in === p.in))];
        const full = `${prefix}${template}`;
        const paramNames: string[] = [];
        const source = full.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{(\w+)\\\}/g, (_, param: string) => {
          paramNames.push(param);
          return '([^/]+)';
        });
        operations.push({ document: name, method: method.toUpperCase(), template: full, pattern: new RegExp(`^${source}$`), paramNames, spec, parameters });
      }
    }
  }
  // A literal segment beats a parameter (/dags/~/dagRuns/list over /dags/{dag_id}/dagRuns/{dag_run_id}).
  operations.sort((a, b) => a.paramNames.length - b.paramNames.length);

  const find = (method: string, apiPath: string) => operations.find((op) => op.method === method.toUpperCase() && op.pattern.test(apiPath));
  const compiled = new Map<unknown, ValidateFunction>();
  const check = (schema: unknown, document: string, value: unknown, what: string): string[] => {
    let validate = compiled.get(schema);
    if (!validate) {
      validate = ajv.compile(toJsonSchema(schema ?? {}, document) as object);
      compiled.set(schema, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map((error) => `${what}${error.instancePath} ${error.message ?? 'is invalid'}`);
  };

  return {
    match(method, apiPath) {
      const op = find(method, apiPath);
      return op ? { document: op.document, operationId: String(op.spec.operationId) } : undefined;
    },

    validateRequest(exchange) {
      const op = find(exchange.method, exchange.apiPath);
      if (!op) return [`${exchange.method} ${exchange.apiPath}: no operation in the Airflow specs`];
      const where = `${op.method} ${op.template}`;
      const problems: string[] = [];
      const values = op.pattern.exec(exchange.apiPath)!.slice(1).map(decodeURIComponent);
      op.paramNames.forEach((name, i) => {
        const param = op.parameters.find((p) => p.in === 'path' && p.name === name);
        if (!param) problems.push(`${where}: path parameter ${name} is not declared`);
        else problems.push(...check(param.schema, op.document, coerce(param.schema, [values[i]!]), `${where} path ${name}`));
      });
      for (const [name, raw] of Object.entries(exchange.query)) {
        const param = op.parameters.find((p) => p.in === 'query' && p.name === name);
        if (!param) {
          problems.push(`${where}: unknown query parameter ${name}`);
          continue;
        }
        problems.push(...check(param.schema, op.document, coerce(param.schema, typeof raw === 'string' ? [raw] : [...raw]), `${where} query ${name}`));
      }
      for (const param of op.parameters) {
        if (param.in === 'query' && param.required === true && !(String(param.name) in exchange.query)) {
          problems.push(`${where}: required query parameter ${String(param.name)} is missing`);
        }
      }
      const body = op.spec.requestBody === undefined ? undefined : resolve(docs.get(op.document)!, op.spec.requestBody as Json);
      if (!body) {
        if (exchange.body !== undefined) problems.push(`${where}: sends a body the operation does not take`);
      } else if (exchange.body === undefined) {
        if (body.required === true) problems.push(`${where}: the required JSON body is missing`);
      } else {
        const schema = get(body, 'content', 'application/json', 'schema');
        if (schema === undefined) problems.push(`${where}: the operation takes no JSON body`);
        else problems.push(...check(schema, op.document, exchange.body, `${where} body`));
      }
      return problems;
    },

    validateResponse(exchange) {
      const op = find(exchange.method, exchange.apiPath);
      if (!op) return [`${exchange.method} ${exchange.apiPath}: no operation in the Airflow specs`];
      const where = `${op.method} ${op.template} -> ${exchange.status}`;
      const responses = op.spec.responses as Record<string, Json>;
      const documented = responses[String(exchange.status)] ?? responses[`${String(exchange.status)[0]}XX`] ?? responses.default;
      if (!documented) return [`${where}: status not documented (documented: ${Object.keys(responses).join(', ')})`];
      const content = resolve(docs.get(op.document)!, documented).content as Record<string, Json> | undefined;
      if (!content) {
        return exchange.responseBody === undefined || exchange.responseBody === '' ? [] : [`${where}: documented without a body, but has one`];
      }
      const type = (exchange.responseContentType ?? '').split(';')[0]!.trim();
      const textual = content['text/plain'] ?? content['plain/text'];
      if (type === 'text/plain' && textual) return check(textual.schema, op.document, exchange.responseBody, where);
      const json = content['application/json'];
      if (!json) return [`${where}: no JSON body documented (documented: ${Object.keys(content).join(', ')})`];
      if (!/^application\/(problem\+)?json$/.test(type)) return [`${where}: content type ${type || 'none'} instead of JSON`];
      return check(json.schema, op.document, exchange.responseBody, where);
    },
  };
}

/** OpenAPI schema -> JSON Schema: `nullable` becomes a null alternative, refs point into the registered document. */
function toJsonSchema(node: unknown, document: string): unknown {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item, document));
  if (node === null || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [key, value] of Object.entries(node as Json)) {
    if (key === 'nullable' || key === 'discriminator' || key === 'example' || key === 'xml' || key === 'externalDocs' || key.startsWith('x-')) continue;
    if (key === '$ref' && typeof value === 'string' && value.startsWith('#/')) out[key] = `${document}${value}`;
    else if (key === 'properties' || key === 'schemas') out[key] = Object.fromEntries(Object.entries(value as Json).map(([k, v]) => [k, toJsonSchema(v, document)]));
    else out[key] = toJsonSchema(value, document);
  }
  if ((node as Json).nullable !== true) return out;
  if (typeof out.type === 'string' && out.$ref === undefined) {
    return { ...out, type: [out.type, 'null'], ...(Array.isArray(out.enum) ? { enum: [...(out.enum as unknown[]), null] } : {}) };
  }
  return { anyOf: [out, { type: 'null' }] };
}

/** Query and path values arrive as strings: read them as the declared type before validating. */
function coerce(schema: unknown, raw: readonly string[]): unknown {
  const s = (schema ?? {}) as Json;
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : (s.type as string | undefined);
  if (type === 'array') return raw.map((value) => coerce(s.items, [value]));
  const value = raw[0]!;
  if (type === 'integer' || type === 'number') return /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  return value;
}

function resolve(doc: Json, node: Json): Json {
  const ref = node.$ref;
  if (typeof ref !== 'string') return node;
  return resolve(doc, get(doc, ...ref.replace(/^#\//, '').split('/')) as Json);
}

function get(node: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((current, key) => (current && typeof current === 'object' ? (current as Json)[key] : undefined), node);
}
