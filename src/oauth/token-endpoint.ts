/**
 * One POST to a Zoho accounts server, shared by the code exchange and the refresh. Secrets travel in
 * the form body; `{"error": ...}` answers (Zoho sends them with HTTP 200) are errors; nothing from the
 * request (URL query, body, fetch error) survives into what is thrown.
 *
 * @module
 */
import { ErrorCode, ZohoApiError } from '../errors.js';
import { toZohoError } from '../http/to-zoho-error.js';
import { TokenResponseSchema, type TokenSet, toTokenSet } from './token-set.js';

/** Options every accounts-server call takes. @internal */
export interface AccountsCallOptions {
  /** Accounts server base URL, e.g. `https://accounts.zoho.eu` (or the emulator's). */
  accountsUrl: string;
  /** fetch to use; defaults to the global one at call time. */
  fetch?: typeof fetch | undefined;
  /** Aborts the call. */
  signal?: AbortSignal | undefined;
  /** Per-call timeout in ms. @default 10000 */
  timeoutMs?: number | undefined;
  /** Clock for expiry computation (tests). */
  now?: (() => number) | undefined;
  /** More values no error may carry, besides the ones the call sends (e.g. the current access token). */
  secrets?: readonly string[] | undefined;
}

/**
 * POSTs a form to `{accountsUrl}{path}` and returns the parsed token set.
 * @param secrets - Values to scrub from any error (client secret, refresh token, code).
 * @internal
 */
export async function postTokenForm(
  options: AccountsCallOptions,
  path: string,
  form: Record<string, string>,
  secrets: readonly string[],
): Promise<TokenSet> {
  const { status, headers, body, url } = await postForm(options, path, form, secrets);
  const known = [...secrets, ...(options.secrets ?? [])];
  const json = safeJson(body);
  const hasError = typeof json === 'object' && json !== null && 'error' in json;
  if (status < 200 || status >= 300 || hasError || json === undefined) {
    if (status >= 200 && status < 300 && !hasError) {
      throw new ZohoApiError(`Zoho's token endpoint answered with a non-JSON body on POST ${path}`, {
        status,
        method: 'POST',
        path,
        code: ErrorCode.ZOHO_INVALID_RESPONSE,
      });
    }
    throw toZohoError({ kind: 'response', method: 'POST', url, status, headers, body }, known);
  }
  const parsed = TokenResponseSchema.safeParse(json);
  if (!parsed.success) {
    throw new ZohoApiError(
      `Zoho's token endpoint answered POST ${path} with an unexpected body shape (at ${parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ')})`,
      { status, method: 'POST', path, code: ErrorCode.ZOHO_INVALID_RESPONSE },
    );
  }
  return toTokenSet(parsed.data, (options.now ?? Date.now)());
}

/**
 * POSTs a form (or, with `query`, an empty body and a query string: Zoho's documented revoke form)
 * and returns status, headers and body text. Transport failures become typed, secret-free errors.
 * @internal
 */
export async function postForm(
  options: AccountsCallOptions,
  path: string,
  form: Record<string, string>,
  secrets: readonly string[],
  query?: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: string; url: string }> {
  const base = `${options.accountsUrl.replace(/\/+$/, '')}${path}`;
  const url = query ? `${base}?${new URLSearchParams(query)}` : base;
  const doFetch = options.fetch ?? globalThis.fetch;
  const timeout = AbortSignal.timeout(options.timeoutMs ?? 10_000);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams(form).toString(),
      signal,
    });
  } catch (cause) {
    const kind = options.signal?.aborted ? 'aborted' : timeout.aborted ? 'timeout' : 'network';
    throw toZohoError({ kind, method: 'POST', url: base, cause }, [...secrets, ...(options.secrets ?? [])]);
  }
  const body = await response.text().catch(() => '');
  return { status: response.status, headers: response.headers, body, url: base };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
