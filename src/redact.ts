/**
 * Secret hygiene in one place. Every log line and every error passes through these functions, so a
 * token, a client secret or an authorization code never leaves the library in clear text.
 * @internal
 */

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Keys whose values are secrets wherever they appear (case-insensitive, `-` and `_` ignored). `code` is
 * not among them because Zoho uses it for error codes; grant codes are caught by their shape instead.
 */
const SECRET_KEYS = new Set([
  'accesstoken',
  'refreshtoken',
  'clientsecret',
  'token',
  'authorization',
  'password',
  'secret',
  'statesecret',
  'encryptionkey',
  'idtoken',
  'cookie',
  'setcookie',
]);

/** Zoho OAuth tokens and grant codes: `1000.<hex>.<hex>`. */
const ZOHO_TOKEN = /\b1000\.[0-9a-f]{16,}\.[0-9a-f]{16,}\b/gi;
/** `Zoho-oauthtoken <x>` / `Bearer <x>` in headers that ended up in text. */
const AUTH_HEADER = /\b(Zoho-oauthtoken|Bearer)\s+[^\s"',;]+/gi;
/** Query strings of URLs inside text (they may carry secrets or phone numbers). */
const URL_QUERY = /\b(https?:\/\/[^\s"'<>?#]+)\?[^\s"'<>]*/gi;
/** `key=value` pairs of secret keys in query strings or form bodies. */
const SECRET_PAIR =
  /\b(access_token|refresh_token|client_secret|code|token|state_secret|password)=([^&\s"']+)/gi;

/** Whether a property name holds a secret. */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(key.toLowerCase().replace(/[-_]/g, ''));
}

/**
 * Removes secrets from a string: the known secret values, query strings of URLs, anything shaped like
 * a Zoho token, auth headers and secret `key=value` pairs.
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join(REDACTED);
  }
  return out
    .replace(URL_QUERY, '$1')
    .replace(ZOHO_TOKEN, REDACTED)
    .replace(AUTH_HEADER, (_m, scheme: string) => `${scheme} ${REDACTED}`)
    .replace(SECRET_PAIR, (_m, key: string) => `${key}=${REDACTED}`);
}

/**
 * Deep copy of a value with secrets removed: values under secret keys are replaced, strings are
 * passed through {@link redactText}. Cycles and depth are bounded; functions are dropped.
 */
export function redactValue(value: unknown, secrets: Iterable<string> = [], depth = 0): unknown {
  const list = Array.isArray(secrets) ? secrets : [...secrets];
  if (typeof value === 'string') return redactText(value, list);
  if (value === null || typeof value !== 'object') return typeof value === 'function' ? undefined : value;
  if (depth > 8) return '[Object]';
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message, list) };
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, list, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    // Keys are redacted too (a response may echo a secret as a key); defineProperty keeps a
    // `__proto__` key an own property instead of a prototype change.
    Object.defineProperty(out, redactText(key, list), {
      value:
        isSecretKey(key) && item !== undefined && item !== null
          ? REDACTED
          : redactValue(item, list, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** The path of a URL without origin, query string or fragment (query strings may carry secrets). */
export function urlPath(url: string): string {
  const cut = url.search(/[?#]/);
  const bare = cut === -1 ? url : url.slice(0, cut);
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(bare);
  return origin ? bare.slice(origin[0].length) || '/' : bare;
}

/** Masks a phone number for logs: keeps the country code hint and the last two digits. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return '*'.repeat(digits.length);
  const plus = phone.trim().startsWith('+') ? '+' : '';
  return `${plus}${digits.slice(0, 1)}${'*'.repeat(digits.length - 3)}${digits.slice(-2)}`;
}
