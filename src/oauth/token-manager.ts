/**
 * Keeps one connection's access token fresh without ever stampeding Zoho's token endpoint:
 * - the hot path returns the in-memory token while it has more than a safety margin left (no store read);
 * - concurrent callers share one in-flight refresh (single-flight);
 * - with a store that can lock, the refresh runs under the lock and re-reads the store first, so N
 *   processes refresh once between them;
 * - a proactive refresh shortly before expiry keeps refresh latency off the hot path;
 * - a local guard keeps grants under Zoho's 10 per 10 minutes per refresh token;
 * - `invalid_code` on refresh means the grant is gone: tokens are deleted, `authorizationLost` fires
 *   once, and calls fail fast with `reauthorize: true` until an admin authorizes again;
 * - a refresh replaces or deletes only the grant it refreshed: under the lock it re-reads the store
 *   before writing, and a grant stored meanwhile (a new authorization) wins; `saveGrant` and `forget`
 *   take the same lock;
 * - the client secret and the refresh token go only to an accounts server of the region table or of
 *   the configured endpoints, whatever the store entry says.
 *
 * @module
 */
import { AuthError, ErrorCode, isZohoCrmError } from '../errors.js';
import type { AccessGrant, AccessTokenProvider } from '../http/client.js';
import { type Logger, noopLogger } from '../logger.js';
import type { EndpointOverrides } from '../options.js';
import type { RegionCode } from '../regions.js';
import type { StoredTokens, TokenStore } from '../stores/types.js';
import { trustedAccountsUrl, trustedApiDomain } from './endpoints.js';
import { refreshAccessToken } from './refresh-token.js';
import { isStale, type TokenSet } from './token-set.js';

/** @internal */
export interface TokenManagerOptions {
  connectionId: string;
  store: TokenStore;
  clientId: string;
  clientSecret: string;
  /** Endpoint overrides (emulator, proxy): an API override for the grant's region wins over its `api_domain`. */
  endpoints?: EndpointOverrides | undefined;
  fetch?: typeof fetch | undefined;
  logger?: Logger | undefined;
  now?: () => number;
  random?: () => number;
  /** The hot path refreshes when less than this is left. @default 60000 */
  refreshMarginMs?: number;
  /** A background refresh starts this long before expiry (0 disables it). @default 300000 */
  proactiveRefreshMs?: number;
  /** Lock lifetime for cross-process refresh. @default 30000 */
  lockTtlMs?: number;
  /** Grants allowed per refresh token per 10 minutes from this process. @default 9 */
  maxGrantsPerWindow?: number;
  /** After authorization was lost, how often the store is re-read for a new grant. @default 5000 */
  lostRecheckMs?: number;
  onTokenRefreshed?: (event: TokenRefreshedEvent) => void;
  onAuthorizationLost?: (event: AuthorizationLostEvent) => void;
}

/**
 * Emitted after a refresh stored a new access token.
 * @group Events
 */
export interface TokenRefreshedEvent {
  /** The connection (tenant). */
  connectionId: string;
  /** Data centre of the grant. */
  region: RegionCode;
  /** New expiry, epoch ms. */
  expiresAt: number;
}

/**
 * Emitted once when the connection's Zoho grant is gone (revoked, or pushed out by newer grants): show
 * the admin the Authorize button again.
 * @group Events
 */
export interface AuthorizationLostEvent {
  /** The connection (tenant). */
  connectionId: string;
  /** Error code that revealed it, e.g. `AUTH_INVALID_GRANT`. */
  code: ErrorCode;
  /** Human-readable reason. */
  reason: string;
  /**
   * When the lost grant was authorized (epoch ms), when it is known: a host that has just stored a newer
   * grant (on any node) can tell that this loss is not about it.
   */
  grantedAt: number | undefined;
}

/** @internal */
export interface TokenManager extends AccessTokenProvider {
  /** Stores a new grant (after the OAuth callback) and clears any lost state. */
  saveGrant(tokens: StoredTokens): Promise<void>;
  /** Deletes the stored grant and returns what was stored. */
  forget(): Promise<StoredTokens | undefined>;
  /** Whether a grant is stored and not known to be lost. */
  isAuthorized(): Promise<boolean>;
  /** Refreshes performed by this manager (stats). */
  readonly refreshes: number;
  /** Data centre of the grant in memory, when there is one. */
  readonly region: RegionCode | undefined;
  /** Stops the proactive-refresh timer. */
  close(): void;
}

const WINDOW_MS = 10 * 60_000;

/** What a grant is built from. */
type GrantSource = Pick<StoredTokens, 'accessToken' | 'apiDomain' | 'region'>;

const sameSource = (a: GrantSource, b: GrantSource) =>
  a.accessToken === b.accessToken && a.apiDomain === b.apiDomain && a.region === b.region;

/** @internal */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? noopLogger;
  const marginMs = options.refreshMarginMs ?? 60_000;
  const proactiveMs = options.proactiveRefreshMs ?? 300_000;
  const maxGrants = options.maxGrantsPerWindow ?? 9;
  const lostRecheckMs = options.lostRecheckMs ?? 5_000;
  const { connectionId, store } = options;

  let cached: StoredTokens | undefined;
  let inflight: Promise<StoredTokens> | undefined;
  let refreshes = 0;
  let hadGrant = false;
  let lost: { at: number; error: AuthError; refreshToken: string | undefined } | undefined;
  let proactive: { timer: ReturnType<typeof setTimeout>; for: number } | undefined;
  let closed = false;
  const grants = new Map<string, number[]>();

  // The grant of the tokens held last, built once: every request asks for it. Compared by value, not by
  // object: a store may hand out a row it later updates in place.
  let granted: { from: GrantSource; grant: AccessGrant } | undefined;
  const toGrant = (tokens: StoredTokens): AccessGrant => {
    if (!granted || !sameSource(granted.from, tokens)) {
      const { accessToken, apiDomain, region } = tokens;
      const trusted = trustedApiDomain(apiDomain, region, options.endpoints);
      granted = { from: { accessToken, apiDomain, region }, grant: { accessToken, apiDomain: trusted } };
    }
    return granted.grant;
  };
  /** The held grant while it is fresh enough for the hot path, else undefined (a refresh is due). */
  const freshGrant = (): AccessGrant | undefined => {
    const current = cached;
    if (!current || isStale(current.expiresAt, now(), marginMs)) return undefined;
    scheduleProactive(current);
    return toGrant(current);
  };

  const notConnected = () =>
    new AuthError(
      ErrorCode.AUTH_NOT_CONNECTED,
      'Zoho CRM is not authorized for this connection: an admin must click Authorize.',
      { reauthorize: true },
    );

  const lockTtlMs = options.lockTtlMs ?? 30_000;
  /** Runs `fn` under the store's cross-process lock when it has one. */
  const locked = <T>(fn: () => Promise<T>): Promise<T> =>
    store.withLock ? store.withLock(connectionId, lockTtlMs, fn) : fn();
  /** Whether two entries are the same grant (one authorization; refreshes keep its refresh token). */
  const sameGrant = (a: StoredTokens | undefined, b: StoredTokens): a is StoredTokens =>
    a !== undefined && a.refreshToken === b.refreshToken;

  /** Takes a grant found in the store as current (another node stored or refreshed it). */
  function adopt(tokens: StoredTokens): StoredTokens {
    cached = tokens;
    hadGrant = true;
    lost = undefined;
    return tokens;
  }

  function markLost(error: AuthError, grant?: StoredTokens) {
    const known = grant ?? cached;
    lost = { at: now(), error, refreshToken: known?.refreshToken };
    cached = undefined;
    granted = undefined;
    cancelProactive();
    if (hadGrant) {
      hadGrant = false;
      logger.error(
        { connectionId, code: error.code },
        'zoho authorization lost; an admin must authorize again',
      );
      options.onAuthorizationLost?.({
        connectionId,
        code: error.code,
        reason: error.message,
        grantedAt: known?.grantedAt,
      });
    }
  }

  function recordGrant(refreshToken: string) {
    const at = now();
    const recent = (grants.get(refreshToken) ?? []).filter((t) => at - t < WINDOW_MS);
    recent.push(at);
    grants.set(refreshToken, recent);
  }

  function guardAllows(refreshToken: string): boolean {
    const at = now();
    return (grants.get(refreshToken) ?? []).filter((t) => at - t < WINDOW_MS).length < maxGrants;
  }

  async function refreshUnderLock(margin: number, rejected: string | undefined): Promise<StoredTokens> {
    const stored = await store.get(connectionId);
    if (!stored) {
      const error = notConnected();
      markLost(error);
      throw error;
    }
    hadGrant = true;
    lost = undefined;
    const needsRefresh = rejected
      ? stored.accessToken === rejected
      : isStale(stored.expiresAt, now(), margin);
    if (!needsRefresh) {
      cached = stored;
      return stored;
    }
    const stillUsable = !rejected && stored.expiresAt > now();
    const keepCurrent = () => {
      cached = stored;
      return stored;
    };
    let accountsUrl: string;
    try {
      accountsUrl = trustedAccountsUrl(stored.accountsServer, options.endpoints);
    } catch (error) {
      logger.error(
        { connectionId, code: isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED },
        'the stored zoho grant names an untrusted accounts server; nothing was sent',
      );
      if (stillUsable) return keepCurrent();
      throw error;
    }
    if (!guardAllows(stored.refreshToken)) {
      if (stillUsable) return keepCurrent();
      throw new AuthError(
        ErrorCode.AUTH_THROTTLED,
        `Refused to request another access token: ${maxGrants} were minted for this refresh token in the last 10 minutes (Zoho allows 10). Retry shortly.`,
        { retryable: true },
      );
    }
    recordGrant(stored.refreshToken);
    let set: TokenSet;
    try {
      set = await refreshAccessToken({
        accountsUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        refreshToken: stored.refreshToken,
        secrets: [stored.accessToken],
        fetch: options.fetch,
        now,
      });
    } catch (error) {
      if (error instanceof AuthError && error.code === ErrorCode.AUTH_INVALID_GRANT) {
        // Compare-and-delete: only the grant this refresh used is gone. A grant stored meanwhile (the
        // admin authorized again, on this node or another) is the connection's grant now.
        const current = await store.get(connectionId);
        if (current && !sameGrant(current, stored)) return adopt(current);
        if (current) await store.delete(connectionId);
        markLost(error, stored);
        throw error;
      }
      if (stillUsable) {
        logger.warn(
          { connectionId, code: isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED },
          'zoho token refresh failed; the current token is still valid',
        );
        return keepCurrent();
      }
      throw error;
    }
    // Replace only the grant that was refreshed: a new authorization or a revoke may have landed while
    // Zoho answered (a store without a lock, or a lock that expired).
    const current = await store.get(connectionId);
    if (!current || !sameGrant(current, stored)) {
      if (current) return adopt(current);
      const error = notConnected();
      markLost(error, stored);
      throw error;
    }
    // From what is stored now, so that what was written beside the tokens meanwhile (the calibration)
    // is kept.
    const next: StoredTokens = {
      ...current,
      accessToken: set.accessToken,
      expiresAt: set.expiresAt,
      apiDomain: set.apiDomain ?? stored.apiDomain,
    };
    if (set.scope) next.scope = set.scope;
    await store.set(connectionId, next);
    cached = next;
    refreshes++;
    logger.info({ connectionId, expiresAt: next.expiresAt }, 'zoho access token refreshed');
    options.onTokenRefreshed?.({ connectionId, region: next.region, expiresAt: next.expiresAt });
    return next;
  }

  function ensureFresh(margin: number, rejected?: string): Promise<StoredTokens> {
    if (inflight) return inflight;
    if (lost && now() - lost.at < lostRecheckMs) return Promise.reject(lost.error);
    inflight = locked(() => refreshUnderLock(margin, rejected)).finally(() => {
      inflight = undefined;
    });
    return inflight;
  }

  function cancelProactive() {
    if (proactive) clearTimeout(proactive.timer);
    proactive = undefined;
  }

  function scheduleProactive(tokens: StoredTokens) {
    if (closed || proactiveMs <= 0 || proactive?.for === tokens.expiresAt) return;
    cancelProactive();
    const jitter = Math.floor((options.random ?? Math.random)() * Math.min(30_000, proactiveMs / 4));
    const delay = Math.max(0, tokens.expiresAt - proactiveMs - now() + jitter);
    const timer = setTimeout(() => {
      proactive = undefined;
      ensureFresh(proactiveMs - jitter).then(
        (fresh) => scheduleProactive(fresh),
        (error: unknown) =>
          logger.warn(
            { connectionId, code: isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED },
            'proactive zoho token refresh failed',
          ),
      );
    }, delay);
    (timer as { unref?: () => void }).unref?.();
    proactive = { timer, for: tokens.expiresAt };
  }

  return {
    currentGrant: freshGrant,

    async getAccessToken() {
      const held = freshGrant();
      if (held) return held;
      const fresh = await ensureFresh(marginMs);
      scheduleProactive(fresh);
      return toGrant(fresh);
    },

    async refreshAfterRejection(rejectedToken) {
      if (cached && cached.accessToken !== rejectedToken) return toGrant(cached);
      const fresh = await ensureFresh(marginMs, rejectedToken);
      scheduleProactive(fresh);
      return toGrant(fresh);
    },

    async saveGrant(tokens) {
      // Under the lock: a refresh of the previous grant running now (on any node) finishes first, and
      // its compare-and-delete then sees this grant.
      await locked(() => store.set(connectionId, tokens));
      adopt(tokens);
      grants.clear();
      scheduleProactive(tokens);
    },

    async forget() {
      const stored = await locked(async () => {
        const current = await store.get(connectionId);
        await store.delete(connectionId);
        return current;
      });
      cached = undefined;
      granted = undefined;
      hadGrant = false;
      cancelProactive();
      return stored;
    },

    async isAuthorized() {
      if (cached) return true;
      const stored = await store.get(connectionId);
      if (!stored) return false;
      if (lost?.refreshToken === stored.refreshToken) return false;
      // A grant other than the lost one is stored (another node authorized): it is current now.
      if (lost) adopt(stored);
      return true;
    },

    get refreshes() {
      return refreshes;
    },

    get region() {
      return cached?.region;
    },

    close() {
      closed = true;
      cancelProactive();
    },
  };
}
