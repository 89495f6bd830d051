/**
 * `createConnectorRegistry`: one PBX, many tenants, one redirect URI. Builds each tenant's connector
 * once from its settings, routes OAuth callbacks by the signed state before any token request, forwards
 * every connector event with its `connectionId`, and closes idle connectors (their queued journal work
 * stays in the journal store for the tenant's next connector).
 *
 * @module
 */
import * as z from 'zod/mini';
import { type ConnectorEvents, ZohoCrmConnector } from '../connector.js';
import { ConfigError, ErrorCode, ZohoCrmError } from '../errors.js';
import { createEmitter } from '../events.js';
import type { JournalStore } from '../journal/store.js';
import { createSafeLogger, type Logger } from '../logger.js';
import type { AuthorizationRequest, AuthorizationResult } from '../oauth/authorization.js';
import { type CallbackInput, parseCallback } from '../oauth/callback.js';
import { createStateReader } from '../oauth/state.js';
import { configErrorFromIssues, type EndpointOverrides } from '../options.js';
import type { TokenStore } from '../stores/types.js';
import {
  assertTenantId,
  connectorOptionsFromSettings,
  parseTenantSettings,
  type ResolvedTenantSettings,
  type SharedConnectorOptions,
  type TenantSettings,
} from './tenant-settings.js';

/**
 * Options of {@link createConnectorRegistry}.
 * @example
 * ```ts
 * const options: ConnectorRegistryOptions = {
 *   redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
 *   stateSecret: process.env.ZOHO_STATE_SECRET!,
 *   tokenStore: createMemoryStore(),
 *   settings: (connectionId) => settingsStore.get(connectionId),
 * };
 * ```
 * @group Registry
 */
export interface ConnectorRegistryOptions {
  /** The one redirect URI every tenant's Zoho client has registered. */
  redirectUri: string;
  /**
   * Signs (and encrypts the connection id inside) every tenant's OAuth state; at least 16 characters
   * (32 random bytes recommended). Every PBX node of a cluster needs the same one.
   */
  stateSecret: string;
  /** Where every tenant's tokens live (keyed by connection id). */
  tokenStore: TokenStore;
  /** Where every tenant's journal work lives (keyed by connection id). Defaults to one shared memory store. */
  journalStore?: JournalStore;
  /** pino-compatible logger shared by the connectors; every line is redacted first. */
  logger?: Logger;
  /** fetch implementation for every connector. */
  fetch?: typeof fetch;
  /** Replace Zoho's hosts (emulator, proxy), with per-region overrides for tenants in several data centres. */
  endpoints?: EndpointOverrides;
  /**
   * The host's per-tenant CRM settings; `undefined` for an unknown tenant. Called once per build (first
   * `get()`, and after `evict()` or an idle close).
   */
  settings: (connectionId: string) => Promise<TenantSettings | undefined> | TenantSettings | undefined;
  /**
   * Connectors unused (no `get()`) for this long are closed and rebuilt on demand; 0 keeps them open.
   * @default 900000 (15 minutes)
   */
  idleMs?: number;
  /**
   * Options the admin form does not carry, per tenant: `pbxContacts` (for `query: 'whenNotFoundInPbx'`),
   * `journal.publicLinks` (for public links), `http`, `scopes`, `journal.agents`…
   */
  connectorOptions?: (
    connectionId: string,
    settings: ResolvedTenantSettings,
  ) => Partial<SharedConnectorOptions>;
}

/**
 * What the registry adds to every connector event.
 * @example
 * ```ts
 * const tag: TenantTag = { connectionId: 'tenant-42' };
 * ```
 * @group Registry
 */
export interface TenantTag {
  /** The tenant whose connector emitted the event. */
  connectionId: string;
}

/**
 * The registry's events: every connector event plus the tenant it came from.
 * @example
 * ```ts
 * zohos.on('authorizationLost', (e: RegistryEvents['authorizationLost']) => notifyTenantAdmin(e.connectionId));
 * ```
 * @group Registry
 */
export type RegistryEvents = { [K in keyof ConnectorEvents]: ConnectorEvents[K] & TenantTag };

/**
 * A tenant's Authorize URL, with the tenant it is for.
 * @example
 * ```ts
 * const { url, connectionId }: RegistryAuthorizationRequest = await zohos.authorizationUrl('tenant-42');
 * ```
 * @group Registry
 */
export interface RegistryAuthorizationRequest extends AuthorizationRequest {
  /** The tenant the state was issued for. */
  connectionId: string;
}

/**
 * A completed callback, with the tenant it belonged to.
 * @example
 * ```ts
 * const { connectionId, region } = await zohos.handleCallback(req.url!);
 * ```
 * @group Registry
 */
export interface RegistryAuthorizationResult extends AuthorizationResult {
  /** The tenant the state was issued for (and whose tokens are now stored). */
  connectionId: string;
}

/**
 * One connector per tenant, built on demand; see {@link createConnectorRegistry}.
 * @example
 * ```ts
 * const match = await (await zohos.get('tenant-42')).lookupCaller('+14155552671');
 * await zohos.evict('tenant-42'); // after the admin saved new settings
 * ```
 * @group Registry
 */
export interface ConnectorRegistry {
  /**
   * The tenant's connector, built once from its settings (concurrent calls share one build; a failed
   * build is retried by the next call). Call it for every use rather than keeping the connector: an idle
   * or evicted connector is closed (its methods then reject with `CONNECTOR_CLOSED`).
   * @throws {@link ConfigError} for an invalid id, an unknown tenant (no settings) or invalid settings
   *   (naming the tenant and the path, never a value); `TENANT_DISABLED`; `CONNECTOR_CLOSED` after close().
   */
  get(connectionId: string): Promise<ZohoCrmConnector>;
  /** The tenant's Authorize URL, with a state that carries (encrypted) its connection id. */
  authorizationUrl(connectionId: string): Promise<RegistryAuthorizationRequest>;
  /**
   * Completes the callback of whichever tenant the signed state names. A missing, tampered, foreign or
   * expired state (`AUTH_STATE_MISMATCH`), an unknown tenant (`ConfigError`) or a disabled one
   * (`TENANT_DISABLED`) is refused before any token request.
   */
  handleCallback(callback: CallbackInput): Promise<RegistryAuthorizationResult>;
  /** Subscribes to an event of every tenant's connector; returns the unsubscribe function. */
  on<K extends keyof RegistryEvents>(name: K, listener: (event: RegistryEvents[K]) => void): () => void;
  /** Closes the tenant's connector (queued journal work stays in the store); the next get() rebuilds it. */
  evict(connectionId: string): Promise<void>;
  /** Closes every connector; get() and handleCallback() then reject with `CONNECTOR_CLOSED`. Safe to call twice. */
  close(): Promise<void>;
  /** Connectors open or being built. */
  readonly size: number;
}

interface Entry {
  readonly build: Promise<ZohoCrmConnector>;
  connector?: ZohoCrmConnector;
  lastUsed: number;
  readonly forwards: Map<keyof ConnectorEvents, () => void>;
}

const optionsSchema = z.lazy(() =>
  z.object({
    redirectUri: z.string().check(z.minLength(1)),
    stateSecret: z.string().check(z.minLength(16, 'must be at least 16 characters')),
    tokenStore: z.custom<TokenStore>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        ['get', 'set', 'delete'].every((m) => typeof (v as never)[m] === 'function'),
      'must implement get, set and delete',
    ),
    settings: z.custom<unknown>(
      (v) => typeof v === 'function',
      'must be a function (connectionId) => settings',
    ),
    idleMs: z.optional(z.number().check(z.int(), z.nonnegative(), z.lte(2_147_483_647))),
    journalStore: z.optional(
      z.custom<unknown>(
        (v) => v === undefined || (typeof v === 'object' && v !== null),
        'must be a JournalStore',
      ),
    ),
    logger: z.optional(
      z.custom<unknown>(
        (v) =>
          typeof v === 'object' &&
          v !== null &&
          ['debug', 'info', 'warn', 'error'].every((m) => typeof (v as never)[m] === 'function'),
        'must have debug, info, warn and error methods',
      ),
    ),
    fetch: z.optional(z.custom<unknown>((v) => typeof v === 'function', 'must be a fetch function')),
    endpoints: z.optional(z.custom<unknown>((v) => typeof v === 'object' && v !== null, 'must be an object')),
    connectorOptions: z.optional(
      z.custom<unknown>(
        (v) => typeof v === 'function',
        'must be a function (connectionId, settings) => options',
      ),
    ),
  }),
);

const NO_SUCH_TENANT = 'are missing: no such tenant (settings() returned undefined)';

/** Whether `get()` failed because `settings(id)` knows no such tenant (not because its settings are bad). @internal */
export function isUnknownTenantError(error: unknown): boolean {
  return (
    error instanceof ConfigError &&
    error.issues.length === 1 &&
    error.issues[0]?.path === 'settings' &&
    error.issues[0].message === NO_SUCH_TENANT
  );
}

/**
 * Creates the registry of a multi-tenant PBX: every tenant's connector from its settings, one redirect
 * URI for all of them. Performs no I/O until the first call.
 * @throws {@link ConfigError} naming every bad option (never a value).
 * @example
 * ```ts
 * import { createConnectorRegistry, createMemorySettingsStore, createMemoryStore } from 'zoho-crm-connector';
 *
 * const settingsStore = createMemorySettingsStore();
 * const zohos = createConnectorRegistry({
 *   redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
 *   stateSecret: process.env.ZOHO_STATE_SECRET!,
 *   tokenStore: createMemoryStore(),
 *   settings: (connectionId) => settingsStore.get(connectionId),
 * });
 * const { url } = await zohos.authorizationUrl('tenant-42');          // the tenant's Authorize button
 * const { connectionId } = await zohos.handleCallback(callbackUrl);  // GET /api/auth/callback/zoho
 * const match = await (await zohos.get('tenant-42')).lookupCaller('+14155552671');
 * ```
 * @group Registry
 */
export function createConnectorRegistry(options: ConnectorRegistryOptions): ConnectorRegistry {
  const checked = optionsSchema.safeParse(options);
  if (!checked.success) {
    throw configErrorFromIssues(checked.error.issues, options, 'createConnectorRegistry options');
  }
  const idleMs = options.idleMs ?? 900_000;
  const logger = createSafeLogger(options.logger, () => [options.stateSecret]);
  const events = createEmitter<RegistryEvents>(logger);
  const readState = createStateReader({ secret: options.stateSecret, derive: false });
  const entries = new Map<string, Entry>();
  let closed = false;
  let sweep: { timer: ReturnType<typeof setTimeout>; at: number } | undefined;

  const closedError = () =>
    new ZohoCrmError(ErrorCode.CONNECTOR_CLOSED, 'This connector registry was closed.');

  const forward = (id: string, entry: Entry, name: keyof ConnectorEvents): void => {
    if (!entry.connector || entry.forwards.has(name)) return;
    const off = entry.connector.on(name, (event) =>
      events.emit(name, { ...event, connectionId: id } as RegistryEvents[typeof name]),
    );
    entry.forwards.set(name, off);
  };

  const build = async (id: string): Promise<ZohoCrmConnector> => {
    const raw = await options.settings(id);
    if (closed) throw closedError();
    if (raw === undefined) {
      throw new ConfigError([{ path: 'settings', message: NO_SUCH_TENANT }], `tenant ${JSON.stringify(id)}`);
    }
    const settings = parseTenantSettings(id, raw);
    if (!settings.enabled) {
      throw new ZohoCrmError(ErrorCode.TENANT_DISABLED, `CRM is disabled for tenant ${JSON.stringify(id)}.`);
    }
    const extra = options.connectorOptions?.(id, settings) ?? {};
    const shared: SharedConnectorOptions = {
      ...extra,
      redirectUri: options.redirectUri,
      stateSecret: options.stateSecret,
      tokenStore: options.tokenStore,
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.endpoints ? { endpoints: options.endpoints } : {}),
      journal: { ...extra.journal, ...(options.journalStore ? { store: options.journalStore } : {}) },
    };
    try {
      return new ZohoCrmConnector(connectorOptionsFromSettings(id, settings, shared));
    } catch (error) {
      if (error instanceof ConfigError)
        throw new ConfigError(error.issues, `connector options of tenant ${JSON.stringify(id)}`);
      throw error;
    }
  };

  const release = async (entry: Entry): Promise<void> => {
    const connector = await entry.build.catch(() => undefined);
    if (!connector) return;
    for (const off of entry.forwards.values()) off();
    entry.forwards.clear();
    await connector.close();
  };

  const scheduleSweep = (at: number): void => {
    if (closed || idleMs === 0 || (sweep && sweep.at <= at)) return;
    if (sweep) clearTimeout(sweep.timer);
    const timer = setTimeout(runSweep, Math.max(0, at - Date.now()));
    (timer as { unref?: () => void }).unref?.();
    sweep = { timer, at };
  };

  function runSweep(): void {
    sweep = undefined;
    const now = Date.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [id, entry] of entries) {
      if (!entry.connector) continue; // still building
      if (now - entry.lastUsed >= idleMs) {
        entries.delete(id);
        logger.debug({ connectionId: id }, 'closing an idle zoho connector');
        void release(entry).catch((error: unknown) =>
          logger.warn({ connectionId: id, error }, 'closing an idle zoho connector failed'),
        );
      } else {
        next = Math.min(next, entry.lastUsed + idleMs);
      }
    }
    if (next !== Number.POSITIVE_INFINITY) scheduleSweep(next);
  }

  const registry: ConnectorRegistry = {
    async get(id) {
      if (closed) throw closedError();
      assertTenantId(id);
      let entry = entries.get(id);
      if (!entry) {
        const created: Entry = { build: build(id), lastUsed: Date.now(), forwards: new Map() };
        entry = created;
        entries.set(id, created);
        created.build.then(
          (connector) => {
            created.connector = connector;
            for (const name of events.names()) forward(id, created, name);
            scheduleSweep(created.lastUsed + idleMs);
          },
          () => {
            if (entries.get(id) === created) entries.delete(id); // a failed build is not cached
          },
        );
      }
      entry.lastUsed = Date.now();
      const connector = await entry.build;
      if (closed) throw closedError();
      // Evicted while it was being built: the caller gets the fresh one (new settings), not a closed one.
      if (entries.get(id) !== entry) return registry.get(id);
      return connector;
    },

    async authorizationUrl(id) {
      const connector = await registry.get(id);
      return { ...(await connector.authorizationUrl()), connectionId: id };
    },

    async handleCallback(callback) {
      if (closed) throw closedError();
      const params = parseCallback(callback);
      const id = await readState(params.state);
      const connector = await registry.get(id);
      return { connectionId: id, ...(await connector.handleCallback(callback)) };
    },

    on(name, listener) {
      const off = events.on(name, listener);
      for (const [id, entry] of entries) forward(id, entry, name);
      return () => {
        off();
        if (events.has(name)) return;
        for (const entry of entries.values()) {
          entry.forwards.get(name)?.();
          entry.forwards.delete(name);
        }
      };
    },

    async evict(id) {
      const entry = entries.get(id);
      if (!entry) return;
      entries.delete(id);
      await release(entry);
    },

    async close() {
      if (closed) return;
      closed = true;
      if (sweep) clearTimeout(sweep.timer);
      sweep = undefined;
      const all = [...entries.values()];
      entries.clear();
      await Promise.all(all.map(release));
      events.clear();
    },

    get size() {
      return entries.size;
    },
  };
  return registry;
}
