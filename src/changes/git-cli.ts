// Running git without a shell. File names from the repository are untrusted:
// they never appear on a command line here (paths come back NUL-separated,
// objects are read by id over stdin), so no quoting rule can be got wrong.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export class GitError extends Error {
  override readonly name = 'GitError';
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    super(`git ${command} failed${exitCode === null ? '' : ` (exit ${exitCode})`}: ${firstLine(redactCredentials(stderr)) || 'no message'}`);
  }
}

export interface GitRun {
  readonly cwd: string;
  /** Exit codes that are answers, not failures (`merge-base --is-ancestor` says no with 1). */
  readonly okCodes?: readonly number[];
  readonly timeoutMs?: number;
}

export interface GitResult {
  readonly stdout: Buffer;
  readonly code: number;
}

// A prompt for credentials would hang the job until its timeout; a failed
// fetch is an answer the caller handles (it falls back to the API).
const GIT_ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', GCM_INTERACTIVE: 'never', LC_ALL: 'C' };

export function runGit(args: readonly string[], run: GitRun): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { cwd: run.cwd, env: GIT_ENV, stdio: ['ignore', 'pipe', 'pipe'], timeout: run.timeoutMs });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new GitError(args[0] ?? '', null, error.message)));
    child.on('close', (code, signal) => {
      const exit = code ?? -1;
      if (exit === 0 || run.okCodes?.includes(exit)) {
        resolve({ stdout: Buffer.concat(out), code: exit });
      } else {
        const why = signal ? `killed by ${signal}${signal === 'SIGTERM' && run.timeoutMs ? ` after ${run.timeoutMs} ms` : ''}\n` : '';
        reject(new GitError(args[0] ?? '', code, why + Buffer.concat(err).toString('utf8')));
      }
    });
  });
}

/** Splits NUL-terminated git output (`-z`). */
export function splitNul(output: Buffer): string[] {
  const text = output.toString('utf8');
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** Credentials in a remote URL (`https://user:token@host`) must not reach a log or an error message. */
export function redactCredentials(text: string): string {
  return text.replace(/(\/\/)[^/\s@]+@/g, '$1***@');
}

function firstLine(text: string): string {
  return text.split('\n').map((line) => line.trim()).find((line) => line.length > 0) ?? '';
}

interface Pending {
  resolve(value: Buffer | null): void;
  reject(error: Error): void;
}

const IDLE_CLOSE_MS = 2_000;

/**
 * One `git cat-file --batch` process that reads any number of objects by id,
 * pipelined: hundreds of files cost one process, not one each. It starts on
 * the first read and stops after a moment idle, so a caller that forgets
 * close() does not keep the action alive.
 */
export class CatFileBatch {
  private session: BatchSession | undefined;
  private idle: NodeJS.Timeout | undefined;

  constructor(private readonly cwd: string) {}

  /** The object's content, or null when the repository does not have it; oid may be `<commit>^{tree}`. */
  read(oid: string): Promise<Buffer | null> {
    if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?(?:\^\{tree\})?$/.test(oid)) return Promise.reject(new Error(`not an object id: ${oid}`));
    clearTimeout(this.idle);
    this.session ??= new BatchSession(this.cwd, () => {
      clearTimeout(this.idle);
      this.idle = setTimeout(() => void this.close(), IDLE_CLOSE_MS);
      this.idle.unref();
    });
    return this.session.read(oid);
  }

  close(): Promise<void> {
    clearTimeout(this.idle);
    const session = this.session;
    this.session = undefined;
    return session ? session.close() : Promise.resolve();
  }
}

/** One git process with its own queue, so a closing process never mixes its output with the next one's. */
class BatchSession {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly queue: Pending[] = [];
  private chunks: Buffer[] = [];
  private buffered = 0;
  private bodySize: number | undefined;
  private stderr = '';
  private readonly closed: Promise<void>;

  constructor(cwd: string, onIdle: () => void) {
    this.child = spawn('git', ['cat-file', '--batch'], { cwd, env: GIT_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
      this.drain();
      if (this.queue.length === 0) onIdle();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString('utf8');
    });
    // A write after git died (EPIPE) is reported through 'close' below.
    this.child.stdin.on('error', () => undefined);
    this.child.on('error', (error) => this.failAll(error));
    this.closed = new Promise((resolve) => {
      this.child.on('close', (code) => {
        this.failAll(new GitError('cat-file', code, this.stderr));
        resolve();
      });
    });
  }

  read(oid: string): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      this.child.stdin.write(`${oid}\n`);
    });
  }

  close(): Promise<void> {
    this.child.stdin.end();
    return this.closed;
  }

  private failAll(error: Error): void {
    for (const pending of this.queue.splice(0)) pending.reject(error);
  }

  // Output per request: "<oid> <type> <size>\n<content>\n" or "<oid> missing\n".
  private drain(): void {
    for (;;) {
      const pending = this.queue[0];
      if (!pending) return;
      if (this.bodySize === undefined) {
        const buffer = this.flatten();
        const newline = buffer.indexOf(10);
        if (newline < 0) return;
        const header = buffer.toString('utf8', 0, newline);
        this.consume(newline + 1);
        if (header.endsWith(' missing')) {
          this.queue.shift();
          pending.resolve(null);
          continue;
        }
        this.bodySize = Number(header.split(' ')[2]);
      }
      if (this.buffered < this.bodySize + 1) return;
      const body = this.flatten().subarray(0, this.bodySize);
      this.consume(this.bodySize + 1);
      this.bodySize = undefined;
      this.queue.shift();
      pending.resolve(body);
    }
  }

  // Joining only when needed, and keeping the join, copies each byte at most
  // twice however the output was chunked.
  private flatten(): Buffer {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0] ?? Buffer.alloc(0);
  }

  private consume(bytes: number): void {
    const rest = this.flatten().subarray(bytes);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered -= bytes;
  }
}
