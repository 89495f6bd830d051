/**
 * Zoho's Notifications API for one channel: the options of `watchChanges()` checked at the edge, the
 * `POST /actions/watch` body, Zoho's answer read back, and the enable and disable calls.
 *
 * What Zoho documents (v7 pages, the v8 ones have the same keys):
 * https://www.zoho.com/crm/developer/docs/api/v7/notifications/enable.html. `channel_expiry` is an ISO
 * date-time "a maximum of one week from the time they are enabled. If it is not specified or set for more
 * than a week, the default expiry time is for one hour"; Zoho's FAQ (Kaizen #170,
 * https://help.zoho.com/portal/en-gb/community/topic/kaizen-170-faqs-on-notification-apis) says one day
 * for API v2 and v3, one week from v4, and that a channel is kept alive by enabling it again before it
 * expires. The connector asks for a little under one day (valid under either cap) and renews from the
 * expiry Zoho answers, never from the one it asked for.
 *
 * @module
 */
import * as z from 'zod/mini';
import { ErrorCode, ZohoApiError } from '../errors.js';
import type { ZohoHttp } from '../http/client.js';
import { isSecureRedirect } from '../options.js';

/** The modules whose changes the caller-ID cache cares about. @internal */
export const WATCHABLE_MODULES = ['Contacts', 'Leads', 'Accounts'] as const;

/** What the connector asks Zoho for: just under one day, so a one-day cap never turns it into one hour. */
export const CHANNEL_TTL_MS = 24 * 3_600_000 - 10 * 60_000;
/** Zoho's default when the answer names no expiry. */
export const ZOHO_DEFAULT_EXPIRY_MS = 3_600_000;

/** The checked options of one watch. @internal */
export interface WatchSpec {
  notifyUrl: string;
  channelToken: string;
  channelId: string;
  modules: readonly (typeof WATCHABLE_MODULES)[number][];
}

const isNotifyUrl = (value: string): boolean => {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return (protocol === 'https:' || protocol === 'http:') && isSecureRedirect(value);
};

/** The options of `watchChanges()` (zod/mini, strict: a typo is refused). @internal */
export const WatchOptionsSchema = z.lazy(() =>
  z.strictObject({
    notifyUrl: z
      .string()
      .check(
        z.maxLength(2_000),
        z.refine(isNotifyUrl, 'must be an https URL (http is allowed on localhost / 127.0.0.1 / [::1] only)'),
      ),
    channelToken: z.string().check(z.minLength(1), z.maxLength(50)),
    channelId: z.optional(
      z.string().check(z.regex(/^[1-9]\d{0,17}$/, 'must be 1 to 18 digits (a Zoho long)')),
    ),
    modules: z.optional(z.array(z.enum(WATCHABLE_MODULES)).check(z.minLength(1))),
    signal: z.optional(
      z.custom<AbortSignal>((value) => value instanceof AbortSignal, 'must be an AbortSignal'),
    ),
  }),
);

/**
 * A channel id from the connection id (cyrb53, 15 digits): the same connection gets the same channel
 * across restarts, so a restarted PBX takes its channel over instead of adding one.
 * @internal
 */
export function defaultChannelId(connectionId: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < connectionId.length; i++) {
    const ch = connectionId.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hash = 4294967296 * (2097151 & h2) + (h1 >>> 0);
  return String(100_000_000_000_000 + (hash % 900_000_000_000_000));
}

/** `2026-12-04T06:56:18+00:00`: ISO 8601 with an explicit offset, as Zoho's samples write it. @internal */
export function zohoDateTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** The `POST /actions/watch` body for one channel. @internal */
export function watchBody(spec: WatchSpec, expiresAt: number): Record<string, unknown> {
  return {
    watch: [
      {
        channel_id: spec.channelId,
        events: spec.modules.map((module) => `${module}.all`),
        channel_expiry: zohoDateTime(expiresAt),
        token: spec.channelToken,
        notify_url: spec.notifyUrl,
      },
    ],
  };
}

const WatchAnswerSchema = z.lazy(() =>
  z.object({
    watch: z
      .array(
        z.object({
          code: z.string(),
          status: z.optional(z.string()),
          message: z.optional(z.string()),
          details: z.optional(
            z.object({
              events: z.optional(z.array(z.object({ channel_expiry: z.optional(z.string()) }))),
            }),
          ),
        }),
      )
      .check(z.minLength(1)),
  }),
);

/**
 * When the channel Zoho answered expires: the earliest `channel_expiry` of its events, or Zoho's one-hour
 * default when it names none.
 * @throws {@link ZohoApiError} `ZOHO_INVALID_RESPONSE` for another shape, `ZOHO_API` for a refusal.
 * @internal
 */
export function readWatchAnswer(data: unknown, status: number, now: number): number {
  const parsed = z.safeParse(WatchAnswerSchema, data);
  const where = { status, method: 'POST', path: '/actions/watch' };
  if (!parsed.success) {
    throw new ZohoApiError('Zoho answered POST /actions/watch with an unexpected body shape', {
      ...where,
      code: ErrorCode.ZOHO_INVALID_RESPONSE,
    });
  }
  const answer = parsed.data.watch[0];
  if (answer?.code !== 'SUCCESS') {
    throw new ZohoApiError(`Zoho refused the notification channel (${answer?.code ?? 'no code'})`, {
      ...where,
      ...(answer?.code ? { zohoCode: answer.code } : {}),
    });
  }
  const expiries = (answer.details?.events ?? [])
    .map((event) => (event.channel_expiry ? Date.parse(event.channel_expiry) : Number.NaN))
    .filter((ms) => Number.isFinite(ms));
  return expiries.length > 0 ? Math.min(...expiries) : now + ZOHO_DEFAULT_EXPIRY_MS;
}

/**
 * Enables (or re-enables: the renewal) the channel; resolves with its expiry (epoch ms).
 * @internal
 */
export async function enableChannel(http: ZohoHttp, spec: WatchSpec, signal?: AbortSignal): Promise<number> {
  const now = Date.now();
  const response = await http.request({
    method: 'POST',
    path: '/actions/watch',
    body: watchBody(spec, now + CHANNEL_TTL_MS),
    // Enabling the same channel again only moves its expiry: repeating it is harmless.
    idempotent: true,
    ...(signal ? { signal } : {}),
  });
  return readWatchAnswer(response.data, response.status, now);
}

/** Disables the channel (`DELETE /actions/watch?channel_ids=…`). @internal */
export async function disableChannel(http: ZohoHttp, channelId: string): Promise<void> {
  await http.request({ method: 'DELETE', path: '/actions/watch', query: { channel_ids: channelId } });
}
