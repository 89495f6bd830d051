/**
 * OAuth `state`: signed (HMAC-SHA256), bound to one connection, expiring and single-use. Uses Web Crypto
 * so the core stays runtime-neutral.
 *
 * Format: `base64url(payload) "." base64url(hmac)`, payload
 * `{ v: 2, c: <connection hash>, i: <encrypted connection id>, n: <nonce>, e: <expiry ms> }`.
 * The connection id travels encrypted (AES-GCM under a key derived from the signing key), so tenant
 * names do not appear in Zoho's logs, yet a registry that holds the secret can route a callback to its
 * tenant before any token request ({@link readStateConnection}). Version 1 states (`c` only, issued
 * before the registry existed) are still accepted by a connector for their remaining lifetime.
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
const IV_LENGTH = 12;

/** The keys of one state secret: HMAC for the signature, AES-GCM for the connection id. */
interface StateKeys {
  sign: CryptoKey;
  seal: CryptoKey;
}

/** @internal */
export interface StateKeyOptions {
  /** Signing secret: an explicit `stateSecret`, or the client secret (a key is derived from it). */
  secret: string;
  /** Whether `secret` is the client secret (then a separate key is derived from it). */
  derive: boolean;
}

/** Claims of a verified state. @internal */
interface Claims {
  v: 1 | 2;
  c: string;
  i?: string;
  n: string;
  e: number;
}

/** @internal */
export function createStateSigner(options: StateSignerOptions): StateSigner {
  const ttlMs = options.ttlMs ?? 600_000;
  const now = options.now ?? Date.now;
  const used = new Map<string, number>();
  let material: Promise<{ keys: StateKeys; connection: string }> | undefined;

  const load = () => {
    material ??= (async () => ({
      keys: await stateKeys(options),
      connection: await connectionHash(options.connectionId),
    }))();
    return material;
  };

  return {
    async issue() {
      const { keys, connection } = await load();
      const nonce = base64url(crypto.getRandomValues(new Uint8Array(16)));
      const sealed = await sealId(keys.seal, options.connectionId);
      const payload = base64url(
        encoder.encode(JSON.stringify({ v: 2, c: connection, i: sealed, n: nonce, e: now() + ttlMs })),
      );
      return `${payload}.${base64url(await hmac(keys.sign, payload))}`;
    },

    async verify(state) {
      const { keys, connection } = await load();
      const claims = await checkState(state, keys.sign, now());
      if (claims.c !== connection) throw mismatch('belongs to another connection');
      const at = now();
      for (const [nonce, expiry] of used) if (expiry <= at) used.delete(nonce);
      if (used.has(claims.n)) throw mismatch('was already used');
      used.set(claims.n, claims.e);
    },
  };
}

/**
 * Reads which connection a state was issued for, without consuming it: checks the signature and the
 * expiry, decrypts the connection id and checks it against the state's connection hash. This is how a
 * registry routes a callback before any token request; the connector's own `verify` still makes the
 * state single-use.
 * @throws {@link AuthError} `AUTH_STATE_MISMATCH` when the state is missing, malformed, tampered, signed
 *   with another secret, expired, or a version 1 state (which does not carry the connection id).
 * @internal
 */
export function createStateReader(
  options: StateKeyOptions & { now?: () => number },
): (state: string | undefined) => Promise<string> {
  const now = options.now ?? (() => Date.now());
  let keys: Promise<StateKeys> | undefined;
  return async (state) => {
    keys ??= stateKeys(options);
    const { sign, seal } = await keys;
    const claims = await checkState(state, sign, now());
    if (claims.v !== 2 || claims.i === undefined) throw mismatch('does not name its connection');
    const connectionId = await openId(seal, claims.i);
    if (connectionId === undefined || (await connectionHash(connectionId)) !== claims.c) {
      throw mismatch('is malformed');
    }
    return connectionId;
  };
}

function mismatch(why: string): AuthError {
  return new AuthError(
    ErrorCode.AUTH_STATE_MISMATCH,
    `The OAuth state ${why}; start the authorization again.`,
    {
      reauthorize: true,
    },
  );
}

/** Signature, shape and expiry; the claims of a state that passes all three. */
async function checkState(state: string | undefined, key: CryptoKey, at: number): Promise<Claims> {
  if (!state) throw mismatch('is missing');
  const [payload, signature, extra] = state.split('.');
  if (!payload || !signature || extra !== undefined) throw mismatch('is malformed');
  const signatureBytes = fromBase64url(signature);
  if (
    !signatureBytes ||
    base64url(signatureBytes) !== signature || // only the canonical spelling (no stray padding bits)
    !(await crypto.subtle.verify('HMAC', key, signatureBytes, encoder.encode(payload)))
  ) {
    throw mismatch('signature does not match (tampered, or signed with another secret)');
  }
  const claims = parseClaims(payload);
  if (!claims) throw mismatch('is malformed');
  if (claims.e <= at) throw mismatch('has expired');
  return claims;
}

async function stateKeys(options: StateKeyOptions): Promise<StateKeys> {
  const raw = options.derive
    ? await hmac(await importKey(encoder.encode(options.secret)), 'zoho-crm-connector/oauth-state/v1')
    : encoder.encode(options.secret);
  const sign = await importKey(raw);
  const sealRaw = await hmac(await importKey(raw), 'zoho-crm-connector/oauth-state/connection-id');
  const seal = await crypto.subtle.importKey('raw', sealRaw as Uint8Array<ArrayBuffer>, 'AES-GCM', false, [
    'encrypt',
    'decrypt',
  ]);
  return { sign, seal };
}

async function connectionHash(connectionId: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(connectionId)));
  return base64url(digest.slice(0, 12));
}

async function sealId(key: CryptoKey, connectionId: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const sealed = new Uint8Array(
    await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoder.encode(connectionId)),
  );
  const out = new Uint8Array(IV_LENGTH + sealed.length);
  out.set(iv);
  out.set(sealed, IV_LENGTH);
  return base64url(out);
}

async function openId(key: CryptoKey, text: string): Promise<string | undefined> {
  const bytes = fromBase64url(text);
  if (!bytes || bytes.length <= IV_LENGTH) return undefined;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv: bytes.slice(0, IV_LENGTH) },
      key,
      bytes.slice(IV_LENGTH),
    );
    return decoder.decode(plain);
  } catch {
    return undefined;
  }
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

function parseClaims(payload: string): Claims | undefined {
  const bytes = fromBase64url(payload);
  if (!bytes) return undefined;
  try {
    const claims = JSON.parse(decoder.decode(bytes)) as Record<string, unknown>;
    const base = typeof claims.c === 'string' && typeof claims.n === 'string' && typeof claims.e === 'number';
    if (base && claims.v === 1)
      return { v: 1, c: claims.c as string, n: claims.n as string, e: claims.e as number };
    if (base && claims.v === 2 && typeof claims.i === 'string') {
      return { v: 2, c: claims.c as string, i: claims.i, n: claims.n as string, e: claims.e as number };
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
