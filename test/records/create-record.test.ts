import { describe, expect, it } from 'vitest';
import { ConfigError, PhoneNumberError, ZohoApiError } from '../../src/errors.js';
import type { ConfigErrorEvent } from '../../src/journal/custom-fields.js';
import type { CallerMatch } from '../../src/lookup/types.js';
import { type CreateRecordsOptions, parseConnectorOptions } from '../../src/options.js';
import { createRecordCreator } from '../../src/records/create-record.js';
import { REGIONS } from '../../src/regions.js';
import type { ZohoEmulatorOptions } from '../../src/testing/emulator/types.js';
import { harness, START } from '../journal/harness.js';

function setup(
  options: CreateRecordsOptions = {},
  emulator: ZohoEmulatorOptions = {},
  onConfigError?: (event: ConfigErrorEvent) => void,
) {
  const h = harness({ emulator });
  const resolved = parseConnectorOptions({
    connectionId: 'tenant-42',
    clientId: 'id',
    clientSecret: 'secret',
    redirectUri: 'https://pbx.example.com/cb',
    createRecords: options,
  });
  const records = createRecordCreator({
    http: h.http,
    lookup: h.lookup,
    options: resolved.createRecords,
    defaultCountry: 'US',
    region: () => REGIONS.EU,
    journal: h.journal,
    connectionId: 'tenant-42',
    ...(onConfigError ? { onConfigError } : {}),
  });
  return { ...h, records };
}

describe('createRecord', () => {
  it('README example: creates a Contact with the number in E.164 and teaches the lookup cache', async () => {
    const h = setup();
    const match = await h.records.createRecord({
      phone: '(415) 555-0000',
      lastName: 'Doe',
      firstName: 'Jane',
      company: 'Acme',
      email: 'jane@example.com',
    });
    const [contact] = h.emu.records('Contacts');
    expect(match).toEqual({
      module: 'Contacts',
      id: contact?.id,
      name: 'Jane Doe',
      phone: '+14155550000',
      field: 'Phone',
      recordUrl: `https://crm.zoho.eu/crm/tab/Contacts/${contact?.id}`,
      source: 'zoho',
    });
    expect(contact).toMatchObject({
      Last_Name: 'Doe',
      First_Name: 'Jane',
      Phone: '+14155550000',
      Email: 'jane@example.com',
    });
    expect(contact).not.toHaveProperty('Company');
    expect(h.lookup.remembered).toEqual([match]);
    expect(h.lookup.lastOptions).toEqual({ fresh: true });
  });

  it('creates a Lead with placeholders when only the number is known', async () => {
    const h = setup({ type: 'Leads', leadSource: 'Cold Call' });
    const match = await h.records.createRecord({ phone: '+442079460958' });
    expect(match).toMatchObject({
      module: 'Leads',
      name: 'Unknown caller +44 20 7946 0958',
      phone: '+442079460958',
    });
    expect(h.emu.records('Leads')[0]).toMatchObject({
      Last_Name: 'Unknown caller +44 20 7946 0958',
      Company: 'Unknown',
      Phone: '+442079460958',
      Lead_Source: 'Cold Call',
    });
  });

  it('lets one call pick the module and the lead source, and uses custom placeholders', async () => {
    const h = setup({ lastNamePlaceholder: 'Caller {number}', companyPlaceholder: 'Company of {number}' });
    await h.records.createRecord({ phone: '+14155550001', type: 'Leads', leadSource: 'Partner' });
    expect(h.emu.records('Leads')[0]).toMatchObject({
      Last_Name: 'Caller +1 415 555 0001',
      Company: 'Company of +1 415 555 0001',
      Lead_Source: 'Partner',
    });
    expect(h.emu.records('Contacts')).toHaveLength(0);
  });

  it('returns the record that already has the number instead of creating a duplicate', async () => {
    const h = setup();
    const existing: CallerMatch = {
      module: 'Leads',
      id: '4876876000000444001',
      name: 'Grace Hopper',
      phone: '+14155550000',
      field: 'Mobile',
      source: 'zoho',
    };
    h.lookup.map.set('+14155550000', existing);
    expect(await h.records.createRecord({ phone: '+1 415 555 0000', lastName: 'Other' })).toBe(existing);
    expect(h.emu.records('Contacts')).toHaveLength(0);
    expect(h.count('POST /Contacts')).toBe(0);
  });

  it('still creates a CRM record when only the PBX directory knows the number', async () => {
    const h = setup();
    h.lookup.map.set('+14155550000', {
      module: 'PBX',
      id: 'pbx-1',
      name: 'Reception',
      phone: '+14155550000',
      field: 'PBX',
      source: 'pbx',
    });
    expect((await h.records.createRecord({ phone: '+14155550000' })).module).toBe('Contacts');
  });

  it('answers DUPLICATE_DATA with the existing record (e.g. not searchable yet)', async () => {
    const h = setup({}, { uniqueFields: { Contacts: ['Phone'] } });
    const [id] = h.emu.seed('Contacts', [
      { First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '+14155550000' },
    ]);
    const match = await h.records.createRecord({ phone: '+14155550000', lastName: 'Duplicate' });
    expect(match).toMatchObject({
      module: 'Contacts',
      id,
      name: 'Ada Lovelace',
      phone: '+14155550000',
      field: 'Phone',
    });
    expect(h.emu.records('Contacts')).toHaveLength(1);
    expect(h.lookup.remembered).toEqual([match]);
  });

  it('creates a record once when agents click at the same time', async () => {
    const h = setup();
    const [a, b] = await Promise.all([
      h.records.createRecord({ phone: '+14155550000' }),
      h.records.createRecord({ phone: '4155550000' }),
    ]);
    expect(a).toEqual(b);
    expect(h.emu.records('Contacts')).toHaveLength(1);
  });

  it('links the call being journaled to the new record', async () => {
    const h = setup({ type: 'Leads' });
    const call = {
      id: 'pbx-1',
      direction: 'inbound' as const,
      trunk: true,
      from: '+14155550000',
      to: '+14155550100',
      startedAt: new Date(START - 120_000),
      answeredAt: new Date(START - 100_000),
      endedAt: new Date(START - 10_000),
      status: 'answered' as const,
    };
    const { zohoCallId } = await h.journal.logCall(call);
    expect(h.emu.records('Calls')[0]).not.toHaveProperty('What_Id');
    const lead = await h.records.createRecord({ phone: '+14155550000', lastName: 'Doe', callId: 'pbx-1' });
    const [activity] = h.emu.records('Calls');
    expect(activity).toMatchObject({ id: zohoCallId, What_Id: { id: lead.id }, $se_module: 'Leads' });
    expect(h.emu.records('Calls')).toHaveLength(1);
    // A record created before the call is written is linked in the same insert.
    await h.records.createRecord({ phone: '+14155550009', lastName: 'Early', callId: 'pbx-2' });
    await h.journal.logCall({ ...call, id: 'pbx-2', from: '+14155550009' });
    const second = h.emu.records('Calls').find((c) => String(c.Description).includes('pbx-2'));
    expect(second).toMatchObject({ $se_module: 'Leads' });
    expect(h.count('PUT /Calls')).toBe(1);
  });

  it('returns the record even when linking the call fails', async () => {
    const h = setup();
    const warnings: string[] = [];
    const records = createRecordCreator({
      http: h.http,
      lookup: h.lookup,
      options: parseConnectorOptions({
        connectionId: 't',
        clientId: 'i',
        clientSecret: 's',
        redirectUri: 'https://pbx.example.com/cb',
      }).createRecords,
      defaultCountry: 'US',
      region: () => REGIONS.US,
      journal: { linkCall: () => Promise.reject(new Error('store down')) },
      logger: { debug() {}, info() {}, error() {}, warn: (_o, msg) => warnings.push(msg) },
    });
    expect((await records.createRecord({ phone: '+14155550000', callId: 'c1' })).module).toBe('Contacts');
    expect(warnings).toEqual(['the new record could not be linked to the call']);
  });

  it('refuses when record creation is disabled, naming the option', async () => {
    const h = setup({ enabled: false });
    const error = await h.records.createRecord({ phone: '+14155550000' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues[0]?.path).toBe('createRecords.enabled');
    expect(h.requests).toHaveLength(0);
  });

  it('validates the input and the number', async () => {
    const h = setup();
    const error = await h.records
      .createRecord({ phone: '', lastName: 'x'.repeat(81), email: 'nope', type: 'Accounts' as never })
      .catch((e: unknown) => e);
    expect((error as ConfigError).issues.map((i) => i.path).sort()).toEqual([
      'email',
      'lastName',
      'phone',
      'type',
    ]);
    await expect(h.records.createRecord({ phone: 'anonymous' })).rejects.toThrow(PhoneNumberError);
    await expect(h.records.createRecord({ phone: '201' })).rejects.toThrow(PhoneNumberError);
  });

  it('throws the Zoho error when Zoho refuses the record', async () => {
    const h = setup({}, { fields: { Contacts: [{ apiName: 'Region', dataType: 'text', mandatory: true }] } });
    const error = await h.records.createRecord({ phone: '+14155550000' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZohoApiError);
    expect(error).toMatchObject({
      zohoCode: 'MANDATORY_NOT_FOUND',
      details: { api_name: 'Region' },
      path: '/Contacts',
    });
  });
});

describe('createRecords.fields', () => {
  it('adds and overrides fields (Lead_Source, a mandatory custom field) on each new record', async () => {
    const inputs: unknown[] = [];
    const h = setup(
      {
        type: 'Leads',
        leadSource: 'Cold Call',
        fields: (input) => {
          inputs.push(input);
          return {
            Lead_Source: 'Phone',
            Region: 'EMEA',
            Company: input.type === 'Leads' ? 'Acme' : undefined,
          };
        },
      },
      { fields: { Leads: [{ apiName: 'Region', dataType: 'text', mandatory: true }] } },
    );
    await h.records.createRecord({ phone: '(415) 555-0000', lastName: 'Doe', callId: 'c1' });
    expect(h.emu.records('Leads')[0]).toMatchObject({
      Lead_Source: 'Phone',
      Region: 'EMEA',
      Company: 'Acme',
    });
    expect(inputs).toEqual([{ phone: '+14155550000', type: 'Leads', lastName: 'Doe', callId: 'c1' }]);
  });

  it('an unknown field: the record is created without it and one ConfigError names it', async () => {
    const events: ConfigErrorEvent[] = [];
    const h = setup({ fields: () => ({ Lead_Source: 'Phone', Regoin: 'EMEA' }) }, {}, (e) => events.push(e));
    await h.records.createRecord({ phone: '+14155550000' });
    await h.records.createRecord({ phone: '+14155550001' });
    const contacts = h.emu.records('Contacts');
    expect(contacts).toHaveLength(2);
    expect(contacts.every((c) => c.Lead_Source === 'Phone' && !('Regoin' in c))).toBe(true);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      option: 'createRecords.fields',
      module: 'Contacts',
      fields: ['Regoin'],
    });
    expect(events[0]?.error.issues[0]?.path).toBe('createRecords.fields.Regoin');
    expect(h.count('GET /settings/fields')).toBe(1);
  });
});
