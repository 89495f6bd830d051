/**
 * Response builders in Zoho's shapes (Fetch API `Response` objects, so every transport can send them).
 * @internal
 * @module
 */

const JSON_TYPE = 'application/json;charset=UTF-8';

/** Extra information the router reads off a response (for stats and the log). */
export const ERROR_CODE_HEADER = 'x-emulator-error';

/**
 * Text bodies of the responses built here, so the node:http adapter can write them without reading the
 * body stream back (a measurable cost at thousands of requests per second).
 */
const RAW_BODIES = new WeakMap<Response, string>();

/** The body text of a response built by this module, if it has one. */
export function rawBody(response: Response): string | undefined {
  return RAW_BODIES.get(response);
}

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  const text = JSON.stringify(body);
  const res = new Response(text, {
    status,
    headers: { 'content-type': JSON_TYPE, ...headers },
  });
  RAW_BODIES.set(res, text);
  return res;
}

/** Zoho's whole-request error envelope: `{"code","details","message","status":"error"}`. */
export function zohoError(
  status: number,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return json(status, { code, details, message, status: 'error' }, { [ERROR_CODE_HEADER]: code, ...headers });
}

/** Zoho accounts-server error: `{"error": ...}` with HTTP 200 (Zoho's behaviour, docs/zoho-facts.md §1.4). */
export function oauthError(error: string, description?: string, status = 200): Response {
  const body: Record<string, string> = { error };
  if (description !== undefined) body.error_description = description;
  return json(status, body, { [ERROR_CODE_HEADER]: error });
}

/** HTTP 204 with an empty body. */
export function noContent(): Response {
  return new Response(null, { status: 204 });
}

/** An HTML page. */
export function html(status: number, body: string, headers: Record<string, string> = {}): Response {
  const res = new Response(body, {
    status,
    headers: { 'content-type': 'text/html;charset=UTF-8', ...headers },
  });
  RAW_BODIES.set(res, body);
  return res;
}

/** A 302 redirect. */
export function redirect(location: string): Response {
  return new Response(null, { status: 302, headers: { location } });
}

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Zoho's standard messages per error code (from the v8 OpenAPI enums where they exist). */
export const MESSAGES = {
  INVALID_TOKEN: 'invalid oauth token',
  OAUTH_SCOPE_MISMATCH: 'invalid oauth scope to access this URL',
  INVALID_URL_PATTERN: 'Please check if the URL trying to access is a correct one',
  INVALID_MODULE: 'the module name given seems to be invalid',
  NOT_SUPPORTED: 'the module is not supported for this operation',
  INVALID_REQUEST_METHOD: 'The http request method type is not a valid one',
  INVALID_DATA: 'invalid data',
  INVALID_ID: 'the id given seems to be invalid',
  INVALID_QUERY: 'invalid query formed',
  INVALID_OPERATOR: 'invalid operator found',
  MANDATORY_NOT_FOUND: 'required field not found',
  DUPLICATE_DATA: 'duplicate data',
  REQUIRED_PARAM_MISSING: 'One of the expected parameter is missing',
  LIMIT_REACHED: 'Record count exceeded',
  LIMIT_EXCEEDED: 'Record insertion limit has been exceeded.',
  TOO_MANY_REQUESTS: 'too many requests. please try again after some time',
  INTERNAL_ERROR: 'Internal server error occurred.',
  DEPENDENT_MISMATCH_DURATION: 'Call Duration can not be zero.',
  RELATED_ID_INVALID: 'the related id given seems to be invalid',
} as const;

/**
 * Answers that stand for a write Zoho completed but whose answer never reached the client (the
 * `lostAnswer` fault), with what the request log says about them.
 */
export const LOST_ANSWERS = new WeakMap<Response, string>();
