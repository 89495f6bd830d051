import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ZohoCrmConnector } from '../../src/connector.js';
import type { Logger } from '../../src/logger.js';
import type { ConnectorOptions } from '../../src/options.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { CALLER_IDS as NUMBERS } from '../helpers/caller-ids.js';
import { deferred, FAKE_TIME, until } from '../helpers/time.js';
import { authorize, closeConnectors, connectorFor, registerClient } from './helpers.js';

let emu: ZohoEmulator;
beforeAll(async () => {
  // One authorization per test connector: more than Zoho's 10 grant codes per 10 minutes and 20 refresh
  // tokens per user, so the emulator's limits are raised here (their own tests prove them).
  emu = await startZohoEmulator({
    autoConsent: true,
    edition: 'Enterprise',
    oauthLimits: { grantCodesPerWindow: 1_000, refreshTokensPerUser: 1_000 },
  });
  registerClient(emu);
});
// Ring deadlines, HTTP timers and the emulator's latency run on time the tests move, so no lookup here
// can pass its deadline because the machine is slow; the sockets are real.
beforeEach(() => {
  vi.useFakeTimers(FAKE_TIME);
});
afterEach(async () => {
  await closeConnectors(); // each test's lookups stop before the next test counts requests
  vi.useRealTimers();
});
afterAll(async () => {
  await emu.close();
});

/** A logger that tells `onMessage` what it hears and prints nothing. */
function quietLogger(onMessage: (message: string) => void): Logger {
  const log = (_fields: unknown, message: string) => onMessage(message);
  return { debug: log, info: log, warn: log, error: log };
}

let tenant = 0;
async function connector(options: Partial<ConnectorOptions> = {}) {
  const zoho = connectorFor(emu, { connectionId: `tenant-${++tenant}`, ...options });
  await authorize(zoho);
  return zoho;
}

const searches = () =>
  Object.entries(emu.stats().requests)
    .filter(([endpoint]) => endpoint.includes('/search'))
    .reduce((sum, [, count]) => sum + count, 0);

describe('caller ID against the emulator', () => {
  it(`${NUMBERS.length} caller IDs across ${new Set(NUMBERS.map((n) => n[0])).size} countries match records stored in other formats`, async () => {
    const ids = emu.seed(
      'Contacts',
      NUMBERS.map(([country, , stored], i) => ({
        First_Name: country,
        Last_Name: `Caller${i}`,
        Mobile: stored,
      })),
    );
    const byCountry = new Map<string, ZohoCrmConnector>();
    const failures: string[] = [];
    for (const [i, [country, callerId]] of NUMBERS.entries()) {
      let zoho = byCountry.get(country);
      if (!zoho) {
        zoho = await connector({ lookup: { defaultCountry: country, order: ['Contacts'] } });
        byCountry.set(country, zoho);
      }
      const match = await zoho.lookupCaller(callerId);
      if (match?.id !== ids[i]) failures.push(`${country} ${callerId} → ${match?.name ?? 'no match'}`);
    }
    expect(failures).toEqual([]);
  });

  it('follows the lookup order and counts searches (sequential)', async () => {
    emu.seed('Leads', [{ Last_Name: 'Lead Only', Company: 'L', Phone: '(212) 555-0190' }]);
    emu.seed('Accounts', [{ Account_Name: 'Account Only', Phone: '+1 212 555 0191' }]);
    const zoho = await connector();
    let before = searches();
    expect((await zoho.lookupCaller('+12125550190'))?.module).toBe('Leads');
    expect(searches() - before).toBe(2);
    before = searches();
    expect((await zoho.lookupCaller('+12125550191'))?.module).toBe('Accounts');
    expect(searches() - before).toBe(3);
    before = searches();
    expect(await zoho.lookupCaller('+12125550190')).toMatchObject({ module: 'Leads', source: 'cache' });
    expect(searches() - before).toBe(0);
  });

  it('parallel: every module at once, the highest priority wins', async () => {
    emu.seed('Contacts', [{ Last_Name: 'Both Contact', Phone: '212-555-0192' }]);
    emu.seed('Accounts', [{ Account_Name: 'Both Account', Phone: '2125550192' }]);
    // Zoho answers the lower-priority modules only when the test says so.
    const lower = deferred();
    const sent: string[] = [];
    const zoho = await connector({
      lookup: { strategy: 'parallel', order: ['Accounts', 'Contacts', 'Leads'] },
      fetch: async (input, init) => {
        const module = /\/crm\/v8\/(\w+)\/search/.exec(String(input))?.[1];
        if (module) sent.push(module);
        if (module && module !== 'Accounts') await lower.promise;
        return fetch(input, init);
      },
    });
    const before = searches();
    expect((await zoho.lookupCaller('+12125550192'))?.name).toBe('Both Account');
    // The answer did not wait for the lower-priority modules; their searches are sent all the same.
    await until(() => sent.length === 3, 'every module sends its search');
    expect(sent.sort()).toEqual(['Accounts', 'Contacts', 'Leads']);
    lower.resolve();
    await until(() => searches() - before === 3, 'the lower-priority searches reach Zoho');
  });

  it('whenNotFoundInPbx: the PBX answers without Zoho; otherwise Zoho is asked', async () => {
    emu.seed('Contacts', [{ Last_Name: 'Zoho Person', Phone: '212 555 0193' }]);
    const zoho = await connector({
      lookup: { query: 'whenNotFoundInPbx' },
      pbxContacts: { lookup: (e164) => (e164 === '+12125550194' ? { name: 'Front Desk' } : undefined) },
    });
    const before = searches();
    expect(await zoho.lookupCaller('212-555-0194')).toMatchObject({ name: 'Front Desk', source: 'pbx' });
    expect(searches() - before).toBe(0);
    expect(await zoho.lookupCaller('212-555-0193')).toMatchObject({ name: 'Zoho Person', source: 'zoho' });
  });

  it('1,000 concurrent lookups of 100 numbers cost at most 100 × modules searches', async () => {
    const zoho = await connector({ http: { maxConcurrency: 20 } });
    const numbers = Array.from({ length: 100 }, (_, i) => `+1646555${String(1000 + i)}`);
    const before = searches();
    const results = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) =>
        zoho.lookupCaller(numbers[i % 100] as string, { timeoutMs: 30_000 }),
      ),
    );
    expect(results.every((r) => r === null)).toBe(true);
    expect(searches() - before).toBeLessThanOrEqual(300);
  });

  it('with Zoho 5 s slow and timeoutMs 800, a lookup resolves null at 800 ms; the late answer is a cache hit', async () => {
    emu.seed('Contacts', [{ Last_Name: 'Slow Caller', Phone: '(212) 555-0195' }]);
    const late = deferred();
    // One request per lookup (the search), so that the test knows when Zoho answers.
    const zoho = await connector({
      lookup: { timeoutMs: 800, order: ['Contacts'], discoverPhoneFields: false },
      logger: quietLogger((message) => {
        if (message === 'caller lookup answered after its deadline') late.resolve();
      }),
    });
    emu.faults({ latencyMs: 5_000 });
    try {
      let answered = false;
      const ring = zoho.lookupCaller('+12125550195').finally(() => {
        answered = true;
      });
      await until(() => emu.stats().inFlight === 1, 'the search reaches the emulator');
      await vi.advanceTimersByTimeAsync(799);
      expect(answered).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(await ring).toBeNull(); // at the deadline, while Zoho still holds the search
      expect(emu.stats().inFlight).toBe(1);
      await vi.advanceTimersByTimeAsync(4_200); // Zoho answers, 5 s after the search arrived
      await late.promise;
    } finally {
      emu.faults(null);
    }
    const before = searches();
    expect(await zoho.lookupCaller('+12125550195')).toMatchObject({ name: 'Slow Caller', source: 'cache' });
    expect(searches() - before).toBe(0);
  });

  it('close() cancels a lookup still searching past its deadline, without waiting for Zoho', async () => {
    const sent: string[] = [];
    const cancelled: string[] = [];
    const zoho = await connector({
      lookup: { timeoutMs: 800, order: ['Contacts', 'Leads'], discoverPhoneFields: false },
      fetch: async (input, init) => {
        const module = /\/crm\/v8\/(\w+)\/search/.exec(String(input))?.[1];
        if (module) sent.push(module);
        try {
          return await fetch(input, init);
        } catch (error) {
          if (module && init?.signal?.aborted) cancelled.push(module);
          throw error;
        }
      },
    });
    emu.faults({ latencyMs: 5_000 });
    try {
      const ring = zoho.lookupCaller('+12125550197');
      await until(() => emu.stats().inFlight === 1, 'the search reaches the emulator');
      await vi.advanceTimersByTimeAsync(800);
      expect(await ring).toBeNull();
      await zoho.close(); // resolves while fake time stands still: Zoho has not answered
      expect(cancelled).toEqual(['Contacts']);
      await vi.advanceTimersByTimeAsync(5_000);
      await until(() => emu.stats().inFlight === 0, 'the emulator drops the abandoned search');
      expect(sent).toEqual(['Contacts']); // the lookup went no further: Leads was never asked
    } finally {
      emu.faults(null);
    }
  });

  it('directory search finds people by name with E.164 numbers', async () => {
    emu.seed('Contacts', [
      { First_Name: 'Zelda', Last_Name: 'Fitzgerald', Mobile: '(212) 555-0196', Email: 'zelda@example.com' },
    ]);
    const zoho = await connector();
    const people = await zoho.searchDirectory('Fitzgerald');
    expect(people).toEqual([
      expect.objectContaining({
        module: 'Contacts',
        name: 'Zelda Fitzgerald',
        phones: [{ field: 'Mobile', e164: '+12125550196' }],
      }),
    ]);
  });
});
