// The revisions from the local clone in GITHUB_WORKSPACE. actions/checkout
// clones one commit deep by default, so the base of a push is usually
// missing: it is fetched from origin (with the token checkout persisted in the
// local git config), deepening history step by step only as far as needed.
import type { FileChange, FileChangeKind } from '../model.js';
import { CatFileBatch, GitError, runGit, splitNul } from './git-cli.js';
import type { CheckRange, CommitOrBranch, EventRange } from './range.js';
import { filesUnder, type Revisions } from './revisions.js';

export type DebugLog = (line: string) => void;

/** The local clone cannot answer (no repository, a commit missing and not fetchable): use the GitHub API. */
export class GitUnavailable extends Error {
  override readonly name = 'GitUnavailable';
}

/**
 * Which blob a path names at a revision, null when it is not a regular file there. A diff names
 * the blobs of every changed path; other paths (.airflowignore files, helper modules) are looked up
 * folder by folder; the whole tree is listed only when a caller lists files.
 */
export class GitRevisions implements Revisions {
  readonly source = 'git' as const;
  private readonly trees = new Map<string, Promise<Map<string, string>>>();
  /** Per revision, by path: the blobs a diff named (null: not a regular file at that revision). */
  private readonly named = new Map<string, Map<string, string | null>>();
  /** By tree id: a folder's entries, read through the batch. */
  private readonly folders = new Map<string, Promise<Map<string, TreeEntry>>>();
  /** By blob id: a file unchanged between the revisions, or read by two instances, is read once. */
  private readonly blobs = new Map<string, Promise<string | null>>();
  private readonly batch: CatFileBatch;

  constructor(readonly repoDir: string) {
    this.batch = new CatFileBatch(repoDir);
  }

  async changedFiles(base: string, head: string): Promise<FileChange[]> {
    // The batch starts while git diffs: every path the diff does not name (an .airflowignore) is
    // looked up from the revisions' root folders, asked for here.
    for (const rev of [base, head]) void this.folder(`${rev}^{tree}`, rev.length / 2).catch(() => undefined);
    // Two commits given: git compares their trees, whatever lies between. Renames are found (-M):
    // a moved file's DAGs are read at its old path too. Copies are not (-C): a copy is read as the
    // new file it is either way, and finding them compared every added file with every changed one,
    // 23 ms of a 500-file push here.
    const { stdout } = await runGit(
      ['diff', '--no-ext-diff', '--no-textconv', '--raw', '--no-abbrev', '-z', '-M', base, head, '--'],
      { cwd: this.repoDir },
    );
    const changes = parseRawDiff(splitNul(stdout));
    const atBase = this.namedAt(base);
    const atHead = this.namedAt(head);
    for (const { change, before, after } of changes) {
      if (change.kind !== 'added') atBase.set(change.previousPath ?? change.path, before);
      if (change.kind !== 'removed') atHead.set(change.path, after);
    }
    return changes.map((entry) => entry.change);
  }

  async readFile(rev: string, path: string): Promise<string | null> {
    const oid = await this.blobAt(rev, path);
    if (oid === null) return null;
    let blob = this.blobs.get(oid);
    if (!blob) {
      blob = this.batch.read(oid).then((content) => (content === null ? null : content.toString('utf8')));
      this.blobs.set(oid, blob);
    }
    return blob;
  }

  async listFiles(rev: string, folder: string): Promise<string[]> {
    return filesUnder(await this.tree(rev), folder);
  }

  /**
   * Walks the revision's tree objects through the batch, folders only: no file is listed, and a
   * second revision reads only the folders that differ (the rest are cached by object id).
   */
  async foldersNamed(rev: string, name: string): Promise<Map<string, string[]>> {
    const oidBytes = rev.length / 2;
    // Depth first in tree order, as `git ls-tree -r` lists them; siblings are read concurrently.
    const walk = async (object: string, path: string): Promise<[string, string[]][]> => {
      const entries = [...(await this.folder(object, oidBytes))];
      const own: [string, string[]][] = [];
      if (path !== '' && path.slice(path.lastIndexOf('/') + 1) === name) {
        const files = entries.filter(([, entry]) => entry.kind === 'file').map(([file]) => `${path}/${file}`);
        if (files.length) own.push([path, files]);
      }
      const inner = await Promise.all(entries.filter(([, entry]) => entry.kind === 'folder').map(([child, entry]) => walk(entry.oid, path ? `${path}/${child}` : child)));
      return [...own, ...inner.flat()];
    };
    return new Map(await walk(`${rev}^{tree}`, ''));
  }

  close(): Promise<void> {
    return this.batch.close();
  }

  private namedAt(rev: string): Map<string, string | null> {
    let named = this.named.get(rev);
    if (!named) {
      named = new Map();
      this.named.set(rev, named);
    }
    return named;
  }

  private async blobAt(rev: string, path: string): Promise<string | null> {
    const named = this.named.get(rev)?.get(path);
    if (named !== undefined) return named;
    const listed = this.trees.get(rev);
    if (listed) return (await listed).get(path) ?? null;
    // The repository's object ids are as long as the commit's: 40 hex digits (SHA-1) or 64 (SHA-256).
    const oidBytes = rev.length / 2;
    let folder = await this.folder(`${rev}^{tree}`, oidBytes);
    const parts = path.split('/');
    for (const [depth, name] of parts.entries()) {
      const entry = folder.get(name);
      if (!entry) return null;
      if (depth === parts.length - 1) return entry.kind === 'file' ? entry.oid : null;
      if (entry.kind !== 'folder') return null;
      folder = await this.folder(entry.oid, oidBytes);
    }
    return null;
  }

  /** A tree object's entries; `object` is a tree id or `<commit>^{tree}`. */
  private folder(object: string, oidBytes: number): Promise<Map<string, TreeEntry>> {
    let folder = this.folders.get(object);
    if (!folder) {
      folder = this.batch.read(object).then((content) => (content === null ? new Map() : parseTree(content, oidBytes)));
      this.folders.set(object, folder);
    }
    return folder;
  }

  /** Every regular file at rev with its blob id, from one `ls-tree`. */
  private tree(rev: string): Promise<Map<string, string>> {
    let tree = this.trees.get(rev);
    if (!tree) {
      tree = runGit(['ls-tree', '-r', '-z', '--full-tree', rev], { cwd: this.repoDir }).then(({ stdout }) => parseLsTree(splitNul(stdout)));
      this.trees.set(rev, tree);
    }
    return tree;
  }
}

const STATUS: Readonly<Record<string, FileChangeKind>> = { A: 'added', M: 'modified', T: 'modified', D: 'removed', R: 'renamed', C: 'copied' };

/** A changed path with the blob it names on each side (null: not a regular file on that side). */
export interface RawChange {
  readonly change: FileChange;
  readonly before: string | null;
  readonly after: string | null;
}

/**
 * Parses `git diff --raw --no-abbrev -z`: ":100644 100644 <oid> <oid> M\0path\0",
 * ":100644 100644 <oid> <oid> R087\0old\0new\0".
 */
export function parseRawDiff(fields: readonly string[]): RawChange[] {
  const changes: RawChange[] = [];
  for (let i = 0; i < fields.length; ) {
    const [srcMode = '', dstMode = '', srcOid = '', dstOid = '', status = ''] = (fields[i++] ?? '').replace(/^:/, '').split(' ');
    const kind = STATUS[status.charAt(0)];
    if (kind === undefined) throw new Error(`git diff reported an unknown status ${JSON.stringify(status)}`);
    const blobs = { before: isRegularFile(srcMode) ? srcOid : null, after: isRegularFile(dstMode) ? dstOid : null };
    if (kind === 'renamed' || kind === 'copied') {
      const previousPath = fields[i++] ?? '';
      const path = fields[i++] ?? '';
      changes.push({ change: { path, previousPath, kind }, ...blobs });
    } else {
      changes.push({ change: { path: fields[i++] ?? '', kind }, ...blobs });
    }
  }
  return changes;
}

// Regular and executable files only: symlinks and submodules are not files
// whose content Airflow would read from this tree.
function isRegularFile(mode: string): boolean {
  return mode === '100644' || mode === '100755';
}

function parseLsTree(entries: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of entries) {
    const tab = entry.indexOf('\t');
    const [mode = '', type, oid] = entry.slice(0, tab).split(' ');
    if (type === 'blob' && isRegularFile(mode) && oid !== undefined) files.set(entry.slice(tab + 1), oid);
  }
  return files;
}

type TreeEntry = { readonly kind: 'file' | 'folder' | 'other'; readonly oid: string };

/**
 * A tree object's raw content: per entry "<octal mode> <name>\0" and the object id in binary
 * (20 bytes with SHA-1, 32 with SHA-256). Written by hand: the format is a few lines of git's
 * documentation, and no maintained package reads it alone.
 */
function parseTree(content: Buffer, oidBytes: number): Map<string, TreeEntry> {
  const entries = new Map<string, TreeEntry>();
  for (let at = 0; at < content.length; ) {
    const space = content.indexOf(32, at);
    const nul = content.indexOf(0, space);
    const mode = content.toString('latin1', at, space);
    const oid = content.toString('hex', nul + 1, nul + 1 + oidBytes);
    entries.set(content.toString('utf8', space + 1, nul), { kind: isRegularFile(mode) ? 'file' : mode === '40000' ? 'folder' : 'other', oid });
    at = nul + 1 + oidBytes;
  }
  return entries;
}

/** History is deepened in these steps before a commit is fetched on its own. */
const DEEPEN_STEPS = [10, 100, 1000] as const;
const FETCH_TIMEOUT_MS = 120_000;

/**
 * Makes sure the clone has every commit the range needs, fetching what is
 * missing, and resolves a merge-base range to a diff or a full check.
 * Throws GitUnavailable when the clone cannot serve the range.
 */
export async function prepareGitRange(repoDir: string, range: Exclude<EventRange, { kind: 'skip' }>, log: DebugLog): Promise<CheckRange> {
  // Usually both commits are in the clone and base is an ancestor of head: then this one git
  // process settles the range. It exits 1 for "not an ancestor", both commits being there, and
  // 128 when a commit is missing or the folder is no clone, which the questions below tell apart.
  const ancestry = range.kind === 'diff' ? await isAncestor(repoDir, range.base, range.head).catch(() => undefined) : undefined;
  if (range.kind === 'diff' && ancestry === true) return settled(range, true, false, log);
  const bothThere = ancestry !== undefined;
  // Each question is a git process of its own: they are asked together.
  const [repo, hasHead, hasBase] = await Promise.all([
    LocalRepo.open(repoDir, log),
    // A folder git cannot run in is reported by open(), as GitUnavailable.
    bothThere || hasCommit(repoDir, range.head).catch(() => false),
    range.kind === 'diff' && (bothThere || hasCommit(repoDir, range.base).catch(() => false)),
  ]);
  switch (range.kind) {
    case 'full':
      await repo.require(range.head, hasHead);
      return range;
    case 'diff': {
      await repo.require(range.head, hasHead);
      if (repo.shallow && !range.forced && !hasBase) {
        // A push is usually a few commits on top of before: deepening head finds it.
        await repo.deepenUntil([range.head], () => repo.has(range.base), DEEPEN_STEPS.slice(0, 2));
      }
      await repo.require(range.base, hasBase);
      const ancestor = ancestry ?? (await repo.isAncestor(range.base, range.head));
      return settled(range, ancestor, repo.shallow, log);
    }
    case 'merge-base': {
      await repo.require(range.head, hasHead);
      const against = await repo.resolve(range.against);
      await repo.require(against);
      let base = await repo.mergeBase(range.head, against);
      if (base === null && repo.shallow) {
        await repo.deepenUntil([range.head, against], async () => (base = await repo.mergeBase(range.head, against)) !== null, DEEPEN_STEPS);
        if (base === null) {
          await repo.fetch(['--unshallow', 'origin', range.head, against]);
          base = await repo.mergeBase(range.head, against);
        }
      }
      if (base === null) {
        return { kind: 'full', head: range.head, event: range.event, reason: `${range.description}: no common history, so every DAG file is checked` };
      }
      return { kind: 'diff', base, head: range.head, forced: false, event: range.event };
    }
  }
}

/** A diff range, forced unless base is an ancestor of head; in a shallow clone "not an ancestor" may only mean "history cut off", and then the event's word stands. */
function settled(range: Extract<EventRange, { kind: 'diff' }>, ancestor: boolean, shallow: boolean, log: DebugLog): CheckRange {
  const forced = ancestor ? false : shallow ? range.forced : true;
  if (forced !== range.forced) log(`git: ${range.base.slice(0, 12)} is ${ancestor ? '' : 'not '}an ancestor of ${range.head.slice(0, 12)}`);
  return { ...range, forced };
}

/** The fetches and lookups prepareGitRange needs, on one clone. */
class LocalRepo {
  private constructor(
    private readonly dir: string,
    readonly shallow: boolean,
    private readonly log: DebugLog,
  ) {}

  static async open(dir: string, log: DebugLog): Promise<LocalRepo> {
    try {
      const { stdout } = await runGit(['rev-parse', '--is-shallow-repository'], { cwd: dir });
      return new LocalRepo(dir, stdout.toString('utf8').trim() === 'true', log);
    } catch (error) {
      throw new GitUnavailable(`${dir} is not a git clone (${messageOf(error)})`);
    }
  }

  has(commit: string): Promise<boolean> {
    return hasCommit(this.dir, commit);
  }

  /** Fetches commit alone when it is missing (known: whether it was there a moment ago); GitUnavailable when that fails. */
  async require(commit: string, known?: boolean): Promise<void> {
    if (known ?? (await this.has(commit))) return;
    // In a full clone a --depth fetch would make it shallow: fetch the commit with its history instead.
    await this.fetch([...(this.shallow ? ['--depth=1'] : []), 'origin', commit]);
    if (!(await this.has(commit))) throw new GitUnavailable(`commit ${commit} is not in the clone and could not be fetched from origin`);
  }

  async deepenUntil(commits: readonly string[], done: () => Promise<boolean>, steps: readonly number[]): Promise<void> {
    for (const depth of steps) {
      if (!(await this.fetch([`--depth=${depth}`, 'origin', ...commits]))) return;
      if (await done()) return;
    }
  }

  /** Fetches from origin; false (logged) when it fails. Never fetches tags or submodules. */
  async fetch(args: readonly string[]): Promise<boolean> {
    const command = ['fetch', '--no-tags', '--no-recurse-submodules', '--quiet', ...args];
    try {
      await runGit(command, { cwd: this.dir, timeoutMs: FETCH_TIMEOUT_MS });
      this.log(`git ${command.join(' ')}: done`);
      return true;
    } catch (error) {
      this.log(`git ${command.join(' ')}: ${messageOf(error)}`);
      return false;
    }
  }

  async resolve(revision: CommitOrBranch): Promise<string> {
    if (revision.kind === 'commit') return revision.sha;
    const local = await this.revParse(`refs/remotes/origin/${revision.name}`);
    if (local !== null) return local;
    if (await this.fetch([...(this.shallow ? ['--depth=1'] : []), 'origin', `refs/heads/${revision.name}`])) {
      const fetched = await this.revParse('FETCH_HEAD');
      if (fetched !== null) return fetched;
    }
    throw new GitUnavailable(`branch ${revision.name} is not in the clone and could not be fetched from origin`);
  }

  isAncestor(base: string, head: string): Promise<boolean> {
    return isAncestor(this.dir, base, head);
  }

  async mergeBase(a: string, b: string): Promise<string | null> {
    const { stdout, code } = await runGit(['merge-base', a, b], { cwd: this.dir, okCodes: [1] });
    return code === 0 ? stdout.toString('utf8').trim() : null;
  }

  private async revParse(name: string): Promise<string | null> {
    const { stdout, code } = await runGit(['rev-parse', '--verify', '--quiet', `${name}^{commit}`], { cwd: this.dir, okCodes: [1] });
    return code === 0 ? stdout.toString('utf8').trim() : null;
  }
}

async function isAncestor(dir: string, base: string, head: string): Promise<boolean> {
  const { code } = await runGit(['merge-base', '--is-ancestor', base, head], { cwd: dir, okCodes: [1] });
  return code === 0;
}

async function hasCommit(dir: string, commit: string): Promise<boolean> {
  const { code } = await runGit(['cat-file', '-e', `${commit}^{commit}`], { cwd: dir, okCodes: [1, 128] });
  return code === 0;
}

function messageOf(error: unknown): string {
  return error instanceof GitError || error instanceof Error ? error.message : String(error);
}
