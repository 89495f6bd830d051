/**
 * The connector's change-notification channels: `watchChanges()` options checked, the channel started
 * and kept, a scope refusal explained, and every channel stopped renewing when the connector closes.
 *
 * @module
 */
import { AuthError, ConfigError, ErrorCode } from '../errors.js';
import type { ZohoHttp } from '../http/client.js';
import type { Logger } from '../logger.js';
import type { LookupModule } from '../options.js';
import { configErrorFromIssues } from '../options.js';
import {
  type ChangeWatch,
  type ChangeWatchEvent,
  startChangeWatch,
  type WatchHandle,
} from './change-watch.js';
import { defaultChannelId, WatchOptionsSchema } from './watch-request.js';

/**
 * Options of `zoho.watchChanges()`.
 * @example
 * ```ts
 * const options: WatchChangesOptions = {
 *   notifyUrl: 'https://pbx.example.com/api/zoho/notifications/tenant-42',
 *   channelToken: process.env.ZOHO_CHANNEL_TOKEN!,
 * };
 * ```
 * @group Change notifications
 */
export interface WatchChangesOptions {
  /**
   * Where Zoho POSTs the notifications: a route of your service that passes the body to
   * `zoho.handleNotification()`. https (http only on localhost, 127.0.0.1 or [::1], for tests).
   */
  notifyUrl: string;
  /**
   * A secret of 1 to 50 characters Zoho sends back in every notification; `handleNotification()` accepts
   * only notifications that carry it. Make it random (it is the only proof a notification is Zoho's).
   */
  channelToken: string;
  /**
   * The channel's id at Zoho (1 to 18 digits). One channel per connection: by default derived from the
   * `connectionId`, so a restarted service takes over its channel instead of adding one.
   */
  channelId?: string;
  /** The modules to watch. @default the lookup order's modules (`lookup.order`) */
  modules?: ('Contacts' | 'Leads' | 'Accounts')[];
  /** Aborts the subscription; aborting later stops the watch as `stop()` does. */
  signal?: AbortSignal;
}

/** @internal */
export interface ChangeWatchesOptions {
  connectionId: string;
  http: ZohoHttp;
  logger: Logger;
  /** The modules watched when the options name none (the lookup order). */
  lookupOrder: readonly LookupModule[];
  emit(event: ChangeWatchEvent): void;
}

/** The channels one connector keeps. @internal */
export interface ChangeWatches {
  /**
   * Starts a channel. `isClosed` is asked once Zoho has answered: a connector closed meanwhile gets
   * its channel closed again and `closedError()` thrown.
   */
  start(
    options: WatchChangesOptions,
    isClosed: () => boolean,
    closedError: () => Error,
  ): Promise<ChangeWatch>;
  /** Stops renewing every channel (one in flight is aborted); the channels lapse at their expiry. */
  closeAll(): Promise<void>;
}

/** @internal */
export function createChangeWatches(options: ChangeWatchesOptions): ChangeWatches {
  const { connectionId, http, logger, emit } = options;
  const watches = new Set<WatchHandle>();
  // Channel ids kept (or being enabled): a second watch of one would renew it twice, and its stop()
  // would disable the channel the other still counts on.
  const kept = new Set<string>();

  async function start(
    input: WatchChangesOptions,
    isClosed: () => boolean,
    closedError: () => Error,
  ): Promise<ChangeWatch> {
    const parsed = WatchOptionsSchema.safeParse(input);
    if (!parsed.success) throw configErrorFromIssues(parsed.error.issues, input, 'watchChanges options');
    const { notifyUrl, channelToken, channelId, modules, signal } = parsed.data;
    const spec = {
      notifyUrl,
      channelToken,
      channelId: channelId ?? defaultChannelId(connectionId),
      modules: modules ?? [...options.lookupOrder],
    };
    if (kept.has(spec.channelId)) {
      throw new ConfigError(
        [
          {
            path: 'channelId',
            message: 'this channel is already watched by this connector: stop() it first',
          },
        ],
        'watchChanges options',
      );
    }
    kept.add(spec.channelId);
    // However the watch stops (stop(), or its signal, even one aborted while the channel was being
    // enabled), the channel is free again once it has.
    let watch: WatchHandle | undefined;
    let stopped = false;
    const free = () => {
      stopped = true;
      if (watch) watches.delete(watch);
      kept.delete(spec.channelId);
    };
    try {
      watch = await startChangeWatch({ connectionId, http, spec, logger, emit, signal, onStopped: free });
    } catch (error) {
      kept.delete(spec.channelId);
      throw explainScopeRefusal(error);
    }
    if (isClosed()) {
      kept.delete(spec.channelId);
      await watch.close();
      throw closedError();
    }
    if (!stopped) watches.add(watch);
    const started = watch;
    return {
      channelId: started.channelId,
      get expiresAt() {
        return started.expiresAt;
      },
      get renewsAt() {
        return started.renewsAt;
      },
      stop: () => started.stop(),
    };
  }

  async function closeAll(): Promise<void> {
    const open = [...watches];
    watches.clear();
    kept.clear();
    await Promise.all(open.map((watch) => watch.close()));
  }

  return { start, closeAll };
}

/** A grant without the notifications scope: says which scopes to authorize again with. */
function explainScopeRefusal(error: unknown): unknown {
  if (!(error instanceof AuthError) || error.code !== ErrorCode.AUTH_SCOPE_MISMATCH) return error;
  return new AuthError(
    ErrorCode.AUTH_SCOPE_MISMATCH,
    'The connection is not authorized for Zoho notifications: authorize again with ZohoCRM.notifications.ALL (NOTIFICATION_SCOPES).',
    { reauthorize: true, zohoCode: 'OAUTH_SCOPE_MISMATCH', cause: error },
  );
}
