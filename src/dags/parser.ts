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
import { withLateTierUp } from './wasm-tiering.js';
import type { Language as TsLanguage, Node as TsNode, Parser as TsParser, Query as TsQuery, TreeCursor } from 'web-tree-sitter';

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
  const language = await withLateTierUp(async () => {
    await Parser.init({ wasmBinary: wasm('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm') });
    return Language.load(wasm('tree-sitter-python.wasm', 'tree-sitter-python/tree-sitter-python.wasm'));
  });
  const parser = new Parser();
  parser.setLanguage(language);
  const tables = symbolTables(language);
  // Compiling a query analyses the whole grammar (tens of ms): only a body left uncopied that
  // mentions `import` needs this one, and most reads have none.
  let importQuery: TsQuery | undefined;
  const imports = () => (importQuery ??= new Query(language, '[(import_statement) (import_from_statement)] @import'));
  return { parse: (source, deadline) => parse(parser, tables, imports, source, deadline) };
}

interface SymbolTables {
  readonly types: string[];
  readonly named: boolean[];
  readonly fields: (string | null)[];
  /** The grammar's id for `comment` nodes. */
  readonly comment: number;
}

function symbolTables(language: TsLanguage): SymbolTables {
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
  source: string,
  deadline: number,
): ParsedModule | null {
  parser.reset();
  const tree = parser.parse(source, null, {
    // web-tree-sitter cancels the parse when this returns true.
    progressCallback: (() => performance.now() > deadline) as () => void,
  });
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

/** Copies the subtree under the cursor, iteratively, so deep nesting cannot overflow the stack. */
function copy(cursor: TreeCursor, copier: Copier, field: string | null): PyNode {
  const { tables } = copier;
  const root = makeNode(cursor, tables, field);
  const parents: PyNode[] = [root];
  if (!cursor.gotoFirstChild()) return root;
  for (;;) {
    const parent = parents[parents.length - 1]!;
    const typeId = cursor.nodeTypeId;
    const fieldName = tables.fields[cursor.currentFieldId] ?? null;
    // Comments can sit between any two tokens (inside calls, lists, parentheses): they are never
    // values, so they never enter the tree, and no reader of it has to skip them.
    if ((tables.named[typeId] !== false || fieldName !== null) && typeId !== tables.comment) {
      const node = makeNode(cursor, tables, fieldName, typeId);
      parent.children.push(node);
      if (node.type === 'block' && DEFERRED_PARENTS.has(parent.type)) {
        node.pending = cursor.currentNode;
        copier.deferred.push(node);
      } else if (!isOpaqueLeaf(node, copier.source) && cursor.gotoFirstChild()) {
        if (parents.length < MAX_TREE_DEPTH) {
          if (node.type === 'import_statement' || node.type === 'import_from_statement') copier.imports.push(node);
          parents.push(node);
          continue;
        }
        cursor.gotoParent();
        node.truncated = true;
      }
    }
    while (!cursor.gotoNextSibling()) {
      parents.pop();
      if (parents.length === 0 || !cursor.gotoParent()) return root;
    }
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

function makeNode(cursor: TreeCursor, tables: SymbolTables, field: string | null, typeId = cursor.nodeTypeId): PyNode {
  return {
    type: tables.types[typeId] ?? 'ERROR',
    field,
    start: cursor.startIndex,
    end: cursor.endIndex,
    children: [],
    pending: null,
    truncated: false,
  };
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
