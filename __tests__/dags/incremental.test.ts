// A file read right after a similar text is parsed from that text's tree (tree-sitter's
// incremental parsing, as the changes stage reads a modified file at both revisions in turn). What
// the reader finds must not depend on it: each edited text reads the same after its original as
// after an unrelated text, from which it is parsed from scratch.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readDagFile } from '../../src/dags/read.js';

const corpusDir = join(import.meta.dirname, '../fixtures/dags/corpus');
const corpus = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.py'))
  .sort()
  .map((name) => ({ name, source: readFileSync(join(corpusDir, name), 'utf8') }));

/** Shares no prefix and next to no suffix with a DAG file, so the next text is parsed from scratch. */
const UNRELATED = '0';

/** The source with `count` lines from its middle replaced by `added`. */
function spliceMiddle(source: string, count: number, ...added: string[]): string {
  const lines = source.split('\n');
  lines.splice(Math.floor(lines.length / 2), count, ...added);
  return lines.join('\n');
}

const edits: Record<string, (source: string) => string> = {
  'a comment appended': (source) => `${source}\n# reviewed: owner and schedule unchanged\n`,
  'a statement inserted mid-file': (source) => spliceMiddle(source, 0, 'EXTRA = 1'),
  'a line removed mid-file': (source) => spliceMiddle(source, 1),
  'an indented line inserted mid-file': (source) => spliceMiddle(source, 0, '        extra = 1'),
  'lines changed at the top and the bottom': (source) => `EXTRA = 0\n${source.replace(/\n[^\n]*\n?$/, '\nTAIL = 1\n')}`,
  'lines changed in several places': (source) => source.split('\n').map((line, index) => (index % 7 === 3 && !line.trim().startsWith('#') ? `${line}  # note` : line)).join('\n'),
  'a string literal changed': (source) => source.replace(/"([a-z_]+)"/, '"$1_v2"'),
  'cut off mid-file (a syntax error)': (source) => source.slice(0, Math.floor((source.length * 2) / 3)),
  'an unclosed bracket mid-file': (source) => spliceMiddle(source, 0, 'oops = ('),
};

describe('reading a file right after a similar one', () => {
  for (const [edit, apply] of Object.entries(edits)) {
    it(`finds the same as a fresh read: ${edit}`, async () => {
      for (const { name, source } of corpus) {
        const edited = apply(source);
        await readDagFile('dags/x.py', UNRELATED);
        const fresh = await readDagFile('dags/x.py', edited);
        await readDagFile('dags/x.py', source);
        const after = await readDagFile('dags/x.py', edited);
        // And back: the original read after its edit, whose tree was kept only without errors.
        const back = await readDagFile('dags/x.py', source);
        await readDagFile('dags/x.py', UNRELATED);
        expect({ name, read: after }).toEqual({ name, read: fresh });
        expect({ name, read: back }).toEqual({ name, read: await readDagFile('dags/x.py', source) });
      }
    });
  }
});
