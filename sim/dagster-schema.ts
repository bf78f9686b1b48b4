// The schema the Dagster simulator serves: Dagster's own SDL, so that whatever the real server
// would reject (an unknown field, a wrong argument) the simulator rejects too.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildASTSchema, Kind, OperationTypeNode, parse, visit, type DocumentNode, type GraphQLSchema, type OperationTypeDefinitionNode } from 'graphql';

/** Dagster's full schema, beside the project at ../shared (always there in CI). */
export const FULL_SCHEMA_PATH = fileURLToPath(new URL('../../shared/specs/dagster/schema.graphql', import.meta.url));
/** The part of it the simulator needs, for clones without ../shared. */
export const SUBSET_SCHEMA_PATH = fileURLToPath(new URL('./dagster-schema-subset.graphql', import.meta.url));
/** refreshComponentState, newer than the schema file: an SDL extension of it (see the file's header). */
export const REFRESH_EXTENSION_PATH = fileURLToPath(new URL('./dagster-schema-refresh.graphql', import.meta.url));

export interface SchemaVariant {
  /** Default: the full schema when present, else the subset. */
  readonly schemaSource?: 'full' | 'subset';
  /** `Type.field` members to remove, as older Dagster+ schemas lack them (root types named Query/Mutation). */
  readonly omitFields?: readonly string[];
  /** Name the roots CloudQuery/CloudMutation/CloudSubscription, as Dagster+ does. */
  readonly cloudRoots?: boolean;
  /** Also serve Mutation.refreshComponentState, as Dagster releases newer than the schema file do. */
  readonly refreshComponentState?: boolean;
}

export interface ServedSchema {
  readonly schema: GraphQLSchema;
  readonly source: 'full' | 'subset';
}

const CLOUD_ROOTS: Readonly<Record<string, string>> = { Query: 'CloudQuery', Mutation: 'CloudMutation', Subscription: 'CloudSubscription' };
const ROOT_OPERATIONS = [
  [OperationTypeNode.QUERY, 'CloudQuery'],
  [OperationTypeNode.MUTATION, 'CloudMutation'],
  [OperationTypeNode.SUBSCRIPTION, 'CloudSubscription'],
] as const;

export function servedSchema(variant: SchemaVariant = {}): ServedSchema {
  const source = variant.schemaSource ?? (existsSync(FULL_SCHEMA_PATH) ? 'full' : 'subset');
  const base = readFileSync(source === 'full' ? FULL_SCHEMA_PATH : SUBSET_SCHEMA_PATH, 'utf8');
  const sdl = variant.refreshComponentState ? `${base}\n${readFileSync(REFRESH_EXTENSION_PATH, 'utf8')}` : base;
  return { schema: buildASTSchema(reshape(parse(sdl), variant)), source };
}

function reshape(document: DocumentNode, variant: SchemaVariant): DocumentNode {
  const omit = new Set(variant.omitFields ?? []);
  const omitted = new Set<string>();
  const rename = (name: string) => (variant.cloudRoots ? (CLOUD_ROOTS[name] ?? name) : name);
  const withoutOmitted = <T extends { readonly name: { readonly value: string }; readonly fields?: readonly { readonly name: { readonly value: string } }[] }>(
    node: T,
  ): T => ({
    ...node,
    name: { ...node.name, value: rename(node.name.value) },
    fields: node.fields?.filter((field) => {
      const member = `${node.name.value}.${field.name.value}`;
      if (!omit.has(member)) return true;
      omitted.add(member);
      return false;
    }),
  });
  const reshaped = visit(document, {
    NamedType: { leave: (node) => ({ ...node, name: { ...node.name, value: rename(node.name.value) } }) },
    ObjectTypeDefinition: { leave: withoutOmitted },
    ObjectTypeExtension: { leave: withoutOmitted },
    InterfaceTypeDefinition: { leave: withoutOmitted },
  });
  const unknown = [...omit].filter((member) => !omitted.has(member));
  if (unknown.length) throw new Error(`omitFields names members the schema does not have: ${unknown.join(', ')}`);
  if (!variant.cloudRoots) return reshaped;
  const defined = new Set(reshaped.definitions.flatMap((definition) => (definition.kind === Kind.OBJECT_TYPE_DEFINITION ? [definition.name.value] : [])));
  const roots: OperationTypeDefinitionNode[] = ROOT_OPERATIONS.filter(([, name]) => defined.has(name)).map(([operation, name]) => ({
    kind: Kind.OPERATION_TYPE_DEFINITION,
    operation,
    type: { kind: Kind.NAMED_TYPE, name: { kind: Kind.NAME, value: name } },
  }));
  return { ...reshaped, definitions: [...reshaped.definitions, { kind: Kind.SCHEMA_DEFINITION, operationTypes: roots }] };
}
