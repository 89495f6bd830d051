/**
 * OAuth `state`: signed (HMAC-SHA256), bound to one connection, expiring and single-use. Uses Web Crypto
 * so the core stays runtime-neutral.
 *
 * Format: `base64url(payload) "." base64url(hmac)`, payload `{ v: 1, c: <connection hash>, n: <nonce>, e: <expiry ms> }`.
 * The connection id is hashed so tenant names do not travel through Zoho's logs.
 *
 * @module
 */
import { AuthError, ErrorCode } from '../errors.js';

/** @internal */
export interface StateSignerOptions {
  /** Signing secret: an explicit `stateSecret`, or the client secret (a key is derived from it). */
  secret: string;
  /** Whether `secret` is the client secret (then a separate key is derived from it). */
  derive: boolean;
  /** The connection this state belongs to. */
  connectionId: string;
  /** Lifetime of a state. @default 600000 (10 minutes) */
  ttlMs?: number;
  now?: () => number;
}

/** @internal */
export interface StateSigner {
  /** A fresh signed state. */
  issue(): Promise<string>;
  /**
   * Checks a state and marks it used.
   * @throws {@link AuthError} `AUTH_STATE_MISMATCH` when tampered, expired, replayed or foreign.
   */
  verify(state: string | undefined): Promise<void>;
}

type CryptoKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** @internal */
export function createStateSigner(options: StateSignerOptions): StateSigner {
  const ttlMs = options.ttlMs ?? 600_000;
  const now = options.now ?? Date.now;
  const used = new Map<string, number>();
  let keys: Promise<{ key: CryptoKey; connection: string }> | undefined;

  const material = () => {
    keys ??= (async () => {
      const raw = options.derive
        ? await hmac(await importKey(encoder.encode(options.secret)), 'zoho-crm-connector/oauth-state/v1')
        : encoder.encode(options.secret);
      const key = await importKey(raw);
      const digest = new Uint8Array(
        await crypto.subtle.digest('SHA-256', encoder.encode(options.connectionId)),
      );
      return { key, connection: base64url(digest.slice(0, 12)) };
    })();
    return keys;
  };

  const mismatch = (why: string) =>
    new AuthError(ErrorCode.AUTH_STATE_MISMATCH, `The OAuth state ${why}; start the authorization again.`, {
      reauthorize: true,
    });

  return {
    async issue() {
      const { key, connection } = await material();
      const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
      const payload = base64url(
        encoder.encode(JSON.stringify({ v: 1, c: connection, n: nonce, e: now() + ttlMs })),
      );
      return `${payload}.${base64url(await hmac(key, payload))}`;
    },

    async verify(state) {
      if (!state) throw mismatch('is missing');
      const [payload, signature, extra] = state.split('.');
      if (!payload || !signature || extra !== undefined) throw mismatch('is malformed');
      const { key, connection } = await material();
      const signatureBytes = fromBase64url(signature);
      if (
        !signatureBytes ||
        !(await crypto.subtle.verify('HMAC', key, signatureBytes, encoder.encode(payload)))
      ) {
        throw mismatch('signature does not match (tampered, or signed with another secret)');
      }
      const claims = parseClaims(payload);
      if (!claims) throw mismatch('is malformed');
      if (claims.c !== connection) throw mismatch('belongs to another connection');
      const at = now();
      if (claims.e <= at) throw mismatch('has expired');
      for (const [nonce, expiry] of used) if (expiry <= at) used.delete(nonce);
      if (used.has(claims.n)) throw mismatch('was already used');
      used.set(claims.n, claims.e);
    },
  };
}

// --- Internal helpers ---

function importKey(raw: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey(
    'raw',
    raw as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
}

async function hmac(key: CryptoKey, data: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(data)));
}

function parseClaims(payload: string): { c: string; n: string; e: number } | undefined {
  const bytes = fromBase64url(payload);
  if (!bytes) return undefined;
  try {
    const claims = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
    if (
      claims.v === 1 &&
      typeof claims.c === 'string' &&
      typeof claims.n === 'string' &&
      typeof claims.e === 'number'
    ) {
      return { c: claims.c, n: claims.n, e: claims.e };
    }
  } catch {
    // fall through
  }
  return undefined;
}

/** @internal */
export function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** @internal */
export function fromBase64url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  const binary = atob(
    text
      .replace(/-/g, '+')
      .replace(/_/g, '/')
      .padEnd(Math.ceil(text.length / 4) * 4, '='),
  );
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
