/**
 * The escape hatch: `zoho.request()` sends any Zoho CRM REST call through the connector's own HTTP client
 * (managed token, the org's API domain, retries, deadline, edition concurrency gate, typed errors). The
 * input is checked here, at the edge: the path must be a relative CRM API path, so the access token can
 * only ever go to the API domain of the connection's data centre.
 *
 * @module
 */
import * as z from 'zod/mini';
import { argumentError, kindOf } from '../args.js';
import { ConfigError } from '../errors.js';
import type { ZohoHttp } from './client.js';
import type { ResponseHeaders } from './node-transport.js';

/**
 * The HTTP methods Zoho's CRM API uses.
 * @example
 * ```ts
 * const method: CrmMethod = 'PUT';
 * ```
 * @group Escape hatch
 */
export type CrmMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * A Zoho CRM REST call for `zoho.request()`.
 * @example
 * ```ts
 * const update: CrmRequest = {
 *   method: 'PUT',
 *   path: '/crm/v8/Deals/4876876000000624001',
 *   body: { data: [{ Stage: 'Closed Won', Amount: 12000 }] },
 * };
 * ```
 * @group Escape hatch
 */
export interface CrmRequest {
  /** `GET`, `POST`, `PUT`, `PATCH` or `DELETE` (any case). */
  method: CrmMethod;
  /**
   * The API path from `/crm/` on, e.g. `/crm/v8/Deals`, `/crm/v8/Deals/4876876000000624001`,
   * `/crm/v8/settings/layouts`, `/crm/bulk/v8/read`. Letters, digits and `_ - . ~` between slashes; no
   * scheme, host, query string (use `query`), `.` or `..` segment, or trailing slash.
   */
  path: string;
  /** Query parameters; `undefined` values are left out, the others sent as text. */
  query?: Record<string, string | number | boolean | undefined>;
  /** The JSON body (an object or an array); not allowed with `GET`. */
  body?: unknown;
  /** Aborts the call (and its retries); it then rejects with `ABORTED`. */
  signal?: AbortSignal;
}

/**
 * Zoho's answer to `zoho.request()` (any 2xx; other statuses reject with a typed error).
 * @example
 * ```ts
 * const { status, data, headers } = await zoho.request<{ data: unknown[] }>({ method: 'GET', path: '/crm/v8/Deals' });
 * console.log(status, data?.data.length ?? 0, headers.get('x-rate-limit-remaining'));
 * ```
 * @group Escape hatch
 */
export interface CrmResponse<T = unknown> {
  /** The HTTP status (200, 201, 202, 204 or 207). */
  status: number;
  /** The parsed JSON body; `undefined` for 204 and empty bodies (e.g. a search with no match). */
  data: T | undefined;
  /** The response headers. */
  headers: Headers;
}

const METHODS: readonly CrmMethod[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** `/crm/` and segments of safe characters that cannot be `.` or `..` (no segment starts with a dot). */
const CRM_PATH = /^\/crm(?:\/[A-Za-z0-9_~-][A-Za-z0-9_.~-]*)+$/;
const CURRENT_VERSION = '/crm/v8/';

const RequestSchema = z.lazy(() =>
  z.strictObject({
    method: z.string(),
    path: z.string(),
    query: z.optional(
      z.record(
        z.string().check(z.minLength(1, 'must not have an empty key')),
        // z.number() rejects Infinity and NaN (classic zod's .finite() was a no-op).
        z.union([z.string(), z.number(), z.boolean(), z.undefined()], {
          error: 'values must be strings, finite numbers, booleans or undefined',
        }),
      ),
    ),
    body: z.optional(z.unknown()),
    signal: z.optional(z.instanceof(AbortSignal, { error: 'must be an AbortSignal' })),
  }),
);

/**
 * Checks the request and sends it through the connector's client.
 * @throws {@link ConfigError} for an invalid request (nothing is sent).
 * @internal
 */
export async function sendCrmRequest<T>(http: ZohoHttp, input: CrmRequest): Promise<CrmResponse<T>> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw argumentError('request', 'request', `must be an object (received ${kindOf(input)})`);
  }
  const parsed = RequestSchema.safeParse(input);
  if (!parsed.success) {
    throw ConfigError.fromIssues(
      parsed.error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
      'request',
    );
  }
  const { path, query, body, signal } = parsed.data;
  const method = parsed.data.method.toUpperCase() as CrmMethod;
  if (!METHODS.includes(method)) {
    throw argumentError('request', 'method', `must be one of ${METHODS.join(', ')}`);
  }
  if (path.length > 2_000 || !CRM_PATH.test(path)) {
    throw argumentError(
      'request',
      'path',
      'must be a Zoho CRM API path such as /crm/v8/Deals (no scheme, host, query string, "." or ".." segment; the token is only sent to the org\'s API domain)',
    );
  }
  if (body !== undefined) {
    if (method === 'GET') throw argumentError('request', 'body', 'is not allowed with GET');
    if (typeof body !== 'object' || body === null) {
      throw argumentError('request', 'body', `must be a JSON object or array (received ${kindOf(body)})`);
    }
  }
  // The current version goes the way every other call does (the zohoRequest event's path is below it).
  const current = path.startsWith(CURRENT_VERSION);
  const response = await http.request<T>({
    method,
    path: current ? path.slice(CURRENT_VERSION.length - 1) : path,
    ...(current ? {} : { fromRoot: true }),
    ...(query ? { query } : {}),
    ...(body === undefined ? {} : { body }),
    ...(signal ? { signal } : {}),
  });
  return { status: response.status, data: response.data, headers: webHeaders(response.headers) };
}

/** The answer's headers as a `Headers` (the node transport reads Node's own). */
function webHeaders(headers: ResponseHeaders): Headers {
  if (headers instanceof Headers) return headers;
  const copy = new Headers();
  headers.forEach((value, name) => {
    copy.append(name, value);
  });
  return copy;
}
