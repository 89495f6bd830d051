/**
 * One watched notification channel kept alive: enabled once, enabled again before Zoho's expiry (a timer,
 * unref'd), retried with backoff when the renewal fails (logged, and a `changeWatch` event; never an
 * unhandled rejection), stopped by `stop()` (which disables it at Zoho) or by the connector's `close()`
 * (which only stops renewing: the channel then lapses at its expiry).
 *
 * @module
 */
import { ErrorCode, isZohoCrmError } from '../errors.js';
import type { ZohoHttp } from '../http/client.js';
import type { Logger } from '../logger.js';
import { disableChannel, enableChannel, type WatchSpec } from './watch-request.js';

/**
 * A watched channel, from `zoho.watchChanges()`.
 * @example
 * ```ts
 * const watch: ChangeWatch = await zoho.watchChanges({ notifyUrl, channelToken });
 * console.log(watch.channelId, watch.expiresAt.toISOString());
 * await watch.stop();
 * ```
 * @group Change notifications
 */
export interface ChangeWatch {
  /** The channel's id at Zoho (the `channel_id` of every notification it sends). */
  readonly channelId: string;
  /** When the channel expires at Zoho unless renewed (moves forward on every renewal). */
  readonly expiresAt: Date;
  /** When the connector renews it next (undefined once stopped). */
  readonly renewsAt: Date | undefined;
  /** Stops renewing and disables the channel at Zoho (`DELETE /actions/watch`). Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * The `changeWatch` event: a watched channel was renewed, or its renewal failed and is retried.
 * @example
 * ```ts
 * zoho.on('changeWatch', (e) => {
 *   if (e.status === 'renewalFailed') log.warn(e, 'zoho change notifications: renewal failed, retrying');
 * });
 * ```
 * @group Events
 */
export interface ChangeWatchEvent {
  /** The connection (tenant). */
  connectionId: string;
  /** The channel. */
  channelId: string;
  /** `renewed`, or `renewalFailed` (retried after `retryInMs`). */
  status: 'renewed' | 'renewalFailed';
  /** When the channel expires at Zoho (ISO 8601); in the past once a failed renewal let it lapse. */
  expiresAt: string;
  /** Failed renewals in a row (0 after a success). */
  failures: number;
  /** When a renewal failed: when it is tried again. */
  retryInMs?: number;
  /** When a renewal failed: why (the error's code and message, secret-free). */
  error?: {
    /** The error's code (`ZOHO_API`, `NETWORK`, `AUTH_SCOPE_MISMATCH`, …). */
    code: string;
    /** The error's message. */
    message: string;
  };
}

/** @internal */
export interface ChangeWatchOptions {
  connectionId: string;
  http: ZohoHttp;
  spec: WatchSpec;
  logger: Logger;
  emit(event: ChangeWatchEvent): void;
  /** Aborting it stops the watch (as `stop()`). */
  signal?: AbortSignal | undefined;
  /** Called once `stop()` has settled, whoever stopped the watch (the caller or the signal). */
  onStopped?: (() => void) | undefined;
}

/** A watch as the connector holds it: `close()` stops renewing without disabling. @internal */
export interface WatchHandle extends ChangeWatch {
  close(): Promise<void>;
}

/** First retry after a failed renewal; doubles up to {@link MAX_RETRY_MS}. */
const FIRST_RETRY_MS = 30_000;
const MAX_RETRY_MS = 15 * 60_000;
/** How long before the expiry the renewal runs: an hour, or a quarter of a short channel's life. */
const MAX_LEAD_MS = 3_600_000;
/**
 * Bounds of the wait before a renewal: an expiry in the past here (this host's clock ahead of Zoho's)
 * must not renew in a tight loop, and one beyond what a timer holds (2^31 - 1 ms) must not fire at once.
 */
const MIN_RENEW_MS = FIRST_RETRY_MS;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Enables the channel and keeps it alive.
 * @internal
 */
export async function startChangeWatch(options: ChangeWatchOptions): Promise<WatchHandle> {
  const { http, spec, logger, connectionId } = options;
  const controller = new AbortController();
  let expiresAt = await enableChannel(http, spec, options.signal);
  let renewsAt: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inflight: Promise<void> | undefined;
  let failures = 0;
  let stopped = false;
  let stopping: Promise<void> | undefined;

  const arm = (delay: number) => {
    renewsAt = Date.now() + delay;
    timer = setTimeout(() => {
      timer = undefined;
      inflight = renew().finally(() => {
        inflight = undefined;
      });
    }, delay);
    (timer as { unref?: () => void }).unref?.();
  };
  const schedule = () => {
    const left = expiresAt - Date.now();
    const delay = left - Math.min(MAX_LEAD_MS, Math.floor(left / 4));
    arm(Math.min(MAX_TIMER_MS, Math.max(MIN_RENEW_MS, delay)));
  };

  async function renew(): Promise<void> {
    try {
      expiresAt = await enableChannel(http, spec, controller.signal);
      failures = 0;
      if (stopped) return;
      options.emit({
        connectionId,
        channelId: spec.channelId,
        status: 'renewed',
        expiresAt: iso(expiresAt),
        failures,
      });
      schedule();
    } catch (error) {
      if (stopped) return;
      failures += 1;
      const retryInMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1));
      const code = isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED;
      const message = error instanceof Error ? error.message : String(error);
      const lapsed = Date.now() >= expiresAt;
      logger[lapsed ? 'error' : 'warn'](
        { connectionId, channelId: spec.channelId, failures, retryInMs, code },
        lapsed
          ? 'zoho change notifications lapsed: renewing the channel failed, retrying'
          : 'renewing the zoho change-notification channel failed, retrying',
      );
      options.emit({
        connectionId,
        channelId: spec.channelId,
        status: 'renewalFailed',
        expiresAt: iso(expiresAt),
        failures,
        retryInMs,
        error: { code, message },
      });
      arm(retryInMs);
    }
  }

  /** Stops renewing and waits for a renewal in flight (aborted when `abort`). */
  const halt = async (abort: boolean) => {
    stopped = true;
    options.signal?.removeEventListener('abort', onAbort);
    renewsAt = undefined;
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    if (abort) controller.abort();
    await inflight;
  };

  const handle: WatchHandle = {
    channelId: spec.channelId,
    get expiresAt() {
      return new Date(expiresAt);
    },
    get renewsAt() {
      return renewsAt === undefined ? undefined : new Date(renewsAt);
    },
    stop() {
      stopping ??= halt(false)
        .then(() => disableChannel(http, spec.channelId))
        .finally(() => options.onStopped?.());
      return stopping;
    },
    close: () => halt(true),
  };
  function onAbort(): void {
    void handle.stop().catch((error: unknown) =>
      logger.warn(
        {
          connectionId,
          channelId: spec.channelId,
          code: isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED,
        },
        'disabling the zoho change-notification channel failed',
      ),
    );
  }
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) void handle.stop().catch(() => undefined);
  schedule();
  return handle;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
