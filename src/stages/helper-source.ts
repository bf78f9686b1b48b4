// The repository at one revision, as the DAG reader sees it when it follows a DAG file's imports
// into the project's own modules: the .py files there, and the folders Airflow puts on sys.path.
import type { Revisions } from '../changes/index.js';
import type { HelperSource } from '../dags/index.js';

/**
 * Airflow's sys.path: each DAGs folder, then the plugins and config folders next to it (both under
 * AIRFLOW_HOME by default), then the repository root (Astro projects import `include.*` from there).
 */
export function importRoots(dagsFolders: readonly string[]): string[] {
  const roots: string[] = [];
  for (const folder of dagsFolders) {
    const parent = folder.includes('/') ? folder.slice(0, folder.lastIndexOf('/')) : '';
    roots.push(folder, parent ? `${parent}/plugins` : 'plugins', parent ? `${parent}/config` : 'config');
  }
  roots.push('');
  return [...new Set(roots)];
}

/**
 * Lists the revision's Python files once and reads each helper once, however many DAG files import
 * it; the same source object is handed out for the same revision and folders, so the reader can
 * keep what it parsed.
 */
export function helperSources(revisions: Revisions): (rev: string, dagsFolders: readonly string[]) => Promise<HelperSource> {
  const listings = new Map<string, Promise<string[]>>();
  const sources = new Map<string, Promise<HelperSource>>();
  return (rev, dagsFolders) => {
    const key = [rev, ...dagsFolders].join('\u0000');
    let source = sources.get(key);
    if (!source) {
      let listing = listings.get(rev);
      if (!listing) {
        listing = revisions.listFiles(rev, '');
        listings.set(rev, listing);
      }
      source = listing.then((paths) => sourceAt(revisions, rev, paths, dagsFolders));
      sources.set(key, source);
    }
    return source;
  };
}

function sourceAt(revisions: Revisions, rev: string, paths: readonly string[], dagsFolders: readonly string[]): HelperSource {
  const texts = new Map<string, Promise<string | null>>();
  return {
    files: new Set(paths.filter((path) => path.endsWith('.py'))),
    roots: importRoots(dagsFolders),
    read: (path) => {
      let text = texts.get(path);
      if (!text) {
        text = revisions.readFile(rev, path);
        texts.set(path, text);
      }
      return text;
    },
  };
}
