// The repository's own Python modules a DAG file imports, found and parsed before the file is
// interpreted (the interpreter is synchronous; reading a revision is not). Airflow puts the DAGs
// folder, and the plugins and config folders, on sys.path: `from common.tasks import notify` in
// `dags/x.py` is `dags/common/tasks.py`. Modules are only read and parsed here, never run.
import { importedModules } from './imports.js';
import type { ParsedModule, PythonParser } from './parser.js';

/**
 * The repository at one revision, as the reader may see it. A module's file is found by reading
 * the paths it could be at: nothing lists the whole revision, which a push of one file does not need.
 */
export interface HelperSource {
  /** Folders on sys.path, first match wins: the DAGs folder, plugins, config, the repository root (''). */
  readonly roots: readonly string[];
  /** The text of a file at the revision, or null when it has no such regular file. */
  read(path: string): Promise<string | null>;
}

/** A helper module, parsed; its dotted name is the key it is stored under. */
export interface HelperModule {
  readonly path: string;
  readonly source: string;
  readonly parsed: ParsedModule;
  /** An `__init__.py`: relative imports inside it start from the module itself. */
  readonly isPackage: boolean;
}

/** Most helper modules one DAG file may pull in, transitively. */
const MAX_MODULES = 32;
/** Most bytes of helper source one DAG file may pull in. */
const MAX_BYTES = 2 * 1024 * 1024;

/**
 * Per repository revision (helper source): each helper parsed, by path, as many DAG files import the
 * same helpers (their trees live until the parser is released, after the changes stage); and each
 * module name's file (null: not the repository's), as every DAG file imports airflow.
 */
interface RevisionCache {
  readonly parsed: Map<string, HelperModule | null>;
  readonly paths: Map<string, Promise<string | null>>;
}
const caches = new WeakMap<HelperSource, RevisionCache>();

function cacheOf(helpers: HelperSource): RevisionCache {
  let cache = caches.get(helpers);
  if (!cache) {
    cache = { parsed: new Map(), paths: new Map() };
    caches.set(helpers, cache);
  }
  return cache;
}

/**
 * The helper modules `entry` reaches through imports, by dotted name, parsed. Imports that are
 * not files of the repository (Airflow, the standard library, packages) are left alone.
 */
export async function loadHelpers(
  parser: PythonParser,
  entry: { readonly path: string; readonly parsed: ParsedModule; readonly source: string },
  helpers: HelperSource,
  deadline: number,
): Promise<Map<string, HelperModule>> {
  const found = new Map<string, HelperModule>();
  const queue: { readonly name: string; readonly path: string }[] = [];
  let bytes = 0;
  const enqueue = async (parsed: ParsedModule, source: string, own: string, isPackage: boolean): Promise<void> => {
    for (const imported of importedModules(parsed.importNodes(), source)) {
      const name = absoluteName(imported, own, isPackage);
      if (name === null || found.has(name) || queue.some((item) => item.name === name)) continue;
      const path = await modulePath(name, helpers);
      if (path !== null) queue.push({ name, path });
    }
  };
  await enqueue(entry.parsed, entry.source, moduleNameOf(entry.path, helpers.roots) ?? '', isPackagePath(entry.path));
  while (queue.length > 0 && found.size < MAX_MODULES) {
    const { name, path } = queue.shift()!;
    if (path === entry.path) continue;
    const module = await parseHelper(parser, helpers, path, deadline);
    if (!module || bytes + module.source.length > MAX_BYTES) continue;
    bytes += module.source.length;
    found.set(name, module);
    await enqueue(module.parsed, module.source, name, module.isPackage);
  }
  return found;
}

async function parseHelper(parser: PythonParser, helpers: HelperSource, path: string, deadline: number): Promise<HelperModule | null> {
  const cache = cacheOf(helpers).parsed;
  const cached = cache.get(path);
  if (cached !== undefined) return cached;
  const source = await helpers.read(path);
  const parsed = source === null ? null : parser.parse(source, deadline);
  // A parse cut short by the deadline is not cached: the next file has time of its own.
  if (source !== null && !parsed) return null;
  const module = parsed && source !== null ? { path, source, parsed, isPackage: isPackagePath(path) } : null;
  cache.set(path, module);
  return module;
}

/** `.x` / `..x` made absolute against the importing module; null when it climbs above the top. */
export function absoluteName(imported: string, own: string, isPackage: boolean): string | null {
  const dots = /^\.*/.exec(imported)![0].length;
  if (dots === 0) return imported;
  const parts = own ? own.split('.') : [];
  const packageParts = isPackage ? parts : parts.slice(0, -1);
  if (dots - 1 > packageParts.length) return null;
  const joined = [...packageParts.slice(0, packageParts.length - (dots - 1)), ...imported.slice(dots).split('.').filter(Boolean)].join('.');
  return joined || null;
}

/** The file a dotted module name is on the first root that has it, or null. */
function modulePath(name: string, helpers: HelperSource): Promise<string | null> {
  const { paths } = cacheOf(helpers);
  let path = paths.get(name);
  if (!path) {
    path = firstFile(name, helpers);
    paths.set(name, path);
  }
  return path;
}

async function firstFile(name: string, helpers: HelperSource): Promise<string | null> {
  const relative = name.split('.').join('/');
  for (const root of helpers.roots) {
    const base = root ? `${root}/${relative}` : relative;
    // Read, not listed: a found module is read next anyway, and the source keeps what it read.
    for (const path of [`${base}.py`, `${base}/__init__.py`]) if ((await helpers.read(path)) !== null) return path;
  }
  return null;
}

/** The dotted name a file is imported as from the first root it lies under. */
export function moduleNameOf(path: string, roots: readonly string[]): string | null {
  for (const root of roots) {
    if (root && !path.startsWith(`${root}/`)) continue;
    const relative = (root ? path.slice(root.length + 1) : path).replace(/\.py$/, '').replace(/(^|\/)__init__$/, '');
    return relative.split('/').filter(Boolean).join('.');
  }
  return null;
}

function isPackagePath(path: string): boolean {
  return /(^|\/)__init__\.py$/.test(path);
}
