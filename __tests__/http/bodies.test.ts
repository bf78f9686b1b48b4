// Servers that answer too slowly or too much (issue 17): real HTTP servers on 127.0.0.1 that
// trickle, stall after the headers, or send a gzip bomb. The deadline covers the whole response,
// body included, and a body past the cap is "too large", naming the server. No test races the
// clock: each misbehaving server would take minutes, the deadlines are a second or two, and the
// assertions are on the outcome, with a bound of tens of seconds that only a hang can cross.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { deadlineIn, HttpError, MAX_BODY_BYTES, request, type HttpTarget } from '../../src/http.js';

const servers: { server: Server; sockets: Set<Socket>; timers: Set<NodeJS.Timeout> }[] = [];

afterEach(async () => {
  for (const { server, sockets, timers } of servers.splice(0)) {
    for (const timer of timers) clearInterval(timer);
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server on 127.0.0.1 whose every answer is `answer`; `every` runs a timer the test cleans up. */
async function serve(answer: (res: ServerResponse, every: (ms: number, tick: () => void) => void) => void): Promise<{ target: HttpTarget; requests: () => number }> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let count = 0;
  const server = createServer((_req, res) => {
    count++;
    answer(res, (ms, tick) => timers.add(setInterval(tick, ms)));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  servers.push({ server, sockets, timers });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const target: HttpTarget = {
    service: 'Airflow',
    baseUrl: new URL(`http://127.0.0.1:${port}/api/v2/`),
    headers: {},
    authInput: 'airflow-token',
    urlInput: 'airflow-url',
    log: () => undefined,
    retries: 2,
    retryMinMs: 10,
  };
  return { target, requests: () => count };
}

async function failure(target: HttpTarget, deadlineMs: number): Promise<{ error: HttpError; elapsedMs: number }> {
  const started = Date.now();
  const error = await request(target, { path: 'dags', deadline: deadlineIn(deadlineMs) }).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(HttpError);
  return { error: error as HttpError, elapsedMs: Date.now() - started };
}

describe('response bodies: the deadline covers the body, and the size is capped', () => {
  it('ends a body that trickles one byte a second at the deadline', async () => {
    const { target } = await serve((res, every) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      every(1_000, () => res.write(' '));
    });
    const { error, elapsedMs } = await failure(target, 1_500);
    expect(error.kind).toBe('deadline');
    expect(error.message).toBe("Airflow GET /api/v2/dags did not answer before the stage's deadline.");
    // The trickle alone would go on forever; only a deadline that misses the body lets it pass 20 s.
    expect(elapsedMs).toBeLessThan(20_000);
  });

  it('ends a response that stalls after the headers at the deadline', async () => {
    const { target } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
    });
    const { error, elapsedMs } = await failure(target, 1_500);
    expect(error.kind).toBe('deadline');
    expect(elapsedMs).toBeLessThan(20_000);
  });

  it('reports a gzip bomb as too large, naming the server, without inflating it', async () => {
    // 1 GiB of zeros sent as about 1 MiB of gzip.
    const chunk = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const { target, requests } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      let sent = 0;
      const more = (): void => {
        // Concatenated gzip members inflate to the sum of their parts.
        while (sent < 16 && res.write(chunk)) sent++;
        if (sent < 16) res.once('drain', more);
        else res.end();
      };
      more();
    });
    const { error } = await failure(target, 60_000);
    expect(error.kind).toBe('too-large');
    expect(error.message).toBe(`Airflow GET /api/v2/dags answered a body larger than ${MAX_BODY_BYTES / 1024 / 1024} MiB (after decompression): response too large.`);
    expect(error.message).not.toContain('could not be reached');
    expect(error.fix).toContain('airflow-url');
    // A body that large is not transient: it is not fetched again.
    expect(requests()).toBe(1);
  });

  it('refuses a declared Content-Length over the cap before reading the body', async () => {
    const { target } = await serve((res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_BODY_BYTES + 1) });
      res.write('{');
    });
    const { error } = await failure(target, 60_000);
    expect(error.kind).toBe('too-large');
  });
});
