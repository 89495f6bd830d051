import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ZohoCrmConnector } from '../../src/connector.js';
import type { Logger } from '../../src/logger.js';
import type { ConnectorOptions } from '../../src/options.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
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

// [country of the org, caller ID as the trunk sends it, the same number as stored in Zoho]
// Stored formats always differ from the caller ID's. All rows share one emulator org, so no two rows may
// hold national numbers that read the same in another row's country (a real multi-country org storing
// national formats has that ambiguity too: `lookup.defaultCountry` decides).
const NUMBERS: Array<[string, string, string]> = [
  ['US', '+14155550101', '(415) 555-0101'],
  ['US', '4155550102', '+1 415-555-0102'],
  ['US', '1-415-555-0103', '415.555.0103'],
  ['US', '(415) 555-0104', '+14155550104'],
  ['US', '011 44 20 7946 0101', '+44 20 7946 0101'],
  ['US', 'tel:+1-415-555-0105', '415 555 0105'],
  ['US', 'sip:+14155550106@pbx.example.com;user=phone', '(415)555-0106'],
  ['US', '"Ada" <sip:+14155550107@pbx.example.com>', '1 (415) 555-0107'],
  ['US', '+1 415 555 0108 x12', '415-555-0108'],
  ['US', '415-555-0109 ext. 7', '+1.415.555.0109'],
  ['US', '+1 (416) 555-0110', '416-555-0110'],
  ['CA', '6135550111', '+1 613 555 0111'],
  ['CA', '+1 613-555-0112', '(613) 555-0112'],
  ['CA', '1 (604) 555-0113', '604.555.0113'],
  ['GB', '020 7946 0111', '+44 20 7946 0111'],
  ['GB', '+44 20 7946 0112', '020 7946 0112'],
  ['GB', '0044 20 7946 0113', '(020) 7946 0113'],
  ['GB', '07700 900114', '+44 7700 900114'],
  ['GB', '+447700900115', '07700 900 115'],
  ['GB', 'tel:+44-161-496-0116', '0161 496 0116'],
  ['GB', 'sip:+441614960117@trunk.example.net', '0161-496-0117'],
  ['DE', '030 901820', '+49 30 901820'],
  ['DE', '+49 30 12345678', '030/12345678'],
  ['DE', '0049 89 1234567', '089 1234567'],
  ['DE', '01512 3456789', '+49 1512 3456789'],
  ['DE', '+4915123456780', '0151 23456780'],
  ['FR', '01 23 45 67 89', '+33 1 23 45 67 89'],
  ['FR', '+33 6 98 76 54 32', '06 98 76 54 32'],
  ['FR', '0033 1 23 45 67 80', '01.23.45.67.80'],
  ['FR', '+33123456781', '01-23-45-67-81'],
  ['IN', '+91 98765 43210', '098765 43210'],
  ['IN', '09876543211', '+91-98765-43211'],
  ['IN', '98765 43212', '+919876543212'],
  ['IN', '+91 22 2345 6789', '022 2345 6789'],
  ['JP', '03-1234-5678', '+81 3-1234-5678'],
  ['JP', '+81 90 1234 5678', '090-1234-5678'],
  ['JP', '09012345679', '+81-90-1234-5679'],
  ['JP', '010 81 3 1234 5670', '03 1234 5670'],
  ['AU', '(02) 9876 5432', '+61 2 9876 5432'],
  ['AU', '+61 412 345 678', '0412 345 678'],
  ['AU', '0412345679', '+61412345679'],
  ['AU', '0011 61 2 9876 5433', '02 9876 5433'],
  ['SA', '+966 11 234 5678', '011 234 5678'],
  ['SA', '050 123 4567', '+966 50 123 4567'],
  ['SA', '00966501234568', '0501234568'],
  ['BR', '+55 11 91234-5678', '(11) 91234-5678'],
  ['BR', '(21) 2345-6789', '+55 21 2345-6789'],
  ['BR', '+5511912345679', '11 91234 5679'],
  ['AE', '+971 52 123 4567', '052 123 4567'],
  ['AE', '04 123 4567', '+971 4 123 4567'],
  ['AE', '00971521234568', '052-123-4568'],
  ['ES', '+34 912 34 56 78', '912 345 678'],
  ['ES', '612 345 679', '+34 612345679'],
  ['IT', '+39 06 1234 5678', '06 12345678'],
  ['IT', '06 1234 5679', '+39 0612345679'],
  ['MX', '+52 55 1234 5678', '55 1234 5678'],
  ['NL', '020 123 4567', '+31 20 123 4567'],
  ['NL', '+31 6 87654321', '06-87654321'],
  ['SG', '+65 6123 4567', '6123 4567'],
  ['ZA', '021 123 4567', '+27 21 123 4567'],
  ['ZA', '+27 82 123 4567', '082 123 4567'],
  ['NZ', '+64 9 123 4567', '09 123 4567'],
  ['CH', '044 123 45 67', '+41 44 123 45 67'],
  ['SE', '+46 8 123 456 78', '08-123 456 78'],
];

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
    // The answer did not wait for the lower-priority modules; their searches were sent all the same.
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
    const zoho = await connector({
      lookup: { timeoutMs: 800, order: ['Contacts'] },
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
      lookup: { timeoutMs: 800, order: ['Contacts', 'Leads'] },
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
