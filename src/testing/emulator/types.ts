/**
 * Public types of the Zoho CRM emulator: its options, its control surface and what it reports.
 *
 * @module
 */
import type { Edition } from '../../editions.js';
import type { RegionCode } from '../../regions.js';

/**
 * A Zoho data centre, in either letter case (`'eu'` or `'EU'`).
 * @example
 * ```ts
 * const dc: DataCenter = 'eu';
 * ```
 * @group Emulator
 */
export type DataCenter = RegionCode | Lowercase<RegionCode>;

/**
 * The CRM modules the emulator serves.
 * @example
 * ```ts
 * const module: EmulatorModule = 'Contacts';
 * ```
 * @group Emulator
 */
export type EmulatorModule = 'Contacts' | 'Leads' | 'Accounts' | 'Calls' | 'Notes' | 'Tasks' | 'Deals';

/**
 * How `GET /{Module}/search?phone=` compares the query with a stored phone value. Zoho does not document
 * its rule (docs/zoho-facts.md §10 Q4), so the emulator lets you pick one:
 * - `'digits-contains'` (default): the query's digits appear inside the stored value's digits;
 * - `'digits-exact'`: both have the same digits;
 * - `'digits-suffix'`: the stored digits end with the query's digits, or the other way round;
 * - `'exact'`: the trimmed strings are equal;
 * - `'contains'`: the stored string contains the query string (case-insensitive);
 * - a function `(query, stored) => boolean` for anything else.
 * @example
 * ```ts
 * const last10: PhoneMatchMode = (query, stored) => stored.replace(/\D/g, '').endsWith(query.replace(/\D/g, '').slice(-10));
 * ```
 * @group Emulator
 */
export type PhoneMatchMode =
  | 'digits-contains'
  | 'digits-exact'
  | 'digits-suffix'
  | 'exact'
  | 'contains'
  | ((query: string, stored: string) => boolean);

/**
 * A Zoho field data type the emulator understands (`data_type` in `GET /settings/fields`).
 * @example
 * ```ts
 * const type: FieldDataType = 'phone';
 * ```
 * @group Emulator
 */
export type FieldDataType =
  | 'text'
  | 'textarea'
  | 'phone'
  | 'email'
  | 'website'
  | 'picklist'
  | 'integer'
  | 'boolean'
  | 'datetime'
  | 'date'
  | 'lookup'
  | 'ownerlookup';

/**
 * A custom field to add to a module, e.g. a second phone field or a unique call id.
 * @example
 * ```ts
 * const field: EmulatorFieldInit = { apiName: 'PBX_Call_ID', dataType: 'text', unique: true };
 * ```
 * @group Emulator
 */
export interface EmulatorFieldInit {
  /** API name, e.g. `Work_Phone`. */
  apiName: string;
  /** Zoho data type; `'phone'` fields are searched by `search?phone=`. */
  dataType: Exclude<FieldDataType, 'lookup' | 'ownerlookup'>;
  /** Label shown in `GET /settings/fields`. Defaults to the API name with spaces. */
  label?: string;
  /** Maximum length for text-like fields. @default 255 (phone 30, email 100, textarea 32000) */
  length?: number;
  /** Layout-mandatory: inserts without it fail with `MANDATORY_NOT_FOUND`. @default false */
  mandatory?: boolean;
  /** "Do not allow duplicate values": a second record with the same value fails with `DUPLICATE_DATA`. @default false */
  unique?: boolean;
}

/**
 * A CRM user of the emulated organisation.
 * @example
 * ```ts
 * const agent: EmulatorUserInit = { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', extension: '102' };
 * ```
 * @group Emulator
 */
export interface EmulatorUserInit {
  /** 19-digit user id; generated when omitted. */
  id?: string;
  /** Sign-in e-mail address. */
  email: string;
  /** First name. */
  firstName?: string;
  /** Last name. */
  lastName: string;
  /** `'disabled'` users are not `ActiveUsers` and cannot own records. @default 'active' */
  status?: 'active' | 'disabled';
  /** Role name. @default 'CEO' for the first user, else 'Manager' */
  role?: string;
  /** Profile name. @default 'Administrator' for the first user, else 'Standard' */
  profile?: string;
  /** PBX extension, reported as the user's `Extension` field. */
  extension?: string;
  /** Phone number. */
  phone?: string;
  /** Mobile number. */
  mobile?: string;
}

/**
 * A `{ name, id }` reference, as Zoho shows roles and profiles.
 * @example
 * ```ts
 * const role: EmulatorNamedRef = { name: 'CEO', id: '5843104000000100001' };
 * ```
 * @group Emulator
 */
export interface EmulatorNamedRef {
  /** Display name. */
  readonly name: string;
  /** 19-digit id. */
  readonly id: string;
}

/**
 * A CRM user as `GET /crm/v8/users` reports it (a subset of Zoho's user object).
 * @example
 * ```ts
 * const agent: EmulatorUser | undefined = emu.users.find((u) => u.Extension === '102');
 * ```
 * @group Emulator
 */
export interface EmulatorUser {
  /** 19-digit user id. */
  readonly id: string;
  /** Zoho user id (the accounts-level id). */
  readonly zuid: string;
  /** Sign-in e-mail address. */
  readonly email: string;
  /** First name (may be empty). */
  readonly first_name: string;
  /** Last name. */
  readonly last_name: string;
  /** First and last name. */
  readonly full_name: string;
  /** `active` or `disabled`. */
  readonly status: 'active' | 'disabled';
  /** Role. */
  readonly role: EmulatorNamedRef;
  /** Profile. */
  readonly profile: EmulatorNamedRef;
  /** IANA time zone (the org's). */
  readonly time_zone: string;
  /** Phone number, or null. */
  readonly phone: string | null;
  /** Mobile number, or null. */
  readonly mobile: string | null;
  /** PBX extension (a custom user field), or null. */
  readonly Extension: string | null;
  /** Always true for emulated users. */
  readonly confirm: boolean;
}

/**
 * An OAuth client registered with the emulated accounts server (Zoho's API console "server-based client").
 * @example
 * ```ts
 * const client: EmulatorClientInit = {
 *   clientId: '1000.TESTCLIENT',
 *   clientSecret: 'secret',
 *   redirectUris: ['http://localhost:3000/callback'],
 * };
 * ```
 * @group Emulator
 */
export interface EmulatorClientInit {
  /** Client id, e.g. `1000.ABC123`. */
  clientId: string;
  /** Client secret. */
  clientSecret: string;
  /** Authorized redirect URIs; the auth and token calls must use one of them exactly. */
  redirectUris: readonly string[];
  /** Name shown on the consent page. @default 'Test client' */
  name?: string;
}

/**
 * Zoho's token limits (docs/zoho-facts.md §1.7), adjustable for tests. Windows are rolling.
 * @example
 * ```ts
 * const limits: OAuthLimits = { grantCodesPerWindow: 100 }; // many authorizations in one test
 * ```
 * @group Emulator
 */
export interface OAuthLimits {
  /** Access tokens one refresh token may mint per window; the next is refused with "Access Denied". @default 10 */
  accessTokensPerWindow?: number;
  /** Live access tokens per refresh token; minting one more invalidates the oldest. @default 15 */
  liveAccessTokens?: number;
  /** Refresh tokens per user per client; the next deletes the oldest and its access tokens. @default 20 */
  refreshTokensPerUser?: number;
  /** Grant codes per client per window; past it the consent redirect carries `error=access_denied`. @default 10 */
  grantCodesPerWindow?: number;
  /** Length of the rolling window. @default 600_000 (10 minutes) */
  windowMs?: number;
}

/**
 * Options of {@link createZohoEmulatorState} and {@link startZohoEmulator}. Every option has a default that
 * matches Zoho as documented; where Zoho's behaviour is unverified, the option says so.
 * @example
 * ```ts
 * const options: ZohoEmulatorOptions = { edition: 'Professional', dataCenter: 'eu', autoConsent: true };
 * ```
 * @group Emulator
 */
export interface ZohoEmulatorOptions {
  /** Data centre of the organisation and its users. @default 'us' */
  dataCenter?: DataCenter;
  /** CRM edition: sets API credits and concurrency (see `EDITIONS`). @default 'Enterprise' */
  edition?: Edition;
  /** Organisation name (`GET /org`). @default 'Emulated Org' */
  orgName?: string;
  /** IANA time zone of the org and its users; record times carry its offset. @default 'America/New_York' */
  timeZone?: string;
  /** Users; the first one is the admin who grants consent unless told otherwise. @default one admin user */
  users?: readonly EmulatorUserInit[];
  /** Licensed users for the credit formula. @default the number of users */
  licensedUsers?: number;
  /** Purchased add-on credits per 24 h. @default 0 */
  addOnCredits?: number;
  /** Replaces the edition's 24-hour credit allowance (e.g. `Infinity` for benchmarks). */
  creditLimit?: number;
  /** Replaces the edition's concurrency limit. */
  concurrencyLimit?: number;
  /** Credits one search costs. Zoho's table does not list search (UNVERIFIED): 1 is the general rule. @default 1 */
  searchCredits?: number;
  /** Send `Retry-After` on 429 answers (Zoho's is unverified). @default false */
  retryAfter?: boolean;
  /** OAuth clients registered from the start (they survive `reset()`). @default [] */
  clients?: readonly EmulatorClientInit[];
  /** Skip the consent page: `GET /oauth/v2/auth` redirects at once as if the user clicked Accept. @default false */
  autoConsent?: boolean;
  /** Access-token lifetime in seconds (`expires_in`). @default 3600 */
  accessTokenTtlSeconds?: number;
  /** Grant-code lifetime in seconds (Zoho: "two minutes"; CRM pages say three). @default 120 */
  codeTtlSeconds?: number;
  /** Zoho's token limits. */
  oauthLimits?: OAuthLimits;
  /**
   * The `error` of a token call with a wrong client secret. Zoho's value is UNVERIFIED.
   * @default 'invalid_client'
   */
  wrongSecretError?: 'invalid_client' | 'invalid_client_secret';
  /** Phone matching rule of `search?phone=` (UNVERIFIED at Zoho). @default 'digits-contains' */
  phoneMatch?: PhoneMatchMode;
  /** `equals` in search criteria: Zoho documents it as contains-like. @default 'contains' */
  criteriaEquals?: 'contains' | 'exact';
  /**
   * Criteria on phone fields: some orgs answer `INVALID_QUERY` (docs/zoho-facts.md §10 Q4).
   * @default 'allow'
   */
  criteriaOnPhoneFields?: 'allow' | 'reject';
  /** Search-index delay: new or changed records are found by search only after this many ms. @default 0 */
  searchIndexDelayMs?: number;
  /** An empty COQL result: HTTP 204 (`'no-content'`) or 200 with `data: []` (UNVERIFIED). @default 'no-content' */
  coqlEmptyResult?: 'no-content' | 'empty-data';
  /** Unknown fields in written records: Zoho drops them silently (`'drop'`); `'keep'` stores them. @default 'drop' */
  unknownFields?: 'drop' | 'keep';
  /**
   * A value outside a picklist field's values (except `Call_Type`, always refused): Zoho adds it to the
   * picklist (`'add'`, KZN #38, docs/zoho-facts.md §4.2), stores it without adding it (`'keep'`), or refuses
   * the record with `INVALID_DATA` naming the field (`'refuse'`, UNVERIFIED). Either way the journal never
   * sends a `Call_Result` / `Call_Purpose` the picklist lacks.
   * @default 'add'
   */
  unknownPicklistValues?: 'add' | 'keep' | 'refuse';
  /** Whether a Missed call needs `Call_Duration` (Zoho marks it system-mandatory; UNVERIFIED for Missed). @default true */
  missedCallNeedsDuration?: boolean;
  /**
   * How the text of `Call_Duration` `"a:b"` is read into the computed, read-only `Call_Duration_in_seconds`.
   * UNVERIFIED at Zoho: Zoho's insert page says "HH:mm" with an ambiguous `"10:00"` sample, Bigin's page and
   * production integrations use minutes:seconds, and nobody has read the result back (docs/zoho-facts.md §10 Q1).
   * - `'mm:ss'` (default): `a * 60 + b` (`"04:12"` → 252);
   * - `'HH:mm'`: `a * 3600 + b * 60` (`"04:12"` → 15,120).
   *
   * A three-part `"h:m:s"` value is hours:minutes:seconds under both readings. The second part must be 0..59
   * either way. A `Call_Duration_in_seconds` sent by the client is ignored: the emulator always computes it.
   * @default 'mm:ss'
   */
  durationReading?: 'mm:ss' | 'HH:mm';
  /**
   * COQL `like` / `not like` on a phone-type field. UNVERIFIED at Zoho: whether COQL supports `like` on phone
   * fields is not documented, and criteria on phone fields are refused by some orgs (docs/zoho-facts.md §10 Q4).
   * `'reject'` answers HTTP 400 `INVALID_QUERY` (details: `column_name`, `operator`), as Zoho does for an
   * operator a field does not support.
   * @default 'allow'
   */
  coqlLikeOnPhoneFields?: 'allow' | 'reject';
  /**
   * Standard fields hidden or absent in this org's layout, per module, e.g.
   * `{ Contacts: ['Mobile', 'Home_Phone'] }`. UNVERIFIED which fields a given org has: layouts differ per org
   * (docs/zoho-facts.md §3). An absent field is missing from `GET /settings/fields`, is never stored (dropped
   * from writes and seeds, even with `unknownFields: 'keep'`) nor returned, is not searched by
   * `search?phone=`/`word=`, and search criteria or a COQL query naming it answer HTTP 400 `INVALID_QUERY`
   * naming the field (`api_name` / `column_name`). Only optional standard fields can be absent: `Owner`,
   * mandatory, read-only and system fields (and `Call_Duration`) cannot; naming one throws a `TypeError`.
   * @default {}
   */
  absentFields?: Partial<Record<EmulatorModule, readonly string[]>>;
  /** Custom fields per module, e.g. `{ Contacts: [{ apiName: 'Work_Phone', dataType: 'phone' }] }`. */
  fields?: Partial<Record<EmulatorModule, readonly EmulatorFieldInit[]>>;
  /** Fields that refuse duplicate values per module (added as text fields when unknown), e.g. `{ Calls: ['PBX_Call_ID'] }`. */
  uniqueFields?: Partial<Record<EmulatorModule, readonly string[]>>;
  /** Clock in epoch ms. `advanceTime()` adds to it. @default Date.now */
  now?: () => number;
  /** How many requests the request log keeps. @default 1000 */
  requestLogSize?: number;
}

/**
 * Fault injection (`faults()`); each field is optional and they combine.
 * @example
 * ```ts
 * emu.faults({ status: 503, rate: 0.5, target: 'api' }); // half the CRM calls fail with 503
 * emu.faults({ latencyMs: 300, jitterMs: 100 });           // every call is slow
 * emu.faults({ lostAnswer: 'timeout', every: 3 });         // every 3rd write is stored, its answer lost
 * emu.faults(null);                                        // back to normal
 * ```
 * @group Emulator
 */
export interface Faults {
  /** Delay every affected request by this many ms before answering (held while counting toward concurrency). */
  latencyMs?: number;
  /** Add a random 0..jitterMs to the latency. */
  jitterMs?: number;
  /** Answer with this HTTP status (a Zoho error envelope; `INTERNAL_ERROR` for 5xx, `TOO_MANY_REQUESTS` for 429). */
  status?: number;
  /** Fraction (0..1) of affected requests that get `status` or a dropped connection. @default 1 */
  rate?: number;
  /** Zoho is down: every affected request gets HTTP 503 with an HTML body. `{ forMs }` ends it after that long (emulator clock). */
  outage?: boolean | OutageWindow;
  /** Close the connection without an answer (msw: a network error). Combined with `rate`. */
  dropConnections?: boolean;
  /**
   * The write is stored, then its answer is lost: the client sees a timeout (`'timeout'`: the answer is
   * held until the client gives up, at most 60 s), a dropped connection (`'drop'`) or a 500 (`'error'`).
   * Applies to record writes (insert, update, upsert, delete, notes) hit by `rate` or `every`; the
   * request log says `stored; answer lost …`. Models Zoho completing an insert the client gave up on.
   */
  lostAnswer?: 'timeout' | 'drop' | 'error';
  /**
   * Count-based instead of `rate`: the faults hit every `every`-th request they consider (1 = all), so a
   * run is the same every time. Counting restarts with each `faults()` call.
   */
  every?: number;
  /** Which server the faults apply to. @default 'all' */
  target?: 'all' | 'accounts' | 'api';
}

/**
 * An outage that ends by itself.
 * @example
 * ```ts
 * emu.faults({ outage: { forMs: 5 * 60_000 } });
 * ```
 * @group Emulator
 */
export interface OutageWindow {
  /** How long the outage lasts, in ms of emulator time (`advanceTime()` moves through it). */
  forMs: number;
}

/**
 * What the emulator has seen since start or `reset()`.
 * @example
 * ```ts
 * const { refreshes, creditsUsed, requests } = emu.stats();
 * ```
 * @group Emulator
 */
export interface EmulatorStats {
  /** Requests per endpoint, e.g. `{ 'GET /crm/v8/Contacts/search': 3, 'POST /oauth/v2/token': 1 }`. */
  requests: Record<string, number>;
  /** All requests. */
  totalRequests: number;
  /** Responses per HTTP status, e.g. `{ '200': 4, '204': 1 }`. */
  statuses: Record<string, number>;
  /** Credits used in the current rolling 24 hours. */
  creditsUsed: number;
  /** Credits allowed per rolling 24 hours. */
  creditLimit: number;
  /** Credits left in the current window. */
  creditsRemaining: number;
  /** Successful `authorization_code` grants. */
  tokenGrants: number;
  /** Successful `refresh_token` grants. */
  refreshes: number;
  /** Token calls refused with the "Access Denied" throttle. */
  oauthThrottled: number;
  /** Successful revocations. */
  revocations: number;
  /** HTTP 429 answers sent (credits or concurrency). */
  tooManyRequests: number;
  /** Highest number of CRM calls in flight at once. */
  concurrentPeak: number;
  /** CRM calls in flight now. */
  inFlight: number;
  /** Requests that a fault changed (status, dropped, outage). */
  faultsInjected: number;
}

/**
 * One entry of the request log. Secrets (tokens, codes, client secrets) never appear.
 * @example
 * ```ts
 * for (const e of emu.requestLog()) console.log(e.status, e.method, e.url, e.error ?? '');
 * ```
 * @group Emulator
 */
export interface RequestLogEntry {
  /** When the request arrived (emulator clock, ISO 8601). */
  time: string;
  /** HTTP method. */
  method: string;
  /** Path and query, with secret query values replaced by `[REDACTED]`. */
  url: string;
  /** Data centre addressed (lower case), if any. */
  dataCenter?: string;
  /** Endpoint key as in `stats().requests`. */
  endpoint: string;
  /** HTTP status answered (0 for a dropped connection). */
  status: number;
  /** Zoho error code of the answer, if any (`INVALID_TOKEN`, `invalid_code`, ...). */
  error?: string;
  /** Time to answer in ms (wall clock). */
  durationMs: number;
}

/**
 * A live notification channel of the emulated org (`GET /actions/watch` sees the same).
 * @example
 * ```ts
 * const [channel]: EmulatorNotificationChannel[] = emu.notificationChannels();
 * ```
 * @group Emulator
 */
export interface EmulatorNotificationChannel {
  /** The channel's id. */
  channelId: string;
  /** What it watches, e.g. `['Contacts.all', 'Leads.all']`. */
  events: string[];
  /** Where notifications go. */
  notifyUrl: string;
  /** When it expires (emulator clock, ISO 8601). */
  expiresAt: string;
}

/**
 * One notification the emulator POSTed to a channel's notify URL, and how it went.
 * @example
 * ```ts
 * const [delivery]: NotificationDelivery[] = await emu.notificationsDelivered();
 * expect(delivery).toMatchObject({ module: 'Contacts', operation: 'update', status: 204 });
 * ```
 * @group Emulator
 */
export interface NotificationDelivery {
  /** When it was sent (emulator clock, ISO 8601). */
  time: string;
  /** The channel. */
  channelId: string;
  /** The notify URL without its query string. */
  notifyUrl: string;
  /** The module. */
  module: EmulatorModule;
  /** What happened to the records. */
  operation: 'insert' | 'update' | 'delete';
  /** The records. */
  ids: string[];
  /** The receiver's HTTP status; 0 when no answer came (see `error`). */
  status: number;
  /** Why the delivery failed (connection refused, timeout), if it did. */
  error?: string;
}

/**
 * Tokens minted by `issueTokens()` without the OAuth dance.
 * @example
 * ```ts
 * const { accessToken }: IssuedTokens = emu.issueTokens();
 * ```
 * @group Emulator
 */
export interface IssuedTokens {
  /** Access token (`Zoho-oauthtoken <accessToken>`). */
  accessToken: string;
  /** Refresh token. */
  refreshToken: string;
  /** Lifetime of the access token in seconds. */
  expiresIn: number;
  /** Granted scopes. */
  scopes: string[];
  /** The user the tokens belong to. */
  userId: string;
  /** The client the tokens belong to. */
  clientId: string;
}

/**
 * Options of `seed()`.
 * @example
 * ```ts
 * emu.seed('Leads', [{ Last_Name: 'Doe', Work_Phone: '+1 212 555 0100' }], {
 *   fields: [{ apiName: 'Work_Phone', dataType: 'phone' }],
 * });
 * ```
 * @group Emulator
 */
export interface SeedOptions {
  /** Custom fields to add to the module before seeding (e.g. extra phone fields). */
  fields?: readonly EmulatorFieldInit[];
  /** Seeded records are normally searchable at once; `false` applies `searchIndexDelayMs` to them too. @default true */
  indexed?: boolean;
}

/**
 * The control surface shared by the emulator state and a running server: seed data, read what was
 * written, inspect traffic, inject faults and move time.
 * @example
 * ```ts
 * function seedDirectory(emu: ZohoEmulatorControl) {
 *   emu.seed('Contacts', [{ Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
 * }
 * ```
 * @group Emulator
 */
export interface ZohoEmulatorControl {
  /** Data centre of the organisation (upper case). */
  readonly dataCenter: RegionCode;
  /** CRM edition. */
  readonly edition: Edition;
  /** The organisation's users (copies). */
  readonly users: readonly EmulatorUser[];
  /**
   * Registers an OAuth client (kept until `reset()` unless it came from the options).
   * @example
   * ```ts
   * emu.registerClient({ clientId: '1000.ABC', clientSecret: 's3cret', redirectUris: ['http://localhost/cb'] });
   * ```
   */
  registerClient(client: EmulatorClientInit): void;
  /**
   * Adds a user to the organisation.
   * @returns The user as `GET /users` reports it.
   * @example
   * ```ts
   * const agent = emu.addUser({ email: 'grace@example.com', lastName: 'Hopper', extension: '102' });
   * ```
   */
  addUser(user: EmulatorUserInit): EmulatorUser;
  /**
   * Adds a custom field to a module (a phone field is searched by `search?phone=` at once).
   * @example
   * ```ts
   * emu.addField('Contacts', { apiName: 'Work_Phone', dataType: 'phone' });
   * ```
   */
  addField(module: EmulatorModule, field: EmulatorFieldInit): void;
  /**
   * Stores records as if they had always been in the CRM (no validation beyond shape, searchable at once).
   * `Owner` defaults to the first user; lookups may be given as `{ id }` or, for `Account_Name`, as a name.
   * @returns The new record ids (19-digit strings), in order.
   * @example
   * ```ts
   * const [id] = emu.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
   * ```
   */
  seed(module: EmulatorModule, records: readonly Record<string, unknown>[], options?: SeedOptions): string[];
  /**
   * Changes a record as a user would in Zoho's UI: the values are stored as given, `Modified_Time` moves,
   * the record is searchable at once, and watching notification channels are notified.
   * @example
   * ```ts
   * emu.updateRecord('Contacts', id, { Phone: '+1 415 555 0000' });
   * ```
   */
  updateRecord(module: EmulatorModule, id: string, values: Record<string, unknown>): void;
  /**
   * Deletes a record as a user would in Zoho's UI (watching notification channels are notified).
   * @returns Whether the record existed.
   * @example
   * ```ts
   * emu.deleteRecord('Contacts', id);
   * ```
   */
  deleteRecord(module: EmulatorModule, id: string): boolean;
  /**
   * The org's live notification channels (`/actions/watch`), expired ones left out.
   * @example
   * ```ts
   * expect(emu.notificationChannels()).toHaveLength(1);
   * ```
   */
  notificationChannels(): EmulatorNotificationChannel[];
  /**
   * Waits until every change notification sent so far was answered (or failed), then returns every
   * delivery since start or `reset()` (the last 1,000), oldest first. No sleeping needed in tests.
   * @example
   * ```ts
   * emu.updateRecord('Contacts', id, { Phone: '+1 415 555 0000' });
   * const deliveries = await emu.notificationsDelivered();
   * ```
   */
  notificationsDelivered(): Promise<NotificationDelivery[]>;
  /**
   * Every record of a module as `GET /{Module}/{id}` returns it (copies), oldest first.
   * @example
   * ```ts
   * const calls = emu.records('Calls');
   * ```
   */
  records(module: EmulatorModule): Record<string, unknown>[];
  /**
   * Counters since start or `reset()`.
   * @example
   * ```ts
   * expect(emu.stats().refreshes).toBe(1);
   * ```
   */
  stats(): EmulatorStats;
  /**
   * Sets fault injection (replacing earlier faults); `null` clears it.
   * @example
   * ```ts
   * emu.faults({ outage: { forMs: 60_000 } });
   * ```
   */
  faults(faults: Faults | null): void;
  /**
   * The most recent requests, oldest first, secrets redacted.
   * @example
   * ```ts
   * const last = emu.requestLog().at(-1);
   * ```
   */
  requestLog(): RequestLogEntry[];
  /**
   * Back to the state right after start: clears records, tokens, codes, runtime clients and users,
   * stats, faults, the log, spent credits and the time offset.
   * @example
   * ```ts
   * afterEach(() => emu.reset());
   * ```
   */
  reset(): void;
  /**
   * The emulator's current time in epoch ms (the clock plus `advanceTime()`).
   * @example
   * ```ts
   * const t = emu.now();
   * ```
   */
  now(): number;
  /**
   * Moves the emulator's clock forward, e.g. past the 10-minute token window or the 24-hour credit window.
   * @example
   * ```ts
   * emu.advanceTime(10 * 60_000);
   * ```
   */
  advanceTime(ms: number): void;
  /**
   * Expires every access token now (the next CRM call with one gets 401 `INVALID_TOKEN`).
   * @example
   * ```ts
   * emu.expireAccessTokens();
   * ```
   */
  expireAccessTokens(): void;
  /**
   * Revokes a refresh token and its access tokens, as if the user removed the app.
   * @returns Whether the token existed.
   * @example
   * ```ts
   * emu.revokeRefreshToken(refreshToken);
   * ```
   */
  revokeRefreshToken(refreshToken: string): boolean;
  /**
   * Mints tokens directly, without the consent page or the token endpoint (limits still apply).
   * @param options - Client (default: the first registered), user id (default: the first user) and scopes
   *   (default: `ZohoCRM.modules.ALL`, `ZohoCRM.settings.ALL`, `ZohoCRM.users.ALL`, `ZohoCRM.org.ALL`,
   *   `ZohoCRM.coql.READ`, `ZohoSearch.securesearch.READ`).
   * @example
   * ```ts
   * const { accessToken } = emu.issueTokens({ scopes: ['ZohoCRM.modules.contacts.READ'] });
   * ```
   */
  issueTokens(options?: { clientId?: string; userId?: string; scopes?: readonly string[] }): IssuedTokens;
  /**
   * Spends credits as if other integrations had used the API (to test exhaustion without thousands of calls).
   * @example
   * ```ts
   * emu.consumeCredits(emu.stats().creditsRemaining);
   * ```
   */
  consumeCredits(credits: number): void;
}

/**
 * The emulator's in-memory state and control surface, independent of any transport. Pass it to
 * `zohoHandlers()` (msw) or `createZohoRouter()`; a running server exposes its own as `emu.state`.
 * @example
 * ```ts
 * const state: ZohoEmulatorState = createZohoEmulatorState({ autoConsent: true });
 * ```
 * @group Emulator
 */
export interface ZohoEmulatorState extends ZohoEmulatorControl {
  /** Brand that lets the router recognise a state object. */
  readonly kind: 'zoho-emulator-state';
}
