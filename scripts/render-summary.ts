// Renders job summaries the way a user sees them on a GitHub run page: the
// Markdown from src/report.ts, turned into HTML with marked and a small
// stylesheet close to GitHub's markdown body, and (with --docs) screenshotted
// with headless Chromium.
//
//   npx tsx scripts/render-summary.ts <report.json> <out.html>
//       one JSON report (the action's report-path output) to an HTML page
//   npx tsx scripts/render-summary.ts --docs [dir]
//       four example runs to <dir>/summary-{small,large,failed,migration}.png (default dir: docs):
//       small:  the demo's push, run for real from src/ against the simulators
//       failed: the same push with a Dagster+ token that Dagster rejects, run for real
//       migration: a pull request that proxies more tasks, forgets a proxied-state entry and
//               removes a task a Dagster asset is mapped to, run for real
//       large:  a built report of a 1,000-DAG push over 3 Airflow instances and 6
//               code locations, with import errors and failed reloads
//       Needs Chromium (Debian: apt-get install chromium; or set CHROMIUM to its path).
//       Add --keep to keep the JSON reports and HTML pages next to the PNGs.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { deflateSync, inflateSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { marked } from 'marked';
import type { DagChange, Edge } from '../src/model.js';
import type { AirflowReport, LiveDagReport, LocationReport, RunReport } from '../src/outcome.js';
import { renderSummary } from '../src/report.js';
import { runAction } from '../__tests__/support/run-action.js';
import { startScenario } from '../sim/scenario.js';
import { dagFiles, startMigrationWorld, taskState } from '../sim/migration-world.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const WIDTH = 1100;
/** Screenshots stop here: the rest of a long summary is folded or below the fold anyway. */
const MAX_HEIGHT = 3200;
/** Screenshots larger than this are re-encoded with a 256-colour palette. */
const MAX_PNG_BYTES = 300 * 1024;

/** GitHub's markdown body, approximately: enough to judge widths, wrapping and folding. */
const STYLE = `
  body { margin: 0; background: #f6f8fa; font: 14px/1.5 -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; color: #1f2328; }
  .card { margin: 16px; background: #fff; border: 1px solid #d1d9e0; border-radius: 6px; }
  .card > header { padding: 12px 16px; border-bottom: 1px solid #d1d9e0; font-weight: 600; }
  .markdown-body { padding: 16px 24px; word-wrap: break-word; }
  .markdown-body > :first-child { margin-top: 0 !important; }
  h2 { font-size: 1.5em; font-weight: 600; padding-bottom: .3em; border-bottom: 1px solid #d1d9e0b3; margin: 24px 0 16px; line-height: 1.25; }
  h3 { font-size: 1.25em; font-weight: 600; margin: 24px 0 16px; line-height: 1.25; }
  p, ul, table, details { margin: 0 0 16px; }
  ul { padding-left: 2em; }
  li + li { margin-top: .25em; }
  a { color: #0969da; text-decoration: none; }
  code { padding: .2em .4em; font: 85% ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; background: #818b981f; border-radius: 6px; white-space: break-spaces; }
  table { display: block; width: max-content; max-width: 100%; overflow: auto; border-spacing: 0; border-collapse: collapse; }
  th { font-weight: 600; }
  th, td { padding: 6px 13px; border: 1px solid #d1d9e0; vertical-align: top; }
  tr { background: #fff; border-top: 1px solid #d1d9e0b3; }
  tr:nth-child(2n) { background: #f6f8fa; }
  details summary { cursor: pointer; display: list-item; }
  sub { font-size: 75%; color: #59636e; }
  blockquote { margin: 0 0 16px; padding: 0 1em; color: #59636e; border-left: .25em solid #d1d9e0; }
`;

export function summaryPage(markdown: string, title: string): string {
  const body = marked.parse(markdown, { gfm: true, async: false });
  const heading = title.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>${heading}</title><style>${STYLE}</style></head>
<body><div class="card"><header>${heading}</header><div class="markdown-body">
${body}
</div></div>
<script>document.body.dataset.height = String(Math.ceil(document.documentElement.getBoundingClientRect().height));</script>
</body></html>
`;
}

function chromium(): string {
  const candidates = [process.env.CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter((name): name is string => Boolean(name));
  const found = candidates.find((name) => spawnSync(name, ['--version'], { stdio: 'ignore' }).status === 0);
  if (!found) throw new Error('No Chromium found: apt-get install chromium, or set CHROMIUM to its path.');
  return found;
}

function chromiumArgs(profile: string, height: number): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--hide-scrollbars',
    `--user-data-dir=${profile}`,
    `--window-size=${WIDTH},${height}`,
  ];
}

/** Screenshots the page, the window as tall as the content (up to MAX_HEIGHT). */
function screenshot(browser: string, html: string, png: string): { height: number; bytes: number } {
  const url = pathToFileURL(html).href;
  const profile = mkdtempSync(path.join(os.tmpdir(), 'render-summary-chromium-'));
  let height: number;
  try {
    const dom = spawnSync(browser, [...chromiumArgs(profile, 800), '--dump-dom', url], { encoding: 'utf8', timeout: 60_000 });
    const measured = Number(/data-height="(\d+)"/.exec(dom.stdout ?? '')?.[1] ?? MAX_HEIGHT);
    height = Math.min(MAX_HEIGHT, measured + 16);
    const shot = spawnSync(browser, [...chromiumArgs(profile, height), `--screenshot=${png}`, url], { encoding: 'utf8', timeout: 60_000 });
    if (shot.status !== 0) throw new Error(`Chromium failed on ${html}: ${shot.stderr}`);
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
  if (statSync(png).size > MAX_PNG_BYTES) writeFileSync(png, paletted(readFileSync(png)));
  return { height, bytes: statSync(png).size };
}

// ─── PNG palette re-encoding ──────────────────────────────────────────────────
// A rendered page is a few flat colours plus anti-aliased text edges: 256 colours
// (the most frequent, plus the most distinct of the rest, such as emoji colours)
// keep it sharp at a third of the size. No image tool needed.

interface Rgb {
  readonly width: number;
  readonly height: number;
  readonly pixels: Uint8Array;
}

function decodePng(png: Buffer): Rgb {
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const chunk = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = chunk.readUInt32BE(0);
      height = chunk.readUInt32BE(4);
      const [depth, colorType, , , interlace] = [chunk[8], chunk[9], chunk[10], chunk[11], chunk[12]];
      channels = colorType === 2 ? 3 : colorType === 6 ? 4 : 0;
      if (depth !== 8 || !channels || interlace !== 0) throw new Error('Only 8-bit RGB or RGBA PNGs without interlacing are re-encoded.');
    }
    if (type === 'IDAT') data.push(chunk);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const rows = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = y * stride;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x]!;
      const a = x >= channels ? rows[line + x - channels]! : 0;
      const b = y ? rows[line - stride + x]! : 0;
      const c = x >= channels && y ? rows[line - stride + x - channels]! : 0;
      const p = a + b - c;
      const predictor = [0, a, b, (a + b) >> 1, Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c][filter]!;
      rows[line + x] = (value + predictor) & 255;
    }
  }
  const pixels = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rows.length; i += channels, j += 3) pixels.set(rows.subarray(i, i + 3), j);
  return { width, height, pixels };
}

function paletted(png: Buffer): Buffer {
  const { width, height, pixels } = decodePng(png);
  const counts = new Map<number, number>();
  for (let i = 0; i < pixels.length; i += 3) {
    const color = (pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!;
    counts.set(color, (counts.get(color) ?? 0) + 1);
  }
  const byCount = [...counts].sort((a, b) => b[1] - a[1]);
  const distance = (a: number, b: number) => ((a >> 16) - (b >> 16)) ** 2 + (((a >> 8) & 255) - ((b >> 8) & 255)) ** 2 + ((a & 255) - (b & 255)) ** 2;
  const palette = byCount.slice(0, 192).map(([color]) => color);
  const rest = byCount.slice(192);
  const nearest = rest.map(([color]) => Math.min(...palette.map((entry) => distance(color, entry))));
  while (palette.length < 256 && rest.length) {
    let best = 0;
    for (let i = 1; i < rest.length; i++) if (nearest[i]! * Math.sqrt(rest[i]![1]) > nearest[best]! * Math.sqrt(rest[best]![1])) best = i;
    const [color] = rest[best]!;
    palette.push(color);
    rest.splice(best, 1);
    nearest.splice(best, 1);
    for (let i = 0; i < rest.length; i++) nearest[i] = Math.min(nearest[i]!, distance(rest[i]![0], color));
  }
  const index = new Map<number, number>();
  for (const color of counts.keys()) {
    let best = 0;
    for (let i = 1; i < palette.length; i++) if (distance(color, palette[i]!) < distance(color, palette[best]!)) best = i;
    index.set(color, best);
  }
  const raw = Buffer.alloc(height * (width + 1));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      raw[y * (width + 1) + 1 + x] = index.get((pixels[i]! << 16) | (pixels[i + 1]! << 8) | pixels[i + 2]!)!;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 3, 0, 0, 0], 8);
  const plte = Buffer.from(palette.flatMap((color) => [color >> 16, (color >> 8) & 255, color & 255]));
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', header), chunk('PLTE', plte), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function chunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  let crc = 0xffffffff;
  for (const byte of body) crc = CRC_TABLE[(crc ^ byte) & 255]! ^ (crc >>> 8);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0, body.length + 4);
  return out;
}

// ─── Example reports ──────────────────────────────────────────────────────────

/** Runs the bundled action as the runner does, against the demo's simulators (run `npm run build` first). */
async function runDemo(options: { readonly badToken?: boolean }): Promise<RunReport> {
  const scenario = await startScenario({ apiVersion: 'v2', dagster: 'dagster-plus', parseDelayMs: 1500, reloadMs: 800 });
  try {
    scenario.publishHead();
    const run = await runAction({
      inputs: { ...scenario.inputs, 'poll-interval': '250ms', ...(options.badToken ? { 'dagster-cloud-api-token': 'user:expired-token-0000000000' } : {}) },
      eventName: 'push',
      payload: scenario.payload,
      workspace: scenario.repo.dir,
      sha: scenario.head,
      env: scenario.env,
    });
    if (!run.report) throw new Error(`The action wrote no report:\n${run.stdout}${run.stderr}`);
    return run.report;
  } finally {
    await scenario.close();
  }
}

/** A pull request in the middle of an airlift migration, run through the bundle against the simulators. */
async function runMigrationDemo(): Promise<RunReport> {
  const orders = { dagId: 'orders', tasks: ['extract', 'transform', 'load', 'publish'] };
  const billing = { dagId: 'billing', tasks: ['invoice', 'charge'] };
  const exports = { dagId: 'legacy_exports', tasks: ['export', 'archive'] };
  const trimmed = { ...exports, tasks: ['export'] };
  const base = dagFiles([orders, billing, exports], {
    'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: false, load: false, publish: false }),
    'dags/proxied_state/billing.yaml': 'proxied: false\n',
    'dags/proxied_state/legacy_exports.yaml': taskState({ export: false, archive: false }),
  });
  const head = {
    ...base,
    ...dagFiles([trimmed]),
    'dags/proxied_state/orders.yaml': taskState({ extract: true, transform: true, load: true, publish: false }),
    'dags/proxied_state/billing.yaml': 'proxied: true\n',
  };
  const world = await startMigrationWorld({ files: base, dags: [orders, billing, exports] }, { files: head, dags: [orders, billing, trimmed] }, {
    airlift_prod: [{ dagId: 'orders', tasks: ['load'] }, { dagId: 'billing' }, { dagId: 'legacy_exports', tasks: ['archive'] }],
  });
  try {
    const run = await runAction(world.event('pull_request'));
    if (!run.report) throw new Error(`The action wrote no report:\n${run.stdout}${run.stderr}`);
    return run.report;
  } finally {
    await world.close();
  }
}

/** A deterministic pseudo-random sequence, so the large example is the same on every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/** A push of 1,000 DAG changes over three Airflow instances and six code locations, with trouble in each stage. */
export function largeReport(): RunReport {
  const next = random(7);
  const head = '9f3c2e17b04d5a6c8e1f2a3b4c5d6e7f80912a3b';
  const base = '41d0c3b2a1f0e9d8c7b6a5f4e3d2c1b0a9f8e7d6';
  const instances = ['warehouse', 'marketing', 'finance'];
  const verbs = ['ingest', 'load', 'refresh', 'export', 'sync', 'backfill', 'aggregate', 'validate'];
  const nouns = ['orders', 'customers', 'campaign_touchpoints', 'ledger_entries', 'inventory_snapshots', 'web_sessions', 'invoices', 'fx_rates'];
  const dags: DagChange[] = [];
  for (let i = 0; i < 1000; i++) {
    const instance = instances[i % 3]!;
    const dagId = `${instance}__${verbs[Math.floor(next() * verbs.length)]}_${nouns[Math.floor(next() * nouns.length)]}_${String(i).padStart(4, '0')}`;
    const roll = next();
    const kind: DagChange['kind'] = roll < 0.08 ? 'added' : roll < 0.12 ? 'removed' : roll < 0.75 ? 'modified' : 'unchanged';
    const file = `dags/${instance}/${i % 7 === 0 ? 'generated/partner_feeds/' : ''}${dagId.split('__')[1]}.py`;
    const tasks = ['extract', 'transform', 'load', 'check_freshness', 'publish_to_warehouse'];
    const change: DagChange = {
      dagId,
      instance,
      kind,
      file,
      line: 12 + (i % 30),
      tasksAdded: kind === 'modified' && next() < 0.5 ? tasks.slice(0, 1 + Math.floor(next() * 4)).map((task) => `${task}_v2`) : [],
      tasksRemoved: kind === 'modified' && next() < 0.3 ? ['legacy_quality_gate'] : [],
      edgesAdded: kind === 'modified' && next() < 0.5 ? ([['transform', 'load_v2'], ['load_v2', 'check_freshness']] as Edge[]) : [],
      edgesRemoved: kind === 'modified' && next() < 0.3 ? ([['transform', 'legacy_quality_gate']] as Edge[]) : [],
      partial: i % 41 === 0,
      ...(kind === 'added' ? { after: { tasks, edges: [] } } : {}),
      ...(i % 53 === 0 ? { previousFile: `dags/${instance}/old/${dagId.split('__')[1]}.py` } : {}),
      ...(kind === 'unchanged' && i % 2 === 0 ? { via: { module: `common.${instance}.connections` } } : {}),
    };
    dags.push(change);
  }
  const importErrorFiles = dags.filter((dag) => dag.instance === 'marketing' && dag.kind !== 'removed').slice(0, 3);
  const airflow: AirflowReport[] = instances.map((instance, index) => {
    const own = dags.filter((dag) => dag.instance === instance);
    const rows: LiveDagReport[] = own.map((dag) => {
      const broken = importErrorFiles.some((entry) => entry.dagId === dag.dagId);
      if (broken) return { dagId: dag.dagId, state: 'import-error', waitedMs: 8200, proof: `import error in ${dag.file} line 3: ModuleNotFoundError: No module named 'marketing_sdk'` };
      const proof =
        dag.kind === 'removed'
          ? 'Airflow marks it stale'
          : dag.kind === 'added'
            ? 'Airflow lists it as active'
            : index === 1
              ? `the source Airflow stored is the pushed ${dag.file}`
              : index === 0
                ? 'its bundle_version is the pushed commit'
                : "Airflow's tasks and edges equal the pushed ones, and its bundle_version is the pushed commit";
      return { dagId: dag.dagId, state: 'parsed', waitedMs: Math.round(2000 + next() * 60_000), proof };
    });
    return {
      instance,
      url: `https://airflow-${instance}.example.com/`,
      apiVersion: index === 1 ? 'v1' : 'v2',
      status: 'compared',
      dags: rows,
      importErrors:
        instance === 'marketing'
          ? importErrorFiles.map((dag) => ({
              file: dag.file,
              line: 3,
              message: "ModuleNotFoundError: No module named 'marketing_sdk'\nTraceback (most recent call last):\n  File \"/opt/airflow/dags/...\", line 3, in <module>",
            }))
          : [],
      liveDagCount: 1400 + index * 310,
      requests: 420 + index * 37,
      waitedMs: 64_000 + index * 9000,
    };
  });
  const locations: LocationReport[] = instances.flatMap((instance) => {
    const own = dags.filter((dag) => dag.instance === instance);
    const reasons = own.filter((dag) => dag.kind !== 'unchanged').map((dag) => ({ kind: dag.kind === 'removed' ? ('removed' as const) : dag.kind === 'added' ? ('added' as const) : ('modified' as const), instance, dagId: dag.dagId }));
    const expect = [{ instance, present: own.filter((dag) => dag.kind !== 'removed').map((dag) => dag.dagId), absent: own.filter((dag) => dag.kind === 'removed').map((dag) => dag.dagId) }];
    const plan = { instances: [instance], reload: true, reasons, expect };
    const ui = (name: string) => `https://hooli.dagster.cloud/prod/locations/${name}`;
    const observe: LocationReport = { location: `${instance}_observe`, ...plan, uiUrl: ui(`${instance}_observe`), outcome: 'loaded', loadMs: 41_000 + instances.indexOf(instance) * 5000, refresh: { case: 'code-server-snapshot', evidence: 'built with build_defs_from_airflow_instance', via: 'reload' } };
    const jobs = `${instance}_jobs`;
    if (instance === 'finance') {
      return [
        observe,
        {
          location: jobs,
          ...plan,
          uiUrl: ui(jobs),
          outcome: 'load-error',
          loadMs: 38_000,
          message: "dagster._core.errors.DagsterImportError: Encountered ImportError: `cannot import name 'LedgerResource' from 'finance_jobs.resources'` while importing module finance_jobs.definitions.\nStack Trace: ...",
        },
      ];
    }
    if (instance === 'marketing') {
      return [observe, { location: jobs, ...plan, uiUrl: ui(jobs), outcome: 'timed-out', loadMs: 600_000, message: `Code location "${jobs}" was still loading after reload-timeout (10 min).` }];
    }
    return [observe, { location: jobs, ...plan, uiUrl: ui(jobs), outcome: 'loaded', loadMs: 52_000, outOfSync: ['warehouse__sync_orders_0042'], message: 'The location does not mirror warehouse__sync_orders_0042: its DAG filter may exclude it.' }];
  });
  return {
    schemaVersion: 1,
    result: 'failed',
    event: 'push',
    repository: 'acme/airflow-dags',
    range: { kind: 'diff', base, head, forced: false, event: 'push' },
    compareUrl: `https://github.com/acme/airflow-dags/compare/${base}...${head}`,
    headUrl: `https://github.com/acme/airflow-dags/blob/${head}`,
    dryRun: false,
    changes: {
      source: 'github-api',
      githubApiRequests: 14,
      dags,
      archives: ['dags/finance/vendor_bundle.zip'],
      syntaxErrors: [
        { file: 'dags/warehouse/scratch/tmp_backfill.py', line: 27, column: 9, message: "invalid syntax: expected ':'" },
        { file: 'dags/marketing/experiments/ab_test_attribution_model_v3_final_FINAL.py', line: 114, column: 1, message: 'unexpected indent' },
      ],
      dynamicDags: [
        { file: 'dags/warehouse/generated/partner_feeds/factory.py', line: 31, message: 'DAG id built in a loop over a config file' },
        { file: 'dags/finance/dynamic_ledgers.py', line: 8, message: 'DAG id from a function call' },
      ],
      skippedFiles: [{ file: 'dags/warehouse/generated/huge_generated_dag.py', line: 1, message: 'larger than 2 MB: not read' }],
    },
    airflow,
    dagster: { kind: 'dagster-plus', url: 'https://hooli.dagster.cloud/prod/graphql', status: 'compared', locations, requests: 96 },
    failures: [
      {
        stage: 'airflow',
        message: `Airflow (marketing) cannot import 3 pushed file(s): ${importErrorFiles.map((dag) => `${dag.file}:3`).join(', ')}.`,
        fix: 'Fix the import errors annotated on the files (or set fail-on-import-errors: false to only report them).',
        input: 'fail-on-import-errors',
      },
      {
        stage: 'dagster',
        message: "Code location \"finance_jobs\" failed to load after the reload: dagster._core.errors.DagsterImportError: Encountered ImportError: `cannot import name 'LedgerResource' from 'finance_jobs.resources'`",
        fix: 'Fix the error in the code location (see the Dagster UI); airlift-sync reloads it again on the next push.',
      },
      {
        stage: 'dagster',
        message: 'Code location "marketing_jobs" was still loading after reload-timeout (10 min).',
        fix: 'Check the code server in the Dagster UI, or raise reload-timeout if it takes longer to load.',
        input: 'reload-timeout',
      },
      {
        stage: 'dagster',
        message: 'Code location "warehouse_jobs" reloaded but still does not show the push: warehouse__sync_orders_0042 missing.',
        fix: 'Check that the location mirrors this Airflow instance and that its DAG filter includes these DAGs.',
      },
    ],
    timings: { totalMs: 731_400, changesMs: 5_800, airflowMs: 93_100, dagsterMs: 632_500 },
  };
}

// ─── Command line ─────────────────────────────────────────────────────────────

async function docs(dir: string, keep: boolean): Promise<void> {
  const browser = chromium();
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(path.join(os.tmpdir(), 'render-summary-'));
  const examples: [name: string, title: string, report: () => RunReport | Promise<RunReport>][] = [
    ['small', 'The demo push: one DAG added, one removed, one changed', () => runDemo({})],
    ['large', 'A 1,000-DAG push over 3 Airflow instances and 6 code locations', largeReport],
    ['failed', 'The demo push with a Dagster+ token Dagster rejects', () => runDemo({ badToken: true })],
    ['migration', 'A pull request during an airlift migration', runMigrationDemo],
  ];
  try {
    for (const [name, title, build] of examples) {
      const report = await build();
      const json = path.join(work, `summary-${name}.json`);
      const html = path.join(work, `summary-${name}.html`);
      const png = path.join(dir, `summary-${name}.png`);
      writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
      writeFileSync(html, summaryPage(renderSummary(report), `airlift-sync summary · ${title}`));
      const shot = screenshot(browser, html, png);
      console.log(`${png}: ${WIDTH}×${shot.height}, ${Math.round(shot.bytes / 1024)} KB`);
      if (keep) for (const file of [json, html]) copyFileSync(file, path.join(dir, path.basename(file)));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

async function main(args: readonly string[]): Promise<void> {
  if (args[0] === '--docs') {
    const rest = args.slice(1).filter((arg) => arg !== '--keep');
    await docs(path.resolve(rest[0] ?? path.join(ROOT, 'docs')), args.includes('--keep'));
    return;
  }
  const [input, output] = args;
  if (!input || !output || args.length !== 2) {
    console.error('usage: npx tsx scripts/render-summary.ts <report.json> <out.html>\n       npx tsx scripts/render-summary.ts --docs [dir] [--keep]');
    process.exitCode = 2;
    return;
  }
  const report = JSON.parse(readFileSync(input, 'utf8')) as RunReport;
  writeFileSync(output, summaryPage(renderSummary(report), `airlift-sync summary · ${path.basename(input)}`));
  console.log(`${output}: ${report.result}, ${report.changes.dags.length} DAG changes`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv.slice(2));
