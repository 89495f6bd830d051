/**
 * What the emulator answers that Zoho's real API would: upsert refused on modules Zoho does not offer it
 * for (Calls, Tasks, Events), and writes that are stored although the client never hears back.
 */
import { describe, expect, it } from 'vitest';
import { startZohoEmulator } from '../../src/testing/index.js';
import { cleanupAfterEach } from './harness.js';

const cleanups = cleanupAfterEach();

async function emulator() {
  const emu = await startZohoEmulator();
  cleanups.push(() => emu.close());
  emu.registerClient({ clientId: '1000.W', clientSecret: 's', redirectUris: ['http://localhost/cb'] });
  const { accessToken } = emu.issueTokens();
  const post = (path: string, body: unknown, signal?: AbortSignal) =>
    fetch(`${emu.apiUrl}/crm/v8${path}`, {
      method: 'POST',
      headers: { Authorization: `Zoho-oauthtoken ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...(signal ? { signal } : {}),
    });
  return { emu, post };
}

const call = (subject: string) => ({
  Subject: subject,
  Call_Type: 'Inbound',
  Call_Start_Time: '2025-01-10T14:03:00-05:00',
  Call_Duration: '04:12',
});

describe('upsert on Calls, Tasks and Events', () => {
  it('is refused with 400 NOT_SUPPORTED, stores nothing, and shows in the request log', async () => {
    const { emu, post } = await emulator();
    for (const module of ['Calls', 'Tasks', 'Events', 'calls']) {
      const res = await post(`/${module}/upsert`, { data: [call('x')], duplicate_check_fields: ['Subject'] });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'NOT_SUPPORTED', status: 'error' });
    }
    expect(emu.records('Calls')).toHaveLength(0);
    const refused = emu.requestLog().filter((e) => e.url.endsWith('/upsert'));
    expect(refused).toHaveLength(4);
    expect(refused.every((e) => e.status === 400 && e.error === 'NOT_SUPPORTED')).toBe(true);
    // Modules Zoho lists for upsert still work.
    const leads = await post('/Leads/upsert', { data: [{ Last_Name: 'Doe', Email: 'd@example.com' }] });
    expect(leads.status).toBe(201);
  });
});

describe('the lostAnswer fault: stored although the client timed out', () => {
  it("'timeout' stores the insert and holds the answer until the client gives up", async () => {
    const { emu, post } = await emulator();
    emu.faults({ lostAnswer: 'timeout' });
    const client = new AbortController();
    const sent = post('/Calls', { data: [call('held')] }, client.signal);
    // The record is there while the client still waits: abort once Zoho "committed" it.
    for (let i = 0; i < 1_000 && emu.records('Calls').length === 0; i++)
      await new Promise((r) => setImmediate(r));
    expect(emu.records('Calls').map((r) => r.Subject)).toEqual(['held']);
    client.abort();
    await expect(sent).rejects.toThrow();
    emu.faults(null);
    for (let i = 0; i < 1_000 && emu.requestLog().length === 0; i++)
      await new Promise((r) => setImmediate(r));
    expect(emu.requestLog()[0]).toMatchObject({
      status: 0,
      error: expect.stringMatching(/^stored; answer lost/),
    });
  });

  it("'drop' and 'error' store the write; every N-th write only, counted, never at random", async () => {
    const { emu, post } = await emulator();
    emu.faults({ lostAnswer: 'drop', every: 2 });
    const first = await post('/Calls', { data: [call('one')] });
    expect(first.status).toBe(201);
    await expect(post('/Calls', { data: [call('two')] })).rejects.toThrow();
    expect((await post('/Calls', { data: [call('three')] })).status).toBe(201);
    emu.faults({ lostAnswer: 'error', every: 1 });
    const failed = await post('/Calls', { data: [call('four')] });
    expect(failed.status).toBe(500);
    expect(emu.records('Calls').map((r) => r.Subject)).toEqual(['one', 'two', 'three', 'four']);
    // Reads are never affected.
    const read = await fetch(`${emu.apiUrl}/crm/v8/org`, {
      headers: { Authorization: `Zoho-oauthtoken ${emu.issueTokens().accessToken}` },
    });
    expect(read.status).toBe(200);
    expect(() => emu.faults({ every: 0 })).toThrow(RangeError);
  });
});
