/**
 * The token-store contract. Stores are small: get, set, delete, and an optional cross-process lock.
 *
 * @module
 */
import type { OrgCalibration } from '../calibration/calibration.js';
import type { RegionCode } from '../regions.js';

/**
 * What a connection's OAuth grant looks like at rest.
 * @group Token stores
 */
export interface StoredTokens {
  /** Current access token (`Zoho-oauthtoken ...`). */
  accessToken: string;
  /** Long-lived refresh token; revoked by the admin or pushed out by the 21st grant. */
  refreshToken: string;
  /** When the access token expires, epoch ms. */
  expiresAt: number;
  /** API domain from the token response, e.g. `https://www.zohoapis.eu`. */
  apiDomain: string;
  /** Accounts server that issued the tokens (from the callback), e.g. `https://accounts.zoho.eu`. */
  accountsServer: string;
  /** Data centre of the grant. */
  region: RegionCode;
  /** Granted scopes, comma-separated, when Zoho reported them. */
  scope?: string;
  /** When the admin authorized, epoch ms. */
  grantedAt: number;
  /**
   * What `diagnose()` measured or the connector learned about the org (phone-search matching, the
   * duration reading, …). Kept across refreshes; a new authorization starts without it. Stores keep it
   * as part of the document; it holds no secret.
   */
  calibration?: OrgCalibration;
}

/**
 * Where a connector keeps its tokens. Implement it to keep tokens in your own database; prove it with
 * `assertTokenStoreContract` from `zoho-crm-connector/testing`.
 * @example
 * ```ts
 * const store: TokenStore = {
 *   async get(id) { return rows.get(id) },
 *   async set(id, tokens) { rows.set(id, tokens) },
 *   async delete(id) { rows.delete(id) },
 * };
 * ```
 * @group Token stores
 */
export interface TokenStore {
  /** The tokens of a connection, or undefined when it is not authorized. */
  get(connectionId: string): Promise<StoredTokens | undefined>;
  /** Replaces the tokens of a connection. */
  set(connectionId: string, tokens: StoredTokens): Promise<void>;
  /** Forgets a connection's tokens (revoke, authorization lost). */
  delete(connectionId: string): Promise<void>;
  /**
   * Runs `fn` while holding a lock on the connection that other processes respect, so that only one of
   * them refreshes at a time. Stores that cannot lock across processes omit it: refresh is then
   * single-flight within one process only.
   */
  withLock?<T>(connectionId: string, ttlMs: number, fn: () => Promise<T>): Promise<T>;
}
