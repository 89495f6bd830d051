/**
 * What the journal does with a failure: retry later with backoff, wait for authorization, or move the
 * write to the dead letters. Pure.
 *
 * @module
 */
import {
  AuthError,
  ErrorCode,
  isZohoCrmError,
  RateLimitError,
  TransportError,
  ZohoApiError,
} from '../errors.js';
import { redactText } from '../redact.js';
import type { JournalErrorInfo } from './store.js';

/**
 * How a failed write is handled.
 * - `retry`: queued, retried with exponential backoff and jitter (network, timeouts, 5xx, 429 and spent
 *   credits, a token refresh in progress or throttled);
 * - `authorize`: queued until authorization works again (revoked or missing grant, scopes); not counted
 *   as an attempt;
 * - `dead`: Zoho refused the data itself (`INVALID_DATA`, `MANDATORY_NOT_FOUND`…): moved to the dead
 *   letters with Zoho's code and details.
 * @internal
 */
export type FailureAction = 'retry' | 'authorize' | 'dead';

/** Per-record codes that a later attempt can get past. @internal */
export const RETRYABLE_RECORD_CODES: ReadonlySet<string> = new Set([
  'INTERNAL_ERROR',
  'RECORD_LOCKED',
  'TOO_MANY_REQUESTS',
  'CANNOT_PROCESS',
]);

/**
 * Classifies a thrown error (see {@link FailureAction}).
 * @internal
 */
export function classifyFailure(error: unknown): FailureAction {
  if (error instanceof AuthError) return error.reauthorize ? 'authorize' : 'retry';
  if (error instanceof RateLimitError || error instanceof TransportError) return 'retry';
  if (error instanceof ZohoApiError) {
    if (error.status >= 500 || error.status === 0 || error.retryable) return 'retry';
    if (error.zohoCode && RETRYABLE_RECORD_CODES.has(error.zohoCode)) return 'retry';
    return 'dead';
  }
  // A failure we cannot judge (a bug, a store hiccup): never lose the call over it.
  return 'retry';
}

/**
 * Whether an optional lookup (users, field metadata, caller search) failed because the grant lacks a
 * scope or the user a permission: the journal then writes without that information instead of waiting.
 * @internal
 */
export function isOptionalLookupRefused(error: unknown): boolean {
  if (error instanceof AuthError) return error.code === ErrorCode.AUTH_SCOPE_MISMATCH;
  return classifyFailure(error) === 'dead';
}

/**
 * The next attempt's delay: `baseDelayMs × 2^(attempt-1)` capped at `maxDelayMs`, with "equal jitter"
 * (half fixed, half random) so that processes do not retry in lockstep; never shorter than a
 * `Retry-After` Zoho sent. The journal draws one jitter per failed batch, so a batch retries together.
 * @param attempt - 1 for the first retry.
 * @param jitter - A random number in [0, 1).
 * @internal
 */
export function retryDelay(
  attempt: number,
  policy: { baseDelayMs: number; maxDelayMs: number },
  jitter: number,
  error?: unknown,
): number {
  const exponent = Math.min(Math.max(attempt, 1) - 1, 30);
  const capped = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** exponent);
  const jittered = Math.round(capped / 2 + jitter * (capped / 2));
  const retryAfter = error instanceof RateLimitError ? (error.retryAfterMs ?? 0) : 0;
  return Math.max(jittered, retryAfter);
}

/**
 * A failure as the journal records it (no secrets: library errors are already clean).
 * @internal
 */
export function errorInfo(error: unknown): JournalErrorInfo {
  if (isZohoCrmError(error)) {
    const info: JournalErrorInfo = { code: error.code, message: error.message };
    if (error instanceof ZohoApiError) {
      if (error.zohoCode) info.zohoCode = error.zohoCode;
      if (Object.keys(error.details).length > 0) info.details = { ...error.details };
      if (error.status) info.status = error.status;
    } else if (error instanceof AuthError && error.zohoCode) {
      info.zohoCode = error.zohoCode;
    }
    return info;
  }
  const message = error instanceof Error ? error.message : String(error);
  return { code: ErrorCode.UNEXPECTED, message: redactText(message).slice(0, 500) };
}

/**
 * A per-record failure from a write response, as the journal records it.
 * @internal
 */
export function recordErrorInfo(outcome: {
  code: string;
  message: string;
  details: Record<string, unknown>;
}): JournalErrorInfo {
  const info: JournalErrorInfo = {
    code: ErrorCode.ZOHO_API,
    zohoCode: outcome.code,
    message: outcome.message,
  };
  if (Object.keys(outcome.details).length > 0) info.details = { ...outcome.details };
  return info;
}
