// A Dagster components project whose defs folder holds one dagster-airlift AirflowInstanceComponent,
// as `dg scaffold defs dagster_airlift.core.components.AirflowInstanceComponent` lays it out: served by
// the webserver's own code server through a python_module entry.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { runCommand } from './processes.js';

/** DefsStateManagementType (dagster_shared/serdes/objects/models/defs_state_info.py); undefined: the component's default. */
export type DefsStateManagement = 'LOCAL_FILESYSTEM' | 'VERSIONED_STATE_STORAGE' | 'LEGACY_CODE_SERVER_SNAPSHOTS';

export interface ComponentProject {
  /** The project's folder (its pyproject.toml), the code location's working directory. */
  readonly root: string;
  /** The module the workspace entry loads. */
  readonly module: string;
}

export function writeComponentProject(options: {
  home: string;
  location: string;
  instance: string;
  airflowUrl: string;
  username: string;
  password: string;
  defsState?: DefsStateManagement;
}): ComponentProject {
  const pkg = options.location;
  const root = path.join(options.home, pkg);
  const defs = path.join(root, pkg, 'defs', 'airflow');
  mkdirSync(defs, { recursive: true });
  writeFileSync(
    path.join(root, 'pyproject.toml'),
    [`[project]`, `name = ${JSON.stringify(pkg)}`, `version = "0.0.0"`, '', '[tool.dg]', 'directory_type = "project"', '', '[tool.dg.project]', `root_module = ${JSON.stringify(pkg)}`, ''].join('\n'),
  );
  writeFileSync(path.join(root, pkg, '__init__.py'), '');
  writeFileSync(path.join(root, pkg, 'defs', '__init__.py'), '');
  writeFileSync(
    path.join(root, pkg, 'definitions.py'),
    ['from pathlib import Path', '', 'import dagster as dg', '', '', '@dg.definitions', 'def defs():', '    return dg.load_from_defs_folder(path_within_project=Path(__file__).parent)', ''].join('\n'),
  );
  const attributes: Record<string, unknown> = {
    name: options.instance,
    auth: { type: 'basic_auth', webserver_url: options.airflowUrl, username: options.username, password: options.password },
    ...(options.defsState ? { defs_state: { management_type: options.defsState } } : {}),
  };
  writeFileSync(path.join(defs, 'defs.yaml'), stringify({ type: 'dagster_airlift.core.components.AirflowInstanceComponent', attributes }));
  return { root, module: `${pkg}.definitions` };
}

// What `dg utils refresh-defs-state` does at image build (dagster-dg-cli, not installed here): load
// the project's component tree and make each state-backed component fetch and store its state, in the
// instance's defs_state_storage (VERSIONED_STATE_STORAGE) or the project's .local_defs_state (LOCAL_FILESYSTEM).
const REFRESH_DEFS_STATE = `
import asyncio, sys
from pathlib import Path
from dagster import DagsterInstance
from dagster._core.storage.defs_state.base import set_defs_state_storage
from dagster.components.component.state_backed_component import StateBackedComponent
from dagster.components.core.component_tree import ComponentTree

tree = ComponentTree.for_project(Path(sys.argv[1]))
with DagsterInstance.get() as instance, set_defs_state_storage(instance.defs_state_storage):
    for component in tree.get_all_components(of_type=StateBackedComponent):
        print(component.defs_state_config.key, asyncio.run(component.refresh_state(tree.project_root)))
`;

/** Writes the project's Airflow state as a deploy's build step does, before any code server loads it. */
export async function refreshDefsState(project: ComponentProject, run: { cwd: string; env: NodeJS.ProcessEnv; logDir: string }): Promise<void> {
  await runCommand(`refresh-defs-state-${path.basename(project.root)}`, 'python', ['-c', REFRESH_DEFS_STATE, project.root], { ...run, cwd: project.root, env: { ...run.env, PYTHONPATH: project.root } });
}
