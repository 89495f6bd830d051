import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { once } from 'node:events';
import {
  Agent,
  type ClientRequest,
  createServer,
  type IncomingMessage,
  request as nodeRequest,
  type RequestOptions,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { nodeBuiltin } from '../../src/builtin.js';
import { createZohoHttp } from '../../src/http/client.js';
import {
  createNodeTransport,
  fetchGoesDirect,
  type NodeTransport,
  requestTarget,
} from '../../src/http/node-transport.js';
import { type AttemptSignal, attemptSignal } from '../../src/http/signals.js';
import { deferred } from '../helpers/time.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const FIXED_DATE = 'Thu, 03 Dec 2026 21:11:37 GMT';

const open: { server: Server; sockets: Set<Socket> }[] = [];
const transports: NodeTransport[] = [];
const attempts: AttemptSignal[] = [];

afterEach(async () => {
  for (const attempt of attempts.splice(0)) attempt.clear();
  for (const transport of transports.splice(0)) transport.close();
  for (const { server, sockets } of open.splice(0)) {
    for (const socket of sockets) socket.destroy();
    server.close();
    await once(server, 'close');
  }
});

/** A loopback server that records what it was sent and every connection it accepted. */
async function serve(handler: Handler) {
  const seen: { method: string; url: string; headers: IncomingMessage['headers'] }[] = [];
  /** Each request's header lines as sent: names in their case, in their order, repeats kept. */
  const lines: string[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    lines.push(req.rawHeaders);
    // A fixed Date: two answers a second apart must still compare equal header by header.
    res.setHeader('Date', FIXED_DATE);
    handler(req, res);
  });
  let connections = 0;
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  open.push({ server, sockets });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    seen,
    lines,
    sockets,
    get connections() {
      return connections;
    },
  };
}

/** One request through `node:http` with its headers as an object, on a keep-alive agent (the oracle). */
async function sentAsObject(method: string, url: string, headers: Record<string, string>): Promise<void> {
  const agent = new Agent({ keepAlive: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const request = nodeRequest(url, { method, headers, agent }, (response) => {
        response.resume();
        response.on('end', resolve);
      });
      request.on('error', reject);
      request.end();
    });
  } finally {
    agent.destroy();
  }
}

function transport(): NodeTransport {
  const created = createNodeTransport();
  if (!created) throw new Error('node:http is available on every Node.js this package supports');
  transports.push(created);
  return created;
}

/** An attempt as the client makes one (a minute's timeout, ended here by `signal` only). */
function attempt(signal?: AbortSignal): AttemptSignal {
  const made = attemptSignal(signal, 60_000, performance.now() + 60_000);
  attempts.push(made);
  return made;
}

/** Every way a Zoho answer can be shaped on the wire. */
const ANSWERS: Record<string, Handler> = {
  'JSON 200': (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json;charset=UTF-8' });
    res.end(JSON.stringify({ data: [{ id: '1', Full_Name: 'Zoë Ångström 😀' }] }));
  },
  'empty 204': (_req, res) => {
    res.writeHead(204);
    res.end();
  },
  '401 error body': (_req, res) => {
    res.writeHead(401, { 'Content-Type': 'application/json' });
    res.end('{"code":"INVALID_TOKEN","status":"error"}');
  },
  '429 with Retry-After': (_req, res) => {
    res.writeHead(429, { 'Retry-After': '7', 'X-Api-Credits-Remaining': '0' });
    res.end('{"code":"TOO_MANY_REQUESTS"}');
  },
  'gzip body': (_req, res) => {
    res.writeHead(200, { 'Content-Encoding': 'gzip' });
    res.end(gzipSync(JSON.stringify({ data: [{ Full_Name: 'gzip ü' }] })));
  },
  'x-gzip body': (_req, res) => {
    res.writeHead(200, { 'Content-Encoding': 'x-gzip' });
    res.end(gzipSync('{"legacy":"x-gzip"}'));
  },
  'brotli body': (_req, res) => {
    res.writeHead(200, { 'Content-Encoding': 'br' });
    res.end(brotliCompressSync(JSON.stringify({ data: [{ Full_Name: 'br ü' }] })));
  },
  'deflate body': (_req, res) => {
    res.writeHead(200, { 'Content-Encoding': 'deflate' });
    res.end(deflateSync('{"deflated":true}'));
  },
  'multibyte split across chunks': (_req, res) => {
    const bytes = Buffer.from('{"name":"Zoë 😀"}');
    res.writeHead(200);
    res.write(bytes.subarray(0, 11)); // ends inside ë's two bytes
    setImmediate(() => res.end(bytes.subarray(11)));
  },
  'repeated headers': (_req, res) => {
    res.setHeader('X-Trace', ['a', 'b']);
    res.setHeader('Set-Cookie', ['one=1', 'two=2']);
    res.writeHead(200);
    res.end('ok');
  },
  '204 that names an encoding': (_req, res) => {
    res.writeHead(204, { 'Content-Encoding': 'gzip' });
    res.end();
  },
  'non-JSON 502': (_req, res) => {
    res.writeHead(502, { 'Content-Type': 'text/html' });
    res.end('<html>Bad gateway</html>');
  },
};

describe('node transport', () => {
  it.each(Object.entries(ANSWERS))('answers a %s exactly as fetch reads it', async (_name, handler) => {
    const { base } = await serve(handler);
    const url = `${base}/crm/v8/Contacts/search?phone=%2B14155552671&fields=Full_Name,Phone`;
    const viaNode = await transport().send('GET', url, { Accept: 'application/json' }, attempt());
    const viaFetch = await fetch(url, { headers: { Accept: 'application/json' } });
    expect(viaNode.status).toBe(viaFetch.status);
    expect(viaNode.body).toBe(viaFetch.status === 204 ? '' : await viaFetch.text());
    for (const name of [
      'content-type',
      'Retry-After',
      'x-api-credits-remaining',
      'X-Trace',
      'Set-Cookie',
      'no',
    ]) {
      expect(viaNode.headers.get(name)).toBe(viaFetch.headers.get(name));
    }
    const given: [string, string][] = [];
    viaNode.headers.forEach((value, name) => {
      given.push([name, value]);
    });
    const expected: [string, string][] = [];
    viaFetch.headers.forEach((value, name) => {
      expected.push([name, value]);
    });
    const fetchCookies = viaFetch.headers.getSetCookie();
    expect(given.filter(([name]) => name === 'set-cookie').map(([, value]) => value)).toEqual(fetchCookies);
    const fetchOthers = expected.filter(([name]) => name !== 'set-cookie');
    expect(given.filter(([name]) => name !== 'set-cookie')).toEqual(fetchOthers);
  });

  it('sends the method, the path and query bytes and the headers it was given, asking for compression', async () => {
    const server = await serve(ANSWERS['JSON 200'] as Handler);
    const path = '/crm/v8/Leads/search?criteria=(Phone:equals:%2B1%20415)&page=2';
    await transport().send(
      'DELETE',
      `${server.base}${path}`,
      { Authorization: 'Zoho-oauthtoken t' },
      attempt(),
    );
    expect(server.seen).toEqual([
      {
        method: 'DELETE',
        url: path,
        headers: expect.objectContaining({
          authorization: 'Zoho-oauthtoken t',
          'accept-encoding': 'gzip, br',
        }),
      },
    ]);
  });

  // The client's own headers go to Node as a list of lines (cheaper than an object, header-lines.ts);
  // anything else as the object. The oracle is what Node writes for that object.
  it.each([
    ['GET', { Authorization: 'Zoho-oauthtoken t', Accept: 'application/json' }, 'list'],
    ['DELETE', { Authorization: 'Zoho-oauthtoken t' }, 'list'],
    ['HEAD', {}, 'list'],
    ['POST', { Authorization: 'Zoho-oauthtoken t' }, 'list'],
    ['PUT', {}, 'list'],
    ['PATCH', { Accept: 'application/json' }, 'list'],
    ['GET', { 'user-agent': 'pbx/1.0', 'accept-encoding': 'identity', Host: 'api.example:8443' }, 'object'],
    ['POST', { 'User-Agent': 'pbx/1.0', 'ACCEPT-ENCODING': 'identity', 'X-Trace': 'a' }, 'object'],
    ['POST', { Authorization: 'Zoho-oauthtoken t', authorization: 'Zoho-oauthtoken u' }, 'object'],
    ['POST', { 'Content-Length': '0' }, 'object'],
    ['get', { Accept: 'application/json' }, 'object'],
  ] as const)(
    'sends a %s with %o under the very header lines and framing Node writes for them as an object (as a %s)',
    async (method, given, form) => {
      const server = await serve(ANSWERS['JSON 200'] as Handler);
      await transport().send(method, `${server.base}/crm/v8/Calls?x=1`, { ...given }, attempt());
      await sentAsObject(method, `${server.base}/crm/v8/Calls?x=1`, {
        'User-Agent': 'node',
        ...given,
        'Accept-Encoding': 'gzip, br',
      });
      const [viaTransport, viaObject] = server.lines;
      // Node adds `Content-Length: 0` at the end for a bodiless POST, a list carries it before
      // `Connection`: the same lines, in another order only there.
      const pairs = (raw: string[] | undefined) =>
        (raw ?? []).flatMap((name, i) => (i % 2 === 0 ? [`${name}: ${raw?.[i + 1]}`] : []));
      if (pairs(viaObject).includes('Content-Length: 0'))
        expect(pairs(viaTransport).sort()).toEqual(pairs(viaObject).sort());
      else expect(viaTransport).toEqual(viaObject);
      // That order tells the list from the object for a body method (unless the caller placed its own
      // Content-Length): the cheap form is really taken for the client's own headers.
      if (pairs(viaObject).includes('Content-Length: 0') && !('Content-Length' in given)) {
        const before = (raw: string[] | undefined) =>
          (raw?.indexOf('Content-Length') ?? -1) < (raw?.indexOf('Connection') ?? -1);
        expect(before(viaTransport)).toBe(form === 'list');
      }
      const host = (given as Record<string, string>).Host ?? server.base.slice('http://'.length);
      expect(server.seen[0]?.headers.host).toBe(host);
    },
  );

  it("keeps the headers of an instrumented http.request (an APM agent's wrapper that copies them as an object)", async () => {
    const server = await serve(ANSWERS['JSON 200'] as Handler);
    const http = await import('node:http');
    // What OpenTelemetry's HTTP instrumentation does: copy the options and headers, add its own.
    const instrumented = {
      ...http,
      request(options: RequestOptions, callback?: (response: IncomingMessage) => void) {
        const headers = { ...(options.headers as Record<string, string>), traceparent: '00-trace' };
        return http.request({ ...options, headers }, callback);
      },
    };
    const node = createNodeTransport((id) => (id === 'node:http' ? instrumented : nodeBuiltin(id)));
    transports.push(node as NodeTransport);
    const given = { Authorization: 'Zoho-oauthtoken t', Accept: 'application/json' };
    await node?.send('GET', `${server.base}/crm/v8/Leads`, given, attempt());
    expect(server.seen[0]?.headers).toMatchObject({
      authorization: 'Zoho-oauthtoken t',
      accept: 'application/json',
      traceparent: '00-trace',
    });
    expect(server.lines[0]?.filter((_, i) => i % 2 === 0)).not.toContain('0');
  });

  it("keeps a header added by a request's own _storeHeader (Sentry's patch on Node before 22.12)", async () => {
    const server = await serve(ANSWERS['JSON 200'] as Handler);
    const { ClientRequest } = await import('node:http');
    const prototype = ClientRequest.prototype as unknown as Record<string, unknown>;
    const original = prototype._storeHeader as (this: ClientRequest, ...args: unknown[]) => unknown;
    prototype._storeHeader = function patchedStoreHeader(this: ClientRequest, ...args: unknown[]) {
      this.setHeader('sentry-trace', '00-trace');
      return original.apply(this, args);
    };
    try {
      const given = { Authorization: 'Zoho-oauthtoken t', Accept: 'application/json' };
      await transport().send('GET', `${server.base}/crm/v8/Leads`, given, attempt());
    } finally {
      delete prototype._storeHeader;
    }
    expect(server.seen[0]?.headers).toMatchObject({
      authorization: 'Zoho-oauthtoken t',
      'sentry-trace': '00-trace',
    });
  });

  it('lets a diagnostics_channel listener add a header to the request it is told of', async () => {
    const server = await serve(ANSWERS['JSON 200'] as Handler);
    const failures: unknown[] = [];
    // Node 22 and later tell of a request as it is built; Node 20 only once it is sent, when no
    // header can be added either way (the listener's failure is then Node's, not ours).
    const name = 'http.client.request.created';
    const listener = (message: unknown) => {
      try {
        (message as { request: ClientRequest }).request.setHeader('traceparent', '00-trace');
      } catch (error) {
        failures.push(error);
      }
    };
    subscribe(name, listener);
    try {
      const given = { Authorization: 'Zoho-oauthtoken t', Accept: 'application/json' };
      await transport().send('GET', `${server.base}/crm/v8/Leads`, given, attempt());
    } finally {
      unsubscribe(name, listener);
    }
    expect(failures).toEqual([]);
    expect(server.seen[0]?.headers.authorization).toBe('Zoho-oauthtoken t');
    if (Number(process.versions.node.split('.')[0]) >= 22)
      expect(server.seen[0]?.headers.traceparent).toBe('00-trace');
  });

  it('keeps the connection alive between requests, and close() ends it', async () => {
    const server = await serve(ANSWERS['JSON 200'] as Handler);
    const node = transport();
    for (let i = 0; i < 3; i++) await node.send('GET', `${server.base}/a?i=${i}`, {}, attempt());
    expect(server.connections).toBe(1);
    const [socket] = server.sockets;
    const closed = once(socket as Socket, 'close');
    node.close();
    await node.send('GET', `${server.base}/after-close`, {}, attempt()); // a later request opens a new one
    expect(server.connections).toBe(2);
    await closed;
  });

  it('an abort after the answer leaves the connection to the next request', async () => {
    const server = await serve(ANSWERS['JSON 200'] as Handler);
    const node = transport();
    const caller = new AbortController();
    const first = attempt(caller.signal);
    await node.send('GET', `${server.base}/first`, {}, first);
    caller.abort(new Error('ring over')); // the attempt hears of it, its request is already answered
    expect(first.aborted).toBe(true);
    await node.send('GET', `${server.base}/second`, {}, attempt());
    expect(server.connections).toBe(1);
  });

  it('reads no body of an answer to HEAD, whatever encoding it names', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Encoding': 'gzip', 'Content-Length': '20' });
      res.end();
    });
    const answer = await transport().send('HEAD', `${server.base}/x`, {}, attempt());
    expect(answer).toMatchObject({ status: 200, body: '' });
  });

  it('sends nothing when the signal has already aborted, and fails with its reason', async () => {
    const server = await serve(ANSWERS['JSON 200'] as Handler);
    const reason = new DOMException('The operation timed out.', 'TimeoutError');
    await expect(
      transport().send('GET', `${server.base}/x`, {}, attempt(AbortSignal.abort(reason))),
    ).rejects.toBe(reason);
    expect(server.connections).toBe(0);
  });

  it('drops the connection when the signal aborts while Zoho has not answered', async () => {
    const arrived = deferred<IncomingMessage>();
    const server = await serve((req) => arrived.resolve(req)); // never answers
    const controller = new AbortController();
    const pending = transport().send('GET', `${server.base}/slow`, {}, attempt(controller.signal));
    const req = await arrived.promise;
    const gone = once(req.socket, 'close');
    controller.abort(new Error('ring over'));
    await expect(pending).rejects.toThrow('ring over');
    await gone;
    expect(server.sockets.size).toBe(0);
  });

  it('fails when the signal aborts in the middle of the body', async () => {
    const wrote = deferred();
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"data":[', () => wrote.resolve());
    });
    const controller = new AbortController();
    const pending = transport().send('GET', `${server.base}/half`, {}, attempt(controller.signal));
    await wrote.promise;
    controller.abort(new Error('deadline'));
    await expect(pending).rejects.toThrow('deadline');
  });

  it('fails when the server cuts the body short', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { 'Content-Length': '100' });
      res.write('{"data":', () => req.socket.destroy());
    });
    await expect(transport().send('GET', `${server.base}/cut`, {}, attempt())).rejects.toMatchObject({
      code: 'ECONNRESET',
    });
  });

  it('fails with the system error code when nothing listens', async () => {
    const server = await serve(ANSWERS['JSON 200'] as Handler);
    const { base } = server;
    const closing = open.pop()?.server;
    closing?.close();
    if (closing) await once(closing, 'close');
    await expect(transport().send('GET', `${base}/x`, {}, attempt())).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('speaks TLS to an https URL', async () => {
    const server = await serve(ANSWERS['JSON 200'] as Handler);
    const secure = server.base.replace('http:', 'https:');
    // A plain-HTTP server answers the TLS handshake with HTTP: the request fails in TLS, not in HTTP.
    await expect(transport().send('GET', `${secure}/x`, {}, attempt())).rejects.toMatchObject({
      code: expect.stringMatching(/SSL|EPROTO/),
    });
  });

  it('is not shared under NODE_USE_ENV_PROXY: Node sends through the proxy, so fetch must', async () => {
    vi.resetModules();
    vi.stubEnv('NODE_USE_ENV_PROXY', '1');
    try {
      const fresh = await import('../../src/http/node-transport.js');
      expect(fresh.sharedNodeTransport()).toBeUndefined();
    } finally {
      vi.unstubAllEnvs();
      vi.resetModules();
    }
    const fresh = await import('../../src/http/node-transport.js');
    expect(fresh.sharedNodeTransport()).toBeDefined();
  });

  it('is not there where node:http is not (a browser, an edge runtime)', () => {
    expect(createNodeTransport(() => undefined)).toBeUndefined();
    const only =
      (...ids: string[]) =>
      (id: string) =>
        ids.includes(id) ? process.getBuiltinModule(id) : undefined;
    expect(createNodeTransport(only('node:http'))).toBeUndefined();
    expect(createNodeTransport(only('node:http', 'node:https'))).toBeUndefined(); // no zlib
    expect(createNodeTransport(only('node:https', 'node:zlib'))).toBeUndefined();
    expect(createNodeTransport(only('node:http', 'node:zlib'))).toBeUndefined();
    expect(createNodeTransport(only('node:http', 'node:https', 'node:zlib'))).toBeDefined();
  });
});

describe('the client on the node transport', () => {
  const tokens = (apiDomain: string) => ({
    getAccessToken: async () => ({ accessToken: 'tok', apiDomain }),
    refreshAfterRejection: async () => ({ accessToken: 'tok2', apiDomain }),
  });
  const limits = { timeoutMs: 5_000, deadlineMs: 10_000, retries: 0, maxConcurrency: 5 };
  const json: Handler = (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end('{"data":[{"id":"1"}]}');
  };

  it('sends requests without a body over node:http and requests with one over fetch', async () => {
    const server = await serve(json);
    const http = createZohoHttp({ tokens: tokens(server.base), ...limits });
    await http.request({ method: 'GET', path: '/Contacts/search', query: { phone: '4155552671' } });
    await http.request({ method: 'POST', path: '/Calls', body: { data: [{}] } });
    expect(server.seen.map((seen) => [seen.method, seen.headers['accept-encoding']])).toEqual([
      ['GET', 'gzip, br'], // ours
      ['POST', expect.stringContaining('deflate')], // undici's
    ]);
  });

  it('sends everything through an injected fetch', async () => {
    const server = await serve(json);
    const urls: string[] = [];
    const http = createZohoHttp({
      tokens: tokens(server.base),
      ...limits,
      fetch: (input, init) => {
        urls.push(String(input));
        return fetch(input, init);
      },
    });
    await http.request({ method: 'GET', path: '/Contacts/search', query: { phone: '4155552671' } });
    expect(urls).toEqual([`${server.base}/crm/v8/Contacts/search?phone=4155552671`]);
    expect(server.seen[0]?.headers['accept-encoding']).toContain('deflate');
  });

  it('reads a 429 the node transport answered like any other (Retry-After, credits)', async () => {
    const server = await serve(ANSWERS['429 with Retry-After'] as Handler);
    const http = createZohoHttp({ tokens: tokens(server.base), ...limits });
    await expect(http.request({ method: 'GET', path: '/Contacts' })).rejects.toMatchObject({
      code: 'ZOHO_RATE_LIMIT',
      retryAfterMs: 7_000,
    });
  });

  it('leaves a redirect to fetch, which follows it', async () => {
    const server = await serve((req, res) => {
      if (req.url?.startsWith('/crm/v8/Old')) {
        res.writeHead(301, { Location: '/crm/v8/New' });
        res.end();
      } else json(req, res);
    });
    const http = createZohoHttp({ tokens: tokens(server.base), ...limits });
    const answer = await http.request({ method: 'GET', path: '/Old' });
    expect(answer).toMatchObject({ status: 200, data: { data: [{ id: '1' }] } });
    expect(server.seen.map((seen) => [seen.url, seen.headers['user-agent']])).toEqual([
      ['/crm/v8/Old', 'node'], // the node transport, with fetch's User-Agent
      ['/crm/v8/Old', 'node'], // fetch, again from the start
      ['/crm/v8/New', 'node'],
    ]);
  });

  it('leaves a URL with characters to encode to fetch, which encodes them', async () => {
    const server = await serve(json);
    const http = createZohoHttp({ tokens: tokens(server.base), ...limits });
    await http.request({ method: 'GET', path: '/Zoë/😀' });
    expect(server.seen.map((seen) => seen.url)).toEqual(['/crm/v8/Zo%C3%AB/%F0%9F%98%80']);
    expect(server.seen[0]?.headers['accept-encoding']).toContain('deflate'); // undici's
  });

  it('leaves requests to fetch while the global fetch is not Node’s own, or undici sends through a proxy', async () => {
    const server = await serve(json);
    const http = createZohoHttp({ tokens: tokens(server.base), ...limits });
    const read = async () => {
      await http.request({ method: 'GET', path: '/Contacts' });
      return server.seen.at(-1)?.headers['accept-encoding'];
    };
    expect(fetchGoesDirect()).toBe(true);
    expect(await read()).toBe('gzip, br');
    const calls: string[] = [];
    const nodeFetch = globalThis.fetch;
    vi.stubGlobal('fetch', (...[input, init]: Parameters<typeof fetch>) => {
      calls.push(String(input));
      return nodeFetch(input, init);
    });
    try {
      expect(fetchGoesDirect()).toBe(false);
      expect(await read()).toContain('deflate');
      expect(calls).toEqual([`${server.base}/crm/v8/Contacts`]);
    } finally {
      vi.unstubAllGlobals();
    }
    const dispatcher = Symbol.for('undici.globalDispatcher.1');
    const host = globalThis as unknown as Record<symbol, unknown>;
    const before = host[dispatcher];
    class ProxyAgent {}
    host[dispatcher] = new ProxyAgent();
    try {
      expect(fetchGoesDirect()).toBe(false);
    } finally {
      host[dispatcher] = before;
    }
    expect(fetchGoesDirect()).toBe(true);
  });

  it('resends a request that never reached Zoho, also one that may not be repeated (POST), on either path', async () => {
    const server = await serve(json);
    const { base } = server;
    const closing = open.pop()?.server;
    closing?.close();
    if (closing) await once(closing, 'close');
    for (const request of [
      { method: 'POST' as const, path: '/Calls', body: { data: [{}] } }, // fetch
      { method: 'POST' as const, path: '/Calls/actions/x' }, // no body: node:http
    ]) {
      const attempts: number[] = [];
      const http = createZohoHttp({
        tokens: tokens(base),
        ...limits,
        retries: 2,
        backoff: { baseDelayMs: 0, maxDelayMs: 0 },
        onAttempt: (a) => attempts.push(a.attempt),
      });
      await expect(http.request(request)).rejects.toMatchObject({
        code: 'NETWORK',
        message: expect.stringContaining('(ECONNREFUSED)'),
      });
      expect(attempts).toEqual([1, 2, 3]);
    }
  });

  it('shares one keep-alive pool between clients (tenants), as they shared the global fetch', async () => {
    const server = await serve(json);
    for (const tenant of ['a', 'b', 'c']) {
      const http = createZohoHttp({ tokens: tokens(server.base), ...limits });
      await http.request({ method: 'GET', path: '/Contacts', query: { tenant } });
    }
    expect(server.seen).toHaveLength(3);
    expect(server.connections).toBe(1);
  });
});

describe('requestTarget', () => {
  it.each([
    'https://www.zohoapis.com/crm/v8/Contacts/search?phone=%2B1415&fields=Phone,Full_Name',
    'http://127.0.0.1:4010/crm/v8/settings/fields?module=Leads',
    'HTTPS://WWW.ZOHOAPIS.EU:443/crm/v8/Leads',
    'http://[::1]:8080/crm/v8/Calls',
    'https://zohoapis.com.au',
    'https://zohoapis.in?x=1',
    'http://example.com:80/crm/v8/Leads',
    'https://example.com:80/crm/v8/Leads',
    'http://example.com:443/crm/v8/Leads',
    'http://example.com:080/crm/v8/Leads', // port 80, written with a leading zero
    'https://example.com:0443/crm/v8/Leads',
    'http://example.com:008080/crm/v8/Leads',
    'https://user:secret@proxy.example/crm/v8/Deals', // user info: through URL
    'http://user@[::1]:8080/crm/v8/Calls', // IPv6 with user info: through URL
    'http://localhost:3000/crm/v8/Contacts/search?criteria=(Phone:equals:1)#part', // fragment: through URL
  ])('splits %s as the URL parser does', (url) => {
    expect(requestTarget(url)).toEqual(asUrlParserSplits(url));
  });

  it.each([
    ['https://www.zohoapis.com/crm/v8/Leads', 'https://www.zohoapis.com/crm/v8/Contacts/search?phone=1'],
    ['https://www.zohoapis.com/crm/v8/Leads', 'https://www.zohoapis.com?per_page=2'],
    ['https://www.zohoapis.com', 'https://www.zohoapis.com'],
    ['https://www.zohoapis.com/a', 'https://www.zohoapis.com.evil.example/crm/v8/Leads'],
    ['http://127.0.0.1:4010/crm/v8/Leads', 'http://127.0.0.1:40100/crm/v8/Leads'],
    ['http://127.0.0.1:4010/crm/v8/Leads', 'http://127.0.0.1:4010/crm/v8/Leads?q=1#part'],
    ['http://127.0.0.1:4010/crm/v8/Leads', 'http://127.0.0.1:4010@other.example/crm/v8/Leads'],
    ['https://example.com:443/crm', 'https://example.com:443/crm/v8/Calls'],
    ['http://[::1]:8080/crm', 'http://[::1]:8080?x=1'],
    ['HTTPS://WWW.ZOHOAPIS.EU/crm', 'https://www.zohoapis.eu/crm/v8/Leads'],
  ])('after %s, splits %s as the URL parser does', (before, url) => {
    requestTarget(before);
    expect(requestTarget(url)).toEqual(asUrlParserSplits(url));
    expect(requestTarget(url)).toEqual(asUrlParserSplits(url));
  });
});

/** What `requestTarget` must give for a URL: the WHATWG URL parser's split of it. */
function asUrlParserSplits(url: string) {
  const parsed = new URL(url);
  return {
    protocol: parsed.protocol,
    hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
    ...(parsed.port ? { port: parsed.port } : {}),
    path: `${parsed.pathname}${parsed.search}`,
    host: parsed.host, // the Host header
  };
}

describe('the attempt as a transport hears of it', () => {
  it('calls the listener once, with the reason, and builds a signal only when asked', () => {
    const controller = new AbortController();
    const made = attempt(controller.signal);
    const heard: unknown[] = [];
    made.onAbort((reason) => heard.push(reason));
    expect(made.aborted).toBe(false);
    const reason = new Error('hung up');
    controller.abort(reason);
    controller.abort(new Error('again'));
    expect(heard).toEqual([reason]);
    expect(made).toMatchObject({ aborted: true, reason, cause: 'aborted' });
    expect(made.signal.aborted).toBe(true); // built after the abort, already aborted
    expect(made.signal.reason).toBe(reason);
  });

  it('aborts a signal read before the abort', () => {
    const controller = new AbortController();
    const made = attempt(controller.signal);
    const { signal } = made;
    expect(signal.aborted).toBe(false);
    controller.abort(new Error('gone'));
    expect(signal.aborted).toBe(true);
  });
});
