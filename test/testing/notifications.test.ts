import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';

const HOUR = 3_600_000;
let emu: ZohoEmulator;
let receiver: Server;
let notifyUrl: string;
const received: Record<string, unknown>[] = [];

beforeAll(async () => {
  emu = await startZohoEmulator();
  emu.registerClient({ clientId: '1000.N', clientSecret: 's', redirectUris: ['http://localhost/cb'] });
  receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook?tenant=t1`;
});
afterEach(() => {
  received.length = 0;
  emu.reset();
  emu.registerClient({ clientId: '1000.N', clientSecret: 's', redirectUris: ['http://localhost/cb'] });
});
afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await emu.close();
});

async function call(method: string, body?: unknown, query = '', scopes = ['ZohoCRM.notifications.ALL']) {
  const { accessToken } = emu.issueTokens({ scopes: [...scopes, 'ZohoCRM.modules.ALL'] });
  const response = await fetch(`${emu.apiUrl}/crm/v8/actions/watch${query}`, {
    method,
    headers: { authorization: `Zoho-oauthtoken ${accessToken}` },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
const channel = (extra: Record<string, unknown> = {}) => ({
  watch: [
    { channel_id: '1000000068001', events: ['Contacts.all'], notify_url: notifyUrl, token: 'tok', ...extra },
  ],
});

describe('the emulated Notifications API', () => {
  it("enables a channel in Zoho's answer shape, with the expiry asked for when within a week", async () => {
    const expiry = iso(emu.now() + 24 * HOUR);
    const { status, body } = await call('POST', channel({ channel_expiry: expiry }));
    expect(status).toBe(200);
    expect(body.watch[0]).toMatchObject({
      code: 'SUCCESS',
      status: 'success',
      details: {
        events: [
          { channel_expiry: expect.any(String), resource_name: 'Contacts', channel_id: '1000000068001' },
        ],
      },
    });
    expect(Date.parse(body.watch[0].details.events[0].channel_expiry)).toBe(Date.parse(expiry));
    expect(body.watch[0].details.events[0].resource_uri).toBe('https://www.zohoapis.com/crm/v8/Contacts');
    expect(emu.notificationChannels()).toEqual([
      {
        channelId: '1000000068001',
        events: ['Contacts.all'],
        notifyUrl,
        expiresAt: new Date(expiry).toISOString(),
      },
    ]);
  });

  it("answers the expiry in the org's time zone, as Zoho writes date-times (not always UTC)", async () => {
    const asked = emu.now() + 24 * HOUR;
    const { body } = await call('POST', channel({ channel_expiry: iso(asked) }));
    const answered: string = body.watch[0].details.events[0].channel_expiry;
    // The emulator's default org is in America/New_York.
    expect(answered).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[45]:00$/);
    expect(Date.parse(answered)).toBe(Math.floor(asked / 1000) * 1000);
  });

  it("refuses an expiry that is not Zoho's date-time form (milliseconds, no offset) with INVALID_DATA", async () => {
    const at = new Date(emu.now() + 24 * HOUR).toISOString();
    for (const expiry of [at, at.replace(/\.\d{3}Z$/, '')]) {
      expect((await call('POST', channel({ channel_expiry: expiry }))).body).toMatchObject({
        code: 'INVALID_DATA',
        details: { api_name: 'channel_expiry' },
      });
    }
    expect(emu.notificationChannels()).toEqual([]);
  });

  it('falls back to one hour when the expiry is missing or more than a week ahead (documented)', async () => {
    const now = emu.now();
    await call('POST', channel({ channel_expiry: iso(now + 8 * 24 * HOUR) }));
    const [c] = emu.notificationChannels();
    expect(Date.parse(c?.expiresAt ?? '') - now).toBeGreaterThanOrEqual(HOUR);
    expect(Date.parse(c?.expiresAt ?? '') - now).toBeLessThan(HOUR + 5_000);
  });

  it('refuses a token over 50 characters, missing keys and unknown modules; needs the notifications scope', async () => {
    expect((await call('POST', channel({ token: 'x'.repeat(51) }))).body).toMatchObject({
      code: 'INVALID_DATA',
      details: { api_name: 'token' },
    });
    expect((await call('POST', channel({ notify_url: undefined }))).body).toMatchObject({
      code: 'MANDATORY_NOT_FOUND',
    });
    expect((await call('POST', channel({ events: ['Widgets.all'] }))).body).toMatchObject({
      code: 'INVALID_DATA',
    });
    expect(await call('POST', channel(), '', [])).toMatchObject({
      status: 401,
      body: { code: 'OAUTH_SCOPE_MISMATCH' },
    });
    expect(await call('GET', undefined, '', ['ZohoCRM.notifications.READ'])).toMatchObject({ status: 204 });
    expect(emu.notificationChannels()).toEqual([]);
  });

  it('lists, updates (PATCH keeps the rest) and disables channels', async () => {
    await call('POST', channel());
    const listed = await call('GET');
    expect(listed.body.watch).toMatchObject([{ channel_id: '1000000068001', notify_url: notifyUrl }]);
    const patched = await call('PATCH', { watch: [{ channel_id: '1000000068001', events: ['Leads.edit'] }] });
    expect(patched.body.watch[0].code).toBe('SUCCESS');
    expect(emu.notificationChannels()[0]).toMatchObject({ events: ['Leads.edit'], notifyUrl });
    const unknown = await call('PUT', { watch: [{ ...channel().watch[0], channel_id: '77' }] });
    expect(unknown.body).toMatchObject({ code: 'INVALID_DATA', details: { api_name: 'channel_id' } });
    const disabled = await call('DELETE', undefined, '?channel_ids=1000000068001');
    expect(disabled.body.watch[0]).toMatchObject({ code: 'SUCCESS', status: 'success' });
    expect(emu.notificationChannels()).toEqual([]);
  });

  it("POSTs Zoho's notification JSON for seeds, UI edits and deletes; one per API call", async () => {
    await call('POST', channel({ events: ['Contacts.all', 'Leads.create'] }));
    const [a, b] = emu.seed('Contacts', [{ Last_Name: 'A' }, { Last_Name: 'B' }]);
    emu.updateRecord('Contacts', a as string, { Phone: '+1 415 555 0000' });
    emu.deleteRecord('Contacts', b as string);
    emu.seed('Leads', [{ Last_Name: 'L', Company: 'C' }]);
    emu.seed('Accounts', [{ Account_Name: 'Not watched' }]);
    const deliveries = await emu.notificationsDelivered();
    expect(deliveries.map((d) => [d.module, d.operation, d.ids.length, d.status])).toEqual([
      ['Contacts', 'insert', 2, 200],
      ['Contacts', 'update', 1, 200],
      ['Contacts', 'delete', 1, 200],
      ['Leads', 'insert', 1, 200],
    ]);
    expect(received[0]).toEqual({
      server_time: expect.any(Number),
      query_params: { tenant: 't1' },
      module: 'Contacts',
      resource_uri: 'https://www.zohoapis.com/crm/v8/Contacts',
      ids: [a, b],
      affected_fields: [],
      operation: 'insert',
      channel_id: '1000000068001',
      token: 'tok',
    });
    expect(deliveries[0]?.notifyUrl).not.toContain('?');
  });

  it('stops notifying once the channel expires on the emulator clock; a failed delivery is logged, not thrown', async () => {
    await call('POST', channel({ channel_expiry: iso(emu.now() + 2 * HOUR) }));
    emu.advanceTime(2 * HOUR);
    emu.seed('Contacts', [{ Last_Name: 'Late' }]);
    expect(await emu.notificationsDelivered()).toEqual([]);

    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/gone`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await call('POST', channel({ notify_url: deadUrl }));
    emu.seed('Contacts', [{ Last_Name: 'Unheard' }]);
    const [failed] = await emu.notificationsDelivered();
    expect(failed).toMatchObject({ status: 0, error: expect.any(String) });
  });
});
