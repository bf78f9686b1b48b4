// Every GraphQL document airlift-sync sends to Dagster. Static, named, and validated against
// Dagster's schema by __tests__/conformance/dagster.test.ts.
//
// Dagster's schema grows between releases and Dagster+ serves its own superset, so the documents
// that read newer fields come in two tiers: `current` (Dagster 1.11+: versionKey, defsStateInfo,
// AssetNode.kinds) and `legacy` (what a Dagster+ schema of April 2024 had). Each operation lists
// the members of the probed types it uses (`requires`); the client sends it only when the server
// has them all. The conformance suite derives that list from the document and compares.

export interface Operation {
  /** The operation name in the document, for logs and messages. */
  readonly name: string;
  readonly document: string;
  /** `Type.field` members of PROBED_TYPES the document selects (root types as Query/Mutation). */
  readonly requires: readonly string[];
}

/** The types whose fields the capabilities query lists: the ones that differ between Dagster versions. */
export const PROBED_TYPES = ['Query', 'Mutation', 'WorkspaceLocationEntry', 'RepositoryLocation', 'AssetNode'] as const;

export const CAPABILITIES: Operation = {
  name: 'AirliftSyncCapabilities',
  requires: [],
  document: /* GraphQL */ `
    query AirliftSyncCapabilities {
      __schema {
        queryType { name fields { name } }
        mutationType { name fields { name } }
      }
      workspaceLocationEntry: __type(name: "WorkspaceLocationEntry") { fields { name } }
      repositoryLocation: __type(name: "RepositoryLocation") { fields { name } }
      assetNode: __type(name: "AssetNode") { fields { name } }
    }
  `,
};

// Only text, JSON and Markdown values are read (dag ids, mappings, the DAG record, the DAG file's
// source); the rest come as labels. No __typename: a workspace has several entries per mirrored DAG,
// and the label says what each is.
const METADATA = /* GraphQL */ `
  fragment AirliftSyncMetadata on MetadataEntry {
    label
    ... on TextMetadataEntry { text }
    ... on JsonMetadataEntry { jsonString }
    ... on MarkdownMetadataEntry { mdStr }
  }
`;

// What a location entry is read for: its status, its stamp (what changes when a new server
// loads), its load error, and the dagster-airlift definitions (see airlift.ts for the meaning).
// A load error's own message only says that loading failed (DagsterUserCodeLoadError, recorded on
// dagster 1.13.27); the reason (the user's exception) is in its errorChain.
const ENTRY_CURRENT = /* GraphQL */ `
  fragment AirliftSyncEntry on WorkspaceLocationEntry {
    name
    loadStatus
    updatedTimestamp
    versionKey
    defsStateInfo { keyStateInfo { name info { version managementType } } }
    locationOrLoadError {
      __typename
      ... on RepositoryLocation {
        serverId
        repositories {
          name
          jobs { name tags { key value } metadataEntries { ...AirliftSyncMetadata } }
          sensors { name }
          schedules { name }
          assetNodes {
            assetKey { path }
            kinds
            metadataEntries { ...AirliftSyncMetadata }
          }
        }
      }
      ... on PythonError { message errorChain { error { message } } }
    }
  }
`;

const ENTRY_LEGACY = /* GraphQL */ `
  fragment AirliftSyncEntry on WorkspaceLocationEntry {
    name
    loadStatus
    updatedTimestamp
    locationOrLoadError {
      __typename
      ... on RepositoryLocation {
        serverId
        repositories {
          name
          jobs { name tags { key value } metadataEntries { ...AirliftSyncMetadata } }
          sensors { name }
          schedules { name }
          assetNodes {
            assetKey { path }
            metadataEntries { ...AirliftSyncMetadata }
          }
        }
      }
      ... on PythonError { message errorChain { error { message } } }
    }
  }
`;

const ENTRY_LEGACY_REQUIRES = [
  'WorkspaceLocationEntry.name',
  'WorkspaceLocationEntry.loadStatus',
  'WorkspaceLocationEntry.updatedTimestamp',
  'WorkspaceLocationEntry.locationOrLoadError',
  'RepositoryLocation.serverId',
  'RepositoryLocation.repositories',
  'AssetNode.assetKey',
  'AssetNode.metadataEntries',
];
const ENTRY_CURRENT_REQUIRES = [
  ...ENTRY_LEGACY_REQUIRES,
  'WorkspaceLocationEntry.versionKey',
  'WorkspaceLocationEntry.defsStateInfo',
  'AssetNode.kinds',
];

export const WORKSPACE: Operation = {
  name: 'AirliftSyncWorkspace',
  requires: ['Query.workspaceOrError', ...ENTRY_CURRENT_REQUIRES],
  document: /* GraphQL */ `
    query AirliftSyncWorkspace {
      workspaceOrError {
        __typename
        ... on Workspace { locationEntries { ...AirliftSyncEntry } }
        ... on PythonError { message }
      }
    }
    ${ENTRY_CURRENT}
    ${METADATA}
  `,
};

export const WORKSPACE_LEGACY: Operation = {
  name: 'AirliftSyncWorkspaceLegacy',
  requires: ['Query.workspaceOrError', ...ENTRY_LEGACY_REQUIRES],
  document: /* GraphQL */ `
    query AirliftSyncWorkspaceLegacy {
      workspaceOrError {
        __typename
        ... on Workspace { locationEntries { ...AirliftSyncEntry } }
        ... on PythonError { message }
      }
    }
    ${ENTRY_LEGACY}
    ${METADATA}
  `,
};

/**
 * Where each location keeps its state, for servers read through WORKSPACE_LEGACY that still have
 * defsStateInfo (a Dagster+ schema without versionKey): the legacy document leaves it out.
 */
export const WORKSPACE_DEFS_STATE: Operation = {
  name: 'AirliftSyncWorkspaceDefsState',
  requires: ['Query.workspaceOrError', 'WorkspaceLocationEntry.name', 'WorkspaceLocationEntry.defsStateInfo'],
  document: /* GraphQL */ `
    query AirliftSyncWorkspaceDefsState {
      workspaceOrError {
        __typename
        ... on Workspace { locationEntries { name defsStateInfo { keyStateInfo { name info { version managementType } } } } }
        ... on PythonError { message }
      }
    }
  `,
};

/** One location with everything WORKSPACE reads; servers without it are read through WORKSPACE(_LEGACY). */
export const LOCATION: Operation = {
  name: 'AirliftSyncLocation',
  requires: ['Query.workspaceLocationEntryOrError', ...ENTRY_CURRENT_REQUIRES],
  document: /* GraphQL */ `
    query AirliftSyncLocation($name: String!) {
      workspaceLocationEntryOrError(name: $name) {
        __typename
        ... on WorkspaceLocationEntry { ...AirliftSyncEntry }
        ... on PythonError { message }
      }
    }
    ${ENTRY_CURRENT}
    ${METADATA}
  `,
};

/** Every location's status, without definitions: every Dagster has it. */
const statusesDocument = (name: string) => /* GraphQL */ `
    query ${name} {
      locationStatusesOrError {
        __typename
        ... on WorkspaceLocationStatusEntries { entries { name loadStatus updateTimestamp } }
        ... on PythonError { message }
      }
    }
  `;

/** The light poll while a reload is under way. */
export const LOCATION_STATUSES: Operation = {
  name: 'AirliftSyncLocationStatuses',
  requires: ['Query.locationStatusesOrError'],
  document: statusesDocument('AirliftSyncLocationStatuses'),
};

/**
 * The same statuses, read once before a reload on Dagster+ to find a load already under way. Named apart
 * from the poll, so that logs and a proxy's records tell the look before a reload from the wait after it.
 */
export const LOAD_UNDER_WAY: Operation = {
  name: 'AirliftSyncLoadUnderWay',
  requires: ['Query.locationStatusesOrError'],
  document: statusesDocument('AirliftSyncLoadUnderWay'),
};

export const RELOAD: Operation = {
  name: 'AirliftSyncReloadLocation',
  requires: ['Mutation.reloadRepositoryLocation', 'WorkspaceLocationEntry.name', 'WorkspaceLocationEntry.loadStatus'],
  document: /* GraphQL */ `
    mutation AirliftSyncReloadLocation($name: String!) {
      reloadRepositoryLocation(repositoryLocationName: $name) {
        __typename
        ... on WorkspaceLocationEntry { name loadStatus }
        ... on Error { message }
      }
    }
  `,
};

/**
 * What state storage holds (VERSIONED_STATE_STORAGE keys): polled after refreshComponentState answers
 * Accepted, until the key's version changes, as the Dagster UI does.
 */
export const LATEST_DEFS_STATE: Operation = {
  name: 'AirliftSyncLatestDefsState',
  requires: ['Query.latestDefsStateInfo'],
  document: /* GraphQL */ `
    query AirliftSyncLatestDefsState {
      latestDefsStateInfo { keyStateInfo { name info { version createTimestamp managementType } } }
    }
  `,
};

/**
 * Fetches a state-backed component's state from Airflow into state storage. Newer than the schema file
 * the conformance suite reads: it is validated against that schema extended with
 * sim/dagster-schema-refresh.graphql. None of the result types but UnauthorizedError and PythonError
 * implements Error, so each is spelled out.
 */
export const REFRESH_COMPONENT_STATE: Operation = {
  name: 'AirliftSyncRefreshComponentState',
  requires: ['Mutation.refreshComponentState'],
  document: /* GraphQL */ `
    mutation AirliftSyncRefreshComponentState($locationName: String!, $defsStateKey: String!) {
      refreshComponentState(locationName: $locationName, defsStateKey: $defsStateKey) {
        __typename
        ... on RefreshComponentStateSuccess { component { defsStateKey defsStateInfo { version createTimestamp } } }
        ... on RefreshComponentStateAccepted { defsStateKey }
        ... on RefreshComponentStateError { message }
        ... on UnauthorizedError { message }
        ... on PythonError { message }
      }
    }
  `,
};

/** Every document whose types are in Dagster's schema file. */
export const OPERATIONS: readonly Operation[] = [CAPABILITIES, WORKSPACE, WORKSPACE_LEGACY, WORKSPACE_DEFS_STATE, LOCATION, LOCATION_STATUSES, LOAD_UNDER_WAY, RELOAD, LATEST_DEFS_STATE];

/** Documents for fields newer than the schema file (see REFRESH_COMPONENT_STATE). */
export const NEWER_OPERATIONS: readonly Operation[] = [REFRESH_COMPONENT_STATE];

/** What to assume when the server refuses introspection: only what the oldest documents need. */
export const BASELINE: readonly string[] = [
  ...new Set([...WORKSPACE_LEGACY.requires, ...LOCATION_STATUSES.requires, ...RELOAD.requires]),
];
