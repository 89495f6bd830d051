/**
 * End to end through the connector: what `diagnose({ write: true })` measures (the phone-search reading,
 * the phone fields) is what the next lookups rely on, with no lookup having to learn it first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES, DIAGNOSE_SCOPES } from '../../src/oauth/scopes.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { authorize, closeConnectors, connectorFor, registerClient } from '../integration/helpers.js';

const T0 = Date.parse('2026-06-01T12:00:00Z');
const live: ZohoEmulator[] = [];
afterEach(async () => {
  await closeConnectors();
  await Promise.all(live.splice(0).map((emu) => emu.close()));
});

describe('lookups after diagnose()', () => {
  it.each([
    ['digits-contains', { hit: { search: 1, coql: 0 }, miss: { search: 3, coql: 0 } }],
    ['exact', { hit: { search: 0, coql: 1 }, miss: { search: 0, coql: 4 } }],
  ] as const)('%s: the measured reading decides at once', async (phoneMatch, cost) => {
    const emu = await startZohoEmulator({ autoConsent: true, now: () => T0, phoneMatch });
    live.push(emu);
    registerClient(emu);
    const zoho = connectorFor(emu, {
      connectionId: `diagnosed-${phoneMatch}`,
      scopes: [...DEFAULT_SCOPES, ...DIAGNOSE_SCOPES],
    });
    await authorize(zoho);
    const report = await zoho.diagnose({
      write: true,
      clock: { now: () => emu.now(), sleep: async (ms) => emu.advanceTime(ms) },
    });
    expect(report.calibration.phoneSearch).toBe(phoneMatch);
    const [id] = emu.seed('Contacts', [{ Last_Name: 'Ada', Mobile: '+1 415 555 0190' }]);
    const measure = async (number: string) => {
      const before = emu.stats().requests;
      const match = await zoho.lookupCaller(number);
      const after = emu.stats().requests;
      const sent = (key: string) => (after[key] ?? 0) - (before[key] ?? 0);
      return {
        match,
        search: Object.keys(after)
          .filter((key) => key.endsWith('/search'))
          .reduce((sum, key) => sum + sent(key), 0),
        coql: sent('POST /crm/v8/coql'),
        fields: sent('GET /crm/v8/settings/fields'),
      };
    };
    // A lookup process reads each module's field list once itself, when it first reaches the module.
    expect(await measure('+14155550190')).toMatchObject({ match: { id }, ...cost.hit, fields: 1 });
    expect(await measure('+14155550191')).toMatchObject({ match: null, ...cost.miss, fields: 2 });
    expect(await measure('+14155550192')).toMatchObject({ match: null, ...cost.miss, fields: 0 });
  });
});
