/**
 * `ConnectorOptions`: the hand-written, documented interface hosts see, and the strict zod schema that
 * validates it once at construction. A type test (test/types/options.test-d.ts) keeps the two equal.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { PhoneSearchReading } from './calibration/calibration.js';
import { EDITION_NAMES, type Edition } from './editions.js';
import { ConfigError } from './errors.js';
import type { SubjectContext, SubjectTemplate } from './journal/map-call.js';
import type { JournalFieldsFunction } from './journal/map-fields.js';
import { isJournalStore, JOURNAL_STORE_METHODS, type JournalStore } from './journal/store.js';
import { isValidTimeZone } from './journal/zoho-time.js';
import type { Logger } from './logger.js';
import { SHARED_CACHE_COMMANDS, type SharedCacheClient } from './lookup/shared-cache-types.js';
import { DEFAULT_SCOPES, TASK_SCOPES } from './oauth/scopes.js';
import { isSupportedCountry } from './phone/normalize.js';
import type { CreateRecordFieldsFunction } from './records/create-record.js';
import { REGION_CODES, type RegionCode } from './regions.js';
import type { TokenStore } from './stores/types.js';

/**
 * A CRM module the caller-ID lookup can search.
 * @group Options
 */
export type LookupModule = 'Contacts' | 'Leads' | 'Accounts';

/**
 * A contact from the host's own PBX directory.
 * @group Options
 */
export interface PbxContact {
  /** Display name to show on the ringing phone. */
  name: string;
  /** The host's own id for the contact. */
  id?: string;
  /** Company, when the PBX directory knows it. */
  company?: string;
}

/**
 * The host's own directory, consulted before Zoho when `lookup.query` is `'whenNotFoundInPbx'`.
 * @group Options
 */
export interface PbxContactsProvider {
  /** Returns the PBX contact that owns an E.164 number, or undefined. */
  lookup(e164: string): Promise<PbxContact | undefined> | PbxContact | undefined;
}

/**
 * The two base URLs of one data centre.
 * @group Options
 */
export interface RegionEndpoints {
  /** Accounts server (authorize, token, revoke). */
  accountsUrl: string;
  /** API domain (`{apiUrl}/crm/v8/...`). */
  apiUrl: string;
}

/**
 * Where to send OAuth and CRM calls instead of Zoho's hosts: the embedded emulator, a recording proxy,
 * an egress gateway. Accounts servers named here are the only ones (besides Zoho's own) a callback's
 * `accounts-server` may point at.
 * @example
 * ```ts
 * const emu = await startZohoEmulator();
 * const endpoints: EndpointOverrides = { accountsUrl: emu.accountsUrl, apiUrl: emu.apiUrl };
 * const perRegion: EndpointOverrides = { regions: emu.regions };   // every data centre, for multi-DC tests
 * ```
 * @group Options
 */
export interface EndpointOverrides {
  /** Replaces the accounts server of the configured region, e.g. the emulator's `accountsUrl`. */
  accountsUrl?: string;
  /**
   * Replaces the API domain for every CRM call (otherwise the token response's `api_domain` is used),
   * e.g. the emulator's `apiUrl`.
   */
  apiUrl?: string;
  /** Per data centre overrides, e.g. the emulator's `regions`. */
  regions?: Partial<Record<RegionCode, RegionEndpoints>>;
}

/**
 * Caller-ID lookup settings (the seed's "Contact Lookup Order" and "Query CRM").
 * @group Options
 */
export interface LookupOptions {
  /**
   * Modules to search, highest priority first. Each module appears at most once.
   * @default ['Contacts', 'Leads', 'Accounts']
   */
  order?: LookupModule[];
  /**
   * `'always'` queries Zoho on every lookup; `'whenNotFoundInPbx'` asks `pbxContacts` first and only
   * queries Zoho when the PBX has no match (then `pbxContacts` is required).
   * @default 'always'
   */
  query?: 'always' | 'whenNotFoundInPbx';
  /**
   * ISO 3166-1 alpha-2 country for numbers dialled without a country code.
   * @default 'US'
   */
  defaultCountry?: string;
  /**
   * Caller IDs of at most this many digits (no `+`, no international prefix) are internal extensions
   * and never looked up. Lower it where public numbers are that short (Niue, Saint Helena, Falklands).
   * @default 6
   */
  maxExtensionLength?: number;
  /**
   * Ring deadline in ms: past it `lookupCaller` resolves `null` while the answer still fills the cache.
   * @default 1500
   */
  timeoutMs?: number;
  /**
   * `'sequential'` stops at the first module with a match (fewest credits); `'parallel'` queries all
   * modules at once (lowest latency).
   * @default 'sequential'
   */
  strategy?: 'sequential' | 'parallel';
  /**
   * `'search'` uses Zoho's phone search and verifies every hit; `'coql'` queries exact equality on each
   * phone field (no search-index lag, but numbers must be stored exactly in a known format).
   * @default 'search'
   */
  method?: 'search' | 'coql';
  /**
   * With `method: 'search'`: how many query forms to try per module before moving on (1 to 4: national
   * number, international digits, national digits with trunk prefix, E.164). Each costs a search.
   * @default 1
   */
  searchTermsPerModule?: number;
  /**
   * When several records in one module hold the number: the most recently modified wins, or the first
   * Zoho returned. The others are listed in `alternatives`.
   * @default 'mostRecentlyModified'
   */
  multipleMatches?: 'mostRecentlyModified' | 'firstReturned';
  /**
   * Read each module's field metadata (`GET /settings/fields`) once per process, so that custom phone
   * fields are verified and queried and standard fields the org's layout lacks are left out; the list is
   * kept with the calibration. `false` uses the standard phone fields only (a number held only in a
   * custom phone field is then not found). If the grant lacks `ZohoCRM.settings.fields.READ`, lookups go
   * on with the kept or standard fields and the `lookup` event's `fieldsError` says why.
   * @default true
   */
  discoverPhoneFields?: boolean;
  /**
   * When `search?phone=` finds nothing in a module and that miss cannot be trusted (the org's
   * `phoneSearch` reading is not known to find every writing of a number, or the connector wrote the
   * number within the search-index lag), ask again with COQL (`like` with the number's last digits over
   * the phone fields, then more search forms if COQL is refused). Orgs known to compare whole strings
   * (`exact`, `digits-exact`) are asked with COQL first. `false` trusts every search miss: cheapest, but
   * under a strict reading numbers stored in another format are not found. docs/caller-id.md explains it.
   * @default true
   */
  escalate?: boolean;
  /**
   * How this org's `search?phone=` matches, if you know it; overrides what `diagnose()` measured and
   * what the connector learns from its own traffic (both kept in the calibration). `'digits-contains'`
   * or `'digits-suffix'` make a search miss final (one search per module); `'exact'` or
   * `'digits-exact'` make lookups start with COQL. Leave it unset to use the calibration.
   */
  phoneSearch?: Exclude<PhoneSearchReading, 'unknown'>;
  /** Cache bounds and lifetimes. */
  cache?: LookupCacheOptions;
  /**
   * A second cache level in Redis shared by the nodes of a cluster: a caller one node found (or did not
   * find) is known to every node, and `invalidate()` on one node reaches them all. Unset: each process
   * caches for itself. docs/caller-id.md ("Shared cache") explains it.
   */
  sharedCache?: LookupSharedCacheOptions;
  /**
   * While Zoho is failing (5xx, network errors, timeouts; not a 4xx about the query, not auth),
   * lookups and directory searches stop sending requests: after `failureThreshold` consecutive failed
   * requests, `lookupCaller` answers `null` at once (the `lookup` event's `error.code` is `CIRCUIT_OPEN`)
   * and `searchDirectory` throws a `CIRCUIT_OPEN` TransportError, except for one probe request per
   * `probeIntervalMs`; the first probe Zoho answers closes the circuit again. `false` turns it off.
   * @default { failureThreshold: 3, probeIntervalMs: 5000 }
   */
  circuitBreaker?: CircuitBreakerOptions | false;
}

/**
 * Circuit-breaker settings of the caller-ID lookup and directory search (see
 * `LookupOptions.circuitBreaker`; docs/caller-id.md explains it).
 * @example
 * ```ts
 * const circuitBreaker: CircuitBreakerOptions = { failureThreshold: 5, probeIntervalMs: 10_000 };
 * ```
 * @group Options
 */
export interface CircuitBreakerOptions {
  /**
   * Consecutive failed requests (5xx, network errors, timeouts) that open the circuit (1 to 100).
   * @default 3
   */
  failureThreshold?: number;
  /**
   * While open, one probe request goes out per this many ms (100 ms to 10 minutes).
   * @default 5000
   */
  probeIntervalMs?: number;
}

/**
 * Caller-ID cache settings.
 * @group Options
 */
export interface LookupCacheOptions {
  /**
   * Most numbers kept.
   * @default 10000
   */
  maxEntries?: number;
  /**
   * How long a found caller is remembered, in ms.
   * @default 300000
   */
  ttlMs?: number;
  /**
   * How long "not found" is remembered, in ms.
   * @default 60000
   */
  negativeTtlMs?: number;
}

/**
 * The caller-ID cache shared by a cluster's nodes through Redis (`lookup.sharedCache`). Found callers
 * and misses are kept per number under `{<keyPrefix>:<connectionId>}:caller:<e164>` with a TTL, the
 * numbers of each record under `…:record:<id>`, and invalidations are published on `…:forget`.
 * @example
 * ```ts
 * import { Redis } from 'ioredis';
 * const redis = new Redis(process.env.REDIS_URL!, { maxRetriesPerRequest: 1 });
 * const sharedCache: LookupSharedCacheOptions = { client: redis, keyPrefix: 'pbx:zoho' };
 * const zoho = new ZohoCrmConnector({ ...options, lookup: { sharedCache } });
 * // …
 * await zoho.close(); // closes the subscriber the cache opened with redis.duplicate()
 * await redis.quit(); // the client stays yours
 * ```
 * @group Options
 */
export interface LookupSharedCacheOptions {
  /**
   * An ioredis `Redis` or `Cluster` client that you create, connect and close (the connector never
   * closes it). The cache opens one more connection with `client.duplicate()` for the invalidation
   * channel, on first use, shared by every connector using the same client, and closed by the last
   * connector's `close()`.
   */
  client: SharedCacheClient;
  /**
   * Namespace of the keys (the connection id follows it, as in the Redis token store).
   * @default 'zoho-crm-connector'
   */
  keyPrefix?: string;
  /**
   * How long a found caller is kept in Redis, in ms.
   * @default lookup.cache.ttlMs
   */
  ttlMs?: number;
  /**
   * How long "not found" is kept in Redis, in ms (never longer than the search-index lag for a number
   * this connector just wrote).
   * @default lookup.cache.negativeTtlMs
   */
  negativeTtlMs?: number;
  /**
   * How long a ring-time lookup waits for Redis before asking Zoho, in ms. A Redis that fails or is
   * late is left alone for 5 s (one warning per outage); lookups go on without it. Must be below
   * `lookup.timeoutMs`, so that a hung Redis leaves the ring time to ask Zoho.
   * @default 50
   */
  timeoutMs?: number;
}

/**
 * Call-journal settings (the seed's "Log Calls as Activities"). docs/journal.md explains each one.
 * @example
 * ```ts
 * const journal: JournalOptions = {
 *   recordingLink: 'public',
 *   publicLinks: { secret: process.env.RECORDING_LINK_SECRET!, ttlSeconds: 30 * 86_400 },
 *   dedupeField: 'PBX_Call_ID',
 *   agents: { '201': '4876876000000225013' },
 *   fallbackOwnerId: '4876876000000225001',
 * };
 * ```
 * @group Options
 */
export interface JournalOptions {
  /**
   * Log trunk calls as Zoho CRM Calls activities.
   * @default true
   */
  enabled?: boolean;
  /**
   * Which recording link goes on the activity: the host's authenticated URL (`'private'`), a signed,
   * expiring URL that needs no sign-in (`'public'`, needs `publicLinks`), or none.
   * @default 'private'
   */
  recordingLink?: 'private' | 'public' | 'none';
  /**
   * Only calls that crossed a trunk are logged; internal extension-to-extension calls never are.
   * @default true
   */
  trunkCallsOnly?: boolean;
  /**
   * Which transcription link goes into the description: the host's URL (`'private'`), a signed,
   * expiring one (`'public'`, needs `publicLinks`), or none. The summary is written either way.
   * @default 'private'
   */
  transcriptionLink?: 'private' | 'public' | 'none';
  /**
   * Where the recording link goes: Zoho's `Voice_Recording__s` field (audio player in Closed
   * Activities), the description, or both. Links longer than 255 characters go to the description only.
   * @default 'both'
   */
  recordingTarget?: 'field' | 'description' | 'both';
  /** Signing settings for public links; required when a link option is `'public'`. */
  publicLinks?: PublicLinkSettings;
  /**
   * The activity's subject: a template with `{number}`, `{name}`, `{type}`, `{direction}`, `{status}`,
   * `{agent}`, or a function. Emoji are removed and the result is cut to 255 characters.
   * @default per call type: `Inbound call from {number}`, `Missed call from {number}`,
   * `Voicemail from {number}`, `Outbound call to {number}` (plus `(busy)`, `(no answer)`… when unanswered)
   */
  subject?: SubjectTemplate;
  /**
   * How `Call_Duration` is written. Zoho's reading of a two-part text is UNVERIFIED (docs/zoho-facts.md
   * §10 Q1): its CRM page says hours and minutes, Bigin's page and production integrations use minutes and
   * seconds; `"04:12"` is 4 minutes or 4 hours.
   * - `'auto'`: the org's calibration decides (measured by `diagnose({ write: true })` or learned from the
   *   journal's own traffic). While it is unknown the journal writes minutes and seconds, reads back the
   *   seconds Zoho computed for the calls it just logged, learns the reading, corrects the calls Zoho read
   *   the other way and stores the reading with the tokens (docs/journal.md, "Durations").
   * - `'mm:ss'`: the org reads `a:b` as minutes and seconds; writes `04:12`, `75:03`. Nothing is learned.
   * - `'HH:mm'`: the org reads `a:b` as hours and minutes; writes `00:04:12` (three parts keep the seconds).
   *   Nothing is learned.
   * - `'hh:mm:ss'`: always writes three parts (`00:04:12`), whatever the reading. Nothing is learned.
   * @default 'auto'
   */
  durationFormat?: 'auto' | 'mm:ss' | 'HH:mm' | 'hh:mm:ss';
  /**
   * IANA time zone for `Call_Start_Time`. By default the time zone of the user who authorized (the org's,
   * from `GET /users?type=CurrentUser`), else UTC. Any zone gives the same instant; this sets how it reads.
   */
  timeZone?: string;
  /**
   * API name of a unique custom text field on Calls (e.g. `PBX_Call_ID`, "Do not allow duplicate
   * values") that receives the PBX call id. Zoho then refuses a second insert of the same call
   * (`DUPLICATE_DATA`, linked to the existing activity), and an insert whose answer was lost is read back
   * by it. Zoho has no upsert on Calls; the journal never uses one (see docs/journal.md, "Exactly once").
   */
  dedupeField?: string;
  /**
   * API name of the outbound call-status field, or `false` to never send it. By default it is discovered
   * from the Calls field metadata (`Outgoing_Call_Status` in v8; the docs say `Outbound_Call_Status`).
   */
  outboundStatusField?: string | false;
  /** Explicit owners: PBX extension or agent e-mail → Zoho user id. Checked before the users API. */
  agents?: Record<string, string>;
  /**
   * API name of a Zoho user field that holds the PBX extension (e.g. a custom `Extension` field). Without
   * it agents are matched by e-mail only.
   */
  userExtensionField?: string;
  /**
   * Zoho user id that owns calls whose agent matches no user. Without it Zoho makes the user who
   * authorized the connection the owner.
   */
  fallbackOwnerId?: string;
  /** Title of the notes written to activities; none by default. */
  noteTitle?: string;
  /**
   * Append `PBX call ID: …` to the description (helps support find a call in the PBX). When off, the
   * description ends with `Journal ref: <16 hex digits>` instead: the journal finds its activities by
   * that line after a lost answer.
   * @default true
   */
  includeCallId?: boolean;
  /** Where the ledger, outbox and dead letters live. Defaults to memory (lost on restart). */
  store?: JournalStore;
  /** Background retry timing for queued writes. */
  retry?: JournalRetryOptions;
  /**
   * Most Calls per insert/upsert request (Zoho allows 100; credits are 1 per 10 records).
   * @default 100
   */
  batchSize?: number;
  /**
   * How long notes and links for a call id the journal has not seen yet wait for its `logCall`, in ms;
   * then they go to the dead letters.
   * @default 86400000 (24 hours)
   */
  holdUnknownCallsMs?: number;
  /**
   * Extra or overriding fields for each Calls record: the org's mandatory custom fields (`Region`),
   * `Call_Purpose`… Checked against the Calls field metadata: a field Calls does not have is left out (the
   * call is written without it) and reported once as a `ConfigError` (logged, and the `configError`
   * event). `null` leaves a field out. See docs/journal.md, "The org's own fields".
   * @example
   * ```ts
   * const journal: JournalOptions = { fields: (call) => ({ Region: call.to.startsWith('+44') ? 'EMEA' : 'AMER' }) };
   * ```
   */
  fields?: JournalFieldsFunction;
  /**
   * A follow-up Zoho task ("Call back …") for every missed inbound trunk call, linked and owned like the
   * call's activity, written exactly once (docs/journal.md, "Missed-call tasks"). Needs the Tasks scopes
   * ({@link TASK_SCOPES}), which the connector then asks for unless `scopes` is given.
   */
  missedCallTask?: MissedCallTaskOptions;
}

/**
 * The follow-up task of a missed call (`journal.missedCallTask`).
 * @example
 * ```ts
 * const missedCallTask: MissedCallTaskOptions = { enabled: true, dueInMinutes: 60, subject: 'Call back {name}' };
 * ```
 * @group Options
 */
export interface MissedCallTaskOptions {
  /**
   * Write a Tasks record for each missed inbound trunk call (missed, no answer, busy, failed or
   * voicemail: Zoho's `Missed` call type). Anonymous callers get none: there is no number to call back.
   * @default false
   */
  enabled?: boolean;
  /**
   * The task is due this many minutes after the call ended. Zoho's `Due_Date` is a day, so the task gets
   * the day that time falls on in the org's time zone; the time itself is in the description.
   * @default 60
   */
  dueInMinutes?: number;
  /**
   * The task's subject: a template with the placeholders of `journal.subject` (`{name}`, `{number}`,
   * `{agent}`, `{status}`…) or a function of them. Emoji are removed and it is cut to 255 characters.
   * @default `Call back {name} ({number})` when the caller's record is known, else `Call back {number}`
   */
  subject?: SubjectTemplate;
}

/**
 * Signing settings for public (no sign-in) links.
 * @example
 * ```ts
 * const publicLinks: PublicLinkSettings = { secret: process.env.RECORDING_LINK_SECRET!, ttlSeconds: 7 * 86_400 };
 * ```
 * @group Options
 */
export interface PublicLinkSettings {
  /** HMAC secret, at least 16 bytes (32 random bytes recommended); the host verifies links with it. */
  secret: string | Uint8Array;
  /**
   * How long a link works, in seconds.
   * @default 2592000 (30 days)
   */
  ttlSeconds?: number;
}

/**
 * Background retry timing for queued journal writes: exponential backoff with jitter between
 * `baseDelayMs` and `maxDelayMs`, forever (a queued call is never dropped).
 * @example
 * ```ts
 * const retry: JournalRetryOptions = { baseDelayMs: 2_000, maxDelayMs: 300_000 };
 * ```
 * @group Options
 */
export interface JournalRetryOptions {
  /**
   * First retry delay, in ms.
   * @default 5000
   */
  baseDelayMs?: number;
  /**
   * Longest delay between retries, in ms.
   * @default 900000 (15 minutes)
   */
  maxDelayMs?: number;
}

/**
 * Record-creation settings (the seed's "Create Contacts for New Numbers").
 * @example
 * ```ts
 * const createRecords: CreateRecordsOptions = { type: 'Leads', leadSource: 'Cold Call', companyPlaceholder: 'Unknown' };
 * ```
 * @group Options
 */
export interface CreateRecordsOptions {
  /**
   * Allow agents to create CRM records for unknown numbers.
   * @default true
   */
  enabled?: boolean;
  /**
   * Which module a new record goes to.
   * @default 'Contacts'
   */
  type?: 'Contacts' | 'Leads';
  /**
   * `Last_Name` when only the number is known; `{number}` becomes the number as people write it.
   * @default 'Unknown caller {number}'
   */
  lastNamePlaceholder?: string;
  /**
   * `Company` of a new Lead when none is given (many layouts make it mandatory); `{number}` works too.
   * @default 'Unknown'
   */
  companyPlaceholder?: string;
  /** `Lead_Source` of new records (a value of your org's picklist, e.g. `Cold Call`); none by default. */
  leadSource?: string;
  /**
   * Extra or overriding fields for each new Contact or Lead (`Lead_Source: 'Phone'`, a mandatory custom
   * field). Checked against the module's field metadata like `journal.fields`: an unknown field is left
   * out and reported once as a `ConfigError`.
   * @example
   * ```ts
   * const createRecords: CreateRecordsOptions = { fields: (input) => ({ Lead_Source: 'Phone', Region: 'EMEA' }) };
   * ```
   */
  fields?: CreateRecordFieldsFunction;
}

/**
 * HTTP behaviour toward Zoho.
 * @group Options
 */
export interface HttpOptions {
  /**
   * Per-attempt timeout in ms.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Deadline for a whole operation, retries included, in ms.
   * @default 30000
   */
  deadlineMs?: number;
  /**
   * Retries after the first attempt for network errors, 429 and 5xx.
   * @default 3
   */
  retries?: number;
  /**
   * Concurrent requests to Zoho from this connector. Defaults to the edition's concurrency limit.
   */
  maxConcurrency?: number;
}

/**
 * Everything a {@link ZohoCrmConnector} is configured with. Validated once, strictly: unknown keys and
 * bad values throw a {@link ConfigError} naming every bad path (never the value).
 * @example
 * ```ts
 * const options: ConnectorOptions = {
 *   connectionId: 'tenant-42',
 *   clientId: process.env.ZOHO_CLIENT_ID!,
 *   clientSecret: process.env.ZOHO_CLIENT_SECRET!,
 *   redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
 *   region: 'EU',
 *   edition: 'Enterprise',
 * };
 * ```
 * @group Options
 */
export interface ConnectorOptions {
  /** Key for stores, caches and ledgers: one connector per CRM connection (tenant). */
  connectionId: string;
  /** Client ID of the Zoho server-based client (API console). */
  clientId: string;
  /** Client secret of the Zoho client. Never logged, never echoed in errors. */
  clientSecret: string;
  /** Registered redirect URI, e.g. `https://pbx.example.com/api/auth/callback/zoho`. */
  redirectUri: string;
  /**
   * Data centre the admin picked; the OAuth callback's accounts server wins over it.
   * @default 'US'
   */
  region?: RegionCode;
  /**
   * Zoho CRM edition of the org: sets the concurrency gate and credit expectations.
   * @default 'Standard'
   */
  edition?: Edition;
  /** Where tokens live. Defaults to an in-memory store (tokens are lost on restart). */
  tokenStore?: TokenStore;
  /** Secret for signing OAuth `state`; defaults to a key derived from the client secret. */
  stateSecret?: string;
  /** OAuth scopes to request; defaults to the minimal set every feature needs. */
  scopes?: string[];
  /** Replace Zoho's hosts (emulator, proxy). */
  endpoints?: EndpointOverrides;
  /** Caller-ID lookup settings. */
  lookup?: LookupOptions;
  /** The host's own directory, for `lookup.query: 'whenNotFoundInPbx'`. */
  pbxContacts?: PbxContactsProvider;
  /** Call-journal settings. */
  journal?: JournalOptions;
  /** Record-creation settings. */
  createRecords?: CreateRecordsOptions;
  /** Timeouts, retries and concurrency toward Zoho. */
  http?: HttpOptions;
  /** pino-compatible logger; every line is redacted first. Silent by default. */
  logger?: Logger;
  /**
   * The fetch to send every request with. When it is not set, requests to Zoho's CRM API without a body
   * (searches, record and metadata reads) go over `node:http(s)` on Node.js, on one keep-alive pool for
   * the whole process (a fraction of fetch's CPU per request), as long as a plain fetch would go straight
   * out through Node's own undici (the global `fetch` is Node's, and undici's global dispatcher is not a
   * proxy or mock); everything else goes over the global `fetch` at call time. Pass one to route every
   * request through it: an undici `Agent` of your own, instrumentation, a test double (for example
   * `fetch: (input, init) => globalThis.fetch(input, init)`).
   */
  fetch?: typeof fetch;
}

// --- Schema ---
// Every schema of the core is a z.lazy(), built on its first parse: building them at import was about a
// fifth of the package's cold import. Helpers used inside one are functions. test/lazy-schemas.test.ts.

const isFunction = (value: unknown): boolean => typeof value === 'function';
const hasMethods =
  (...names: string[]) =>
  (value: unknown): boolean =>
    typeof value === 'object' &&
    value !== null &&
    names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');

const nonEmpty = () => z.string().check(z.trim(), z.minLength(1));
const httpUrl = () => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const int = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));
const positiveInt = (max: number) => z.number().check(z.int(), z.positive(), z.lte(max));
const trimmed = (max: number) => z.string().check(z.trim(), z.minLength(1), z.maxLength(max));
const fn = <T>(message: string) => z.custom<T>(isFunction, message);

/** An ISO 3166-1 alpha-2 code libphonenumber has metadata for (either case). @internal */
export const countryCode = z.lazy(() =>
  z
    .string()
    .check(
      z.regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code'),
      z.refine(isSupportedCountry, 'is not a country with phone-number metadata (the United Kingdom is GB)'),
    ),
);

const LookupCacheSchema = z.lazy(() =>
  z.strictObject({
    maxEntries: z._default(positiveInt(10_000_000), 10_000),
    ttlMs: z._default(positiveInt(7 * 24 * 3_600_000), 300_000),
    negativeTtlMs: z._default(z.number().check(z.int(), z.nonnegative(), z.lte(24 * 3_600_000)), 60_000),
  }),
);

const LookupSchema = z.lazy(() =>
  z.strictObject({
    order: z._default(
      z.array(z.enum(['Contacts', 'Leads', 'Accounts'])).check(
        z.minLength(1),
        z.refine((order) => new Set(order).size === order.length, 'each module may appear only once'),
      ),
      ['Contacts', 'Leads', 'Accounts'],
    ),
    query: z._default(z.enum(['always', 'whenNotFoundInPbx']), 'always'),
    defaultCountry: z._default(
      z.pipe(
        countryCode,
        z.transform((code: string) => code.toUpperCase()),
      ),
      'US',
    ),
    maxExtensionLength: z._default(int(0, 15), 6),
    timeoutMs: z._default(positiveInt(60_000), 1_500),
    strategy: z._default(z.enum(['sequential', 'parallel']), 'sequential'),
    method: z._default(z.enum(['search', 'coql']), 'search'),
    searchTermsPerModule: z._default(int(1, 4), 1),
    multipleMatches: z._default(z.enum(['mostRecentlyModified', 'firstReturned']), 'mostRecentlyModified'),
    discoverPhoneFields: z._default(z.boolean(), true),
    escalate: z._default(z.boolean(), true),
    phoneSearch: z.optional(z.enum(['digits-contains', 'digits-suffix', 'digits-exact', 'exact'])),
    cache: z.prefault(LookupCacheSchema, {}),
    sharedCache: z.optional(
      z.strictObject({
        client: z.custom<SharedCacheClient>(
          hasMethods(...SHARED_CACHE_COMMANDS),
          `must be an ioredis Redis or Cluster client (with ${SHARED_CACHE_COMMANDS.join(', ')})`,
        ),
        keyPrefix: z.optional(nonEmpty()),
        ttlMs: z.optional(positiveInt(7 * 24 * 3_600_000)),
        negativeTtlMs: z.optional(positiveInt(24 * 3_600_000)),
        timeoutMs: z._default(positiveInt(10_000), 50),
      }),
    ),
    circuitBreaker: z.prefault(
      z.union(
        [
          z.literal(false),
          z.strictObject({
            failureThreshold: z._default(positiveInt(100), 3),
            probeIntervalMs: z._default(int(100, 600_000), 5_000),
          }),
        ],
        { error: 'must be false or { failureThreshold, probeIntervalMs }' },
      ),
      {},
    ),
  }),
);

const apiName = () =>
  z.string().check(z.regex(/^[A-Za-z][A-Za-z0-9_]{0,99}$/, 'must be a Zoho field API name'));
const linkPolicy = () => z.enum(['private', 'public', 'none']);

const subjectTemplate = () =>
  z.union([nonEmpty(), fn<(context: SubjectContext) => string>('must be a string or a function')]);

const JournalSchema = z.lazy(() =>
  z
    .strictObject({
      enabled: z._default(z.boolean(), true),
      recordingLink: z._default(linkPolicy(), 'private'),
      trunkCallsOnly: z._default(z.boolean(), true),
      transcriptionLink: z._default(linkPolicy(), 'private'),
      recordingTarget: z._default(z.enum(['field', 'description', 'both']), 'both'),
      publicLinks: z.optional(
        z.strictObject({
          secret: z.union([
            z.string().check(z.minLength(16, 'must be at least 16 characters')),
            z.custom<Uint8Array>(
              (value) => value instanceof Uint8Array && value.byteLength >= 16,
              'must be at least 16 bytes',
            ),
          ]),
          ttlSeconds: z._default(positiveInt(10 * 366 * 86_400), 2_592_000),
        }),
      ),
      subject: z.optional(subjectTemplate()),
      durationFormat: z._default(z.enum(['auto', 'mm:ss', 'HH:mm', 'hh:mm:ss']), 'auto'),
      timeZone: z.optional(
        z.string().check(z.refine(isValidTimeZone, 'must be an IANA time zone, e.g. Europe/Berlin')),
      ),
      dedupeField: z.optional(apiName()),
      outboundStatusField: z.optional(z.union([apiName(), z.literal(false)])),
      agents: z.optional(z.record(nonEmpty(), nonEmpty())),
      userExtensionField: z.optional(apiName()),
      fallbackOwnerId: z.optional(nonEmpty()),
      noteTitle: z.optional(trimmed(120)),
      includeCallId: z._default(z.boolean(), true),
      store: z.optional(
        z.custom<JournalStore>(isJournalStore, `must implement ${JOURNAL_STORE_METHODS.join(', ')}`),
      ),
      retry: z.prefault(
        z.strictObject({
          baseDelayMs: z._default(positiveInt(3_600_000), 5_000),
          maxDelayMs: z._default(positiveInt(86_400_000), 900_000),
        }),
        {},
      ),
      batchSize: z._default(int(1, 100), 100),
      holdUnknownCallsMs: z._default(positiveInt(30 * 86_400_000), 86_400_000),
      fields: z.optional(fn<JournalFieldsFunction>('must be a function (call, draft) => fields')),
      missedCallTask: z.prefault(
        z.strictObject({
          enabled: z._default(z.boolean(), false),
          dueInMinutes: z._default(int(0, 366 * 1_440), 60),
          subject: z.optional(subjectTemplate()),
        }),
        {},
      ),
    })
    .check(
      z.superRefine((journal, ctx) => {
        const wantsPublic = journal.recordingLink === 'public' || journal.transcriptionLink === 'public';
        if (journal.enabled && wantsPublic && !journal.publicLinks) {
          ctx.addIssue({
            code: 'custom',
            path: ['publicLinks'],
            message: 'is required when recordingLink or transcriptionLink asks for signed (no sign-in) links',
          });
        }
        if (journal.retry.maxDelayMs < journal.retry.baseDelayMs) {
          ctx.addIssue({
            code: 'custom',
            path: ['retry', 'maxDelayMs'],
            message: 'must not be below baseDelayMs',
          });
        }
      }),
    ),
);

const CreateRecordsSchema = z.lazy(() =>
  z.strictObject({
    enabled: z._default(z.boolean(), true),
    type: z._default(z.enum(['Contacts', 'Leads']), 'Contacts'),
    lastNamePlaceholder: z._default(trimmed(80), 'Unknown caller {number}'),
    companyPlaceholder: z._default(trimmed(200), 'Unknown'),
    leadSource: z.optional(trimmed(120)),
    fields: z.optional(fn<CreateRecordFieldsFunction>('must be a function (input) => fields')),
  }),
);

const HttpSchema = z.lazy(() =>
  z.strictObject({
    timeoutMs: z._default(positiveInt(300_000), 10_000),
    deadlineMs: z._default(positiveInt(3_600_000), 30_000),
    retries: z._default(int(0, 10), 3),
    maxConcurrency: z.optional(positiveInt(1_000)),
  }),
);

const regionCode = () => z.enum(REGION_CODES as [RegionCode, ...RegionCode[]]);

/** @internal */
export const ConnectorOptionsSchema = z.lazy(() =>
  z
    .strictObject({
      connectionId: z
        .string()
        .check(
          z.maxLength(256),
          z.regex(
            /^[^\p{Cc}\s](?:[^\p{Cc}]*[^\p{Cc}\s])?$/u,
            'must be non-empty, without control characters or surrounding spaces',
          ),
        ),
      clientId: nonEmpty(),
      clientSecret: nonEmpty(),
      redirectUri: httpUrl().check(
        z.refine(isSecureRedirect, 'must use https (http is allowed for localhost only)'),
      ),
      region: z._default(regionCode(), 'US'),
      edition: z._default(z.enum(EDITION_NAMES as [Edition, ...Edition[]]), 'Standard'),
      tokenStore: z.optional(
        z.custom<TokenStore>(hasMethods('get', 'set', 'delete'), 'must implement get, set and delete'),
      ),
      stateSecret: z.optional(z.string().check(z.minLength(16, 'must be at least 16 characters'))),
      scopes: z.optional(z.array(nonEmpty()).check(z.minLength(1))),
      endpoints: z.optional(
        z.strictObject({
          accountsUrl: z.optional(httpUrl()),
          apiUrl: z.optional(httpUrl()),
          regions: z.optional(
            z.partialRecord(regionCode(), z.strictObject({ accountsUrl: httpUrl(), apiUrl: httpUrl() })),
          ),
        }),
      ),
      lookup: z.prefault(LookupSchema, {}),
      pbxContacts: z.optional(
        z.custom<PbxContactsProvider>(hasMethods('lookup'), 'must have a lookup(e164) function'),
      ),
      journal: z.prefault(JournalSchema, {}),
      createRecords: z.prefault(CreateRecordsSchema, {}),
      http: z.prefault(HttpSchema, {}),
      logger: z.optional(
        z.custom<Logger>(
          hasMethods('debug', 'info', 'warn', 'error'),
          'must have debug, info, warn and error methods',
        ),
      ),
      fetch: z.optional(fn<typeof fetch>('must be a fetch function')),
    })
    .check(
      z.superRefine((options, ctx) => {
        if (options.lookup.query === 'whenNotFoundInPbx' && !options.pbxContacts) {
          ctx.addIssue({
            code: 'custom',
            path: ['pbxContacts'],
            message: "is required when lookup.query is 'whenNotFoundInPbx'",
          });
        }
        // A Redis read that may outlast the ring would cost the call its caller ID whenever Redis hangs.
        const shared = options.lookup.sharedCache;
        if (shared && shared.timeoutMs >= options.lookup.timeoutMs) {
          ctx.addIssue({
            code: 'custom',
            path: ['lookup', 'sharedCache', 'timeoutMs'],
            message: `must be below lookup.timeoutMs (${options.lookup.timeoutMs} ms): a hung Redis must leave time to ask Zoho`,
          });
        }
      }),
    ),
);

/**
 * Options after validation, with every default filled in.
 * @internal
 */
export type ResolvedConnectorOptions = z.output<typeof ConnectorOptionsSchema>;

/**
 * Validates connector options and fills in defaults.
 * @throws {@link ConfigError} naming every bad path; no value (a client secret, say) is ever echoed.
 * @internal
 * @example
 * ```ts
 * const resolved = parseConnectorOptions({ connectionId: 't1', clientId: 'id', clientSecret: 's', redirectUri: 'https://pbx.example.com/api/auth/callback/zoho' });
 * resolved.lookup.order; // ['Contacts', 'Leads', 'Accounts']
 * ```
 * @group Options
 */
export function parseConnectorOptions(input: ConnectorOptions): ResolvedConnectorOptions {
  const result = ConnectorOptionsSchema.safeParse(input);
  if (result.success) {
    // Missed-call tasks need the Tasks scopes: asked for by default only where the option is on.
    if (!result.data.scopes && result.data.journal.enabled && result.data.journal.missedCallTask.enabled)
      result.data.scopes = [...DEFAULT_SCOPES, ...TASK_SCOPES];
    return result.data;
  }
  throw configErrorFromIssues(result.error.issues, input, 'ZohoCrmConnector options');
}

/**
 * A {@link ConfigError} from schema issues, with every string of `input` scrubbed from the messages (a
 * secret must never be echoed by a validation message).
 * @internal
 */
export function configErrorFromIssues(
  issues: readonly { path: readonly PropertyKey[]; message: string; code?: string }[],
  input: unknown,
  context: string,
): ConfigError {
  const values = stringLeaves(input);
  return ConfigError.fromIssues(
    issues.map((issue) => ({
      path: issue.path,
      message:
        issue.code !== undefined && SCHEMA_TEXT_ONLY.has(issue.code)
          ? issue.message
          : scrub(issue.message, values),
    })),
    context,
  );
}

// --- Internal helpers ---

/** Whether a URL is https, or on localhost / 127.0.0.1 / [::1] (any scheme there). @internal */
export function isSecureRedirect(value: string): boolean {
  if (!URL.canParse(value)) return true; // reported by the URL check already
  const url = new URL(value);
  return url.protocol === 'https:' || ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
}

/** Every string value in the input (to make sure none is echoed by a validation message). */
function stringLeaves(value: unknown, out: string[] = [], depth = 0): string[] {
  if (typeof value === 'string') out.push(value);
  else if (value && typeof value === 'object' && depth < 6) {
    for (const item of Object.values(value)) stringLeaves(item, out, depth + 1);
  }
  return out;
}

/**
 * zod issues whose messages are built from the schema alone (allowed values, types, bounds, our own
 * format messages), never from the input: they are shown as they are, so an allowed value the user also
 * typed somewhere (`'Leads'` as a connection id, say) still shows in `expected one of …`.
 */
const SCHEMA_TEXT_ONLY = new Set<string>([
  'invalid_value',
  'invalid_type',
  'too_small',
  'too_big',
  'invalid_format',
  'not_multiple_of',
]);

let schemaValues: ReadonlySet<string> | undefined;

/** Every value the schema names itself (enum options, literals): public, so never hidden. */
function namedBySchema(): ReadonlySet<string> {
  if (!schemaValues) {
    const found = new Set<string>();
    const seen = new Set<object>();
    // zod's schema definitions, walked directly: the JSON Schema generator is not needed for this.
    const walk = (node: unknown): void => {
      if (!node || typeof node !== 'object' || seen.has(node)) return;
      seen.add(node);
      if (Array.isArray(node)) {
        for (const item of node) walk(item);
        return;
      }
      const def = (node as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
      if (!def) {
        for (const value of Object.values(node)) walk(value); // an object schema's shape
        return;
      }
      // A lazy schema (built on first use) keeps its schema behind a getter, not in its definition.
      if (def.type === 'lazy') walk((node as { _zod: { innerType: unknown } })._zod.innerType);
      if (def.type === 'enum') for (const v of Object.values(def.entries as object)) found.add(String(v));
      if (def.type === 'literal') for (const v of def.values as unknown[]) found.add(String(v));
      for (const [key, value] of Object.entries(def)) if (key !== 'checks') walk(value);
    };
    walk(ConnectorOptionsSchema);
    schemaValues = found;
  }
  return schemaValues;
}

/**
 * Hides the user's own values in a message that could hold input (custom checks, unknown keys): each
 * value where it stands as a whole token, except values the schema itself names.
 */
function scrub(message: string, values: readonly string[]): string {
  let out = message;
  for (const value of values) {
    if (value.length < 3 || namedBySchema().has(value)) continue;
    // Only a value the message contains needs a pattern (a huge value would not even compile to one).
    if (!out.includes(value)) continue;
    const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    out = out.replace(new RegExp(`(?<![\\p{L}\\p{N}_])${escaped}(?![\\p{L}\\p{N}_])`, 'gu'), '[value]');
  }
  return out;
}
