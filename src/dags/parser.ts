// Loads tree-sitter's Python grammar and turns a parse into a plain JS tree.
//
// Every property read on a web-tree-sitter node is a call into WebAssembly, so
// the syntax tree is copied once, with one cursor walk, into plain objects that
// the interpreter can read for free. Function and class bodies are not copied
// up front: most of them (task callables) are never run at parse time, and
// they are often the bulk of a DAG file. They are copied when first needed.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type * as TreeSitter from 'web-tree-sitter';
import type { Language as TsLanguage, Node as TsNode, Parser as TsParser, Query as TsQuery, Tree as TsTree, TreeCursor } from 'web-tree-sitter';
import { LastTree } from './reparse.js';
import { withLateTierUp } from './wasm-tiering.js';

const require = createRequire(import.meta.url);
// web-tree-sitter's ESM build breaks inside the ncc ESM bundle (its `import('module')` is
// rewritten), and ncc does not follow a createRequire'd require. So the build ships its CommonJS
// build next to dist/index.js with the two .wasm files, gzipped (scripts/finish-dist.mjs).
const RUNTIME = bundled('tree-sitter.cjs') ?? require.resolve('web-tree-sitter');

/** A syntax node, copied out of tree-sitter. `start`/`end` index the source string. */
export interface PyNode {
  readonly type: string;
  /** The field name this node has in its parent (`left`, `function`, ...), if any. */
  readonly field: string | null;
  readonly start: number;
  readonly end: number;
  /** Named children, plus anonymous ones that carry a field (operators). */
  readonly children: PyNode[];
  /** Set while the children of a function or class body are not copied yet. */
  pending: TsNode | null;
  /** True when the children were dropped because the tree is nested too deeply. */
  truncated: boolean;
}

/** One parse of one file; `dispose()` frees the WebAssembly tree. */
export interface ParsedModule {
  readonly root: PyNode;
  /** True when tree-sitter found ERROR or MISSING nodes. */
  readonly hasError: boolean;
  /** The children of a node, copying a pending body on first use. */
  children(node: PyNode): readonly PyNode[];
  /** The import statements anywhere in the file, bodies included. */
  importNodes(): PyNode[];
  /** ERROR and MISSING nodes, at most `limit`, in source order. */
  errorNodes(limit: number): { start: number; row: number; column: number; missing: string | null }[];
  dispose(): void;
}

export interface PythonParser {
  /**
   * Parses `source`; returns null when parsing ran past `deadline`
   * (a `performance.now()` value).
   */
  parse(source: string, deadline: number): ParsedModule | null;
}

/** Nesting beyond this is not copied: no DAG file needs it, and it bounds the interpreter's recursion. */
const MAX_TREE_DEPTH = 400;

// Bodies that may never run at parse time: copied only when the interpreter enters them.
const DEFERRED_PARENTS = new Set(['function_definition', 'class_definition']);

let loading: Promise<PythonParser> | undefined;

/** Loads the grammar once; every later call returns the same parser, until it is released. */
export function loadPythonParser(): Promise<PythonParser> {
  loading ??= load();
  return loading;
}

/**
 * Lets the parser's WebAssembly memory be collected: 32 MB or more that WebAssembly never shrinks,
 * and the action reads no Python after the changes stage. The runtime keeps its instance in module
 * state, so the module leaves the require cache too (load() required it through a require of its
 * own, whose module is the only other holder); a later load starts afresh.
 */
export function releasePythonParser(): void {
  loading = undefined;
  delete require.cache[RUNTIME];
}

/** A file the build placed next to dist/index.js; undefined when the sources run (tests), not the bundle. */
function bundled(fileName: string): string | undefined {
  const file = join(dirname(fileURLToPath(import.meta.url)), fileName);
  return existsSync(file) ? file : undefined;
}

/** The bundle ships the WebAssembly gzipped (a third of the size); the sources read it from node_modules. */
function wasm(fileName: string, packagePath: string): Uint8Array {
  const packed = bundled(`${fileName}.gz`);
  return packed ? gunzipSync(readFileSync(packed)) : readFileSync(require.resolve(packagePath));
}

async function load(): Promise<PythonParser> {
  const { Parser, Language, Query } = createRequire(import.meta.url)(RUNTIME) as typeof TreeSitter;
  // Emscripten turns the options object into the module itself: it is how the walk reaches the exports.
  const module: { wasmBinary: Uint8Array } & Partial<Binding> = { wasmBinary: wasm('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm') };
  const language = await withLateTierUp(async () => {
    await Parser.init(module);
    return Language.load(wasm('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'));
  });
  const binding = bindingOf(module);
  const parser = new Parser();
  parser.setLanguage(language);
  const tables = { ...symbolTables(language), binding };
  // Compiling a query analyses the whole grammar (tens of ms): only a body left uncopied that
  // mentions `import` needs this one, and most reads have none.
  let importQuery: TsQuery | undefined;
  const imports = () => (importQuery ??= new Query(language, '[(import_statement) (import_from_statement)] @import'));
  const last = new LastTree();
  return { parse: (source, deadline) => parse(parser, tables, imports, last, source, deadline) };
}

/**
 * The runtime's own cursor exports. web-tree-sitter's TreeCursor copies the cursor's four words
 * into a transfer buffer before every call and back after every move, through `setValue` and
 * `getValue`: most of the cost of copying a tree. The exports read the cursor from that buffer
 * and write each move back to it, so a walk that makes no other call in between can leave the
 * cursor there and call them directly (`walk` syncs the TreeCursor object around other calls).
 */
interface Binding {
  readonly HEAP32: Int32Array;
  readonly transferBuffer: number;
  _ts_init(): number;
  _ts_tree_cursor_current_node_type_id_wasm(tree: number): number;
  _ts_tree_cursor_current_field_id_wasm(tree: number): number;
  _ts_tree_cursor_start_index_wasm(tree: number): number;
  _ts_tree_cursor_end_index_wasm(tree: number): number;
  _ts_tree_cursor_goto_first_child_wasm(tree: number): number;
  _ts_tree_cursor_goto_next_sibling_wasm(tree: number): number;
  _ts_tree_cursor_goto_parent_wasm(tree: number): number;
}

const BINDING_EXPORTS = [
  '_ts_init',
  '_ts_tree_cursor_current_node_type_id_wasm',
  '_ts_tree_cursor_current_field_id_wasm',
  '_ts_tree_cursor_start_index_wasm',
  '_ts_tree_cursor_end_index_wasm',
  '_ts_tree_cursor_goto_first_child_wasm',
  '_ts_tree_cursor_goto_next_sibling_wasm',
  '_ts_tree_cursor_goto_parent_wasm',
] as const;

function bindingOf(module: Partial<Binding>): Binding {
  const missing = BINDING_EXPORTS.filter((name) => typeof module[name] !== 'function');
  if (missing.length > 0) throw new Error(`web-tree-sitter does not export ${missing.join(', ')}: the build pins a version that does`);
  // ts_init() returns the address of the static transfer buffer (and only writes its first words).
  return Object.assign(module, { transferBuffer: module._ts_init!() }) as Binding;
}

interface SymbolTables {
  readonly types: string[];
  readonly named: boolean[];
  readonly fields: (string | null)[];
  /** The grammar's id for `comment` nodes. */
  readonly comment: number;
  readonly binding: Binding;
}

function symbolTables(language: TsLanguage): Omit<SymbolTables, 'binding'> {
  const types: string[] = [];
  const named: boolean[] = [];
  for (let id = 0; id < language.nodeTypeCount; id++) {
    types.push(language.nodeTypeForId(id) ?? '');
    named.push(language.nodeTypeIsNamed(id));
  }
  const fields: (string | null)[] = [null];
  for (let id = 1; id <= language.fieldCount; id++) fields.push(language.fieldNameForId(id));
  return { types, named, fields, comment: language.idForNodeType('comment', true) ?? -1 };
}

function parse(
  parser: TsParser,
  tables: SymbolTables,
  importQuery: () => TsQuery,
  last: LastTree,
  source: string,
  deadline: number,
): ParsedModule | null {
  const tree = parseFrom(parser, last, source, deadline);
  if (!tree) return null;
  try {
    const rootNode = tree.rootNode;
    const copier: Copier = { tables, source, imports: [], deferred: [] };
    const root = copyFrom(rootNode, copier, null);
    const hasError = rootNode.hasError;
    let disposed = false;
    return {
      root,
      hasError,
      children(node) {
        if (node.pending && !disposed) {
          const pending = node.pending;
          node.pending = null;
          // A body gets a fresh depth budget: calls into it are bounded separately.
          const copied = copyFrom(pending, copier, node.field);
          node.children.push(...copied.children);
          node.truncated = copied.truncated;
        }
        return node.children;
      },
      importNodes() {
        // Imports in copied code were collected while copying; bodies never
        // copied are searched by tree-sitter itself, and only when they can hold one.
        const found = [...copier.imports];
        for (const body of copier.deferred) {
          if (!body.pending || !source.slice(body.start, body.end).includes('import')) continue;
          for (const capture of importQuery().captures(body.pending)) found.push(copyFrom(capture.node, copier, null));
        }
        return found.sort((a, b) => a.start - b.start);
      },
      errorNodes(limit) {
        return findErrors(rootNode, limit);
      },
      dispose() {
        if (!disposed) {
          disposed = true;
          tree.delete();
        }
      },
    };
  } catch (error) {
    tree.delete();
    throw error;
  }
}

/** The tree of `source`, from the last tree when the texts are alike; null past the deadline. */
function parseFrom(parser: TsParser, last: LastTree, source: string, deadline: number): TsTree | null {
  // web-tree-sitter cancels the parse when this returns true.
  const options = { progressCallback: (() => performance.now() > deadline) as () => void };
  const old = last.editedFor(source);
  parser.reset();
  let tree = parser.parse(source, old, options);
  old?.delete();
  // Error recovery may settle differently from an edited tree than from scratch: an erroneous
  // text is parsed afresh, so its syntax errors are the ones a fresh parse reports.
  if (tree && old && tree.rootNode.hasError) {
    tree.delete();
    parser.reset();
    tree = parser.parse(source, null, options);
  }
  last.remember(tree && !tree.rootNode.hasError ? tree.copy() : null, source);
  return tree;
}

interface Copier {
  readonly tables: SymbolTables;
  readonly source: string;
  /** Import statements met while copying. */
  readonly imports: PyNode[];
  /** Bodies left uncopied, some of which may stay so. */
  readonly deferred: PyNode[];
}

function copyFrom(node: TsNode, copier: Copier, field: string | null): PyNode {
  const cursor = node.walk();
  try {
    return copy(cursor, copier, field);
  } finally {
    cursor.delete();
  }
}

/**
 * Copies the subtree under the cursor, iteratively, so deep nesting cannot overflow the stack.
 * `cursor` was just made by `walk()`, so the transfer buffer holds it; it is synced back to the
 * object before any call through web-tree-sitter's own API, and when the walk ends.
 */
function copy(cursor: TreeCursor, copier: Copier, field: string | null): PyNode {
  const { tables } = copier;
  const b = tables.binding;
  const tree = (cursor as unknown as { tree: { [0]: number } }).tree[0];
  const words = b.transferBuffer >> 2;
  const handle = cursor as unknown as number[];
  const save = (): void => {
    for (let i = 0; i < 4; i++) handle[i] = b.HEAP32[words + i]!;
  };
  const restore = (): void => {
    for (let i = 0; i < 4; i++) b.HEAP32[words + i] = handle[i]!;
  };
  const makeNode = (fieldName: string | null, typeId: number): PyNode => ({
    type: tables.types[typeId] ?? 'ERROR',
    field: fieldName,
    start: b._ts_tree_cursor_start_index_wasm(tree),
    end: b._ts_tree_cursor_end_index_wasm(tree),
    children: [],
    pending: null,
    truncated: false,
  });
  try {
    const root = makeNode(field, b._ts_tree_cursor_current_node_type_id_wasm(tree));
    const parents: PyNode[] = [root];
    if (!b._ts_tree_cursor_goto_first_child_wasm(tree)) return root;
    for (;;) {
      const parent = parents[parents.length - 1]!;
      const typeId = b._ts_tree_cursor_current_node_type_id_wasm(tree);
      const fieldName = tables.fields[b._ts_tree_cursor_current_field_id_wasm(tree)] ?? null;
      // Comments can sit between any two tokens (inside calls, lists, parentheses): they are never
      // values, so they never enter the tree, and no reader of it has to skip them.
      if ((tables.named[typeId] !== false || fieldName !== null) && typeId !== tables.comment) {
        const node = makeNode(fieldName, typeId);
        parent.children.push(node);
        if (node.type === 'block' && DEFERRED_PARENTS.has(parent.type)) {
          save();
          node.pending = cursor.currentNode;
          restore();
          copier.deferred.push(node);
        } else if (!isOpaqueLeaf(node, copier.source) && b._ts_tree_cursor_goto_first_child_wasm(tree)) {
          if (parents.length < MAX_TREE_DEPTH) {
            if (node.type === 'import_statement' || node.type === 'import_from_statement') copier.imports.push(node);
            parents.push(node);
            continue;
          }
          b._ts_tree_cursor_goto_parent_wasm(tree);
          node.truncated = true;
        }
      }
      while (!b._ts_tree_cursor_goto_next_sibling_wasm(tree)) {
        parents.pop();
        if (parents.length === 0 || !b._ts_tree_cursor_goto_parent_wasm(tree)) return root;
      }
    }
  } finally {
    save();
  }
}

/**
 * Nodes whose text says all: string contents, and whole string literals
 * without interpolation, which the interpreter decodes from the source.
 */
function isOpaqueLeaf(node: PyNode, source: string): boolean {
  if (node.type === 'string_content') return true;
  if (node.type !== 'string') return false;
  const prefix = /^[A-Za-z]*/.exec(source.slice(node.start, node.start + 4))![0];
  return !/[fFtT]/.test(prefix);
}

function findErrors(root: TsNode, limit: number): { start: number; row: number; column: number; missing: string | null }[] {
  const found: { start: number; row: number; column: number; missing: string | null }[] = [];
  // Only subtrees that contain an error are entered, so this stays cheap on big files.
  const stack: TsNode[] = [root];
  while (stack.length > 0 && found.length < limit) {
    const node = stack.pop()!;
    if (node.isMissing || node.type === 'ERROR') {
      found.push({
        start: node.startIndex,
        row: node.startPosition.row,
        column: node.startPosition.column,
        missing: node.isMissing ? node.type : null,
      });
      // Errors nested in an error say nothing new.
      continue;
    }
    if (!node.hasError) continue;
    const children = node.children;
    for (let i = children.length - 1; i >= 0; i--) {
      const child = children[i];
      if (child && (child.hasError || child.isMissing)) stack.push(child);
    }
  }
  return found.sort((a, b) => a.start - b.start);
}
