/**
 * How the file and Redis journal stores turn a stored value back into a record: decrypt (when the store
 * has a key), parse, check the shape. A value that is merely bad (corrupt, tampered, the wrong shape)
 * is reported so that the store can quarantine it; a value that shows the store is misconfigured (a
 * key that is not configured, encrypted values without a key, plain values with one) is fatal, because
 * quarantining the whole journal would hide the mistake.
 *
 * @internal
 * @module
 */
import { JournalStoreError } from '../errors.js';
import type { JournalQuarantineEvent } from '../journal/store.js';
import { AtRestError, type Keyring } from './crypto.js';
import { quoteId, unreadableHint } from './messages.js';

/** Base64 of the envelope magic `ZCT`: the start of every encrypted value. */
const ENCRYPTED = 'WkNU';

/** What {@link decodeJournalValue} found. @internal */
export type Decoded =
  | { value: unknown }
  | { problem: string; fatal: false }
  | { problem: string; fatal: true; cause?: unknown };

/**
 * Decodes one stored journal value and checks it with `check` (which names what is wrong, or returns
 * undefined).
 * @internal
 */
export function decodeJournalValue(
  raw: string,
  connectionId: string,
  keyring: Keyring | undefined,
  check: (value: unknown) => string | undefined,
): Decoded {
  let json = raw;
  if (keyring) {
    if (raw.startsWith('{'))
      return { problem: 'not encrypted, but the store has an encryptionKey', fatal: true };
    try {
      json = keyring.open(connectionId, Buffer.from(raw, 'base64'));
    } catch (error) {
      if (error instanceof AtRestError && error.problem === 'key') {
        return { problem: 'encrypted with a key that is not configured', fatal: true, cause: error };
      }
      return { problem: 'cannot be decrypted (corrupt or tampered)', fatal: false };
    }
  } else if (raw.startsWith(ENCRYPTED)) {
    return { problem: 'encrypted, but the store has no encryptionKey', fatal: true };
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { problem: 'not valid JSON', fatal: false };
  }
  const problem = check(value);
  return problem ? { problem: `wrong shape: ${problem}`, fatal: false } : { value };
}

/**
 * The quarantine listeners of one journal store: the `onQuarantine` option plus every subscriber of
 * `store.onQuarantine(listener)`. A listener that throws is ignored (it must not break the journal).
 * @internal
 */
export function quarantineListeners(initial: ((event: JournalQuarantineEvent) => void) | undefined) {
  const listeners = new Set<(event: JournalQuarantineEvent) => void>();
  if (initial) listeners.add(initial);
  return {
    emit(event: JournalQuarantineEvent): void {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // A listener must not break the journal.
        }
      }
    },
    subscribe(listener: (event: JournalQuarantineEvent) => void): () => void {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}

/**
 * The error of a value that shows the store is misconfigured ({@link decodeJournalValue}'s `fatal`).
 * @internal
 */
export function unreadableValue(
  store: string,
  connectionId: string,
  problem: string,
  hasKey: boolean,
  cause?: unknown,
): JournalStoreError {
  return new JournalStoreError(
    store,
    'read',
    `a journal value of connection ${quoteId(connectionId)} cannot be read: ${problem} (${unreadableHint(hasKey)})`,
    { cause },
  );
}
