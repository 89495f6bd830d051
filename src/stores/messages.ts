/**
 * Wording the stores share: how a connection id appears in a message, and what to tell the operator
 * when a stored value cannot be read back.
 *
 * @internal
 * @module
 */
import type { AtRestProblem } from './crypto.js';

/**
 * A connection id as it may appear in an error message: quoted, control characters escaped, cut to 80
 * characters. Connection ids are identifiers, not secrets.
 * @internal
 */
export function quoteId(connectionId: string): string {
  const cut = connectionId.length > 80 ? `${connectionId.slice(0, 80)}…` : connectionId;
  return JSON.stringify(cut);
}

/**
 * The likely cause of a journal value that cannot be decoded, by whether the store has a key.
 * @internal
 */
export function unreadableHint(hasKey: boolean): string {
  return hasKey ? 'wrong key, or corrupt' : 'corrupt, or encrypted: configure encryptionKey';
}

/**
 * What to tell the operator about a token document that cannot be opened (`problem` from the keyring
 * or the document parser; `detail` is the parser's value-free reason for `content`). `plural` matches
 * the subject it follows ("the token file … is", "the stored tokens … are").
 * @internal
 */
export function tokenReadAdvice(problem: AtRestProblem, detail: string, plural = false): string {
  const [is, was] = plural ? ['are', 'were'] : ['is', 'was'];
  return {
    format: `${is} not an encrypted token document (corrupt, truncated or not written by this store)`,
    key: `${was} encrypted with a key that is not configured: add that key to previousEncryptionKeys, or delete it and authorize again`,
    auth: 'failed authentication: corrupt, tampered with, or written for another connection',
    content: `${is} not a valid token document (${detail})`,
  }[problem];
}
