// Imports: Airflow's names, the standard library and packages as opaque modules, and the
// repository's own helper modules, run once each (as `sys.modules` does) from their source.
import { absoluteName } from '../modules.js';
import type { PyNode } from '../parser.js';
import {
AIRFLOW_NAMES,
  FALSE,
  Scope,
  unknown,
  type AirflowName,
  type Value,
} from '../values.js';
import { Calls } from './calls.js';
import { projectCode, type Frame } from './program.js';

// `get_test_run`, which every Airflow system-test DAG ends with (imported from `tests.system.utils`,
// `tests_common.test_utils.system_tests` or `dev.tests_common...`): it returns a test runner and
// adds no task or edge.
const INERT_CALLABLE = /(^|\.)(tests\.system\.utils|tests_common\.test_utils\.system_tests)\.get_test_run$/;

export abstract class Imports extends Calls {
  protected execImport(node: PyNode, scope: Scope, frame: Frame): void {
    if (node.type === 'import_statement') {
      for (const name of this.kids(node)) {
        const dotted = name.type === 'aliased_import' ? this.field(name, 'name') : name;
        const alias = name.type === 'aliased_import' ? this.field(name, 'alias') : undefined;
        if (!dotted) continue;
        const path = this.text(dotted).replace(/\s+/g, '');
        // `import a.b` binds `a`; `import a.b as c` binds the submodule.
        const bound = alias ? path : path.split('.')[0]!;
        this.assignName(alias ? this.text(alias) : bound, this.namespace(bound) ?? this.moduleValue(bound), scope, frame);
      }
      return;
    }
    const moduleNode = this.field(node, 'module_name');
    const module = moduleNode ? this.text(moduleNode).replace(/\s+/g, '') : '';
    const helper = absoluteName(module, this.file.name, this.file.isPackage);
    const helperScope = helper === null ? null : this.loadHelper(helper);
    for (const name of this.kids(node)) {
      if (name.field !== 'name') continue;
      const imported = name.type === 'aliased_import' ? this.field(name, 'name') : name;
      const alias = name.type === 'aliased_import' ? this.field(name, 'alias') : undefined;
      if (!imported) continue;
      const importedName = this.text(imported);
      const value = (helper !== null && this.fromHelper(helper, helperScope, importedName)) || this.importedValue(module, importedName);
      this.assignName(alias ? this.text(alias) : importedName, value, scope, frame);
    }
  }

  /**
   * Runs a helper module once, as Python's import does, and returns its globals; null when it is
   * not a file of the repository. DAGs its top-level code makes belong to it, not to this file.
   */
  protected loadHelper(name: string): Scope | null {
    const cached = this.program.loaded.get(name);
    if (cached) return cached;
    const helper = this.program.helpers.get(name);
    if (!helper) return null;
    const interpreter = this.program.open({ parsed: helper.parsed, source: helper.source, name, isPackage: helper.isPackage });
    // Registered before it runs: an import cycle sees the module as far as it got, as in Python.
    this.program.loaded.set(name, interpreter.moduleScope);
    const dags = this.airflow.dags.length;
    const dynamic = this.airflow.dynamic.length;
    interpreter.run();
    this.airflow.dags.splice(dags);
    this.airflow.dynamic.splice(dynamic);
    return interpreter.moduleScope;
  }

  /** `from helper import name`: a global of the helper, or one of its submodules; undefined when neither. */
  protected fromHelper(helper: string, scope: Scope | null, name: string): Value | undefined {
    return projectCode(scope?.vars.get(name), helper) ?? this.namespace(`${helper}.${name}`);
  }

  /** A helper module or package folder as a value whose attributes are its globals and submodules. */
  protected namespace(name: string): Value | undefined {
    const scope = this.loadHelper(name);
    if (scope) return { kind: 'namespace', name, scope };
    // A folder without __init__.py (a namespace package) that holds helper modules.
    for (const key of this.program.helpers.keys()) if (key.startsWith(`${name}.`)) return { kind: 'namespace', name, scope: new Scope(null) };
    return undefined;
  }

  protected moduleValue(path: string): Value {
    if (path === 'airflow' || path.startsWith('airflow.')) return { kind: 'module', path };
    return { kind: 'unknown', reason: `\`${path}\` is imported`, module: path };
  }

  protected importedValue(module: string, name: string): Value {
    if (module === 'airflow' || module.startsWith('airflow.')) {
      if (AIRFLOW_NAMES.has(name)) return { kind: 'airflow', name: name as AirflowName };
      return { kind: 'module', path: `${module}.${name}` };
    }
    if (module === 'typing' && name === 'TYPE_CHECKING') return FALSE;
    if (INERT_CALLABLE.test(`${module}.${name}`)) return unknown(`\`${name}\` is imported from \`${module}\``);
    return { kind: 'unknown', reason: `\`${name}\` is imported from \`${module}\``, module };
  }
}
