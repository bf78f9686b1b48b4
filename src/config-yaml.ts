// The config file's YAML, parsed. A module of its own so that the YAML library is loaded only when
// a config file is given (src/inputs.ts imports it on demand): most runs have none.
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { ActionError } from './model.js';

/** Few aliases are ever needed in a config; many multiply into a structure that exhausts memory (an alias bomb). */
const MAX_CONFIG_ALIASES = 50;

export interface ConfigYaml {
  /** The document as plain data. */
  readonly value: unknown;
  /** The 1-based line of a key path, for error messages. */
  lineOf(keyPath: readonly string[]): number | undefined;
}

export function parseConfigYaml(text: string, configPath: string): ConfigYaml {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const yamlError = document.errors[0];
  if (yamlError) {
    const line = lines.linePos(yamlError.pos[0]).line;
    throw new ActionError(
      `The config file ${configPath} is not valid YAML${line ? ` (line ${line})` : ''}: ${yamlError.message.split('\n')[0]}`,
      'Fix the YAML syntax (indentation, quoting).',
      'config',
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_CONFIG_ALIASES });
  } catch (error) {
    // yaml throws a ReferenceError for an alias count past the limit.
    if (!(error instanceof ReferenceError)) throw error;
    throw new ActionError(
      `The config file ${configPath} uses YAML aliases (*name) that expand too far (more than ${MAX_CONFIG_ALIASES}).`,
      'Write the instances out without nested aliases.',
      'config',
    );
  }
  return { value, lineOf: (keyPath) => lineOf(document.contents, keyPath, lines) };
}

function lineOf(node: unknown, keyPath: readonly string[], lines: LineCounter): number | undefined {
  let current = node as YamlNode | null | undefined;
  let last: number | undefined;
  for (const key of keyPath) {
    if (isMap(current)) {
      const pair = current.items.find((item) => String((item.key as { value?: unknown } | null)?.value) === key);
      if (!pair) break;
      const keyNode = pair.key as YamlNode | null;
      if (keyNode?.range) last = lines.linePos(keyNode.range[0]).line;
      current = pair.value as YamlNode | null;
    } else if (isSeq(current)) {
      const item = current.items[Number(key)] as YamlNode | undefined;
      if (!item) break;
      if (item.range) last = lines.linePos(item.range[0]).line;
      current = item;
    } else {
      break;
    }
  }
  return last;
}
