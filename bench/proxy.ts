// A serializing HTTP proxy on 127.0.0.1 for baseline (b): one listener per
// upstream (each Airflow, Dagster), all sharing one queue that forwards a
// single request at a time, in arrival order. The action talks to the proxies
// exactly as to the simulators, so the same pipeline runs with no request
// concurrency at all.
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface SerializingProxy {
  /** Per upstream (in the order given): the proxy's URL, with the upstream's path. */
  readonly urls: readonly string[];
  /** Requests forwarded so far. */
  readonly forwarded: number;
  /** The most requests ever waiting in the queue at once. */
  readonly maxQueued: number;
  close(): Promise<void>;
}

export async function startSerializingProxy(upstreams: readonly string[], concurrency = 1): Promise<SerializingProxy> {
  const queue: Array<() => Promise<void>> = [];
  let active = 0;
  let forwarded = 0;
  let maxQueued = 0;
  const pump = () => {
    while (active < concurrency && queue.length > 0) {
      const job = queue.shift()!;
      active++;
      void job().finally(() => {
        active--;
        pump();
      });
    }
  };

  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const urls: string[] = [];
  for (const upstream of upstreams) {
    const target = new URL(upstream);
    const server = createServer((req, res) => {
      // The body is read first, so a slow client never holds the one slot.
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        queue.push(() => forward(target, req, Buffer.concat(chunks), res).then(() => void forwarded++));
        maxQueued = Math.max(maxQueued, queue.length);
        pump();
      });
    });
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers.push(server);
    const { port } = server.address() as AddressInfo;
    urls.push(`http://127.0.0.1:${port}${target.pathname === '/' ? '' : target.pathname}`);
  }

  return {
    urls,
    get forwarded() {
      return forwarded;
    },
    get maxQueued() {
      return maxQueued;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}

/** Sends one request upstream and relays the whole answer; resolves once the client has it. */
function forward(target: URL, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const headers = { ...req.headers, host: target.host };
    const upstream = httpRequest(
      { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on('end', resolve);
        answer.on('error', () => resolve());
      },
    );
    upstream.on('error', (error) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`proxy: ${error.message}`);
      resolve();
    });
    upstream.end(body);
  });
}
