/**
 * Phone fields by default: each module's field metadata is read once per process and kept with the
 * calibration, custom phone fields are verified and queried, standard fields the layout lacks are never
 * named; when the grant may not read field metadata, lookups go on with the kept or standard fields and
 * the `lookup` event says why.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_SCOPES } from '../../src/oauth/scopes.js';
import type { ZohoEmulatorOptions } from '../../src/testing/emulator/types.js';
import { type EmulatedOrg, emulatedOrg, keepingLogger } from './emulated-org.js';

let org: EmulatedOrg | undefined;
afterEach(async () => {
  await org?.close();
  org = undefined;
});

const WORK_PHONE: ZohoEmulatorOptions = {
  fields: { Contacts: [{ apiName: 'Work_Phone', dataType: 'phone' }] },
};
const NO_FIELD_METADATA = DEFAULT_SCOPES.filter((scope) => scope !== 'ZohoCRM.settings.fields.READ');
const refusals = (o: EmulatedOrg) => o.emu.stats().statuses['400'] ?? 0;

describe('field metadata', () => {
  it('is read once per module per process, verifies custom fields and is kept with the calibration', async () => {
    org = await emulatedOrg({ phoneMatch: 'digits-contains', ...WORK_PHONE });
    const [desk] = org.emu.seed('Contacts', [{ Last_Name: 'Desk', Work_Phone: '(415) 555-0140' }]);
    const { engine } = org.engine({ strategy: 'parallel' });
    expect(await org.measure(() => engine.lookupCaller('+14155550140'))).toMatchObject({
      result: { id: desk, field: 'Work_Phone' },
      fields: 3,
    });
    expect(await org.measure(() => engine.lookupCaller('+14155550141'))).toMatchObject({ fields: 0 });
    await engine.settled();
    // Every module's list is kept, none overwriting another (the three were read at once).
    await expect
      .poll(() => org?.keeper.current().phoneFields)
      .toEqual({
        Contacts: ['Phone', 'Mobile', 'Home_Phone', 'Other_Phone', 'Asst_Phone', 'Work_Phone'],
        Leads: ['Phone', 'Mobile'],
        Accounts: ['Phone'],
      });
    const stored = (await org.store.get('reading-org')) as { calibration?: { phoneFields?: object } };
    expect(stored.calibration?.phoneFields).toHaveProperty('Contacts');
  });

  it('a standard field the layout lacks is never named in COQL', async () => {
    org = await emulatedOrg({ phoneMatch: 'exact', absentFields: { Contacts: ['Mobile', 'Home_Phone'] } });
    const [id] = org.emu.seed('Contacts', [{ Last_Name: 'Ada', Other_Phone: '415.555.0101' }]);
    const { engine } = org.engine({ order: ['Contacts'] });
    expect((await engine.lookupCaller('+14155550101'))?.id).toBe(id);
    expect(refusals(org)).toBe(0);
  });
});

describe('when the grant may not read field metadata', () => {
  it('lookups use the standard fields, the event and a warning say why, and the call is not repeated for 10 minutes', async () => {
    org = await emulatedOrg({ phoneMatch: 'digits-contains', ...WORK_PHONE }, { scopes: NO_FIELD_METADATA });
    const [ada] = org.emu.seed('Contacts', [
      { Last_Name: 'Ada', Mobile: '+1 415 555 0101' },
      { Last_Name: 'Desk', Work_Phone: '(415) 555-0140' },
    ]);
    const { logger, lines } = keepingLogger();
    const { engine, events } = org.engine({ order: ['Contacts'] }, { logger });
    expect((await engine.lookupCaller('+14155550101'))?.id).toBe(ada);
    expect(events[0]?.fieldsError?.code).toBe('AUTH_SCOPE_MISMATCH');
    expect(lines).toContainEqual({
      level: 'warn',
      fields: { module: 'Contacts', code: 'AUTH_SCOPE_MISMATCH', retryInMs: 600_000 },
      message: 'phone field discovery refused (scope or permission); custom phone fields are not searched',
    });
    // The custom field is unknown: Zoho's search finds the record, verification cannot.
    expect(await org.measure(() => engine.lookupCaller('+14155550140'))).toMatchObject({
      result: null,
      fields: 0,
    });
    expect(events.at(-1)?.fieldsError?.code).toBe('AUTH_SCOPE_MISMATCH');
    org.emu.advanceTime(600_000);
    expect(await org.measure(() => engine.lookupCaller('+14155550199'))).toMatchObject({ fields: 1 });
  });

  it('the phone fields kept in the calibration (diagnose, an earlier process) still find custom fields', async () => {
    org = await emulatedOrg({ phoneMatch: 'digits-contains', ...WORK_PHONE }, { scopes: NO_FIELD_METADATA });
    await org.keeper.update({ phoneFields: { Contacts: ['Phone', 'Mobile', 'Work_Phone'] } });
    const [desk] = org.emu.seed('Contacts', [{ Last_Name: 'Desk', Work_Phone: '(415) 555-0140' }]);
    const { engine, events } = org.engine({ order: ['Contacts'] });
    expect(await engine.lookupCaller('+14155550140')).toMatchObject({ id: desk, field: 'Work_Phone' });
    expect(events[0]?.fieldsError?.code).toBe('AUTH_SCOPE_MISMATCH');
  });

  it('a standard field the layout lacks is dropped from COQL after Zoho names it, once per process', async () => {
    org = await emulatedOrg(
      { phoneMatch: 'exact', absentFields: { Contacts: ['Mobile'] } },
      { scopes: NO_FIELD_METADATA },
    );
    const [id] = org.emu.seed('Contacts', [{ Last_Name: 'Ada', Home_Phone: '415.555.0101' }]);
    const { engine } = org.engine({ order: ['Contacts'] });
    expect((await engine.lookupCaller('+14155550101'))?.id).toBe(id);
    expect(refusals(org)).toBe(1);
    expect(await engine.lookupCaller('+14155550102')).toBeNull();
    expect(refusals(org)).toBe(1);
  });
});
