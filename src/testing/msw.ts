/**
 * `zoho-crm-connector/testing/msw`: the Zoho CRM emulator as msw request handlers. They intercept Zoho's
 * real hosts in every data centre (`accounts.zoho.eu`, `www.zohoapis.eu`, ...), so a connector with no
 * endpoint overrides talks to the emulator. Requires `msw` 2 (an optional peer dependency).
 *
 * @packageDocumentation
 */
import { type HttpHandler, http } from 'msw';
import { createZohoRouter } from './emulator/router.js';
import type { ZohoEmulatorState } from './emulator/types.js';
import { localUrlScheme, zohoOrigins, zohoUrlScheme } from './emulator/url-scheme.js';

/**
 * Options of {@link zohoHandlers}.
 * @example
 * ```ts
 * server.use(...zohoHandlers(state, { baseUrl: 'http://zoho.test' }));
 * ```
 * @group msw
 */
export interface ZohoHandlersOptions {
  /**
   * Intercept `${baseUrl}/accounts/{dc}/...` and `${baseUrl}/api/{dc}/...` (the node:http server's URL
   * layout) instead of Zoho's real hosts, e.g. `'http://zoho.test'`.
   */
  baseUrl?: string;
}

/**
 * msw handlers with the emulator's full behaviour (OAuth, CRM REST, limits, faults), backed by `state`.
 * On Zoho's real hosts, token responses carry the real `api_domain` of the org's data centre and the
 * consent redirect its real `accounts-server`.
 * @param state - From `createZohoEmulatorState()` in `zoho-crm-connector/testing`, or a running
 *   emulator's `emu.state` (both transports then share one CRM).
 * @example
 * ```ts
 * import { setupServer } from 'msw/node';
 * import { createZohoEmulatorState } from 'zoho-crm-connector/testing';
 * import { zohoHandlers } from 'zoho-crm-connector/testing/msw';
 *
 * const state = createZohoEmulatorState({ autoConsent: true });
 * const server = setupServer(...zohoHandlers(state));
 * server.listen({ onUnhandledRequest: 'error' });
 * ```
 * @group msw
 */
export function zohoHandlers(state: ZohoEmulatorState, options: ZohoHandlersOptions = {}): HttpHandler[] {
  if (options.baseUrl !== undefined) {
    const base = options.baseUrl.replace(/\/+$/, '');
    const router = createZohoRouter(state, localUrlScheme(base));
    return [
      http.all(`${base}/accounts/*`, ({ request }) => router(request)),
      http.all(`${base}/api/*`, ({ request }) => router(request)),
    ];
  }
  const router = createZohoRouter(state, zohoUrlScheme());
  return zohoOrigins().map((origin) => http.all(`${origin}/*`, ({ request }) => router(request)));
}
