/**
 * Requests without a body (the lookup's searches, record and metadata reads) over `node:http(s)` with
 * keep-alive agents of their own, where a plain `fetch` would go straight out through Node's own undici
 * (see {@link fetchGoesDirect}) and no `fetch` was injected. Node's `fetch` costs two to three times the
 * CPU of `node:http` for the same small request, and its first use loads undici (about 20 ms); a
 * caller-ID lookup pays both on every call or on the first one. Requests with a body stay on ofetch.
 *
 * The answer is read as the fetch path reads it: the status, the headers (through `get`, as on a
 * `Headers`), and the body as text, decoded from gzip or brotli (both asked for) or zlib deflate. What the
 * transport does not do (follow a redirect, encode a path) the client leaves to fetch.
 *
 * @module
 */
import type * as NodeDiagnostics from 'node:diagnostics_channel';
import type * as NodeHttp from 'node:http';
import type * as NodeZlib from 'node:zlib';
import { nodeBuiltin } from '../builtin.js';
import { createHeaderForm, type RequestHeaders } from './header-lines.js';
import type { Abortable } from './signals.js';

/** Response headers as the client reads them: a `Headers`, or the node transport's view of Node's. */
export interface ResponseHeaders {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

/** What one request without a body answered. @internal */
export interface PlainAnswer {
  status: number;
  headers: ResponseHeaders;
  body: string;
}

/** Sends one request without a body; an abort ends it (and its connection) with the abort's reason. @internal */
export type SendPlain = (
  method: string,
  url: string,
  headers: RequestHeaders,
  abort: Abortable,
) => Promise<PlainAnswer>;

/** @internal */
export interface NodeTransport {
  send: SendPlain;
  /** Closes the idle connections; a later request opens a new one. */
  close(): void;
}

/** How long a connection may sit idle before it is closed (undici's default for fetch). */
const IDLE_MS = 4_000;

let shared: NodeTransport | null | undefined;

/**
 * The process's node transport, shared by every connector as they shared the global fetch's pool: one
 * keep-alive pool per Zoho host for all tenants. Undefined where `node:http` is not available, or when
 * Node is told to send its requests through the environment's proxy (`NODE_USE_ENV_PROXY`).
 * @internal
 */
export function sharedNodeTransport(): NodeTransport | undefined {
  if (shared === undefined) {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
    shared = env?.NODE_USE_ENV_PROXY ? null : (createNodeTransport() ?? null);
  }
  return shared ?? undefined;
}

const UNDICI_DISPATCHER = Symbol.for('undici.globalDispatcher.1');
let checkedFetch: unknown;
let nodeOwnFetch = false;

/**
 * Whether a plain `fetch` would go straight out through Node's own undici: the global `fetch` is still
 * Node's (not a test double, msw, or another runtime's), and undici's global dispatcher is unset or its
 * default `Agent` (not a proxy, `MockAgent` or `EnvHttpProxyAgent`). Only then may a request skip fetch
 * without anyone noticing but the CPU. Read per request, as the global fetch is.
 * @internal
 */
export function fetchGoesDirect(): boolean {
  const current = globalThis.fetch;
  if (current !== checkedFetch) {
    checkedFetch = current;
    // Node's global fetch is a small function that loads undici on its first call (Node 20 to 24).
    nodeOwnFetch =
      typeof current === 'function' && Function.prototype.toString.call(current).includes('fetchImpl');
  }
  if (!nodeOwnFetch) return false;
  const dispatcher = (globalThis as Record<symbol, { constructor?: { name?: string } } | undefined>)[
    UNDICI_DISPATCHER
  ];
  return dispatcher === undefined || dispatcher.constructor?.name === 'Agent';
}

/**
 * A node transport with agents of its own, or undefined where `node:http` is not available (browsers,
 * edge runtimes): the client then sends everything through fetch. Idle connections are closed after
 * 4 s and never keep the process alive.
 * @internal
 */
export function createNodeTransport(load: (id: string) => unknown = nodeBuiltin): NodeTransport | undefined {
  const http = load('node:http') as typeof NodeHttp | undefined;
  const https = load('node:https') as typeof NodeHttp | undefined;
  const zlib = load('node:zlib') as typeof NodeZlib | undefined;
  if (!http?.request || !https?.request || !zlib) return undefined;
  const headerForm = createHeaderForm(
    http,
    https,
    load('node:diagnostics_channel') as typeof NodeDiagnostics | undefined,
  );
  // LIFO hands out the most recently used connection: the one least likely to have been closed by
  // the server while it sat idle.
  const settings = { keepAlive: true, scheduling: 'lifo', timeout: IDLE_MS } as const;
  const agents = { http: new http.Agent(settings), https: new https.Agent(settings) };

  const send: SendPlain = (method, url, headers, abort) =>
    new Promise((resolve, reject) => {
      if (abort.aborted) {
        reject(abort.reason);
        return;
      }
      const target = requestTarget(url);
      const secure = target.protocol === 'https:';
      const request = (secure ? https : http).request({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        method,
        // fetch's own User-Agent (a firewall in between sees the same client as before) and the
        // encodings this transport decodes; a list of lines where that is safe (header-lines.ts).
        headers: headerForm(method, target.host, headers),
        agent: secure ? agents.https : agents.http,
      });
      // Once answered, the request is marked destroyed and its connection handed back: this is a no-op.
      abort.onAbort((reason) => request.destroy(reason as Error));
      request.on('error', reject);
      request.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const answerHeaders = new NodeHeaders(response.headers);
        const body = decoded(zlib, response, method, status);
        const chunks: Buffer[] = [];
        body.on('data', (chunk: Buffer) => chunks.push(chunk));
        body.on('error', (error) => {
          request.destroy();
          reject(error);
        });
        body.on('end', () => {
          resolve({ status, headers: answerHeaders, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      request.end();
    });

  return {
    send,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}

// --- Internal helpers ---

/** Where a request goes, split from its URL without a URL parser (the URLs are the client's own). */
interface RequestTarget {
  protocol: string;
  hostname: string;
  port?: string | undefined;
  path: string;
  /** The `Host` header: the host as the URL writes it (IPv6 in brackets), with a port that is not the scheme's. */
  host: string;
}

const URL_PARTS = /^(https?:)\/\/(\[[^\]/]+\]|[^:/?#@[\]]+)(?::(\d+))?([/?][^#]*)?$/i;

/** The origin (`scheme://host[:port]`) of the last URL split, and its parts: the next URL likely shares it. */
let lastOrigin = '';
let lastTarget: RequestTarget = { protocol: '', hostname: '', path: '', host: '' };

/**
 * The parts of an absolute http(s) URL; one with user info, a fragment or an odd host goes through URL.
 * A URL on the same origin as the last one (a connector sends all its requests to one API domain) takes
 * that one's parts and only splits off its path.
 */
export function requestTarget(url: string): RequestTarget {
  // Stryker disable next-line all: equivalent, the full split below gives the same parts (a test checks it after every kind of previous URL); this only skips it
  const rest = lastOrigin !== '' && url.startsWith(lastOrigin) ? url.slice(lastOrigin.length) : undefined;
  const next = rest?.charCodeAt(0);
  // Stryker disable next-line all: equivalent, as above
  if (rest !== undefined && (next === SLASH || next === QUESTION) && !rest.includes('#')) {
    const { protocol, hostname, port, host } = lastTarget;
    return { protocol, hostname, port, path: next === QUESTION ? `/${rest}` : rest, host };
  }
  const parts = URL_PARTS.exec(url);
  if (!parts) {
    const parsed = new URL(url);
    return {
      protocol: parsed.protocol,
      hostname: parsed.hostname.replace(/^\[|\]$/g, ''),
      ...(parsed.port ? { port: parsed.port } : {}),
      path: `${parsed.pathname}${parsed.search}`,
      host: parsed.host,
    };
  }
  const [, scheme = '', host = '', port, path = '/'] = parts;
  const protocol = scheme.toLowerCase();
  // `:080` is port 80, as the URL parser and Node read it.
  const number = port?.replace(LEADING_ZEROS, '');
  const usual = number === (protocol === 'https:' ? '443' : '80');
  const name = host.toLowerCase();
  const target: RequestTarget = {
    protocol,
    hostname: name.replace(/^\[|\]$/g, ''),
    port: number && !usual ? number : undefined,
    path: path.startsWith('?') ? `/${path}` : path,
    host: number && !usual ? `${name}:${number}` : name,
  };
  lastOrigin = parts[4] === undefined ? url : url.slice(0, -parts[4].length);
  lastTarget = target;
  return target;
}

const LEADING_ZEROS = /^0+(?=\d)/;
const SLASH = 47;
const QUESTION = 63;

/** The body stream, decoded as fetch decodes `Content-Encoding` (none for a bodiless status). */
function decoded(
  zlib: typeof NodeZlib,
  response: NodeHttp.IncomingMessage,
  method: string,
  status: number,
): NodeJS.ReadableStream {
  const encoding = response.headers['content-encoding']?.trim().toLowerCase();
  if (!encoding || method === 'HEAD' || status === 204 || status === 304) return response;
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip({ flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH })
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : undefined;
  if (!decoder) return response;
  response.on('error', (error) => decoder.destroy(error));
  return response.pipe(decoder);
}

/**
 * Node's parsed headers read as a `Headers` reads them: names in any case, repeated values joined by
 * `get` and given one by one to `forEach`, in name order. A class, so that a response allocates one object
 * and no closures.
 */
class NodeHeaders implements ResponseHeaders {
  readonly #raw: NodeHttp.IncomingHttpHeaders;

  constructor(raw: NodeHttp.IncomingHttpHeaders) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    const value = this.#raw[name.toLowerCase()];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  forEach(callback: (value: string, name: string) => void): void {
    for (const name of Object.keys(this.#raw).sort()) {
      const value = this.#raw[name];
      if (Array.isArray(value)) for (const one of value) callback(one, name);
      else if (value !== undefined) callback(value, name);
    }
  }
}
