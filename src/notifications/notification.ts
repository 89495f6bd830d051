/**
 * Zoho's change notifications as the notify URL receives them: the body's shape (checked with zod at
 * this edge) and the channel token's check, compared in constant time. Pure apart from the token digest;
 * what the cache does with a notification is the connector's business.
 *
 * Source: https://www.zoho.com/crm/developer/docs/api/v7/notifications/enable.html ("Sample response
 * received at the notification URL").
 *
 * @module
 */
import * as z from 'zod/mini';
import { ErrorCode, ZohoCrmError } from '../errors.js';
import { createSecretCheck } from '../server/api-keys.js';

/**
 * What Zoho did to the records of a notification: `insert`, `update` or `delete`.
 * @example
 * ```ts
 * const operation: ChangeOperation = 'update';
 * ```
 * @group Change notifications
 */
export type ChangeOperation = 'insert' | 'update' | 'delete';

/**
 * A change notification, as Zoho POSTs it to the notify URL (JSON).
 * @example
 * ```ts
 * const body: ZohoChangeNotification = {
 *   server_time: 1718117126473, query_params: {}, module: 'Contacts',
 *   resource_uri: 'https://www.zohoapis.com/crm/v8/Contacts', ids: ['5725767000003000064'],
 *   operation: 'update', channel_id: '1000000068001', token: 'channel-token-from-your-secrets',
 * };
 * ```
 * @group Change notifications
 */
export interface ZohoChangeNotification {
  /** When Zoho sent it (epoch ms). */
  server_time?: number | undefined;
  /** Query parameters of the notify URL, if it had any. */
  query_params?: Record<string, unknown> | undefined;
  /** The module's API name (`Contacts`, `Leads`, `Accounts`, …). */
  module: string;
  /** The module's API URI. */
  resource_uri?: string | undefined;
  /** The records concerned. */
  ids: string[];
  /** The fields changed (with `return_affected_field_values`); not used by the connector. */
  affected_fields?: unknown[] | undefined;
  /** What happened to them. */
  operation: ChangeOperation;
  /** The channel that sent it. */
  channel_id: string;
  /** The channel's token, sent back by Zoho (compared with yours in constant time). */
  token?: string | undefined;
}

/** Zoho's channel ids are longs; JSON may carry them as numbers or strings. */
const longId = () =>
  z.pipe(
    z.union([z.string().check(z.regex(/^\d{1,20}$/)), z.number().check(z.int(), z.nonnegative())]),
    z.transform((value) => String(value)),
  );

const NotificationSchema = z.lazy(() =>
  z.object({
    server_time: z.optional(z.number()),
    query_params: z.optional(z.record(z.string(), z.unknown())),
    module: z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/)),
    resource_uri: z.optional(z.string()),
    ids: z.array(longId()).check(z.maxLength(10_000)),
    affected_fields: z.optional(z.array(z.unknown())),
    operation: z.enum(['insert', 'update', 'delete']),
    channel_id: longId(),
    token: z.optional(z.string()),
  }),
);

/**
 * The body a notify URL received, checked: a parsed object or the raw JSON text.
 * @throws {@link ZohoCrmError} `NOTIFICATION_INVALID` naming the first bad paths (never a value).
 * @internal
 */
export function parseChangeNotification(body: unknown): ZohoChangeNotification {
  let value = body;
  if (typeof body === 'string' || body instanceof Uint8Array) {
    try {
      value = JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body));
    } catch {
      throw invalid('the body is not JSON');
    }
  }
  const parsed = z.safeParse(NotificationSchema, value);
  if (parsed.success) return parsed.data;
  const paths = parsed.error.issues
    .slice(0, 5)
    .map((issue) => issue.path.map(String).join('.') || '(root)')
    .join(', ');
  throw invalid(`unexpected shape at ${paths}`);
}

/**
 * Whether a notification's token is the channel's, compared in constant time (both hashed first, so
 * neither length nor content shapes the comparison). A notification without a token never matches.
 * @internal
 */
export async function tokenMatches(presented: string | undefined, channelToken: string): Promise<boolean> {
  const same = await createSecretCheck([channelToken])(presented ?? '');
  return same && presented !== undefined;
}

function invalid(reason: string): ZohoCrmError {
  return new ZohoCrmError(ErrorCode.NOTIFICATION_INVALID, `Not a Zoho change notification: ${reason}.`);
}
