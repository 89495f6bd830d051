/**
 * What Zoho's token endpoint returns, checked at the edge, and the plain `TokenSet` the rest of the
 * library uses. A TokenSet never prints its tokens.
 *
 * @module
 */
import * as z from 'zod/mini';

/**
 * Zoho's token response (docs/zoho-facts.md §1.4). `expires_in` is seconds, except in the legacy shape that
 * also carries `expires_in_sec`, where `expires_in` is milliseconds.
 * @internal
 */
export const TokenResponseSchema = z.lazy(() =>
  z.object({
    access_token: z.string().check(z.minLength(1)),
    refresh_token: z.optional(z.string().check(z.minLength(1))),
    api_domain: z.optional(z.url()),
    token_type: z.optional(z.string()),
    expires_in: z.optional(z.number().check(z.positive())),
    expires_in_sec: z.optional(z.number().check(z.positive())),
    scope: z.optional(z.string()),
  }),
);

/**
 * Tokens from one token-endpoint call.
 * @internal
 */
export interface TokenSet {
  accessToken: string;
  /** Only on the authorization-code grant (with `access_type=offline`). */
  refreshToken?: string;
  /** Epoch ms. */
  expiresAt: number;
  apiDomain?: string;
  scope?: string;
}

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

/**
 * Turns a checked token response into a TokenSet whose `toJSON` and `util.inspect` hide the tokens.
 * @internal
 */
export function toTokenSet(response: z.output<typeof TokenResponseSchema>, now: number): TokenSet {
  const seconds =
    response.expires_in_sec ??
    (response.expires_in === undefined
      ? 3600
      : response.expires_in > 86_400
        ? response.expires_in / 1000
        : response.expires_in);
  const set: TokenSet = { accessToken: response.access_token, expiresAt: now + Math.round(seconds * 1000) };
  if (response.refresh_token) set.refreshToken = response.refresh_token;
  if (response.api_domain) set.apiDomain = response.api_domain;
  if (response.scope) set.scope = response.scope;
  const safe = () => ({
    accessToken: '[REDACTED]',
    ...(set.refreshToken ? { refreshToken: '[REDACTED]' } : {}),
    expiresAt: set.expiresAt,
    apiDomain: set.apiDomain,
    scope: set.scope,
  });
  Object.defineProperties(set, {
    toJSON: { value: safe, enumerable: false },
    [INSPECT]: { value: () => `TokenSet ${JSON.stringify(safe())}`, enumerable: false },
  });
  return set;
}

/**
 * Whether tokens expiring at `expiresAt` should be replaced now, given a safety margin.
 * @internal
 */
export function isStale(expiresAt: number, now: number, marginMs: number): boolean {
  return expiresAt - now <= marginMs;
}
