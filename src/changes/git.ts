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

export class GitRevisions implements Revisions {
  readonly source = 'git' as const;
  private readonly trees = new Map<string, Promise<Map<string, string>>>();
  /** By blob id: a file unchanged between the revisions, or read by two instances, is read once. */
  private readonly blobs = new Map<string, Promise<string | null>>();
  private readonly batch: CatFileBatch;

  constructor(readonly repoDir: string) {
    this.batch = new CatFileBatch(repoDir);
  }

  async changedFiles(base: string, head: string): Promise<FileChange[]> {
    // Two commits given: git compares their trees, whatever lies between.
    const { stdout } = await runGit(
      ['diff', '--no-ext-diff', '--no-textconv', '--name-status', '-z', '-M', '-C', base, head, '--'],
      { cwd: this.repoDir },
    );
    return parseNameStatus(splitNul(stdout));
  }

  async readFile(rev: string, path: string): Promise<string | null> {
    const oid = (await this.tree(rev)).get(path);
    if (oid === undefined) return null;
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

  close(): Promise<void> {
    return this.batch.close();
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

/** Parses `git diff --name-status -z`: "M\0path\0", "R087\0old\0new\0". */
export function parseNameStatus(fields: readonly string[]): FileChange[] {
  const changes: FileChange[] = [];
  for (let i = 0; i < fields.length; ) {
    const status = fields[i++] ?? '';
    const kind = STATUS[status.charAt(0)];
    if (kind === undefined) throw new Error(`git diff reported an unknown status ${JSON.stringify(status)}`);
    if (kind === 'renamed' || kind === 'copied') {
      const previousPath = fields[i++] ?? '';
      const path = fields[i++] ?? '';
      changes.push({ path, previousPath, kind });
    } else {
      changes.push({ path: fields[i++] ?? '', kind });
    }
  }
  return changes;
}

// Regular and executable files only: symlinks and submodules are not files
// whose content Airflow would read from this tree.
function parseLsTree(entries: readonly string[]): Map<string, string> {
  const files = new Map<string, string>();
  for (const entry of entries) {
    const tab = entry.indexOf('\t');
    const [mode, type, oid] = entry.slice(0, tab).split(' ');
    if (type === 'blob' && (mode === '100644' || mode === '100755') && oid !== undefined) files.set(entry.slice(tab + 1), oid);
  }
  return files;
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
  const repo = await LocalRepo.open(repoDir, log);
  switch (range.kind) {
    case 'full':
      await repo.require(range.head);
      return range;
    case 'diff': {
      await repo.require(range.head);
      if (repo.shallow && !range.forced && !(await repo.has(range.base))) {
        // A push is usually a few commits on top of before: deepening head finds it.
        await repo.deepenUntil([range.head], () => repo.has(range.base), DEEPEN_STEPS.slice(0, 2));
      }
      await repo.require(range.base);
      const ancestor = await repo.isAncestor(range.base, range.head);
      // In a shallow clone "not an ancestor" may only mean "history cut off": then the event's word stands.
      const forced = ancestor ? false : repo.shallow ? range.forced : true;
      if (forced !== range.forced) log(`git: ${range.base.slice(0, 12)} is ${ancestor ? '' : 'not '}an ancestor of ${range.head.slice(0, 12)}`);
      return { ...range, forced };
    }
    case 'merge-base': {
      await repo.require(range.head);
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

  async has(commit: string): Promise<boolean> {
    const { code } = await runGit(['cat-file', '-e', `${commit}^{commit}`], { cwd: this.dir, okCodes: [1, 128] });
    return code === 0;
  }

  /** Fetches commit alone when it is missing; GitUnavailable when that fails. */
  async require(commit: string): Promise<void> {
    if (await this.has(commit)) return;
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

  async isAncestor(base: string, head: string): Promise<boolean> {
    const { code } = await runGit(['merge-base', '--is-ancestor', base, head], { cwd: this.dir, okCodes: [1] });
    return code === 0;
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

function messageOf(error: unknown): string {
  return error instanceof GitError || error instanceof Error ? error.message : String(error);
}
