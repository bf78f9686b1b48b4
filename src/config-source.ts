// The config file's text, read only when it is what a config file can be: a regular file inside
// the checked-out repository, of a config file's size. The path comes from the workflow, and
// the files of the workspace from whoever pushed: a path or a symlink out of it (/etc/passwd,
// ../../x), a folder, a device that never ends (/dev/zero) or a FIFO that never answers are
// refused with the input named, before a byte is read.
import { closeSync, constants, fstatSync, openSync, readSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { ActionError } from './model.js';

/** Far above any real config (a few instances, a few KiB), far below what would hurt the runner. */
export const MAX_CONFIG_BYTES = 256 * 1024;

const FIX = 'Set config to a YAML file in the repository, as a path relative to the repository root, e.g. .github/airlift-sync.yml.';

export function readConfigText(workspace: string, configPath: string): string {
  const root = realOrResolved(workspace);
  const full = path.resolve(root, configPath);
  if (!inside(root, full)) throw new ActionError(`The config file ${configPath} is outside the repository (${root}).`, FIX, 'config');
  let real: string;
  try {
    real = realpathSync(full);
  } catch {
    throw new ActionError(`The config file ${configPath} does not exist.`, FIX, 'config');
  }
  if (!inside(root, real)) throw new ActionError(`The config file ${configPath} is a link to ${real}, outside the repository.`, FIX, 'config');
  // Non-blocking, so that opening a FIFO returns at once and is refused below instead of waiting for a writer.
  let fd: number;
  try {
    fd = openSync(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new ActionError(`The config file ${configPath} cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}).`, FIX, 'config');
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new ActionError(`The config file ${configPath} is ${stat.isDirectory() ? 'a folder' : 'not a regular file'}.`, FIX, 'config');
    if (stat.size > MAX_CONFIG_BYTES) throw tooLarge(configPath);
    // Read at most one byte past the cap: a file that grows while it is read is still cut off.
    const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (let read = -1; read !== 0 && length < buffer.length; length += read) read = readSync(fd, buffer, length, buffer.length - length, null);
    if (length > MAX_CONFIG_BYTES) throw tooLarge(configPath);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}

function realOrResolved(folder: string): string {
  try {
    return realpathSync(folder);
  } catch {
    return path.resolve(folder);
  }
}

function inside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}

function tooLarge(configPath: string): ActionError {
  return new ActionError(`The config file ${configPath} is larger than ${MAX_CONFIG_BYTES / 1024} KiB.`, 'A config file lists a few Airflow instances: point config at the right file.', 'config');
}
