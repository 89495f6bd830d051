/**
 * What the Redis token store and the Redis journal store share: key escaping, the check that the host
 * passed an ioredis client, and the warnings about client and server settings that lose data or hang
 * calls (an endless offline queue, a server without AOF persistence).
 *
 * @internal
 * @module
 */
import type { Logger } from '../logger.js';
import { withMethods } from './options.js';

export { connectionTag, DEFAULT_PREFIX, escapeId, escapePrefix } from './redis-keys.js';

/**
 * A zod check that the `client` option is an ioredis `Redis` or `Cluster` with these commands.
 * @internal
 */
export function redisClient<T>(commands: readonly string[]) {
  return withMethods<T>(commands, 'must be an ioredis Redis or Cluster instance');
}

/** The ioredis options that decide what happens to a command while Redis is unreachable. */
interface QueueOptions {
  enableOfflineQueue?: boolean;
  maxRetriesPerRequest?: number | null;
}

/**
 * Whether commands sent while Redis is down would wait forever: the offline queue is on (ioredis'
 * default) and `maxRetriesPerRequest` is `null`. Reads `Cluster` clients' `redisOptions` too.
 * @internal
 */
export function queuesForever(client: unknown): boolean {
  const options = (client as { options?: QueueOptions & { redisOptions?: QueueOptions } }).options;
  if (typeof options !== 'object' || options === null) return false;
  const offlineQueue = options.enableOfflineQueue ?? true;
  const retries =
    'maxRetriesPerRequest' in options
      ? options.maxRetriesPerRequest
      : options.redisOptions?.maxRetriesPerRequest;
  return offlineQueue && retries === null;
}

/**
 * Warns (once, at creation) when the client would hold the store's commands forever while Redis is
 * down, which turns a dead Redis into hung calls instead of fast, retryable errors.
 * @internal
 */
export function warnIfQueuesForever(client: unknown, logger: Logger | undefined, store: string): void {
  if (!logger || !queuesForever(client)) return;
  logger.warn(
    { store, enableOfflineQueue: true, maxRetriesPerRequest: null },
    'the ioredis client queues commands forever while Redis is down (maxRetriesPerRequest: null): calls that need the store hang instead of failing; set maxRetriesPerRequest to a small number (e.g. 1) or enableOfflineQueue: false',
  );
}

/**
 * Asks the server whether it persists writes durably (AOF) and warns when it does not, or when it
 * cannot tell (`CONFIG` is often refused on managed Redis). Never throws.
 * @internal
 */
export async function checkPersistence(
  client: { config?: (...args: string[]) => Promise<unknown> },
  logger: Logger,
  store: string,
): Promise<void> {
  let appendonly: string | undefined;
  let appendfsync: string | undefined;
  try {
    if (typeof client.config !== 'function') throw new Error('the client has no config command');
    appendonly = configValue(await client.config('GET', 'appendonly'));
    appendfsync = configValue(await client.config('GET', 'appendfsync'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    logger.warn(
      { store, reason },
      'could not check that Redis persists the journal (CONFIG GET appendonly failed): make sure appendonly is yes (AOF) with appendfsync everysec or always, or a restart loses every queued call',
    );
    return;
  }
  if (appendonly !== 'yes') {
    logger.warn(
      { store, appendonly: appendonly ?? 'unknown' },
      'Redis runs without AOF persistence (appendonly is not yes): a Redis restart loses every queued call; set appendonly yes and appendfsync everysec (or always)',
    );
  } else if (appendfsync === 'no') {
    logger.warn(
      { store, appendfsync },
      'Redis AOF is not fsynced (appendfsync no): a power cut can lose queued calls; use appendfsync everysec or always',
    );
  }
}

// --- Internal helpers ---

/** `CONFIG GET x` answers `[name, value]` (RESP2) or `{ name: value }` (RESP3). */
function configValue(reply: unknown): string | undefined {
  if (Array.isArray(reply)) return typeof reply[1] === 'string' ? reply[1] : undefined;
  if (typeof reply === 'object' && reply !== null) {
    const value = Object.values(reply)[0];
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}
