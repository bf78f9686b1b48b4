// Where a file Airflow names lives in the repository. Airflow 3 names files
// relative to the DAG bundle: the instance's DAGs folder in the repo, or the
// repository root for a git bundle without subdir.
// Airflow 2 names them by absolute path in its container: the container's
// DAGs folder (airflow-dags-prefix) is stripped, or detected as the prefix that
// makes the most paths land on DAG files the repository has. Pure functions.
import path from 'node:path/posix';
import type { ApiVersion, LiveDag } from './client.js';

export interface FileMappingInput {
  readonly apiVersion: ApiVersion;
  /** The instance's DAGs folders, relative to the repository root. */
  readonly dagsFolders: readonly string[];
  /** Airflow 2: the container folder fileloc starts with; undefined = detect. */
  readonly dagsPrefix?: string;
  /** DAG files the repository has (head), relative to its root. */
  readonly knownFiles: ReadonlySet<string>;
}

export interface FileMapper {
  /** Airflow 2: the container prefix in use (given or detected); undefined when none was found. */
  readonly dagsPrefix?: string;
  /** The repository path of a DAG's file, or undefined when it is outside the DAGs folder. */
  dagFile(dag: LiveDag): string | undefined;
  /** The repository path of an import error's (or any) Airflow file name. */
  airflowFile(filename: string): string | undefined;
}

export function createFileMapper(input: FileMappingInput, live: readonly LiveDag[]): FileMapper {
  const folders = input.dagsFolders.length > 0 ? input.dagsFolders.map(normalize) : [''];
  const inRepo = (relative: string): string => {
    const candidates = folders.map((folder) => normalize(path.join(folder, relative)));
    // A git bundle of the whole repository (no subdir) names files from its root: dags/etl.py.
    const fromRoot = normalize(relative);
    const rootIsBundle = input.knownFiles.has(fromRoot) || folders.some((folder) => folder !== '' && fromRoot.startsWith(`${folder}/`));
    return candidates.find((candidate) => input.knownFiles.has(candidate)) ?? (rootIsBundle ? fromRoot : candidates[0]!);
  };
  if (input.apiVersion === 'v2') {
    return {
      dagFile: (dag) => (dag.relativeFileloc === undefined ? undefined : inRepo(dag.relativeFileloc)),
      airflowFile: (filename) => (path.isAbsolute(filename) ? undefined : inRepo(filename)),
    };
  }
  const prefix =
    input.dagsPrefix === undefined
      ? detectDagsPrefix(
          live.map((dag) => dag.fileloc),
          folders,
          input.knownFiles,
        )
      : input.dagsPrefix.replace(/\/+$/, '');
  const strip = (filename: string): string | undefined => {
    if (prefix === undefined || !filename.startsWith(`${prefix}/`)) return undefined;
    return inRepo(filename.slice(prefix.length + 1));
  };
  return {
    ...(prefix === undefined ? {} : { dagsPrefix: prefix }),
    dagFile: (dag) => strip(dag.fileloc),
    airflowFile: strip,
  };
}

/**
 * The container folder that, stripped from the most absolute paths, leaves a
 * path that one of the DAGs folders holds; the longest such folder on a tie.
 */
export function detectDagsPrefix(
  filelocs: readonly string[],
  dagsFolders: readonly string[],
  knownFiles: ReadonlySet<string>,
): string | undefined {
  const folders = dagsFolders.length > 0 ? dagsFolders.map(normalize) : [''];
  const relative = new Set<string>();
  for (const file of knownFiles) {
    for (const folder of folders) {
      if (folder === '') relative.add(normalize(file));
      else if (file.startsWith(`${folder}/`)) relative.add(file.slice(folder.length + 1));
    }
  }
  const votes = new Map<string, number>();
  for (const fileloc of new Set(filelocs)) {
    for (let slash = fileloc.indexOf('/'); slash >= 0; slash = fileloc.indexOf('/', slash + 1)) {
      if (relative.has(fileloc.slice(slash + 1))) {
        const prefix = fileloc.slice(0, slash);
        votes.set(prefix, (votes.get(prefix) ?? 0) + 1);
      }
    }
  }
  let best: string | undefined;
  for (const [prefix, count] of votes) {
    const bestCount = best === undefined ? 0 : votes.get(best)!;
    if (count > bestCount || (count === bestCount && prefix.length > best!.length)) best = prefix;
  }
  return best;
}

function normalize(file: string): string {
  const clean = path.normalize(file.replace(/\\/g, '/')).replace(/^\.(\/|$)/, '').replace(/\/+$/, '');
  return clean === '.' ? '' : clean;
}
