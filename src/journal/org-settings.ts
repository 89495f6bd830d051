/**
 * What the journal learns about the org once and caches: the time zone for `Call_Start_Time` (from the
 * authorizing user, `GET /users?type=CurrentUser`) and the Calls fields (from
 * `GET /settings/fields?module=Calls`): which outbound status field exists and whether the dedupe field
 * is really there. Each is fetched at most once per day, and only when an option needs it.
 *
 * @module
 */

import { type FieldMetadata, readFieldMetadata } from '../crm/fields.js';
import { getCurrentUser } from '../crm/users.js';
import type { ZohoHttp } from '../http/client.js';
import { type Logger, noopLogger } from '../logger.js';
import { isOptionalLookupRefused } from './retry-policy.js';
import { isValidTimeZone } from './zoho-time.js';

/** Status-field names seen for Calls, most likely first (docs/zoho-facts.md §10 Q2). @internal */
export const STATUS_FIELD_CANDIDATES = [
  'Outgoing_Call_Status',
  'Outbound_Call_Status',
  'Call_Status',
] as const;

/** @internal */
export interface OrgSettingsOptions {
  http: ZohoHttp;
  /** `journal.timeZone`; skips the user lookup. */
  timeZone?: string | undefined;
  /** `journal.outboundStatusField`: a name, `false` (never), or undefined (discover). */
  outboundStatusField?: string | false | undefined;
  /** `journal.dedupeField`. */
  dedupeField?: string | undefined;
  now: () => number;
  logger?: Logger;
  /** @default 86400000 */
  ttlMs?: number;
}

/** What a Calls write needs to know about the org. @internal */
export interface CallWriteSettings {
  timeZone: string;
  statusField: string | undefined;
  /** The dedupe field when it is configured and exists (or could not be checked). */
  dedupeField: string | undefined;
}

/** @internal */
export interface OrgSettings {
  /** @throws when Zoho is unreachable (the write is retried later). */
  get(): Promise<CallWriteSettings>;
  /**
   * The Calls field metadata (same daily cache as {@link OrgSettings.get}); undefined when the grant may
   * not read it. @throws when Zoho is unreachable.
   */
  fields(): Promise<FieldMetadata | undefined>;
}

/** @internal */
export function createOrgSettings(options: OrgSettingsOptions): OrgSettings {
  const logger = options.logger ?? noopLogger;
  const ttlMs = options.ttlMs ?? 86_400_000;
  let zone: { at: number; value: string } | undefined;
  let fields: { at: number; metadata: FieldMetadata | undefined } | undefined;
  let zoneInflight: Promise<string> | undefined;
  let fieldsInflight: Promise<FieldMetadata | undefined> | undefined;

  const timeZone = async (): Promise<string> => {
    if (options.timeZone) return options.timeZone;
    if (zone && options.now() - zone.at < ttlMs) return zone.value;
    zoneInflight ??= (async () => {
      let value = 'UTC';
      try {
        const user = await getCurrentUser(options.http);
        if (user?.time_zone && isValidTimeZone(user.time_zone)) value = user.time_zone;
      } catch (error) {
        if (!isOptionalLookupRefused(error)) throw error;
        logger.warn({ code: (error as { code?: string }).code }, 'cannot read the org time zone; using UTC');
      }
      zone = { at: options.now(), value };
      return value;
    })().finally(() => {
      zoneInflight = undefined;
    });
    return zoneInflight;
  };

  const callFields = async (): Promise<FieldMetadata | undefined> => {
    if (fields && options.now() - fields.at < ttlMs) return fields.metadata;
    fieldsInflight ??= (async () => {
      let names: FieldMetadata | undefined;
      try {
        names = await readFieldMetadata(options.http, 'Calls');
      } catch (error) {
        if (!isOptionalLookupRefused(error)) throw error;
        logger.warn(
          { code: (error as { code?: string }).code },
          'cannot read the Calls field metadata (scope ZohoCRM.settings.fields.READ?)',
        );
      }
      fields = { at: options.now(), metadata: names };
      if (names && options.dedupeField && !names.has(options.dedupeField)) {
        logger.error(
          { field: options.dedupeField },
          'journal.dedupeField is not a field of Calls: writes use insert (see docs/journal.md for the setup)',
        );
      }
      return names;
    })().finally(() => {
      fieldsInflight = undefined;
    });
    return fieldsInflight;
  };

  return {
    async get() {
      const needFields = options.outboundStatusField === undefined || options.dedupeField !== undefined;
      // Both settle before this returns, so no request outlives a failed write.
      const [zoneResult, fieldsResult] = await Promise.allSettled([
        timeZone(),
        needFields ? callFields() : undefined,
      ]);
      if (zoneResult.status === 'rejected') throw zoneResult.reason;
      if (fieldsResult.status === 'rejected') throw fieldsResult.reason;
      const tz = zoneResult.value;
      const names = fieldsResult.value;
      const statusField =
        options.outboundStatusField === false
          ? undefined
          : (options.outboundStatusField ?? STATUS_FIELD_CANDIDATES.find((name) => names?.has(name)));
      const dedupeField =
        options.dedupeField && (!names || names.has(options.dedupeField)) ? options.dedupeField : undefined;
      return { timeZone: tz, statusField, dedupeField };
    },
    fields: callFields,
  };
}
