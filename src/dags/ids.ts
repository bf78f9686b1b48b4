// Airflow accepts DAG, task and group ids matching KEY_REGEX `^[\w.-]+$`, at
// most 250 characters. Python's `\w` is Unicode-aware: letters, digits, `_`.
const KEY = /^[\p{L}\p{N}_.-]+$/u;
const MAX_KEY_LENGTH = 250;

export function isValidId(id: string): boolean {
  return id.length <= MAX_KEY_LENGTH && KEY.test(id);
}
