/**
 * JSON in and out for the PBX service: bounded body reading, error bodies and the HTTP status of each
 * error code. Web-standard only (Request/Response), so the service runs on any Fetch-API host.
 *
 * @module
 */
import { ConfigError, ErrorCode, isZohoCrmError, type ZohoCrmError } from '../errors.js';

/**
 * Codes only the service answers with, for requests that never reached the SDK (a route, a key, a body).
 * Every other error answer carries the SDK's `ErrorCode`. Documented in docs/pbx-service.md.
 *
 * @example
 * ```ts
 * import { ServiceErrorCode } from 'zoho-crm-connector/server';
 *
 * const answer = await fetch('http://127.0.0.1:8080/v1/tenants/acme/caller?number=%2B4930123456', {
 *   headers: { authorization: 'Bearer my-api-key' },
 * });
 * if (!answer.ok) {
 *   const { error } = (await answer.json()) as { error: { code: string } };
 *   if (error.code === ServiceErrorCode.TENANT_UNKNOWN) console.error('no such tenant');
 * }
 * ```
 */
export const ServiceErrorCode = {
  /** 404: no such route. */
  NOT_FOUND: 'NOT_FOUND',
  /** 404: no settings for that tenant id. */
  TENANT_UNKNOWN: 'TENANT_UNKNOWN',
  /** 405: the route exists for other methods (the `allow` header names them). */
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  /** 401: no valid API key (the admin page: no session). */
  UNAUTHORIZED: 'UNAUTHORIZED',
  /** 403: an admin form without the page's CSRF token. */
  CSRF: 'CSRF',
  /** 400: the body is empty, not UTF-8 or not JSON. */
  BODY_INVALID: 'BODY_INVALID',
  /** 413: the body is larger than `maxBodyBytes`. */
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  /** 415: the body is not of the media type the route reads. */
  BODY_UNSUPPORTED_TYPE: 'BODY_UNSUPPORTED_TYPE',
  /** 500: a failure outside the SDK's error family (a bug; the log has it). */
  INTERNAL: 'INTERNAL',
} as const;

/** One of {@link ServiceErrorCode}. */
export type ServiceErrorCode = (typeof ServiceErrorCode)[keyof typeof ServiceErrorCode];

/** The JSON body of every error answer. @internal */
export interface ErrorBody {
  error: {
    code: ErrorCode | ServiceErrorCode;
    message: string;
    issues?: Array<{ path: string; message: string }>;
  };
}

/** @internal */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
  });
}

/** An error answer with our stable code (service-level codes are upper-case like the SDK's). @internal */
export function errorResponse(
  status: number,
  code: ErrorCode | ServiceErrorCode,
  message: string,
  extra: Partial<ErrorBody['error']> = {},
  headers: Record<string, string> = {},
): Response {
  return json({ error: { code, message, ...extra } } satisfies ErrorBody, status, headers);
}

/** Why a request body was refused before it reached the SDK. @internal */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    readonly code: Extract<ServiceErrorCode, `BODY_${string}`>,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a text body of at most `maxBytes` and of the given media type: a declared `content-length` over
 * the cap is refused before a byte is read, a stream that grows past it is cancelled there. @internal
 */
export async function readText(
  request: Request,
  maxBytes: number,
  mediaType: RegExp | string,
): Promise<string> {
  const type = request.headers.get('content-type') ?? '';
  const accepted =
    typeof mediaType === 'string' ? type.toLowerCase().startsWith(mediaType) : mediaType.test(type);
  if (!accepted) {
    throw new BodyError(415, 'BODY_UNSUPPORTED_TYPE', `The body must be ${String(mediaType)}.`);
  }
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(maxBytes);
  if (!request.body) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(maxBytes);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new BodyError(400, 'BODY_INVALID', 'The body is not valid UTF-8.');
  }
}

/** Reads a JSON body of at most `maxBytes` (see {@link readText}). @internal */
export async function readJson(request: Request, maxBytes: number): Promise<unknown> {
  const text = await readText(request, maxBytes, /^application\/(?:[\w.+-]+\+)?json\b/i);
  if (text === '') throw new BodyError(400, 'BODY_INVALID', 'The body is empty; a JSON object was expected.');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError(400, 'BODY_INVALID', 'The body is not valid JSON.');
  }
}

const tooLarge = (maxBytes: number) =>
  new BodyError(413, 'BODY_TOO_LARGE', `The body is larger than ${maxBytes} bytes.`);

/** The HTTP status that tells a PBX what to do about each SDK error. @internal */
export function statusOf(error: ZohoCrmError): number {
  switch (error.code) {
    case ErrorCode.CONFIG_INVALID:
    case ErrorCode.PHONE_INVALID:
    case ErrorCode.AUTH_STATE_MISMATCH:
    case ErrorCode.AUTH_INVALID_CALLBACK:
    case ErrorCode.AUTH_ACCESS_DENIED:
      return 400;
    case ErrorCode.TENANT_DISABLED:
      return 403;
    case ErrorCode.AUTH_NOT_CONNECTED:
    case ErrorCode.AUTH_INVALID_GRANT:
    case ErrorCode.AUTH_INVALID_CLIENT:
    case ErrorCode.AUTH_INVALID_REDIRECT_URI:
    case ErrorCode.AUTH_SCOPE_MISMATCH:
    case ErrorCode.AUTH_REFRESH_FAILED:
    case ErrorCode.AUTH_INVALID_TOKEN:
      return 409; // the tenant must (re)authorize: retrying the same request will not help
    case ErrorCode.ZOHO_RATE_LIMIT:
    case ErrorCode.AUTH_THROTTLED:
      return 429;
    case ErrorCode.DEADLINE_EXCEEDED:
    case ErrorCode.TIMEOUT:
      return 504;
    case ErrorCode.ZOHO_API:
    case ErrorCode.ZOHO_INVALID_RESPONSE:
    case ErrorCode.NETWORK:
      return 502;
    case ErrorCode.CONNECTOR_CLOSED:
    case ErrorCode.TOKEN_STORE:
    case ErrorCode.JOURNAL_STORE:
    case ErrorCode.SETTINGS_STORE:
      return 503;
    default:
      return 500;
  }
}

/** Any thrown value as an error answer; never leaks a stack or an untyped message. @internal */
export function responseForError(error: unknown): Response {
  if (error instanceof BodyError) return errorResponse(error.status, error.code, error.message);
  if (!isZohoCrmError(error)) return errorResponse(500, 'INTERNAL', 'The service failed unexpectedly.');
  const status = statusOf(error);
  const extra: Partial<ErrorBody['error']> = {};
  if (error instanceof ConfigError) {
    extra.issues = error.issues.map((issue) => ({ path: issue.path, message: issue.message }));
  }
  const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
  const headers: Record<string, string> =
    status === 429 && typeof retryAfterMs === 'number'
      ? { 'retry-after': String(Math.ceil(retryAfterMs / 1000)) }
      : {};
  return errorResponse(status, error.code, error.message, extra, headers);
}

const html = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );

/** A small HTML page (the OAuth callback's answer in a browser). @internal */
export function page(status: number, title: string, message: string): Response {
  return new Response(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${html(title)}</title></head><body><h1>${html(title)}</h1><p>${html(message)}</p></body></html>`,
    { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } },
  );
}
