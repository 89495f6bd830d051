import { describe, expect, it } from 'vitest';
import { readCalibration } from '../../src/calibration/calibration.js';
import { createCalibrationKeeper } from '../../src/calibration/keeper.js';
import { noopLogger } from '../../src/logger.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { StoredTokens } from '../../src/stores/types.js';

const tokens: StoredTokens = {
  accessToken: '1000.access',
  refreshToken: '1000.refresh',
  expiresAt: 10_000_000,
  apiDomain: 'https://www.zohoapis.com',
  accountsServer: 'https://accounts.zoho.com',
  region: 'US',
  grantedAt: 1,
};

describe('calibration keeper', () => {
  it('stores what it learns with the tokens, and a second process reads it back', async () => {
    const store = createMemoryStore();
    await store.set('c1', tokens);
    let now = 1000;
    const first = createCalibrationKeeper({ connectionId: 'c1', store, now: () => now, logger: noopLogger });
    await first.update({ phoneSearch: 'digits-exact', sources: { phoneSearch: 'diagnose' } });
    now = 2000;
    await first.update({ durationFormat: 'HH:mm', sources: { durationFormat: 'traffic' } });

    const stored = await store.get('c1');
    expect(stored?.accessToken).toBe('1000.access');
    expect(stored?.calibration).toMatchObject({
      phoneSearch: 'digits-exact',
      durationFormat: 'HH:mm',
      measuredAt: 2000,
    });

    const second = createCalibrationKeeper({ connectionId: 'c1', store, now: () => now, logger: noopLogger });
    expect(second.current().phoneSearch).toBe('unknown');
    const loaded = await second.load();
    expect(loaded).toMatchObject({
      phoneSearch: 'digits-exact',
      durationFormat: 'HH:mm',
      sources: { phoneSearch: 'diagnose', durationFormat: 'traffic' },
    });
    expect(second.current()).toEqual(loaded);
  });

  it('without a grant keeps the calibration in memory and writes nothing', async () => {
    const store = createMemoryStore();
    const keeper = createCalibrationKeeper({ connectionId: 'c1', store, now: () => 5, logger: noopLogger });
    await keeper.update({ phoneSearch: 'exact' });
    expect(keeper.current().phoneSearch).toBe('exact');
    expect(await store.get('c1')).toBeUndefined();
  });

  it('serialises concurrent updates so no fact is lost', async () => {
    const store = createMemoryStore();
    await store.set('c1', tokens);
    const keeper = createCalibrationKeeper({ connectionId: 'c1', store, now: () => 7, logger: noopLogger });
    await Promise.all([
      keeper.update({ phoneSearch: 'digits-contains' }),
      keeper.update({ durationFormat: 'mm:ss' }),
      keeper.update({ indexLagMs: 1500 }),
    ]);
    expect((await store.get('c1'))?.calibration).toMatchObject({
      phoneSearch: 'digits-contains',
      durationFormat: 'mm:ss',
      indexLagMs: 1500,
    });
  });

  it("merges phone fields per module: one module's list never drops another's", async () => {
    const store = createMemoryStore();
    await store.set('c1', tokens);
    const keeper = createCalibrationKeeper({ connectionId: 'c1', store, now: () => 7, logger: noopLogger });
    await Promise.all([
      keeper.update({ phoneFields: { Contacts: ['Phone', 'Work_Phone'] } }),
      keeper.update({ phoneFields: { Leads: ['Phone'] } }),
    ]);
    await keeper.update({ phoneFields: { Contacts: ['Phone'] } });
    expect((await store.get('c1'))?.calibration?.phoneFields).toEqual({
      Contacts: ['Phone'],
      Leads: ['Phone'],
    });
  });

  it('a store that fails to read leaves the calibration unknown (it only saves requests)', async () => {
    const store = createMemoryStore();
    const failing = {
      ...store,
      get: () => Promise.reject(Object.assign(new Error('down'), { code: 'TOKEN_STORE' })),
    };
    const warnings: unknown[] = [];
    const logger = { ...noopLogger, warn: (fields: unknown) => warnings.push(fields) };
    const keeper = createCalibrationKeeper({ connectionId: 'c1', store: failing, now: () => 1, logger });
    expect((await keeper.load()).phoneSearch).toBe('unknown');
    expect(warnings).toEqual([{ connectionId: 'c1', code: 'TOKEN_STORE' }]);
  });

  it('a damaged stored calibration is read field by field, never trusted', () => {
    expect(readCalibration({ phoneSearch: 'regex', durationFormat: 'HH:mm', phoneFields: 7 })).toMatchObject({
      phoneSearch: 'unknown',
      durationFormat: 'HH:mm',
      phoneFields: {},
      callsMandatoryFields: [],
    });
    expect(readCalibration('nonsense')).toBeUndefined();
    expect(readCalibration(undefined)).toBeUndefined();
  });
});
