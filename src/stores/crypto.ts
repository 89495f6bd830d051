/**
 * Values at rest, shared by the file and Redis stores: AES-256-GCM sealing with a versioned envelope,
 * one current key and any number of previous keys. Cryptography only: the token document is
 * token-document.ts, option parsing options.ts. Node only (`node:crypto`); the core entry never
 * imports this module.
 *
 * Envelope layout (all offsets in bytes):
 *
 * | offset | length | content                                                        |
 * | ------ | ------ | -------------------------------------------------------------- |
 * | 0      | 3      | magic `ZCT`                                                    |
 * | 3      | 1      | format version, `0x01`                                         |
 * | 4      | 4      | key id: the first 4 bytes of HKDF(key, "…/key-id"), not secret |
 * | 8      | 12     | random IV, fresh for every write                               |
 * | 20     | n      | ciphertext of the JSON document                                |
 * | 20 + n | 16     | GCM authentication tag                                         |
 *
 * The additional authenticated data is the 20-byte header followed by the connection id (UTF-8), so a
 * sealed value copied onto another connection, or a header that was edited, fails authentication.
 *
 * @internal
 * @module
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';

/**
 * A 32-byte AES-256 key: the bytes themselves, or a base64 (or base64url) string of them.
 * @internal
 */
export type EncryptionKeyInput = Uint8Array | string;

const MAGIC = Buffer.from('ZCT', 'latin1');
const VERSION = 0x01;
const KEY_ID_LENGTH = 4;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const HEADER_LENGTH = MAGIC.length + 1 + KEY_ID_LENGTH + IV_LENGTH;
const KEY_LENGTH = 32;
const HKDF_SALT = Buffer.from('zoho-crm-connector/token-store', 'utf8');

/**
 * Why a stored value could not be turned back into tokens. Never carries the value or a key.
 * - `format`: not an envelope of a version we know (truncated, garbage, written by something else).
 * - `key`: sealed under a key that is not configured.
 * - `auth`: authentication failed: tampered bytes, or a value sealed for another connection.
 * - `content`: decrypted (or plain) text that is not a valid token document.
 * @internal
 */
export type AtRestProblem = 'format' | 'key' | 'auth' | 'content';

/**
 * Internal failure of opening a value (or of the token document parser); the stores turn it into their own error.
 * @internal
 */
export class AtRestError extends Error {
  override readonly name = 'AtRestError';
  /** What kind of problem it was. */
  readonly problem: AtRestProblem;
  constructor(problem: AtRestProblem, message: string) {
    super(message);
    this.problem = problem;
  }
}

/**
 * Encrypts and decrypts token documents with one current key and any number of previous keys
 * (accepted for reading only, so keys can be rotated without re-authorizing).
 * @internal
 */
export interface Keyring {
  /** Seals `plaintext` for `connectionId` under the current key. */
  seal(connectionId: string, plaintext: string): Buffer;
  /** Opens an envelope for `connectionId`; throws {@link AtRestError}. */
  open(connectionId: string, envelope: Uint8Array): string;
}

interface DerivedKey {
  id: Buffer;
  key: Buffer;
}

/**
 * Validates the key options of a store and builds its keyring.
 * @param current - The `encryptionKey` option.
 * @param previous - The `previousEncryptionKeys` option.
 * @param context - Named in the {@link ConfigError}, e.g. `createFileStore options`.
 * @throws {@link ConfigError} naming the bad option path (never its value).
 * @internal
 */
export function createKeyring(current: unknown, previous: unknown, context: string): Keyring {
  const issues: { path: string; message: string }[] = [];
  const primary = checkKey(current, 'encryptionKey', issues);
  const older: DerivedKey[] = [];
  if (previous !== undefined) {
    if (!Array.isArray(previous)) {
      issues.push({ path: 'previousEncryptionKeys', message: 'must be an array of keys' });
    } else {
      previous.forEach((item: unknown, index) => {
        const key = checkKey(item, `previousEncryptionKeys[${index}]`, issues);
        if (key) older.push(key);
      });
    }
  }
  if (issues.length > 0 || !primary) throw new ConfigError(issues, context);
  const keys = [primary, ...older];

  return {
    seal(connectionId, plaintext) {
      const header = Buffer.alloc(HEADER_LENGTH);
      MAGIC.copy(header, 0);
      header[MAGIC.length] = VERSION;
      primary.id.copy(header, MAGIC.length + 1);
      randomBytes(IV_LENGTH).copy(header, MAGIC.length + 1 + KEY_ID_LENGTH);
      const iv = header.subarray(MAGIC.length + 1 + KEY_ID_LENGTH);
      const cipher = createCipheriv('aes-256-gcm', primary.key, iv, { authTagLength: TAG_LENGTH });
      cipher.setAAD(aad(header, connectionId));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      return Buffer.concat([header, body, cipher.getAuthTag()]);
    },
    open(connectionId, input) {
      const envelope = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
      if (envelope.length < HEADER_LENGTH + TAG_LENGTH || !envelope.subarray(0, MAGIC.length).equals(MAGIC)) {
        throw new AtRestError('format', 'not an encrypted token document');
      }
      if (envelope[MAGIC.length] !== VERSION) {
        throw new AtRestError('format', 'encrypted with an unknown format version');
      }
      const header = envelope.subarray(0, HEADER_LENGTH);
      const id = header.subarray(MAGIC.length + 1, MAGIC.length + 1 + KEY_ID_LENGTH);
      const candidates = keys.filter((key) => key.id.equals(id));
      if (candidates.length === 0) {
        throw new AtRestError(
          'key',
          'encrypted with a key that is not configured (wrong or rotated-out key)',
        );
      }
      const iv = header.subarray(MAGIC.length + 1 + KEY_ID_LENGTH);
      const body = envelope.subarray(HEADER_LENGTH, envelope.length - TAG_LENGTH);
      const tag = envelope.subarray(envelope.length - TAG_LENGTH);
      for (const candidate of candidates) {
        try {
          const decipher = createDecipheriv('aes-256-gcm', candidate.key, iv, { authTagLength: TAG_LENGTH });
          decipher.setAAD(aad(header, connectionId));
          decipher.setAuthTag(tag);
          return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
        } catch {
          // Authentication failed under this key; a key-id collision is possible, so try the others.
        }
      }
      throw new AtRestError(
        'auth',
        'failed authentication (tampered, truncated, or written for another connection)',
      );
    },
  };
}

// --- Internal helpers ---

function aad(header: Buffer, connectionId: string): Buffer {
  return Buffer.concat([header, Buffer.from(connectionId, 'utf8')]);
}

const BASE64_32 = /^[A-Za-z0-9+/_-]{43}=?$/;
const HEX_32 = /^[0-9a-fA-F]{64}$/;

function checkKey(
  input: unknown,
  path: string,
  issues: { path: string; message: string }[],
): DerivedKey | undefined {
  let bytes: Buffer | undefined;
  if (input instanceof Uint8Array) {
    if (input.byteLength === KEY_LENGTH) bytes = Buffer.from(input);
    else issues.push({ path, message: `must be exactly 32 bytes; got ${input.byteLength}` });
  } else if (typeof input === 'string') {
    const text = input.trim();
    if (BASE64_32.test(text)) bytes = Buffer.from(text, 'base64');
    if (!bytes || bytes.length !== KEY_LENGTH) {
      bytes = undefined;
      issues.push({
        path,
        message: HEX_32.test(text)
          ? 'looks like hex; pass Buffer.from(key, "hex") or a base64 string of 32 bytes'
          : 'must be a base64 string of exactly 32 bytes (e.g. `openssl rand -base64 32`)',
      });
    }
  } else {
    issues.push({
      path,
      message:
        input === undefined ? 'is required' : 'must be a Uint8Array/Buffer or a base64 string of 32 bytes',
    });
  }
  if (!bytes) return undefined;
  const derive = (info: string, length: number) =>
    Buffer.from(hkdfSync('sha256', bytes, HKDF_SALT, info, length));
  return {
    id: derive('zoho-crm-connector/token-store/key-id', KEY_ID_LENGTH),
    key: derive('zoho-crm-connector/token-store/aes-256-gcm/v1', KEY_LENGTH),
  };
}
