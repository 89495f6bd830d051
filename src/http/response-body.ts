/**
 * Reading a Zoho answer's body: JSON checked against the request's schema (a mismatch is a typed
 * `ZOHO_INVALID_RESPONSE` error whose details name no secret), and the two peeks the client takes first:
 * Zoho's error code of a 401, and whether an error status carries per-record results.
 *
 * @module
 */
import { ErrorCode, ZohoApiError } from '../errors.js';
import { redactText, urlPath } from '../redact.js';
import type { ZohoRequest } from './client.js';

/** Whether an error status carries per-record results the caller asked for (a batch whose every record failed). @internal */
export function hasRecordResults(
  response: { status: number; body: string },
  req: ZohoRequest<unknown>,
): boolean {
  if (!req.recordResultStatuses?.includes(response.status)) return false;
  try {
    return Array.isArray((JSON.parse(response.body) as { data?: unknown })?.data);
  } catch {
    return false;
  }
}

/** Zoho's error `code` in a JSON body, if it has one. @internal */
export function zohoCodeOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { code?: unknown };
    return typeof parsed?.code === 'string' ? parsed.code : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A 2xx body as the request expects it: undefined for 204 and blank bodies, else JSON checked against
 * `req.schema`; non-JSON or a mismatch is a `ZOHO_INVALID_RESPONSE` error whose text names no secret.
 * @internal
 */
export function parseBody<T>(
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
