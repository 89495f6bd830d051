/**
 * Mints a new access token from a refresh token (`grant_type=refresh_token`). One POST.
 *
 * @module
 */
import { type AccountsCallOptions, postTokenForm } from './token-endpoint.js';
import type { TokenSet } from './token-set.js';

/**
 * Inputs of the refresh.
 * @internal
 */
export interface RefreshAccessTokenOptions extends AccountsCallOptions {
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

/**
 * Refreshes an access token.
 * @throws {@link AuthError} `AUTH_INVALID_GRANT` when the refresh token is revoked or was pushed out,
 *   `AUTH_THROTTLED` when Zoho's 10-per-10-minutes limit is hit.
 * @internal
 */
export function refreshAccessToken(options: RefreshAccessTokenOptions): Promise<TokenSet> {
  return postTokenForm(
    options,
    '/oauth/v2/token',
    {
      grant_type: 'refresh_token',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      refresh_token: options.refreshToken,
    },
    [options.clientSecret, options.refreshToken],
  );
}
