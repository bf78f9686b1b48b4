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
  /**
   * Every folder at rev named `name` (at any depth) with the regular files directly in it, both in
   * the order `git ls-tree -r` lists them; a folder with no such file may be left out.
   */
  foldersNamed(rev: string, name: string): Promise<Map<string, string[]>>;
  /** Releases what reading held open (the git process); reading after it starts over. */
  close(): Promise<void>;
}

/** The paths in a path → object map that lie under folder, sorted. */
export function filesUnder(files: ReadonlyMap<string, unknown>, folder: string): string[] {
  const prefix = folder === '' ? '' : `${folder}/`;
  return [...files.keys()].filter((path) => path.startsWith(prefix)).sort();
}

/** foldersNamed, from a path → object map of every file at a revision, in tree order. */
export function foldersNamedIn(files: ReadonlyMap<string, unknown>, name: string): Map<string, string[]> {
  const folders = new Map<string, string[]>();
  for (const path of files.keys()) {
    const folder = path.slice(0, Math.max(path.lastIndexOf('/'), 0));
    if (folder.slice(folder.lastIndexOf('/') + 1) !== name) continue;
    const files = folders.get(folder);
    if (files) files.push(path);
    else folders.set(folder, [path]);
  }
  return folders;
}
