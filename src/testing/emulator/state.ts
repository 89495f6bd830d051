/**
 * The emulator's in-memory state: the organisation, OAuth clients and tokens, CRM records, limits,
 * stats, faults and the request log. Transport-neutral: the router reads and writes it, the control
 * surface (`seed`, `records`, `stats`, ...) is its public face.
 * @internal
 * @module
 */
import { dailyCredits, EDITIONS, type Edition } from '../../editions.js';
import type { RegionCode } from '../../regions.js';
import { EmulatorClock } from './clock.js';
import { callDurationSeconds } from './duration.js';
import { IdGenerator, zohoToken } from './ids.js';
import {
  addCustomField,
  createModules,
  type FieldDef,
  findModule,
  MODULE_NAMES,
  type ModuleDef,
} from './modules.js';
import { type ResolvedEmulatorOptions, resolveOptions } from './options.js';
import { PhoneIndex } from './phone-index.js';
import { createPhoneMatcher, type IndexedPhone, indexPhone, type PhoneMatcher } from './phone-match.js';
import { ScopeSet } from './scopes.js';
import { formatZohoDateTime } from './time.js';
import type {
  EmulatorClientInit,
  EmulatorFieldInit,
  EmulatorModule,
  EmulatorStats,
  EmulatorUser,
  EmulatorUserInit,
  Faults,
  IssuedTokens,
  RequestLogEntry,
  SeedOptions,
  ZohoEmulatorOptions,
  ZohoEmulatorState,
} from './types.js';

/** Default scopes of `issueTokens()`. */
export const DEFAULT_SCOPES: readonly string[] = Object.freeze([
  'ZohoCRM.modules.ALL',
  'ZohoCRM.settings.ALL',
  'ZohoCRM.users.ALL',
  'ZohoCRM.org.ALL',
  'ZohoCRM.coql.READ',
  'ZohoSearch.securesearch.READ',
]);

/** A registered OAuth client. */
export interface ClientRec {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: ReadonlySet<string>;
  readonly name: string;
  readonly fromOptions: boolean;
}

/** A user of the org. */
export interface UserRec {
  readonly json: EmulatorUser;
  readonly fromOptions: boolean;
}

/** A pending consent (between the consent page and Accept/Deny). */
export interface ConsentRec {
  readonly id: string;
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scopes: string[];
  readonly state: string | null;
  readonly offline: boolean;
  readonly promptConsent: boolean;
  readonly expiresAt: number;
}

/** A grant code. */
export interface CodeRec {
  readonly code: string;
  readonly clientId: string;
  readonly userId: string;
  readonly redirectUri: string;
  readonly scopes: string[];
  readonly offline: boolean;
  readonly promptConsent: boolean;
  readonly dc: RegionCode;
  readonly expiresAt: number;
  used: boolean;
}

/** A refresh token. */
export interface RefreshRec {
  readonly token: string;
  readonly clientId: string;
  readonly userId: string;
  readonly scopes: ScopeSet;
  readonly dc: RegionCode;
  readonly createdAt: number;
  /** Times access tokens were minted from it (rolling-window throttle). */
  grants: number[];
  /** Live access tokens, oldest first. */
  accessTokens: string[];
}

/** An access token. */
export interface AccessRec {
  readonly token: string;
  readonly clientId: string;
  readonly userId: string;
  readonly scopes: ScopeSet;
  readonly dc: RegionCode;
  readonly refreshToken: string | undefined;
  expiresAt: number;
}

/** What search sees of a record (a snapshot, so that an index delay can show the previous version). */
export interface SearchView {
  readonly data: Readonly<Record<string, unknown>>;
  readonly phones: readonly IndexedPhone[];
  readonly emails: readonly string[];
  readonly text: string;
}

/** A CRM record. */
export interface StoredRecord {
  readonly id: string;
  /** Insertion order (search results come out in it). */
  readonly seq: number;
  readonly module: EmulatorModule;
  data: Record<string, unknown>;
  readonly createdAt: number;
  modifiedAt: number;
  view: SearchView | undefined;
  pending: { at: number; view: SearchView } | undefined;
}

/** Whole-store counters. */
interface Counters {
  requests: Map<string, number>;
  statuses: Map<string, number>;
  totalRequests: number;
  tokenGrants: number;
  refreshes: number;
  oauthThrottled: number;
  revocations: number;
  tooManyRequests: number;
  concurrentPeak: number;
  faultsInjected: number;
}

/** Active faults with the outage end resolved. */
export interface ActiveFaults extends Faults {
  outageUntil?: number;
}

/** The implementation of {@link ZohoEmulatorState}. */
export class EmulatorStateImpl implements ZohoEmulatorState {
  readonly kind = 'zoho-emulator-state' as const;
  readonly options: ResolvedEmulatorOptions;
  readonly clock: EmulatorClock;
  readonly ids = new IdGenerator('5843104');
  /** Ids of metadata (modules, fields, roles, profiles), apart from record ids. */
  readonly metaIds = new IdGenerator('5843104', 100_001);
  readonly orgId: string;
  readonly phoneMatcher: PhoneMatcher;
  /** When the org was "created" (the emulator's start). */
  readonly createdAt: number;
  /** Whether the phone matching mode compares digits only (then the phone index can answer). */
  readonly phoneMatchByDigits: boolean;

  modules!: Map<EmulatorModule, ModuleDef>;
  usersById = new Map<string, UserRec>();
  clients = new Map<string, ClientRec>();
  consents = new Map<string, ConsentRec>();
  codes = new Map<string, CodeRec>();
  codeTimes = new Map<string, number[]>();
  refreshTokens = new Map<string, RefreshRec>();
  accessTokens = new Map<string, AccessRec>();
  recordMaps = new Map<EmulatorModule, Map<string, StoredRecord>>();
  /** Records per module in insertion order (search scans this). */
  recordLists = new Map<EmulatorModule, StoredRecord[]>();
  /** Phone-digit indexes per module (over what search sees). */
  phoneIndexes = new Map<EmulatorModule, PhoneIndex<StoredRecord>>();
  /** Values of duplicate-check fields (unique and system duplicate fields) per module → records. */
  keyIndexes = new Map<EmulatorModule, Map<string, Map<string, StoredRecord[]>>>();
  /** Records with a pending (delayed) search-index entry, per module. */
  pendingIndex = new Map<EmulatorModule, Set<StoredRecord>>();
  private seq = 0;
  inFlight = new Map<string, number>();
  heavyInFlight = new Map<string, number>();
  inFlightTotal = 0;
  activeFaults: ActiveFaults | undefined;
  /** Requests the active faults considered (for `every`). */
  private faultSeq = 0;

  private counters!: Counters;
  private log: RequestLogEntry[] = [];
  /** Credit ledger: [second, credits] buckets, oldest first. */
  private ledger: Array<[number, number]> = [];
  private ledgerSum = 0;

  constructor(options: ZohoEmulatorOptions = {}) {
    this.options = resolveOptions(options);
    this.clock = new EmulatorClock(this.options.now);
    this.createdAt = this.clock.now();
    this.orgId = `7${this.metaIds.id().slice(-8)}`;
    this.phoneMatcher = createPhoneMatcher(this.options.phoneMatch);
    this.phoneMatchByDigits =
      typeof this.options.phoneMatch === 'string' && this.options.phoneMatch.startsWith('digits-');
    this.init();
  }

  // --- Control surface ---

  get dataCenter(): RegionCode {
    return this.options.dataCenter;
  }

  get edition(): Edition {
    return this.options.edition;
  }

  get users(): readonly EmulatorUser[] {
    return [...this.usersById.values()].map((u) => structuredClone(u.json));
  }

  registerClient(client: EmulatorClientInit): void {
    this.addClient(client, false);
  }

  addUser(user: EmulatorUserInit): EmulatorUser {
    return structuredClone(this.addUserRec(user, false).json);
  }

  addField(module: EmulatorModule, field: EmulatorFieldInit): void {
    const def = this.moduleDef(module);
    addCustomField(def, field, this.metaIds.id());
    if (field.dataType === 'phone' || field.dataType === 'email') this.reindexAll(module);
    if (field.unique) this.reindexKeys(def);
  }

  seed(
    module: EmulatorModule,
    records: readonly Record<string, unknown>[],
    options: SeedOptions = {},
  ): string[] {
    const def = this.moduleDef(module);
    for (const f of options.fields ?? []) this.addField(module, f);
    const owner = this.firstUser();
    const ids: string[] = [];
    for (const [i, input] of records.entries()) {
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        throw new TypeError(`seed('${module}', records): records[${i}] is not an object`);
      }
      const values: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(input)) {
        if (key === 'id' || key === 'Created_Time' || key === 'Modified_Time') continue;
        if (def.absentFields.has(key) && !def.byName.has(key)) continue;
        values[key] = this.seedValue(def, key, value);
      }
      if (values.Owner === undefined) values.Owner = this.userRef(owner);
      if (def.apiName === 'Calls' && values.Call_Duration_in_seconds === undefined) {
        const seconds = callDurationSeconds(values.Call_Duration, this.options.durationReading);
        if (seconds !== undefined) values.Call_Duration_in_seconds = seconds;
      }
      const id = typeof input.id === 'string' && /^\d{1,19}$/.test(input.id) ? input.id : this.ids.id();
      if (this.recordMaps.get(module)?.has(id)) throw new TypeError(`seed('${module}'): duplicate id ${id}`);
      const createdAt = this.timeInput(input.Created_Time) ?? this.now();
      const modifiedAt = this.timeInput(input.Modified_Time) ?? createdAt;
      const rec = this.storeNew(def, id, values, owner, createdAt, modifiedAt);
      if (options.indexed !== false && rec.pending) this.setView(rec, rec.pending.view);
      ids.push(id);
    }
    return ids;
  }

  records(module: EmulatorModule): Record<string, unknown>[] {
    return (this.recordLists.get(this.moduleDef(module).apiName) ?? []).map((r) => structuredClone(r.data));
  }

  stats(): EmulatorStats {
    const now = this.now();
    const used = this.creditsUsed(now);
    const limit = this.creditLimit();
    const c = this.counters;
    return {
      requests: Object.fromEntries(c.requests),
      totalRequests: c.totalRequests,
      statuses: Object.fromEntries(c.statuses),
      creditsUsed: used,
      creditLimit: limit,
      creditsRemaining: Math.max(0, limit - used),
      tokenGrants: c.tokenGrants,
      refreshes: c.refreshes,
      oauthThrottled: c.oauthThrottled,
      revocations: c.revocations,
      tooManyRequests: c.tooManyRequests,
      concurrentPeak: c.concurrentPeak,
      inFlight: this.inFlightTotal,
      faultsInjected: c.faultsInjected,
    };
  }

  faults(faults: Faults | null): void {
    if (faults === null) {
      this.activeFaults = undefined;
      return;
    }
    const rate = faults.rate ?? 1;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError('faults.rate must be between 0 and 1');
    if (
      faults.status !== undefined &&
      !(Number.isInteger(faults.status) && faults.status >= 400 && faults.status <= 599)
    )
      throw new RangeError('faults.status must be an HTTP error status (400-599)');
    for (const key of ['latencyMs', 'jitterMs'] as const) {
      const v = faults[key];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0))
        throw new RangeError(`faults.${key} must be >= 0`);
    }
    if (faults.every !== undefined && !(Number.isInteger(faults.every) && faults.every >= 1))
      throw new RangeError('faults.every must be an integer >= 1');
    const active: ActiveFaults = { ...faults };
    this.faultSeq = 0;
    if (typeof faults.outage === 'object') active.outageUntil = this.now() + faults.outage.forMs;
    this.activeFaults = active;
  }

  /** Whether the active faults hit this request: every `every`-th one, else with probability `rate`. */
  faultHit(): boolean {
    const faults = this.activeFaults;
    if (!faults) return false;
    if (faults.every !== undefined) return ++this.faultSeq % faults.every === 0;
    return Math.random() < (faults.rate ?? 1);
  }

  requestLog(): RequestLogEntry[] {
    return this.log.map((e) => ({ ...e }));
  }

  reset(): void {
    this.clock.reset();
    this.init();
  }

  now(): number {
    return this.clock.now();
  }

  advanceTime(ms: number): void {
    this.clock.advance(ms);
  }

  expireAccessTokens(): void {
    const now = this.now();
    for (const t of this.accessTokens.values()) t.expiresAt = Math.min(t.expiresAt, now);
  }

  revokeRefreshToken(refreshToken: string): boolean {
    const rec = this.refreshTokens.get(refreshToken);
    if (!rec) return false;
    this.deleteRefreshToken(rec);
    return true;
  }

  issueTokens(
    options: { clientId?: string; userId?: string; scopes?: readonly string[] } = {},
  ): IssuedTokens {
    const client = options.clientId ? this.clients.get(options.clientId) : this.clients.values().next().value;
    if (!client) throw new TypeError('issueTokens(): no such client; register one first');
    const user = options.userId ? this.usersById.get(options.userId) : this.firstUser();
    if (!user) throw new TypeError('issueTokens(): no such user');
    const scopes = [...(options.scopes ?? DEFAULT_SCOPES)];
    const refresh = this.createRefreshToken(client.clientId, user.json.id, scopes);
    const access = this.mintAccessToken(refresh, client.clientId, user.json.id, refresh.scopes);
    return {
      accessToken: access.token,
      refreshToken: refresh.token,
      expiresIn: this.options.accessTokenTtlSeconds,
      scopes,
      userId: user.json.id,
      clientId: client.clientId,
    };
  }

  consumeCredits(credits: number): void {
    if (!(Number.isFinite(credits) && credits >= 0))
      throw new RangeError('consumeCredits(n): n must be >= 0');
    this.charge(credits);
  }

  // --- OAuth internals ---

  /** Creates a refresh token; the 21st for a user and client deletes the oldest (and its access tokens). */
  createRefreshToken(clientId: string, userId: string, scopes: readonly string[]): RefreshRec {
    const mine = [...this.refreshTokens.values()]
      .filter((r) => r.clientId === clientId && r.userId === userId)
      .sort((a, b) => a.createdAt - b.createdAt);
    while (mine.length >= this.options.oauthLimits.refreshTokensPerUser) {
      const oldest = mine.shift();
      if (oldest) this.deleteRefreshToken(oldest);
    }
    const rec: RefreshRec = {
      token: zohoToken(),
      clientId,
      userId,
      scopes: new ScopeSet(scopes),
      dc: this.dataCenter,
      createdAt: this.now(),
      grants: [],
      accessTokens: [],
    };
    this.refreshTokens.set(rec.token, rec);
    return rec;
  }

  /** Whether a refresh token has used up its grants in the current window (and, if not, records one). */
  throttleRefresh(rec: RefreshRec): boolean {
    const now = this.now();
    const { windowMs, accessTokensPerWindow } = this.options.oauthLimits;
    rec.grants = rec.grants.filter((t) => t > now - windowMs);
    if (rec.grants.length >= accessTokensPerWindow) return true;
    rec.grants.push(now);
    return false;
  }

  /** Whether a client has used up its grant codes in the current window (and, if not, records one). */
  throttleCode(clientId: string): boolean {
    const now = this.now();
    const { windowMs, grantCodesPerWindow } = this.options.oauthLimits;
    const times = (this.codeTimes.get(clientId) ?? []).filter((t) => t > now - windowMs);
    if (times.length >= grantCodesPerWindow) {
      this.codeTimes.set(clientId, times);
      return true;
    }
    times.push(now);
    this.codeTimes.set(clientId, times);
    return false;
  }

  /** Mints an access token; the 16th live one of a refresh token invalidates the oldest. */
  mintAccessToken(
    refresh: RefreshRec | undefined,
    clientId: string,
    userId: string,
    scopes: ScopeSet,
  ): AccessRec {
    const now = this.now();
    if (refresh) {
      refresh.accessTokens = refresh.accessTokens.filter((t) => {
        const a = this.accessTokens.get(t);
        if (a && a.expiresAt > now) return true;
        this.accessTokens.delete(t);
        return false;
      });
      while (refresh.accessTokens.length >= this.options.oauthLimits.liveAccessTokens) {
        const oldest = refresh.accessTokens.shift();
        if (oldest) this.accessTokens.delete(oldest);
      }
    }
    const rec: AccessRec = {
      token: zohoToken(),
      clientId,
      userId,
      scopes,
      dc: this.dataCenter,
      refreshToken: refresh?.token,
      expiresAt: now + this.options.accessTokenTtlSeconds * 1000,
    };
    this.accessTokens.set(rec.token, rec);
    refresh?.accessTokens.push(rec.token);
    return rec;
  }

  /** Deletes a refresh token and every access token minted from it. */
  deleteRefreshToken(rec: RefreshRec): void {
    for (const t of rec.accessTokens) this.accessTokens.delete(t);
    for (const [t, a] of this.accessTokens) if (a.refreshToken === rec.token) this.accessTokens.delete(t);
    this.refreshTokens.delete(rec.token);
  }

  /** Whether (user, client) already holds a refresh token (Zoho issues one only on first offline consent). */
  hasRefreshToken(clientId: string, userId: string): boolean {
    for (const r of this.refreshTokens.values())
      if (r.clientId === clientId && r.userId === userId) return true;
    return false;
  }

  addClient(client: EmulatorClientInit, fromOptions: boolean): void {
    if (!client || typeof client.clientId !== 'string' || client.clientId.length === 0)
      throw new TypeError('registerClient(): clientId must be a non-empty string');
    if (typeof client.clientSecret !== 'string' || client.clientSecret.length === 0)
      throw new TypeError('registerClient(): clientSecret must be a non-empty string');
    if (!Array.isArray(client.redirectUris) || client.redirectUris.length === 0)
      throw new TypeError('registerClient(): redirectUris must list at least one URI');
    for (const uri of client.redirectUris) {
      if (!URL.canParse(uri))
        throw new TypeError('registerClient(): every redirect URI must be an absolute URL');
    }
    this.clients.set(client.clientId, {
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUris: new Set(client.redirectUris),
      name: client.name ?? 'Test client',
      fromOptions,
    });
  }

  // --- Records ---

  /** The module definition by canonical name. */
  moduleDef(module: EmulatorModule | string): ModuleDef {
    const def = findModule(this.modules, module);
    if (!def)
      throw new TypeError(
        `unknown module ${JSON.stringify(module)}; expected one of ${MODULE_NAMES.join(', ')}`,
      );
    return def;
  }

  /** A record by module and id. */
  findRecord(module: EmulatorModule, id: string): StoredRecord | undefined {
    return this.recordMaps.get(module)?.get(id);
  }

  /** A record by id in any module. */
  findAnyRecord(id: string): StoredRecord | undefined {
    for (const m of this.recordMaps.values()) {
      const r = m.get(id);
      if (r) return r;
    }
    return undefined;
  }

  /** Stores a new record (values already validated and normalised). */
  storeNew(
    def: ModuleDef,
    id: string,
    values: Record<string, unknown>,
    by: UserRec,
    createdAt = this.now(),
    modifiedAt = createdAt,
  ): StoredRecord {
    const ref = this.userRef(by);
    const data: Record<string, unknown> = { id, ...values };
    data.Created_Time = formatZohoDateTime(createdAt, this.options.timeZone);
    data.Modified_Time = formatZohoDateTime(modifiedAt, this.options.timeZone);
    data.Created_By = ref;
    data.Modified_By = ref;
    finishRecord(def, data);
    const rec: StoredRecord = {
      id,
      seq: this.seq++,
      module: def.apiName,
      data,
      createdAt,
      modifiedAt,
      view: undefined,
      pending: undefined,
    };
    this.scheduleIndex(def, rec);
    this.indexKeys(def, rec, true);
    this.recordMaps.get(def.apiName)?.set(id, rec);
    this.recordLists.get(def.apiName)?.push(rec);
    return rec;
  }

  /** Applies an update (values already validated and normalised). */
  storeUpdate(def: ModuleDef, rec: StoredRecord, values: Record<string, unknown>, by: UserRec): void {
    const now = this.now();
    const oldName = rec.data[def.nameField];
    this.indexKeys(def, rec, false);
    Object.assign(rec.data, values);
    rec.modifiedAt = now;
    rec.data.Modified_Time = formatZohoDateTime(now, this.options.timeZone);
    rec.data.Modified_By = this.userRef(by);
    finishRecord(def, rec.data);
    this.indexKeys(def, rec, true);
    this.scheduleIndex(def, rec);
    if (rec.data[def.nameField] !== oldName) this.refreshNamesPointingAt(rec);
  }

  /** Records of a module whose duplicate-check field has this (normalised) value. */
  findByKey(module: EmulatorModule, field: string, key: string): readonly StoredRecord[] {
    return this.keyIndexes.get(module)?.get(field)?.get(key) ?? [];
  }

  /** Adds or removes a record's duplicate-check values to or from the key index. */
  private indexKeys(def: ModuleDef, rec: StoredRecord, add: boolean): void {
    const byField = this.keyIndexes.get(def.apiName);
    if (!byField) return;
    for (const field of keyFields(def)) {
      const key = normalizeKey(rec.data[field]);
      if (key === undefined) continue;
      let byKey = byField.get(field);
      if (!byKey) {
        byKey = new Map();
        byField.set(field, byKey);
      }
      const list = byKey.get(key) ?? [];
      if (add) {
        if (!list.includes(rec)) list.push(rec);
        byKey.set(key, list);
      } else {
        const i = list.indexOf(rec);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) byKey.delete(key);
      }
    }
  }

  /** Rebuilds a module's key index (after a field became unique). */
  private reindexKeys(def: ModuleDef): void {
    this.keyIndexes.set(def.apiName, new Map());
    for (const rec of this.recordLists.get(def.apiName) ?? []) this.indexKeys(def, rec, true);
  }

  /** Deletes a record. */
  deleteRecord(rec: StoredRecord): void {
    this.setView(rec, undefined);
    this.indexKeys(this.moduleDef(rec.module), rec, false);
    this.recordMaps.get(rec.module)?.delete(rec.id);
    const list = this.recordLists.get(rec.module);
    if (list) {
      const i = list.indexOf(rec);
      if (i >= 0) list.splice(i, 1);
    }
  }

  /** What search sees of a record now (promoting a pending index entry whose delay has passed). */
  searchView(rec: StoredRecord, now: number): SearchView | undefined {
    if (rec.pending && now >= rec.pending.at) this.setView(rec, rec.pending.view);
    return rec.view;
  }

  /**
   * Candidates for a digit-based phone search, in insertion order, or undefined when the index cannot
   * answer (short query): the caller then scans. Due pending index entries are promoted first.
   */
  phoneCandidates(module: EmulatorModule, queryDigits: string, now: number): StoredRecord[] | undefined {
    const pending = this.pendingIndex.get(module);
    if (pending && pending.size > 0) for (const rec of [...pending]) this.searchView(rec, now);
    return this.phoneIndexes
      .get(module)
      ?.candidates(queryDigits, this.options.phoneMatch !== 'digits-suffix');
  }

  /** Makes `view` what search sees of a record (undefined: nothing), keeping the phone index current. */
  private setView(rec: StoredRecord, view: SearchView | undefined): void {
    const index = this.phoneIndexes.get(rec.module);
    if (rec.view)
      index?.remove(
        rec,
        rec.view.phones.map((p) => p.digits),
      );
    rec.view = view;
    if (view)
      index?.add(
        rec,
        view.phones.map((p) => p.digits),
      );
    rec.pending = undefined;
    this.pendingIndex.get(rec.module)?.delete(rec);
  }

  /** `{ name, id }` of a record, as lookups show it. */
  recordRef(rec: StoredRecord): { name: string; id: string } {
    const def = this.moduleDef(rec.module);
    const name = rec.data[def.nameField];
    return { name: typeof name === 'string' ? name : '', id: rec.id };
  }

  // --- Users ---

  /** `{ name, id, email }` of a user, as Owner fields show it. */
  userRef(user: UserRec): { name: string; id: string; email: string } {
    return { name: user.json.full_name, id: user.json.id, email: user.json.email };
  }

  firstUser(): UserRec {
    const first = this.usersById.values().next().value;
    if (!first) throw new Error('the emulated org has no users');
    return first;
  }

  // --- Limits ---

  /** Credits allowed per rolling 24 hours. */
  creditLimit(): number {
    if (this.options.creditLimit !== undefined) return this.options.creditLimit;
    const users = this.options.licensedUsers ?? this.usersById.size;
    return dailyCredits(this.edition, users, this.options.addOnCredits);
  }

  /** Concurrent CRM calls allowed per client. */
  concurrencyLimit(): number {
    return this.options.concurrencyLimit ?? EDITIONS[this.edition].concurrency;
  }

  /** Sub-concurrency for resource-heavy calls (bulk writes over 10 records, COQL). */
  subConcurrencyLimit(): number {
    return Math.min(EDITIONS[this.edition].subConcurrency, this.concurrencyLimit());
  }

  /** Credits used in the rolling 24 hours ending now. */
  creditsUsed(now = this.now()): number {
    const cutoff = Math.floor((now - 86_400_000) / 1000);
    let drop = 0;
    while (drop < this.ledger.length && (this.ledger[drop]?.[0] ?? Infinity) <= cutoff) {
      this.ledgerSum -= this.ledger[drop]?.[1] ?? 0;
      drop++;
    }
    if (drop > 0) this.ledger.splice(0, drop);
    return this.ledgerSum;
  }

  /** Seconds until at least one credit is free again (for `Retry-After`). */
  secondsUntilCredit(now = this.now()): number {
    const first = this.ledger[0];
    if (!first) return 1;
    return Math.max(1, first[0] + 86_400 - Math.floor(now / 1000));
  }

  /** Spends credits now. */
  charge(credits: number): void {
    if (credits <= 0) return;
    const second = Math.floor(this.now() / 1000);
    const last = this.ledger.at(-1);
    if (last && last[0] === second) last[1] += credits;
    else this.ledger.push([second, credits]);
    this.ledgerSum += credits;
  }

  /** Tries to take a concurrency slot for a client (org per app). */
  acquire(clientId: string): boolean {
    const current = this.inFlight.get(clientId) ?? 0;
    if (current >= this.concurrencyLimit()) return false;
    this.inFlight.set(clientId, current + 1);
    this.inFlightTotal++;
    if (this.inFlightTotal > this.counters.concurrentPeak) this.counters.concurrentPeak = this.inFlightTotal;
    return true;
  }

  /** Gives a concurrency slot back. */
  release(clientId: string): void {
    this.inFlight.set(clientId, Math.max(0, (this.inFlight.get(clientId) ?? 1) - 1));
    this.inFlightTotal = Math.max(0, this.inFlightTotal - 1);
  }

  /** Tries to take a sub-concurrency slot (resource-heavy calls). */
  acquireHeavy(clientId: string): boolean {
    const current = this.heavyInFlight.get(clientId) ?? 0;
    if (current >= this.subConcurrencyLimit()) return false;
    this.heavyInFlight.set(clientId, current + 1);
    return true;
  }

  /** Gives a sub-concurrency slot back. */
  releaseHeavy(clientId: string): void {
    this.heavyInFlight.set(clientId, Math.max(0, (this.heavyInFlight.get(clientId) ?? 1) - 1));
  }

  // --- Stats and log ---

  count(
    field:
      | 'tokenGrants'
      | 'refreshes'
      | 'oauthThrottled'
      | 'revocations'
      | 'tooManyRequests'
      | 'faultsInjected',
  ): void {
    this.counters[field]++;
  }

  /** Records one answered request. */
  recordRequest(entry: RequestLogEntry): void {
    const c = this.counters;
    c.totalRequests++;
    c.requests.set(entry.endpoint, (c.requests.get(entry.endpoint) ?? 0) + 1);
    const status = String(entry.status);
    c.statuses.set(status, (c.statuses.get(status) ?? 0) + 1);
    if (entry.status === 429) c.tooManyRequests++;
    if (this.options.requestLogSize > 0) {
      this.log.push(entry);
      if (this.log.length > this.options.requestLogSize) this.log.shift();
    }
  }

  // --- Internal helpers ---

  private init(): void {
    this.modules = createModules(() => this.metaIds.id(), this.options.absentFields);
    for (const module of MODULE_NAMES) {
      for (const f of this.options.fields[module] ?? [])
        addCustomField(this.moduleDef(module), f, this.metaIds.id());
      for (const name of this.options.uniqueFields[module] ?? []) {
        addCustomField(
          this.moduleDef(module),
          { apiName: name, dataType: 'text', unique: true },
          this.metaIds.id(),
        );
      }
    }
    this.usersById = new Map();
    for (const u of this.options.users) this.addUserRec(u, true);
    this.clients = new Map();
    for (const c of this.options.clients) this.addClient(c, true);
    this.consents = new Map();
    this.codes = new Map();
    this.codeTimes = new Map();
    this.refreshTokens = new Map();
    this.accessTokens = new Map();
    this.recordMaps = new Map(MODULE_NAMES.map((m) => [m, new Map()]));
    this.recordLists = new Map(MODULE_NAMES.map((m) => [m, []]));
    this.phoneIndexes = new Map(MODULE_NAMES.map((m) => [m, new PhoneIndex<StoredRecord>()]));
    this.pendingIndex = new Map(MODULE_NAMES.map((m) => [m, new Set<StoredRecord>()]));
    this.keyIndexes = new Map(MODULE_NAMES.map((m) => [m, new Map()]));
    this.inFlight = new Map();
    this.heavyInFlight = new Map();
    this.inFlightTotal = 0;
    this.activeFaults = undefined;
    this.log = [];
    this.ledger = [];
    this.ledgerSum = 0;
    this.counters = {
      requests: new Map(),
      statuses: new Map(),
      totalRequests: 0,
      tokenGrants: 0,
      refreshes: 0,
      oauthThrottled: 0,
      revocations: 0,
      tooManyRequests: 0,
      concurrentPeak: 0,
      faultsInjected: 0,
    };
  }

  private addUserRec(init: EmulatorUserInit, fromOptions: boolean): UserRec {
    if (!init || typeof init.email !== 'string' || !init.email.includes('@'))
      throw new TypeError('users: every user needs an e-mail address');
    if (typeof init.lastName !== 'string' || init.lastName.length === 0)
      throw new TypeError('users: every user needs a lastName');
    const first = this.usersById.size === 0;
    const id = init.id ?? this.ids.id();
    if (!/^\d{1,19}$/.test(id)) throw new TypeError('users: a user id must be a numeric string');
    if (this.usersById.has(id)) throw new TypeError(`users: duplicate user id ${id}`);
    const firstName = init.firstName ?? '';
    const json: EmulatorUser = {
      id,
      zuid: String(60_000_000 + this.usersById.size + 1),
      email: init.email,
      first_name: firstName,
      last_name: init.lastName,
      full_name: `${firstName} ${init.lastName}`.trim(),
      status: init.status ?? 'active',
      role: { name: init.role ?? (first ? 'CEO' : 'Manager'), id: this.metaIds.id() },
      profile: { name: init.profile ?? (first ? 'Administrator' : 'Standard'), id: this.metaIds.id() },
      time_zone: this.options.timeZone,
      phone: init.phone ?? null,
      mobile: init.mobile ?? null,
      Extension: init.extension ?? null,
      confirm: true,
    };
    const rec: UserRec = { json, fromOptions };
    this.usersById.set(id, rec);
    return rec;
  }

  private seedValue(def: ModuleDef, key: string, value: unknown): unknown {
    const field = def.byName.get(key);
    if (!field || value === null || value === undefined) return value;
    if (field.dataType === 'ownerlookup') {
      const id = lookupId(value);
      const user = id ? this.usersById.get(id) : undefined;
      if (!user) throw new TypeError(`seed('${def.apiName}'): ${key} names no user of the org`);
      return this.userRef(user);
    }
    if (field.dataType === 'lookup') {
      const id = lookupId(value);
      if (id) {
        const target = this.findAnyRecord(id);
        return target ? this.recordRef(target) : { name: '', id };
      }
      if (typeof value === 'string' && field.lookup === 'Accounts') {
        const account = (this.recordLists.get('Accounts') ?? []).find((a) => a.data.Account_Name === value);
        return account ? this.recordRef(account) : { name: value, id: null };
      }
      return value;
    }
    if (field.dataType === 'datetime' && typeof value === 'string') {
      const ms = Date.parse(value);
      return Number.isNaN(ms) ? value : formatZohoDateTime(ms, this.options.timeZone);
    }
    return value;
  }

  private timeInput(value: unknown): number | undefined {
    if (typeof value !== 'string') return undefined;
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? undefined : ms;
  }

  private scheduleIndex(def: ModuleDef, rec: StoredRecord): void {
    const view = buildSearchView(def, rec.data);
    const delay = this.options.searchIndexDelayMs;
    if (delay <= 0) {
      this.setView(rec, view);
    } else {
      rec.pending = { at: this.now() + delay, view };
      this.pendingIndex.get(rec.module)?.add(rec);
    }
  }

  private reindexAll(module: EmulatorModule): void {
    const def = this.moduleDef(module);
    for (const rec of this.recordLists.get(def.apiName) ?? []) {
      const pending = rec.pending;
      if (rec.view) this.setView(rec, buildSearchView(def, rec.view.data));
      if (pending) {
        rec.pending = { at: pending.at, view: buildSearchView(def, pending.view.data) };
        this.pendingIndex.get(rec.module)?.add(rec);
      }
    }
  }

  /** Keeps `{ name, id }` lookups current when a record's name changes. */
  private refreshNamesPointingAt(target: StoredRecord): void {
    const ref = this.recordRef(target);
    for (const list of this.recordLists.values()) {
      for (const rec of list) {
        for (const value of Object.values(rec.data)) {
          if (value && typeof value === 'object' && (value as { id?: unknown }).id === target.id) {
            (value as { name?: unknown }).name = ref.name;
          }
        }
      }
    }
  }
}

/** The fields the key index covers: unique fields and the module's system duplicate-check fields. */
function keyFields(def: ModuleDef): string[] {
  const out = new Set(def.systemDuplicateFields);
  for (const f of def.fields) if (f.unique) out.add(f.apiName);
  return [...out];
}

/** The comparable form of a duplicate-check value (case-insensitive, trimmed; lookups by id). */
export function normalizeKey(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim().toLowerCase();
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') {
    return (value as { id: string }).id;
  }
  return undefined;
}

/** Fills computed fields (Full_Name). */
function finishRecord(def: ModuleDef, data: Record<string, unknown>): void {
  if (def.byName.has('Full_Name')) {
    const first = typeof data.First_Name === 'string' ? data.First_Name : '';
    const last = typeof data.Last_Name === 'string' ? data.Last_Name : '';
    data.Full_Name = `${first} ${last}`.trim();
  }
}

/** The search snapshot of a record: phone digits and e-mails prepared once. */
export function buildSearchView(def: ModuleDef, data: Record<string, unknown>): SearchView {
  const phones: IndexedPhone[] = [];
  const emails: string[] = [];
  const text: string[] = [];
  for (const field of def.fields) {
    const value = data[field.apiName];
    if (typeof value !== 'string' || value.length === 0) continue;
    if (field.dataType === 'phone') phones.push(indexPhone(field.apiName, value));
    else if (field.dataType === 'email') emails.push(value.trim().toLowerCase());
    if (isWordSearchable(field)) text.push(value.toLowerCase());
  }
  const lookupNames = ['Account_Name', 'Who_Id', 'What_Id']
    .map((k) => data[k])
    .filter(
      (v): v is { name: string } =>
        !!v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string',
    );
  for (const l of lookupNames) text.push(l.name.toLowerCase());
  return { data: { ...data }, phones, emails, text: text.join('\n') };
}

function isWordSearchable(field: FieldDef): boolean {
  return (
    field.dataType === 'text' ||
    field.dataType === 'textarea' ||
    field.dataType === 'email' ||
    field.dataType === 'phone' ||
    field.dataType === 'website' ||
    field.dataType === 'picklist'
  );
}

/** The id of a lookup value: `{ id }`, or a plain id string. */
export function lookupId(value: unknown): string | undefined {
  if (typeof value === 'string' && /^\d{1,19}$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const id = (value as { id?: unknown }).id;
    if (typeof id === 'string' && /^\d{1,19}$/.test(id)) return id;
    if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  }
  return undefined;
}
