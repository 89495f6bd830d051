/**
 * The token document at rest: strict (de)serialisation of {@link StoredTokens}, shared by the file and
 * Redis token stores (and the Postgres one).
 *
 * @internal
 * @module
 */
import { TokenStoreError } from '../errors.js';
import { AtRestError, type Keyring } from './crypto.js';
import { quoteId, tokenReadAdvice } from './messages.js';
import type { StoredTokens } from './types.js';

/**
 * The JSON text of a token document. Rejects documents that could not be read back exactly.
 * @throws {@link AtRestError} `content` naming the bad field (never its value).
 * @internal
 */
export function serializeTokens(tokens: StoredTokens): string {
  const problem = tokensProblem(tokens);
  if (problem) throw new AtRestError('content', `tokens are not valid StoredTokens: ${problem}`);
  return JSON.stringify(tokens);
}

/**
 * Parses and validates a token document. Unknown extra fields are kept (a newer version may add some);
 * a missing or mistyped known field fails the whole document, so partial data is never returned.
 * @throws {@link AtRestError} `content`.
 * @internal
 */
export function parseTokens(text: string): StoredTokens {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AtRestError('content', 'not valid JSON');
  }
  const problem = tokensProblem(value);
  if (problem) throw new AtRestError('content', `not a valid token document: ${problem}`);
  return value as StoredTokens;
}

/**
 * A token document as one string value (Redis, PostgreSQL): JSON, or with a keyring an AES-256-GCM
 * envelope in base64.
 * @throws `TokenStoreError` (operation `set`) for a document that could not be read back.
 * @internal
 */
export function encodeTokenValue(
  store: string,
  keyring: Keyring | undefined,
  connectionId: string,
  tokens: StoredTokens,
): string {
  try {
    const json = serializeTokens(tokens);
    return keyring ? keyring.seal(connectionId, json).toString('base64') : json;
  } catch (error) {
    const why = error instanceof AtRestError ? `: ${error.message}` : '';
    throw new TokenStoreError(
      store,
      'set',
      `cannot store the tokens of connection ${quoteId(connectionId)}${why}`,
    );
  }
}

/**
 * Reads a value written by {@link encodeTokenValue}.
 * @throws `TokenStoreError` (operation `get`) saying what is wrong and what to do, never the value.
 * @internal
 */
export function decodeTokenValue(
  store: string,
  keyring: Keyring | undefined,
  connectionId: string,
  value: string,
): StoredTokens {
  const subject = `the stored tokens of connection ${quoteId(connectionId)}`;
  const plain = value.startsWith('{');
  if (keyring && plain) {
    throw new TokenStoreError(
      store,
      'get',
      `${subject} are not encrypted, but this store has an encryptionKey: delete the key and authorize again, or re-save the tokens with encryption`,
    );
  }
  if (!keyring && !plain) {
    throw new TokenStoreError(
      store,
      'get',
      `${subject} are encrypted or not a token document: pass the encryptionKey they were written with`,
    );
  }
  try {
    return parseTokens(keyring ? keyring.open(connectionId, Buffer.from(value, 'base64')) : value);
  } catch (error) {
    if (!(error instanceof AtRestError)) {
      throw new TokenStoreError(store, 'get', `cannot decrypt ${subject}`, { cause: error });
    }
    throw new TokenStoreError(
      store,
      'get',
      `${subject} ${tokenReadAdvice(error.problem, error.message, true)}`,
    );
  }
}

const REQUIRED_STRINGS = ['accessToken', 'refreshToken', 'apiDomain', 'accountsServer', 'region'] as const;
const REQUIRED_NUMBERS = ['expiresAt', 'grantedAt'] as const;

/** Names the first field that keeps `value` from being valid StoredTokens, or undefined when it is. */
function tokensProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an object';
  const record = value as Record<string, unknown>;
  for (const field of REQUIRED_STRINGS) {
    if (typeof record[field] !== 'string') return `${field} must be a string`;
  }
  for (const field of REQUIRED_NUMBERS) {
    const item = record[field];
    if (typeof item !== 'number' || !Number.isFinite(item)) return `${field} must be a finite number`;
  }
  if ('scope' in record && record.scope !== undefined && typeof record.scope !== 'string') {
    return 'scope must be a string when present';
  }
  return undefined;
}
