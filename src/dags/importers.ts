// Which files import a module that a push changed, directly or through other
// files that were read. Airflow puts the DAGs folder on sys.path, so a file
// `dags/common/utils.py` is the module `common.utils`. Pure.
import type { DagFileRead } from '../model.js';
import { absoluteName } from './modules.js';

/** A file that imports a changed module, and the changed module it reaches. */
export interface ImportLink {
  readonly file: string;
  readonly module: string;
}

/**
 * Paths of the `reads` that import one of `changedModules` (dotted names, or
 * changed `.py` paths, which are turned into module names), sorted.
 */
export function findImporters(changedModules: readonly string[], reads: readonly DagFileRead[], dagsFolder: string): string[] {
  return findImportLinks(changedModules, reads, dagsFolder).map((link) => link.file);
}

/** Like findImporters, saying for each file which changed module it reaches. */
export function findImportLinks(changedModules: readonly string[], reads: readonly DagFileRead[], dagsFolder: string): ImportLink[] {
  const folder = normalize(dagsFolder);
  // Module name → the changed module it stands for; grows as importers are found.
  const affected = new Map<string, string>();
  for (const entry of changedModules) {
    for (const name of entry.endsWith('.py') || entry.includes('/') ? moduleNames(entry, folder) : [entry]) affected.set(name, name);
  }
  const links = new Map<string, string>();
  // Each round adds the files importing what is affected so far, then their own
  // modules; it ends when a round adds nothing.
  for (let grew = true; grew; ) {
    grew = false;
    for (const read of reads) {
      if (links.has(read.path)) continue;
      const hit = reachedModule(read, affected, folder);
      if (hit === undefined) continue;
      links.set(read.path, hit);
      for (const name of moduleNames(read.path, folder)) if (!affected.has(name)) affected.set(name, hit);
      grew = true;
    }
  }
  return [...links]
    .map(([file, module]) => ({ file, module }))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

function reachedModule(read: DagFileRead, affected: ReadonlyMap<string, string>, folder: string): string | undefined {
  const own = moduleNames(read.path, folder)[0] ?? '';
  const isPackage = /(^|\/)__init__\.py$/.test(read.path);
  for (const imported of read.imports) {
    const absolute = absoluteName(imported, own, isPackage);
    if (absolute === null) continue;
    // Importing `a.b.c` runs `a` and `a.b` too; `from a.b import c` lists `a.b.c`.
    for (let name = absolute; name; name = name.slice(0, Math.max(0, name.lastIndexOf('.')))) {
      const hit = affected.get(name);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}

/**
 * The module names a `.py` path can be imported as: relative to the DAGs folder
 * (on sys.path in Airflow) first, then relative to the repository root.
 */
function moduleNames(path: string, folder: string): string[] {
  const file = normalize(path);
  if (!file.endsWith('.py')) return [];
  const names: string[] = [];
  if (folder && file.startsWith(`${folder}/`)) names.push(toModule(file.slice(folder.length + 1)));
  else if (!folder) names.push(toModule(file));
  if (folder) names.push(toModule(file));
  return names.filter((name) => name !== '');
}

function toModule(relative: string): string {
  return relative
    .replace(/\.py$/, '')
    .replace(/(^|\/)__init__$/, '')
    .split('/')
    .filter(Boolean)
    .join('.');
}

function normalize(path: string): string {
  return path.replace(/\\/g, '/').replace(/^\.\//, '').replace(/\/+$/, '').replace(/^\.$/, '');
}
