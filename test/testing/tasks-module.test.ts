/**
 * The emulator's Tasks module, as missed-call tasks rely on it: `Due_Date` is a date (`yyyy-MM-dd`, a real
 * day), `Who_Id` a Contact, `What_Id` needs `$se_module`, COQL compares dates, and writing needs the Tasks scope.
 */
import { describe, expect, it } from 'vitest';
import { startZohoEmulator } from '../../src/testing/index.js';
import { cleanupAfterEach } from './harness.js';

const cleanups = cleanupAfterEach();

async function emulator(scopes?: string[]) {
  const emu = await startZohoEmulator();
  cleanups.push(() => emu.close());
  emu.registerClient({ clientId: '1000.T', clientSecret: 's', redirectUris: ['http://localhost/cb'] });
  const { accessToken } = emu.issueTokens(scopes ? { scopes } : {});
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${emu.apiUrl}/crm/v8${path}`, {
      method: 'POST',
      headers: { Authorization: `Zoho-oauthtoken ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
  };
  return { emu, post };
}

const entry = (body: Record<string, unknown>) => (body.data as Array<Record<string, unknown>>)[0];

describe('the emulated Tasks module', () => {
  it('stores a task with a date, a Contact and an Account; refuses bad dates and What_Id without $se_module', async () => {
    const { emu, post } = await emulator();
    const [accountId] = emu.seed('Accounts', [{ Account_Name: 'Analytical Engines' }]);
    const [contactId] = emu.seed('Contacts', [{ Last_Name: 'Lovelace' }]);
    const ok = await post('/Tasks', {
      data: [
        {
          Subject: 'Call back Ada',
          Due_Date: '2025-01-10',
          Who_Id: { id: contactId },
          What_Id: { id: accountId },
          $se_module: 'Accounts',
        },
      ],
    });
    expect(ok.status).toBe(201);
    expect(emu.records('Tasks')[0]).toMatchObject({ Due_Date: '2025-01-10', $se_module: 'Accounts' });
    for (const Due_Date of ['2025-02-30', '2025-01-10T10:00:00+00:00', '10/01/2025']) {
      const bad = await post('/Tasks', { data: [{ Subject: 'x', Due_Date }] });
      expect(entry(bad.body)).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'Due_Date' } });
    }
    const noModule = await post('/Tasks', { data: [{ Subject: 'x', What_Id: { id: accountId } }] });
    expect(entry(noModule.body)).toMatchObject({
      code: 'MANDATORY_NOT_FOUND',
      details: { api_name: '$se_module' },
    });
    const noSubject = await post('/Tasks', { data: [{ Due_Date: '2025-01-10' }] });
    expect(entry(noSubject.body)).toMatchObject({
      code: 'MANDATORY_NOT_FOUND',
      details: { api_name: 'Subject' },
    });

    const coql = await post('/coql', {
      select_query:
        "select id, Subject from Tasks where (Due_Date >= '2025-01-10' and Due_Date <= '2025-01-10')",
    });
    expect(coql.body.data).toEqual([expect.objectContaining({ Subject: 'Call back Ada' })]);
    const none = await post('/coql', { select_query: "select id from Tasks where Due_Date > '2025-01-10'" });
    expect(none.status).toBe(204);
  });

  it('needs the Tasks scope', async () => {
    const { post } = await emulator(['ZohoCRM.modules.calls.ALL']);
    const refused = await post('/Tasks', { data: [{ Subject: 'x' }] });
    expect(refused).toMatchObject({ status: 401, body: { code: 'OAUTH_SCOPE_MISMATCH' } });
  });
});
