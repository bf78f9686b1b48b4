// Everything airlift-sync sends to Dagster, and everything the Dagster simulator serves, checked
// against Dagster's published schema (../shared/specs/dagster/schema.graphql). The one exception is
// refreshComponentState, newer than that file: its document is checked against the file extended with
// sim/dagster-schema-refresh.graphql (written from Dagster's source, see its header), and nothing
// else is checked against that extension.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildClientSchema,
  buildSchema,
  extendSchema,
  getIntrospectionQuery,
  isEnumType,
  isInterfaceType,
  isObjectType,
  isUnionType,
  parse,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type GraphQLNamedType,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import { afterEach, describe, expect, it } from 'vitest';
import { discoverLocations, readLocation } from '../../src/dagster/discover.js';
import { NEWER_OPERATIONS, OPERATIONS, PROBED_TYPES, REFRESH_COMPONENT_STATE, type Operation } from '../../src/dagster/operations.js';
import { refreshState } from '../../src/dagster/refresh.js';
import { reloadLocation } from '../../src/dagster/reload.js';
import { airliftLocation, startDagsterSimulator, type DagsterSimulator } from '../../sim/dagster.js';
import { REFRESH_EXTENSION_PATH, servedSchema } from '../../sim/dagster-schema.js';
import { connect, dags, startIn, type Mode } from '../dagster/connect.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCHEMA = path.resolve(ROOT, '../shared/specs/dagster/schema.graphql');
const present = existsSync(SCHEMA);

/** What a Dagster+ schema of April 2024 lacks (see ../shared/specs/dagster/SOURCE.md). */
const OLD_DAGSTER_PLUS = {
  cloudRoots: true,
  omitFields: [
    'Query.workspaceLocationEntryOrError',
    'WorkspaceLocationEntry.versionKey',
    'WorkspaceLocationStatusEntry.versionKey',
    'WorkspaceLocationEntry.defsStateInfo',
    'AssetNode.kinds',
    'Query.latestDefsStateInfo',
  ],
};

if (!present && process.env.CI) {
  describe('Dagster conformance', () => {
    it('has the Dagster schema', () => {
      throw new Error(`${SCHEMA} is missing; CI must have ../shared/specs.`);
    });
  });
} else if (!present) {
  console.log(`Dagster conformance skipped: ${SCHEMA} is missing (a clone without ../shared).`);
}

describe.skipIf(!present)('Dagster conformance', () => {
  const real = present ? buildSchema(readFileSync(SCHEMA, 'utf8')) : undefined;
  /** Dagster's schema file plus refreshComponentState, for the refresh document only. */
  const extended = real ? extendSchema(real, parse(readFileSync(REFRESH_EXTENSION_PATH, 'utf8'))) : undefined;
  const errorsOf = (schema: GraphQLSchema, document: string) => validate(schema, parse(document)).map((error) => error.message);

  describe.each(OPERATIONS.map((operation) => [operation.name, operation] as const))('%s', (_, operation) => {
    it("validates against Dagster's schema", () => {
      expect(errorsOf(real!, operation.document)).toEqual([]);
    });

    it('lists in `requires` exactly the probed members it selects', () => {
      expect([...probedMembers(real!, operation)].sort()).toEqual([...operation.requires].sort());
    });

    it('is a single named operation', () => {
      const definitions = parse(operation.document).definitions.filter((definition) => definition.kind === 'OperationDefinition');
      expect(definitions.map((definition) => definition.name?.value)).toEqual([operation.name]);
    });
  });

  describe.each(NEWER_OPERATIONS.map((operation) => [operation.name, operation] as const))('%s (newer than the schema file)', (_, operation) => {
    it("is not in Dagster's schema file: it needs a newer Dagster, which the client learns by introspection", () => {
      expect(errorsOf(real!, operation.document).join('\n')).toMatch(/Cannot query field "refreshComponentState"/);
    });

    it("validates against Dagster's schema file extended with sim/dagster-schema-refresh.graphql", () => {
      expect(errorsOf(extended!, operation.document)).toEqual([]);
    });

    it('lists in `requires` exactly the probed members it selects', () => {
      expect([...probedMembers(extended!, operation)].sort()).toEqual([...operation.requires].sort());
    });

    it('is a single named operation', () => {
      const definitions = parse(operation.document).definitions.filter((definition) => definition.kind === 'OperationDefinition');
      expect(definitions.map((definition) => definition.name?.value)).toEqual([operation.name]);
    });
  });

  it('has documents that an old Dagster+ schema accepts for everything it needs', () => {
    const old = servedSchema({ schemaSource: 'full', ...OLD_DAGSTER_PLUS }).schema;
    const accepted = OPERATIONS.filter((operation) => errorsOf(old, operation.document).length === 0).map((operation) => operation.name);
    expect(accepted).toEqual(['AirliftSyncCapabilities', 'AirliftSyncWorkspaceLegacy', 'AirliftSyncLocationStatuses', 'AirliftSyncLoadUnderWay', 'AirliftSyncReloadLocation']);
  });

  describe('what the simulator received in a scenario run', () => {
    let sim: DagsterSimulator | undefined;
    afterEach(async () => {
      await sim?.close();
      sim = undefined;
    });

    it.each([
      ['Dagster+', 'dagster-plus', {}],
      ['self-hosted', 'self-hosted', {}],
      ['an old Dagster+ schema', 'dagster-plus', OLD_DAGSTER_PLUS],
    ] as const)('validates against the schema (%s)', async (_, mode: Mode, variant) => {
      sim = await startIn(mode, {
        ...variant,
        locations: [
          airliftLocation('airlift', [
            { instance: 'prod', dags: [{ dagId: 'a', tasks: ['t'] }] },
            { instance: 'composer', style: 'component', dags: dags('b') },
          ]),
          airliftLocation('broken', { instance: 'x', dags: [] }, { reload: 'load-error' }),
        ],
      });
      sim.setAirflowSource('airlift', () => dags('a', 'c'), 'prod');
      const { client } = await connect(sim, mode);
      const views = await discoverLocations(client);
      await Promise.all(views.map((view) => reloadLocation(client, view.name, view, { pollIntervalMs: 10, timeoutMs: 5_000 })));
      await readLocation(client, 'airlift');

      const queries = sim.operations.filter((op) => op.query !== undefined);
      expect(queries.length).toBeGreaterThan(4);
      for (const op of queries) expect({ operation: op.operationName, errors: errorsOf(real!, op.query!) }).toEqual({ operation: op.operationName, errors: [] });
    });

    it.each([
      ['Dagster+ with its own roots', 'dagster-plus', { cloudRoots: true }],
      ['self-hosted', 'self-hosted', {}],
    ] as const)(
      'validates a state refresh run: refreshComponentState against the schema file plus the extension, everything else against the file alone (%s)',
      async (_, mode: Mode, variant) => {
        sim = await startIn(mode, {
          ...variant,
          refreshComponentState: true,
          locations: [
            { ...airliftLocation('airlift', { instance: 'prod', style: 'component', defsState: 'VERSIONED_STATE_STORAGE', dags: dags('a') }), stateRefresh: 'accepted', stateRefreshMs: 20 },
          ],
        });
        const { client } = await connect(sim, mode);
        const [view] = await discoverLocations(client);
        await refreshState(client, 'airlift', ['AirflowInstanceComponent[prod]'], { pollIntervalMs: 10, timeoutMs: 5_000 });
        await reloadLocation(client, 'airlift', view!, { pollIntervalMs: 10, timeoutMs: 5_000 });

        const queries = sim.operations.filter((op) => op.query !== undefined);
        const refreshes = queries.filter((op) => op.operationName === REFRESH_COMPONENT_STATE.name);
        const others = queries.filter((op) => op.operationName !== REFRESH_COMPONENT_STATE.name);
        expect(refreshes).toHaveLength(1);
        expect(others.map((op) => op.operationName)).toContain('AirliftSyncLatestDefsState');
        for (const op of refreshes) expect(errorsOf(extended!, op.query!)).toEqual([]);
        for (const op of others) expect({ operation: op.operationName, errors: errorsOf(real!, op.query!) }).toEqual({ operation: op.operationName, errors: [] });
      },
    );
  });

  describe("the simulator's served schema", () => {
    let sim: DagsterSimulator | undefined;
    afterEach(async () => {
      await sim?.close();
      sim = undefined;
    });

    it.each(['subset', 'full'] as const)('agrees with Dagster’s, type by type (%s)', async (source) => {
      sim = await startDagsterSimulator({ schemaSource: source });
      const response = await fetch(sim.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: getIntrospectionQuery() }) });
      const served = buildClientSchema(((await response.json()) as { data: IntrospectionQuery }).data);

      expect(disagreements(served, real!)).toEqual([]);
      expect(served.getQueryType()?.name).toBe('Query');
    });

    it.each(['subset', 'full'] as const)('agrees with Dagster’s schema file plus the extension when it serves refreshComponentState (%s)', (source) => {
      const { schema } = servedSchema({ schemaSource: source, refreshComponentState: true });

      expect(disagreements(schema, extended!)).toEqual([]);
      expect(schema.getMutationType()?.getFields().refreshComponentState).toBeDefined();
    });

    it('keeps Dagster’s types when it renames the roots and drops fields', () => {
      const { schema } = servedSchema({ schemaSource: 'subset', ...OLD_DAGSTER_PLUS });
      const renamed = { CloudQuery: 'Query', CloudMutation: 'Mutation' };

      expect(disagreements(schema, real!, renamed)).toEqual([]);
    });
  });
});

/** The `Type.field` members of PROBED_TYPES an operation selects, root types named Query/Mutation. */
function probedMembers(schema: GraphQLSchema, operation: Operation): Set<string> {
  const typeInfo = new TypeInfo(schema);
  const members = new Set<string>();
  const probed = new Set<string>(PROBED_TYPES);
  visit(
    parse(operation.document),
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType()?.name;
        if (parent && probed.has(parent) && !node.name.value.startsWith('__')) members.add(`${parent}.${node.name.value}`);
      },
    }),
  );
  return members;
}

/** Every type, field, argument, union member and enum value `served` has, compared with `real`. */
function disagreements(served: GraphQLSchema, real: GraphQLSchema, renamed: Record<string, string> = {}): string[] {
  const problems: string[] = [];
  const realName = (name: string) => renamed[name] ?? name;
  for (const type of Object.values(served.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    const counterpart: GraphQLNamedType | undefined = real.getType(realName(type.name)) ?? undefined;
    if (!counterpart) {
      problems.push(`type ${type.name} is not in Dagster's schema`);
      continue;
    }
    if (counterpart.constructor !== type.constructor) problems.push(`${type.name} is a different kind of type`);
    if ((isObjectType(type) || isInterfaceType(type)) && (isObjectType(counterpart) || isInterfaceType(counterpart))) {
      const realFields = counterpart.getFields();
      for (const field of Object.values(type.getFields())) {
        const twin = realFields[field.name];
        if (!twin) {
          problems.push(`${type.name}.${field.name} is not in Dagster's schema`);
          continue;
        }
        if (rename(String(field.type), renamed) !== String(twin.type)) problems.push(`${type.name}.${field.name}: ${String(field.type)} vs ${String(twin.type)}`);
        const realArgs = new Map(twin.args.map((arg) => [arg.name, String(arg.type)]));
        for (const arg of field.args) {
          if (realArgs.get(arg.name) !== String(arg.type)) problems.push(`${type.name}.${field.name}(${arg.name}) differs`);
        }
      }
      for (const iface of type.getInterfaces()) {
        if (!counterpart.getInterfaces().some((candidate) => candidate.name === iface.name)) problems.push(`${type.name} implements ${iface.name}, Dagster's does not`);
      }
    }
    if (isUnionType(type) && isUnionType(counterpart)) {
      const members = new Set(counterpart.getTypes().map((member) => member.name));
      for (const member of type.getTypes()) if (!members.has(member.name)) problems.push(`${type.name} has member ${member.name}, Dagster's does not`);
    }
    if (isEnumType(type) && isEnumType(counterpart)) {
      const values = new Set(counterpart.getValues().map((value) => value.name));
      for (const value of type.getValues()) if (!values.has(value.name)) problems.push(`${type.name}.${value.name} is not in Dagster's enum`);
    }
  }
  return problems;
}

function rename(typeText: string, renamed: Record<string, string>): string {
  return typeText.replace(/\w+/g, (name) => renamed[name] ?? name);
}
