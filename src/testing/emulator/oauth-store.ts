/**
 * The accounts server's state (docs/zoho-facts.md §1): registered clients, pending consents, grant codes,
 * refresh and access tokens, and Zoho's token limits over them.
 * @internal
 * @module
 */
import type { RegionCode } from '../../regions.js';
import { zohoToken } from './ids.js';
import type { ResolvedEmulatorOptions } from './options.js';
import { ScopeSet } from './scopes.js';
import type { EmulatorClientInit } from './types.js';

/**
 * The scopes `issueTokens()` grants when none are given: every module, settings, users, org, COQL and
 * search. Not the SDK's `DEFAULT_SCOPES` (the minimal set a connector asks for).
 */
export const EMULATOR_GRANTED_SCOPES: readonly string[] = Object.freeze([
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

/** Clients, consents, codes and tokens. */
export class OAuthStore {
  readonly clients = new Map<string, ClientRec>();
  readonly consents = new Map<string, ConsentRec>();
  readonly codes = new Map<string, CodeRec>();
  readonly refreshTokens = new Map<string, RefreshRec>();
  readonly accessTokens = new Map<string, AccessRec>();
  /** Grant-code times per client (rolling-window throttle). */
  private readonly codeTimes = new Map<string, number[]>();

  /** Registers the clients of the options. */
  constructor(
    private readonly options: ResolvedEmulatorOptions,
    private readonly now: () => number,
  ) {
    for (const c of options.clients) this.addClient(c);
  }

  /** Registers a client; a TypeError names what is wrong with it. */
  addClient(client: EmulatorClientInit): void {
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
    });
  }

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
      dc: this.options.dataCenter,
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
      dc: this.options.dataCenter,
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

  /** Expires every access token now. */
  expireAccessTokens(): void {
    const now = this.now();
    for (const t of this.accessTokens.values()) t.expiresAt = Math.min(t.expiresAt, now);
  }
}
