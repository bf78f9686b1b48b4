import type { FileChange } from '../model.js';

/**
 * Read access to two (or more) revisions of the repository, from the local
 * clone or from the GitHub API. Revisions are full commit ids; paths are
 * repository-relative and `/`-separated.
 */
export interface Revisions {
  readonly source: 'git' | 'github-api';
  /** What differs between the trees of base and head (not the commits between): renames and copies detected. */
  changedFiles(base: string, head: string): Promise<FileChange[]>;
  /** The file's text at rev, or null when rev has no such file. */
  readFile(rev: string, path: string): Promise<string | null>;
  /** Every file under folder ('' for the whole repository) at rev, sorted. */
  listFiles(rev: string, folder: string): Promise<string[]>;
  /** Releases what reading held open (the git process); reading after it starts over. */
  close(): Promise<void>;
}

/** The paths in a path → object map that lie under folder, sorted. */
export function filesUnder(files: ReadonlyMap<string, unknown>, folder: string): string[] {
  const prefix = folder === '' ? '' : `${folder}/`;
  return [...files.keys()].filter((path) => path.startsWith(prefix)).sort();
}
