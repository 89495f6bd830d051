/**
 * A circuit breaker for Zoho outages: while Zoho keeps failing (5xx, network errors, timeouts), requests
 * that go through it are refused at once (`CIRCUIT_OPEN`) instead of being sent, except one probe per
 * interval; the first probe that gets an answer closes the circuit again. A pure state machine over an
 * injected clock, plus the adapter that puts it in front of every attempt of a {@link ZohoHttp} request.
 *
 * @module
 */
import { ErrorCode, isZohoCrmError, RateLimitError, TransportError, ZohoApiError } from '../errors.js';
import type { ZohoHttp } from './client.js';

/** @internal */
export interface CircuitBreakerSettings {
  /** Consecutive failed attempts that open the circuit. */
  failureThreshold: number;
  /** How long the circuit stays open before one probe may go out, in ms. */
  probeIntervalMs: number;
}

/**
 * - `closed`: requests flow; failures are counted.
 * - `open`: requests are refused until the probe interval has passed.
 * - `half-open`: one probe is out; everything else is refused until it answers.
 * @internal
 */
export type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * What one attempt said about Zoho's health: `failure` (5xx, network, timeout), `success` (Zoho answered,
 * even with a 4xx about the request itself), `neutral` (says nothing: aborted, auth, rate limit, a store).
 * @internal
 */
export type AttemptOutcome = 'success' | 'failure' | 'neutral';

/** What {@link CircuitBreaker.admit} hands an admitted attempt: its probe number (0 when closed). @internal */
export interface AttemptTicket {
  readonly probe: number;
}

/** The state machine. `now` is a monotonic clock in ms (e.g. `performance.now`). @internal */
export class CircuitBreaker {
  #state: CircuitState = 'closed';
  #failures = 0;
  /** When the circuit opened, or when the current probe went out. */
  #since = 0;
  /** Number of the latest probe (0: none yet). */
  #probe = 0;

  constructor(
    private readonly settings: CircuitBreakerSettings,
    private readonly now: () => number,
  ) {}

  get state(): CircuitState {
    return this.#state;
  }

  /**
   * Whether an attempt may go out now. Open past the interval: admits this one as the probe
   * (half-open). Half-open: refuses, unless the probe has been out for a whole interval (lost).
   */
  tryAcquire(): boolean {
    return this.admit() !== undefined;
  }

  /**
   * Like {@link CircuitBreaker.tryAcquire}, with a ticket for {@link CircuitBreaker.record}: the probe's
   * ticket is the only one whose neutral outcome lets the next attempt probe at once.
   */
  admit(): AttemptTicket | undefined {
    if (this.#state === 'closed') return { probe: 0 };
    if (this.now() - this.#since < this.settings.probeIntervalMs) return undefined;
    this.#state = 'half-open';
    this.#since = this.now();
    this.#probe++;
    return { probe: this.#probe };
  }

  /** Records what an admitted attempt found (`ticket` from {@link CircuitBreaker.admit}). */
  record(outcome: AttemptOutcome, ticket: AttemptTicket = { probe: this.#probe }): void {
    if (outcome === 'success') {
      this.#state = 'closed';
      this.#failures = 0;
    } else if (outcome === 'failure') {
      this.#failures++;
      if (this.#state === 'half-open' || this.#failures >= this.settings.failureThreshold) {
        if (this.#state !== 'open') this.#since = this.now();
        this.#state = 'open';
      }
    } else if (this.#state === 'half-open' && ticket.probe === this.#probe) {
      // The probe learnt nothing: let the next attempt probe at once. A stale attempt admitted before
      // the circuit opened says nothing about the probe and re-arms nothing.
      this.#since = this.now() - this.settings.probeIntervalMs;
    }
  }
}

/**
 * Classifies a settled attempt: a 5xx, a network error or a timeout is a failure; any other answer from
 * Zoho is a success; aborts, auth, rate limits and local errors are neutral.
 * @internal
 */
export function attemptOutcome(error: unknown): AttemptOutcome {
  if (!isZohoCrmError(error)) return 'neutral';
  if (error instanceof RateLimitError) return 'neutral';
  if (error instanceof ZohoApiError) return error.status >= 500 || error.status === 0 ? 'failure' : 'success';
  if (error instanceof TransportError) {
    return error.code === ErrorCode.ABORTED || error.code === ErrorCode.CIRCUIT_OPEN ? 'neutral' : 'failure';
  }
  return 'neutral';
}

/**
 * Runs `attempt` only when the breaker admits it, and records its outcome; a refused attempt throws a
 * non-retryable `CIRCUIT_OPEN` {@link TransportError} without touching the network.
 * @internal
 */
export function guardAttempt<T>(
  breaker: CircuitBreaker,
  attempt: (attemptNumber: number) => Promise<T>,
  request: { method: string; path: string },
): (attemptNumber: number) => Promise<T> {
  return async (attemptNumber) => {
    const ticket = breaker.admit();
    if (!ticket) {
      throw new TransportError(
        ErrorCode.CIRCUIT_OPEN,
        'Zoho has been failing; the circuit breaker holds requests until its next probe',
        request,
        { retryable: false },
      );
    }
    try {
      const result = await attempt(attemptNumber);
      breaker.record('success', ticket);
      return result;
    } catch (error) {
      breaker.record(attemptOutcome(error), ticket);
      throw error;
    }
  };
}

/**
 * The same client with every request's attempts guarded by one new breaker (`false`: the client as is).
 * @param now - Monotonic clock in ms. @default performance.now
 * @internal
 */
export function withCircuitBreaker(
  http: ZohoHttp,
  settings: CircuitBreakerSettings | false,
  now: () => number = () => performance.now(),
): ZohoHttp {
  if (!settings) return http;
  const breaker = new CircuitBreaker(settings, now);
  return {
    request: (request) => http.request(request, breaker),
    get queued() {
      return http.queued;
    },
  };
}
