import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
};
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('action.yml and the README', () => {
  it('runs the bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('documents every input and output, with its default', () => {
    for (const [name, input] of Object.entries(action.inputs)) {
      expect(input.description.length, name).toBeGreaterThan(10);
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, `README row for input ${name}`).toBeDefined();
      if (input.default !== undefined) expect(row).toContain(`\`${String(input.default).replace(/\|/g, '\\|')}\``);
    }
    for (const name of Object.keys(action.outputs)) expect(readme).toContain(`| \`${name}\` |`);
  });

  it('links each setup in "Choose your setup" to a section of the README', () => {
    const table = readme.slice(readme.indexOf('## Choose your setup'), readme.indexOf('## Why'));
    const targets = [...table.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]);
    // GitHub's heading anchors: lower case, punctuation other than - and _ dropped, spaces to hyphens.
    const anchors = new Set([...readme.matchAll(/^#{2,4} (.+)$/gm)].map((match) => match[1]!.toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));
    expect(targets.length).toBeGreaterThanOrEqual(6);
    expect(targets.filter((target) => !anchors.has(target!))).toEqual([]);
    for (const setup of ['Dagster+', 'Self-hosted (OSS) Dagster', 'Astronomer', 'Cloud Composer', 'MWAA', 'Several Airflow instances']) expect(table).toContain(setup);
  });

  it('opens with the two commands: the demo and the tests', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(firstBlock).toContain('npm run demo');
    expect(firstBlock).toContain('npm test');
  });
});
