// The server processes of the real tier: each started in a process group of its own, its output
// in a log file, and every group stopped at the end, on a test failure and on Ctrl-C alike.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export interface Server {
  readonly name: string;
  readonly log: string;
  /** The last lines of the log, for a failure message. */
  tail(lines?: number): string;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    // The group is already gone.
  }
}

// A test runner killed by Ctrl-C or a CI timeout skips afterAll: the groups go down with it.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    for (const child of running) killGroup(child, 'SIGKILL');
    process.exit(130);
  });
}
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

/** Starts `command` detached (its own process group), stdout and stderr appended to `<logDir>/<name>.log`. */
export function startServer(name: string, command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; logDir: string }): Server {
  const log = path.join(options.logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    log,
    tail: (lines = 40) => readFileSync(log, 'utf8').split('\n').slice(-lines).join('\n'),
    async stop() {
      if (!running.has(child)) return;
      killGroup(child, 'SIGTERM');
      // Gunicorn and Dagster's code servers take a few seconds to drain; then the group is killed.
      await Promise.race([exited, sleep(10_000)]);
      killGroup(child, 'SIGKILL');
      running.delete(child);
    },
  };
}

/** Runs a command to completion (a migration, a user creation), its output appended to the log. */
export async function runCommand(name: string, command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv; logDir: string }): Promise<void> {
  const log = path.join(options.logDir, `${name}.log`);
  const fd = openSync(log, 'a');
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', fd, fd] });
  running.add(child);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  running.delete(child);
  if (code !== 0) throw new Error(`${name} exited with ${code}:\n${readFileSync(log, 'utf8').split('\n').slice(-30).join('\n')}`);
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

/**
 * Polls `check` until it answers true; fails at once when it answers a string (what went wrong for
 * good), and after `timeoutMs` with what `describe` says.
 */
export async function waitFor(what: string, check: () => Promise<boolean | string>, timeoutMs: number, describe: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let answer: boolean | string = false;
    try {
      answer = await check();
    } catch {
      // Not up yet.
    }
    if (answer === true) return;
    if (typeof answer === 'string') throw new Error(`${what}: ${answer}`);
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${timeoutMs / 1000} s\n${describe()}`);
    await sleep(500);
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
