/**
 * The one Zoho CRM HTTP client: ofetch underneath (its own retry off), the access token from an injected
 * provider, JSON in and out, per-attempt timeout plus a whole-operation deadline, one retry policy, one
 * refresh-and-retry on `INVALID_TOKEN`, a concurrency gate sized by edition, zod-checked responses, and
 * typed, secret-free errors.
 *
 * @module
 */
import { type $Fetch, createFetch } from 'ofetch';
import type { ZodMiniType as ZodType } from 'zod/mini';
import type { RateLimitError } from '../errors.js';
import { type Logger, noopLogger } from '../logger.js';
import { type CallContext, ZohoCall } from './call.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import { createConcurrencyGate } from './gate.js';
import {
  fetchGoesDirect,
  type NodeTransport,
  type ResponseHeaders,
  sharedNodeTransport,
} from './node-transport.js';
import type { QueryParams } from './query.js';
import type { TransportFailureKind } from './to-zoho-error.js';

export { neverSent } from './call.js';

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

  const context: CallContext = { options, logger, gate, knownSecrets, basesOf, $fetch, directTransport };
  return {
    request(req, circuit) {
      // Not async (one promise fewer per request), yet a request that cannot start still rejects.
      try {
        return new ZohoCall(context, req).run(circuit);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    get queued() {
      return gate.waiting;
    },
  };
}

/** A URL whose every character fetch would send as it is (no encoding left to do): the node transport's. */
const ASCII_URL = /^[\w\-.~:/?#[\]@!$&'()*+,;=%]*$/;
