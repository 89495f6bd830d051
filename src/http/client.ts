/**
 * The one Zoho CRM HTTP client: ofetch underneath (its own retry off), the access token from an injected
 * provider, JSON in and out, per-attempt timeout plus a whole-operation deadline, one retry policy, one
 * refresh-and-retry on `INVALID_TOKEN`, a concurrency gate sized by edition, zod-checked responses, and
 * typed, secret-free errors.
 *
 * @module
 */
import { type $Fetch, createFetch, createFetchError } from 'ofetch';
import type { ZodMiniType as ZodType } from 'zod/mini';
import { ErrorCode, isZohoCrmError, RateLimitError, ZohoApiError, type ZohoCrmError } from '../errors.js';
import { type Logger, noopLogger } from '../logger.js';
import { redactText, urlPath } from '../redact.js';
import { type CircuitBreaker, guardAttempt } from './circuit-breaker.js';
import { createConcurrencyGate } from './gate.js';
import {
  fetchGoesDirect,
  type NodeTransport,
  type ResponseHeaders,
  sharedNodeTransport,
} from './node-transport.js';
import { appendQuery, PLAIN_URL, type QueryParams } from './query.js';
import { withRetry } from './retry.js';
import { attemptSignal, isTimeoutReason, raceDeadline } from './signals.js';
import { systemCode, type TransportFailureKind, toZohoError } from './to-zoho-error.js';

/**
 * An access token and the API domain it is valid for.
 * @internal
 */
export interface AccessGrant {
  accessToken: string;
  apiDomain: string;
}

/**
 * Supplies access tokens to the client (the token manager in production, a stub in tests).
 * @internal
 */
export interface AccessTokenProvider {
  /** A token that is valid now. */
  getAccessToken(signal?: AbortSignal): Promise<AccessGrant>;
  /**
   * The token held in memory when it is valid now, without waiting for anything; undefined when only
   * {@link getAccessToken} can tell (a refresh, a store read). Optional: the client then always waits.
   */
  currentGrant?(): AccessGrant | undefined;
  /**
   * Zoho rejected `rejectedToken` with `INVALID_TOKEN`: return a fresh grant (refreshing unless another
   * caller already replaced that token).
   */
  refreshAfterRejection(rejectedToken: string, signal?: AbortSignal): Promise<AccessGrant>;
}

/** @internal */
export interface ZohoHttpOptions {
  tokens: AccessTokenProvider;
  /** Overrides the grant's API domain (emulator, proxy). */
  apiUrl?: string | undefined;
  /** CRM API version path segment. */
  apiVersion?: string;
  fetch?: typeof fetch | undefined;
  /** Per-attempt timeout. */
  timeoutMs: number;
  /** Default deadline for a whole operation, retries included. */
  deadlineMs: number;
  /** Retries after the first attempt. */
  retries: number;
  /** Concurrent requests allowed in flight (the edition's limit). */
  maxConcurrency: number;
  backoff?: { baseDelayMs: number; maxDelayMs: number };
  /** Longest `Retry-After` the client is willing to wait for inside one operation. */
  maxRetryAfterMs?: number;
  random?: () => number;
  logger?: Logger;
  /**
   * Secrets besides the access token that no error may carry (the client secret, the state secret):
   * scrubbed from every field of every error built from a response.
   */
  secrets?: readonly string[] | undefined;
  /** Observes every 429 (for the connector's `rateLimited` event). */
  onRateLimited?: (error: RateLimitError) => void;
  /**
   * Observes every attempt that was sent (for the connector's `zohoRequest` event); asked with
   * `undefined` first so a connector nobody listens to builds nothing.
   */
  onAttempt?: ((attempt: ZohoAttempt) => void) | undefined;
}

/** One request attempt sent to Zoho's CRM API. @internal */
export interface ZohoAttempt {
  method: string;
  path: string;
  /** HTTP status, or undefined when no answer came (network error, timeout, abort). */
  status: number | undefined;
  /** Why no answer came. */
  failure: TransportFailureKind | undefined;
  /** 1 for the first attempt. */
  attempt: number;
  ms: number;
}

/** @internal */
export interface ZohoRequest<T> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below `/crm/{version}`, e.g. `/Contacts/search` (from the API domain's root with `fromRoot`). */
  path: string;
  /** `path` starts at the API domain's root (`/crm/v7/…`, `/crm/bulk/v8/…`): the escape hatch. */
  fromRoot?: boolean;
  query?: QueryParams;
  body?: unknown;
  /** Checks a 2xx JSON body. A mismatch is a `ZOHO_INVALID_RESPONSE` error, never retried. */
  schema?: ZodType<T>;
  signal?: AbortSignal;
  /** Overrides the client's default deadline for this operation. */
  deadlineMs?: number;
  /**
   * Whether repeating the request is harmless. Non-idempotent requests (inserts) are retried only when
   * Zoho certainly did not process them (429). Default: true except for POST.
   */
  idempotent?: boolean;
  /**
   * Error statuses whose body carries per-record results (a batch insert where every record failed
   * answers 400 with `data[]`): returned like a success when the body has a `data` array.
   */
  recordResultStatuses?: readonly number[];
}

/** @internal */
export interface ZohoResponse<T> {
  status: number;
  /** Parsed body; undefined for 204 and empty bodies. */
  data: T | undefined;
  headers: ResponseHeaders;
}

/** @internal */
export interface ZohoHttp {
  /**
   * Sends one operation. `circuit` guards every attempt (lookups and directory search): refused while
   * Zoho is failing.
   */
  request<T = unknown>(request: ZohoRequest<T>, circuit?: CircuitBreaker): Promise<ZohoResponse<T>>;
  /** Requests queued behind the concurrency gate right now. */
  readonly queued: number;
}

/**
 * Creates the Zoho CRM HTTP client.
 * @internal
 */
export function createZohoHttp(options: ZohoHttpOptions): ZohoHttp {
  const logger = options.logger ?? noopLogger;
  const gate = createConcurrencyGate(options.maxConcurrency);
  const version = options.apiVersion ?? 'v8';
  const knownSecrets = options.secrets ?? [];
  // createFetch rather than the default `ofetch` instance, whose module reads globalThis.Headers on import,
  // and only at the first request: reading it makes Node load undici (about 20 ms), which a connector
  // that has sent nothing yet need not pay. The global fetch is read per call, as ofetch's instance does.
  let fetcher: $Fetch | undefined;
  const $fetch = (): $Fetch =>
    (fetcher ??= createFetch({
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      defaults: { retry: false, ignoreResponseError: true, responseType: 'text' },
    }));
  // Requests without a body go over node:http(s) where fetch would go straight out through Node's own
  // undici, unless a fetch was injected (null: never here). A redirect is left to fetch, which follows it.
  let nodeTransport: NodeTransport | null | undefined = options.fetch ? null : undefined;
  /** The node transport for this request's URL with its query, when it may skip fetch. */
  const directTransport = (target: string): NodeTransport | undefined => {
    if (nodeTransport === undefined) nodeTransport = sharedNodeTransport() ?? null;
    return nodeTransport && ASCII_URL.test(target) && fetchGoesDirect() ? nodeTransport : undefined;
  };

  // The grant's API domain without trailing slashes, and the CRM API's base below it, kept for the
  // last domain seen (a connection's grants share one).
  let bases: { domain: string; origin: string; crm: string } | undefined;
  const basesOf = (grant: AccessGrant) => {
    const domain = options.apiUrl ?? grant.apiDomain;
    if (bases?.domain !== domain) {
      const origin = domain.replace(/\/+$/, '');
      bases = { domain, origin, crm: `${origin}/crm/${version}` };
    }
    return bases;
  };

  async function request<T>(req: ZohoRequest<T>, circuit?: CircuitBreaker): Promise<ZohoResponse<T>> {
    const method = req.method;
    const idempotent = req.idempotent ?? method !== 'POST';
    const deadlineAt = performance.now() + (req.deadlineMs ?? options.deadlineMs);
    const callerSignal = req.signal;
    let grant: AccessGrant | undefined;
    let url = '';
    const secrets = () => (grant ? [grant.accessToken, ...knownSecrets] : knownSecrets);

    const classifyAbort = (): TransportFailureKind =>
      callerSignal?.aborted && !isTimeoutReason(callerSignal.reason) ? 'aborted' : 'deadline';

    /**
     * The token provider may wait on the token store (a lock, a read) or the accounts server: that wait
     * counts against the operation's deadline like any attempt, so a hung store cannot hold the caller.
     */
    const withinDeadline = async (pending: Promise<AccessGrant>): Promise<AccessGrant> => {
      const raced = await raceDeadline(pending, deadlineAt, callerSignal);
      if ('value' in raced) return raced.value;
      const failure = toZohoError({ kind: raced.cause, method, url: url || req.path }, secrets());
      logger.warn(
        { method, path: req.path, code: failure.code },
        'no zoho access token before the deadline (is the token store answering?)',
      );
      throw failure;
    };

    /**
     * A free slot costs nothing; a full gate (the edition's concurrency) is waited for only until the
     * operation's deadline, like the token wait.
     */
    const throughGate = <R>(task: () => Promise<R>): Promise<R> => {
      if (!gate.full) return gate.run(task, callerSignal);
      return (async () => {
        const wait = attemptSignal(callerSignal, Number.POSITIVE_INFINITY, deadlineAt);
        try {
          return await gate.run(task, wait.signal);
        } catch (error) {
          if (!wait.cause || isZohoCrmError(error)) throw error;
          const kind: TransportFailureKind = wait.cause === 'aborted' ? 'aborted' : 'deadline';
          throw toZohoError({ kind, method, url: url || req.path }, secrets());
        } finally {
          wait.clear();
        }
      })();
    };

    const sendOnce = async (attemptNumber: number): Promise<ZohoResponse<T>> => {
      grant ??=
        options.tokens.currentGrant?.() ??
        (await withinDeadline(options.tokens.getAccessToken(callerSignal)));
      let response = await throughGate(() => send(grant as AccessGrant, attemptNumber));
      if (response.status === 401 && zohoCodeOf(response.body) === 'INVALID_TOKEN') {
        logger.debug({ method, path: req.path }, 'zoho rejected the access token; refreshing once');
        grant = await withinDeadline(options.tokens.refreshAfterRejection(grant.accessToken, callerSignal));
        response = await throughGate(() => send(grant as AccessGrant, attemptNumber));
      }
      // 2xx, including 207 multi-status whose per-record results the caller inspects.
      if ((response.status >= 200 && response.status < 300) || hasRecordResults(response, req)) {
        return {
          status: response.status,
          headers: response.headers,
          data: parseBody(response, req, url, secrets),
        };
      }
      const error = toZohoError(
        {
          kind: 'response',
          method,
          url,
          status: response.status,
          headers: response.headers,
          body: response.body,
        },
        secrets(),
      );
      if (error instanceof RateLimitError) options.onRateLimited?.(error);
      throw error;
    };

    const send = async (current: AccessGrant, attemptNumber: number) => {
      const base = basesOf(current);
      url = `${req.fromRoot ? base.origin : base.crm}${req.path}`;
      if (performance.now() >= deadlineAt) throw toZohoError({ kind: 'deadline', method, url }, secrets());
      const attempt = attemptSignal(callerSignal, options.timeoutMs, deadlineAt);
      const started = performance.now();
      try {
        const headers = {
          Authorization: `Zoho-oauthtoken ${current.accessToken}`,
          Accept: 'application/json',
        };
        let res: { status: number; headers: ResponseHeaders; body: string };
        if (req.body === undefined && PLAIN_URL.test(url)) {
          const target = appendQuery(url, req.query);
          const direct = directTransport(target);
          const answer = direct && (await direct.send(method, target, headers, attempt));
          res =
            answer && !REDIRECT.has(answer.status)
              ? answer
              : await sendWithoutBody($fetch(), method, target, headers, attempt.signal);
        } else {
          const answer = await $fetch().raw<string>(url, {
            method,
            query: compactQuery(req.query),
            headers,
            ...(req.body === undefined ? {} : { body: req.body as Record<string, unknown> }),
            signal: attempt.signal,
          });
          const text = typeof answer._data === 'string' ? answer._data : '';
          res = { status: answer.status, headers: answer.headers, body: text };
        }
        const body = res.body;
        const ms = elapsed(started);
        if (logger !== noopLogger) {
          logger.debug(
            { method, path: req.path, status: res.status, attempt: attemptNumber, ms },
            'zoho request',
          );
        }
        options.onAttempt?.({
          method,
          path: req.path,
          status: res.status,
          failure: undefined,
          attempt: attemptNumber,
          ms,
        });
        return { status: res.status, headers: res.headers, body };
      } catch (cause) {
        const kind: TransportFailureKind = attempt.cause ?? 'network';
        const ms = elapsed(started);
        logger.debug({ method, path: req.path, kind, attempt: attemptNumber, ms }, 'zoho request failed');
        options.onAttempt?.({
          method,
          path: req.path,
          status: undefined,
          failure: kind,
          attempt: attemptNumber,
          ms,
        });
        throw toZohoError({ kind, method, url, cause }, secrets());
      } finally {
        attempt.clear();
      }
    };

    try {
      const attempt = circuit ? guardAttempt(circuit, sendOnce, req) : sendOnce;
      return await withRetry(attempt, () => ({
        retries: options.retries,
        baseDelayMs: options.backoff?.baseDelayMs ?? 250,
        maxDelayMs: options.backoff?.maxDelayMs ?? 8_000,
        maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
        signal: callerSignal,
        deadlineAt,
        // An insert that may have reached Zoho is not resent here: the journal's ledger decides.
        // The operation's deadline has passed once any part of it says so: nothing is worth retrying.
        isRetryable: (error) =>
          error.retryable &&
          error.code !== ErrorCode.DEADLINE_EXCEEDED &&
          (idempotent || error instanceof RateLimitError || neverSent(error)),
        ...(options.random ? { random: options.random } : {}),
        onRetry: (error, attemptNumber, delayMs) =>
          logger.warn(
            { method, path: req.path, code: error.code, attempt: attemptNumber, delayMs },
            'retrying zoho request',
          ),
      }));
    } catch (error) {
      if (isZohoCrmError(error)) throw error;
      // The loop itself was aborted (deadline or caller) between attempts.
      throw toZohoError({ kind: classifyAbort(), method, url: url || req.path }, secrets());
    }
  }

  return {
    request,
    get queued() {
      return gate.waiting;
    },
  };
}

// --- Internal helpers ---

/** A URL whose every character fetch would send as it is (no encoding left to do): the node transport's. */
const ASCII_URL = /^[\w\-.~:/?#[\]@!$&'()*+,;=%]*$/;

/** Statuses fetch follows to the `Location` they name. */
const REDIRECT = new Set([301, 302, 303, 307, 308]);

/** Statuses whose response has no body to read (ofetch's list). */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A request without a body (the lookup's search, metadata reads) on ofetch's plain fetch: the same URL,
 * headers and answer as `$fetch.raw` gives, and a failure to fetch wrapped in the same `FetchError`,
 * without the option merging, `Headers` copy and URL parsing it spends per call.
 */
async function sendWithoutBody(
  $fetch: $Fetch,
  method: string,
  target: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{ status: number; headers: Headers; body: string }> {
  let response: Response;
  try {
    response = await $fetch.native(target, { method, headers, signal });
  } catch (error) {
    throw createFetchError({ request: target, options: { method, headers, signal }, error } as never);
  }
  const hasBody = response.body !== null && !NULL_BODY.has(response.status) && method !== 'HEAD';
  return { status: response.status, headers: response.headers, body: hasBody ? await response.text() : '' };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

function compactQuery(query: QueryParams | undefined): Record<string, string> | undefined {
  if (!query) return undefined;
  const out: Record<string, string> = {};
  for (const key in query) {
    const value = query[key];
    if (value !== undefined && Object.hasOwn(query, key)) out[key] = String(value);
  }
  return out;
}

function hasRecordResults(response: { status: number; body: string }, req: ZohoRequest<unknown>): boolean {
  if (!req.recordResultStatuses?.includes(response.status)) return false;
  try {
    return Array.isArray((JSON.parse(response.body) as { data?: unknown })?.data);
  } catch {
    return false;
  }
}

function zohoCodeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { code?: unknown };
    return typeof parsed?.code === 'string' ? parsed.code : undefined;
  } catch {
    return undefined;
  }
}

/** A connection that was refused or a host that did not resolve never reached Zoho. @internal */
export function neverSent(error: ZohoCrmError): boolean {
  const code = systemCode(error.cause);
  return (
    error.code === ErrorCode.NETWORK &&
    (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
  );
}

function parseBody<T>(
  response: { status: number; body: string },
  req: ZohoRequest<T>,
  url: string,
  secretsOf: () => readonly string[],
): T | undefined {
  if (response.status === 204 || response.body.trim() === '') return undefined;
  let json: unknown;
  try {
    json = JSON.parse(response.body);
  } catch {
    throw new ZohoApiError(
      `Zoho answered HTTP ${response.status} with a non-JSON body on ${req.method} ${urlPath(url)}`,
      {
        status: response.status,
        method: req.method,
        path: urlPath(url),
        code: ErrorCode.ZOHO_INVALID_RESPONSE,
      },
    );
  }
  if (!req.schema) return json as T;
  const parsed = req.schema.safeParse(json);
  if (parsed.success) return parsed.data;
  // Issue paths can hold keys of the response (record keys), which may echo what we sent.
  const secrets = secretsOf();
  const pathOf = (issue: { path: PropertyKey[] }) => issue.path.map((p) => redactText(String(p), secrets));
  const paths = parsed.error.issues
    .slice(0, 5)
    .map((issue) => pathOf(issue).join('.') || '(root)')
    .join(', ');
  throw new ZohoApiError(
    `Zoho answered ${req.method} ${urlPath(url)} with an unexpected body shape (at ${paths})`,
    {
      status: response.status,
      method: req.method,
      path: urlPath(url),
      code: ErrorCode.ZOHO_INVALID_RESPONSE,
      details: {
        issues: parsed.error.issues
          .slice(0, 5)
          .map((i) => ({ path: pathOf(i), message: redactText(i.message, secrets) })),
      },
    },
  );
}
