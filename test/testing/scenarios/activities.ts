import { describe, expect, it } from 'vitest';
import type { ZohoEmulatorOptions } from '../../../src/testing/index.js';
import { type Scenario, type StartHarness, scenario } from '../harness.js';

async function connected(start: StartHarness, options: ZohoEmulatorOptions = {}) {
  const s = await scenario(start, { autoConsent: true, ...options });
  const tokens = await s.connect();
  const [accountId = ''] = s.emu.seed('Accounts', [{ Account_Name: 'Acme' }]);
  const [contactId = ''] = s.emu.seed('Contacts', [
    { Last_Name: 'Lovelace', Account_Name: { id: accountId } },
  ]);
  const [leadId = ''] = s.emu.seed('Leads', [{ Last_Name: 'Doe', Company: 'Initech' }]);
  return { s, token: tokens.access_token, accountId, contactId, leadId };
}

const completed = {
  Subject: 'Inbound call from +1 415 555 2671',
  Call_Type: 'Inbound',
  Call_Start_Time: '2025-01-10T14:03:00-05:00',
  Call_Duration: '04:12',
};

async function insertCall(s: Scenario, token: string, call: Record<string, unknown>) {
  const res = await s.api('POST', '/Calls', { token, body: { data: [call] } });
  return { status: res.status, entry: res.body.data[0] };
}

export function activityScenarios(start: StartHarness): void {
  describe('CRM: Calls validation', () => {
    it('logs a completed call with Who_Id, What_Id + $se_module and an Owner; Call_Duration_in_seconds follows mm:ss', async () => {
      const { s, token, accountId, contactId } = await connected(start);
      const owner = s.emu.addUser({
        email: 'agent@example.com',
        firstName: 'Grace',
        lastName: 'Hopper',
        extension: '102',
      });
      const { status, entry } = await insertCall(s, token, {
        ...completed,
        Who_Id: { id: contactId },
        What_Id: { id: accountId },
        $se_module: 'Accounts',
        Owner: { id: owner.id },
        Description: 'Recording: https://pbx.example.com/r/1',
      });
      expect([status, entry.code]).toEqual([201, 'SUCCESS']);
      expect(s.emu.records('Calls')[0]).toMatchObject({
        Call_Duration: '04:12',
        Call_Duration_in_seconds: 252,
        Who_Id: { id: contactId, name: 'Lovelace' },
        What_Id: { id: accountId, name: 'Acme' },
        $se_module: 'Accounts',
        Owner: { id: owner.id, name: 'Grace Hopper' },
      });
      // A lead is linked through What_Id + $se_module: Leads; durations past an hour as h:mm:ss.
      const lead = await insertCall(s, token, {
        ...completed,
        Call_Duration: '1:15:03',
        What_Id: { id: await connectedLead(s) },
        $se_module: 'Leads',
      });
      expect(lead.entry.code).toBe('SUCCESS');
      expect(s.emu.records('Calls')[1]?.Call_Duration_in_seconds).toBe(4503);
    });

    it('accepts Call_Start_Time with ±HH:MM or a bare Z, and refuses fractional seconds or no offset', async () => {
      const { s, token } = await connected(start);
      for (const ok of ['2025-01-10T14:03:00+05:30', '2025-01-10T19:03:00Z', '2025-01-10T19:03:00+00:00']) {
        expect((await insertCall(s, token, { ...completed, Call_Start_Time: ok })).entry.code).toBe(
          'SUCCESS',
        );
      }
      for (const bad of [
        '2025-01-10T14:03:00.000Z',
        '2025-01-10T14:03:00.000+00:00',
        '2025-01-10T14:03:00',
        '2025-01-10 14:03:00',
        '2025-02-30T10:00:00Z',
        1736517780,
      ]) {
        const { status, entry } = await insertCall(s, token, { ...completed, Call_Start_Time: bad });
        expect([bad, status, entry]).toEqual([
          bad,
          400,
          {
            code: 'INVALID_DATA',
            details: {
              api_name: 'Call_Start_Time',
              json_path: '$.data[0].Call_Start_Time',
              expected_data_type: 'datetime',
            },
            message: 'invalid data',
            status: 'error',
          },
        ]);
      }
    });

    it('needs Subject, Call_Type (Inbound/Outbound/Missed), Call_Start_Time and Call_Duration', async () => {
      const { s, token } = await connected(start);
      for (const field of ['Subject', 'Call_Type', 'Call_Start_Time', 'Call_Duration']) {
        const call: Record<string, unknown> = { ...completed };
        delete call[field];
        const { entry } = await insertCall(s, token, call);
        expect(entry).toEqual({
          code: 'MANDATORY_NOT_FOUND',
          details: { api_name: field, json_path: `$.data[0].${field}` },
          message: 'required field not found',
          status: 'error',
        });
      }
      const { entry } = await insertCall(s, token, { ...completed, Call_Type: 'Incoming' });
      expect(entry).toMatchObject({
        code: 'INVALID_DATA',
        details: { api_name: 'Call_Type', json_path: '$.data[0].Call_Type' },
      });
    });

    it('refuses a zero duration for Inbound/Outbound with DEPENDENT_MISMATCH; Missed takes 00:00', async () => {
      const { s, token } = await connected(start);
      for (const type of ['Inbound', 'Outbound']) {
        const { status, entry } = await insertCall(s, token, {
          ...completed,
          Call_Type: type,
          Call_Duration: '00:00',
        });
        expect([status, entry]).toEqual([
          400,
          {
            code: 'DEPENDENT_MISMATCH',
            details: { api_name: 'Call_Duration', json_path: '$.data[0].Call_Duration' },
            message: 'Call Duration can not be zero.',
            status: 'error',
          },
        ]);
      }
      expect(
        (await insertCall(s, token, { ...completed, Call_Type: 'Missed', Call_Duration: '00:00' })).entry
          .code,
      ).toBe('SUCCESS');
      for (const bad of ['4 min', '04:60', '252', '1:60:00']) {
        const { entry } = await insertCall(s, token, { ...completed, Call_Duration: bad });
        expect([bad, entry.code, entry.details.api_name]).toEqual([bad, 'INVALID_DATA', 'Call_Duration']);
      }
      expect((await insertCall(s, token, { ...completed, Call_Duration: '4:7' })).entry.code).toBe('SUCCESS');
    });

    it('lets Missed calls omit the duration only with missedCallNeedsDuration: false', async () => {
      const strict = await connected(start);
      const missed = { Subject: 'Missed call', Call_Type: 'Missed', Call_Start_Time: '2025-01-10T14:03:00Z' };
      expect((await insertCall(strict.s, strict.token, missed)).entry.code).toBe('MANDATORY_NOT_FOUND');
      const lenient = await connected(start, { missedCallNeedsDuration: false });
      expect((await insertCall(lenient.s, lenient.token, missed)).entry.code).toBe('SUCCESS');
    });

    it('takes Who_Id for Contacts only, and needs $se_module with What_Id', async () => {
      const { s, token, accountId, contactId, leadId } = await connected(start);
      const whoLead = await insertCall(s, token, { ...completed, Who_Id: { id: leadId } });
      expect(whoLead.entry).toMatchObject({
        code: 'INVALID_DATA',
        details: { api_name: 'Who_Id', json_path: '$.data[0].Who_Id' },
      });
      const noSe = await insertCall(s, token, {
        ...completed,
        Who_Id: { id: contactId },
        What_Id: { id: accountId },
      });
      expect(noSe.entry).toEqual({
        code: 'MANDATORY_NOT_FOUND',
        details: { api_name: '$se_module', json_path: '$.data[0].$se_module' },
        message: 'required field not found',
        status: 'error',
      });
      const wrongModule = await insertCall(s, token, {
        ...completed,
        What_Id: { id: accountId },
        $se_module: 'Leads',
      });
      expect(wrongModule.entry).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'What_Id' } });
      const plainId = await insertCall(s, token, { ...completed, Who_Id: contactId });
      expect(plainId.entry.code).toBe('SUCCESS');
    });

    it('needs the Owner to be an active user of the org', async () => {
      const { s, token } = await connected(start);
      const gone = s.emu.addUser({ email: 'gone@example.com', lastName: 'Gone', status: 'disabled' });
      for (const owner of [{ id: '1234567890123456789' }, { id: gone.id }, 'nobody']) {
        const { entry } = await insertCall(s, token, { ...completed, Owner: owner });
        expect(entry).toMatchObject({
          code: 'INVALID_DATA',
          details: { api_name: 'Owner', json_path: '$.data[0].Owner' },
        });
      }
    });

    it('schedules outbound calls in the future only, and refuses a completed call far in the future', async () => {
      const { s, token, contactId } = await connected(start);
      const future = new Date(s.emu.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const scheduled = {
        Subject: 'Call back',
        Call_Type: 'Outbound',
        Outgoing_Call_Status: 'Scheduled',
        Call_Start_Time: future,
        Who_Id: { id: contactId },
      };
      expect((await insertCall(s, token, scheduled)).entry.code).toBe('SUCCESS');
      const past = await insertCall(s, token, { ...scheduled, Call_Start_Time: '2025-01-10T14:03:00Z' });
      expect(past.entry).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'Call_Start_Time' } });
      const ahead = await insertCall(s, token, { ...completed, Call_Start_Time: future });
      expect(ahead.entry).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'Call_Start_Time' } });
    });

    it('refuses changing Call_Type or the owner of a completed call', async () => {
      const { s, token } = await connected(start);
      const { entry } = await insertCall(s, token, completed);
      const id = entry.details.id;
      const other = s.emu.addUser({ email: 'other@example.com', lastName: 'Other' });
      const type = await s.api('PUT', `/Calls/${id}`, { token, body: { data: [{ Call_Type: 'Outbound' }] } });
      expect(type.body.data[0]).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'Call_Type' } });
      const owner = await s.api('PUT', `/Calls/${id}`, {
        token,
        body: { data: [{ Owner: { id: other.id } }] },
      });
      expect(owner.body.data[0]).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'Owner' } });
      const desc = await s.api('PUT', `/Calls/${id}`, {
        token,
        body: { data: [{ Description: 'Transcript: ...' }] },
      });
      expect([desc.status, desc.body.data[0].code]).toEqual([200, 'SUCCESS']);
    });
  });

  describe('CRM: Notes', () => {
    it('creates notes with the v8 Parent_Id object (module by api_name or id)', async () => {
      const { s, token } = await connected(start);
      const { entry } = await insertCall(s, token, completed);
      const callId = entry.details.id;
      const res = await s.api('POST', '/Notes', {
        token,
        body: {
          data: [
            {
              Note_Title: 'Summary',
              Note_Content: 'Asked for a quote',
              Parent_Id: { module: { api_name: 'Calls' }, id: callId },
            },
          ],
        },
      });
      expect([res.status, res.body.data[0].code, res.body.data[0].message]).toEqual([
        201,
        'SUCCESS',
        'record added',
      ]);
      expect(s.emu.records('Notes')[0]).toMatchObject({
        Note_Content: 'Asked for a quote',
        Parent_Id: { module: { api_name: 'Calls' }, id: callId, name: completed.Subject },
      });
      const parent = s.emu.records('Notes')[0]?.Parent_Id as { module: { id: string } } | undefined;
      const moduleId = parent?.module.id ?? '';
      expect(moduleId).toMatch(/^\d{19}$/);
      const byModuleId = await s.api('POST', '/Notes', {
        token,
        body: { data: [{ Note_Content: 'second', Parent_Id: { module: { id: moduleId }, id: callId } }] },
      });
      expect(byModuleId.body.data[0].code).toBe('SUCCESS');
    });

    it('refuses the old plain-string Parent_Id (with se_module), an unknown parent and a missing Note_Content', async () => {
      const { s, token, contactId } = await connected(start);
      const old = await s.api('POST', '/Notes', {
        token,
        body: { data: [{ Note_Content: 'x', Parent_Id: contactId, se_module: 'Contacts' }] },
      });
      expect([old.status, old.body.data[0]]).toEqual([
        400,
        {
          code: 'INVALID_DATA',
          details: {
            api_name: 'Parent_Id',
            json_path: '$.data[0].Parent_Id',
            expected_data_type: 'jsonobject',
          },
          message: 'invalid data',
          status: 'error',
        },
      ]);
      const unknown = await s.api('POST', '/Notes', {
        token,
        body: {
          data: [
            { Note_Content: 'x', Parent_Id: { module: { api_name: 'Contacts' }, id: '1234567890123456789' } },
          ],
        },
      });
      expect(unknown.body.data[0]).toMatchObject({
        code: 'INVALID_DATA',
        message: 'the related id given seems to be invalid',
        details: { api_name: 'Parent_Id' },
      });
      const empty = await s.api('POST', '/Notes', {
        token,
        body: { data: [{ Parent_Id: { module: { api_name: 'Contacts' }, id: contactId } }] },
      });
      expect(empty.body.data[0]).toMatchObject({
        code: 'MANDATORY_NOT_FOUND',
        details: { api_name: 'Note_Content', json_path: '$.data[0].Note_Content' },
      });
      const noParent = await s.api('POST', '/Notes', { token, body: { data: [{ Note_Content: 'orphan' }] } });
      expect(noParent.body.data[0]).toMatchObject({
        code: 'MANDATORY_NOT_FOUND',
        details: { api_name: 'Parent_Id' },
      });
    });

    it('creates notes under /{Module}/{id}/Notes (Parent_Id from the URL) and lists them', async () => {
      const { s, token, contactId } = await connected(start);
      const res = await s.api('POST', `/Contacts/${contactId}/Notes`, {
        token,
        body: { data: [{ Note_Content: 'Called back' }] },
      });
      expect(res.status).toBe(201);
      const list = await s.api('GET', `/Contacts/${contactId}/Notes`, { token });
      expect(list.body.data.map((n: { Note_Content: string }) => n.Note_Content)).toEqual(['Called back']);
      expect(list.body.data[0].Parent_Id).toMatchObject({ module: { api_name: 'Contacts' }, id: contactId });
      const missing = await s.api('POST', '/Contacts/1234567890123456789/Notes', {
        token,
        body: { data: [{ Note_Content: 'x' }] },
      });
      expect(missing).toMatchObject({ status: 400, body: { code: 'INVALID_DATA', status: 'error' } });
      const notesOnly = await s.connect({ scope: 'ZohoCRM.modules.notes.CREATE' });
      const scoped = await s.api('POST', `/Contacts/${contactId}/Notes`, {
        token: notesOnly.access_token,
        body: { data: [{ Note_Content: 'x' }] },
      });
      expect(scoped.status).toBe(401);
    });
  });
}

async function connectedLead(s: Scenario): Promise<string> {
  return s.emu.records('Leads')[0]?.id as string;
}
