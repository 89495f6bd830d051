/**
 * The headers of a node transport request, in the form Node takes them fastest when that is safe. Node
 * writes a flat `[name, value, …]` list in one pass (still checking each name and value), where an object
 * costs a `setHeader` call per header and a `Host` and a framing Node works out itself: about 3 % of a
 * cold lookup's CPU. A list is given only when it reaches the wire as the object would have:
 * - the client's own headers (`Authorization`, `Accept`) and nothing else, so no name needs replacing
 *   and none is sent twice;
 * - a method whose framing Node decides the same either way (`Content-Length: 0` is written for `POST`,
 *   `PUT` and `PATCH`, where a list would otherwise announce a chunked body);
 * - a Node nobody watches. APM agents and mock libraries (OpenTelemetry, Sentry, Datadog, New Relic,
 *   nock, msw…) wrap `http.request`, a request's `setHeader` or `_storeHeader`, or an agent's
 *   `addRequest`, or listen to the request channels of `node:diagnostics_channel`; they may copy the
 *   headers as an object or add one once the request is built, which a list does not survive. While any
 *   of those functions is not Node's own, or anyone listens, the object is given.
 * Everything else gets the object, as before. Either form carries the same lines, in the same order for
 * a bodiless method (`Content-Length: 0` comes before `Connection` in a list, after it in an object).
 *
 * @module
 */
import type * as NodeDiagnostics from 'node:diagnostics_channel';
import type * as NodeHttp from 'node:http';

/** `node:http` or `node:https` as loaded: the functions a list skips or goes through, which may be replaced. @internal */
export type RequestModule = Pick<typeof NodeHttp, 'request' | 'Agent'> & {
  /** `node:http`'s only. */
  ClientRequest?: typeof NodeHttp.ClientRequest;
};

/** What the caller asks to send; the transport adds `User-Agent`, `Accept-Encoding` and `Host`. @internal */
export type RequestHeaders = Record<string, string>;

/** The headers as `http.request()` takes them. @internal */
export type HeaderForm = string[] | Record<string, string>;

/** Chooses the form of one request's headers. @internal */
export type ChooseHeaderForm = (method: string, host: string, headers: RequestHeaders) => HeaderForm;

/** The caller's headers a list may carry, named as the client names them. */
const OWN_HEADERS = new Set(['Authorization', 'Accept']);

/** Whether Node gives a method a body by default (then a list needs `Content-Length: 0`). */
const BODY_BY_DEFAULT = new Map([
  ['GET', false],
  ['HEAD', false],
  ['DELETE', false],
  ['OPTIONS', false],
  ['POST', true],
  ['PUT', true],
  ['PATCH', true],
]);

/**
 * The chooser for a transport on these modules (`diagnostics` undefined: always the object).
 * @internal
 */
export function createHeaderForm(
  http: RequestModule,
  https: RequestModule,
  diagnostics: typeof NodeDiagnostics | undefined,
): ChooseHeaderForm {
  const channels = diagnostics && {
    created: diagnostics.channel('http.client.request.created'),
    started: diagnostics.channel('http.client.request.start'),
  };
  const nodesOwn = nodesOwnCheck(http, https);
  const unwatched = () =>
    channels !== undefined &&
    !channels.created.hasSubscribers &&
    !channels.started.hasSubscribers &&
    nodesOwn();
  return (method, host, headers) => {
    const lines = plainLines(method, host, headers);
    // Node's functions are read only for a request a list could carry.
    return lines && unwatched() ? lines : { 'User-Agent': 'node', ...headers, 'Accept-Encoding': 'gzip, br' };
  };
}

/**
 * Node's functions a list skips or goes through, as the modules hold them now: `http.request`,
 * `https.request`, a request's `setHeader` and `_storeHeader`, and each agent's `addRequest`.
 */
function watchedFunctions(http: RequestModule, https: RequestModule): unknown[] {
  const request = methodsOf(http.ClientRequest);
  return [
    http.request,
    https.request,
    request.setHeader,
    request._storeHeader,
    methodsOf(http.Agent).addRequest,
    methodsOf(https.Agent).addRequest,
  ];
}

/** Each watched function's name and a word of Node's own source for it (Node 20 to 24). */
const NODES_OWN: ReadonlyArray<readonly [name: string, word: string]> = [
  ['request', 'ClientRequest'],
  ['request', 'ClientRequest'],
  ['setHeader', 'ERR_HTTP_HEADERS_SENT'],
  ['_storeHeader', 'firstLine'],
  ['addRequest', 'freeSockets'],
  ['addRequest', 'freeSockets'],
];

/**
 * Whether every watched function is still Node's own: named as Node names it, its source holding the
 * word (a wrapper reads otherwise, even one that copies the name, and so does a `Proxy`). Read per
 * request, checked again only when one of them changes.
 */
function nodesOwnCheck(http: RequestModule, https: RequestModule): () => boolean {
  // Stryker disable next-line ArrayDeclaration: equivalent, the first reading differs from any list
  let checked: unknown[] = [];
  // Stryker disable next-line BooleanLiteral: equivalent, the first call checks (nothing was checked yet)
  let own = false;
  return () => {
    const current = watchedFunctions(http, https);
    // Stryker disable next-line ConditionalExpression: equivalent, it only checks again (a memo for speed)
    if (differs(current, checked)) {
      checked = current;
      own = NODES_OWN.every(([name, word], i) => isNodes(current[i], name, word));
    }
    return own;
  };
}

// Stryker disable all: equivalent, a mutant here only makes the memo check again (it is for speed)
/** Whether two readings differ anywhere. */
function differs(now: readonly unknown[], before: readonly unknown[]): boolean {
  for (let i = 0; i < now.length; i++) if (now[i] !== before[i]) return true;
  return false;
}
// Stryker restore all

function isNodes(fn: unknown, name: string, word: string): boolean {
  return typeof fn === 'function' && fn.name === name && Function.prototype.toString.call(fn).includes(word);
}

/** A class's prototype, read by method name (`_storeHeader` and `addRequest` are not in Node's types). */
const methodsOf = (type: { prototype: object } | undefined) =>
  (type?.prototype ?? {}) as Record<string, unknown>;

/**
 * The lines the object `{ 'User-Agent': 'node', ...headers, 'Accept-Encoding': 'gzip, br' }` gives, in
 * its order, `Host` where Node adds it; undefined for headers or a method a list cannot take as they are.
 */
function plainLines(method: string, host: string, headers: RequestHeaders): string[] | undefined {
  const body = BODY_BY_DEFAULT.get(method);
  if (body === undefined) return undefined;
  const lines = ['User-Agent', 'node'];
  for (const name of Object.keys(headers)) {
    if (!OWN_HEADERS.has(name)) return undefined;
    lines.push(name, headers[name] as string);
  }
  lines.push('Accept-Encoding', 'gzip, br', 'Host', host);
  if (body) lines.push('Content-Length', '0');
  return lines;
}
