/**
 * Options for what Zoho does not document (docs/testing.md "Zoho facts the emulator can vary"): how
 * `Call_Duration` is read, COQL `like` on phone fields, and standard fields absent from an org's layout.
 */
import { describe, expect, it } from 'vitest';
import { createZohoEmulatorState, type ZohoEmulatorOptions } from '../../../src/testing/index.js';
import { pastTime, type Scenario, type StartHarness, scenario } from '../harness.js';

async function connected(start: StartHarness, options: ZohoEmulatorOptions = {}) {
  const s = await scenario(start, { autoConsent: true, ...options });
  const tokens = await s.connect();
  return { s, token: tokens.access_token };
}

function call(duration: unknown, extra: Record<string, unknown> = {}) {
  return {
    Subject: 'Inbound call',
    Call_Type: 'Inbound',
    Call_Start_Time: pastTime(),
    Call_Duration: duration,
    ...extra,
  };
}

async function insertCall(s: Scenario, token: string, record: Record<string, unknown>) {
  const res = await s.api('POST', '/Calls', { token, body: { data: [record] } });
  return { status: res.status, entry: res.body.data[0] };
}

function coql(s: Scenario, token: string, selectQuery: string) {
  return s.api('POST', '/coql', { token, body: { select_query: selectQuery } });
}

export function zohoModeScenarios(start: StartHarness): void {
  describe('Zoho facts the emulator can vary: durationReading', () => {
    const matrix = [
      // [reading, Call_Duration, expected Call_Duration_in_seconds]
      ['mm:ss', '04:12', 252],
      ['mm:ss', '75:03', 4503],
      ['mm:ss', '1:15:03', 4503],
      ['HH:mm', '04:12', 15_120],
      ['HH:mm', '0:30', 1800],
      ['HH:mm', '1:15:03', 4503],
    ] as const;
    for (const [reading, duration, seconds] of matrix) {
      it(`reads "${duration}" as ${seconds} s under ${reading}; GET, COQL and search return it`, async () => {
        const { s, token } = await connected(start, { durationReading: reading });
        const { status, entry } = await insertCall(s, token, call(duration, { Caller_ID: '4155552671' }));
        expect([status, entry.code]).toEqual([201, 'SUCCESS']);
        const id = entry.details.id;
        const got = await s.api('GET', `/Calls/${id}`, { token });
        expect(got.body.data[0]).toMatchObject({
          Call_Duration: duration,
          Call_Duration_in_seconds: seconds,
        });
        const rows = await coql(s, token, `select Call_Duration_in_seconds from Calls where id = '${id}'`);
        expect(rows.body.data).toEqual([{ Call_Duration_in_seconds: seconds, id }]);
        const found = await s.api(
          'GET',
          `/Calls/search?criteria=${encodeURIComponent('(Caller_ID:equals:4155552671)')}`,
          { token },
        );
        expect(found.body.data[0].Call_Duration_in_seconds).toBe(seconds);
      });
    }

    it('defaults to mm:ss and ignores a Call_Duration_in_seconds sent by the client, on insert and update', async () => {
      const { s, token } = await connected(start);
      const { entry } = await insertCall(s, token, call('04:12', { Call_Duration_in_seconds: 15_120 }));
      const id = entry.details.id;
      expect(s.emu.records('Calls')[0]?.Call_Duration_in_seconds).toBe(252);
      await s.api('PUT', `/Calls/${id}`, { token, body: { data: [{ Call_Duration_in_seconds: 9 }] } });
      expect(s.emu.records('Calls')[0]?.Call_Duration_in_seconds).toBe(252);
      await s.api('PUT', `/Calls/${id}`, { token, body: { data: [{ Call_Duration: '02:00' }] } });
      expect(s.emu.records('Calls')[0]?.Call_Duration_in_seconds).toBe(120);
    });

    it('refuses a second part over 59 and a zero duration under either reading', async () => {
      for (const durationReading of ['mm:ss', 'HH:mm'] as const) {
        const { s, token } = await connected(start, { durationReading });
        const bad = await insertCall(s, token, call('10:60'));
        expect(bad.entry).toMatchObject({
          code: 'INVALID_DATA',
          details: { api_name: 'Call_Duration', expected_data_type: durationReading },
        });
        expect((await insertCall(s, token, call('00:00'))).entry.code).toBe('DEPENDENT_MISMATCH');
      }
    });

    it('computes Call_Duration_in_seconds for seeded calls by the same reading', () => {
      const mmss = createZohoEmulatorState();
      const hhmm = createZohoEmulatorState({ durationReading: 'HH:mm' });
      const seeded = { Subject: 'Old call', Call_Type: 'Outbound', Call_Duration: '10:00' };
      mmss.seed('Calls', [seeded]);
      hhmm.seed('Calls', [seeded]);
      expect(mmss.records('Calls')[0]?.Call_Duration_in_seconds).toBe(600);
      expect(hhmm.records('Calls')[0]?.Call_Duration_in_seconds).toBe(36_000);
    });

    it('refuses an unknown reading', () => {
      expect(() => createZohoEmulatorState({ durationReading: 'ss' as unknown as 'mm:ss' })).toThrow(
        /durationReading/,
      );
    });
  });

  describe('Zoho facts the emulator can vary: coqlLikeOnPhoneFields', () => {
    const likeQuery = "select Last_Name from Contacts where Phone like '%555-2671'";

    it("allows like on phone fields by default; 'reject' answers 400 INVALID_QUERY naming the field", async () => {
      const allow = await connected(start);
      const [id] = allow.s.emu.seed('Contacts', [{ Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
      const hit = await coql(allow.s, allow.token, likeQuery);
      expect(hit.status).toBe(200);
      expect(hit.body.data).toEqual([{ Last_Name: 'Lovelace', id }]);

      const reject = await connected(start, { coqlLikeOnPhoneFields: 'reject' });
      reject.s.emu.seed('Contacts', [{ Last_Name: 'Lovelace', Phone: '(415) 555-2671' }]);
      for (const q of [likeQuery, "select Last_Name from Contacts where Mobile not like '%1'"]) {
        const res = await coql(reject.s, reject.token, q);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'INVALID_QUERY', status: 'error' });
        expect(res.body.details.column_name).toMatch(/^(Phone|Mobile)$/);
      }
      // Equality on phone fields and like on text fields still work.
      const eq = await coql(
        reject.s,
        reject.token,
        "select Last_Name from Contacts where Phone = '(415) 555-2671'",
      );
      expect(eq.status).toBe(200);
      const text = await coql(
        reject.s,
        reject.token,
        "select Last_Name from Contacts where Last_Name like 'Love%'",
      );
      expect(text.status).toBe(200);
    });
  });

  describe('Zoho facts the emulator can vary: absentFields', () => {
    const options: ZohoEmulatorOptions = { absentFields: { Contacts: ['Mobile', 'Home_Phone'] } };

    it('leaves absent fields out of the field metadata', async () => {
      const { s, token } = await connected(start, options);
      const res = await s.api('GET', '/settings/fields?module=Contacts', { token });
      const names = res.body.fields.map((f: { api_name: string }) => f.api_name);
      expect(names).toContain('Phone');
      expect(names).not.toContain('Mobile');
      expect(names).not.toContain('Home_Phone');
      const leads = await s.api('GET', '/settings/fields?module=Leads', { token });
      expect(leads.body.fields.map((f: { api_name: string }) => f.api_name)).toContain('Mobile');
    });

    it('never stores or returns them (writes, seeds, even with unknownFields: keep)', async () => {
      const { s, token } = await connected(start, { ...options, unknownFields: 'keep' });
      const created = await s.api('POST', '/Contacts', {
        token,
        body: { data: [{ Last_Name: 'Written', Phone: '2125550100', Mobile: '2125550101' }] },
      });
      expect(created.body.data[0].code).toBe('SUCCESS');
      const id = created.body.data[0].details.id;
      s.emu.seed('Contacts', [{ Last_Name: 'Seeded', Home_Phone: '2125550102' }]);
      const got = await s.api('GET', `/Contacts/${id}`, { token });
      expect(got.body.data[0].Phone).toBe('2125550100');
      expect(got.body.data[0]).not.toHaveProperty('Mobile');
      for (const r of s.emu.records('Contacts')) {
        expect(r).not.toHaveProperty('Mobile');
        expect(r).not.toHaveProperty('Home_Phone');
      }
    });

    it('is not searched by search?phone=', async () => {
      const { s, token } = await connected(start, options);
      await s.api('POST', '/Contacts', {
        token,
        body: { data: [{ Last_Name: 'Mobile only', Mobile: '2125550101' }] },
      });
      expect((await s.api('GET', '/Contacts/search?phone=2125550101', { token })).status).toBe(204);
      const full = await connected(start);
      await full.s.api('POST', '/Contacts', {
        token: full.token,
        body: { data: [{ Last_Name: 'Mobile only', Mobile: '2125550101' }] },
      });
      expect(
        (await full.s.api('GET', '/Contacts/search?phone=2125550101', { token: full.token })).status,
      ).toBe(200);
    });

    it('answers 400 INVALID_QUERY naming the field to criteria and COQL that use it', async () => {
      const { s, token } = await connected(start, options);
      s.emu.seed('Contacts', [{ Last_Name: 'Lovelace', Phone: '2125550100' }]);
      const criteria = await s.api(
        'GET',
        `/Contacts/search?criteria=${encodeURIComponent('((Phone:equals:1)or(Mobile:equals:1))')}`,
        { token },
      );
      expect(criteria).toMatchObject({
        status: 400,
        body: { code: 'INVALID_QUERY', details: { api_name: 'Mobile' }, status: 'error' },
      });
      for (const q of [
        "select Last_Name from Contacts where Home_Phone = '1'",
        'select Last_Name, Mobile from Contacts where Last_Name is not null',
      ]) {
        const res = await coql(s, token, q);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ code: 'INVALID_QUERY', status: 'error' });
        expect(res.body.details.column_name).toMatch(/^(Home_Phone|Mobile)$/);
      }
      expect((await coql(s, token, "select Last_Name from Contacts where Phone = '2125550100'")).status).toBe(
        200,
      );
    });

    it('refuses unknown modules, unknown fields and fields that cannot be absent', () => {
      const bad = (absentFields: Record<string, readonly string[]>) => () =>
        createZohoEmulatorState({ absentFields } as ZohoEmulatorOptions);
      expect(bad({ Invoices: ['Phone'] })).toThrow(/absentFields: unknown module "Invoices"/);
      expect(bad({ Contacts: ['Pager'] })).toThrow(/absentFields\.Contacts: "Pager"/);
      expect(bad({ Contacts: ['Last_Name'] })).toThrow(/cannot be absent/);
      expect(bad({ Calls: ['Call_Duration'] })).toThrow(/cannot be absent/);
      expect(bad({ Contacts: ['Created_Time'] })).toThrow(/cannot be absent/);
    });
  });
}
