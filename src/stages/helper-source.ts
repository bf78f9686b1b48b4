// The repository at one revision, as the DAG reader sees it when it follows a DAG file's imports
// into the project's own modules: its files, and the folders Airflow puts on sys.path.
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
 * Reads each helper once, however many DAG files import it (or look for it); the same source object
 * is handed out for the same revision and folders, so the reader can keep what it parsed. Nothing is
 * listed: a module is found by reading the paths it could be at.
 */
export function helperSources(revisions: Revisions): (rev: string, dagsFolders: readonly string[]) => HelperSource {
  const texts = new Map<string, Map<string, Promise<string | null>>>();
  const sources = new Map<string, HelperSource>();
  return (rev, dagsFolders) => {
    const key = [rev, ...dagsFolders].join('\u0000');
    let source = sources.get(key);
    if (!source) {
      let read = texts.get(rev);
      if (!read) {
        read = new Map();
        texts.set(rev, read);
      }
      source = sourceAt(revisions, rev, read, dagsFolders);
      sources.set(key, source);
    }
    return source;
  };
}

function sourceAt(revisions: Revisions, rev: string, texts: Map<string, Promise<string | null>>, dagsFolders: readonly string[]): HelperSource {
  return {
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
