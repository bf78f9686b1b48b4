// Incremental parsing between similar texts. A push's modified file is read at both revisions,
// one right after the other, and the two texts differ in a few lines: tree-sitter reparses the
// second from the first's tree, edited, re-lexing only around the changes, instead of from scratch.
import type { Edit, Point, Tree } from 'web-tree-sitter';

/** Below this share of unchanged text, a fresh parse is as cheap as an incremental one. */
const MIN_SHARED = 0.5;
/** How many lines ahead a changed line is matched again before the rest counts as one change. */
const LOOKAHEAD = 8;

/** The last tree parsed without errors, and its text; one per parser. */
export class LastTree {
  private last: { readonly tree: Tree; readonly source: string } | null = null;

  /**
   * A copy of the last tree, edited to `source`, to parse `source` from; null when the texts share
   * too little. The caller deletes it after parsing.
   */
  editedFor(source: string): Tree | null {
    if (!this.last) return null;
    const old = this.last.source;
    const hunks = changedLines(old, source);
    const changed = hunks.reduce((sum, hunk) => sum + Math.max(hunk.oldEnd - hunk.oldStart, hunk.newEnd - hunk.newStart), 0);
    if (source.length - changed < MIN_SHARED * source.length) return null;
    const tree = this.last.tree.copy();
    // From the last change back: each edit's start and old end are then still positions in the old text.
    for (const hunk of hunks.reverse()) tree.edit(editOf(old, source, hunk));
    return tree;
  }

  /** Keeps `tree` (a copy the caller gives up) as the one to start from next; an erroneous tree is not kept. */
  remember(tree: Tree | null, source: string): void {
    this.last?.tree.delete();
    this.last = tree ? { tree, source } : null;
  }
}

/** A changed stretch: [oldStart, oldEnd) of the old text became [newStart, newEnd) of the new one. */
interface Hunk {
  readonly oldStart: number;
  readonly oldEnd: number;
  readonly newStart: number;
  readonly newEnd: number;
}

/**
 * The stretches of whole lines that differ, found greedily: identical lines are skipped, and a
 * differing one is matched again within LOOKAHEAD lines as an insertion, a deletion or a
 * replacement. Any split is correct for tree-sitter, which only needs every change inside an edit.
 */
function changedLines(old: string, source: string): Hunk[] {
  const a = lineStarts(old);
  const b = lineStarts(source);
  const lineA = (i: number): string => old.slice(a[i], a[i + 1]);
  const lineB = (j: number): string => source.slice(b[j], b[j + 1]);
  const countA = a.length - 1;
  const countB = b.length - 1;
  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  while (i < countA || j < countB) {
    if (i < countA && j < countB && lineA(i) === lineB(j)) {
      i++;
      j++;
      continue;
    }
    let skipA = countA - i;
    let skipB = countB - j;
    search: for (let k = 1; k <= LOOKAHEAD; k++) {
      for (const [da, db] of [[0, k], [k, 0], [k, k]] as const) {
        if (i + da < countA && j + db < countB && lineA(i + da) === lineB(j + db)) {
          skipA = da;
          skipB = db;
          break search;
        }
      }
    }
    hunks.push({ oldStart: a[i]!, oldEnd: a[i + skipA]!, newStart: b[j]!, newEnd: b[j + skipB]! });
    i += skipA;
    j += skipB;
  }
  return hunks;
}

/** Where each line starts, and the text's length last: line i is [starts[i], starts[i + 1]). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) starts.push(at + 1);
  if (starts.at(-1) !== text.length) starts.push(text.length);
  return starts;
}

/** One hunk as tree-sitter's edit, in old-text coordinates up to its start (later hunks are applied first). */
function editOf(old: string, source: string, hunk: Hunk): Edit {
  const startPosition = pointAt(old, hunk.oldStart);
  const inserted = source.slice(hunk.newStart, hunk.newEnd);
  return {
    startIndex: hunk.oldStart,
    oldEndIndex: hunk.oldEnd,
    newEndIndex: hunk.oldStart + inserted.length,
    startPosition,
    oldEndPosition: pointAt(old, hunk.oldEnd),
    newEndPosition: advance(startPosition, inserted),
  };
}

/** Row and column (UTF-16 units, as web-tree-sitter counts them) of a string index. */
function pointAt(text: string, index: number): Point {
  return advance({ row: 0, column: 0 }, text.slice(0, index));
}

function advance(from: Point, text: string): Point {
  const lastBreak = text.lastIndexOf('\n');
  if (lastBreak === -1) return { row: from.row, column: from.column + text.length };
  let rows = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) rows++;
  return { row: from.row + rows, column: text.length - lastBreak - 1 };
}
