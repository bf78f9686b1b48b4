// The repository's own files, as the publishing tests read them.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export function readRepoFile(relative: string): string {
  return readFileSync(path.join(ROOT, relative), 'utf8');
}

export const WORKFLOWS = readdirSync(path.join(ROOT, '.github/workflows'))
  .filter((name) => /\.ya?ml$/.test(name))
  .map((name) => `.github/workflows/${name}`)
  .sort();

/** The names of the inputs action.yml declares. */
export function actionInputs(): Set<string> {
  const action = parse(readRepoFile('action.yml')) as { inputs: Record<string, unknown> };
  return new Set(Object.keys(action.inputs));
}

/** A step that runs this action, as a workflow or a README example writes it. */
export interface ActionStep {
  readonly uses: string;
  readonly with: readonly string[];
}

const THIS_ACTION = /^(?:\.\/?|[\w.-]+\/airlift-sync@.+)$/;

/** Every step in a parsed YAML document that uses this action (by `./` or `OWNER/airlift-sync@REF`). */
export function actionSteps(document: unknown): ActionStep[] {
  const found: ActionStep[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      node.forEach(visit);
    } else if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record.uses === 'string' && THIS_ACTION.test(record.uses)) {
        const inputs = record.with && typeof record.with === 'object' ? Object.keys(record.with) : [];
        found.push({ uses: record.uses, with: inputs });
      }
      Object.values(record).forEach(visit);
    }
  };
  visit(document);
  return found;
}
