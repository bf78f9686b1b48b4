// A Dagster webserver (or Dagster+ deployment) for tests: a GraphQL server on 127.0.0.1 that
// validates and executes every document against Dagster's real schema, with code locations whose
// dagster-airlift definitions follow an Airflow source, the reload behaviours that matter
// (inline or asynchronous, load errors, stuck, refused, `dagster api grpc` that changes nothing),
// where AirflowInstanceComponent keeps its Airflow state (fetched at load, baked into the image, or
// in versioned state storage refreshed by refreshComponentState; Dagster+ code servers load the versions
// pinned at deploy), `dagster dev` (every load refreshes every state), fixed server ids, DAG filters,
// Dagster+ token auth or an auth proxy, and injectable faults.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { execute, parse, validate, type DocumentNode } from 'graphql';
import {
  CODE_SERVER_STATE_VERSION,
  LOCAL_STATE_VERSION,
  definitions,
  stateKey,
  type DefsStateManagement,
  type ReloadBehaviour,
  type SimAirflowInstance,
  type SimDag,
  type SimLocation,
  type StateRefreshBehaviour,
} from './dagster-airlift.js';
import { servedSchema, type SchemaVariant } from './dagster-schema.js';

export { airliftLocation } from './dagster-airlift.js';
export type { DefsStateManagement, ReloadBehaviour, SimAirflowInstance, SimDag, SimLocation, StateRefreshBehaviour } from './dagster-airlift.js';

export type SimDagsterAuth =
  | { readonly kind: 'none' }
  /** Dagster+: `Dagster-Cloud-Api-Token: <token>`; anything else is a 401 without a GraphQL body. */
  | { readonly kind: 'dagster-plus'; readonly token: string }
  /** An auth proxy that wants these headers; without them: a login page (200) or a redirect to a login origin. */
  | { readonly kind: 'headers'; readonly headers: Readonly<Record<string, string>>; readonly onMissing?: 'html-login' | 'redirect' };

export interface DagsterSimulatorOptions extends SchemaVariant {
  /** self-hosted (default): the reload mutation answers when done. dagster-plus: it answers at once (a redeploy). */
  readonly deployment?: 'self-hosted' | 'dagster-plus';
  readonly auth?: SimDagsterAuth;
  /** GraphQL is served at <basePath>/graphql, e.g. /prod for a Dagster+ deployment. */
  readonly basePath?: string;
  /** How long a reload takes. Default 20 ms. */
  readonly reloadMs?: number;
  /** Dagster+: how long the workspace still shows the old server LOADED after the mutation. Default 0. */
  readonly redeployPickupMs?: number;
  readonly latencyMs?: number;
  readonly locations?: readonly SimLocation[];
}

export type DagsterFaultKind = 'latency' | 'status' | 'retry-after' | 'timeout' | 'malformed' | 'drop' | 'graphql-errors' | 'html-login' | 'redirect';

export interface SimGraphQLRequest {
  readonly operationName?: string;
  readonly query?: string;
  readonly variables?: Readonly<Record<string, unknown>>;
}

export interface DagsterFault {
  /** An operation name, or a predicate; undefined matches every request. */
  readonly match?: string | ((request: SimGraphQLRequest) => boolean);
  /** How many matching requests it affects. Default 1; Infinity for all. */
  times?: number;
  readonly kind: DagsterFaultKind;
  /** latency: extra delay before the normal answer. */
  readonly ms?: number;
  /** latency: then answer only once this settles (a test holds an answer until something else happened). */
  readonly until?: Promise<unknown>;
  /** status: e.g. 500, 502, 503, 401. */
  readonly status?: number;
  /** retry-after: the header value (seconds); the status is 429. */
  readonly retryAfter?: string;
  /** redirect: where to. */
  readonly location?: string;
  /** graphql-errors: the error message. */
  readonly message?: string;
}

export interface SimOperation extends SimGraphQLRequest {
  /** Header names lower-cased; secret values replaced by [redacted]. */
  readonly headers: Readonly<Record<string, string>>;
  readonly status: number;
  readonly fault?: DagsterFaultKind;
}

export interface SimLocationState {
  readonly loadStatus: 'LOADING' | 'LOADED';
  readonly updatedTimestamp: number;
  readonly versionKey: string;
  readonly serverId: string;
  readonly loadError?: string;
  /** instance → dag ids the current server mirrors. */
  readonly dags: Readonly<Record<string, readonly string[]>>;
  readonly reloads: number;
  /** Component instance → the defs-state version the current server loaded. */
  readonly stateVersions: Readonly<Record<string, string>>;
  /** VERSIONED_STATE_STORAGE instance → the latest version in state storage. */
  readonly storedVersions: Readonly<Record<string, string>>;
  readonly stateRefreshes: number;
  /** Rebuilds and redeploys, as a deploy workflow makes them (`redeploy`). */
  readonly redeploys: number;
}

export interface DagsterSimulator {
  /** The GraphQL endpoint. */
  readonly url: string;
  /** The deployment root, as dagster-url / dagster-cloud-url take it. */
  readonly baseUrl: string;
  readonly schemaSource: 'full' | 'subset';
  /** Every request received, in order. */
  readonly operations: SimOperation[];
  readonly faults: DagsterFault[];
  latencyMs: number;
  addLocation(location: SimLocation): void;
  setReload(location: string, behaviour: ReloadBehaviour, message?: string): void;
  setStateRefresh(location: string, behaviour: StateRefreshBehaviour, message?: string): void;
  /**
   * Holds every load of the location (reloads and redeploys) that has not finished yet, or starts
   * before the release, until the returned function is called: a test decides when a load ends
   * instead of racing a timer.
   */
  holdLoads(location: string): () => void;
  /** Resolves when a request for this operation arrives, before it is answered. */
  asked(operationName: string): Promise<void>;
  /**
   * A rebuilt image deployed, as a deploy workflow does: LOADING for `reloadMs`, then a new server that
   * fetched Airflow at build time (LOCAL_FILESYSTEM state included) and, on Dagster+, pins the latest
   * stored state versions (as `dg plus deploy`). Resolves once it is LOADED.
   */
  redeploy(location: string): Promise<void>;
  /** What the location re-reads on reload, as airlift re-fetches Airflow; `instance` when it mirrors several. */
  setAirflowSource(location: string, source: () => readonly SimDag[], instance?: string): void;
  location(name: string): SimLocationState;
  close(): Promise<void>;
}

/** What one code server serves; a reload replaces it (or, for `dagster api grpc`, keeps it). */
interface Server {
  readonly serverId: string;
  readonly updatedTimestamp: number;
  readonly versionKey: string;
  readonly airflow: readonly SimAirflowInstance[];
  readonly loadError?: string;
  /** Component instance → the defs-state version it loaded. */
  readonly stateVersions: Readonly<Record<string, string>>;
}

/** One version of a component's state in state storage (VERSIONED_STATE_STORAGE). */
interface StoredState {
  readonly version: string;
  readonly createTimestamp: number;
  readonly dags: readonly SimDag[];
}

interface Location {
  readonly spec: SimLocation;
  behaviour: ReloadBehaviour;
  message?: string;
  loadStatus: 'LOADING' | 'LOADED';
  server: Server;
  readonly sources: Map<string, () => readonly SimDag[]>;
  reloads: number;
  stateRefresh: StateRefreshBehaviour;
  stateRefreshMessage?: string;
  /** VERSIONED_STATE_STORAGE instance → the latest stored state. */
  readonly stored: Map<string, StoredState>;
  /** Every version ever stored, by version: a Dagster+ redeploy loads the one pinned at deploy. */
  readonly history: Map<string, StoredState>;
  /**
   * Dagster+: the defs-state versions the deployment pinned (CodeLocationDeployData.defs_state_info, passed
   * to the code server as --defs-state-info). A redeploy (reloadRepositoryLocation) reuses them; a new
   * deploy (`redeploy`, as `dg plus deploy` does) pins the latest stored ones.
   */
  deployed: Record<string, string>;
  stateRefreshes: number;
  redeploys: number;
  /** Set while loads are held (holdLoads): resolves at the release. */
  hold?: Promise<void>;
  /** Dagster+: when the load under way began (seconds), shown as its updateTimestamp while LOADING. */
  loadingSince?: number;
}

const SECRET_HEADER = /authorization|cookie|token|key|secret|password|session|auth/i;
const LOGIN_PAGE = '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form method="post" action="/oauth2/sign_in"><input name="username"><input name="password" type="password"></form></body></html>';

export async function startDagsterSimulator(options: DagsterSimulatorOptions = {}): Promise<DagsterSimulator> {
  const { schema, source: schemaSource } = servedSchema(options);
  const deployment = options.deployment ?? 'self-hosted';
  const auth = options.auth ?? { kind: 'none' };
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const reloadMs = options.reloadMs ?? 20;
  const pickupMs = options.redeployPickupMs ?? 0;
  const locations = new Map<string, Location>();
  const operations: SimOperation[] = [];
  const faults: DagsterFault[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const held = new Set<Socket>();
  const waiters: { readonly operationName: string; readonly arrived: () => void }[] = [];
  let versions = 0;

  const after = (ms: number, run: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };
  const wait = (ms: number) => new Promise<void>((done) => after(ms, done));

  // Seconds, as Dagster's time.time(); strictly later than the server it replaces.
  const later = (previous?: Server) => Math.max(Date.now() / 1000, (previous?.updatedTimestamp ?? 0) + 0.001);

  /** `pinned`: the versions VERSIONED_STATE_STORAGE instances load; the other modes have constant versions. */
  const newServer = (spec: SimLocation, airflow: readonly SimAirflowInstance[], pinned: Readonly<Record<string, string>>, loadError?: string, previous?: Server): Server => {
    // Dagster's versionKey for a code server is its server id; a fixed id keeps both.
    const serverId = spec.fixedServerId ?? randomUUID();
    return {
      serverId,
      updatedTimestamp: later(previous),
      versionKey: spec.fixedServerId ?? `${spec.name}@${++versions}`,
      airflow,
      loadError,
      stateVersions: Object.fromEntries(airflow.filter((a) => a.style === 'component').map((a) => [a.instance, stateVersion(a, pinned)])),
    };
  };

  const addLocation = (spec: SimLocation) => {
    const airflow = (spec.airflow ?? []).map((instance) => ({ ...instance, dags: fetched(instance.dags, spec.dagFilter) }));
    const stored = new Map<string, StoredState>();
    const history = new Map<string, StoredState>();
    const pinned: Record<string, string> = {};
    for (const instance of airflow) {
      if (management(instance) !== 'VERSIONED_STATE_STORAGE') continue;
      const state = { version: randomUUID(), createTimestamp: Date.now() / 1000, dags: instance.dags };
      stored.set(instance.instance, state);
      history.set(state.version, state);
      pinned[instance.instance] = state.version;
    }
    locations.set(spec.name, {
      spec,
      behaviour: spec.reload ?? 'success',
      message: spec.message,
      loadStatus: 'LOADED',
      server: newServer(spec, airflow, pinned, spec.loadError),
      sources: new Map(),
      reloads: 0,
      stateRefresh: spec.stateRefresh ?? 'success',
      stored,
      history,
      deployed: { ...pinned },
      stateRefreshes: 0,
      redeploys: 0,
    });
  };
  for (const spec of options.locations ?? []) addLocation(spec);

  const find = (name: string) => {
    const location = locations.get(name);
    if (!location) throw new Error(`The Dagster simulator has no location "${name}".`);
    return location;
  };

  /**
   * The new server after a reload, or after a new deploy (`deployed`): airlift fetches each instance's DAGs
   * again, except where the component's state is baked into the image (unless rebuilt and deployed) or
   * kept in state storage: self-hosted, the latest stored version is loaded; on Dagster+, the version the
   * deployment pinned (a new deploy pins the latest). Under `dagster dev` every state is fetched anew.
   */
  const reloaded = (name: string, location: Location, deployed = false): Server => {
    const previous = location.server;
    if (location.behaviour === 'load-error') {
      const message = location.message ?? `dagster._core.errors.DagsterImportError: Encountered ImportError while importing module ${name}`;
      return newServer(location.spec, previous.airflow, previous.stateVersions, message, previous);
    }
    if (deployed) location.deployed = Object.fromEntries([...location.stored].map(([instance, state]) => [instance, state.version]));
    const pinned: Record<string, string> = {};
    const airflow = previous.airflow.map((instance) => {
      const mode = management(instance);
      if (mode === 'VERSIONED_STATE_STORAGE') {
        const state = location.spec.dev
          ? store(location, instance)
          : deployment === 'dagster-plus'
            ? location.history.get(location.deployed[instance.instance] ?? '')
            : location.stored.get(instance.instance);
        if (state) {
          pinned[instance.instance] = state.version;
          return { ...instance, dags: state.dags };
        }
      }
      if (mode === 'LOCAL_FILESYSTEM' && !deployed && !location.spec.dev) return instance;
      return { ...instance, dags: fetch(location, instance) };
    });
    return newServer(location.spec, airflow, pinned, undefined, previous);
  };

  /** What airlift reads from Airflow for an instance: its source, or what it had, less what the location's filter leaves out. */
  const fetch = (location: Location, instance: SimAirflowInstance) => fetched(location.sources.get(instance.instance)?.() ?? instance.dags, location.spec.dagFilter);

  /** Fetches Airflow into state storage as a new version (VERSIONED_STATE_STORAGE). */
  const store = (location: Location, instance: SimAirflowInstance): StoredState => {
    const state = { version: randomUUID(), createTimestamp: Date.now() / 1000, dags: fetch(location, instance) };
    location.stored.set(instance.instance, state);
    location.history.set(state.version, state);
    return state;
  };

  /** A location LOADING on Dagster+ shows when its load began; otherwise, when its server loaded. */
  const shownTimestamp = (location: Location) => (location.loadStatus === 'LOADING' && location.loadingSince !== undefined ? location.loadingSince : location.server.updatedTimestamp);

  const entry = (name: string, location: Location) => {
    const { server } = location;
    const defs = definitions(name, server.airflow, location.spec.assets ?? []);
    const repositoryLocation: Record<string, unknown> = {
      __typename: 'RepositoryLocation',
      id: name,
      name,
      isReloadSupported: location.behaviour !== 'not-supported',
      environmentPath: null,
      serverId: server.serverId,
      dagsterLibraryVersions: [
        { name: 'dagster', version: '1.11.16' },
        { name: 'dagster-airlift', version: '0.27.16' },
      ],
    };
    repositoryLocation.repositories = [
      {
        __typename: 'Repository',
        id: `__repository__@${name}`,
        name: '__repository__',
        location: repositoryLocation,
        jobs: defs.jobs,
        sensors: () => defs.sensors,
        schedules: defs.schedules,
        assetNodes: defs.assetNodes,
        displayMetadata: [],
      },
    ];
    return {
      __typename: 'WorkspaceLocationEntry',
      id: name,
      name,
      loadStatus: location.loadStatus,
      updatedTimestamp: shownTimestamp(location),
      versionKey: server.versionKey,
      displayMetadata: [],
      permissions: [],
      featureFlags: [],
      definitionsSource: 'CODE_SERVER',
      defsStateInfo: defs.stateKeys.length
        ? {
            keyStateInfo: defs.stateKeys.map(({ key, instance, management: managementType }) => ({
              name: key,
              info: { version: server.stateVersions[instance], createTimestamp: server.updatedTimestamp, managementType },
            })),
          }
        : null,
      locationOrLoadError: server.loadError === undefined ? repositoryLocation : loadFailure(name, server.loadError),
    };
  };

  const reload = async (name: string, request: RequestContext): Promise<Record<string, unknown>> => {
    const location = locations.get(name);
    if (!location) return { __typename: 'RepositoryLocationNotFound', message: `Location ${name} does not exist.` };
    location.reloads += 1;
    switch (location.behaviour) {
      case 'not-found':
        return { __typename: 'RepositoryLocationNotFound', message: `Location ${name} does not exist.` };
      case 'not-supported':
        return { __typename: 'ReloadNotSupported', message: location.message ?? `Location ${name} does not support reloading.` };
      case 'unauthorized':
        return { __typename: 'UnauthorizedError', message: location.message ?? 'Authorization failed: reloading code locations needs the Editor role.' };
      case 'python-error':
        return caught(request, location.message ?? 'dagster._core.errors.DagsterUserCodeUnreachableError: Could not reach user code server.');
      case 'grpc-no-reimport':
        // The webserver makes a new entry (new updatedTimestamp) for the same server: same serverId, and
        // versionKey, which Dagster takes from the server id; same cached definitions.
        await wait(reloadMs);
        location.server = { ...location.server, updatedTimestamp: later(location.server) };
        return entry(name, location);
      case 'stuck':
      case 'success':
      case 'load-error':
        break;
    }
    if (deployment === 'self-hosted') {
      // Dagster's webserver loads the new location first and swaps its entry in when done
      // (WorkspaceProcessContext.reload_code_location, dagster 1.13): while it loads, the workspace
      // shows the old entry, LOADED, with its old updatedTimestamp. Never LOADING.
      const server = await load(name, location);
      // stuck: real Dagster would hang the request (see the 'timeout' fault); the simulator answers LOADING for good.
      if (!server) location.loadStatus = 'LOADING';
      else finish(location, server);
      return entry(name, location);
    }
    // Dagster+: a redeploy. The answer says LOADING; the workspace follows once the agent picks it up.
    const pickUp = () => {
      begin(location);
      void load(name, location).then((server) => server && finish(location, server));
    };
    if (pickupMs > 0) after(pickupMs, pickUp);
    else pickUp();
    return { ...entry(name, location), loadStatus: 'LOADING' };
  };

  /**
   * One load of the location: airlift fetches Airflow while the code server imports the definitions,
   * so a load serves what Airflow held when it began. Undefined for a load that never ends (stuck).
   */
  const load = async (name: string, location: Location, deployed = false): Promise<Server | undefined> => {
    const server = location.behaviour === 'stuck' && !deployed ? undefined : reloaded(name, location, deployed);
    await Promise.all([wait(reloadMs), location.hold]);
    return server;
  };

  /** Dagster+ shows a location LOADING from the moment its load begins, stamped with that moment (assumed: see README). */
  const begin = (location: Location) => {
    location.loadStatus = 'LOADING';
    location.loadingSince = Date.now() / 1000;
  };

  /** The loaded server replaces the old one, stamped when it finished loading (as Dagster's load_time). */
  const finish = (location: Location, server: Server) => {
    location.server = { ...server, updatedTimestamp: Math.max(later(location.server), (location.loadingSince ?? 0) + 0.001) };
    location.loadStatus = 'LOADED';
    location.loadingSince = undefined;
  };

  /** refreshComponentState: the code server fetches Airflow into state storage (VERSIONED_STATE_STORAGE only). */
  const refreshState = (locationName: string, defsStateKey: string, request: RequestContext): Record<string, unknown> => {
    const location = locations.get(locationName);
    // As dagster-webserver 1.13.27 answers (recorded): the workspace lookup's KeyError, caught.
    if (!location) return caught(request, `KeyError: '${locationName}'\n`);
    location.stateRefreshes += 1;
    const failed = (message: string) => ({ __typename: 'RefreshComponentStateError', locationName, defsStateKey, message });
    const instance = location.server.airflow.find((candidate) => candidate.style === 'component' && stateKey(candidate.instance) === defsStateKey);
    if (!instance) return failed(`Failure refreshing component state for ${locationName}: dagster._core.errors.DagsterInvariantViolationError: No matching state-backed components found for keys: ${defsStateKey}\n`);
    if (management(instance) !== 'VERSIONED_STATE_STORAGE') return failed(`${defsStateKey} does not use VERSIONED_STATE_STORAGE.`);
    const refresh = () => store(location, instance);
    switch (location.stateRefresh) {
      case 'unauthorized':
        return { __typename: 'UnauthorizedError', message: location.stateRefreshMessage ?? 'Authorization failed: refreshing component state needs the Editor role.' };
      case 'python-error':
        return caught(request, location.stateRefreshMessage ?? 'dagster._core.errors.DagsterInvariantViolationError: DefsStateStorage is not configured on this instance.');
      case 'error':
        return failed(location.stateRefreshMessage ?? `requests.exceptions.ConnectionError: could not reach Airflow at ${instance.webserverUrl ?? `https://airflow.invalid/${instance.instance}`}`);
      case 'accepted':
        after(location.spec.stateRefreshMs ?? 50, refresh);
        return { __typename: 'RefreshComponentStateAccepted', locationName, defsStateKey };
      case 'accepted-never':
        return { __typename: 'RefreshComponentStateAccepted', locationName, defsStateKey };
      case 'success': {
        const stored = refresh();
        // As Dagster's resolver does: the location is reloaded with the new state once it is stored.
        location.deployed[instance.instance] = stored.version;
        location.server = reloaded(locationName, location);
        return {
          __typename: 'RefreshComponentStateSuccess',
          component: {
            __typename: 'Component',
            componentId: `${locationName}/defs/${instance.instance}`,
            componentType: 'dagster_airlift.core.components.AirflowInstanceComponent',
            isAppManaged: false,
            attributes: null,
            defsStateKey,
            defsStateManagementType: 'VERSIONED_STATE_STORAGE',
            defsStateInfo: { version: stored.version, createTimestamp: stored.createTimestamp, managementType: 'VERSIONED_STATE_STORAGE' },
          },
        };
      }
    }
  };

  const rootValue = {
    workspaceOrError: () => ({
      __typename: 'Workspace',
      id: 'Workspace',
      locationEntries: [...locations].map(([name, location]) => entry(name, location)),
    }),
    locationStatusesOrError: () => ({
      __typename: 'WorkspaceLocationStatusEntries',
      entries: [...locations].map(([name, location]) => ({
        __typename: 'WorkspaceLocationStatusEntry',
        id: name,
        name,
        loadStatus: location.loadStatus,
        updateTimestamp: shownTimestamp(location),
        versionKey: location.server.versionKey,
        permissions: [],
      })),
    }),
    workspaceLocationEntryOrError: ({ name }: { name: string }) => {
      const location = locations.get(name);
      return location ? entry(name, location) : null;
    },
    reloadRepositoryLocation: ({ repositoryLocationName }: { repositoryLocationName: string }, request: RequestContext) => reload(repositoryLocationName, request),
    refreshComponentState: ({ locationName, defsStateKey }: { locationName: string; defsStateKey: string }, request: RequestContext) =>
      refreshState(locationName, defsStateKey, request),
    // What state storage holds: VERSIONED_STATE_STORAGE keys only.
    latestDefsStateInfo: () => {
      const keyStateInfo = [...locations.values()].flatMap((location) =>
        [...location.stored].map(([instance, stored]) => ({
          name: stateKey(instance),
          info: { version: stored.version, createTimestamp: stored.createTimestamp, managementType: 'VERSIONED_STATE_STORAGE' },
        })),
      );
      return keyStateInfo.length ? { keyStateInfo } : null;
    },
  };

  const secretHeaders = new Set(auth.kind === 'headers' ? Object.keys(auth.headers).map((header) => header.toLowerCase()) : []);
  const redact = (headers: IncomingMessage['headers']) =>
    Object.fromEntries(
      Object.entries(headers).map(([name, value]) => [
        name,
        SECRET_HEADER.test(name) || secretHeaders.has(name) ? '[redacted]' : Array.isArray(value) ? value.join(', ') : (value ?? ''),
      ]),
    );

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const raw = await readBody(req);
    const request = graphqlRequest(raw);
    for (const waiter of waiters.filter((entry) => entry.operationName === request.operationName)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.arrived();
    }
    const record = (status: number, fault?: DagsterFaultKind) => operations.push({ ...request, headers: redact(req.headers), status, fault });
    const send = (status: number, body: string, headers: Record<string, string> = {}) => {
      record(status);
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
    };

    if (simulator.latencyMs > 0) await wait(simulator.latencyMs);
    const fault = takeFault(faults, request);
    if (fault) {
      if (fault.kind === 'latency') {
        await wait(fault.ms ?? 0);
        await fault.until;
      } else {
        record(answerFault(fault, req, res, held), fault.kind);
        return;
      }
    }

    const url = new URL(req.url ?? '/', 'http://sim');
    if (url.pathname !== `${basePath}/graphql`) return send(404, JSON.stringify({ detail: 'Not Found' }));
    if (req.method !== 'POST') return send(405, JSON.stringify({ detail: 'Method Not Allowed' }));

    if (auth.kind === 'dagster-plus' && req.headers['dagster-cloud-api-token'] !== auth.token) {
      return send(401, 'Unauthorized: a valid Dagster-Cloud-Api-Token header is required.', { 'content-type': 'text/plain' });
    }
    if (auth.kind === 'headers' && Object.entries(auth.headers).some(([name, value]) => req.headers[name.toLowerCase()] !== value)) {
      if (auth.onMissing === 'redirect') {
        return send(302, '', { location: 'https://login.invalid/oauth2/start?rd=%2Fgraphql', 'content-type': 'text/html' });
      }
      return send(200, LOGIN_PAGE, { 'content-type': 'text/html; charset=utf-8' });
    }

    if (request.query === undefined) return send(400, 'No GraphQL query found in the request', { 'content-type': 'text/plain' });
    let document: DocumentNode;
    try {
      document = parse(request.query);
    } catch (error) {
      return send(400, JSON.stringify({ data: null, errors: [{ message: (error as Error).message }] }));
    }
    const invalid = validate(schema, document);
    // Dagster answers 400 to documents its schema rejects, 500 to errors in resolvers.
    if (invalid.length) return send(400, JSON.stringify({ data: null, errors: invalid.map((error) => error.toJSON()) }));
    const context: RequestContext = { caught: false };
    const result = await execute({ schema, document, rootValue, contextValue: context, variableValues: request.variables, operationName: request.operationName });
    // dagster_webserver/graphql.py (_determine_status_code): 500 when a resolver raised, whether its error
    // went out as GraphQL errors or was caught into the field's PythonError member.
    const status = result.data === undefined ? 400 : result.errors?.length || context.caught ? 500 : 200;
    send(status, JSON.stringify(result));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
    });
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  const port = (server.address() as AddressInfo).port;

  const simulator: DagsterSimulator = {
    url: `http://127.0.0.1:${port}${basePath}/graphql`,
    baseUrl: `http://127.0.0.1:${port}${basePath}/`,
    schemaSource,
    operations,
    faults,
    latencyMs: options.latencyMs ?? 0,
    addLocation,
    setReload(name, behaviour, message) {
      const location = find(name);
      location.behaviour = behaviour;
      location.message = message;
    },
    setStateRefresh(name, behaviour, message) {
      const location = find(name);
      location.stateRefresh = behaviour;
      location.stateRefreshMessage = message;
    },
    redeploy(name) {
      const location = find(name);
      location.redeploys += 1;
      begin(location);
      return load(name, location, true).then((server) => finish(location, server!));
    },
    holdLoads(name) {
      const location = find(name);
      let release = () => {};
      const hold = new Promise<void>((done) => (release = done));
      location.hold = hold;
      return () => {
        if (location.hold === hold) location.hold = undefined;
        release();
      };
    },
    asked(operationName) {
      return new Promise<void>((arrived) => waiters.push({ operationName, arrived }));
    },
    setAirflowSource(name, source, instance) {
      const location = find(name);
      const instances = (location.spec.airflow ?? []).map((a) => a.instance);
      const target = instance ?? (instances.length === 1 ? instances[0] : undefined);
      if (target === undefined || !instances.includes(target)) {
        throw new Error(`Location "${name}" mirrors ${instances.join(', ') || 'no instance'}: name the instance to set the source of.`);
      }
      location.sources.set(target, source);
    },
    location(name) {
      const location = find(name);
      return {
        loadStatus: location.loadStatus,
        updatedTimestamp: location.server.updatedTimestamp,
        versionKey: location.server.versionKey,
        serverId: location.server.serverId,
        loadError: location.server.loadError,
        dags: Object.fromEntries(location.server.airflow.map((a) => [a.instance, a.dags.map((dag) => dag.dagId)])),
        reloads: location.reloads,
        stateVersions: location.server.stateVersions,
        storedVersions: Object.fromEntries([...location.stored].map(([instance, stored]) => [instance, stored.version])),
        stateRefreshes: location.stateRefreshes,
        redeploys: location.redeploys,
      };
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of held) socket.destroy();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
  return simulator;
}

/**
 * The DAGs airlift keeps from one fetch: those the location's filter admits, each record with the parse
 * time Airflow showed at the fetch (now, unless the source says), so that only a new fetch changes it.
 */
function fetched(dags: readonly SimDag[], filter: ((dagId: string) => boolean) | undefined): SimDag[] {
  const now = new Date().toISOString();
  return dags.filter((dag) => filter?.(dag.dagId) ?? true).map((dag) => (dag.lastParsedTime ? dag : { ...dag, lastParsedTime: now }));
}

/** The defs-state version a server loaded for a component: stored versions are pinned, the other modes' are constants. */
function stateVersion(instance: SimAirflowInstance, pinned: Readonly<Record<string, string>>): string {
  switch (management(instance)) {
    case 'LOCAL_FILESYSTEM':
      return LOCAL_STATE_VERSION;
    case 'VERSIONED_STATE_STORAGE':
      return pinned[instance.instance] ?? randomUUID();
    default:
      return CODE_SERVER_STATE_VERSION;
  }
}

function management(instance: SimAirflowInstance): DefsStateManagement | undefined {
  return instance.style === 'component' ? (instance.defsState ?? 'LEGACY_CODE_SERVER_SNAPSHOTS') : undefined;
}

/** Per request: whether a resolver's exception was caught into a PythonError answer (Dagster's capture_error). */
interface RequestContext {
  caught: boolean;
}

function caught(request: RequestContext, message: string): Record<string, unknown> {
  request.caught = true;
  return pythonError(message);
}

/**
 * A location's load error as dagster-webserver 1.13.27 shows it (recorded): Dagster's own
 * DagsterUserCodeLoadError, the user's exception (`cause`) only in its cause and error chain.
 */
function loadFailure(location: string, cause: string): Record<string, unknown> {
  const reason = pythonError(`${cause}\n`);
  return {
    ...pythonError(
      'dagster._core.errors.DagsterUserCodeLoadError: Error occurred during the loading of Dagster definitions in\n' +
        `executable_path=/usr/local/bin/python, python_file=/opt/dagster/app/${location}.py, working_directory=/opt/dagster/app/\n`,
    ),
    cause: reason,
    causes: [reason],
    errorChain: [{ __typename: 'ErrorChainLink', message: reason.message, error: reason, isExplicitLink: true }],
  };
}

function pythonError(message: string): Record<string, unknown> {
  return { __typename: 'PythonError', message, className: null, stack: [], cause: null, causes: [], errorChain: [] };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => done(Buffer.concat(chunks).toString('utf8')));
    req.on('error', fail);
  });
}

function graphqlRequest(raw: string): SimGraphQLRequest {
  try {
    const body = JSON.parse(raw) as { query?: unknown; variables?: unknown; operationName?: unknown };
    return {
      query: typeof body.query === 'string' ? body.query : undefined,
      variables: typeof body.variables === 'object' && body.variables !== null ? (body.variables as Record<string, unknown>) : undefined,
      operationName: typeof body.operationName === 'string' ? body.operationName : undefined,
    };
  } catch {
    return {};
  }
}

function takeFault(faults: DagsterFault[], request: SimGraphQLRequest): DagsterFault | undefined {
  const fault = faults.find((candidate) => {
    if ((candidate.times ?? 1) <= 0) return false;
    if (candidate.match === undefined) return true;
    return typeof candidate.match === 'string' ? candidate.match === request.operationName : candidate.match(request);
  });
  if (fault) fault.times = (fault.times ?? 1) - 1;
  return fault;
}

/** Answers for a fault and returns the status sent (0 when none was). */
function answerFault(fault: DagsterFault, req: IncomingMessage, res: ServerResponse, held: Set<Socket>): number {
  switch (fault.kind) {
    case 'status': {
      const status = fault.status ?? 503;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(`Simulated failure (${status})`);
      return status;
    }
    case 'retry-after':
      res.writeHead(429, { 'content-type': 'text/plain', 'retry-after': fault.retryAfter ?? '0' }).end('Too Many Requests');
      return 429;
    case 'timeout':
      held.add(req.socket);
      return 0;
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": {"workspaceOrError": ');
      return 200;
    case 'drop':
      req.socket.destroy();
      return 0;
    case 'graphql-errors':
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ data: null, errors: [{ message: fault.message ?? 'Simulated GraphQL error' }] }));
      return 200;
    case 'html-login':
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(LOGIN_PAGE);
      return 200;
    case 'redirect':
      res.writeHead(302, { location: fault.location ?? 'https://login.invalid/oauth2/start' }).end();
      return 302;
    case 'latency':
      return 0;
  }
}
