/**
 * Exchanges an authorization code for tokens (`grant_type=authorization_code`). One POST.
 *
 * @module
 */
import { type AccountsCallOptions, postTokenForm } from './token-endpoint.js';
import type { TokenSet } from './token-set.js';

/**
 * Inputs of the code exchange.
 * @internal
 */
export interface ExchangeCodeOptions extends AccountsCallOptions {
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  code: string;
}

/**
 * Exchanges a grant code at the accounts server named by the callback.
 * @throws {@link AuthError} `AUTH_INVALID_GRANT` (code expired or used), `AUTH_INVALID_CLIENT`, `AUTH_INVALID_REDIRECT_URI`.
 * @internal
 */
export function exchangeCode(options: ExchangeCodeOptions): Promise<TokenSet> {
  return postTokenForm(
    options,
    '/oauth/v2/token',
    {
      grant_type: 'authorization_code',
      client_id: options.clientId,
      client_secret: options.clientSecret,
      redirect_uri: options.redirectUri,
      code: options.code,
    },
    [options.clientSecret, options.code],
  );
}
