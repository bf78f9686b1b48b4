// action.yml as GitHub reads it for the runner and the Marketplace: GitHub's own action schema
// (@actions/workflow-parser, which lists the Feather icons and colours the Marketplace accepts), the
// Marketplace's limits, and every input the README's examples pass.
import { NoOperationTraceWriter } from '@actions/workflow-parser';
import { parseAction } from '@actions/workflow-parser/actions/action-parser';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { actionInputs, actionSteps, readRepoFile } from './files.js';

const text = readRepoFile('action.yml');
const action = parse(text) as { name: string; description: string; branding: { icon: string; color: string } };

function schemaErrors(content: string): string[] {
  return parseAction({ name: 'action.yml', content }, new NoOperationTraceWriter()).context.errors.getErrors().map((error) => error.message);
}

describe('action.yml for the Marketplace', () => {
  it("passes GitHub's action schema", () => {
    expect(schemaErrors(text)).toEqual([]);
  });

  it('has branding the Marketplace accepts, and the schema refuses one it does not', () => {
    expect(action.branding).toEqual({ icon: 'refresh-cw', color: 'purple' });
    // Feather's "coffee" is among the icons the Marketplace leaves out; "pink" is no badge colour.
    const refused = schemaErrors(text.replace('icon: refresh-cw', 'icon: coffee').replace('color: purple', 'color: pink'));
    expect(refused).toHaveLength(2);
    expect(refused.join('\n')).toMatch(/'coffee'[\s\S]*'pink'/);
  });

  it('has a description under 125 characters', () => {
    expect(action.description.length).toBeLessThan(125);
  });

  it('has a name of its own, not the bare name a GitHub user or organization can hold', () => {
    expect(action.name).toMatch(/\s/);
    expect(action.name.length).toBeLessThanOrEqual(80);
  });
});

/** The ```yaml blocks of a Markdown text, parsed. */
function yamlBlocks(markdown: string): unknown[] {
  return [...markdown.matchAll(/^```ya?ml\n([\s\S]*?)^```$/gm)].flatMap((match) =>
    parseAllDocuments(match[1]!).map((document) => {
      if (document.errors.length > 0) throw new Error(`README example is not YAML: ${document.errors[0]!.message}\n${match[1]}`);
      return document.toJS();
    }),
  );
}

describe('the README examples', () => {
  const steps = yamlBlocks(readRepoFile('README.md')).flatMap(actionSteps);

  it('use the action the recommended way: a full commit SHA with its release as a comment', () => {
    expect(steps.length).toBeGreaterThanOrEqual(6);
    const readme = readRepoFile('README.md');
    const uses = readme.split('\n').filter((line) => /^\s*(?:- )?uses: [\w.-]+\/airlift-sync@/.test(line));
    expect(uses.length).toBe(steps.length);
    for (const line of uses) expect(line).toMatch(/uses: airlift-sync\/airlift-sync@<full commit sha> +# v1\.\d+\.\d+\b/);
  });

  it('pass only inputs that action.yml declares', () => {
    const declared = actionInputs();
    // `with: { ... }` in the JSON report example stands for the inputs of another example.
    const passed = steps.flatMap((step) => step.with).filter((input) => input !== '...');
    expect(passed.length).toBeGreaterThan(20);
    expect([...new Set(passed.filter((input) => !declared.has(input)))]).toEqual([]);
  });

  it('are checked, so a misspelt input fails', () => {
    const misspelt = readRepoFile('README.md').replace('dagster-cloud-organization: hooli', 'dagster-cloud-org: hooli');
    const passed = yamlBlocks(misspelt).flatMap(actionSteps).flatMap((step) => step.with);
    expect(passed.filter((input) => !actionInputs().has(input) && input !== '...')).toEqual(['dagster-cloud-org']);
  });
});
