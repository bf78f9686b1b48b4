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

/** Lists the revision's Python files once and reads each helper once, however many DAG files import it. */
export function helperSources(revisions: Revisions): (rev: string, dagsFolders: readonly string[]) => Promise<HelperSource> {
  const listings = new Map<string, Promise<ReadonlySet<string>>>();
  const texts = new Map<string, Promise<string | null>>();
  return async (rev, dagsFolders) => {
    let listing = listings.get(rev);
    if (!listing) {
      listing = revisions.listFiles(rev, '').then((paths) => new Set(paths.filter((path) => path.endsWith('.py'))));
      listings.set(rev, listing);
    }
    const files = await listing;
    return {
      files,
      roots: importRoots(dagsFolders),
      read: (path) => {
        const key = `${rev}\u0000${path}`;
        let text = texts.get(key);
        if (!text) {
          text = revisions.readFile(rev, path);
          texts.set(key, text);
        }
        return text;
      },
    };
  };
}
