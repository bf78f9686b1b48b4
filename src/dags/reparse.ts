// Incremental parsing between similar texts. A push's modified file is read at both revisions,
// one right after the other, and the two texts differ in a few lines: tree-sitter reparses the
// second from the first's tree, edited, re-lexing only around the change, instead of from scratch.
import type { Edit, Point, Tree } from 'web-tree-sitter';

/** Below this share of unchanged text, a fresh parse is as cheap as an incremental one. */
const MIN_SHARED = 0.5;

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
    const shortest = Math.min(old.length, source.length);
    let prefix = 0;
    while (prefix < shortest && old.charCodeAt(prefix) === source.charCodeAt(prefix)) prefix++;
    let suffix = 0;
    while (suffix < shortest - prefix && old.charCodeAt(old.length - 1 - suffix) === source.charCodeAt(source.length - 1 - suffix)) suffix++;
    if (prefix + suffix < MIN_SHARED * source.length) return null;
    const edit: Edit = {
      startIndex: prefix,
      oldEndIndex: old.length - suffix,
      newEndIndex: source.length - suffix,
      startPosition: pointAt(source, prefix),
      oldEndPosition: pointAt(old, old.length - suffix),
      newEndPosition: pointAt(source, source.length - suffix),
    };
    const tree = this.last.tree.copy();
    tree.edit(edit);
    return tree;
  }

  /** Keeps `tree` (a copy the caller gives up) as the one to start from next; an erroneous tree is not kept. */
  remember(tree: Tree | null, source: string): void {
    this.last?.tree.delete();
    this.last = tree ? { tree, source } : null;
  }
}

/** Row and column (UTF-16 units, as web-tree-sitter counts them) of a string index. */
function pointAt(text: string, index: number): Point {
  let row = 0;
  let lineStart = 0;
  for (let at = text.indexOf('\n'); at !== -1 && at < index; at = text.indexOf('\n', at + 1)) {
    row++;
    lineStart = at + 1;
  }
  return { row, column: index - lineStart };
}
