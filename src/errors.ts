/**
 * The error family of zoho-crm-connector. Every error the library throws extends {@link ZohoCrmError}
 * and carries a stable {@link ErrorCode}; none of them holds a secret in its message, its properties,
 * its `cause`, `JSON.stringify()` output or `util.inspect()` output.
 *
 * @module
 */

import { en } from 'zod/locales';
import { config } from 'zod/mini';
import { REDACTED, redactText, redactValue } from './redact.js';

// zod/mini (every schema here) loads no locale and would report "Invalid input" for everything: English
// messages, as classic zod gives, for the issues that ConfigError and ZohoApiError details carry. Set
// here because every module that turns issues into an error imports this one.
config(en());

/**
 * Stable error codes. Compare `err.code` against these rather than matching messages.
 * @group Errors
 */
export const ErrorCode = {
  /** Connector options failed validation; `issues` names every bad path. */
  CONFIG_INVALID: 'CONFIG_INVALID',
  /** A phone number could not be parsed into E.164. */
  PHONE_INVALID: 'PHONE_INVALID',
  /** No tokens are stored for this connection: the admin has not clicked Authorize yet (or revoked). */
  AUTH_NOT_CONNECTED: 'AUTH_NOT_CONNECTED',
  /** Zoho rejected the grant code or refresh token (`invalid_code`): expired, used, or revoked. */
  AUTH_INVALID_GRANT: 'AUTH_INVALID_GRANT',
  /** Zoho does not know this client at this data centre (`invalid_client`), or its secret is wrong. */
  AUTH_INVALID_CLIENT: 'AUTH_INVALID_CLIENT',
  /** The redirect URI is not registered for the client (`invalid_redirect_uri`). */
  AUTH_INVALID_REDIRECT_URI: 'AUTH_INVALID_REDIRECT_URI',
  /** The OAuth `state` was tampered with, expired, replayed or belongs to another connection. */
  AUTH_STATE_MISMATCH: 'AUTH_STATE_MISMATCH',
  /** The OAuth callback lacks its code or names an accounts server that is not Zoho's (or an override). */
  AUTH_INVALID_CALLBACK: 'AUTH_INVALID_CALLBACK',
  /**
   * The stored grant names an accounts server that is neither one of Zoho's (the region table) nor a
   * configured endpoint: no secret was sent there. Authorize again.
   */
  AUTH_UNTRUSTED_ACCOUNTS_SERVER: 'AUTH_UNTRUSTED_ACCOUNTS_SERVER',
  /** The user pressed Deny on Zoho's consent page, or has no CRM organisation. */
  AUTH_ACCESS_DENIED: 'AUTH_ACCESS_DENIED',
  /** Zoho (or the connector's own guard) refused to mint more tokens for now. */
  AUTH_THROTTLED: 'AUTH_THROTTLED',
  /** Zoho rejected the access token even after a refresh. */
  AUTH_INVALID_TOKEN: 'AUTH_INVALID_TOKEN',
  /** The granted scopes do not cover this API call (`OAUTH_SCOPE_MISMATCH`). */
  AUTH_SCOPE_MISMATCH: 'AUTH_SCOPE_MISMATCH',
  /** The token endpoint failed in a way not covered by a more specific code. */
  AUTH_REFRESH_FAILED: 'AUTH_REFRESH_FAILED',
  /** Zoho answered with an error envelope or an unexpected HTTP status. */
  ZOHO_API: 'ZOHO_API',
  /** Zoho answered with a body that does not have the documented shape. */
  ZOHO_INVALID_RESPONSE: 'ZOHO_INVALID_RESPONSE',
  /** Zoho refused the call for rate or credit reasons (HTTP 429 `TOO_MANY_REQUESTS`). */
  ZOHO_RATE_LIMIT: 'ZOHO_RATE_LIMIT',
  /** The request never got an HTTP answer (DNS, refused, reset). */
  NETWORK: 'NETWORK',
  /** One attempt took longer than the per-attempt timeout. */
  TIMEOUT: 'TIMEOUT',
  /** The whole operation, retries included, ran past its deadline. */
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  /** The caller aborted the operation through its `AbortSignal`. */
  ABORTED: 'ABORTED',
  /**
   * Not sent: Zoho has been failing (5xx, network errors, timeouts) and the circuit breaker holds
   * requests until its next probe (`lookup.circuitBreaker`).
   */
  CIRCUIT_OPEN: 'CIRCUIT_OPEN',
  /** A token store failed to read, write, decrypt or lock. */
  TOKEN_STORE: 'TOKEN_STORE',
  /** The connector was closed; create a new one. */
  CONNECTOR_CLOSED: 'CONNECTOR_CLOSED',
  /** A journal store (call ledger, outbox, dead letters) failed to read, write or decrypt. */
  JOURNAL_STORE: 'JOURNAL_STORE',
  /**
   * A note or link waited `journal.holdUnknownCallsMs` for a call id that was never logged, or its call
   * was refused for good: it is kept as a dead letter with this code.
   */
  JOURNAL_CALL_NOT_LOGGED: 'JOURNAL_CALL_NOT_LOGGED',
  /**
   * Something outside the library's error family failed (a host callback such as `pbxContacts` threw, or
   * a bug); `cause` keeps its name and redacted message.
   */
  UNEXPECTED: 'UNEXPECTED',
  /** CRM is disabled for this tenant (its settings say `enabled: false`): no connector, no authorization. */
  TENANT_DISABLED: 'TENANT_DISABLED',
  /** A settings store failed to read, write, list or decrypt. */
  SETTINGS_STORE: 'SETTINGS_STORE',
  /** A body given to `handleNotification()` is not a Zoho change notification: answer it 400. */
  NOTIFICATION_INVALID: 'NOTIFICATION_INVALID',
  /**
   * A change notification's `token` is not the channel's token (`handleNotification()`): not from Zoho,
   * or from another channel. Nothing was invalidated; answer it 403.
   */
  NOTIFICATION_TOKEN_MISMATCH: 'NOTIFICATION_TOKEN_MISMATCH',
} as const;

/**
 * Union of every {@link ErrorCode} value.
 * @group Errors
 */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes an {@link AuthError} can carry. @group Errors */
export type AuthErrorCode = Extract<ErrorCode, `AUTH_${string}`>;
/** Codes a {@link TransportError} can carry. @group Errors */
export type TransportErrorCode =
  | typeof ErrorCode.NETWORK
  | typeof ErrorCode.TIMEOUT
  | typeof ErrorCode.DEADLINE_EXCEEDED
  | typeof ErrorCode.ABORTED
  | typeof ErrorCode.CIRCUIT_OPEN;

const BRAND = Symbol.for('zoho-crm-connector/error');
const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/** Options every error constructor accepts. @group Errors */
export interface ZohoCrmErrorOptions {
  /** The underlying failure. It is sanitised: only its name, message (redacted) and code are kept. */
  cause?: unknown;
  /** Whether repeating the same operation later can succeed. */
  retryable?: boolean;
}

/**
 * Base class of every error thrown by the library.
 *
 * @example
 * ```ts
 * import { isZohoCrmError, ErrorCode } from 'zoho-crm-connector';
 * try {
 *   await zoho.lookupCaller('+14155552671');
 * } catch (err) {
 *   if (isZohoCrmError(err) && err.code === ErrorCode.AUTH_NOT_CONNECTED) showAuthorizeButton();
 * }
 * ```
 * @group Errors
 */
export class ZohoCrmError<C extends ErrorCode = ErrorCode> extends Error {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name: string = 'ZohoCrmError';
  /** Stable machine-readable code. */
  readonly code: C;
  /** Whether the same operation may succeed if tried again later. */
  readonly retryable: boolean;

  constructor(code: C, message: string, options: ZohoCrmErrorOptions = {}) {
    super(
      redactText(message),
      options.cause === undefined ? undefined : { cause: sanitizeCause(options.cause) },
    );
    this.code = code;
    this.retryable = options.retryable ?? false;
    Object.defineProperty(this, BRAND, { value: true, enumerable: false });
    (Error as { captureStackTrace?: (target: object, ctor: unknown) => void }).captureStackTrace?.(
      this,
      new.target,
    );
  }

  /** A plain, secret-free description for logs and JSON. */
  toJSON(): Record<string, unknown> {
    const own: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(this)) own[key] = value;
    const cause = this.cause as { name?: string; message?: string; code?: string } | undefined;
    return redactValue({
      ...own,
      name: this.name,
      code: this.code,
      message: this.message,
      ...(cause ? { cause: { name: cause.name, message: cause.message, code: cause.code } } : {}),
    }) as Record<string, unknown>;
  }

  /** `util.inspect()` shows the stack and the same secret-free fields as {@link toJSON}. */
  [INSPECT](): string {
    const { name: _n, message: _m, ...fields } = this.toJSON();
    return `${redactText(this.stack ?? `${this.name}: ${this.message}`)} ${JSON.stringify(fields, null, 2)}`;
  }
}

/**
 * Options failed validation. `issues` lists every bad path with what was expected; values are never
 * echoed (a client secret must not leak through a validation error).
 * @example
 * ```ts
 * try { new ZohoCrmConnector({ ...options, region: 'XX' as never }) }
 * catch (err) { if (err instanceof ConfigError) console.error(err.issues.map((i) => i.path)) }
 * ```
 * @group Errors
 */
export class ConfigError extends ZohoCrmError<typeof ErrorCode.CONFIG_INVALID> {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name = 'ConfigError' as const;
  /** Every invalid path (dot notation, e.g. `lookup.order[1]`) with a value-free explanation. */
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[], context = 'options') {
    const list = issues.map((issue) => `${issue.path || '(root)'}: ${issue.message}`).join('; ');
    super(ErrorCode.CONFIG_INVALID, `Invalid ${context}: ${list}`);
    this.issues = issues.map((issue) => ({ path: issue.path, message: redactText(issue.message) }));
  }

  /**
   * Builds a ConfigError from schema issues (`path` arrays become `a.b[0].c`).
   * @example
   * ```ts
   * ConfigError.fromIssues([{ path: ['lookup', 'order', 1], message: 'Invalid option' }]);
   * ```
   */
  static fromIssues(
    issues: readonly { path: readonly PropertyKey[]; message: string }[],
    context?: string,
  ): ConfigError {
    return new ConfigError(
      issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message })),
      context,
    );
  }
}

/** One invalid option. @group Errors */
export interface ConfigIssue {
  /** Dot path of the option, e.g. `journal.recordingLink`. */
  path: string;
  /** What was wrong, without the value. */
  message: string;
}

/** Why a phone number was rejected. @group Errors */
export type PhoneNumberProblem =
  | 'EMPTY'
  | 'NOT_A_NUMBER'
  | 'TOO_SHORT'
  | 'TOO_LONG'
  | 'INVALID_COUNTRY'
  | 'INVALID';

/**
 * A phone number could not be turned into E.164.
 * @example
 * ```ts
 * try { toE164('12', 'US') } catch (err) { if (err instanceof PhoneNumberError) err.problem === 'TOO_SHORT' }
 * ```
 * @group Errors
 */
export class PhoneNumberError extends ZohoCrmError<typeof ErrorCode.PHONE_INVALID> {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name = 'PhoneNumberError' as const;
  /** What was wrong with the number. */
  readonly problem: PhoneNumberProblem;
  /** The default country used for numbers without a country code. */
  readonly defaultCountry: string | undefined;

  constructor(problem: PhoneNumberProblem, message: string, defaultCountry?: string) {
    super(ErrorCode.PHONE_INVALID, message);
    this.problem = problem;
    this.defaultCountry = defaultCountry;
  }
}

/**
 * OAuth failed, or the connection is not (or no longer) authorized. When `reauthorize` is true an
 * admin must click Authorize again; nothing the library can retry will fix it.
 * @example
 * ```ts
 * if (err instanceof AuthError && err.reauthorize) notifyAdmin('Zoho CRM needs to be authorized again');
 * ```
 * @group Errors
 */
export class AuthError extends ZohoCrmError<AuthErrorCode> {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name = 'AuthError' as const;
  /** True when the user must authorize again (tokens revoked, missing, or consent denied). */
  readonly reauthorize: boolean;
  /** Zoho's own `error` value or API code, when Zoho sent one (e.g. `invalid_code`). */
  readonly zohoCode: string | undefined;

  constructor(
    code: AuthErrorCode,
    message: string,
    options: ZohoCrmErrorOptions & { reauthorize?: boolean; zohoCode?: string } = {},
  ) {
    super(code, message, options);
    this.reauthorize = options.reauthorize ?? false;
    this.zohoCode = options.zohoCode;
  }
}

/** Fields shared by errors that describe one HTTP exchange. @group Errors */
export interface HttpErrorContext {
  /** HTTP method, e.g. `GET`. */
  method?: string;
  /** Request path without query string, e.g. `/crm/v8/Contacts/search`. */
  path?: string;
}

/**
 * Zoho answered with an error: an error envelope (`{"code":"INVALID_DATA",...}`), an unexpected status,
 * or a body of the wrong shape (`code` is then `ZOHO_INVALID_RESPONSE`).
 * @example
 * ```ts
 * if (err instanceof ZohoApiError && err.zohoCode === 'DUPLICATE_DATA') useExisting(err.details);
 * ```
 * @group Errors
 */
export class ZohoApiError extends ZohoCrmError<
  typeof ErrorCode.ZOHO_API | typeof ErrorCode.ZOHO_INVALID_RESPONSE | typeof ErrorCode.ZOHO_RATE_LIMIT
> {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name: string = 'ZohoApiError';
  /** HTTP status of the response (0 when none). */
  readonly status: number;
  /** Zoho's error code, e.g. `INVALID_DATA`, `MANDATORY_NOT_FOUND`; undefined for non-Zoho bodies. */
  readonly zohoCode: string | undefined;
  /** Zoho's `details` object (e.g. `{ api_name, json_path }`), secrets removed. */
  readonly details: Readonly<Record<string, unknown>>;
  /** HTTP method of the failed request. */
  readonly method: string | undefined;
  /** Path of the failed request, without query string. */
  readonly path: string | undefined;

  constructor(
    message: string,
    fields: HttpErrorContext & {
      status: number;
      zohoCode?: string;
      details?: Record<string, unknown>;
      code?:
        | typeof ErrorCode.ZOHO_API
        | typeof ErrorCode.ZOHO_INVALID_RESPONSE
        | typeof ErrorCode.ZOHO_RATE_LIMIT;
    },
    options: ZohoCrmErrorOptions = {},
  ) {
    super(fields.code ?? ErrorCode.ZOHO_API, message, options);
    this.status = fields.status;
    this.zohoCode = fields.zohoCode;
    this.details = redactValue(fields.details ?? {}) as Record<string, unknown>;
    this.method = fields.method;
    this.path = fields.path;
  }
}

/**
 * Zoho refused the call for rate reasons: too many concurrent calls, or the org's daily API credits are
 * spent. `retryAfterMs` comes from `Retry-After` when Zoho sends it.
 * @example
 * ```ts
 * if (err instanceof RateLimitError) setTimeout(retry, err.retryAfterMs ?? 1000);
 * ```
 * @group Errors
 */
export class RateLimitError extends ZohoApiError {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name = 'RateLimitError' as const;
  /** Milliseconds Zoho asked us to wait, when it said so. */
  readonly retryAfterMs: number | undefined;
  /** Remaining daily credits reported by `X-API-CREDITS-REMAINING`, when present. */
  readonly creditsRemaining: number | undefined;

  constructor(
    message: string,
    fields: HttpErrorContext & {
      status?: number;
      zohoCode?: string;
      details?: Record<string, unknown>;
      retryAfterMs?: number;
      creditsRemaining?: number;
    },
    options: ZohoCrmErrorOptions = {},
  ) {
    super(
      message,
      { ...fields, status: fields.status ?? 429, code: ErrorCode.ZOHO_RATE_LIMIT },
      { retryable: true, ...options },
    );
    this.retryAfterMs = fields.retryAfterMs;
    this.creditsRemaining = fields.creditsRemaining;
  }
}

/**
 * The request got no usable HTTP answer: network failure, per-attempt timeout, the operation's deadline,
 * or the caller's abort. Carries method and path, never the query string.
 * @example
 * ```ts
 * if (err instanceof TransportError && err.code === 'DEADLINE_EXCEEDED') ringWithoutName();
 * ```
 * @group Errors
 */
export class TransportError extends ZohoCrmError<TransportErrorCode> {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name = 'TransportError' as const;
  /** HTTP method of the failed request. */
  readonly method: string | undefined;
  /** Path of the failed request, without query string. */
  readonly path: string | undefined;

  constructor(
    code: TransportErrorCode,
    message: string,
    fields: HttpErrorContext = {},
    options: ZohoCrmErrorOptions = {},
  ) {
    super(code, message, { retryable: code !== ErrorCode.ABORTED, ...options });
    this.method = fields.method;
    this.path = fields.path;
  }
}

/**
 * A token store failed (I/O, decryption with the wrong key, a corrupt file, a lock that could not be taken).
 * @example
 * ```ts
 * if (err instanceof TokenStoreError) logger.error({ store: err.store, operation: err.operation }, err.message);
 * ```
 * @group Errors
 */
export class TokenStoreError extends ZohoCrmError<typeof ErrorCode.TOKEN_STORE> {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name = 'TokenStoreError' as const;
  /** Which store failed, e.g. `file`, `redis`. */
  readonly store: string;
  /** What it was doing: `get`, `set`, `delete`, `lock`. */
  readonly operation: string;

  constructor(store: string, operation: string, message: string, options: ZohoCrmErrorOptions = {}) {
    super(ErrorCode.TOKEN_STORE, message, options);
    this.store = store;
    this.operation = operation;
  }
}

/**
 * A journal store (the call ledger, the outbox of pending Zoho writes, the dead letters) failed: I/O, a
 * corrupt file, decryption with the wrong key, a Redis command. The journal call that hit it rejects;
 * nothing already stored is lost.
 * @example
 * ```ts
 * if (err instanceof JournalStoreError) logger.error({ store: err.store, operation: err.operation }, err.message);
 * ```
 * @group Errors
 */
export class JournalStoreError extends ZohoCrmError<typeof ErrorCode.JOURNAL_STORE> {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name = 'JournalStoreError' as const;
  /** Which store failed, e.g. `journal-file`, `journal-redis`. */
  readonly store: string;
  /** What it was doing, e.g. `load`, `append`, `claim`. */
  readonly operation: string;

  constructor(store: string, operation: string, message: string, options: ZohoCrmErrorOptions = {}) {
    super(ErrorCode.JOURNAL_STORE, message, options);
    this.store = store;
    this.operation = operation;
  }
}

/**
 * A settings store failed to read, write, list or decrypt tenant settings. The message names the tenant,
 * never a value.
 * @example
 * ```ts
 * try { await settingsStore.get('tenant-42') }
 * catch (err) { if (err instanceof SettingsStoreError) log.error({ store: err.store, op: err.operation }, err.message) }
 * ```
 * @group Errors
 */
export class SettingsStoreError extends ZohoCrmError<typeof ErrorCode.SETTINGS_STORE> {
  /** The class name, pinned so minifiers cannot change it. */
  override readonly name = 'SettingsStoreError' as const;
  /** Which store failed, e.g. `settings-file`, `settings-redis`. */
  readonly store: string;
  /** What it was doing: `get`, `set`, `delete` or `list`. */
  readonly operation: string;

  constructor(store: string, operation: string, message: string, options: ZohoCrmErrorOptions = {}) {
    super(ErrorCode.SETTINGS_STORE, message, options);
    this.store = store;
    this.operation = operation;
  }
}

/**
 * True for every error thrown by this library, even across realms or duplicate installed copies.
 * @example
 * ```ts
 * if (isZohoCrmError(err)) log.warn({ code: err.code }, err.message);
 * ```
 * @group Errors
 */
export function isZohoCrmError(value: unknown): value is ZohoCrmError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

// --- Internal helpers ---

/** `['lookup', 'order', 1]` → `lookup.order[1]`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

/**
 * Keeps what is useful about a cause and nothing that could carry a secret: library errors stay as they
 * are (they are already clean); anything else becomes a fresh Error with a redacted message and its
 * `code` (e.g. `ECONNREFUSED`). ofetch's FetchError, which holds the request body, never survives.
 */
function sanitizeCause(cause: unknown): unknown {
  if (isZohoCrmError(cause)) return cause;
  if (cause instanceof Error || (typeof cause === 'object' && cause !== null && 'message' in cause)) {
    const source = cause as { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };
    const clean = new Error(redactText(String(source.message ?? '')));
    clean.name = typeof source.name === 'string' ? source.name : 'Error';
    const code =
      typeof source.code === 'string'
        ? source.code
        : typeof (source.cause as { code?: unknown } | undefined)?.code === 'string'
          ? (source.cause as { code: string }).code
          : undefined;
    if (code) Object.defineProperty(clean, 'code', { value: code, enumerable: true });
    clean.stack = `${clean.name}: ${clean.message}`;
    return clean;
  }
  return typeof cause === 'string' ? redactText(cause) : REDACTED;
}
