// Which changed files one Airflow instance loads as DAG files, at each of the
// two revisions, the way its DAG folder walk decides (airflow/utils/file.py:
// find_dag_file_paths): under the DAGs folder, not excluded by
// .airflowignore, a `.py` file that passes the safe-mode heuristic, or a zip
// archive. A push can make a file start or stop being a DAG file without
// touching it (an .airflowignore edit), so the decision is taken per revision.
import type { FileChange } from '../model.js';
import { compileIgnoreRules, IGNORE_FILE_NAME, type IgnoreFile, type IgnoreRules, type IgnoreSyntax } from './airflowignore.js';
import type { Revisions } from './revisions.js';

export interface DagFolders {
  /** Repository-relative folders that the instance's DAGs folder holds ('' or '.' for the repository root). */
  readonly dagsFolders: readonly string[];
  readonly ignoreSyntax: IgnoreSyntax;
  readonly airflowMajor: 2 | 3;
}

export interface DagFileChange {
  /**
   * The change as Airflow sees it: a file that became a DAG file is `added`,
   * one that stopped being one is `removed` (at its base path), whatever
   * happened to it in git.
   */
  readonly change: FileChange;
  /** The file's text at base if Airflow loads it as a DAG file there, else null. */
  readonly before: string | null;
  /** The file's text at head if Airflow loads it as a DAG file there, else null. */
  readonly after: string | null;
}

export interface ClassifiedChanges {
  readonly dagFiles: readonly DagFileChange[];
  /** Zip archives of DAGs that changed (Airflow loads them whole; their content is not read). */
  readonly archives: readonly FileChange[];
  /**
   * Changed `.py` files under a DAGs folder that are not DAG files at either
   * revision (helpers, and files .airflowignore excludes): DAG files that
   * import them may have changed.
   */
  readonly modules: readonly FileChange[];
  /** Changed paths that .airflowignore excludes. */
  readonly ignored: readonly string[];
  /** Invalid .airflowignore lines, which Airflow skips with a warning too. */
  readonly warnings: readonly string[];
}

/** Airflow's safe-mode heuristic (DAG_DISCOVERY_SAFE_MODE, on by default). */
export function mightContainDag(content: string, airflowMajor: 2 | 3): boolean {
  const lower = content.toLowerCase();
  if (!lower.includes('airflow')) return false;
  return lower.includes('dag') || (airflowMajor >= 3 && lower.includes('asset'));
}

/** A repository-relative folder without `./`, trailing `/` or `.`: '' for the root. */
export function normalizeFolder(folder: string): string {
  const trimmed = folder.replace(/^(?:\.\/)+/, '').replace(/\/+$/, '');
  return trimmed === '.' ? '' : trimmed;
}

/** Classifies the changes between base and head for one instance, reading each file at most once per revision. */
export async function classifyChanges(
  changes: readonly FileChange[],
  revisions: Revisions,
  base: string,
  head: string,
  folders: DagFolders,
): Promise<ClassifiedChanges> {
  const before = new RevisionView(revisions, base, folders);
  const after = new RevisionView(revisions, head, folders);
  const result = new Collector();
  const touched = new Set<string>();
  const ignoreFolders = new Set<string>();
  for (const change of changes) {
    for (const path of [basePathOf(change), headPathOf(change)]) {
      if (path === null) continue;
      touched.add(path);
      if (baseName(path) === IGNORE_FILE_NAME && after.rootOf(path) !== null) ignoreFolders.add(parentOf(path));
    }
  }
  const seen = await Promise.all(
    changes.map(async (change) => {
      const basePath = basePathOf(change);
      const headPath = headPathOf(change);
      return {
        change,
        base: basePath === null ? ABSENT : await before.see(basePath),
        head: headPath === null ? ABSENT : await after.see(headPath),
      };
    }),
  );
  for (const { change, base: atBase, head: atHead } of seen) result.add(change, atBase, atHead);

  // An .airflowignore that changed can add or drop files it did not touch.
  for (const folder of outermost(ignoreFolders)) {
    const [atBase, atHead] = await Promise.all([revisions.listFiles(base, folder), revisions.listFiles(head, folder)]);
    const untouched = [...new Set([...atBase, ...atHead])].filter((path) => !touched.has(path)).sort();
    const views = await Promise.all(untouched.map(async (path) => ({ path, base: await before.see(path), head: await after.see(path) })));
    for (const view of views) {
      if (isLoaded(view.base) !== isLoaded(view.head)) {
        result.add({ path: view.path, kind: isLoaded(view.head) ? 'added' : 'removed' }, view.base, view.head);
      }
    }
  }
  return result.finish([...before.warnings, ...after.warnings]);
}

/** Every DAG file and archive at rev, as `added`: the input of a full check. */
export async function listDagFiles(revisions: Revisions, rev: string, folders: DagFolders): Promise<ClassifiedChanges> {
  const view = new RevisionView(revisions, rev, folders);
  const listed = await Promise.all(folders.dagsFolders.map((folder) => revisions.listFiles(rev, normalizeFolder(folder))));
  const paths = [...new Set(listed.flat())].sort();
  const seen = await Promise.all(paths.map(async (path) => ({ path, head: await view.see(path) })));
  const result = new Collector();
  for (const { path, head } of seen) {
    if (isLoaded(head)) result.add({ path, kind: 'added' }, ABSENT, head);
    else if (head.kind === 'ignored') result.noteIgnored(path);
  }
  return result.finish(view.warnings);
}

/** How one revision's Airflow sees one path. */
type Seen =
  | { readonly kind: 'absent' } // not there, or outside the DAGs folders
  | { readonly kind: 'other' } // neither Python nor an archive
  | { readonly kind: 'ignored'; readonly python: boolean }
  | { readonly kind: 'dag'; readonly content: string }
  | { readonly kind: 'archive' }
  | { readonly kind: 'module' }; // Python the safe-mode heuristic passes over

const ABSENT: Seen = { kind: 'absent' };

function isLoaded(seen: Seen): boolean {
  return seen.kind === 'dag' || seen.kind === 'archive';
}

/** One revision as one instance's Airflow would walk it; .airflowignore rules are read once per folder. */
class RevisionView {
  readonly warnings = new Set<string>();
  private readonly roots: string[];
  private readonly rules = new Map<string, Promise<IgnoreRules>>();
  private readonly ignoreFiles = new Map<string, Promise<string | null>>();

  constructor(
    private readonly revisions: Revisions,
    private readonly rev: string,
    private readonly folders: DagFolders,
  ) {
    // Longest first: a file in nested DAGs folders belongs to the innermost.
    this.roots = [...new Set(folders.dagsFolders.map(normalizeFolder))].sort((a, b) => b.length - a.length);
  }

  rootOf(path: string): string | null {
    return this.roots.find((root) => root === '' || path.startsWith(`${root}/`)) ?? null;
  }

  /** path must exist at this revision (it comes from the diff or a listing of it). */
  async see(path: string): Promise<Seen> {
    const root = this.rootOf(path);
    if (root === null) return ABSENT;
    const type = fileType(path);
    if (type === 'other') return { kind: 'other' };
    const relative = root === '' ? path : path.slice(root.length + 1);
    const rules = await this.rulesFor(root, parentOf(relative));
    if (rules.ignores(relative)) return { kind: 'ignored', python: type === 'python' };
    if (type === 'archive') return { kind: 'archive' };
    const content = await this.revisions.readFile(this.rev, path);
    if (content === null) return ABSENT;
    return mightContainDag(content, this.folders.airflowMajor) ? { kind: 'dag', content } : { kind: 'module' };
  }

  /** The rules of every .airflowignore from the DAGs folder root down to folder (relative to the root). */
  private rulesFor(root: string, folder: string): Promise<IgnoreRules> {
    const key = `${root}\0${folder}`;
    let rules = this.rules.get(key);
    if (!rules) {
      rules = this.ignoreChain(root, folder).then((files) => {
        const compiled = compileIgnoreRules(this.folders.ignoreSyntax, files);
        for (const warning of compiled.warnings) this.warnings.add(root === '' ? warning : `${warning} (under ${root})`);
        return compiled;
      });
      this.rules.set(key, rules);
    }
    return rules;
  }

  private async ignoreChain(root: string, folder: string): Promise<IgnoreFile[]> {
    const parts = folder === '' ? [] : folder.split('/');
    const folders = [''];
    for (let depth = 1; depth <= parts.length; depth++) folders.push(parts.slice(0, depth).join('/'));
    const texts = await Promise.all(folders.map((relative) => this.ignoreFile([root, relative, IGNORE_FILE_NAME].filter((part) => part !== '').join('/'))));
    return folders.flatMap((relative, i) => {
      const text = texts[i];
      return text === null || text === undefined ? [] : [{ folder: relative, text }];
    });
  }

  private ignoreFile(path: string): Promise<string | null> {
    let text = this.ignoreFiles.get(path);
    if (!text) {
      text = this.revisions.readFile(this.rev, path);
      this.ignoreFiles.set(path, text);
    }
    return text;
  }
}

class Collector {
  private readonly dagFiles: DagFileChange[] = [];
  private readonly archives: FileChange[] = [];
  private readonly modules: FileChange[] = [];
  private readonly ignored = new Set<string>();

  noteIgnored(path: string): void {
    this.ignored.add(path);
  }

  add(change: FileChange, base: Seen, head: Seen): void {
    if (base.kind === 'ignored') this.noteIgnored(basePathOf(change) ?? change.path);
    if (head.kind === 'ignored') this.noteIgnored(change.path);
    if (base.kind === 'archive' || head.kind === 'archive') {
      this.archives.push(asSeen(change, base.kind === 'archive', head.kind === 'archive'));
    } else if (base.kind === 'dag' || head.kind === 'dag') {
      const before = base.kind === 'dag' ? base.content : null;
      const after = head.kind === 'dag' ? head.content : null;
      this.dagFiles.push({ change: asSeen(change, before !== null, after !== null), before, after });
    } else if (isPython(base) || isPython(head)) {
      this.modules.push(change);
    }
  }

  finish(warnings: Iterable<string>): ClassifiedChanges {
    return {
      dagFiles: this.dagFiles,
      archives: this.archives,
      modules: this.modules,
      ignored: [...this.ignored].sort(),
      warnings: [...new Set(warnings)],
    };
  }
}

function isPython(seen: Seen): boolean {
  return seen.kind === 'module' || (seen.kind === 'ignored' && seen.python);
}

/** The change restated by whether Airflow loads the file at each revision. */
function asSeen(change: FileChange, atBase: boolean, atHead: boolean): FileChange {
  if (atBase && atHead) return change;
  if (atBase) return { path: basePathOf(change) ?? change.path, kind: 'removed' };
  // A copy keeps its source: its DAGs are new ones, but the reader may want to say where they came from.
  return change.kind === 'copied' ? change : { path: change.path, kind: 'added' };
}

/** Where the file was at base: nowhere for an addition, and for a copy its source is still there, unchanged by it. */
function basePathOf(change: FileChange): string | null {
  if (change.kind === 'added' || change.kind === 'copied') return null;
  return change.previousPath ?? change.path;
}

function headPathOf(change: FileChange): string | null {
  return change.kind === 'removed' ? null : change.path;
}

function fileType(path: string): 'python' | 'archive' | 'other' {
  const name = baseName(path);
  if (name.endsWith('.py')) return 'python';
  // Airflow tests any file with zipfile.is_zipfile; reading every file to
  // find archives without the extension would cost more than it finds.
  if (name.toLowerCase().endsWith('.zip')) return 'archive';
  return 'other';
}

/** Keeps the folders no other folder in the set contains. */
function outermost(folders: ReadonlySet<string>): string[] {
  const sorted = [...folders].sort((a, b) => a.length - b.length);
  const kept: string[] = [];
  for (const folder of sorted) {
    if (!kept.some((outer) => outer === '' || folder === outer || folder.startsWith(`${outer}/`))) kept.push(folder);
  }
  return kept;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? '' : path.slice(0, slash);
}
