/**
 * Serves a Fetch-API handler with node:http: the Node convenience behind `PbxService.listen()`. Loaded on
 * demand so that the service itself stays free of `node:` imports (Bun, Deno and Workers mount `fetch`).
 *
 * @module
 */
import { CLIENT_ADDRESS_HEADER } from './admin/login-limit.js';

/**
 * Where and how {@link PbxService.listen} serves.
 * @group Server
 */
export interface ListenOptions {
  /** TCP port; 0 picks a free one. @default 8787 */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' (loopback: expose it on purpose, behind TLS) */
  host?: string;
  /** Headers must arrive within this many ms (slow-loris guard). @default 10000 */
  headersTimeoutMs?: number;
  /** A whole request must arrive within this many ms. @default 30000 */
  requestTimeoutMs?: number;
}

/**
 * A listening server.
 * @group Server
 */
export interface ListeningServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /** Stops accepting connections, ends idle ones and resolves when the server is closed. */
  close(): Promise<void>;
}

/** @internal */
export async function listen(
  handler: (request: Request) => Promise<Response>,
  options: ListenOptions = {},
): Promise<ListeningServer> {
  const { createServer } = await import('node:http');
  const { Readable } = await import('node:stream');
  const host = options.host ?? '127.0.0.1';
  const server = createServer(async (req, res) => {
    try {
      const origin = `http://${req.headers.host ?? host}`;
      const method = req.method ?? 'GET';
      const headers = new Headers();
      for (const [name, value] of Object.entries(req.headers)) {
        if (value === undefined || name === CLIENT_ADDRESS_HEADER) continue;
        for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
      }
      headers.set(CLIENT_ADDRESS_HEADER, req.socket.remoteAddress ?? 'unknown');
      const hasBody = method !== 'GET' && method !== 'HEAD';
      const request = new Request(new URL(req.url ?? '/', origin), {
        method,
        headers,
        ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
      } as RequestInit);
      const response = await handler(request);
      // The service's answers are small (JSON, a page, metrics): sent whole, headers and body in one write.
      const body = response.body && method !== 'HEAD' ? Buffer.from(await response.arrayBuffer()) : undefined;
      const head = Object.fromEntries(response.headers);
      if (body) head['content-length'] = String(body.byteLength);
      res.writeHead(response.status, head);
      res.end(body);
    } catch {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"INTERNAL","message":"The service failed unexpectedly."}}');
    }
  });
  server.headersTimeout = options.headersTimeoutMs ?? 10_000;
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8787, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
      }),
  };
}
