/**
 * The shapes caller-ID lookup and directory search return.
 *
 * @module
 */
import type { ZohoCrmError } from '../errors.js';
import type { LookupModule } from '../options.js';

/**
 * Where a caller match came from.
 * @group Caller ID
 */
export type MatchSource = 'zoho' | 'pbx' | 'cache';

/**
 * The CRM record (or PBX contact) that owns a phone number.
 * @example
 * ```ts
 * const match = await zoho.lookupCaller('+1 (415) 555-2671');
 * if (match) showOnPhone(`${match.name}${match.account ? ` (${match.account.name})` : ''}`, match.recordUrl);
 * ```
 * @group Caller ID
 */
export interface CallerMatch {
  /** Zoho module of the record, or `'PBX'` for a match from the host's own directory. */
  module: LookupModule | 'PBX';
  /** Zoho record id (or the PBX contact id). */
  id: string;
  /** Display name: full name for people, account name for Accounts. */
  name: string;
  /** The caller's number in E.164. */
  phone: string;
  /** The field that holds the number, e.g. `Mobile` (`PBX` for PBX matches). */
  field: string;
  /** The contact's account, when it has one. */
  account?: {
    /** Account record id. */
    id: string;
    /** Account name. */
    name: string;
  };
  /** Zoho user who owns the record. */
  ownerId?: string;
  /** CRM web URL of the record for a screen pop (absent for PBX matches). */
  recordUrl?: string;
  /** Where this answer came from. */
  source: MatchSource;
  /** Other records in the same module with the same number (the match is the most recently modified). */
  alternatives?: CallerMatch[];
}

/**
 * A person (or company) found by directory search, with every phone number normalised.
 * @group Caller ID
 */
export interface DirectoryEntry {
  /** Zoho module of the record. */
  module: LookupModule;
  /** Zoho record id. */
  id: string;
  /** Display name. */
  name: string;
  /** Every phone field that holds a usable number. */
  phones: Array<{
    /** API name of the field, e.g. `Mobile`. */
    field: string;
    /** The number in E.164. */
    e164: string;
  }>;
  /** Primary email, when the record has one. */
  email?: string;
  /** Company (Leads) or account name (Contacts). */
  company?: string;
  /** CRM web URL of the record. */
  recordUrl: string;
}

/** Options for one caller lookup. @group Caller ID */
export interface LookupCallerOptions {
  /** Aborts the lookup (it then resolves `null`). */
  signal?: AbortSignal;
  /** Overrides `lookup.timeoutMs` for this call. */
  timeoutMs?: number;
}

/**
 * What the journal and record creation need from the lookup engine.
 * @internal
 */
export interface CallerLookupEngine {
  /** Ring-time lookup: deadline-bound, cached, never throws for a slow Zoho. */
  lookupCaller(raw: string, options?: LookupCallerOptions): Promise<CallerMatch | null>;
  /** Lookup of an E.164 number without a ring deadline (journaling, record creation); uses the cache. */
  findByE164(e164: string, options?: { signal?: AbortSignal; fresh?: boolean }): Promise<CallerMatch | null>;
  /** Teaches the cache a record just created or updated through the connector. */
  remember(match: CallerMatch): void;
  /**
   * Forgets what the caches know about a number and, given its record id, every number of that record
   * (the record turned out deleted): here, and with `lookup.sharedCache` in Redis and on every node.
   */
  invalidate(e164: string, recordId?: string): void;
  /** Directory search by name, part of a name, or email. */
  searchDirectory(
    query: string,
    options?: { signal?: AbortSignal; limit?: number },
  ): Promise<DirectoryEntry[]>;
}

/**
 * The `lookup` event: one per `lookupCaller` call.
 * @group Events
 */
export interface LookupEvent {
  /** The caller's number in E.164 (undefined for extensions and anonymous callers). */
  number: string | undefined;
  /** What was found, or null. */
  match: CallerMatch | null;
  /**
   * Where the answer came from: `'none'` when nothing was asked (anonymous, extension), `'timeout'` past
   * the deadline (or when the caller's signal aborted), `'error'` when Zoho (or the `pbxContacts` provider)
   * failed.
   */
  source: MatchSource | 'none' | 'timeout' | 'error';
  /**
   * Why a lookup answered `null` without knowing: set for `'timeout'` (`DEADLINE_EXCEEDED`, or `ABORTED`
   * for the caller's signal) and `'error'` (e.g. `AUTH_NOT_CONNECTED`, `ZOHO_API` for a Zoho 5xx,
   * `ZOHO_RATE_LIMIT`, `NETWORK`; `UNEXPECTED` when the `pbxContacts` provider threw). Absent when the
   * number is simply unknown, so hosts can tell "not found" from "not authorized" or "Zoho down".
   */
  error?: ZohoCrmError;
  /**
   * Set (with `source: 'cache'`) when the answer came from the cluster's shared cache in Redis
   * (`lookup.sharedCache`) rather than this process's own: count these beside `source: 'cache'` for the
   * shared level's hit ratio.
   */
  sharedCache?: true;
  /** Zoho modules queried for this call (empty for cache hits). */
  modules: LookupModule[];
  /**
   * Set when a module's field metadata (`GET /settings/fields`) could not be read, e.g.
   * `AUTH_SCOPE_MISMATCH` (the grant lacks `ZohoCRM.settings.fields.READ`) or a `ZohoApiError` with
   * `zohoCode` `NO_PERMISSION`: the lookup used the phone fields kept in the calibration, or else the
   * standard ones, so a number held only in a custom phone field may not be found. Authorize again with
   * the default scopes to fix it.
   */
  fieldsError?: ZohoCrmError;
  /** Duration in ms. */
  ms: number;
}
