// Airflow's .airflowignore rules, as its DAG folder walk applies them
// (airflow/utils/file.py in Airflow 2, module_loading/file_discovery.py in 3):
// - each folder's .airflowignore adds rules for what lies below that folder;
//   the walk prunes a folder matched by the rules gathered above it;
// - comments: everything from a `#` on (with the blanks before it) is removed,
//   then empty lines are skipped;
// - regexp: each line is searched (not matched) in the path relative to the
//   DAGs folder root, whichever folder the .airflowignore is in; no negation;
// - glob: gitignore syntax (negation with `!`, last matching rule wins across
//   all files, case-sensitive); a pattern with a slash at its start or middle
//   is relative to the .airflowignore's folder, any other matches a name at
//   any depth below it.
import ignore from 'ignore';

export type IgnoreSyntax = 'regexp' | 'glob';

export interface IgnoreFile {
  /** The folder holding the .airflowignore, relative to the DAGs folder root ('' for the root). */
  readonly folder: string;
  readonly text: string;
}

export interface IgnoreRules {
  /** Whether Airflow skips the file at this path (relative to the DAGs folder root). */
  ignores(path: string): boolean;
  /** Lines Airflow would skip as invalid, said the way its log says it. */
  readonly warnings: readonly string[];
}

export const IGNORE_FILE_NAME = '.airflowignore';

/** The rules of the given files, outermost folder first. */
export function compileIgnoreRules(syntax: IgnoreSyntax, files: readonly IgnoreFile[]): IgnoreRules {
  return syntax === 'glob' ? globRules(files) : regexpRules(files);
}

function patternLines(text: string): string[] {
  // Python reads the file with universal newlines.
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/\s*#.*/, ''))
    .filter((line) => line.length > 0);
}

function globRules(files: readonly IgnoreFile[]): IgnoreRules {
  const warnings: string[] = [];
  const matcher = ignore({ ignorecase: false });
  for (const file of files) {
    for (const pattern of patternLines(file.text)) {
      if (pattern.trim() === '/') {
        warnings.push(`Ignoring no-op glob pattern '/' from ${ignoreFilePath(file.folder)}`);
        continue;
      }
      matcher.add(scopeGlob(pattern, file.folder));
    }
  }
  // The paths are files: `ignore` tests each parent folder (as "a/b/") itself,
  // as Airflow's walk does when it prunes.
  return { ignores: (path) => matcher.ignores(path), warnings };
}

/**
 * Rewrites a pattern of a nested .airflowignore to the DAGs folder root, so
 * that one rule list in file order decides, and a rule cannot reach outside
 * the folder that defines it.
 */
export function scopeGlob(pattern: string, folder: string): string {
  if (folder === '') return pattern;
  const negated = pattern.startsWith('!');
  const body = negated ? pattern.slice(1) : pattern;
  const anchored = pattern.startsWith('/') || pattern.replace(/\/+$/, '').includes('/');
  const scoped = `${escapeGlob(folder)}${anchored ? '/' : '/**/'}${body.replace(/^\//, '')}`;
  return negated ? `!${scoped}` : scoped;
}

function escapeGlob(literal: string): string {
  return literal.replace(/[\\*?[\]]/g, '\\$&').replace(/^[!#]/, '\\$&');
}

interface RegexpRule {
  readonly folder: string;
  readonly regexp: RegExp;
}

function regexpRules(files: readonly IgnoreFile[]): IgnoreRules {
  const warnings: string[] = [];
  const rules: RegexpRule[] = [];
  for (const file of files) {
    for (const pattern of patternLines(file.text)) {
      try {
        rules.push({ folder: file.folder, regexp: pythonRegExp(pattern) });
      } catch (error) {
        warnings.push(`Ignoring invalid regex '${pattern}' from ${ignoreFilePath(file.folder)}: ${(error as Error).message}`);
      }
    }
  }
  const ignores = (path: string): boolean => {
    // Each folder on the way down, then the file, against the rules of the folders above it.
    const parts = path.split('/');
    for (let depth = 1; depth <= parts.length; depth++) {
      const candidate = parts.slice(0, depth).join('/');
      if (rules.some((rule) => isBelow(candidate, rule.folder) && rule.regexp.test(candidate))) return true;
    }
    return false;
  };
  return { ignores, warnings };
}

function isBelow(path: string, folder: string): boolean {
  return folder === '' || path.startsWith(`${folder}/`);
}

/**
 * A Python `re` pattern as a JavaScript RegExp: the syntax the two share,
 * plus named groups (`(?P<name>`, `(?P=name)`) and leading inline flags.
 * Anything else JavaScript rejects is reported as Airflow reports an invalid
 * pattern.
 */
export function pythonRegExp(pattern: string): RegExp {
  let source = pattern;
  let flags = '';
  const inline = /^\(\?([aiLmsux]+)\)/.exec(source);
  if (inline?.[1] !== undefined) {
    for (const flag of inline[1]) {
      if (flag === 'i' || flag === 'm' || flag === 's') flags += flag;
      else if (flag === 'x' || flag === 'L') throw new Error(`inline flag ${flag} is not supported`);
    }
    source = source.slice(inline[0].length);
  }
  source = source.replace(/\(\?P<(\w+)>/g, '(?<$1>').replace(/\(\?P=(\w+)\)/g, '\\k<$1>');
  return new RegExp(source, flags);
}

function ignoreFilePath(folder: string): string {
  return folder === '' ? IGNORE_FILE_NAME : `${folder}/${IGNORE_FILE_NAME}`;
}
