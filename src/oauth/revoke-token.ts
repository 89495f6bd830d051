/**
 * Revokes a refresh token at Zoho (and with it every access token minted from it). One POST.
 *
 * @module
 */
import { toZohoError } from '../http/to-zoho-error.js';
import { type AccountsCallOptions, postForm } from './token-endpoint.js';

/**
 * Inputs of the revoke call.
 * @internal
 */
export interface RevokeTokenOptions extends AccountsCallOptions {
  refreshToken: string;
}

/**
 * Revokes a refresh token. Zoho documents the token as the `token` query parameter of
 * `POST /oauth/v2/token/revoke` (docs/zoho-facts.md §1.6), so this is the one request that carries a secret in
 * its URL; that URL is never logged and never part of an error.
 * @throws {@link ZohoApiError} or {@link TransportError} when Zoho refuses or cannot be reached.
 * @internal
 */
export async function revokeToken(options: RevokeTokenOptions): Promise<void> {
  const secrets = [options.refreshToken, ...(options.secrets ?? [])];
  const { status, headers, body, url } = await postForm(options, '/oauth/v2/token/revoke', {}, secrets, {
    token: options.refreshToken,
  });
  if (status >= 200 && status < 300 && !/"error"/.test(body)) return;
  throw toZohoError({ kind: 'response', method: 'POST', url, status, headers, body }, secrets);
}
