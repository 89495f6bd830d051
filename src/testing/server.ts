/**
 * The node:http transport of the emulator: a real HTTP server on 127.0.0.1 that hands every request
 * to the shared router.
 *
 * @module
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REGION_CODES, type RegionCode } from '../regions.js';
import { rawBody } from './emulator/responses.js';
import { createZohoRouter, type ZohoRouter } from './emulator/router.js';
import { EmulatorStateImpl } from './emulator/state.js';
import type { ZohoEmulatorControl, ZohoEmulatorOptions, ZohoEmulatorState } from './emulator/types.js';
import { localUrlScheme } from './emulator/url-scheme.js';

/**
 * Options of {@link startZohoEmulator}: the emulator's options plus where to listen.
 * @example
 * ```ts
 * const emu = await startZohoEmulator({ port: 4010, edition: 'Standard', dataCenter: 'in' });
 * ```
 * @group Emulator
 */
export interface ZohoEmulatorServerOptions extends ZohoEmulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Serve an existing state (e.g. one msw handlers also use); the other emulator options are then ignored. */
  state?: ZohoEmulatorState;
  /**
   * Largest request body accepted, in bytes; a larger one is answered `413` without being buffered (a
   * declared `Content-Length` over the cap is refused before any byte is read). The default is Zoho's
   * largest documented request, a 20 MB file upload; JSON writes (at most 100 records) are far smaller.
   * @default 20971520
   */
  maxBodyBytes?: number;
  /** Time a client has to send the request headers (node:http `headersTimeout`). @default 10000 */
  headersTimeoutMs?: number;
  /** Time a client has to send the whole request, body included (node:http `requestTimeout`). @default 30000 */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection stays open (node:http `keepAliveTimeout`). @default 30000 */
  keepAliveTimeoutMs?: number;
}

/**
 * Where one data centre of a running emulator lives.
 * @example
 * ```ts
 * const { accountsUrl, apiUrl }: EmulatorEndpoints = emu.regions.EU;
 * ```
 * @group Emulator
 */
export interface EmulatorEndpoints {
  /** Accounts server (`/oauth/v2/auth`, `/oauth/v2/token`, `/oauth/v2/token/revoke`). */
  readonly accountsUrl: string;
  /** API domain (CRM under `${apiUrl}/crm/v8`). */
  readonly apiUrl: string;
}

/**
 * A running emulator: its URLs, its state and the control surface.
 * @example
 * ```ts
 * const emu: ZohoEmulator = await startZohoEmulator({ autoConsent: true });
 * const endpoints = { accountsUrl: emu.accountsUrl, apiUrl: emu.apiUrl };
 * ```
 * @group Emulator
 */
export interface ZohoEmulator extends ZohoEmulatorControl {
  /** The state behind the server (share it with `zohoHandlers()`). */
  readonly state: ZohoEmulatorState;
  /** Server origin, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** Accounts server of the org's data centre: pass as `endpoints.accountsUrl`. */
  readonly accountsUrl: string;
  /** API domain of the org's data centre: pass as `endpoints.apiUrl` (CRM under `${apiUrl}/crm/v8`). */
  readonly apiUrl: string;
  /** Accounts server and API domain of every data centre. */
  readonly regions: Readonly<Record<RegionCode, EmulatorEndpoints>>;
  /** The request handler the server runs (useful to call without a socket). */
  readonly router: ZohoRouter;
  /**
   * Request body bytes the server has read from its sockets since it started (a body is read only once
   * the request is authorized, and never past `maxBodyBytes` plus one network chunk).
   */
  readonly bodyBytesRead: number;
  /** Stops the server and drops open connections. */
  close(): Promise<void>;
}

/**
 * Creates an emulator state without any transport: pass it to `zohoHandlers()` (msw) or
 * `createZohoRouter()`, or serve it with `startZohoEmulator({ state })`.
 * @example
 * ```ts
 * const state = createZohoEmulatorState({ edition: 'Professional', autoConsent: true });
 * state.registerClient({ clientId: '1000.ABC', clientSecret: 's3cret', redirectUris: ['http://localhost/cb'] });
 * ```
 * @group Emulator
 */
export function createZohoEmulatorState(options: ZohoEmulatorOptions = {}): ZohoEmulatorState {
  return new EmulatorStateImpl(options);
}

/**
 * Starts the Zoho CRM emulator as a real HTTP server (127.0.0.1, random port by default). Every data
 * centre has its own accounts server (`${url}/accounts/{dc}`) and API domain (`${url}/api/{dc}`).
 * @returns The running emulator; call `close()` when done.
 * @example
 * ```ts
 * const emu = await startZohoEmulator({ edition: 'Enterprise', autoConsent: true });
 * emu.registerClient({ clientId: '1000.ABC', clientSecret: 's3cret', redirectUris: ['http://localhost/cb'] });
 * emu.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
 * // new ZohoCrmConnector({ ..., endpoints: { accountsUrl: emu.accountsUrl, apiUrl: emu.apiUrl } })
 * await emu.close();
 * ```
 * @group Emulator
 */
export async function startZohoEmulator(options: ZohoEmulatorServerOptions = {}): Promise<ZohoEmulator> {
  const {
    port = 0,
    host = '127.0.0.1',
    state: given,
    maxBodyBytes = DEFAULT_MAX_BODY_BYTES,
    headersTimeoutMs = 10_000,
    requestTimeoutMs = 30_000,
    keepAliveTimeoutMs = 30_000,
    ...rest
  } = options;
  for (const [name, value] of Object.entries({
    maxBodyBytes,
    headersTimeoutMs,
    requestTimeoutMs,
    keepAliveTimeoutMs,
  })) {
    if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  }
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new RangeError('headersTimeoutMs must not exceed requestTimeoutMs');
  }
  const state = given ?? createZohoEmulatorState(rest);
  let router: ZohoRouter | undefined;
  let origin = '';
  const body: BodyLimits = { maxBytes: maxBodyBytes, bytesRead: 0 };

  const server = createServer(
    {
      keepAlive: true,
      keepAliveTimeout: keepAliveTimeoutMs,
      headersTimeout: headersTimeoutMs,
      requestTimeout: requestTimeoutMs,
      // How often node:http looks for connections past those timeouts.
      connectionsCheckingInterval: Math.max(10, Math.min(30_000, Math.floor(headersTimeoutMs / 4))),
    },
    (req, res) => {
      if (!router) {
        res.writeHead(503).end();
        return;
      }
      void serve(router, origin, body, req, res);
    },
  );
  server.keepAliveTimeout = keepAliveTimeoutMs;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = address.family === 'IPv6' || host.includes(':') ? `[${address.address}]` : address.address;
  origin = `http://${hostPart}:${address.port}`;
  const scheme = localUrlScheme(origin);
  router = createZohoRouter(state, scheme);
  const regions = Object.fromEntries(
    REGION_CODES.map((c) => [
      c,
      Object.freeze({ accountsUrl: scheme.accountsUrl(c), apiUrl: scheme.apiUrl(c) }),
    ]),
  ) as Record<RegionCode, EmulatorEndpoints>;
  const dc = state.dataCenter;
  let closed: Promise<void> | undefined;

  return {
    state,
    url: origin,
    accountsUrl: scheme.accountsUrl(dc),
    apiUrl: scheme.apiUrl(dc),
    regions: Object.freeze(regions),
    router,
    get dataCenter() {
      return state.dataCenter;
    },
    get edition() {
      return state.edition;
    },
    get users() {
      return state.users;
    },
    registerClient: (client) => state.registerClient(client),
    addUser: (user) => state.addUser(user),
    addField: (module, field) => state.addField(module, field),
    seed: (module, records, seedOptions) => state.seed(module, records, seedOptions),
    records: (module) => state.records(module),
    updateRecord: (module, id, values) => state.updateRecord(module, id, values),
    deleteRecord: (module, id) => state.deleteRecord(module, id),
    notificationChannels: () => state.notificationChannels(),
    notificationsDelivered: () => state.notificationsDelivered(),
    stats: () => state.stats(),
    faults: (faults) => state.faults(faults),
    requestLog: () => state.requestLog(),
    reset: () => state.reset(),
    now: () => state.now(),
    advanceTime: (ms) => state.advanceTime(ms),
    expireAccessTokens: () => state.expireAccessTokens(),
    revokeRefreshToken: (token) => state.revokeRefreshToken(token),
    issueTokens: (issue) => state.issueTokens(issue),
    consumeCredits: (credits) => state.consumeCredits(credits),
    get bodyBytesRead() {
      return body.bytesRead;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

// --- Internal helpers ---

/** Zoho's largest documented request: a 20 MB file upload. */
const DEFAULT_MAX_BODY_BYTES = 20 * 1024 * 1024;

interface BodyLimits {
  readonly maxBytes: number;
  bytesRead: number;
}

/**
 * The request body as a stream the router pulls from only when it needs it (after the token check),
 * counting bytes and failing once they pass the cap: nothing is read for a refused request and nothing
 * is buffered past the cap.
 */
function lazyBody(req: IncomingMessage, limits: BodyLimits) {
  const chunks = req[Symbol.asyncIterator]();
  const progress = { started: false, done: false, tooLarge: false, read: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        progress.started = true;
        const next = await chunks.next();
        if (next.done) {
          progress.done = true;
          controller.close();
          return;
        }
        const chunk = next.value as Buffer;
        progress.read += chunk.byteLength;
        limits.bytesRead += chunk.byteLength;
        if (progress.read > limits.maxBytes) {
          progress.tooLarge = true;
          controller.error(new RangeError('request body too large'));
          return;
        }
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      },
      async cancel() {
        await chunks.return?.();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, progress };
}

const TOO_LARGE_PAGE = '<!doctype html><html><body><h1>413 Request Entity Too Large</h1></body></html>';

async function serve(
  router: ZohoRouter,
  origin: string,
  limits: BodyLimits,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const method = req.method ?? 'GET';
    const headers = new Headers();
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const name = req.rawHeaders[i];
      const value = req.rawHeaders[i + 1];
      if (name !== undefined && value !== undefined) headers.append(name, value);
    }
    const declared = Number(req.headers['content-length'] ?? 0);
    const hasBody =
      method !== 'GET' &&
      method !== 'HEAD' &&
      (declared > 0 || req.headers['transfer-encoding'] !== undefined);
    if (hasBody && declared > limits.maxBytes) {
      // Refused on the declared size alone, like a front-end server: not one byte of it is read.
      res.writeHead(413, { 'content-type': 'text/html;charset=UTF-8', connection: 'close' });
      res.end(TOO_LARGE_PAGE);
      return;
    }
    const body = hasBody ? lazyBody(req, limits) : undefined;
    // Aborted when the client goes away before the answer (the `lostAnswer: 'timeout'` fault waits for it).
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    const request = new Request(`${origin}${req.url ?? '/'}`, {
      method,
      headers,
      signal: gone.signal,
      ...(body ? { body: body.stream, duplex: 'half' } : {}),
    } as RequestInit);
    let response = await router(request);
    if (body?.progress.tooLarge) {
      response = new Response(TOO_LARGE_PAGE, {
        status: 413,
        headers: { 'content-type': 'text/html;charset=UTF-8' },
      });
    }
    if (response.type === 'error') {
      req.socket.destroy();
      return;
    }
    const out: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      out[key] = value;
    });
    // A body the router did not read (refused before it, or too large) is never drained: the connection
    // closes after the answer instead.
    if (body && !body.progress.done) out.connection = 'close';
    // A string body lets Node send headers and body in one write.
    const raw = rawBody(response);
    const payload: string | Buffer | undefined =
      raw !== undefined ? raw : response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
    if (payload !== undefined) out['content-length'] = String(Buffer.byteLength(payload));
    else if (response.status !== 204 && response.status !== 304) out['content-length'] = '0';
    res.writeHead(response.status, out);
    res.end(payload);
  } catch {
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain', connection: 'close' });
    res.end('emulator error');
  }
}
