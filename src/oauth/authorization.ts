/**
 * The seed's "Authorize" flow for one connection: the authorize URL with a signed state, the callback
 * (state check, the callback's data centre, the code exchange, storing the grant), and revoke.
 *
 * @module
 */
import { AuthError, ErrorCode, isZohoCrmError } from '../errors.js';
import { type Logger, noopLogger } from '../logger.js';
import type { EndpointOverrides } from '../options.js';
import type { RegionCode } from '../regions.js';
import type { StoredTokens } from '../stores/types.js';
import { buildAuthorizeUrl } from './authorize-url.js';
import { type CallbackInput, parseCallback } from './callback.js';
import { endpointsFor, resolveCallbackTarget, trustedAccountsUrl } from './endpoints.js';
import { exchangeCode } from './exchange-code.js';
import { revokeToken } from './revoke-token.js';
import { DEFAULT_SCOPES } from './scopes.js';
import { createStateSigner } from './state.js';
import type { TokenManager } from './token-manager.js';

/** @internal */
export interface AuthorizationOptions {
  connectionId: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  region: RegionCode;
  scopes?: readonly string[] | undefined;
  stateSecret?: string | undefined;
  endpoints?: EndpointOverrides | undefined;
  tokens: TokenManager;
  fetch?: typeof fetch | undefined;
  logger?: Logger | undefined;
  now?: () => number;
}

/**
 * The authorize URL and when its state expires.
 * @group OAuth
 */
export interface AuthorizationRequest {
  /** Send the admin's browser here (Zoho's consent page). */
  url: string;
  /** The signed state inside the URL (single-use, bound to this connection). */
  state: string;
  /** When the state stops being accepted, epoch ms. */
  expiresAt: number;
}

/**
 * The outcome of a successful callback.
 * @group OAuth
 */
export interface AuthorizationResult {
  /** Data centre of the authorized org (the callback's accounts server wins over the configured region). */
  region: RegionCode;
  /** API domain all CRM calls now go to. */
  apiDomain: string;
  /** Granted scopes, when Zoho reported them. */
  scope?: string;
}

/**
 * What `revoke()` did.
 * @group OAuth
 */
export interface RevokeResult {
  /** Whether Zoho confirmed the revocation. False when Zoho could not be reached or refused. */
  revokedAtZoho: boolean;
  /** Whether local tokens were deleted (always, when there were any). */
  deletedLocally: boolean;
  /** Why Zoho did not confirm, when it did not. */
  reason?: string;
  /**
   * The error code behind `reason`, when there is one: e.g. `AUTH_UNTRUSTED_ACCOUNTS_SERVER` (the stored
   * grant named a server that is not Zoho's; nothing was sent), `NETWORK`, `ZOHO_API`.
   */
  code?: ErrorCode;
}

/** @internal */
export interface Authorization {
  authorizationUrl(): Promise<AuthorizationRequest>;
  handleCallback(input: CallbackInput): Promise<AuthorizationResult>;
  revoke(): Promise<RevokeResult>;
}

const STATE_TTL_MS = 10 * 60_000;

/** @internal */
export function createAuthorization(options: AuthorizationOptions): Authorization {
  const now = options.now ?? Date.now;
  const logger = options.logger ?? noopLogger;
  const signer = createStateSigner({
    secret: options.stateSecret ?? options.clientSecret,
    derive: options.stateSecret === undefined,
    connectionId: options.connectionId,
    ttlMs: STATE_TTL_MS,
    now,
  });

  return {
    async authorizationUrl() {
      const state = await signer.issue();
      const { accountsUrl } = endpointsFor(options.region, options.endpoints);
      const url = buildAuthorizeUrl({
        accountsUrl,
        clientId: options.clientId,
        redirectUri: options.redirectUri,
        state,
        scopes: options.scopes ?? DEFAULT_SCOPES,
      });
      return { url, state, expiresAt: now() + STATE_TTL_MS };
    },

    async handleCallback(input) {
      const params = parseCallback(input);
      if (params.error) {
        // Consume the state if it is ours, so a denied attempt cannot be replayed; the denial wins either way.
        await signer.verify(params.state).catch(() => undefined);
        throw denial(params.error, params.errorDescription);
      }
      await signer.verify(params.state);
      if (!params.code) {
        throw new AuthError(
          ErrorCode.AUTH_INVALID_CALLBACK,
          'The OAuth callback carries no authorization code.',
          {
            reauthorize: true,
          },
        );
      }
      const target = resolveCallbackTarget(params, options.region, options.endpoints);
      const set = await exchangeCode({
        accountsUrl: target.accountsUrl,
        clientId: options.clientId,
        clientSecret: options.clientSecret,
        redirectUri: options.redirectUri,
        code: params.code,
        fetch: options.fetch,
        now,
      });
      if (!set.refreshToken) {
        throw new AuthError(
          ErrorCode.AUTH_REFRESH_FAILED,
          'Zoho returned no refresh token (offline access was not granted); authorize again.',
          { reauthorize: true },
        );
      }
      const apiDomain = set.apiDomain ?? target.apiUrl;
      if (!apiDomain) {
        throw new AuthError(ErrorCode.AUTH_REFRESH_FAILED, 'Zoho returned no api_domain with the tokens.', {
          reauthorize: true,
        });
      }
      const tokens: StoredTokens = {
        accessToken: set.accessToken,
        refreshToken: set.refreshToken,
        expiresAt: set.expiresAt,
        apiDomain,
        accountsServer: target.accountsUrl,
        region: target.region,
        grantedAt: now(),
      };
      if (set.scope) tokens.scope = set.scope;
      await options.tokens.saveGrant(tokens);
      logger.info({ connectionId: options.connectionId, region: target.region }, 'zoho crm authorized');
      return { region: target.region, apiDomain, ...(set.scope ? { scope: set.scope } : {}) };
    },

    async revoke() {
      const stored = await options.tokens.forget();
      if (!stored) return { revokedAtZoho: false, deletedLocally: false, reason: 'not authorized' };
      try {
        await revokeToken({
          // The refresh token goes only to Zoho's accounts servers or a configured one (throws otherwise).
          accountsUrl: trustedAccountsUrl(stored.accountsServer, options.endpoints),
          refreshToken: stored.refreshToken,
          secrets: [options.clientSecret, stored.accessToken],
          fetch: options.fetch,
        });
        return { revokedAtZoho: true, deletedLocally: true };
      } catch (error) {
        const known = isZohoCrmError(error);
        logger.warn(
          { connectionId: options.connectionId, code: known ? error.code : ErrorCode.UNEXPECTED },
          'zoho did not confirm the revocation; tokens deleted locally',
        );
        return {
          revokedAtZoho: false,
          deletedLocally: true,
          reason: known ? error.message : 'unknown error',
          ...(known ? { code: error.code } : {}),
        };
      }
    },
  };
}

function denial(error: string, description: string | undefined): AuthError {
  const detail = description ? ` (${description})` : '';
  if (error === 'access_denied') {
    return new AuthError(
      ErrorCode.AUTH_ACCESS_DENIED,
      `The Zoho user denied access${detail}; click Authorize to try again.`,
      {
        reauthorize: true,
        zohoCode: error,
      },
    );
  }
  if (error === 'no_org') {
    return new AuthError(
      ErrorCode.AUTH_ACCESS_DENIED,
      'The Zoho user who signed in has no Zoho CRM organisation (no_org); sign in with a CRM user (not a developer account).',
      { reauthorize: true, zohoCode: error },
    );
  }
  return new AuthError(ErrorCode.AUTH_ACCESS_DENIED, `Zoho refused the authorization (${error})${detail}.`, {
    reauthorize: true,
    zohoCode: error,
  });
}
