/**
 * The emulator's in-memory state and its control surface (`seed`, `records`, `stats`, ...), transport-
 * neutral: the router reads and writes it. It composes parts with one job each:
 * - {@link Org}: modules, fields and users;
 * - {@link OAuthStore}: clients, consents, codes, tokens and the token limits;
 * - {@link RecordStore}: records with their key, phone and search-delay indexes;
 * - {@link Limits}: API credits and concurrency;
 * - {@link Traffic}: counters and the request log;
 * - {@link FaultInjector}: the faults set by `faults()`.
 *
 * `reset()` rebuilds every part from the options.
 * @internal
 * @module
 */
import type { Edition } from '../../editions.js';
import type { RegionCode } from '../../regions.js';
import { EmulatorClock } from './clock.js';
import { FaultInjector } from './fault-injector.js';
import { IdGenerator } from './ids.js';
import { Limits } from './limits.js';
import { Notifications } from './notifications.js';
import { EMULATOR_GRANTED_SCOPES, OAuthStore } from './oauth-store.js';
import { type ResolvedEmulatorOptions, resolveOptions } from './options.js';
import { Org } from './org.js';
import { RecordStore } from './record-store.js';
import { seedRecords } from './seed.js';
import { Traffic } from './traffic.js';
import type {
  EmulatorClientInit,
  EmulatorFieldInit,
  EmulatorModule,
  EmulatorNotificationChannel,
  EmulatorStats,
  EmulatorUser,
  EmulatorUserInit,
  Faults,
  IssuedTokens,
  NotificationDelivery,
  RequestLogEntry,
  SeedOptions,
  ZohoEmulatorOptions,
  ZohoEmulatorState,
} from './types.js';

/** The implementation of {@link ZohoEmulatorState}. */
export class EmulatorStateImpl implements ZohoEmulatorState {
  readonly kind = 'zoho-emulator-state' as const;
  readonly options: ResolvedEmulatorOptions;
  readonly clock: EmulatorClock;
  /** Record and user ids (they keep counting across `reset()`). */
  readonly ids = new IdGenerator('5843104');
  /** Ids of metadata (modules, fields, roles, profiles), apart from record ids. */
  readonly metaIds = new IdGenerator('5843104', 100_001);
  readonly orgId: string;
  /** When the org was "created" (the emulator's start). */
  readonly createdAt: number;

  /** Modules, fields and users. */
  org!: Org;
  /** Clients, consents, codes and tokens. */
  oauth!: OAuthStore;
  /** Records and their indexes. */
  store!: RecordStore;
  /** Credits and concurrency. */
  limits!: Limits;
  /** Counters and the request log. */
  traffic!: Traffic;
  /** Active fault injection. */
  faultInjector!: FaultInjector;
  /** Notification channels and deliveries. */
  notifications!: Notifications;

  constructor(options: ZohoEmulatorOptions = {}) {
    this.options = resolveOptions(options);
    this.clock = new EmulatorClock(this.options.now);
    this.createdAt = this.clock.now();
    this.orgId = `7${this.metaIds.id().slice(-8)}`;
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
    return [...this.org.usersById.values()].map((u) => structuredClone(u.json));
  }

  registerClient(client: EmulatorClientInit): void {
    this.oauth.addClient(client);
  }

  addUser(user: EmulatorUserInit): EmulatorUser {
    return structuredClone(this.org.addUser(user).json);
  }

  addField(module: EmulatorModule, field: EmulatorFieldInit): void {
    const def = this.org.moduleDef(module);
    this.org.addField(def.apiName, field);
    this.store.fieldAdded(def.apiName, field);
  }

  seed(
    module: EmulatorModule,
    records: readonly Record<string, unknown>[],
    options: SeedOptions = {},
  ): string[] {
    const def = this.org.moduleDef(module);
    for (const f of options.fields ?? []) this.addField(def.apiName, f);
    const ctx = {
      org: this.org,
      store: this.store,
      options: this.options,
      ids: this.ids,
      now: () => this.now(),
    };
    return seedRecords(ctx, def.apiName, records, options);
  }

  updateRecord(module: EmulatorModule, id: string, values: Record<string, unknown>): void {
    const def = this.org.moduleDef(module);
    const rec = this.store.find(def.apiName, id);
    if (!rec) throw new TypeError(`updateRecord(): no ${def.apiName} record ${id}`);
    this.store.update(def, rec, values, this.org.firstUser());
    this.store.indexNow(rec);
  }

  deleteRecord(module: EmulatorModule, id: string): boolean {
    const rec = this.store.find(this.org.moduleDef(module).apiName, id);
    if (rec) this.store.remove(rec);
    return rec !== undefined;
  }

  notificationChannels(): EmulatorNotificationChannel[] {
    return this.notifications.list();
  }

  notificationsDelivered(): Promise<NotificationDelivery[]> {
    return this.notifications.delivered();
  }

  records(module: EmulatorModule): Record<string, unknown>[] {
    return this.store.list(this.org.moduleDef(module).apiName).map((r) => structuredClone(r.data));
  }

  stats(): EmulatorStats {
    const used = this.limits.creditsUsed(this.now());
    const limit = this.limits.creditLimit();
    const c = this.traffic.counts();
    return {
      requests: c.requests,
      totalRequests: c.totalRequests,
      statuses: c.statuses,
      creditsUsed: used,
      creditLimit: limit,
      creditsRemaining: Math.max(0, limit - used),
      tokenGrants: c.tokenGrants,
      refreshes: c.refreshes,
      oauthThrottled: c.oauthThrottled,
      revocations: c.revocations,
      tooManyRequests: c.tooManyRequests,
      concurrentPeak: this.limits.concurrentPeak,
      inFlight: this.limits.inFlightTotal,
      faultsInjected: c.faultsInjected,
    };
  }

  faults(faults: Faults | null): void {
    this.faultInjector.set(faults, this.now());
  }

  requestLog(): RequestLogEntry[] {
    return this.traffic.requestLog();
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
    this.oauth.expireAccessTokens();
  }

  revokeRefreshToken(refreshToken: string): boolean {
    const rec = this.oauth.refreshTokens.get(refreshToken);
    if (!rec) return false;
    this.oauth.deleteRefreshToken(rec);
    return true;
  }

  issueTokens(
    options: { clientId?: string; userId?: string; scopes?: readonly string[] } = {},
  ): IssuedTokens {
    const clients = this.oauth.clients;
    const client = options.clientId ? clients.get(options.clientId) : clients.values().next().value;
    if (!client) throw new TypeError('issueTokens(): no such client; register one first');
    const user = options.userId ? this.org.usersById.get(options.userId) : this.org.firstUser();
    if (!user) throw new TypeError('issueTokens(): no such user');
    const scopes = [...(options.scopes ?? EMULATOR_GRANTED_SCOPES)];
    const refresh = this.oauth.createRefreshToken(client.clientId, user.json.id, scopes);
    const access = this.oauth.mintAccessToken(refresh, client.clientId, user.json.id, refresh.scopes);
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
    this.limits.charge(credits);
  }

  // --- Internal helpers ---

  /** Builds every part afresh from the options (start and `reset()`). */
  private init(): void {
    const now = () => this.now();
    this.org = new Org(this.options, this.ids, this.metaIds);
    this.oauth = new OAuthStore(this.options, now);
    const notifications = new Notifications(this.org, this.options.dataCenter, now, this.options.timeZone);
    this.notifications = notifications;
    this.store = new RecordStore(this.org, this.options, now, (module, change, id) =>
      notifications.recordChanged(module, change, id),
    );
    this.limits = new Limits(this.options, () => this.org.usersById.size, now);
    this.traffic = new Traffic(this.options.requestLogSize);
    this.faultInjector = new FaultInjector();
  }
}
