/**
 * How the Redis stores and the shared caller-ID cache name their keys: the escaping of prefixes and
 * connection ids, and the hash tag that keeps a connection's keys in one Redis Cluster slot. Imports
 * nothing, so the runtime-neutral core entry can use it too.
 *
 * @internal
 * @module
 */

/** The default key namespace of the Redis stores and the shared caller-ID cache. @internal */
export const DEFAULT_PREFIX = 'zoho-crm-connector';

const percentEscaper = (pattern: RegExp) => (text: string) =>
  text.replace(pattern, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * Escapes a key prefix: `{`, `}` and `%` would break the hash tag or the escaping itself.
 * @internal
 */
export const escapePrefix: (prefix: string) => string = percentEscaper(/[%{}]/g);

/**
 * Escapes a connection id; also `:`, so that the last `:` in a tag always separates prefix and id (no
 * two ids share a key).
 * @internal
 */
export const escapeId: (connectionId: string) => string = percentEscaper(/[%{}:]/g);

/**
 * The hash tag of a connection's keys, `{<prefix>:<id>}`: every key of one connection lands in one
 * Redis Cluster slot, so its scripts can touch them together.
 * @internal
 */
export function connectionTag(escapedPrefix: string, connectionId: string): string {
  return `{${escapedPrefix}:${escapeId(connectionId)}}`;
}
