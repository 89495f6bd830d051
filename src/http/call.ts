/**
 * One operation of the HTTP client, from its first attempt to its answer: the token (within the
 * deadline), the concurrency gate, the request itself over the node transport or ofetch, one
 * refresh-and-retry on `INVALID_TOKEN`, the retries and the typed, secret-free errors.
 *
 * A class, so that an operation allocates its fields and the few functions the gate and the retry loop
 * are handed, where a closure per step was built for every request (a lookup sends one on every ring).
 *
 * @module
 */
import { type $Fetch, createFetchError } from 'ofetch';
import { ErrorCode, isZohoCrmError, RateLimitError, type ZohoCrmError } from '../errors.js';
import { type Logger, noopLogger } from '../logger.js';
import { type CircuitBreaker, guardAttempt } from './circuit-breaker.js';
import type { AccessGrant, ZohoHttpOptions, ZohoRequest, ZohoResponse } from './client.js';
import type { ConcurrencyGate } from './gate.js';
import type { NodeTransport, ResponseHeaders } from './node-transport.js';
import { appendQuery, PLAIN_URL, type QueryParams } from './query.js';
import { hasRecordResults, parseBody, zohoCodeOf } from './response-body.js';
import { type RetryPolicy, withRetry } from './retry.js';
import { attemptSignal, isTimeoutReason, raceDeadline } from './signals.js';
import { systemCode, type TransportFailureKind, toZohoError } from './to-zoho-error.js';

/** What every operation of one client shares. @internal */
export interface CallContext {
  options: ZohoHttpOptions;
  logger: Logger;
  gate: ConcurrencyGate;
  /** Secrets besides the access token that no error may carry. */
  knownSecrets: readonly string[];
  /** The grant's API domain without trailing slashes, and the CRM API's base below it. */
  basesOf(grant: AccessGrant): { origin: string; crm: string };
  $fetch(): $Fetch;
  /** The node transport for a URL with its query, when the request may skip fetch. */
  directTransport(target: string): NodeTransport | undefined;
}

type Answer = { status: number; headers: ResponseHeaders; body: string };

/** One operation: `new ZohoCall(context, request).run(circuit)`. @internal */
export class ZohoCall<T> {
  readonly #context: CallContext;
  readonly #req: ZohoRequest<T>;
  readonly #deadlineAt: number;
  #grant: AccessGrant | undefined;
  #url = '';

  constructor(context: CallContext, req: ZohoRequest<T>) {
    this.#context = context;
    this.#req = req;
    this.#deadlineAt = performance.now() + (req.deadlineMs ?? context.options.deadlineMs);
  }

  /** Sends the operation with its retries; `circuit` guards every attempt. */
  async run(circuit?: CircuitBreaker): Promise<ZohoResponse<T>> {
    const sendOnce = (attemptNumber: number) => this.#sendOnce(attemptNumber);
    try {
      return await withRetry(circuit ? guardAttempt(circuit, sendOnce, this.#req) : sendOnce, () =>
        this.#retryPolicy(),
      );
    } catch (error) {
      if (isZohoCrmError(error)) throw error;
      // The loop itself was aborted (deadline or caller) between attempts.
      const caller = this.#req.signal;
      const kind: TransportFailureKind =
        caller?.aborted && !isTimeoutReason(caller.reason) ? 'aborted' : 'deadline';
      throw this.#failure({ kind, method: this.#req.method, url: this.#url || this.#req.path });
    }
  }

  /** Built only once a first attempt failed. */
  #retryPolicy(): RetryPolicy {
    const { options, logger } = this.#context;
    const { method, path } = this.#req;
    const idempotent = this.#req.idempotent ?? method !== 'POST';
    const policy: RetryPolicy = {
      retries: options.retries,
      baseDelayMs: options.backoff?.baseDelayMs ?? 250,
      maxDelayMs: options.backoff?.maxDelayMs ?? 8_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 60_000,
      signal: this.#req.signal,
      deadlineAt: this.#deadlineAt,
      // An insert that may have reached Zoho is not resent here: the journal's ledger decides.
      // The operation's deadline has passed once any part of it says so: nothing is worth retrying.
      isRetryable: (error) =>
        error.retryable &&
        error.code !== ErrorCode.DEADLINE_EXCEEDED &&
        (idempotent || error instanceof RateLimitError || neverSent(error)),
      onRetry: (error, attemptNumber, delayMs) =>
        logger.warn(
          { method, path, code: error.code, attempt: attemptNumber, delayMs },
          'retrying zoho request',
        ),
    };
    if (options.random) policy.random = options.random;
    return policy;
  }

  /** The secrets no error may carry: the access token in use and the client's own. */
  #secrets(): readonly string[] {
    const known = this.#context.knownSecrets;
    return this.#grant ? [this.#grant.accessToken, ...known] : known;
  }

  #failure(input: Parameters<typeof toZohoError>[0]): ZohoCrmError {
    return toZohoError(input, this.#secrets());
  }

  /**
   * The token provider may wait on the token store (a lock, a read) or the accounts server: that wait
   * counts against the operation's deadline like any attempt, so a hung store cannot hold the caller.
   */
  async #withinDeadline(pending: Promise<AccessGrant>): Promise<AccessGrant> {
    const raced = await raceDeadline(pending, this.#deadlineAt, this.#req.signal);
    if ('value' in raced) return raced.value;
    const { method, path } = this.#req;
    const failure = this.#failure({ kind: raced.cause, method, url: this.#url || path });
    this.#context.logger.warn(
      { method, path, code: failure.code },
      'no zoho access token before the deadline (is the token store answering?)',
    );
    throw failure;
  }

  /**
   * A free slot costs nothing; a full gate (the edition's concurrency) is waited for only until the
   * operation's deadline, like the token wait.
   */
  #throughGate(grant: AccessGrant, attemptNumber: number): Promise<Answer> {
    const { gate } = this.#context;
    const task = () => this.#send(grant, attemptNumber);
    if (!gate.full) return gate.run(task, this.#req.signal);
    return this.#waitForGate(task);
  }

  async #waitForGate(task: () => Promise<Answer>): Promise<Answer> {
    const wait = attemptSignal(this.#req.signal, Number.POSITIVE_INFINITY, this.#deadlineAt);
    try {
      return await this.#context.gate.run(task, wait.signal);
    } catch (error) {
      if (!wait.cause || isZohoCrmError(error)) throw error;
      const kind: TransportFailureKind = wait.cause === 'aborted' ? 'aborted' : 'deadline';
      throw this.#failure({ kind, method: this.#req.method, url: this.#url || this.#req.path });
    } finally {
      wait.clear();
    }
  }

  async #sendOnce(attemptNumber: number): Promise<ZohoResponse<T>> {
    const { options, logger } = this.#context;
    const req = this.#req;
    this.#grant ??=
      options.tokens.currentGrant?.() ??
      (await this.#withinDeadline(options.tokens.getAccessToken(req.signal)));
    const grant = this.#grant;
    let response = await this.#throughGate(grant, attemptNumber);
    if (response.status === 401 && zohoCodeOf(response.body) === 'INVALID_TOKEN') {
      logger.debug({ method: req.method, path: req.path }, 'zoho rejected the access token; refreshing once');
      this.#grant = await this.#withinDeadline(
        options.tokens.refreshAfterRejection(grant.accessToken, req.signal),
      );
      response = await this.#throughGate(this.#grant, attemptNumber);
    }
    // 2xx, including 207 multi-status whose per-record results the caller inspects.
    if ((response.status >= 200 && response.status < 300) || hasRecordResults(response, req)) {
      return {
        status: response.status,
        headers: response.headers,
        data: parseBody(response, req, this.#url, () => this.#secrets()),
      };
    }
    const error = this.#failure({
      kind: 'response',
      method: req.method,
      url: this.#url,
      status: response.status,
      headers: response.headers,
      body: response.body,
    });
    if (error instanceof RateLimitError) options.onRateLimited?.(error);
    throw error;
  }

  async #send(current: AccessGrant, attemptNumber: number): Promise<Answer> {
    const { options, logger } = this.#context;
    const req = this.#req;
    const method = req.method;
    const base = this.#context.basesOf(current);
    const url = `${req.fromRoot ? base.origin : base.crm}${req.path}`;
    this.#url = url;
    if (performance.now() >= this.#deadlineAt) throw this.#failure({ kind: 'deadline', method, url });
    const attempt = attemptSignal(req.signal, options.timeoutMs, this.#deadlineAt);
    const started = performance.now();
    try {
      const headers = {
        Authorization: `Zoho-oauthtoken ${current.accessToken}`,
        Accept: 'application/json',
      };
      let res: Answer;
      if (req.body === undefined && PLAIN_URL.test(url)) {
        const target = appendQuery(url, req.query);
        const direct = this.#context.directTransport(target);
        const answer = direct && (await direct.send(method, target, headers, attempt));
        res =
          answer && !REDIRECT.has(answer.status)
            ? answer
            : await sendWithoutBody(this.#context.$fetch(), method, target, headers, attempt.signal);
      } else {
        const answer = await this.#context.$fetch().raw<string>(url, {
          method,
          query: compactQuery(req.query),
          headers,
          ...(req.body === undefined ? {} : { body: req.body as Record<string, unknown> }),
          signal: attempt.signal,
        });
        const text = typeof answer._data === 'string' ? answer._data : '';
        res = { status: answer.status, headers: answer.headers, body: text };
      }
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
      return { status: res.status, headers: res.headers, body: res.body };
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
      throw this.#failure({ kind, method, url, cause });
    } finally {
      attempt.clear();
    }
  }
}

// --- Internal helpers ---

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

/** A connection that was refused or a host that did not resolve never reached Zoho. @internal */
export function neverSent(error: ZohoCrmError): boolean {
  const code = systemCode(error.cause);
  return (
    error.code === ErrorCode.NETWORK &&
    (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
  );
}
