// Synthetic but realistic Airflow DAG repositories, for the benchmark and any
// test that needs thousands of DAG files: several Airflow instances, each with
// its own DAGs folder, helper modules under common/, and DAG files written in
// the patterns real repositories use (`with DAG(...)`, TaskFlow with repeated
// calls, nested TaskGroups, `chain`, `>>` with lists, loops over literals,
// module constants for ids, task factories in a helper module, dynamic ids).
//
// The generator computes, next to every file it writes, the DAGs Airflow would
// build from it (task ids and downstream edges, with Airflow's own rules:
// TaskGroup prefixes, `__1` suffixes for repeated TaskFlow calls, group roots
// and leaves for `>>`, `chain` pairing lists). It never reads the Python back:
// the truth comes from the templates, not from the project's DAG reader.
//
// Everything is deterministic: the same options give the same files, byte for
// byte, so a generated git repository can be cached between runs.
import type { SimTask } from './airflow-state.js';

export interface SyntheticOptions {
  /** DAG files at the base revision, over all instances. */
  readonly files: number;
  /** DAG files the pushed commit changes (adds, removes, renames, task changes, edits). */
  readonly changed: number;
  /** Airflow instances (DAGs folders dags/team_a, dags/team_b, ...). Default 3. */
  readonly instances?: number;
  readonly seed?: number;
}

export type ChangeKind = 'added' | 'removed' | 'renamed' | 'tasks' | 'edited';

export interface SyntheticInstance {
  /** The AirflowInstance name, e.g. team_a. */
  readonly name: string;
  /** The instance's DAGs folder in the repository, e.g. dags/team_a. */
  readonly folder: string;
  readonly airflowMajor: 2 | 3;
}

export interface SyntheticDag {
  readonly dagId: string;
  readonly tasks: readonly SimTask[];
}

/** One DAG file at one revision. */
export interface SyntheticFile {
  readonly instance: number;
  /** Relative to the instance's DAGs folder (how Airflow names it). */
  readonly path: string;
  readonly source: string;
  readonly dags: readonly SyntheticDag[];
  /** Its DAG id is computed at parse time (Variable.get): a static reader cannot know it. */
  readonly dynamic: boolean;
}

export interface SyntheticChange {
  readonly kind: ChangeKind;
  readonly instance: number;
  /** Path at head (for removals: at base), relative to the instance folder. */
  readonly path: string;
  readonly previousPath?: string;
}

export interface InstanceTruth {
  readonly dagsAdded: readonly string[];
  readonly dagsRemoved: readonly string[];
  /** DAG ids whose tasks or edges differ between the revisions. */
  readonly dagsModified: readonly string[];
  /** DAG ids in changed files (or importers of a changed helper) whose structure is the same. */
  readonly dagsUnchanged: readonly string[];
  /** Whether the push changes what dagster-airlift mirrors of this instance. */
  readonly needsReload: boolean;
}

export interface SyntheticRepo {
  readonly options: Required<SyntheticOptions>;
  readonly instances: readonly SyntheticInstance[];
  /** Every DAG file at base, per instance. */
  readonly baseFiles: readonly (readonly SyntheticFile[])[];
  /** Non-DAG files at base by repository path: helpers, .airflowignore, a README. */
  readonly supportFiles: ReadonlyMap<string, string>;
  readonly changes: readonly SyntheticChange[];
  /** The commit's file operations by repository path: content, or null for a deletion. */
  readonly headWrites: ReadonlyMap<string, string | null>;
  /**
   * Per instance, what the DAG processor parses at head: the changed and added
   * files, renamed files at their new path, and the files importing a changed
   * helper module (Airflow re-parses them too); plus the files now gone.
   */
  readonly reparsed: readonly { readonly files: readonly SyntheticFile[]; readonly removed: readonly string[] }[];
  readonly truth: readonly InstanceTruth[];
  /** Helper modules the push changes, by repository path. */
  readonly helpersChanged: readonly string[];
}

const DOMAINS = ['orders', 'billing', 'marketing', 'inventory', 'payments', 'crm', 'ml_features', 'logistics', 'finance', 'support', 'search', 'hr'];
const CRONS = ['@daily', '@hourly', '0 3 * * *', '30 6 * * 1-5', '*/15 * * * *', '@weekly', None()];
const TABLES = ['customers', 'orders', 'payments', 'refunds', 'sessions', 'events', 'products', 'invoices'];
const TARGETS = ['bi', 'ml', 'finance', 'crm'];
const REGIONS = ['us', 'eu', 'apac', 'latam'];
const COLUMNS: ReadonlyArray<readonly [string, string, string]> = [
  ['id', 'STRING', 'primary key, never null'],
  ['account_id', 'STRING', 'foreign key to accounts; null for guest checkouts'],
  ['created_at', 'TIMESTAMP', 'UTC, set by the source system'],
  ['updated_at', 'TIMESTAMP', 'UTC, last change in the source system'],
  ['amount', 'NUMERIC(18, 2)', 'in the account currency'],
  ['currency', 'STRING', 'ISO 4217 code'],
  ['status', 'STRING', 'one of pending, settled, failed, refunded'],
  ['region', 'STRING', 'us, eu, apac or latam'],
  ['ds', 'DATE', 'the logical date of the run that loaded the row'],
];

function None(): string {
  return 'None';
}

type Template = 'classic' | 'loop' | 'taskflow' | 'groups' | 'chain' | 'multi' | 'factory' | 'dynamic';
const TEMPLATE_WEIGHTS: ReadonlyArray<readonly [Template, number]> = [
  ['classic', 28],
  ['loop', 15],
  ['taskflow', 20],
  ['groups', 15],
  ['chain', 10],
  ['multi', 5],
  ['factory', 5],
  ['dynamic', 2],
];

/** Share of the changed files per kind, in this order; the rest are edits. */
const CHANGE_SHARES: ReadonlyArray<readonly [ChangeKind, number]> = [
  ['added', 0.12],
  ['removed', 0.08],
  ['renamed', 0.04],
  ['tasks', 0.32],
];

/** The helper module the push changes, in the second instance (the first when alone). */
const CHANGED_HELPER = 'common/alerts.py';

export function instanceName(index: number): string {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return `team_${index < 26 ? letters[index] : `${letters[Math.floor(index / 26) - 1]}${letters[index % 26]}`}`;
}

/** Instances alternate Airflow 2 and Airflow 3, the first being Airflow 2. */
export function syntheticInstances(count: number): SyntheticInstance[] {
  return Array.from({ length: count }, (_, index) => ({
    name: instanceName(index),
    folder: `dags/${instanceName(index)}`,
    airflowMajor: index % 2 === 0 ? 2 : 3,
  }));
}

/**
 * Which instances get structural changes: the first two thirds (at least one).
 * The others only get edits that change no DAG, so their code locations must
 * not be reloaded.
 */
export function structuralInstances(count: number): number {
  return Math.max(1, Math.round((count * 2) / 3));
}

export function generateRepo(input: SyntheticOptions): SyntheticRepo {
  const options: Required<SyntheticOptions> = { instances: 3, seed: 1, ...input };
  if (options.changed > options.files) throw new Error(`Cannot change ${options.changed} of ${options.files} files.`);
  const instances = syntheticInstances(options.instances);
  const rng = mulberry32(options.seed);

  // The base files: specs first (cheap), rendered once each.
  const specs: FileSpec[][] = instances.map(() => []);
  for (let n = 0; n < options.files; n++) {
    const instance = n % instances.length;
    specs[instance]!.push(makeSpec(instances[instance]!, instance, specs[instance]!.length, options.seed));
  }
  const baseFiles = specs.map((list) => list.map((spec) => render(spec, { struct: 0, text: 0 })));

  const supportFiles = new Map<string, string>();
  supportFiles.set('README.md', '# Airflow DAGs\n\nOne folder per Airflow instance under dags/.\n');
  for (const instance of instances) {
    for (const [file, content] of Object.entries(helperModules(instance, 0))) supportFiles.set(`${instance.folder}/${file}`, content);
  }

  // The push: which files change, and how.
  const structural = structuralInstances(instances.length);
  const counts = new Map<ChangeKind, number>();
  let assigned = 0;
  for (const [kind, share] of CHANGE_SHARES) {
    const count = Math.floor(options.changed * share);
    counts.set(kind, count);
    assigned += count;
  }
  counts.set('edited', options.changed - assigned);

  const changes: SyntheticChange[] = [];
  const headWrites = new Map<string, string | null>();
  const reparsed = instances.map(() => ({ files: [] as SyntheticFile[], removed: [] as string[] }));
  const nextIndex = specs.map((list) => list.length);
  // Each instance's changeable files in a seeded random order; changes take them from the end.
  const pool = specs.map((list) => shuffle(list.filter((spec) => spec.template !== 'dynamic').map((spec) => spec.index), rng));
  const pick = (instance: number): number | undefined => pool[instance]!.pop();
  // Kinds spread round-robin over the instances allowed to have them.
  let turn = 0;
  for (const [kind, count] of counts) {
    const allowed = kind === 'edited' ? instances.length : structural;
    for (let k = 0; k < count; k++) {
      // Edits weigh towards the edit-only instances so each of them gets some.
      const instance = kind === 'edited' && structural < instances.length && k % 2 === 0 ? structural + (turn++ % (instances.length - structural)) : turn++ % allowed;
      const folder = instances[instance]!.folder;
      if (kind === 'added') {
        const spec = makeSpec(instances[instance]!, instance, nextIndex[instance]!++, options.seed, true);
        const file = render(spec, { struct: 0, text: 0 });
        changes.push({ kind, instance, path: file.path });
        headWrites.set(`${folder}/${file.path}`, file.source);
        reparsed[instance]!.files.push(file);
        continue;
      }
      const index = pick(instance);
      if (index === undefined) break;
      const spec = specs[instance]![index]!;
      const base = baseFiles[instance]![index]!;
      if (kind === 'removed') {
        changes.push({ kind, instance, path: base.path });
        headWrites.set(`${folder}/${base.path}`, null);
        reparsed[instance]!.removed.push(base.path);
      } else if (kind === 'renamed') {
        const moved = { ...base, path: movedPath(base.path) };
        changes.push({ kind, instance, path: moved.path, previousPath: base.path });
        headWrites.set(`${folder}/${base.path}`, null);
        headWrites.set(`${folder}/${moved.path}`, moved.source);
        reparsed[instance]!.files.push(moved);
        reparsed[instance]!.removed.push(base.path);
      } else {
        const file = render(spec, kind === 'tasks' ? { struct: 1, text: 0 } : { struct: 0, text: 1 });
        changes.push({ kind, instance, path: file.path });
        headWrites.set(`${folder}/${file.path}`, file.source);
        reparsed[instance]!.files.push(file);
      }
    }
  }

  // One helper module changes (a new alerting channel): Airflow re-parses every importer.
  const helperInstance = Math.min(1, instances.length - 1);
  const helperFolder = instances[helperInstance]!.folder;
  const helpersChanged = [`${helperFolder}/${CHANGED_HELPER}`];
  headWrites.set(helpersChanged[0]!, helperModules(instances[helperInstance]!, 1)[CHANGED_HELPER]!);
  const touched = new Set(changes.filter((change) => change.instance === helperInstance).flatMap((change) => [change.path, change.previousPath ?? change.path]));
  for (const file of baseFiles[helperInstance]!) {
    const spec = specs[helperInstance]![Number(/(\d+)\.py$/.exec(file.path)![1])]!;
    if (spec.alerts && !touched.has(file.path)) reparsed[helperInstance]!.files.push(file);
  }

  const truth = instances.map((_, instance) => instanceTruth(baseFiles[instance]!, reparsed[instance]!));
  return { options, instances, baseFiles, supportFiles, changes, headWrites, reparsed, truth, helpersChanged };
}

function instanceTruth(base: readonly SyntheticFile[], head: { files: readonly SyntheticFile[]; removed: readonly string[] }): InstanceTruth {
  const before = new Map<string, SyntheticDag>();
  for (const file of base) for (const dag of file.dags) before.set(dag.dagId, dag);
  const after = new Map(before);
  const files = new Map<string, string[]>();
  for (const file of base) files.set(file.path, file.dags.map((dag) => dag.dagId));
  for (const path of head.removed) for (const dagId of files.get(path) ?? []) after.delete(dagId);
  const touched = new Set<string>();
  for (const file of head.files) {
    for (const dagId of files.get(file.path) ?? []) {
      after.delete(dagId);
      touched.add(dagId);
    }
    for (const dag of file.dags) {
      after.set(dag.dagId, dag);
      touched.add(dag.dagId);
    }
  }
  for (const path of head.removed) for (const dagId of files.get(path) ?? []) touched.add(dagId);
  const dagsAdded: string[] = [];
  const dagsRemoved: string[] = [];
  const dagsModified: string[] = [];
  const dagsUnchanged: string[] = [];
  for (const dagId of [...touched].sort()) {
    const was = before.get(dagId);
    const is = after.get(dagId);
    if (!was && is) dagsAdded.push(dagId);
    else if (was && !is) dagsRemoved.push(dagId);
    else if (was && is) (sameShape(was, is) ? dagsUnchanged : dagsModified).push(dagId);
  }
  return { dagsAdded, dagsRemoved, dagsModified, dagsUnchanged, needsReload: dagsAdded.length + dagsRemoved.length + dagsModified.length > 0 };
}

function sameShape(a: SyntheticDag, b: SyntheticDag): boolean {
  const key = (dag: SyntheticDag) =>
    dag.tasks
      .map((task) => `${task.taskId}>${[...task.downstream].sort().join(',')}`)
      .sort()
      .join(';');
  return key(a) === key(b);
}

function movedPath(path: string): string {
  const slash = path.lastIndexOf('/');
  return `${path.slice(0, slash)}/moved${path.slice(slash)}`;
}

// ---------------------------------------------------------------------------
// File specs and rendering

interface FileSpec {
  readonly instance: SyntheticInstance;
  readonly instanceIndex: number;
  readonly index: number;
  readonly domain: string;
  readonly template: Template;
  /** Imports common.alerts (the helper the push changes). */
  readonly alerts: boolean;
  /** Takes default_args from common.defaults. */
  readonly defaults: boolean;
  readonly seed: number;
}

interface Variant {
  /** 1: the structure differs (a task added). */
  readonly struct: 0 | 1;
  /** 1: text differs, structure does not (docs, retries, comments). */
  readonly text: 0 | 1;
}

function makeSpec(instance: SyntheticInstance, instanceIndex: number, index: number, seed: number, added = false): FileSpec {
  const rng = mulberry32(hash(`${seed}/${instance.name}/${index}`));
  let template: Template = 'classic';
  let roll = rng() * 100;
  for (const [candidate, weight] of TEMPLATE_WEIGHTS) {
    if (roll < weight) {
      template = candidate;
      break;
    }
    roll -= weight;
  }
  // Added files are ordinary DAGs: a new dynamic one could not be waited for by id.
  if (added && template === 'dynamic') template = 'classic';
  return {
    instance,
    instanceIndex,
    index,
    domain: DOMAINS[index % DOMAINS.length]!,
    template,
    alerts: rng() < 0.1,
    defaults: rng() < 0.3,
    seed: hash(`${seed}:${instance.name}:${index}:params`),
  };
}

function pad(index: number): string {
  return String(index).padStart(5, '0');
}

/** Python source of a file plus what Airflow builds from it. */
function render(spec: FileSpec, variant: Variant): SyntheticFile {
  const rng = mulberry32(spec.seed);
  const emitter = new Emitter(spec, variant, rng);
  const dagId = `${spec.instance.name}_${spec.domain}_${pad(spec.index)}`;
  const dags = TEMPLATES[spec.template](emitter, dagId);
  return {
    instance: spec.instanceIndex,
    path: `${spec.domain}/${spec.domain}_${pad(spec.index)}.py`,
    source: emitter.source(),
    dags,
    dynamic: spec.template === 'dynamic',
  };
}

/** A DAG under construction: Airflow's view of it. */
class DagGraph {
  readonly tasks = new Map<string, Set<string>>();
  constructor(readonly dagId: string) {}

  add(taskId: string): string {
    if (this.tasks.has(taskId)) throw new Error(`synthetic-dags: ${this.dagId} defines ${taskId} twice`);
    this.tasks.set(taskId, new Set());
    return taskId;
  }

  /** TaskFlow's unique id: `name`, then `name__1`, `name__2`, ... (Airflow's get_unique_task_id). */
  addUnique(taskId: string): string {
    if (!this.tasks.has(taskId)) return this.add(taskId);
    let n = 1;
    while (this.tasks.has(`${taskId}__${n}`)) n++;
    return this.add(`${taskId}__${n}`);
  }

  edge(upstream: string | readonly string[], downstream: string | readonly string[]): void {
    for (const up of typeof upstream === 'string' ? [upstream] : upstream) {
      for (const down of typeof downstream === 'string' ? [downstream] : downstream) {
        if (!this.tasks.has(up) || !this.tasks.has(down)) throw new Error(`synthetic-dags: ${this.dagId}: unknown task in ${up} >> ${down}`);
        this.tasks.get(up)!.add(down);
      }
    }
  }

  /** A TaskGroup's roots: its tasks with no upstream inside it. */
  roots(members: readonly string[]): string[] {
    const inside = new Set(members);
    return members.filter((task) => !members.some((other) => inside.has(other) && this.tasks.get(other)!.has(task)));
  }

  /** A TaskGroup's leaves: its tasks with no downstream inside it. */
  leaves(members: readonly string[]): string[] {
    const inside = new Set(members);
    return members.filter((task) => ![...this.tasks.get(task)!].some((down) => inside.has(down)));
  }

  done(): SyntheticDag {
    return { dagId: this.dagId, tasks: [...this.tasks].map(([taskId, downstream]) => ({ taskId, downstream: [...downstream].sort() })) };
  }
}

type Importable =
  | 'DAG'
  | 'dag'
  | 'task'
  | 'TaskGroup'
  | 'chain'
  | 'Variable'
  | 'EmptyOperator'
  | 'BashOperator'
  | 'PythonOperator'
  | 'SQLExecuteQueryOperator'
  | 'KubernetesPodOperator';

const MODULES: Record<2 | 3, Record<Importable, string>> = {
  2: {
    DAG: 'airflow',
    dag: 'airflow.decorators',
    task: 'airflow.decorators',
    TaskGroup: 'airflow.utils.task_group',
    chain: 'airflow.models.baseoperator',
    Variable: 'airflow.models',
    EmptyOperator: 'airflow.operators.empty',
    BashOperator: 'airflow.operators.bash',
    PythonOperator: 'airflow.operators.python',
    SQLExecuteQueryOperator: 'airflow.providers.common.sql.operators.sql',
    KubernetesPodOperator: 'airflow.providers.cncf.kubernetes.operators.pod',
  },
  3: {
    DAG: 'airflow.sdk',
    dag: 'airflow.sdk',
    task: 'airflow.sdk',
    TaskGroup: 'airflow.sdk',
    chain: 'airflow.sdk',
    Variable: 'airflow.sdk',
    EmptyOperator: 'airflow.providers.standard.operators.empty',
    BashOperator: 'airflow.providers.standard.operators.bash',
    PythonOperator: 'airflow.providers.standard.operators.python',
    SQLExecuteQueryOperator: 'airflow.providers.common.sql.operators.sql',
    KubernetesPodOperator: 'airflow.providers.cncf.kubernetes.operators.pod',
  },
};

/** Collects imports and body lines; writes the module in the usual order. */
class Emitter {
  private readonly imports = new Set<Importable>();
  private readonly stdlib = new Set<string>();
  private readonly local: string[] = [];
  private readonly header: string[] = [];
  readonly body: string[] = [];
  readonly team: string;

  constructor(
    readonly spec: FileSpec,
    readonly variant: Variant,
    readonly rng: () => number,
  ) {
    this.team = spec.instance.name;
    if (spec.alerts) this.local.push('from common.alerts import notify_failure');
    if (spec.defaults) this.local.push('from common.defaults import DEFAULT_ARGS');
  }

  use(...names: Importable[]): void {
    for (const name of names) this.imports.add(name);
  }

  std(line: string): void {
    this.stdlib.add(line);
  }

  localImport(line: string): void {
    this.local.push(line);
  }

  /** The module docstring: the edit variant rewords it. */
  doc(title: string): void {
    const revision = this.variant.text ? 'Reviewed by the data platform team; retries raised after the Q3 incident.' : 'Maintained by the owning team.';
    const columns = COLUMNS.filter(() => this.rng() < 0.6);
    this.header.push(
      '"""',
      `${title}`,
      '',
      `Owner: ${this.team}. ${revision}`,
      'Runbook: https://wiki.example.com/data/runbooks',
      '',
      'Data contract',
      '-------------',
      ...columns.map(([column, type, note]) => `- ${column} (${type}): ${note}`),
      '',
      `SLA: ready by ${this.int(5, 9)}:00 UTC. Backfills go through the platform team.`,
      '"""',
    );
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rng() * items.length)]!;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.rng() * (max - min + 1));
  }

  /** DAG-level keyword lines shared by the templates (inside a call, 4 or 8 spaces deep). */
  dagKwargs(indent: string, extra: readonly string[] = []): string[] {
    const cron = this.pick(CRONS);
    this.std('from datetime import datetime, timedelta');
    const lines = [
      `${indent}start_date=datetime(2024, ${this.int(1, 12)}, ${this.int(1, 28)}),`,
      `${indent}schedule=${cron === 'None' ? 'None' : JSON.stringify(cron)},`,
      `${indent}catchup=False,`,
      `${indent}doc_md=__doc__,`,
      `${indent}max_active_runs=${this.int(1, 3)},`,
      `${indent}dagrun_timeout=timedelta(hours=${this.int(1, 6)}),`,
      `${indent}tags=[${JSON.stringify(this.team)}, ${JSON.stringify(this.spec.domain)}${this.variant.text ? ', "reviewed"' : ''}],`,
      ...extra.map((line) => `${indent}${line}`),
    ];
    if (this.spec.defaults) lines.push(`${indent}default_args=DEFAULT_ARGS,`);
    else lines.push(`${indent}default_args=default_args,`);
    if (this.spec.alerts) lines.push(`${indent}on_failure_callback=notify_failure,`);
    return lines;
  }

  /** The module-level default_args, unless taken from common.defaults. */
  defaultArgs(): void {
    if (this.spec.defaults) return;
    this.std('from datetime import datetime, timedelta');
    this.body.push(
      'default_args = {',
      `    "owner": ${JSON.stringify(this.team)},`,
      `    "retries": ${this.variant.text ? 3 : 2},`,
      '    "retry_delay": timedelta(minutes=5),',
      '    "email_on_failure": False,',
      '}',
      '',
    );
  }

  source(): string {
    const byModule = new Map<string, string[]>();
    for (const name of [...this.imports].sort()) {
      const module = MODULES[this.spec.instance.airflowMajor][name];
      byModule.set(module, [...(byModule.get(module) ?? []), name]);
    }
    const airflowLines = [...byModule].sort(([a], [b]) => (a < b ? -1 : 1)).map(([module, names]) => `from ${module} import ${names.sort().join(', ')}`);
    const lines = [
      ...this.header,
      'from __future__ import annotations',
      '',
      ...[...this.stdlib].sort(),
      ...(this.stdlib.size ? [''] : []),
      ...airflowLines,
      '',
      ...(this.local.length ? [...this.local.sort(), ''] : []),
      ...this.body,
    ];
    return `${lines.join('\n').replace(/\n{3,}/g, '\n\n\n')}\n`;
  }
}

type TemplateFn = (e: Emitter, dagId: string) => SyntheticDag[];

const TEMPLATES: Record<Template, TemplateFn> = {
  /** `with DAG(dag_id=CONSTANT)`, classic operators, `>>` into and out of a list. */
  classic(e, dagId) {
    e.doc(`${title(e.spec.domain)} warehouse load (${dagId}).`);
    e.use('DAG', 'EmptyOperator', 'BashOperator', 'PythonOperator', 'SQLExecuteQueryOperator');
    const g = new DagGraph(dagId);
    const table = e.pick(TABLES);
    const targets = TARGETS.slice(0, e.int(1, 3));
    e.body.push(
      `DAG_ID = ${JSON.stringify(dagId)}`,
      `SOURCE_TABLE = "raw.${table}"`,
      `TARGET_TABLE = "analytics.${e.spec.domain}_${table}"`,
      '',
    );
    e.defaultArgs();
    e.body.push(
      '',
      'def _transform(**context):',
      '    rows = context["ti"].xcom_pull(task_ids="extract")',
      '    cleaned = [row for row in rows or [] if row]',
      `    # ${e.variant.text ? 'Drop rows without a primary key as well.' : 'Keep every non-empty row.'}`,
      '    return cleaned',
      '',
      '',
      'with DAG(',
      '    dag_id=DAG_ID,',
      `    description="Load ${table} into the ${e.spec.domain} mart",`,
      ...e.dagKwargs('    '),
      ') as dag:',
      '    start = EmptyOperator(task_id="start")',
      '    extract = BashOperator(task_id="extract", bash_command="python -m etl.extract --table {{ params.table }} --ds {{ ds }}", params={"table": SOURCE_TABLE})',
      '    transform = PythonOperator(task_id="transform", python_callable=_transform)',
      '    load = SQLExecuteQueryOperator(',
      '        task_id="load",',
      '        conn_id="warehouse",',
      '        sql=f"INSERT INTO {TARGET_TABLE} SELECT * FROM {SOURCE_TABLE} WHERE ds = \'{{{{ ds }}}}\'",',
      '    )',
    );
    for (const name of ['start', 'extract', 'transform', 'load']) g.add(name);
    const publish: string[] = [];
    for (const target of targets) {
      e.body.push(`    publish_${target} = BashOperator(task_id="publish_${target}", bash_command="echo publish to ${target}")`);
      publish.push(g.add(`publish_${target}`));
    }
    e.body.push('    end = EmptyOperator(task_id="end")', '');
    g.add('end');
    let last = 'load';
    if (e.variant.struct) {
      e.body.push('    check = SQLExecuteQueryOperator(task_id="check_row_count", conn_id="warehouse", sql=f"SELECT COUNT(*) FROM {TARGET_TABLE}")');
      g.add('check_row_count');
      last = 'check';
    }
    const list = targets.length === 1 ? `publish_${targets[0]}` : `[${targets.map((target) => `publish_${target}`).join(', ')}]`;
    e.body.push(`    start >> extract >> transform >> load${last === 'check' ? ' >> check' : ''} >> ${list} >> end`);
    g.edge('start', 'extract');
    g.edge('extract', 'transform');
    g.edge('transform', 'load');
    if (e.variant.struct) g.edge('load', 'check_row_count');
    g.edge(e.variant.struct ? 'check_row_count' : 'load', publish);
    g.edge(publish, 'end');
    return [g.done()];
  },

  /** Positional dag_id, loops over a literal range and a literal list of tables. */
  loop(e, dagId) {
    e.doc(`Partitioned ${e.spec.domain} sync (${dagId}).`);
    e.use('DAG', 'EmptyOperator', 'BashOperator', 'KubernetesPodOperator');
    const g = new DagGraph(dagId);
    const partitions = e.int(2, 5) + e.variant.struct;
    const tables = TABLES.slice(0, e.int(1, 3));
    e.body.push(`DAG_ID = ${JSON.stringify(dagId)}`, `PARTITIONS = ${partitions}`, `TABLES = [${tables.map((t) => JSON.stringify(t)).join(', ')}]`, '');
    e.defaultArgs();
    e.body.push(
      '',
      'with DAG(',
      '    DAG_ID,',
      ...e.dagKwargs('    '),
      ') as dag:',
      '    start = EmptyOperator(task_id="start")',
      '    done = EmptyOperator(task_id="done")',
      '',
      '    for part in range(PARTITIONS):',
      '        extract = BashOperator(task_id=f"extract_part_{part}", bash_command=f"python -m sync.extract --part {part}")',
      '        load = BashOperator(task_id=f"load_part_{part}", bash_command=f"python -m sync.load --part {part}")',
      '        start >> extract >> load >> done',
      '',
      '    for table in TABLES:',
      '        mirror = KubernetesPodOperator(',
      '            task_id=f"mirror_{table}",',
      '            name=f"mirror-{table}",',
      `            image="registry.example.com/${e.team}/mirror:${e.variant.text ? '1.4.2' : '1.4.1'}",`,
      '            arguments=["--table", table],',
      '        )',
      '        start >> mirror >> done',
    );
    g.add('start');
    g.add('done');
    for (let part = 0; part < partitions; part++) {
      g.add(`extract_part_${part}`);
      g.add(`load_part_${part}`);
      g.edge('start', `extract_part_${part}`);
      g.edge(`extract_part_${part}`, `load_part_${part}`);
      g.edge(`load_part_${part}`, 'done');
    }
    for (const table of tables) {
      g.add(`mirror_${table}`);
      g.edge('start', `mirror_${table}`);
      g.edge(`mirror_${table}`, 'done');
    }
    return [g.done()];
  },

  /** @dag and @task, called in a loop: extract, extract__1, ...; a list of XComArgs into one task. */
  taskflow(e, dagId) {
    e.doc(`TaskFlow ${e.spec.domain} pipeline (${dagId}).`);
    e.use('dag', 'task');
    e.std('import pendulum');
    const g = new DagGraph(dagId);
    const batches = e.int(2, 4) + e.variant.struct;
    const named = e.rng() < 0.5;
    const fn = named ? `${e.spec.domain}_pipeline` : dagId;
    const extra = [...(e.spec.alerts ? ['on_failure_callback=notify_failure,'] : []), ...(e.spec.defaults ? ['default_args=DEFAULT_ARGS,'] : [])];
    e.body.push(
      '',
      '@dag(',
      ...(named ? [`    dag_id=${JSON.stringify(dagId)},`] : []),
      `    schedule=${JSON.stringify(e.pick(['@daily', '@hourly', '0 */4 * * *']))},`,
      `    start_date=pendulum.datetime(2024, ${e.int(1, 12)}, 1, tz="UTC"),`,
      '    catchup=False,',
      `    tags=[${JSON.stringify(e.team)}, "taskflow"],`,
      ...extra.map((line) => `    ${line}`),
      ')',
      `def ${fn}():`,
      '    @task',
      '    def extract(batch: int) -> dict:',
      '        return {"batch": batch, "rows": []}',
      '',
      '    @task',
      '    def transform(payload: dict) -> dict:',
      '        payload["clean"] = True',
      '        return payload',
      '',
      `    @task(retries=${e.variant.text ? 4 : 3})`,
      '    def load(payloads: list) -> None:',
      '        print(f"loading {len(payloads)} batches")',
      '',
      '    results = []',
      `    for batch in range(${batches}):`,
      '        results.append(transform(extract(batch)))',
      '    load(results)',
      '',
      '',
      `${fn}()`,
    );
    const transformed: string[] = [];
    for (let batch = 0; batch < batches; batch++) {
      const extract = g.addUnique('extract');
      const transform = g.addUnique('transform');
      g.edge(extract, transform);
      transformed.push(transform);
    }
    const load = g.addUnique('load');
    g.edge(transformed, load);
    return [g.done()];
  },

  /** Nested TaskGroups, `list >> group`, `task >> group >> group >> task`. */
  groups(e, dagId) {
    e.doc(`${title(e.spec.domain)} ingestion with task groups (${dagId}).`);
    e.use('DAG', 'EmptyOperator', 'BashOperator', 'TaskGroup');
    const g = new DagGraph(dagId);
    const targets = TARGETS.slice(0, e.int(2, 4));
    e.body.push(`DAG_ID = ${JSON.stringify(dagId)}`, `TARGETS = [${targets.map((t) => JSON.stringify(t)).join(', ')}]`, '');
    e.defaultArgs();
    e.body.push(
      '',
      'with DAG(',
      '    dag_id=DAG_ID,',
      ...e.dagKwargs('    '),
      ') as dag:',
      '    begin = EmptyOperator(task_id="begin")',
      '    finish = EmptyOperator(task_id="finish")',
      '',
      '    with TaskGroup(group_id="ingest") as ingest:',
      '        pull_api = BashOperator(task_id="pull_api", bash_command="python -m ingest.api")',
      '        pull_db = BashOperator(task_id="pull_db", bash_command="python -m ingest.db")',
      '        with TaskGroup("validate") as validate:',
      '            schema = EmptyOperator(task_id="schema")',
      '            rows = EmptyOperator(task_id="rows")',
      '            schema >> rows',
      ...(e.variant.struct ? ['            freshness = EmptyOperator(task_id="freshness")', '            rows >> freshness'] : []),
      '        [pull_api, pull_db] >> validate',
      '',
      `    with TaskGroup("publish", tooltip="${e.variant.text ? 'Publish to every consumer' : 'Publish'}") as publish:`,
      '        for target in TARGETS:',
      '            EmptyOperator(task_id=f"to_{target}")',
      '',
      '    begin >> ingest >> publish >> finish',
    );
    g.add('begin');
    g.add('finish');
    const ingest = ['ingest.pull_api', 'ingest.pull_db', 'ingest.validate.schema', 'ingest.validate.rows'];
    for (const task of ingest) g.add(task);
    g.edge('ingest.validate.schema', 'ingest.validate.rows');
    const validate = ['ingest.validate.schema', 'ingest.validate.rows'];
    if (e.variant.struct) {
      g.add('ingest.validate.freshness');
      g.edge('ingest.validate.rows', 'ingest.validate.freshness');
      validate.push('ingest.validate.freshness');
      ingest.push('ingest.validate.freshness');
    }
    g.edge(['ingest.pull_api', 'ingest.pull_db'], g.roots(validate));
    const publish = targets.map((target) => g.add(`publish.to_${target}`));
    g.edge('begin', g.roots(ingest));
    g.edge(g.leaves(ingest), g.roots(publish));
    g.edge(g.leaves(publish), 'finish');
    return [g.done()];
  },

  /** chain() with adjacent lists (pairwise) and an id from a module constant. */
  chain(e, dagId) {
    e.doc(`${title(e.spec.domain)} fan-out with chain() (${dagId}).`);
    e.use('DAG', 'EmptyOperator', 'BashOperator', 'chain');
    const g = new DagGraph(dagId);
    e.body.push(`DAG_ID = ${JSON.stringify(dagId)}`, `EXTRACT_TASK_ID = "extract_${e.spec.domain}"`, '');
    e.defaultArgs();
    e.body.push(
      '',
      'with DAG(',
      '    dag_id=DAG_ID,',
      ...e.dagKwargs('    '),
      ') as dag:',
      '    start = EmptyOperator(task_id="start")',
      '    extract = BashOperator(task_id=EXTRACT_TASK_ID, bash_command="python -m etl.extract")',
      '    clean_a = BashOperator(task_id="clean_a", bash_command="python -m etl.clean --shard a")',
      '    clean_b = BashOperator(task_id="clean_b", bash_command="python -m etl.clean --shard b")',
      '    load_a = BashOperator(task_id="load_a", bash_command="python -m etl.load --shard a")',
      '    load_b = BashOperator(task_id="load_b", bash_command="python -m etl.load --shard b")',
      '    end = EmptyOperator(task_id="end")',
      ...(e.variant.struct ? ['    notify = EmptyOperator(task_id="notify")'] : []),
      '',
      `    chain(start, extract, [clean_a, clean_b], [load_a, load_b], end${e.variant.struct ? ', notify' : ''})`,
    );
    for (const task of ['start', `extract_${e.spec.domain}`, 'clean_a', 'clean_b', 'load_a', 'load_b', 'end']) g.add(task);
    g.edge('start', `extract_${e.spec.domain}`);
    g.edge(`extract_${e.spec.domain}`, ['clean_a', 'clean_b']);
    g.edge('clean_a', 'load_a');
    g.edge('clean_b', 'load_b');
    g.edge(['load_a', 'load_b'], 'end');
    if (e.variant.struct) {
      g.add('notify');
      g.edge('end', 'notify');
    }
    return [g.done()];
  },

  /** Several DAGs from one file: a loop over a literal list builds one DAG per region. */
  multi(e, dagId) {
    e.doc(`Per-region ${e.spec.domain} exports (${dagId}_<region>).`);
    e.use('DAG', 'EmptyOperator', 'BashOperator');
    const regions = REGIONS.slice(0, e.int(2, 3));
    e.body.push(`DAG_PREFIX = ${JSON.stringify(dagId)}`, `REGIONS = [${regions.map((r) => JSON.stringify(r)).join(', ')}]`, '');
    e.defaultArgs();
    e.body.push(
      '',
      'for region in REGIONS:',
      '    with DAG(',
      '        dag_id=f"{DAG_PREFIX}_{region}",',
      ...e.dagKwargs('        '),
      '    ) as dag:',
      '        sync = BashOperator(task_id="sync", bash_command=f"python -m export.sync --region {region}")',
      '        report = EmptyOperator(task_id="report")',
      '        sync >> report',
      ...(e.variant.struct ? ['        audit = EmptyOperator(task_id="audit")', '        report >> audit'] : []),
    );
    return regions.map((region) => {
      const g = new DagGraph(`${dagId}_${region}`);
      g.add('sync');
      g.add('report');
      g.edge('sync', 'report');
      if (e.variant.struct) {
        g.add('audit');
        g.edge('report', 'audit');
      }
      return g.done();
    });
  },

  /** Tasks made by a helper module's factory: a static reader sees only part of the DAG. */
  factory(e, dagId) {
    e.doc(`${title(e.spec.domain)} load with shared quality checks (${dagId}).`);
    e.use('DAG', 'BashOperator');
    e.localImport('from common.quality import add_quality_checks');
    const g = new DagGraph(dagId);
    const table = `${e.spec.domain}_${pad(e.spec.index)}`;
    e.body.push(`DAG_ID = ${JSON.stringify(dagId)}`, '');
    e.defaultArgs();
    e.body.push(
      '',
      'with DAG(',
      '    dag_id=DAG_ID,',
      ...e.dagKwargs('    '),
      ') as dag:',
      '    extract = BashOperator(task_id="extract", bash_command="python -m etl.extract")',
      '    load = BashOperator(task_id="load", bash_command="python -m etl.load")',
      '    extract >> load',
      `    load >> add_quality_checks(${JSON.stringify(table)})`,
      ...(e.variant.struct ? ['    archive = BashOperator(task_id="archive", bash_command="python -m etl.archive")', '    load >> archive'] : []),
    );
    g.add('extract');
    g.add('load');
    g.edge('extract', 'load');
    const checks = ['rows', 'nulls'].map((check) => g.add(`quality_${table}_${check}`));
    g.edge('load', checks);
    if (e.variant.struct) {
      g.add('archive');
      g.edge('load', 'archive');
    }
    return [g.done()];
  },

  /** The DAG id depends on a Variable read at parse time: Airflow knows it, a static reader cannot. */
  dynamic(e, dagId) {
    e.doc(`Environment-specific ${e.spec.domain} job (${dagId}).`);
    e.use('DAG', 'EmptyOperator', 'BashOperator', 'Variable');
    const keyword = e.spec.instance.airflowMajor === 3 ? 'default' : 'default_var';
    e.body.push(`ENV = Variable.get("deployment_env", ${keyword}="prod")`, '');
    e.defaultArgs();
    e.body.push(
      '',
      'with DAG(',
      `    dag_id=f"{ENV}_${dagId}",`,
      ...e.dagKwargs('    '),
      ') as dag:',
      '    EmptyOperator(task_id="noop") >> BashOperator(task_id="report", bash_command="echo report")',
    );
    const g = new DagGraph(`prod_${dagId}`);
    g.add('noop');
    g.add('report');
    g.edge('noop', 'report');
    return [g.done()];
  },
};

/** The instance's helper modules (`common/` is in .airflowignore). Version 1 changes alerts.py. */
function helperModules(instance: SyntheticInstance, version: 0 | 1): Record<string, string> {
  const major = instance.airflowMajor;
  const empty = MODULES[major].EmptyOperator;
  return {
    '.airflowignore': 'common/\n',
    'common/__init__.py': '',
    'common/defaults.py': [
      '"""Default task arguments shared by the team\'s pipelines."""',
      'from datetime import timedelta',
      '',
      'DEFAULT_ARGS = {',
      `    "owner": ${JSON.stringify(instance.name)},`,
      '    "retries": 2,',
      '    "retry_delay": timedelta(minutes=10),',
      '    "email_on_retry": False,',
      '}',
      '',
    ].join('\n'),
    'common/alerts.py': [
      '"""Failure notifications for the team\'s pipelines."""',
      'import json',
      'import urllib.request',
      '',
      `CHANNEL = ${JSON.stringify(version ? `#${instance.name}-oncall` : `#${instance.name}-data`)}`,
      ...(version ? ['ESCALATE_AFTER_FAILURES = 3'] : []),
      '',
      '',
      'def notify_failure(context):',
      '    ti = context["task_instance"]',
      '    message = {"channel": CHANNEL, "text": f"{ti.dag_id}.{ti.task_id} failed on {context[\'ds\']}"}',
      '    request = urllib.request.Request("https://hooks.example.com/notify", data=json.dumps(message).encode())',
      '    urllib.request.urlopen(request, timeout=10)',
      '',
    ].join('\n'),
    'common/quality.py': [
      '"""Shared data quality checks: adds one task per check to the current DAG."""',
      `from ${empty} import EmptyOperator`,
      '',
      'CHECKS = ("rows", "nulls")',
      '',
      '',
      'def add_quality_checks(table):',
      '    return [EmptyOperator(task_id=f"quality_{table}_{check}") for check in CHECKS]',
      '',
    ].join('\n'),
  };
}

function title(domain: string): string {
  return domain
    .split('_')
    .map((word) => (word === 'ml' || word === 'hr' || word === 'crm' ? word.toUpperCase() : word[0]!.toUpperCase() + word.slice(1)))
    .join(' ');
}

function shuffle<T>(items: T[], rng: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}

/** A small, fast, seedable PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a, 32 bits. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
