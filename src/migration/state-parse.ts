// Parses a proxied-state file as airlift does (see state-file.ts for airlift's rules). A module of
// its own so that the YAML library is loaded only when a repository has proxied state.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type YAMLMap } from 'yaml';
import { STATE_SUFFIX, type FileProblem, type StateFile, type TaskState } from './state-file.js';

export function parseStateFile(path: string, text: string): StateFile {
  const dagId = (path.split('/').pop() ?? path).replace(STATE_SUFFIX, '');
  const lines = new LineCounter();
  const document = parseDocument(text, { version: '1.1', uniqueKeys: false, lineCounter: lines });
  const lineOf = (node: unknown) => {
    const offset = (node as Node | null)?.range?.[0];
    return offset === undefined ? 1 : lines.linePos(offset).line;
  };
  const malformed = (line: number, message: string): StateFile => ({ path, dagId, problems: [{ kind: 'malformed', line, message }] });

  const syntax = document.errors[0];
  if (syntax) return malformed(syntax.linePos?.[0].line ?? 1, `not valid YAML: ${syntax.message.split('\n')[0]}`);
  const root = document.contents;
  if (!isMap(root)) return malformed(lineOf(root), 'expected a mapping with `tasks:` or `proxied:` at the top');
  const keys = root.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''));
  const hasTasks = keys.includes('tasks');
  const hasProxied = keys.includes('proxied');
  if (hasTasks === hasProxied) {
    return malformed(lineOf(root), hasTasks ? 'has both `tasks:` and `proxied:`: airlift expects only one' : 'has neither `tasks:` nor `proxied:`');
  }
  if (hasProxied) {
    const value = valueOf(root, 'proxied');
    const proxied = booleanOf(value);
    if (proxied === undefined && !(isScalar(value) && value.value === null)) return malformed(lineOf(value), '`proxied:` must be true, false or empty');
    // `proxied:` left empty: airlift proxies at task level, with no task listed.
    return { path, dagId, state: proxied === undefined ? { level: 'task', tasks: [] } : { level: 'dag', proxied }, problems: [] };
  }

  const list = valueOf(root, 'tasks');
  if (!isSeq(list)) return malformed(lineOf(list ?? root), '`tasks:` must be a list of `{id, proxied}` entries');
  const tasks: TaskState[] = [];
  const problems: FileProblem[] = [];
  const seen = new Map<string, TaskState>();
  for (const item of list.items) {
    const line = lineOf(item);
    if (!isMap(item)) return malformed(line, 'each task must be a mapping with `id:` and `proxied:`');
    // A key given twice counts once, as in the dict PyYAML builds (the last value wins).
    const names = [...new Set(item.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : '')))];
    if (names.length !== 2 || !names.includes('id') || !names.includes('proxied')) {
      return malformed(line, `a task must have exactly the keys \`id\` and \`proxied\` (found ${names.map((name) => `\`${name}\``).join(', ') || 'none'})`);
    }
    const idNode = valueOf(item, 'id');
    const proxied = booleanOf(valueOf(item, 'proxied'));
    if (proxied === undefined) return malformed(line, '`proxied:` of a task must be true or false');
    if (!isScalar(idNode) || idNode.value === null) return malformed(line, '`id:` of a task must name the task');
    const task = { id: String(idNode.value), proxied, line };
    const earlier = seen.get(task.id);
    if (earlier) {
      problems.push({
        kind: 'duplicate-task',
        line,
        taskId: task.id,
        message: `Task \`${task.id}\` is listed twice (lines ${earlier.line} and ${line}): airlift keeps the last entry (proxied: ${proxied}) without a warning`,
      });
    }
    seen.set(task.id, task);
    tasks.push(task);
  }
  return { path, dagId, state: { level: 'task', tasks }, problems };
}

/** A key's value; of a key given twice, the last, as PyYAML keeps it. */
function valueOf(map: YAMLMap, key: string): unknown {
  return [...map.items].reverse().find((pair) => isScalar(pair.key) && String(pair.key.value) === key)?.value;
}

// Python's `value in [True, False]` also accepts 1 and 0, which equal True and False.
function booleanOf(node: unknown): boolean | undefined {
  if (!isScalar(node)) return undefined;
  const value = node.value;
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === 0) return value === 1;
  return undefined;
}
