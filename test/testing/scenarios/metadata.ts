import { describe, expect, it } from 'vitest';
import type { ZohoEmulatorOptions } from '../../../src/testing/index.js';
import { type StartHarness, scenario } from '../harness.js';

async function connected(start: StartHarness, options: ZohoEmulatorOptions = {}, scope?: string) {
  const s = await scenario(start, { autoConsent: true, ...options });
  const tokens = await s.connect(scope ? { scope } : {});
  return { s, token: tokens.access_token };
}

export function metadataScenarios(start: StartHarness): void {
  describe('CRM: users, org and field metadata', () => {
    it('lists users by type (ActiveUsers, CurrentUser) with ids, e-mails and extensions', async () => {
      const { s, token } = await connected(start, {
        users: [
          { email: 'admin@pbx.example', firstName: 'Ada', lastName: 'Admin', extension: '100' },
          { email: 'grace@pbx.example', firstName: 'Grace', lastName: 'Hopper', extension: '102' },
          { email: 'gone@pbx.example', lastName: 'Gone', status: 'disabled' },
        ],
      });
      const active = await s.api('GET', '/users?type=ActiveUsers', { token });
      expect(active.status).toBe(200);
      expect(active.body.users.map((u: { email: string }) => u.email)).toEqual([
        'admin@pbx.example',
        'grace@pbx.example',
      ]);
      expect(active.body.users[1]).toMatchObject({
        full_name: 'Grace Hopper',
        status: 'active',
        Extension: '102',
        time_zone: 'America/New_York',
      });
      expect(active.body.users[1].id).toMatch(/^\d{19}$/);
      expect(active.body.info).toEqual({ per_page: 200, count: 2, page: 1, more_records: false });
      const all = await s.api('GET', '/users', { token });
      expect(all.body.users).toHaveLength(3);
      const current = await s.api('GET', '/users?type=CurrentUser', { token });
      expect(current.body.users.map((u: { email: string }) => u.email)).toEqual(['admin@pbx.example']);
      const one = await s.api('GET', `/users/${active.body.users[1].id}`, { token });
      expect(one.body.users[0].email).toBe('grace@pbx.example');
    });

    it("the consent page's user choice decides the token's user (CurrentUser)", async () => {
      const s = await scenario(start, {
        users: [
          { email: 'admin@pbx.example', lastName: 'Admin' },
          { email: 'agent@pbx.example', lastName: 'Agent' },
        ],
      });
      const agent = s.emu.users[1];
      const html = await (await fetch(s.authorizeUrl())).text();
      const action = /<form method="post" action="([^"]+)" id="accept">/.exec(html)?.[1] ?? '';
      const consentId = /name="consent_id" value="([^"]+)"/.exec(html)?.[1] ?? '';
      expect(html).toContain(`<option value="${agent?.id}">`);
      const res = await fetch(action, {
        method: 'POST',
        body: new URLSearchParams({ consent_id: consentId, decision: 'accept', user_id: agent?.id ?? '' }),
        redirect: 'manual',
      });
      const code = new URL(res.headers.get('location') ?? '').searchParams.get('code') ?? '';
      const token = (await s.exchange(code)).body.access_token;
      const current = await s.api('GET', '/users?type=CurrentUser', { token });
      expect(current.body.users[0].email).toBe('agent@pbx.example');
    });

    it('reports the org with its time zone', async () => {
      const { s, token } = await connected(start, {
        timeZone: 'Europe/Berlin',
        orgName: 'Acme PBX',
        edition: 'Professional',
      });
      const res = await s.api('GET', '/org', { token });
      expect(res.status).toBe(200);
      expect(res.body.org[0]).toMatchObject({
        company_name: 'Acme PBX',
        time_zone: 'Europe/Berlin',
        license_details: { paid_type: 'professional' },
      });
    });

    it('exposes field metadata: phone fields as data_type phone, Fax as text, custom phone fields too', async () => {
      const { s, token } = await connected(start, {
        fields: { Contacts: [{ apiName: 'Work_Phone', dataType: 'phone' }] },
      });
      const res = await s.api('GET', '/settings/fields?module=Contacts', { token });
      expect(res.status).toBe(200);
      const types = Object.fromEntries(
        res.body.fields.map((f: { api_name: string; data_type: string }) => [f.api_name, f.data_type]),
      );
      expect(types).toMatchObject({
        Phone: 'phone',
        Mobile: 'phone',
        Home_Phone: 'phone',
        Other_Phone: 'phone',
        Asst_Phone: 'phone',
        Fax: 'text',
        Work_Phone: 'phone',
        Last_Name: 'text',
        Email: 'email',
        Owner: 'ownerlookup',
      });
      const lastName = res.body.fields.find((f: { api_name: string }) => f.api_name === 'Last_Name');
      expect(lastName).toMatchObject({ system_mandatory: true, custom_field: false, length: 80 });
      const calls = await s.api('GET', '/settings/fields?module=Calls', { token });
      const callType = calls.body.fields.find((f: { api_name: string }) => f.api_name === 'Call_Type');
      expect(callType.pick_list_values.map((v: { actual_value: string }) => v.actual_value)).toEqual([
        'Inbound',
        'Outbound',
        'Missed',
      ]);
      expect(calls.body.fields.some((f: { api_name: string }) => f.api_name === 'Outgoing_Call_Status')).toBe(
        true,
      );
      expect((await s.api('GET', '/settings/fields', { token })).body).toMatchObject({
        code: 'REQUIRED_PARAM_MISSING',
      });
      expect((await s.api('GET', '/settings/fields?module=Invoices', { token })).body).toMatchObject({
        code: 'INVALID_MODULE',
      });
      const noScope = await connected(start, {}, 'ZohoCRM.modules.ALL');
      expect(
        (await noScope.s.api('GET', '/settings/fields?module=Contacts', { token: noScope.token })).status,
      ).toBe(401);
    });
  });

  describe('CRM: COQL', () => {
    const query = (select_query: string) => ({ select_query });

    it('finds exact phone matches across fields with the pairwise bracketing rule', async () => {
      const { s, token } = await connected(start);
      const ids = s.emu.seed('Contacts', [
        { Last_Name: 'A', Phone: '+14155552671' },
        { Last_Name: 'B', Mobile: '+14155552671' },
        { Last_Name: 'C', Home_Phone: '(415) 555-2671' },
        { Last_Name: 'D', Other_Phone: '+14155552671' },
      ]);
      const q =
        "select Last_Name, Phone, Mobile from Contacts where Phone = '+14155552671' or (((Home_Phone = '+14155552671' or Other_Phone = '+14155552671') or Mobile = '+14155552671') or Fax = '+14155552671') limit 10";
      const res = await s.api('POST', '/coql', { token, body: query(q) });
      expect(res.status).toBe(200);
      expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([ids[0], ids[1], ids[3]]);
      expect(res.body.data[0]).toEqual({ Last_Name: 'A', Phone: '+14155552671', Mobile: null, id: ids[0] });
      expect(res.body.info).toEqual({ count: 3, more_records: false });
    });

    it('refuses more than two criteria at one level (SYNTAX_ERROR) and unknown columns (INVALID_QUERY)', async () => {
      const { s, token } = await connected(start);
      const flat = await s.api('POST', '/coql', {
        token,
        body: query("select Last_Name from Contacts where Phone = '1' or Mobile = '1' or Home_Phone = '1'"),
      });
      expect(flat).toMatchObject({ status: 400, body: { code: 'SYNTAX_ERROR', status: 'error' } });
      const unknown = await s.api('POST', '/coql', {
        token,
        body: query("select Nope from Contacts where Phone = '1'"),
      });
      expect(unknown).toMatchObject({
        status: 400,
        body: { code: 'INVALID_QUERY', details: { column_name: 'Nope' } },
      });
      const star = await s.api('POST', '/coql', {
        token,
        body: query("select * from Contacts where Phone = '1'"),
      });
      expect(star.body.code).toBe('SYNTAX_ERROR');
      const limit = await s.api('POST', '/coql', {
        token,
        body: query("select Last_Name from Contacts where Phone = '1' limit 2001"),
      });
      expect(limit.body.code).toBe('LIMIT_EXCEEDED');
      expect((await s.api('POST', '/coql', { token, body: {} })).body.code).toBe('REQUIRED_PARAM_MISSING');
    });

    it('answers an empty result with 204 by default, or 200 with empty data (coqlEmptyResult: empty-data)', async () => {
      const q = query("select Last_Name from Leads where Phone = '000'");
      const a = await connected(start);
      const none = await a.s.api('POST', '/coql', { token: a.token, body: q });
      expect([none.status, none.text]).toEqual([204, '']);
      const b = await connected(start, { coqlEmptyResult: 'empty-data' });
      const empty = await b.s.api('POST', '/coql', { token: b.token, body: q });
      expect([empty.status, empty.body]).toEqual([
        200,
        { data: [], info: { count: 0, more_records: false } },
      ]);
    });

    it('supports like, in, is null, order by, limit/offset and "limit offset, count"', async () => {
      const { s, token } = await connected(start);
      s.emu.seed(
        'Leads',
        Array.from({ length: 5 }, (_, i) => ({
          Last_Name: `L${i}`,
          Company: i % 2 ? 'Acme' : 'Initech',
          Phone: i === 4 ? null : `415555000${i}`,
        })),
      );
      const run = async (q: string) => (await s.api('POST', '/coql', { token, body: query(q) })).body;
      expect(
        (await run("select Last_Name from Leads where Company like 'ac%' order by Last_Name desc")).data.map(
          (r: { Last_Name: string }) => r.Last_Name,
        ),
      ).toEqual(['L3', 'L1']);
      expect((await run("select Last_Name from Leads where Last_Name in ('L0', 'L4')")).data).toHaveLength(2);
      expect(
        (await run('select Last_Name from Leads where Phone is null')).data.map(
          (r: { Last_Name: string }) => r.Last_Name,
        ),
      ).toEqual(['L4']);
      const paged = await run("select Last_Name from Leads where Last_Name like 'L%' limit 2 offset 1");
      expect([paged.data.map((r: { Last_Name: string }) => r.Last_Name), paged.info.more_records]).toEqual([
        ['L1', 'L2'],
        true,
      ]);
      const legacy = await run("select Last_Name from Leads where Last_Name like 'L%' limit 3, 2");
      expect(legacy.data.map((r: { Last_Name: string }) => r.Last_Name)).toEqual(['L3', 'L4']);
    });

    it('needs ZohoCRM.coql.READ and the module read scope', async () => {
      const onlyCoql = await connected(start, {}, 'ZohoCRM.coql.READ');
      const res = await onlyCoql.s.api('POST', '/coql', {
        token: onlyCoql.token,
        body: query("select Last_Name from Leads where Phone = '1'"),
      });
      expect(res).toMatchObject({ status: 401, body: { code: 'OAUTH_SCOPE_MISMATCH' } });
      const noCoql = await connected(start, {}, 'ZohoCRM.modules.ALL');
      const res2 = await noCoql.s.api('POST', '/coql', {
        token: noCoql.token,
        body: query("select Last_Name from Leads where Phone = '1'"),
      });
      expect(res2.status).toBe(401);
    });
  });
}
