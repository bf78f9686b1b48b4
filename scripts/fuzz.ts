// `npm run fuzz`: the static reader against generated hostile and careless Python, far more cases
// than the test suite runs (issue 17.8). Every case must come back well formed (see
// __tests__/support/read-invariants.ts), without a throw, within the reader's time budget plus a
// margin; a few of these families also run as ordinary tests (__tests__/dags/fuzz.test.ts,
// budgets.test.ts). Seeded: `--seed N` replays a run, `--cases N` sizes it (default 100,000).
// `--max-millis` is the reader's time budget per file (default 250 ms, not the action's 2 s, so that
// a run of a thousand interpreter bombs ends in minutes; budgets.test.ts covers the default).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { readDagFile } from '../src/dags/read.js';
import { mulberry32 } from '../sim/synthetic-dags.js';
import { readProblems } from '../__tests__/support/read-invariants.js';

const { values: flags } = parseArgs({
  options: { cases: { type: 'string', default: '100000' }, seed: { type: 'string', default: '1' }, 'max-millis': { type: 'string', default: '250' } },
});
const total = Number(flags.cases);
const maxMillis = Number(flags['max-millis']);
const random = mulberry32(Number(flags.seed));
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (below: number) => Math.floor(random() * below);

const corpusDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../__tests__/fixtures/dags/corpus');
const corpus = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.py'))
  .sort()
  .map((name) => readFileSync(path.join(corpusDir, name), 'utf8'));

const HEADER = 'from airflow.sdk import DAG\nfrom airflow.providers.standard.operators.empty import EmptyOperator\n\n';
const TOKENS = ['with', 'DAG(', ')', ':', '\n', '    ', 'def', 'for', 'in', 'range(3)', 'if', 'else', '>>', '<<', '[', ']', '{', '}', '"x"', "f'{a}'", 'task_id=', 'EmptyOperator(', '@task', '@dag', 'chain(', ',', '=', 'lambda', 'return', '\\', '#', '"""', '*', '**', 'import', 'from', '.', 'TaskGroup(', 'yield', 'None'];
const ODD = ['\u0000', '\ud800', '\udfff', '\ufeff', '\r', '\r\n', '\u2028', '\u000c', '\u00a0', '😀', '\u0301', '\t', '\u202e', '\u200b'];

/** Generated Python, by family: what a careless pusher, an editor or an attacker could push. */
const FAMILIES: Record<string, () => string> = {
  'mutated real-style DAG code': () => {
    let text = pick(corpus);
    for (let edits = 1 + int(6); edits > 0; edits--) {
      const at = int(text.length + 1);
      const span = int(12);
      const insert = random() < 0.5 ? pick(TOKENS) : text.slice(int(text.length), int(text.length) + int(40));
      text = text.slice(0, at) + (random() < 0.3 ? '' : insert) + text.slice(at + span);
    }
    return text;
  },
  'lines shuffled, dropped or repeated': () => {
    const lines = pick(corpus).split('\n');
    for (let edits = 1 + int(5); edits > 0; edits--) {
      const i = int(lines.length);
      const op = int(3);
      if (op === 0) lines.splice(i, 1);
      else if (op === 1) lines.splice(i, 0, lines[int(lines.length)] ?? '');
      else [lines[i], lines[0]] = [lines[0] ?? '', lines[i] ?? ''];
    }
    return lines.join('\n');
  },
  'cut short': () => {
    const source = pick(corpus);
    return source.slice(0, int(source.length));
  },
  'token soup': () => Array.from({ length: 1 + int(300) }, () => pick(TOKENS)).join(pick([' ', '', '\n'])),
  'deep nesting': () => {
    const depth = 10 + int(30_000);
    const [open, close] = pick([['(', ')'], ['[', ']'], ['f(', ')'], ['{"k": ', '}'], ['-', ''], ['not ', '']]);
    return `${HEADER}x = ${open!.repeat(depth)}1${close!.repeat(random() < 0.8 ? depth : int(depth))}\n`;
  },
  'deep blocks': () => `${HEADER}${Array.from({ length: 1 + int(1500) }, (_, i) => `${' '.repeat(i)}if x:\n`).join('')}${' '.repeat(1500)}pass\n`,
  'huge literals': () =>
    pick([
      () => `${HEADER}with DAG(str(10**${int(200_000)})):\n    pass\n`,
      () => `${HEADER}with DAG("${'a'.repeat(int(900_000))}"):\n    pass\n`,
      () => `${HEADER}x = [${Array.from({ length: int(50_000) }, (_, i) => i).join(', ')}]\n`,
      () => `${HEADER}x = ${'9'.repeat(int(100_000) + 1)}\n`,
      () => `${HEADER}x = "ab" * ${10 ** (3 + int(10))}\n`,
      () => `${HEADER}with DAG("d"):\n${Array.from({ length: int(20_000) }, (_, i) => `    t${i} = EmptyOperator(task_id="t${i}")`).join('\n')}\n`,
    ])(),
  'odd encodings and characters': () => {
    const base = pick([...corpus, `${HEADER}with DAG("odd"):\n    EmptyOperator(task_id="a") >> EmptyOperator(task_id="b")\n`]);
    let text = base;
    for (let edits = 1 + int(8); edits > 0; edits--) {
      const at = int(text.length + 1);
      text = text.slice(0, at) + pick(ODD) + text.slice(at);
    }
    if (random() < 0.3) text = text.replace(/\n/g, pick(['\r\n', '\r']));
    return random() < 0.2 ? Buffer.from(text, 'utf8').toString('latin1') : text;
  },
  'random bytes': () => Buffer.from(Array.from({ length: 1 + int(2000) }, () => int(256))).toString(pick(['utf8', 'latin1'] as const)),
  'interpreter bombs': () =>
    HEADER +
    pick([
      () => `s = [1]\nfor i in range(${30 + int(40)}):\n    s = s + s\n`,
      () => `s = "ab"\nfor i in range(${30 + int(40)}):\n    s = s.replace("a", "aa")\n`,
      () => `x = [[i, j] for i in range(${10 ** (3 + int(4))}) for j in range(${10 ** (3 + int(4))})]\n`,
      () => 'def f(n):\n    return f(n + 1) + f(n + 2)\nf(0)\n',
      () => 'while True:\n    pass\n',
      () => `x = "a" * ${10 ** (6 + int(10))}\n`,
      () => `x = list(range(${10 ** (6 + int(10))}))\n`,
      () => `d = {}\nfor i in range(${10 ** (4 + int(4))}):\n    d[str(i)] = [i] * ${10 ** (1 + int(4))}\n`,
      () => `s = "{0}{0}"\nfor i in range(${20 + int(40)}):\n    s = s.format(s)\n`,
      () => `with DAG("bomb"):\n    for i in range(${10 ** (4 + int(4))}):\n        EmptyOperator(task_id=f"t{i}")\n`,
    ])(),
};

/** Cases per hundred: the cheap families most, the ones that run into a budget (seconds each) least. */
const WEIGHTS: Record<keyof typeof FAMILIES, number> = {
  'mutated real-style DAG code': 30,
  'lines shuffled, dropped or repeated': 14,
  'cut short': 14,
  'token soup': 14,
  'odd encodings and characters': 14,
  'random bytes': 8,
  'deep nesting': 2,
  'deep blocks': 1,
  'huge literals': 2,
  'interpreter bombs': 1,
};
const schedule = Object.entries(WEIGHTS).flatMap(([family, weight]) => Array.from({ length: weight }, () => family));
const names = Object.keys(FAMILIES);
const counts = new Map(names.map((name) => [name, { cases: 0, skipped: 0, dags: 0, slowestMs: 0 }]));
const failures: string[] = [];
// A case this far over the reader's budget ran away from it.
const RUNAWAY_MS = maxMillis + 5_000;
const started = Date.now();

for (let i = 0; i < total; i++) {
  const family = schedule[i % schedule.length]!;
  const source = FAMILIES[family]!();
  const file = `dags/fuzz_${i}.py`;
  const count = counts.get(family)!;
  count.cases++;
  const caseStart = Date.now();
  try {
    const read = await readDagFile(file, source, { maxMillis });
    const tookMs = Date.now() - caseStart;
    count.slowestMs = Math.max(count.slowestMs, tookMs);
    if (read.skipped) count.skipped++;
    count.dags += read.dags.length;
    const problems = readProblems(read, file);
    if (tookMs > RUNAWAY_MS) problems.push(`took ${tookMs} ms`);
    if (problems.length) failures.push(`case ${i} (${family}): ${problems.join('; ')}`);
  } catch (error) {
    failures.push(`case ${i} (${family}): threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  }
  if ((i + 1) % 10_000 === 0) console.log(`${i + 1} cases, ${failures.length} failing, ${Math.round((Date.now() - started) / 1000)} s`);
}

console.log(`\nseed ${flags.seed}, ${maxMillis} ms budget per file: ${total} cases in ${Math.round((Date.now() - started) / 1000)} s`);
for (const [family, count] of counts) {
  console.log(`  ${family.padEnd(36)} ${String(count.cases).padStart(7)} cases, ${String(count.skipped).padStart(6)} skipped with a reason, ${String(count.dags).padStart(7)} DAGs read, slowest ${count.slowestMs} ms`);
}
for (const failure of failures.slice(0, 20)) console.log(failure);
console.log(`${total - failures.length} passed, ${failures.length} failed`);
process.exitCode = failures.length ? 1 : 0;
