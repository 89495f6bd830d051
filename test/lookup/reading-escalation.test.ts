/**
 * How the default lookup escalates and what it learns from its own traffic, against the emulator:
 * a search hit on a value that holds more digits proves a tolerant reading (kept in the calibration
 * with source `traffic`, so later misses are trusted, in this process and the next); a record found
 * only by COQL, old enough to be indexed, proves a strict one (lookups then start with COQL); the
 * `phoneSearch` and `escalate` options; COQL `like` refused; numbers the connector just wrote.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { emptyCalibration } from '../../src/calibration/calibration.js';
import { type CalibrationKeeper, createCalibrationKeeper } from '../../src/calibration/keeper.js';
import type { ZohoEmulatorOptions } from '../../src/testing/emulator/types.js';
import { type EmulatedOrg, emulatedOrg, keepingLogger, START } from './emulated-org.js';

let org: EmulatedOrg | undefined;
afterEach(async () => {
  await org?.close();
  org = undefined;
});

async function orgWith(options: ZohoEmulatorOptions): Promise<EmulatedOrg> {
  org = await emulatedOrg(options);
  return org;
}

const HOUR_AGO = new Date(START - 3_600_000).toISOString();

describe('learning the reading from a search hit', () => {
  it('a hit on a value with more digits than the term proves digits-suffix; misses are trusted from then on', async () => {
    const o = await orgWith({ phoneMatch: 'digits-contains' });
    const [id] = o.emu.seed('Contacts', [{ Last_Name: 'Ada', Phone: '+1 415 555 0101' }]);
    const { engine } = o.engine();
    const hit = await o.measure(() => engine.lookupCaller('+14155550101'));
    expect(hit).toMatchObject({ result: { id }, search: 1, coql: 0 });
    await expect.poll(() => o.keeper.current().phoneSearch).toBe('digits-suffix');
    expect(o.keeper.current().sources?.phoneSearch).toBe('traffic');
    // Kept beside the tokens, for every process of the connection.
    const stored = (await o.store.get('reading-org')) as { calibration?: { phoneSearch?: string } };
    expect(stored.calibration?.phoneSearch).toBe('digits-suffix');

    expect(await o.measure(() => engine.lookupCaller('+14155550999'))).toMatchObject({
      result: null,
      search: 3,
      coql: 0,
    });
    // A new process reads it from the store: its first miss is trusted too.
    const keeper = createCalibrationKeeper({
      connectionId: 'reading-org',
      store: o.store,
      now: () => o.emu.now(),
      logger: keepingLogger().logger,
    });
    const next = o.engine({}, { keeper }).engine;
    expect(await o.measure(() => next.lookupCaller('+14155550998'))).toMatchObject({
      result: null,
      search: 3,
      coql: 0,
      fields: 3,
    });
  });

  it('digits after the term (an extension) prove digits-contains', async () => {
    const o = await orgWith({ phoneMatch: 'digits-contains' });
    o.emu.seed('Contacts', [{ Last_Name: 'Desk', Phone: '415 555 0101 ext 9' }]);
    const { engine } = o.engine();
    expect(await engine.lookupCaller('+14155550101')).not.toBeNull();
    await expect.poll(() => o.keeper.current().phoneSearch).toBe('digits-contains');
  });

  it('a hit on exactly the term proves nothing; nor does one while the phone fields are not all known', async () => {
    const o = await orgWith({ phoneMatch: 'digits-contains' });
    o.emu.seed('Contacts', [
      { Last_Name: 'Plain', Phone: '(415) 555-0101' },
      { Last_Name: 'Longer', Phone: '+1 415 555 0102' },
    ]);
    const { engine } = o.engine();
    expect(await engine.lookupCaller('+14155550101')).not.toBeNull();
    const blind = o.engine({ discoverPhoneFields: false }).engine;
    expect(await blind.lookupCaller('+14155550102')).not.toBeNull();
    await engine.settled();
    expect(o.keeper.current().phoneSearch).toBe('unknown');
  });
});

describe('when the calibration cannot be written', () => {
  it('what was learned still holds in this process, and the failures are logged', async () => {
    const o = await orgWith({ phoneMatch: 'digits-contains' });
    o.emu.seed('Contacts', [{ Last_Name: 'Ada', Phone: '+1 415 555 0101' }]);
    const broken: CalibrationKeeper = {
      current: () => emptyCalibration(),
      load: async () => emptyCalibration(),
      update: () => Promise.reject(new Error('store down')),
    };
    const { logger, lines } = keepingLogger();
    const { engine } = o.engine({}, { keeper: broken, logger });
    expect(await engine.lookupCaller('+14155550101')).not.toBeNull();
    expect(await o.measure(() => engine.lookupCaller('+14155550999'))).toMatchObject({ search: 3, coql: 0 });
    expect(lines).toContainEqual({
      level: 'warn',
      fields: { code: 'UNEXPECTED' },
      message: 'cannot keep the phone-search reading with the calibration',
    });
    expect(lines).toContainEqual({
      level: 'warn',
      fields: { module: 'Contacts', code: 'UNEXPECTED' },
      message: 'cannot keep the phone fields with the calibration',
    });
  });
});

describe('learning a strict reading from an escalation', () => {
  it('exact: an old record holding the digits of the term that search missed; lookups then start with COQL', async () => {
    const o = await orgWith({ phoneMatch: 'exact' });
    const [id] = o.emu.seed('Contacts', [
      { Last_Name: 'Old', Phone: '(415) 555-0101', Modified_Time: HOUR_AGO },
    ]);
    const { engine } = o.engine({ order: ['Contacts'] });
    expect(await o.measure(() => engine.lookupCaller('+14155550101'))).toMatchObject({
      result: { id },
      search: 1,
      coql: 1,
    });
    await expect.poll(() => o.keeper.current().phoneSearch).toBe('exact');
    const [other] = o.emu.seed('Contacts', [{ Last_Name: 'New', Mobile: '+1 415 555 0102' }]);
    expect(await o.measure(() => engine.lookupCaller('+14155550102'))).toMatchObject({
      result: { id: other },
      search: 0,
      coql: 1,
    });
  });

  it('digits-exact: an old record whose digits end with the term', async () => {
    const o = await orgWith({ phoneMatch: 'digits-exact' });
    o.emu.seed('Contacts', [{ Last_Name: 'Old', Phone: '+1 415 555 0101', Modified_Time: HOUR_AGO }]);
    const { engine } = o.engine({ order: ['Contacts'] });
    expect(await engine.lookupCaller('+14155550101')).not.toBeNull();
    await expect.poll(() => o.keeper.current().phoneSearch).toBe('digits-exact');
  });

  it('a record modified minutes ago proves nothing (it may not be indexed yet)', async () => {
    const o = await orgWith({ phoneMatch: 'exact' });
    o.emu.seed('Contacts', [{ Last_Name: 'Young', Phone: '(415) 555-0101' }]);
    o.emu.advanceTime(5 * 60_000);
    const { engine } = o.engine({ order: ['Contacts'] });
    expect(await engine.lookupCaller('+14155550101')).not.toBeNull();
    await engine.settled();
    expect(o.keeper.current().phoneSearch).toBe('unknown');
  });
});

describe('options', () => {
  it('phoneSearch overrides the calibration and is never overwritten by traffic', async () => {
    const o = await orgWith({ phoneMatch: 'exact' });
    await o.keeper.update({ phoneSearch: 'digits-contains', sources: { phoneSearch: 'diagnose' } });
    o.emu.seed('Contacts', [{ Last_Name: 'Ada', Mobile: '+1 415 555 0101' }]);
    const { engine } = o.engine({ phoneSearch: 'exact', order: ['Contacts'] });
    expect(await o.measure(() => engine.lookupCaller('+14155550101'))).toMatchObject({ search: 0, coql: 1 });
    const trusting = o.engine({ phoneSearch: 'digits-contains' }).engine;
    expect(await o.measure(() => trusting.lookupCaller('+14155550102'))).toMatchObject({
      result: null,
      search: 3,
      coql: 0,
    });
    expect(o.keeper.current()).toMatchObject({
      phoneSearch: 'digits-contains',
      sources: { phoneSearch: 'diagnose' },
    });
  });

  it('escalate: false trusts every search miss (one search per module), as before', async () => {
    const o = await orgWith({ phoneMatch: 'exact' });
    o.emu.seed('Contacts', [{ Last_Name: 'Ada', Mobile: '+1 415 555 0101' }]);
    const { engine } = o.engine({ escalate: false });
    expect(await o.measure(() => engine.lookupCaller('+14155550101'))).toMatchObject({
      result: null,
      search: 3,
      coql: 0,
    });
  });

  it('searchTermsPerModule: more digit forms before escalating', async () => {
    const o = await orgWith({ phoneMatch: 'digits-exact' });
    const [id] = o.emu.seed('Contacts', [{ Last_Name: 'Ada', Mobile: '+1 415 555 0101' }]);
    const { engine } = o.engine({ searchTermsPerModule: 2, order: ['Contacts'] });
    expect(await o.measure(() => engine.lookupCaller('+14155550101'))).toMatchObject({
      result: { id },
      search: 2,
      coql: 0,
    });
  });

  it("method: 'coql' still queries exact equality over the usual writings, one query per module", async () => {
    const o = await orgWith({ phoneMatch: 'exact' });
    const [id] = o.emu.seed('Leads', [{ Last_Name: 'Ada', Company: 'Co', Phone: '415.555.0101' }]);
    const { engine } = o.engine({ method: 'coql' });
    expect(await o.measure(() => engine.lookupCaller('+14155550101'))).toMatchObject({
      result: { id, module: 'Leads' },
      search: 0,
      coql: 2,
    });
  });
});

describe('when COQL like on phone fields is refused', () => {
  it('exact: falls back to the digit strings, E.164 and libphonenumber formats; like is not asked again', async () => {
    const o = await orgWith({ phoneMatch: 'exact', coqlLikeOnPhoneFields: 'reject' });
    const stored = ['+14155550101', '(415) 555-0102', '+1 415 555 0103', '0014155550104', '14155550105'];
    const ids = o.emu.seed(
      'Contacts',
      stored.map((Phone, i) => ({ Last_Name: `C${i}`, Phone })),
    );
    const { logger, lines } = keepingLogger();
    const { engine } = o.engine({ order: ['Contacts'] }, { logger });
    const first = await o.measure(() => engine.lookupCaller('+14155550101'));
    expect(first).toMatchObject({ result: { id: ids[0] }, coql: 1 });
    expect(lines.map((l) => l.message)).toContain(
      'COQL refused the phone query; searching more number forms instead',
    );
    for (const [i, id] of ids.entries()) {
      if (i === 0) continue;
      const m = await o.measure(() => engine.lookupCaller(`+1415555010${i + 1}`));
      expect(m).toMatchObject({ result: { id }, coql: 0 });
    }
  });

  it('digits-exact: the digit strings find any punctuation', async () => {
    const o = await orgWith({ phoneMatch: 'digits-exact', coqlLikeOnPhoneFields: 'reject' });
    const [id] = o.emu.seed('Contacts', [{ Last_Name: 'Dots', Phone: '+1.415.555.0101' }]);
    const { engine } = o.engine({ order: ['Contacts'] });
    expect((await engine.lookupCaller('+14155550101'))?.id).toBe(id);
  });
});

describe('COQL like pages', () => {
  it('reads at most 1,000 records ending with the same digits, and says so in a debug line', async () => {
    const o = await orgWith({ phoneMatch: 'exact' });
    const decoys = Array.from({ length: 1_000 }, (_, i) => ({
      Last_Name: `Decoy ${i}`,
      Phone: `(${212 + Math.floor(i / 500)}) ${500 + (i % 500)}-2671`,
    }));
    o.emu.seed('Contacts', [...decoys, { Last_Name: 'Ada', Phone: '(415) 555-2671' }]);
    const { logger, lines } = keepingLogger();
    const { engine } = o.engine({ order: ['Contacts'] }, { logger });
    expect(await o.measure(() => engine.lookupCaller('+14155552671'))).toMatchObject({
      result: null,
      search: 1,
      coql: 6, // five pages of the first three fields, one of the other two
    });
    expect(lines.map((l) => l.message)).toContain(
      'COQL like matched more records than the lookup reads; some were not verified',
    );
  });
});

describe('numbers this connector just wrote (search-index lag)', () => {
  const written = (id: string) =>
    ({ module: 'Contacts', id, name: 'New', phone: '+14155550101', field: 'Phone', source: 'zoho' }) as const;

  it('a miss is not trusted while the number may not be indexed: COQL finds the new record', async () => {
    const o = await orgWith({ phoneMatch: 'digits-contains', searchIndexDelayMs: 2_000 });
    await o.keeper.update({ phoneSearch: 'digits-contains', indexLagMs: 2_000 });
    const [id] = o.emu.seed('Contacts', [{ Last_Name: 'New', Phone: '+14155550101' }], { indexed: false });
    const { engine } = o.engine({ order: ['Contacts'] });
    engine.remember(written(id as string)); // what createRecord does
    engine.invalidate('+14155550101'); // the cache lost it (a host's invalidate, eviction)
    expect(await o.measure(() => engine.lookupCaller('+14155550101'))).toMatchObject({
      result: { id },
      search: 1,
      coql: 1,
    });
  });

  it('a number created in Zoho itself a moment ago: the trusted miss is cached for negativeTtlMs', async () => {
    const o = await orgWith({ phoneMatch: 'digits-contains', searchIndexDelayMs: 2_000 });
    await o.keeper.update({ phoneSearch: 'digits-contains', indexLagMs: 2_000 });
    const [id] = o.emu.seed('Contacts', [{ Last_Name: 'UI', Phone: '+14155550101' }], { indexed: false });
    const { engine } = o.engine({ order: ['Contacts'] });
    expect(await engine.lookupCaller('+14155550101')).toBeNull();
    o.emu.advanceTime(2_001); // indexed now, but the miss is remembered
    expect(await o.measure(() => engine.lookupCaller('+14155550101'))).toMatchObject({
      result: null,
      search: 0,
    });
    engine.forget('+1 (415) 555-0101'); // the connector's invalidate()
    expect((await engine.lookupCaller('+14155550101'))?.id).toBe(id);
  });

  it('a miss of a number just written is cached no longer than the measured lag', async () => {
    const o = await orgWith({ phoneMatch: 'digits-contains', coqlLikeOnPhoneFields: 'reject' });
    await o.keeper.update({ phoneSearch: 'digits-contains', indexLagMs: 2_000 });
    const { engine } = o.engine({ order: ['Contacts'] });
    engine.remember(written('1'));
    engine.invalidate('+14155550101');
    expect(await engine.lookupCaller('+14155550101')).toBeNull(); // not there (deleted meanwhile)
    expect(await o.measure(() => engine.lookupCaller('+14155550101'))).toMatchObject({ search: 0 });
    o.emu.advanceTime(2_001);
    const [id] = o.emu.seed('Contacts', [{ Last_Name: 'Back', Phone: '+14155550101' }]);
    expect((await engine.lookupCaller('+14155550101'))?.id).toBe(id);
  });
});
