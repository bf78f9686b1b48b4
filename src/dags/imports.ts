// The modules a file imports, for finding the DAG files a changed helper module affects.
import type { PyNode } from './parser.js';

/**
 * Dotted module names from import statements, relative ones keeping their dots.
 * `from m import a` lists both `m` and `m.a`: `a` may be a submodule, and
 * listing a name that is not one costs nothing when matching changed files.
 */
export function importedModules(statements: readonly PyNode[], source: string): string[] {
  const text = (node: PyNode): string => source.slice(node.start, node.end).replace(/\s+/g, '');
  const modules = new Set<string>();
  for (const statement of statements) {
    if (statement.type === 'import_statement') {
      for (const name of statement.children) {
        const dotted = name.type === 'aliased_import' ? name.children.find((child) => child.field === 'name') : name;
        if (dotted?.type === 'dotted_name') modules.add(text(dotted));
      }
    } else if (statement.type === 'import_from_statement') {
      const moduleNode = statement.children.find((child) => child.field === 'module_name');
      if (!moduleNode) continue;
      const module = text(moduleNode);
      modules.add(module);
      for (const name of statement.children) {
        if (name.field !== 'name') continue;
        const dotted = name.type === 'aliased_import' ? name.children.find((child) => child.field === 'name') : name;
        if (dotted) modules.add(module.endsWith('.') ? `${module}${text(dotted)}` : `${module}.${text(dotted)}`);
      }
    }
  }
  return [...modules].sort();
}
