/**
 * The only place where a raw HTTP failure (a response with an error, a network failure, a timeout)
 * becomes a typed error. Everything it returns is free of secrets and query strings.
 *
 * @module
 */
import {
  AuthError,
  type AuthErrorCode,
  ErrorCode,
  RateLimitError,
  TransportError,
  type TransportErrorCode,
  ZohoApiError,
  type ZohoCrmError,
} from '../errors.js';
import { redactText, redactValue, urlPath } from '../redact.js';
import type { ResponseHeaders } from './node-transport.js';

/** Bodies longer than this are not quoted in errors. @internal */
export const MAX_QUOTED_BODY = 200;

/** How a request failed without an HTTP answer. @internal */
export type TransportFailureKind = 'network' | 'timeout' | 'deadline' | 'aborted';

/**
 * A failed HTTP exchange, as the transport saw it.
 * @internal
 */
export type HttpFailure =
  | {
      kind: 'response';
      method: string;
      url: string;
      status: number;
      headers?: ResponseHeaders;
      /** Raw body text; undefined or empty for 204 / no body. */
      body?: string;
    }
  | { kind: TransportFailureKind; method: string; url: string; cause?: unknown };

/**
 * Maps an HTTP failure to a typed error.
 * - OAuth errors (`{"error":"invalid_code"}`, usually with HTTP 200) become {@link AuthError}s.
 * - 401 `INVALID_TOKEN` / `OAUTH_SCOPE_MISMATCH` become {@link AuthError}s.
 * - 429 or `TOO_MANY_REQUESTS` become {@link RateLimitError}s with `Retry-After` honoured.
 * - Other Zoho envelopes (`{"code","details","message","status":"error"}`, also inside `data[0]`) become
 *   {@link ZohoApiError}s carrying `zohoCode` and `details`; non-JSON bodies are quoted briefly.
 * - Transport failures become {@link TransportError}s.
 * @param secrets - Values to scrub wherever they appear (the current token, the client secret).
 * @internal
 */
export function toZohoError(failure: HttpFailure, secrets: readonly string[] = []): ZohoCrmError {
  const method = redactText(failure.method.toUpperCase(), secrets);
  const path = redactText(urlPath(failure.url), secrets);
  const where = `${method} ${path}`;
  if (failure.kind !== 'response')
    return transportError(failure.kind, where, { method, path }, cleanCause(failure.cause, secrets));

  const { status } = failure;
  const bodyText = failure.body ?? '';
  const parsed = parseJson(bodyText);
  const envelope = findEnvelope(parsed);
  // Every field taken from the response goes through this: the body may echo what we sent.
  const clean = (text: string) => redactText(text, secrets);

  if (envelope.kind === 'oauth') {
    return oauthError(clean(envelope.error), envelope.description ? clean(envelope.description) : undefined);
  }

  if (envelope.kind === 'zoho') {
    const zohoCode = clean(envelope.code);
    const zohoMessage = clean(envelope.message ?? '');
    const details = redactValue(envelope.details, secrets) as Record<string, unknown>;
    if (status === 429 || zohoCode === 'TOO_MANY_REQUESTS') {
      return rateLimitError(failure, where, { method, path, zohoCode, details }, zohoMessage);
    }
    if (status === 401 || zohoCode === 'INVALID_TOKEN' || zohoCode === 'OAUTH_SCOPE_MISMATCH') {
      return apiAuthError(zohoCode, zohoMessage, where);
    }
    return new ZohoApiError(
      `Zoho API error ${zohoCode} (HTTP ${status}) on ${where}${zohoMessage ? `: ${zohoMessage}` : ''}`,
      { status, zohoCode, details, method, path },
      { retryable: isRetryableStatus(status) },
    );
  }

  if (status === 429) return rateLimitError(failure, where, { method, path }, '');
  if (status === 401) return apiAuthError(undefined, '', where);

  const size = new TextEncoder().encode(bodyText).length;
  const what =
    size === 0
      ? 'an empty body'
      : parsed === undefined
        ? size > MAX_QUOTED_BODY
          ? `a non-JSON body of ${size} bytes`
          : `a non-JSON body: ${clean(bodyText.trim())}`
        : `an unrecognised JSON body of ${size} bytes`;
  return new ZohoApiError(
    `Zoho answered HTTP ${status} with ${what} on ${where}`,
    { status, method, path },
    { retryable: isRetryableStatus(status) },
  );
}

/**
 * Whether an HTTP status is worth retrying: 408, 429 and every 5xx.
 * @internal
 */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * `Retry-After` in ms: delta-seconds or an HTTP date (relative to `now`). Undefined when absent or invalid.
 * @internal
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

// --- Internal helpers ---

type Envelope =
  | { kind: 'oauth'; error: string; description?: string }
  | { kind: 'zoho'; code: string; message?: string; details: Record<string, unknown> }
  | { kind: 'none' };

function parseJson(text: string): unknown {
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function findEnvelope(body: unknown): Envelope {
  if (!isRecord(body)) return { kind: 'none' };
  if (typeof body.error === 'string' && typeof body.code !== 'string') {
    const description = typeof body.error_description === 'string' ? body.error_description : undefined;
    return description === undefined
      ? { kind: 'oauth', error: body.error }
      : { kind: 'oauth', error: body.error, description };
  }
  const candidate = Array.isArray(body.data)
    ? body.data.find((item) => isRecord(item) && item.status === 'error')
    : body;
  if (isRecord(candidate) && typeof candidate.code === 'string') {
    const message = typeof candidate.message === 'string' ? candidate.message : undefined;
    const details = isRecord(candidate.details) ? candidate.details : {};
    return message === undefined
      ? { kind: 'zoho', code: candidate.code, details }
      : { kind: 'zoho', code: candidate.code, message, details };
  }
  return { kind: 'none' };
}

const OAUTH_ERRORS: Record<string, { code: AuthErrorCode; reauthorize: boolean; text: string }> = {
  invalid_code: {
    code: ErrorCode.AUTH_INVALID_GRANT,
    reauthorize: true,
    text: 'Zoho rejected the grant (invalid_code): the authorization code expired or was used, or the refresh token was revoked. Authorize again.',
  },
  invalid_client: {
    code: ErrorCode.AUTH_INVALID_CLIENT,
    reauthorize: false,
    text: 'Zoho does not recognise this client at this data centre (invalid_client): check the Client ID and the region, and that multi-DC is enabled for the client.',
  },
  invalid_client_secret: {
    code: ErrorCode.AUTH_INVALID_CLIENT,
    reauthorize: false,
    text: 'Zoho rejected the client secret (invalid_client_secret): check the Client Secret.',
  },
  invalid_redirect_uri: {
    code: ErrorCode.AUTH_INVALID_REDIRECT_URI,
    reauthorize: false,
    text: 'The redirect URI is not registered for this Zoho client (invalid_redirect_uri): add it under Authorized Redirect URIs.',
  },
  access_denied: {
    code: ErrorCode.AUTH_ACCESS_DENIED,
    reauthorize: true,
    text: 'Zoho denied access (access_denied).',
  },
};

/** `error` and `description` arrive already redacted. */
function oauthError(error: string, description: string | undefined): AuthError {
  const known = OAUTH_ERRORS[error];
  if (known)
    return new AuthError(known.code, known.text, { reauthorize: known.reauthorize, zohoCode: error });
  if (/access denied/i.test(error) || /too many|throttle/i.test(description ?? '')) {
    return new AuthError(
      ErrorCode.AUTH_THROTTLED,
      `Zoho is throttling token requests for this client${description ? ` (${description})` : ''}; wait before trying again.`,
      { zohoCode: error, retryable: true },
    );
  }
  return new AuthError(
    ErrorCode.AUTH_REFRESH_FAILED,
    `Zoho's token endpoint answered with error "${error}"${description ? `: ${description}` : ''}`,
    { zohoCode: error },
  );
}

function apiAuthError(zohoCode: string | undefined, zohoMessage: string, where: string): AuthError {
  if (zohoCode === 'OAUTH_SCOPE_MISMATCH') {
    return new AuthError(
      ErrorCode.AUTH_SCOPE_MISMATCH,
      `The granted OAuth scopes do not allow ${where} (OAUTH_SCOPE_MISMATCH): authorize again with the required scopes.`,
      { reauthorize: true, zohoCode },
    );
  }
  return new AuthError(
    ErrorCode.AUTH_INVALID_TOKEN,
    `Zoho rejected the access token on ${where} (${zohoCode ?? 'HTTP 401'})${zohoMessage ? `: ${zohoMessage}` : ''}`,
    zohoCode === undefined ? {} : { zohoCode },
  );
}

function rateLimitError(
  failure: Extract<HttpFailure, { kind: 'response' }>,
  where: string,
  fields: { method: string; path: string; zohoCode?: string; details?: Record<string, unknown> },
  zohoMessage: string,
): RateLimitError {
  const retryAfterMs = parseRetryAfter(failure.headers?.get('retry-after'));
  const credits = failure.headers?.get('x-api-credits-remaining');
  const creditsRemaining = credits && /^\d+$/.test(credits.trim()) ? Number(credits) : undefined;
  return new RateLimitError(
    `Zoho rate limit (HTTP ${failure.status}${fields.zohoCode ? ` ${fields.zohoCode}` : ''}) on ${where}${zohoMessage ? `: ${zohoMessage}` : ''}`,
    {
      ...fields,
      status: failure.status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(creditsRemaining === undefined ? {} : { creditsRemaining }),
    },
  );
}

const TRANSPORT: Record<
  Exclude<HttpFailure['kind'], 'response'>,
  { code: TransportErrorCode; text: string }
> = {
  network: { code: ErrorCode.NETWORK, text: 'Network error' },
  timeout: { code: ErrorCode.TIMEOUT, text: 'Request timed out' },
  deadline: { code: ErrorCode.DEADLINE_EXCEEDED, text: 'Deadline exceeded' },
  aborted: { code: ErrorCode.ABORTED, text: 'Request aborted' },
};

function transportError(
  kind: TransportFailureKind,
  where: string,
  fields: { method: string; path: string },
  cause: unknown,
): TransportError {
  const { code, text } = TRANSPORT[kind];
  const reason = kind === 'network' ? networkReason(cause) : '';
  return new TransportError(
    code,
    `${text} on ${where}${reason}`,
    fields,
    cause === undefined ? {} : { cause },
  );
}

/**
 * The cause with every known secret removed from its message (the error classes then keep only its
 * name, message and code). A fetch failure may quote the request it failed on.
 */
function cleanCause(cause: unknown, secrets: readonly string[]): unknown {
  if (cause === undefined || secrets.length === 0) return cause;
  if (typeof cause === 'string') return redactText(cause, secrets);
  if (typeof cause !== 'object' || cause === null) return cause;
  const source = cause as { name?: unknown; message?: unknown };
  const code = systemCode(cause);
  return {
    name: typeof source.name === 'string' ? source.name : 'Error',
    message: redactText(String(source.message ?? ''), secrets),
    ...(code === undefined ? {} : { code }),
  };
}

function networkReason(cause: unknown): string {
  const code = systemCode(cause);
  return code ? ` (${code})` : '';
}

/**
 * The system error code (`ECONNREFUSED`, `ENOTFOUND`…) of a failure to send, however deep its cause
 * chain holds it: node:http's error has it itself, fetch's `TypeError` one level down, and ofetch's
 * `FetchError` around that one level further.
 * @internal
 */
export function systemCode(cause: unknown): string | undefined {
  let current = cause as { code?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; depth < 4 && current && typeof current === 'object'; depth++) {
    if (typeof current.code === 'string') return current.code;
    current = current.cause as typeof current;
  }
  return undefined;
}
