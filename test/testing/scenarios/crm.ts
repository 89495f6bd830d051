import { describe, expect, it } from 'vitest';
import type { ZohoEmulatorOptions } from '../../../src/testing/index.js';
import { envelope, type Scenario, type StartHarness, scenario } from '../harness.js';

const INVALID_TOKEN = envelope('INVALID_TOKEN', 'invalid oauth token');
const SCOPE_MISMATCH = envelope('OAUTH_SCOPE_MISMATCH', 'invalid oauth scope to access this URL');

async function connected(start: StartHarness, options: ZohoEmulatorOptions = {}, scope?: string) {
  const s = await scenario(start, { autoConsent: true, ...options });
  const tokens = await s.connect(scope ? { scope } : {});
  return { s, token: tokens.access_token };
}

function seedPeople(s: Scenario) {
  const [accountId = ''] = s.emu.seed('Accounts', [
    { Account_Name: 'Acme (UK), Ltd', Phone: '+44 20 7946 0018' },
  ]);
  const contacts = s.emu.seed('Contacts', [
    {
      First_Name: 'Ada',
      Last_Name: 'Lovelace',
      Phone: '(415) 555-2671',
      Email: 'ada@example.com',
      Account_Name: { id: accountId },
    },
    { First_Name: 'Grace', Last_Name: 'Hopper', Mobile: '+1 650 555 0199', Email: 'grace@example.com' },
    { First_Name: 'Alan', Last_Name: 'Turing', Home_Phone: '415.555.2671', Fax: '4155559999' },
    { First_Name: 'Tim', Last_Name: 'Berners-Lee', Asst_Phone: '0044 20 7946 0018' },
  ]);
  const leads = s.emu.seed('Leads', [{ Last_Name: 'Doe', Company: 'Initech', Phone: '4155550000' }]);
  return { accountId, contacts, leads };
}

export function crmScenarios(start: StartHarness): void {
  describe('CRM: authentication, scopes and routing', () => {
    it('accepts only "Zoho-oauthtoken <live token>"; everything else is 401 INVALID_TOKEN', async () => {
      const { s, token } = await connected(start);
      expect((await s.api('GET', '/org', { token })).status).toBe(200);
      for (const header of [
        undefined,
        `Bearer ${token}`,
        'Zoho-oauthtoken 1000.nope.nope',
        `zoho-oauthtoken${token}`,
      ]) {
        const res =
          header === undefined ? await s.api('GET', '/org') : await s.api('GET', '/org', { header });
        expect([res.status, res.body]).toEqual([401, INVALID_TOKEN]);
      }
      s.emu.expireAccessTokens();
      expect((await s.api('GET', '/org', { token })).body).toEqual(INVALID_TOKEN);
    });

    it("answers 401 INVALID_TOKEN for a valid token at another data centre's API domain", async () => {
      const { s, token } = await connected(start, { dataCenter: 'eu' });
      expect((await s.api('GET', '/org', { token, dc: 'EU' })).status).toBe(200);
      const wrong = await s.api('GET', '/org', { token, dc: 'US' });
      expect([wrong.status, wrong.body]).toEqual([401, INVALID_TOKEN]);
    });

    it('checks scopes per endpoint: search also needs ZohoSearch.securesearch.READ', async () => {
      const { s, token } = await connected(start, {}, 'ZohoCRM.modules.contacts.READ');
      seedPeople(s);
      const search = await s.api('GET', '/Contacts/search?phone=4155552671', { token });
      expect([search.status, search.body]).toEqual([401, SCOPE_MISMATCH]);
      expect((await s.api('GET', '/Leads/search?word=Doe', { token })).body).toEqual(SCOPE_MISMATCH);
      expect((await s.api('POST', '/Contacts', { token, body: { data: [{ Last_Name: 'X' }] } })).status).toBe(
        401,
      );
      expect((await s.api('GET', '/users?type=CurrentUser', { token })).body).toEqual(SCOPE_MISMATCH);
      const id = s.emu.records('Contacts')[0]?.id as string;
      expect((await s.api('GET', `/Contacts/${id}`, { token })).status).toBe(200);

      const both = await s.connect({ scope: 'ZohoCRM.modules.contacts.READ,ZohoSearch.securesearch.READ' });
      expect(
        (await s.api('GET', '/Contacts/search?phone=4155552671', { token: both.access_token })).status,
      ).toBe(200);
      const create = await s.connect({ scope: 'ZohoCRM.modules.calls.CREATE' });
      expect((await s.api('GET', '/Calls/1', { token: create.access_token })).status).toBe(401);
    });

    it('answers INVALID_MODULE, INVALID_URL_PATTERN and INVALID_REQUEST_METHOD', async () => {
      const { s, token } = await connected(start);
      expect(await s.api('GET', '/Invoices/search?word=ab', { token })).toMatchObject({
        status: 400,
        body: {
          code: 'INVALID_MODULE',
          message: 'the module name given seems to be invalid',
          status: 'error',
        },
      });
      expect(await s.api('GET', '/Contacts/1/2/3/4', { token })).toMatchObject({
        status: 404,
        body: envelope('INVALID_URL_PATTERN', 'Please check if the URL trying to access is a correct one'),
      });
      const v7 = await fetch(`${s.h.apiUrl()}/crm/v7/Contacts`, {
        headers: { authorization: `Zoho-oauthtoken ${token}` },
      });
      expect(v7.status).toBe(404);
      expect(await s.api('DELETE', '/Contacts/search', { token })).toMatchObject({
        status: 400,
        body: envelope('INVALID_REQUEST_METHOD', 'The http request method type is not a valid one'),
      });
    });

    it('accepts module names in any letter case and reads a record by id (204 for an unknown id)', async () => {
      const { s, token } = await connected(start);
      const { contacts } = seedPeople(s);
      const res = await s.api('GET', `/contacts/${contacts[0]}`, { token });
      expect(res.status).toBe(200);
      expect(res.body.data[0]).toMatchObject({
        id: contacts[0],
        Full_Name: 'Ada Lovelace',
        Phone: '(415) 555-2671',
      });
      const missing = await s.api('GET', '/Contacts/1234567890123456789', { token });
      expect([missing.status, missing.text]).toEqual([204, '']);
    });
  });

  describe('CRM: search', () => {
    it('finds phone numbers across every phone field by digits (digits-contains by default), not Fax', async () => {
      const { s, token } = await connected(start);
      const { contacts } = seedPeople(s);
      const ids = async (q: string) => {
        const res = await s.api('GET', `/Contacts/search?phone=${encodeURIComponent(q)}`, { token });
        return res.status === 204 ? [] : (res.body.data as Array<{ id: string }>).map((r) => r.id);
      };
      expect(await ids('4155552671')).toEqual([contacts[0], contacts[2]]);
      expect(await ids('+1 (415) 555-2671')).toEqual([]);
      expect(await ids('5552671')).toEqual([contacts[0], contacts[2]]);
      expect(await ids('6505550199')).toEqual([contacts[1]]);
      expect(await ids('442079460018')).toEqual([contacts[3]]);
      expect(await ids('4155559999')).toEqual([]); // Fax is a text field
    });

    it('answers the Zoho list shape and 204 with an empty body on no match', async () => {
      const { s, token } = await connected(start);
      seedPeople(s);
      const res = await s.api('GET', '/Contacts/search?phone=4155552671&fields=Full_Name,Phone', { token });
      expect(res.status).toBe(200);
      expect(res.body.info).toEqual({ per_page: 200, count: 2, page: 1, more_records: false });
      expect(Object.keys(res.body.data[0]).sort()).toEqual(['Full_Name', 'Phone', 'id']);
      const none = await s.api('GET', '/Contacts/search?phone=2125550000', { token });
      expect([none.status, none.text, none.headers.get('content-type')]).toEqual([204, '', null]);
    });

    it('matches phones exactly by digits with phoneMatch: digits-exact, or by suffix with digits-suffix', async () => {
      const exact = await connected(start, { phoneMatch: 'digits-exact' });
      seedPeople(exact.s);
      expect(
        (await exact.s.api('GET', '/Contacts/search?phone=5552671', { token: exact.token })).status,
      ).toBe(204);
      expect(
        (await exact.s.api('GET', '/Contacts/search?phone=(415)5552671', { token: exact.token })).status,
      ).toBe(200);
      const suffix = await connected(start, { phoneMatch: 'digits-suffix' });
      seedPeople(suffix.s);
      const res = await suffix.s.api('GET', '/Contacts/search?phone=%2B14155552671', { token: suffix.token });
      expect(res.body.data).toHaveLength(2);
    });

    it('searches custom phone fields (from the options or from seed options)', async () => {
      const { s, token } = await connected(start, {
        fields: { Leads: [{ apiName: 'Work_Phone', dataType: 'phone' }] },
      });
      const [lead] = s.emu.seed('Leads', [{ Last_Name: 'Roe', Work_Phone: '+1 212 555 0101' }]);
      const [contact] = s.emu.seed('Contacts', [{ Last_Name: 'Poe', Direct_Line: '212-555-0102' }], {
        fields: [{ apiName: 'Direct_Line', dataType: 'phone' }],
      });
      expect((await s.api('GET', '/Leads/search?phone=2125550101', { token })).body.data[0].id).toBe(lead);
      expect((await s.api('GET', '/Contacts/search?phone=2125550102', { token })).body.data[0].id).toBe(
        contact,
      );
    });

    it('pages with per_page up to 200 and reaches at most 2000 records (LIMIT_REACHED)', async () => {
      const { s, token } = await connected(start);
      s.emu.seed(
        'Leads',
        Array.from({ length: 450 }, (_, i) => ({
          Last_Name: `L${i}`,
          Phone: `+1 415 555 ${String(i).padStart(4, '0')}`,
        })),
      );
      const page1 = await s.api('GET', '/Leads/search?phone=415555&per_page=200', { token });
      expect(page1.body.info).toEqual({ per_page: 200, count: 200, page: 1, more_records: true });
      const page3 = await s.api('GET', '/Leads/search?phone=415555&per_page=200&page=3', { token });
      expect(page3.body.info).toEqual({ per_page: 200, count: 50, page: 3, more_records: false });
      expect(page3.body.data[0].Last_Name).toBe('L400');
      const tooBig = await s.api('GET', '/Leads/search?phone=415555&per_page=201', { token });
      expect(tooBig).toMatchObject({
        status: 400,
        body: { code: 'INVALID_DATA', details: { param_name: 'per_page' } },
      });
      const beyond = await s.api('GET', '/Leads/search?phone=415555&per_page=200&page=11', { token });
      expect(beyond).toMatchObject({
        status: 400,
        body: { code: 'LIMIT_REACHED', status: 'error', details: { limit: 2000 } },
      });
    });

    it('word search needs 2+ characters and no special characters (else INVALID_DATA)', async () => {
      const { s, token } = await connected(start);
      const { contacts } = seedPeople(s);
      const res = await s.api('GET', '/Contacts/search?word=hopper', { token });
      expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([contacts[1]]);
      for (const word of ['a', 'ab$', 'x*', '(ab)']) {
        const bad = await s.api('GET', `/Contacts/search?word=${encodeURIComponent(word)}`, { token });
        expect(bad).toMatchObject({
          status: 400,
          body: { code: 'INVALID_DATA', message: 'invalid data', status: 'error' },
        });
      }
    });

    it('counts records at /{Module}/actions/count, all or matching a search', async () => {
      const { s, token } = await connected(start);
      seedPeople(s);
      expect((await s.api('GET', '/Contacts/actions/count', { token })).body).toEqual({ count: 4 });
      expect((await s.api('GET', '/Contacts/actions/count?phone=4155552671', { token })).body).toEqual({
        count: 2,
      });
      const noSearchScope = await s.connect({ scope: 'ZohoCRM.modules.contacts.READ' });
      const res = await s.api('GET', '/Contacts/actions/count?phone=1', {
        token: noSearchScope.access_token,
      });
      expect(res.status).toBe(401);
    });

    it('searches e-mail fields, and needs one of criteria, email, phone or word', async () => {
      const { s, token } = await connected(start);
      const { contacts } = seedPeople(s);
      const res = await s.api('GET', '/Contacts/search?email=GRACE%40example.com', { token });
      expect(res.body.data.map((r: { id: string }) => r.id)).toEqual([contacts[1]]);
      const none = await s.api('GET', '/Contacts/search', { token });
      expect(none).toMatchObject({ status: 400, body: { code: 'REQUIRED_PARAM_MISSING', status: 'error' } });
    });

    it('applies precedence criteria > email > phone > word', async () => {
      const { s, token } = await connected(start);
      const { contacts } = seedPeople(s);
      const q =
        '/Contacts/search?word=hopper&phone=4155552671&email=ada%40example.com&criteria=(Last_Name:equals:Turing)';
      expect((await s.api('GET', q, { token })).body.data.map((r: { id: string }) => r.id)).toEqual([
        contacts[2],
      ]);
      const q2 = '/Contacts/search?word=hopper&phone=4155552671&email=ada%40example.com';
      expect((await s.api('GET', q2, { token })).body.data.map((r: { id: string }) => r.id)).toEqual([
        contacts[0],
      ]);
    });

    it('parses criteria with and/or and the \\( \\) \\, escapes', async () => {
      const { s, token } = await connected(start);
      const { accountId, contacts } = seedPeople(s);
      const find = async (module: string, criteria: string) => {
        const res = await s.api('GET', `/${module}/search?criteria=${encodeURIComponent(criteria)}`, {
          token,
        });
        return res.status === 204 ? [] : res.body.data.map((r: { id: string }) => r.id);
      };
      expect(await find('Accounts', '(Account_Name:equals:Acme \\(UK\\)\\, Ltd)')).toEqual([accountId]);
      expect(await find('Accounts', '(Account_Name:starts_with:Acme \\(U)')).toEqual([accountId]);
      expect(await find('Contacts', '((Last_Name:equals:Lovelace)or(Last_Name:equals:Turing))')).toEqual([
        contacts[0],
        contacts[2],
      ]);
      expect(await find('Contacts', '((First_Name:starts_with:A)and(Last_Name:equals:Turing))')).toEqual([
        contacts[2],
      ]);
      expect(await find('Contacts', '(Last_Name:in:Hopper,Turing)')).toEqual([contacts[1], contacts[2]]);
      expect(await find('Contacts', `(Account_Name:equals:${accountId})`)).toEqual([contacts[0]]);
      expect(await find('Contacts', '(id:equals:1)')).toEqual([]);
    });

    it('rejects malformed criteria with INVALID_QUERY', async () => {
      const { s, token } = await connected(start);
      seedPeople(s);
      const bad = [
        '(Account_Name:equals:Acme (UK))', // unescaped (
        '(Account_Name:equals:Acme\\, Ltd\\)', // escaped ) leaves it unterminated
        '(Account_Name:equals:Acme, Ltd)', // unescaped ,
        'Last_Name:equals:Turing', // no brackets
        '((Last_Name:equals:A)and(Last_Name:equals:B)or(Last_Name:equals:C))', // mixed and/or at one level
        '(Nope_Field:equals:x)', // unknown field
        '(Last_Name:contains:x)', // unknown operator
        '(Last_Name:greater_than:x)', // operator not valid for text
        '(Last_Name:equals:)', // empty value
        `(${Array.from({ length: 11 }, (_, i) => `(Last_Name:equals:n${i})`).join('or')})`, // 11 conditions
      ];
      for (const criteria of bad) {
        const module = criteria.includes('Account_Name') ? 'Accounts' : 'Contacts';
        const res = await s.api('GET', `/${module}/search?criteria=${encodeURIComponent(criteria)}`, {
          token,
        });
        expect([criteria, res.status, res.body?.code, res.body?.status]).toEqual([
          criteria,
          400,
          'INVALID_QUERY',
          'error',
        ]);
      }
      const ten = `(${Array.from({ length: 10 }, (_, i) => `(Last_Name:equals:n${i})`).join('or')})`;
      expect(
        (await s.api('GET', `/Contacts/search?criteria=${encodeURIComponent(ten)}`, { token })).status,
      ).toBe(204);
    });

    it('can refuse criteria on phone fields (criteriaOnPhoneFields: reject), as some orgs do', async () => {
      const { s, token } = await connected(start, { criteriaOnPhoneFields: 'reject' });
      seedPeople(s);
      const res = await s.api(
        'GET',
        `/Contacts/search?criteria=${encodeURIComponent('(Phone:equals:4155552671)')}`,
        { token },
      );
      expect(res).toMatchObject({
        status: 400,
        body: { code: 'INVALID_QUERY', details: { api_name: 'Phone' } },
      });
      expect((await s.api('GET', '/Contacts/search?phone=4155552671', { token })).status).toBe(200);
    });

    it('hides new and changed records from search until the index delay passes (GET and COQL see them at once)', async () => {
      const { s, token } = await connected(start, { searchIndexDelayMs: 30_000 });
      const [old] = s.emu.seed('Contacts', [{ Last_Name: 'Old', Phone: '2125550100' }]);
      const created = await s.api('POST', '/Contacts', {
        token,
        body: { data: [{ Last_Name: 'New', Phone: '2125550111' }] },
      });
      const id = created.body.data[0].details.id;
      expect((await s.api('GET', '/Contacts/search?phone=2125550111', { token })).status).toBe(204);
      expect((await s.api('GET', `/Contacts/${id}`, { token })).status).toBe(200);
      const coql = await s.api('POST', '/coql', {
        token,
        body: { select_query: "select Last_Name from Contacts where Phone = '2125550111'" },
      });
      expect(coql.body.data[0].id).toBe(id);
      // A change keeps the old version searchable until it is re-indexed.
      await s.api('PUT', `/Contacts/${old}`, { token, body: { data: [{ Phone: '2125550122' }] } });
      expect((await s.api('GET', '/Contacts/search?phone=2125550100', { token })).status).toBe(200);
      expect((await s.api('GET', '/Contacts/search?phone=2125550122', { token })).status).toBe(204);
      s.emu.advanceTime(30_000);
      expect((await s.api('GET', '/Contacts/search?phone=2125550111', { token })).body.data[0].id).toBe(id);
      expect((await s.api('GET', '/Contacts/search?phone=2125550122', { token })).body.data[0].id).toBe(old);
      expect((await s.api('GET', '/Contacts/search?phone=2125550100', { token })).status).toBe(204);
    });
  });

  describe('CRM: insert, upsert, update', () => {
    it('inserts with 201, 19-digit ids, and times in the org time zone', async () => {
      const { s, token } = await connected(start, { timeZone: 'Asia/Kolkata' });
      const res = await s.api('POST', '/Contacts', {
        token,
        body: { data: [{ First_Name: 'Jane', Last_Name: 'Doe', Phone: '+14155550000' }] },
      });
      expect(res.status).toBe(201);
      const entry = res.body.data[0];
      expect(entry).toMatchObject({ code: 'SUCCESS', message: 'record added', status: 'success' });
      expect(entry.details.id).toMatch(/^\d{19}$/);
      expect(entry.details.Created_Time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+05:30$/);
      expect(entry.details.Created_By).toEqual({ name: s.emu.users[0]?.full_name, id: s.emu.users[0]?.id });
      const [stored] = s.emu.records('Contacts');
      expect(stored).toMatchObject({
        id: entry.details.id,
        Full_Name: 'Jane Doe',
        Owner: { id: s.emu.users[0]?.id },
      });
    });

    it('answers per record in request order: 207 when mixed, 400 when all fail; MANDATORY_NOT_FOUND with api_name and json_path', async () => {
      const { s, token } = await connected(start);
      const mixed = await s.api('POST', '/Leads', {
        token,
        body: {
          data: [
            { Last_Name: 'One' },
            { First_Name: 'NoLast' },
            { Last_Name: 'Three', Email: 'not-an-email' },
            { Last_Name: 'Four' },
          ],
        },
      });
      expect(mixed.status).toBe(207);
      expect(mixed.body.data.map((d: { status: string }) => d.status)).toEqual([
        'success',
        'error',
        'error',
        'success',
      ]);
      expect(mixed.body.data[1]).toEqual({
        code: 'MANDATORY_NOT_FOUND',
        details: { api_name: 'Last_Name', json_path: '$.data[1].Last_Name' },
        message: 'required field not found',
        status: 'error',
      });
      expect(mixed.body.data[2]).toMatchObject({
        code: 'INVALID_DATA',
        details: { api_name: 'Email', json_path: '$.data[2].Email', expected_data_type: 'email' },
        message: 'invalid data',
      });
      const allBad = await s.api('POST', '/Accounts', {
        token,
        body: { data: [{ Phone: '1' }, { Account_Name: '' }] },
      });
      expect(allBad.status).toBe(400);
      expect(allBad.body.data.map((d: { details: { json_path: string } }) => d.details.json_path)).toEqual([
        '$.data[0].Account_Name',
        '$.data[1].Account_Name',
      ]);
      expect(s.emu.records('Leads').map((r) => r.Last_Name)).toEqual(['One', 'Four']);
    });

    it('caps writes at 100 records and refuses bodies without data', async () => {
      const { s, token } = await connected(start);
      const many = await s.api('POST', '/Leads', {
        token,
        body: { data: Array.from({ length: 101 }, () => ({ Last_Name: 'x' })) },
      });
      expect(many).toMatchObject({
        status: 400,
        body: { code: 'LIMIT_EXCEEDED', status: 'error', details: { limit: 100 } },
      });
      const hundred = await s.api('POST', '/Leads', {
        token,
        body: { data: Array.from({ length: 100 }, () => ({ Last_Name: 'x' })) },
      });
      expect(hundred.status).toBe(201);
      expect((await s.api('POST', '/Leads', { token, body: { rows: [] } })).body).toMatchObject({
        code: 'REQUIRED_PARAM_MISSING',
        details: { param_name: 'data' },
      });
      expect((await s.api('POST', '/Leads', { token, body: '{oops' })).body.code).toBe('INVALID_DATA');
    });

    it('refuses duplicates of unique fields with DUPLICATE_DATA (existing records and within one request)', async () => {
      const { s, token } = await connected(start, { uniqueFields: { Calls: ['PBX_Call_ID'] } });
      const call = (id: string) => ({
        Subject: 'Inbound call',
        Call_Type: 'Inbound',
        Call_Start_Time: '2025-01-10T14:03:00-05:00',
        Call_Duration: '01:00',
        PBX_Call_ID: id,
      });
      const first = await s.api('POST', '/Calls', { token, body: { data: [call('pbx-1')] } });
      const firstId = first.body.data[0].details.id;
      const dup = await s.api('POST', '/Calls', {
        token,
        body: { data: [call('pbx-2'), call('PBX-1'), call('pbx-2')] },
      });
      expect(dup.status).toBe(207);
      expect(dup.body.data[1]).toMatchObject({
        code: 'DUPLICATE_DATA',
        message: 'duplicate data',
        details: {
          api_name: 'PBX_Call_ID',
          json_path: '$.data[1].PBX_Call_ID',
          duplicate_record: { id: firstId, module: { api_name: 'Calls' } },
        },
      });
      expect(dup.body.data[2]).toMatchObject({
        code: 'DUPLICATE_DATA',
        details: { json_path: '$.data[2].PBX_Call_ID' },
      });
      expect(s.emu.records('Calls')).toHaveLength(2);
    });

    it('upserts on duplicate_check_fields (or the module defaults): action and duplicate_field per record', async () => {
      const { s, token } = await connected(start);
      const { contacts } = seedPeople(s);
      const res = await s.api('POST', '/Contacts/upsert', {
        token,
        body: {
          data: [
            { Last_Name: 'Lovelace', Email: 'ada@example.com', Mobile: '+1 415 000 0000' },
            { Last_Name: 'Neumann', Email: 'john@example.com' },
          ],
          duplicate_check_fields: ['Email'],
        },
      });
      expect(res.status).toBe(201);
      expect(res.body.data[0]).toMatchObject({
        action: 'update',
        duplicate_field: 'Email',
        message: 'record updated',
        details: { id: contacts[0] },
      });
      expect(res.body.data[1]).toMatchObject({
        action: 'insert',
        duplicate_field: null,
        message: 'record added',
      });
      expect(s.emu.records('Contacts').find((r) => r.id === contacts[0])?.Mobile).toBe('+1 415 000 0000');
      const byDefault = await s.api('POST', '/Accounts/upsert', {
        token,
        body: { data: [{ Account_Name: 'acme (uk), ltd', Website: 'https://acme.example' }] },
      });
      expect(byDefault.body.data[0]).toMatchObject({ action: 'update', duplicate_field: 'Account_Name' });
      const notUnique = await s.api('POST', '/Contacts/upsert', {
        token,
        body: { data: [{ Last_Name: 'x', Phone: '1' }], duplicate_check_fields: ['Phone'] },
      });
      expect(notUnique).toMatchObject({
        status: 400,
        body: { code: 'INVALID_DATA', details: { api_name: 'Phone' } },
      });
    });

    it('updates with PUT (bulk and by id), refusing unknown ids', async () => {
      const { s, token } = await connected(start);
      const { contacts } = seedPeople(s);
      const bulk = await s.api('PUT', '/Contacts', {
        token,
        body: {
          data: [
            { id: contacts[0], Title: 'Countess' },
            { id: '1234567890123456789', Title: 'x' },
            { Title: 'no id' },
          ],
        },
      });
      expect(bulk.status).toBe(207);
      expect(bulk.body.data.map((d: { code: string }) => d.code)).toEqual([
        'SUCCESS',
        'INVALID_DATA',
        'MANDATORY_NOT_FOUND',
      ]);
      expect(bulk.body.data[0].message).toBe('record updated');
      const one = await s.api('PUT', `/Contacts/${contacts[1]}`, {
        token,
        body: { data: [{ Last_Name: 'Hopper-Murray' }] },
      });
      expect(one.status).toBe(200);
      const [, grace] = s.emu.records('Contacts');
      expect(grace).toMatchObject({ Last_Name: 'Hopper-Murray', Full_Name: 'Grace Hopper-Murray' });
      const blank = await s.api('PUT', `/Contacts/${contacts[1]}`, {
        token,
        body: { data: [{ Last_Name: '' }] },
      });
      expect(blank.body.data[0].code).toBe('MANDATORY_NOT_FOUND');
    });

    it('drops unknown fields silently by default, keeps them with unknownFields: keep', async () => {
      const drop = await connected(start);
      await drop.s.api('POST', '/Calls', {
        token: drop.token,
        body: {
          data: [
            {
              Subject: 's',
              Call_Type: 'Missed',
              Call_Start_Time: '2025-01-10T14:03:00Z',
              Call_Duration: '00:00',
              Outbound_Call_Status: 'Completed',
            },
          ],
        },
      });
      expect(drop.s.emu.records('Calls')[0]).not.toHaveProperty('Outbound_Call_Status');
      const keep = await connected(start, { unknownFields: 'keep' });
      await keep.s.api('POST', '/Leads', {
        token: keep.token,
        body: { data: [{ Last_Name: 'k', Custom_Field: 'v' }] },
      });
      expect(keep.s.emu.records('Leads')[0]).toHaveProperty('Custom_Field', 'v');
    });

    it('deletes records by id', async () => {
      const { s, token } = await connected(start);
      const { leads } = seedPeople(s);
      const res = await s.api('DELETE', `/Leads?ids=${leads[0]},1234567890123456789`, { token });
      expect(res.status).toBe(207);
      expect(res.body.data[0]).toEqual({
        code: 'SUCCESS',
        details: { id: leads[0] },
        message: 'record deleted',
        status: 'success',
      });
      expect(s.emu.records('Leads')).toHaveLength(0);
    });
  });
}
