// Reads one revision of one Python file into what it defines: DAG ids, task
// ids, edges, DAG ids that cannot be known statically, syntax errors, imports.
// Never throws and never runs long: hostile input comes back as a read with
// `skipped` or `syntaxErrors` set.
import type { DagDefinition, DagFileRead, DynamicDag, SyntaxProblem } from '../model.js';
import { toDefinition, type DagNode } from './graph.js';
import { importedModules } from './imports.js';
import { BudgetExceeded, startBudget } from './budget.js';
import { interpretDagFile } from './interpreter/statements.js';
import { loadHelpers, moduleNameOf, type HelperModule, type HelperSource } from './modules.js';
import { loadPythonParser, type ParsedModule, type PythonParser } from './parser.js';

export interface ReadOptions {
  /** Files larger than this (UTF-8 bytes) are skipped; default 1 MiB. */
  readonly maxBytes?: number;
  /** Parsing and reading together stop after this long; default 2 s. */
  readonly maxMillis?: number;
  /** The repository at the same revision: imports of its own modules are followed into them. */
  readonly helpers?: HelperSource;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;
const DEFAULT_MAX_MILLIS = 2000;
const MAX_SYNTAX_ERRORS = 20;

export async function readDagFile(path: string, source: string, options: ReadOptions = {}): Promise<DagFileRead> {
  let parser: PythonParser;
  try {
    parser = await loadPythonParser();
  } catch (error) {
    return skipped(path, `the Python parser could not be loaded: ${message(error)}`);
  }
  const { helpers } = options;
  if (!helpers) return readWith(parser, path, source, options);
  const job = prepare(path, source, options);
  if (!('deadline' in job)) return job;
  const module = parse(parser, job);
  if (!('root' in module)) return module;
  try {
    const loaded = await loadHelpers(parser, { path, parsed: module, source: job.text }, helpers, job.deadline);
    return interpret(job, module, loaded, moduleNameOf(path, helpers.roots) ?? '');
  } catch (error) {
    return failed(path, error);
  } finally {
    module.dispose();
  }
}

/** The synchronous core, for callers that already hold the parser; imports are not followed. */
export function readWith(parser: PythonParser, path: string, source: string, options: ReadOptions = {}): DagFileRead {
  const job = prepare(path, source, options);
  if (!('deadline' in job)) return job;
  const module = parse(parser, job);
  if (!('root' in module)) return module;
  try {
    return interpret(job, module, new Map(), '');
  } finally {
    module.dispose();
  }
}

interface Job {
  readonly path: string;
  /** The source without a byte order mark. */
  readonly text: string;
  readonly deadline: number;
  readonly maxMillis: number;
}

/** The file's text and deadline, or the read that skips it for its size. */
function prepare(path: string, source: string, options: ReadOptions): Job | DagFileRead {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const maxMillis = options.maxMillis ?? DEFAULT_MAX_MILLIS;
  // Each UTF-16 unit takes one to three UTF-8 bytes: count bytes only when it can matter.
  if (source.length > maxBytes || (source.length * 3 > maxBytes && Buffer.byteLength(source, 'utf8') > maxBytes)) {
    return skipped(path, `file is larger than ${maxBytes} bytes`);
  }
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  return { path, text, deadline: performance.now() + maxMillis, maxMillis };
}

/** The parse of the job's text, or the read that skips the file. */
function parse(parser: PythonParser, job: Job): ParsedModule | DagFileRead {
  try {
    return parser.parse(job.text, job.deadline) ?? skipped(job.path, `parsing took longer than ${job.maxMillis} ms`);
  } catch (error) {
    return failed(job.path, error);
  }
}

function interpret(job: Job, module: ParsedModule, helpers: ReadonlyMap<string, HelperModule>, name: string): DagFileRead {
  try {
    // Started here, after any helper was loaded: nothing else runs between this and the result.
    startBudget(job.deadline, job.maxMillis);
    return extract(module, job.path, job.text, helpers, name);
  } catch (error) {
    return failed(job.path, error);
  }
}

function failed(path: string, error: unknown): DagFileRead {
  if (error instanceof BudgetExceeded) return skipped(path, `not readable statically: ${error.message}`);
  // A bug in the reader must not stop the action: the file is reported, not read.
  return skipped(path, `the file could not be read: ${message(error)}`);
}

function extract(module: ParsedModule, path: string, source: string, helpers: ReadonlyMap<string, HelperModule>, name: string): DagFileRead {
  const made = interpretDagFile({ parsed: module, source, name, isPackage: /(^|\/)__init__\.py$/.test(path) }, helpers);

  const syntaxErrors: SyntaxProblem[] = module.hasError
    ? module.errorNodes(MAX_SYNTAX_ERRORS).map((error) => ({
        line: error.row + 1,
        column: error.column + 1,
        message: error.missing ? `missing \`${error.missing}\`` : `invalid syntax near \`${snippet(source, error.start)}\``,
      }))
    : [];

  // Airflow keeps the last DAG object of a given id in a file. When one of two DAGs with the
  // same id may not be created (each branch of an undecidable `if`), either shape may be the one.
  const byId = new Map<string, { readonly node: DagNode; readonly definition: DagDefinition }>();
  for (const dag of made.dags) {
    if (dag.id === null) continue;
    const previous = byId.get(dag.id);
    if (module.hasError || (previous && (previous.node.uncertainty > 0 || dag.uncertainty > 0))) dag.partial = true;
    byId.delete(dag.id);
    byId.set(dag.id, { node: dag, definition: toDefinition(dag, dag.id) });
  }
  return {
    path,
    dags: [...byId.values()].map((entry) => entry.definition).sort((a, b) => (a.dagId < b.dagId ? -1 : a.dagId > b.dagId ? 1 : 0)),
    dynamic: uniqueDynamic(made.dynamic),
    syntaxErrors,
    imports: importedModules(module.importNodes(), source),
  };
}

/** One entry per line and reason: a loop can reach the same constructor many times. */
function uniqueDynamic(entries: readonly DynamicDag[]): DynamicDag[] {
  const seen = new Map<string, DynamicDag>();
  for (const entry of entries) seen.set(`${entry.line}\u0000${entry.reason}`, entry);
  return [...seen.values()].sort((a, b) => a.line - b.line || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : 0));
}

/** The start of the offending line from the error on, short enough for a message. */
function snippet(source: string, start: number): string {
  const end = source.indexOf('\n', start);
  const text = source.slice(start, end < 0 ? undefined : end).trim();
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function skipped(path: string, reason: string): DagFileRead {
  return { path, dags: [], dynamic: [], syntaxErrors: [], imports: [], skipped: { reason } };
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
