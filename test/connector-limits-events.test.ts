/**
 * The connector's wiring toward Zoho's limits, against the emulator: the edition's concurrency limit
 * gates requests, and the `rateLimited` and `tokenRefreshed` events reach the host.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RateLimitedEvent } from '../src/connector.js';
import { RateLimitError } from '../src/errors.js';
import type { TokenRefreshedEvent } from '../src/oauth/token-manager.js';
import type { ConnectorOptions } from '../src/options.js';
import {
  startZohoEmulator,
  type ZohoEmulator,
  type ZohoEmulatorServerOptions,
} from '../src/testing/server.js';
import { authorize, CLIENT, connectorFor } from './integration/helpers.js';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of cleanup.splice(0).reverse()) await close();
});

async function setup(emulator: ZohoEmulatorServerOptions, options: Partial<ConnectorOptions> = {}) {
  const emu = await startZohoEmulator({
    autoConsent: true,
    clients: [
      { clientId: CLIENT.clientId, clientSecret: CLIENT.clientSecret, redirectUris: [CLIENT.redirectUri] },
    ],
    ...emulator,
  });
  cleanup.push(() => emu.close());
  const zoho = connectorFor(emu, options);
  cleanup.push(() => zoho.close());
  await authorize(zoho);
  return { emu, zoho };
}

const seedNumbers = (emu: ZohoEmulator, count: number) => {
  const numbers = Array.from({ length: count }, (_, i) => `+1415555${String(2000 + i)}`);
  emu.seed(
    'Contacts',
    numbers.map((phone, i) => ({ Last_Name: `Caller ${i}`, Phone: phone })),
  );
  return numbers;
};

describe('edition concurrency', () => {
  it("a burst never exceeds the edition's concurrent-call limit, so Zoho answers no 429", async () => {
    // A Free org allows 5 calls in flight. Slow answers keep each slot busy while the burst queues.
    const { emu, zoho } = await setup(
      { edition: 'Free', creditLimit: Number.POSITIVE_INFINITY },
      { edition: 'Free', lookup: { order: ['Contacts'], timeoutMs: 60_000 } },
    );
    const numbers = seedNumbers(emu, 30);
    emu.faults({ latencyMs: 40, target: 'api' });

    const matches = await Promise.all(numbers.map((number) => zoho.lookupCaller(number)));

    expect(matches.map((m) => m?.name)).toEqual(numbers.map((_, i) => `Caller ${i}`));
    expect(emu.stats().tooManyRequests).toBe(0);
    expect(emu.stats().concurrentPeak).toBeLessThanOrEqual(5);
  });
});

describe('rateLimited event', () => {
  it('fires with the refused call and the wait Zoho asked for when the daily credits run out', async () => {
    const { emu, zoho } = await setup({ retryAfter: true }, { http: { retries: 0 } });
    const events: RateLimitedEvent[] = [];
    zoho.on('rateLimited', (event) => events.push(event));
    emu.consumeCredits(emu.stats().creditsRemaining);

    await expect(zoho.searchDirectory('Lovelace')).rejects.toBeInstanceOf(RateLimitError);

    // The first request (the Contacts field metadata, read once) meets the 429 and ends the search.
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      connectionId: 'tenant-1',
      method: 'GET',
      path: expect.stringMatching(/\/settings\/fields$/),
    });
    expect(events[0]?.retryAfterMs).toBeGreaterThan(0);
  });

  it('fires when a ringing call meets a 429, and the call still answers null', async () => {
    const { emu, zoho } = await setup({}, { http: { retries: 0 }, lookup: { order: ['Contacts', 'Leads'] } });
    const events: RateLimitedEvent[] = [];
    zoho.on('rateLimited', (event) => events.push(event));
    emu.faults({ status: 429, target: 'api' });

    expect(await zoho.lookupCaller('+14155552671')).toBeNull();
    // The ring stops at the first 429 (the field metadata, read before the first search): no second request.
    expect(events.map((e) => e.path)).toEqual([expect.stringMatching(/\/settings\/fields$/)]);
    expect(events[0]?.retryAfterMs).toBeUndefined();
  });
});

describe('tokenRefreshed event', () => {
  it('fires once with the new expiry when an expired access token is replaced', async () => {
    const { emu, zoho } = await setup({}, { lookup: { order: ['Contacts'] } });
    const events: TokenRefreshedEvent[] = [];
    zoho.on('tokenRefreshed', (event) => events.push(event));
    emu.seed('Contacts', [{ Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
    expect(await zoho.lookupCaller('+14155552671')).not.toBeNull();
    expect(events).toEqual([]);

    emu.expireAccessTokens();
    const before = Date.now();
    expect(await zoho.searchDirectory('Lovelace')).toHaveLength(1);

    expect(emu.stats().refreshes).toBe(1);
    expect(events).toEqual([{ connectionId: 'tenant-1', region: 'US', expiresAt: expect.any(Number) }]);
    expect(events[0]?.expiresAt).toBeGreaterThan(before);
  });
});
