/**
 * Public recording links that need no PBX sign-in yet cannot be guessed or used forever: the host's URL
 * plus `expires` (Unix seconds) and `signature` (HMAC-SHA256, base64url) query parameters. Web Crypto
 * only, so it runs in Node, Deno, Bun, workers and browsers alike.
 *
 * The signature covers the path, every query parameter except `signature` (sorted, so a proxy that
 * reorders parameters does not break links) and the expiry; not the scheme or host, so a link keeps
 * working behind a reverse proxy or after a host rename. Verification compares the canonical encoding in
 * constant time, and refuses a request target that is not a plain path.
 *
 * @module
 */
import { ConfigError } from '../errors.js';

/**
 * Options of {@link signPublicLink}.
 * @example
 * ```ts
 * const options: SignPublicLinkOptions = { secret: process.env.RECORDING_LINK_SECRET!, expiresInSeconds: 7 * 86_400 };
 * ```
 * @group Public links
 */
export interface SignPublicLinkOptions {
  /** The host's signing secret: at least 16 bytes (32 random bytes recommended). Never put it in a URL. */
  secret: string | Uint8Array;
  /** How long the link works, in seconds (1 to 10 years' worth). */
  expiresInSeconds: number;
  /** The current time, epoch ms or a Date. @default Date.now() */
  now?: number | Date;
}

/**
 * Options of {@link verifyPublicLink}.
 * @example
 * ```ts
 * const options: VerifyPublicLinkOptions = { secret: process.env.RECORDING_LINK_SECRET! };
 * ```
 * @group Public links
 */
export interface VerifyPublicLinkOptions {
  /** The secret the link was signed with. */
  secret: string | Uint8Array;
  /** The current time, epoch ms or a Date. @default Date.now() */
  now?: number | Date;
}

/**
 * The outcome of {@link verifyPublicLink}: valid (with the expiry), or why not.
 * - `malformed`: `expires` or `signature` is missing or not well-formed, the URL cannot be parsed, or a
 *   request target is not a plain path (an authority, dot segments, whitespace, another scheme);
 * - `bad-signature`: the signature does not match (tampered path, query or expiry; wrong secret);
 * - `expired`: the signature matches but the link is past its expiry.
 * @example
 * ```ts
 * const check: PublicLinkCheck = await verifyPublicLink(req.url, { secret });
 * if (!check.valid) res.writeHead(check.reason === 'expired' ? 410 : 403).end();
 * ```
 * @group Public links
 */
export type PublicLinkCheck =
  | {
      /** The link is authentic and not expired. */
      valid: true;
      /** When it stops working, epoch ms. */
      expiresAt: number;
    }
  | {
      /** The link must be refused. */
      valid: false;
      /** Why: past its expiry, a signature that does not match, or not a signed link at all. */
      reason: 'expired' | 'bad-signature' | 'malformed';
    };

/**
 * Query parameter names a signed link uses (a recording URL of your own must not need them).
 * @example
 * ```ts
 * new URL(link).searchParams.get(PUBLIC_LINK_PARAMS.expires); // Unix seconds
 * ```
 * @group Public links
 */
export const PUBLIC_LINK_PARAMS = Object.freeze({
  /** Expiry, Unix seconds. */
  expires: 'expires',
  /** HMAC-SHA256, unpadded base64url. */
  signature: 'signature',
} as const);

/**
 * Signs a URL so that it works without sign-in until it expires. Existing `expires`/`signature`
 * parameters are replaced.
 * @param url - An absolute http(s) URL on the host, e.g. `https://pbx.example.com/recordings/7f3a.wav`.
 * @param options - Secret, lifetime, clock.
 * @returns The URL with `expires` and `signature` added.
 * @throws {@link ConfigError} for a URL that is not absolute http(s), a secret shorter than 16 bytes, a
 * lifetime that is not a positive whole number of seconds, or a `now` that is neither epoch ms nor a
 * valid Date (values are never echoed).
 * @example
 * ```ts
 * const link = await signPublicLink('https://pbx.example.com/recordings/7f3a.wav', {
 *   secret: process.env.RECORDING_LINK_SECRET!,
 *   expiresInSeconds: 30 * 86_400,
 * });
 * // https://pbx.example.com/recordings/7f3a.wav?expires=1739127780&signature=q3…
 * ```
 * @group Public links
 */
export async function signPublicLink(url: string | URL, options: SignPublicLinkOptions): Promise<string> {
  const issues: { path: string; message: string }[] = [];
  const target = absoluteUrl(url);
  if (!target) issues.push({ path: 'url', message: 'must be an absolute http(s) URL' });
  const secret = secretBytes(options?.secret);
  if (!secret) issues.push({ path: 'secret', message: 'must be a string or bytes of at least 16 bytes' });
  const ttl = options?.expiresInSeconds;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL_SECONDS) {
    issues.push({
      path: 'expiresInSeconds',
      message: 'must be a whole number of seconds from 1 to 10 years',
    });
  }
  const now = nowMs(options?.now);
  if (now === undefined) issues.push(NOW_ISSUE);
  if (issues.length > 0 || !target || !secret || now === undefined) {
    throw new ConfigError(issues, 'signPublicLink options');
  }

  const expires = Math.floor(now / 1000) + (ttl as number);
  target.searchParams.delete(PUBLIC_LINK_PARAMS.signature);
  target.searchParams.set(PUBLIC_LINK_PARAMS.expires, String(expires));
  const key = await hmacKey(secret, 'sign');
  const mac = await crypto.subtle.sign('HMAC', key, message(target));
  target.searchParams.set(PUBLIC_LINK_PARAMS.signature, base64url(new Uint8Array(mac)));
  return target.toString();
}

/**
 * Checks a signed link in the host's HTTP handler before serving the file. Accepts the full URL or just
 * the request target (`/recordings/7f3a.wav?expires=…&signature=…`, e.g. Node's `req.url`). Never
 * throws for a bad link; only a bad secret is an error.
 *
 * A valid answer means the path the server is about to serve is exactly the signed one: a request target
 * must be a path as sent (one leading `/`), so an authority (`//host/…`, `/\host/…`), dot segments,
 * whitespace, backslashes or another scheme make it `malformed`; and exactly one signature string, the
 * canonical unpadded base64url of the MAC, verifies (compared in constant time).
 * @param url - The requested URL.
 * @param options - The secret and clock.
 * @returns `{ valid: true, expiresAt }` or `{ valid: false, reason }`.
 * @throws {@link ConfigError} when the secret is shorter than 16 bytes, or `now` is neither epoch ms nor
 * a valid Date.
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { verifyPublicLink } from 'zoho-crm-connector';
 *
 * createServer(async (req, res) => {
 *   const check = await verifyPublicLink(req.url ?? '', { secret: process.env.RECORDING_LINK_SECRET! });
 *   if (!check.valid) return res.writeHead(check.reason === 'expired' ? 410 : 403).end();
 *   serveRecording(req, res); // stream the file
 * }).listen(8080);
 * ```
 * @group Public links
 */
export async function verifyPublicLink(
  url: string | URL,
  options: VerifyPublicLinkOptions,
): Promise<PublicLinkCheck> {
  const secret = secretBytes(options?.secret);
  if (!secret) {
    throw new ConfigError(
      [{ path: 'secret', message: 'must be a string or bytes of at least 16 bytes' }],
      'verifyPublicLink options',
    );
  }
  const now = nowMs(options.now);
  if (now === undefined) throw new ConfigError([NOW_ISSUE], 'verifyPublicLink options');
  const target = linkTarget(url);
  if (!target) return { valid: false, reason: 'malformed' };
  const expiresText = target.searchParams.getAll(PUBLIC_LINK_PARAMS.expires);
  const signatures = target.searchParams.getAll(PUBLIC_LINK_PARAMS.signature);
  const signature = signatures[0];
  if (
    expiresText.length !== 1 ||
    !/^\d{1,12}$/.test(expiresText[0] as string) ||
    signatures.length !== 1 ||
    !signature ||
    !SIGNATURE_SHAPE.test(signature)
  ) {
    return { valid: false, reason: 'malformed' };
  }
  target.searchParams.delete(PUBLIC_LINK_PARAMS.signature);
  // Compare the canonical encoding of the expected MAC with the text as given, so that exactly one
  // signature string verifies (decoding first would accept other spellings of the last character).
  const key = await hmacKey(secret, 'sign');
  const expected = base64url(new Uint8Array(await crypto.subtle.sign('HMAC', key, message(target))));
  if (!constantTimeEqual(expected, signature)) return { valid: false, reason: 'bad-signature' };
  const expiresAt = Number(expiresText[0]) * 1000;
  if (now >= expiresAt) return { valid: false, reason: 'expired' };
  return { valid: true, expiresAt };
}

// --- Internal helpers ---

const MAX_TTL_SECONDS = 10 * 366 * 86_400;
const MIN_SECRET_BYTES = 16;
/** 32 bytes of HMAC-SHA256 in unpadded base64url. */
const SIGNATURE_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const HTTP_SCHEME = /^https?:$/;
const encoder = new TextEncoder();

function absoluteUrl(url: string | URL): URL | undefined {
  try {
    const parsed = new URL(typeof url === 'string' ? url : url.href);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The URL to check. A string is either an absolute http(s) URL or a request target: one `/` followed by
 * a path that parses to itself, i.e. never an authority (`//host`, `/\\host`, tabs or newlines the
 * parser drops), never dot segments, never another scheme. Anything else is `undefined` (malformed).
 */
function linkTarget(url: string | URL): URL | undefined {
  if (typeof url !== 'string') {
    const href = (url as { href?: unknown } | null)?.href;
    const parsed = typeof href === 'string' ? parseUrl(href) : undefined;
    return parsed && HTTP_SCHEME.test(parsed.protocol) ? parsed : undefined;
  }
  // Whitespace, control characters and backslashes are never part of a request line.
  if (/[\p{Cc}\s\\]/u.test(url)) return undefined;
  const absolute = /^https?:\/\/[^/?#]*/i.exec(url);
  if (!absolute && !/^\/(?!\/)/.test(url)) return undefined;
  const parsed = parseUrl(url, 'http://link.invalid');
  if (!parsed || !HTTP_SCHEME.test(parsed.protocol)) return undefined;
  const rawPath = url.slice(absolute ? absolute[0].length : 0).split(/[?#]/, 1)[0] || '/';
  return rawPath === parsed.pathname ? parsed : undefined;
}

function parseUrl(url: string, base?: string): URL | undefined {
  return URL.canParse(url, base) ? new URL(url, base) : undefined;
}

/** Equal-length strings compared without an early exit (the expected MAC must not leak by timing). */
function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function secretBytes(secret: unknown): Uint8Array | undefined {
  const bytes =
    typeof secret === 'string' ? encoder.encode(secret) : secret instanceof Uint8Array ? secret : undefined;
  return bytes && bytes.byteLength >= MIN_SECRET_BYTES ? bytes : undefined;
}

const NOW_ISSUE = { path: 'now', message: 'must be epoch milliseconds or a valid Date' };

/** The clock option as epoch ms; `undefined` for anything but a finite number or a valid Date. */
function nowMs(now: unknown): number | undefined {
  if (now === undefined) return Date.now();
  const ms = typeof now === 'number' ? now : now instanceof Date ? now.getTime() : Number.NaN;
  return Number.isFinite(ms) ? ms : undefined;
}

function hmacKey(secret: Uint8Array, usage: 'sign' | 'verify'): ReturnType<typeof crypto.subtle.importKey> {
  return crypto.subtle.importKey('raw', new Uint8Array(secret), { name: 'HMAC', hash: 'SHA-256' }, false, [
    usage,
  ]);
}

/** `v1`, the path and the sorted query (which includes `expires`), one per line. */
function message(url: URL): Uint8Array {
  const params = [...url.searchParams].sort(([a, av], [b, bv]) =>
    a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0,
  );
  return encoder.encode(`v1\n${url.pathname}\n${new URLSearchParams(params).toString()}`);
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
