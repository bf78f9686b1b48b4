// Reads the proxied-state folders of a push, at head and base, and the DAGs they name at head.
// A folder is found by airlift's convention: `proxied_state/` (the docs' `Path(__file__).parent /
// "proxied_state"`), inside or beside an instance's DAGs folder.
import { listDagFiles, normalizeFolder, type DagFolders } from '../changes/dag-files.js';
import type { Revisions } from '../changes/revisions.js';
import { readDagFile, type ReadOptions } from '../dags/index.js';
import type { PushRange } from '../model.js';
import type { DagAtHead, InstanceState } from './check.js';
import { isStateFile, type StateFile } from './state-file.js';

const STATE_FOLDER = 'proxied_state';
const APPLIES = 'proxying_to_dagster';
const LOADS = 'load_proxied_state_from_yaml';

export interface InstanceFolders extends DagFolders {
  readonly name: string;
}

export interface MigrationRead {
  /** The proxied-state folders at head. */
  readonly folders: readonly string[];
  readonly instances: readonly InstanceState[];
}

/** Undefined when neither revision has a proxied-state folder. */
export async function readMigration(
  revisions: Revisions,
  range: Exclude<PushRange, { kind: 'skip' }>,
  instances: readonly InstanceFolders[],
  readOptions: (rev: string, dagsFolders: readonly string[]) => ReadOptions,
): Promise<MigrationRead | undefined> {
  const [headFolders, baseFolders] = await Promise.all([
    stateFolders(revisions, range.head),
    range.kind === 'diff' ? stateFolders(revisions, range.base) : new Map<string, string[]>(),
  ]);
  if (!headFolders.size && !baseFolders.size) return undefined;
  const read: InstanceState[] = [];
  for (const instance of instances) {
    const mine = (folders: Map<string, string[]>) => [...folders].filter(([folder]) => servedBy(folder, instance)).flatMap(([, files]) => files);
    const head = await parseAll(revisions, range.head, mine(headFolders));
    const base = range.kind === 'diff' ? await parseAll(revisions, range.base, mine(baseFolders)) : [];
    if (!head.length && !base.length) continue;
    read.push({ instance: instance.name, head, base, ...(await dagsAtHead(revisions, range.head, instance, head, readOptions(range.head, instance.dagsFolders))) });
  }
  return { folders: [...headFolders.keys()], instances: read };
}

/** folder → its state files, for every `proxied_state` folder at rev that has one. */
async function stateFolders(revisions: Revisions, rev: string): Promise<Map<string, string[]>> {
  const folders = new Map<string, string[]>();
  for (const [folder, paths] of await revisions.foldersNamed(rev, STATE_FOLDER)) {
    const files = paths.filter((path) => isStateFile(path, folder));
    if (files.length) folders.set(folder, files);
  }
  return folders;
}

/** A folder inside one of the instance's DAGs folders, or beside one (its parent holds a DAGs folder). */
function servedBy(folder: string, instance: InstanceFolders): boolean {
  const parent = folder.slice(0, folder.lastIndexOf('/') + 1);
  return instance.dagsFolders.map(normalizeFolder).some((dags) => dags === '' || folder.startsWith(`${dags}/`) || `${dags}/`.startsWith(parent));
}

async function parseAll(revisions: Revisions, rev: string, paths: readonly string[]): Promise<StateFile[]> {
  if (!paths.length) return [];
  const { parseStateFile } = await import('./state-parse.js');
  const files = await Promise.all(paths.map(async (path) => ({ path, text: await revisions.readFile(rev, path) })));
  return files.flatMap(({ path, text }) => (text === null ? [] : [parseStateFile(path, text)]));
}

/**
 * The DAGs at head that state files could apply to: those of the files that call proxying_to_dagster
 * or name a state file's DAG id (a text filter before parsing, as most DAG files do neither).
 */
async function dagsAtHead(
  revisions: Revisions,
  head: string,
  instance: InstanceFolders,
  files: readonly StateFile[],
  options: ReadOptions,
): Promise<Pick<InstanceState, 'dags' | 'loaders' | 'dynamicIds'>> {
  const listed = await listDagFiles(revisions, head, instance);
  const ids = files.map((file) => file.dagId);
  const dags = new Map<string, DagAtHead>();
  const loaders: string[] = [];
  let dynamicIds = false;
  for (const { change, after } of listed.dagFiles) {
    if (after === null) continue;
    const applied = after.includes(APPLIES);
    if (!applied && !ids.some((id) => after.includes(id))) continue;
    const read = await readDagFile(change.path, after, options);
    if (after.includes(LOADS)) loaders.push(change.path);
    // The reader counts the proxying_to_dagster call itself as a possible DAG factory; it only swaps tasks.
    const lines = after.split('\n');
    if (applied && read.dynamic.some((dynamic) => !lines[dynamic.line - 1]?.includes(APPLIES))) dynamicIds = true;
    for (const dag of read.dags) dags.set(dag.dagId, { file: change.path, tasks: dag.tasks, partial: dag.partial, applied });
  }
  return { dags, loaders, dynamicIds };
}
