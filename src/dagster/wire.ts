// The shapes of Dagster's answers to the documents in operations.ts. Parsing them (instead of
// trusting a cast) turns an unexpected answer into a clear error at the boundary.
import { z } from 'zod';

const names = z.object({ fields: z.array(z.object({ name: z.string() })).nullable() }).nullable();

export const capabilitiesData = z.object({
  __schema: z.object({
    queryType: z.object({ name: z.string(), fields: z.array(z.object({ name: z.string() })).nullable() }),
    mutationType: z.object({ name: z.string(), fields: z.array(z.object({ name: z.string() })).nullable() }).nullable(),
  }),
  workspaceLocationEntry: names,
  repositoryLocation: names,
  assetNode: names,
});

const pythonError = z.object({ __typename: z.literal('PythonError'), message: z.string() });

/** A location's load error, with the exceptions that caused it. */
const loadError = pythonError.extend({ errorChain: z.array(z.object({ error: z.object({ message: z.string() }) })) });

const metadataEntry = z.object({
  label: z.string(),
  text: z.string().optional(),
  jsonString: z.string().optional(),
  mdStr: z.string().optional(),
});

export type MetadataEntry = z.infer<typeof metadataEntry>;

const assetNode = z.object({
  assetKey: z.object({ path: z.array(z.string()) }),
  kinds: z.array(z.string()).optional(),
  metadataEntries: z.array(metadataEntry),
});

const job = z.object({
  name: z.string(),
  tags: z.array(z.object({ key: z.string(), value: z.string() })),
  metadataEntries: z.array(metadataEntry),
});

const repository = z.object({
  name: z.string(),
  jobs: z.array(job),
  sensors: z.array(z.object({ name: z.string() })),
  schedules: z.array(z.object({ name: z.string() })),
  assetNodes: z.array(assetNode),
});

export type Repository = z.infer<typeof repository>;

const loadStatus = z.enum(['LOADING', 'LOADED']);

const defsStateInfo = z
  .object({
    keyStateInfo: z.array(
      z.object({
        name: z.string(),
        info: z.object({ version: z.string(), managementType: z.string() }).nullable(),
      }),
    ),
  })
  .nullable();

export const locationEntry = z.object({
  name: z.string(),
  loadStatus,
  updatedTimestamp: z.number(),
  versionKey: z.string().optional(),
  defsStateInfo: defsStateInfo.optional(),
  locationOrLoadError: z
    .discriminatedUnion('__typename', [
      z.object({
        __typename: z.literal('RepositoryLocation'),
        serverId: z.string().nullable(),
        repositories: z.array(repository),
      }),
      loadError,
    ])
    .nullable(),
});

export type LocationEntry = z.infer<typeof locationEntry>;

/**
 * The workspace, each entry validated and then turned into what the caller keeps of it (`keep`) before
 * the next is validated: only one entry's validated copy is alive at a time.
 */
export function workspaceData<T>(keep: (entry: LocationEntry) => T) {
  return z.object({
    workspaceOrError: z.discriminatedUnion('__typename', [
      z.object({ __typename: z.literal('Workspace'), locationEntries: z.array(locationEntry.transform(keep)) }),
      pythonError,
    ]),
  });
}

export const defsStateData = z.object({
  workspaceOrError: z.discriminatedUnion('__typename', [
    z.object({ __typename: z.literal('Workspace'), locationEntries: z.array(z.object({ name: z.string(), defsStateInfo })) }),
    pythonError,
  ]),
});

/** One location entry, turned into what the caller keeps of it, as workspaceData. */
export function locationData<T>(keep: (entry: LocationEntry) => T) {
  return z.object({
    workspaceLocationEntryOrError: z
      .discriminatedUnion('__typename', [
        locationEntry.extend({ __typename: z.literal('WorkspaceLocationEntry') }).transform((entry) => ({ __typename: entry.__typename, kept: keep(entry) })),
        pythonError,
      ])
      .nullable(),
  });
}

export const statusesData = z.object({
  locationStatusesOrError: z.discriminatedUnion('__typename', [
    z.object({
      __typename: z.literal('WorkspaceLocationStatusEntries'),
      entries: z.array(z.object({ name: z.string(), loadStatus, updateTimestamp: z.number() })),
    }),
    pythonError,
  ]),
});

const message = { message: z.string() };

export const reloadData = z.object({
  reloadRepositoryLocation: z.discriminatedUnion('__typename', [
    z.object({ __typename: z.literal('WorkspaceLocationEntry'), name: z.string(), loadStatus }),
    z.object({ __typename: z.literal('ReloadNotSupported'), ...message }),
    z.object({ __typename: z.literal('RepositoryLocationNotFound'), ...message }),
    z.object({ __typename: z.literal('UnauthorizedError'), ...message }),
    pythonError,
  ]),
});

export type ReloadAnswer = z.infer<typeof reloadData>['reloadRepositoryLocation'];

const stateVersion = z.object({ version: z.string(), createTimestamp: z.number() });

export const latestStateData = z.object({
  latestDefsStateInfo: z
    .object({ keyStateInfo: z.array(z.object({ name: z.string(), info: stateVersion.extend({ managementType: z.string() }).nullable() })) })
    .nullable(),
});

export const refreshStateData = z.object({
  refreshComponentState: z.discriminatedUnion('__typename', [
    z.object({
      __typename: z.literal('RefreshComponentStateSuccess'),
      component: z.object({ defsStateKey: z.string().nullable(), defsStateInfo: stateVersion.nullable() }),
    }),
    z.object({ __typename: z.literal('RefreshComponentStateAccepted'), defsStateKey: z.string() }),
    z.object({ __typename: z.literal('RefreshComponentStateError'), ...message }),
    z.object({ __typename: z.literal('UnauthorizedError'), ...message }),
    pythonError,
  ]),
});
