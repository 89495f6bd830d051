/**
 * What a change notification does to the caller-ID cache. Everything goes through the lookup's
 * `forgetRecords` and `forgetMisses`, so a shared cache behind them is kept in step the same way.
 *
 * - `update`: the record's cached numbers are forgotten (its name or number may have changed), and so
 *   are the numbers cached as unknown (the record may have been given one of them).
 * - `delete`: the record's cached numbers are forgotten.
 * - `insert`: the numbers cached as unknown are forgotten. The notification names the new record's id,
 *   not its numbers; learning them would cost a read per record and a guess at its phone fields, while
 *   forgetting the misses costs nothing now and one search per unknown number that rings again.
 *
 * @module
 */
import { argumentError, kindOf, optionsArgument } from '../args.js';
import { ErrorCode, ZohoCrmError } from '../errors.js';
import type { CallerLookup } from '../lookup/caller-lookup.js';
import { type ChangeOperation, parseChangeNotification, tokenMatches } from './notification.js';

/**
 * What `zoho.handleNotification()` did with one notification.
 * @example
 * ```ts
 * const { module, operation, invalidated }: ChangeNotificationResult = await zoho.handleNotification(body, { channelToken });
 * ```
 * @group Change notifications
 */
export interface ChangeNotificationResult {
  /** The channel that sent it. */
  channelId: string;
  /** The module's API name. */
  module: string;
  /** What happened in Zoho. */
  operation: ChangeOperation;
  /** How many records it names. */
  records: number;
  /** How many cached numbers (callers and numbers cached as unknown) were dropped. */
  invalidated: number;
}

/**
 * The `changeNotification` event: a change notification from Zoho was accepted and applied to the
 * caller-ID cache (never carries the channel token).
 * @example
 * ```ts
 * zoho.on('changeNotification', (e) => metrics.inc('zoho_change_notifications_total', { op: e.operation }));
 * ```
 * @group Events
 */
export interface ChangeNotificationEvent extends ChangeNotificationResult {
  /** The connection (tenant). */
  connectionId: string;
}

/**
 * Checks a notification (shape, then token in constant time) and applies it to the cache.
 * @internal
 */
export async function handleChangeNotification(
  lookup: CallerLookup,
  lookupModules: readonly string[],
  body: unknown,
  options: unknown,
): Promise<ChangeNotificationResult> {
  const { channelToken } = optionsArgument(options, 'handleNotification', ['channelToken']);
  if (typeof channelToken !== 'string' || channelToken.length === 0) {
    throw argumentError(
      'handleNotification',
      'options.channelToken',
      `must be a non-empty string (received ${kindOf(channelToken)})`,
    );
  }
  const notification = parseChangeNotification(body);
  if (!(await tokenMatches(notification.token, channelToken))) {
    throw new ZohoCrmError(
      ErrorCode.NOTIFICATION_TOKEN_MISMATCH,
      `A change notification for channel ${notification.channel_id} does not carry the channel token: ignored.`,
    );
  }
  const { module, operation, ids, channel_id: channelId } = notification;
  const before = lookup.cacheSize;
  let invalidated = 0;
  if (lookupModules.includes(module)) {
    // Together, in one walk of the cache and (with a shared cache) one bounded Redis round and notice.
    const told = Promise.all([
      ...(operation === 'insert' ? [] : [lookup.forgetRecords(ids)]),
      ...(operation === 'delete' ? [] : [lookup.forgetMisses()]),
    ]);
    // Counted now: this process forgot at once, and rings may cache more while Redis is being told.
    invalidated = before - lookup.cacheSize;
    await told;
  }
  return { channelId, module, operation, records: ids.length, invalidated };
}
