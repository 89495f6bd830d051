import { afterAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, ZohoApiError } from '../../src/errors.js';
import { createJournal } from '../../src/journal/journal.js';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import { verifyPublicLink } from '../../src/journal/public-link.js';
import type { CallerMatch } from '../../src/lookup/types.js';
import { parseConnectorOptions } from '../../src/options.js';
import { fakeLookup, harness, notConnected, START, upsertsSent, writeResponse } from './harness.js';

// No code path sends an upsert on Calls (Zoho does not offer it): checked over every test of this file.
afterAll(() => expect(upsertsSent).toEqual([]));

const iso = (offsetMs: number) => new Date(START - 600_000 + offsetMs).toISOString();

function pbxCall(id: string, extra: Partial<PbxCall> = {}): PbxCall {
  return {
    id,
    direction: 'inbound',
    trunk: true,
    from: '+14155552671',
    to: '+14155550100',
    agent: { extension: '201', email: 'grace@example.com', name: 'Grace Hopper' },
    startedAt: iso(0),
    answeredAt: iso(19_000),
    endedAt: iso(271_000),
    status: 'answered',
    ...extra,
  };
}

function contact(h: ReturnType<typeof harness>, phone = '+14155552671'): CallerMatch {
  const [accountId] = h.emu.seed('Accounts', [{ Account_Name: 'Analytical Engines' }]);
  const [id] = h.emu.seed('Contacts', [
    { First_Name: 'Ada', Last_Name: 'Lovelace', Phone: phone, Account_Name: { id: accountId } },
  ]);
  const match: CallerMatch = {
    module: 'Contacts',
    id: id as string,
    name: 'Ada Lovelace',
    phone,
    field: 'Phone',
    account: { id: accountId as string, name: 'Analytical Engines' },
    source: 'zoho',
  };
  h.lookup.map.set(phone, match);
  return match;
}

describe('logCall', () => {
  it('README example: logs an answered call once, linked, owned by the agent, with its notes', async () => {
    const h = harness();
    const match = contact(h);
    const result = await h.journal.logCall(pbxCall('c1', { notes: ['Asked for a quote'] }));
    expect(result).toEqual({ status: 'logged', zohoCallId: expect.any(String) });
    const [record] = h.emu.records('Calls');
    expect(h.emu.records('Calls')).toHaveLength(1);
    const grace = h.emu.users.find((u) => u.email === 'Grace@Example.com');
    expect(record).toMatchObject({
      id: result.zohoCallId,
      Subject: 'Inbound call from +1 415 555 2671',
      Call_Type: 'Inbound',
      Call_Start_Time: '2025-01-10T14:50:19-05:00',
      Call_Duration: '04:12',
      Call_Duration_in_seconds: 252,
      Who_Id: { id: match.id },
      What_Id: { id: match.account?.id },
      $se_module: 'Accounts',
      Owner: { id: grace?.id },
      Caller_ID: '+14155552671',
      Dialled_Number: '+14155550100',
    });
    const notes = h.emu.records('Notes');
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({
      Note_Content: 'Asked for a quote',
      Parent_Id: { module: { api_name: 'Calls' }, id: result.zohoCallId },
    });
    expect(h.eventsOf('callLogged')).toEqual([
      {
        connectionId: 'tenant-42',
        callId: 'c1',
        zohoCallId: result.zohoCallId,
        recordUrl: `https://crm.zoho.com/crm/tab/Calls/${result.zohoCallId}`,
        linkedTo: { module: 'Contacts', id: match.id },
        attempts: 0,
        queuedMs: 0,
      },
    ]);
    expect(await h.journal.stats()).toEqual({
      logged: 1,
      notes: 1,
      updates: 0,
      tasks: 0,
      retries: 0,
      deadLettered: 0,
      pending: 0,
      deadLetters: 0,
      quarantined: 0,
    });
  });

  it('returns the existing id for a redelivered call and writes nothing', async () => {
    const h = harness();
    const first = await h.journal.logCall(pbxCall('c1'));
    const before = h.requests.length;
    expect(await h.journal.logCall(pbxCall('c1'))).toEqual({
      status: 'logged',
      zohoCallId: first.zohoCallId,
      reason: 'already logged',
    });
    expect(await h.journal.logCall(pbxCall('c1', { status: 'missed' }))).toMatchObject({
      zohoCallId: first.zohoCallId,
    });
    expect(h.requests.length).toBe(before);
    expect(h.emu.records('Calls')).toHaveLength(1);
  });

  it('with waitForAnswer: false answers queued once the call is in the outbox, without waiting for Zoho', async () => {
    const h = harness();
    const release = h.holdTokens(); // Zoho cannot be reached until released
    const results = await Promise.all([
      h.journal.logCall(pbxCall('w1'), { waitForAnswer: false }),
      h.journal.addCallNote('w1', 'asked for a quote', { waitForAnswer: false }),
      h.journal.attachToCall(
        'w1',
        { recording: { url: 'https://pbx.example.com/r/w1.wav' } },
        { waitForAnswer: false },
      ),
    ]);
    expect(results.map((r) => r.status)).toEqual(['queued', 'queued', 'queued']);
    expect((await h.store.pending('tenant-42')).count).toBe(3); // stored before the answer
    expect(h.emu.records('Calls')).toHaveLength(0);
    release();
    await h.journal.flush();
    const [record] = h.emu.records('Calls');
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(String(record?.Description)).toContain('https://pbx.example.com/r/w1.wav');
    expect(h.emu.records('Notes')).toHaveLength(1);
    expect(await h.journal.logCall(pbxCall('w1'), { waitForAnswer: false })).toMatchObject({
      status: 'logged',
    });
  });

  it('writes concurrent deliveries of one call once and answers all of them with its id', async () => {
    const h = harness();
    const results = await Promise.all([1, 2, 3].map(() => h.journal.logCall(pbxCall('c1'))));
    expect(new Set(results.map((r) => r.zohoCallId)).size).toBe(1);
    expect(results.every((r) => r.status === 'logged')).toBe(true);
    expect(h.emu.records('Calls')).toHaveLength(1);
  });

  it('writes calls that arrive together in batches of up to 100 per insert', async () => {
    const h = harness();
    const results = await Promise.all(
      Array.from({ length: 250 }, (_, i) => h.journal.logCall(pbxCall(`c${i}`))),
    );
    expect(results.every((r) => r.status === 'logged')).toBe(true);
    expect(h.count('POST /Calls')).toBe(3);
    expect(h.emu.records('Calls')).toHaveLength(250);
    // Each call got its own record, in request order.
    expect(new Set(results.map((r) => r.zohoCallId)).size).toBe(250);
  });

  it.each([
    ['an internal call', { direction: 'internal' as const }, 'internal call'],
    ['a non-trunk call', { trunk: false }, 'not a trunk call (journal.trunkCallsOnly)'],
  ])('skips %s', async (_label, extra, reason) => {
    const h = harness();
    expect(await h.journal.logCall(pbxCall('c1', extra))).toEqual({ status: 'skipped', reason });
    expect(h.requests).toHaveLength(0);
  });

  it('logs non-trunk calls when trunkCallsOnly is off, and nothing when the journal is disabled', async () => {
    const h = harness({ journal: { trunkCallsOnly: false } });
    expect((await h.journal.logCall(pbxCall('c1', { trunk: false }))).status).toBe('logged');
    const off = harness({ journal: { enabled: false } });
    expect(await off.journal.logCall(pbxCall('c1'))).toMatchObject({ status: 'skipped' });
    expect(await off.journal.addCallNote('c1', 'x')).toMatchObject({ status: 'skipped' });
    expect(
      await off.journal.attachToCall('c1', { recording: { url: 'https://pbx.example.com/r' } }),
    ).toMatchObject({
      status: 'skipped',
    });
    expect(off.requests).toHaveLength(0);
  });

  it('rejects an invalid call with a ConfigError naming the field, before touching the store', async () => {
    const h = harness();
    const error = await h.journal.logCall({ ...pbxCall('c1'), endedAt: 'soon' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues.map((i) => i.path)).toEqual(['endedAt']);
    expect((await h.store.pending('tenant-42')).count).toBe(0);
  });
});

describe('outbox', () => {
  it('queues a call while Zoho is down, retries with backoff in the background, and logs it once', async () => {
    const h = harness();
    h.emu.faults({ outage: true });
    const result = await h.journal.logCall(pbxCall('c1'));
    expect(result).toEqual({
      status: 'queued',
      reason: expect.stringContaining('retrying in the background'),
    });
    const [retry] = h.eventsOf('journalRetry');
    expect(retry).toMatchObject({
      callId: 'c1',
      kind: 'create',
      attempt: 1,
      delayMs: 3_750, // base 5 s, equal jitter with random 0.5
      waitingForAuthorization: false,
      error: { code: 'ZOHO_API', status: 503 },
    });
    await h.time.advance(0); // the start-up pass finds nothing due
    expect(h.time.nextTimerIn()).toBe(3_750);
    expect(await h.store.pending('tenant-42')).toEqual({ count: 1, nextAttemptAt: START + 3_750 });

    // Nothing happens before the delay is over.
    await h.time.advance(3_749);
    expect(h.eventsOf('journalRetry')).toHaveLength(1);
    // Still down at the first retry: the delay doubles.
    await h.time.advance(1);
    expect(h.eventsOf('journalRetry')[1]).toMatchObject({ attempt: 2, delayMs: 7_500 });

    h.emu.faults(null);
    await h.time.advance(7_500);
    expect(h.eventsOf('callLogged')).toHaveLength(1);
    expect(h.eventsOf('callLogged')[0]).toMatchObject({ callId: 'c1', attempts: 2, queuedMs: 11_250 });
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(await h.store.pending('tenant-42')).toEqual({ count: 0 });
    expect(await h.journal.logCall(pbxCall('c1'))).toMatchObject({
      status: 'logged',
      reason: 'already logged',
    });
  });

  it('caps the backoff at maxDelayMs and honours Retry-After', async () => {
    const h = harness({
      journal: { retry: { baseDelayMs: 1_000, maxDelayMs: 4_000 } },
      emulator: { retryAfter: true },
    });
    h.emu.faults({ status: 503 });
    await h.journal.logCall(pbxCall('c1'));
    await h.time.advance(0);
    for (let i = 0; i < 4; i++) await h.time.advance(h.time.nextTimerIn() ?? 0);
    // Doubling from 750 ms (half of the 1 s base, equal jitter at 0.5) up to the cap.
    expect(
      h
        .eventsOf('journalRetry')
        .map((e) => e.delayMs)
        .slice(0, 5),
    ).toEqual([750, 1_500, 3_000, 3_000, 3_000]);
    expect(
      new Set(
        h
          .eventsOf('journalRetry')
          .slice(2)
          .map((e) => e.delayMs),
      ),
    ).toEqual(new Set([3_000]));

    h.emu.faults({ status: 429 });
    await h.time.advance(3_000);
    const limited = h.eventsOf('journalRetry').at(-1);
    expect(limited?.error.code).toBe('ZOHO_RATE_LIMIT');
    expect(limited?.delayMs).toBeGreaterThanOrEqual(3_000);
  });

  it('moves a call Zoho refuses to the dead letters with the Zoho error, and rejects logCall with it', async () => {
    const h = harness({
      emulator: { fields: { Calls: [{ apiName: 'Region', dataType: 'text', mandatory: true }] } },
    });
    const error = await h.journal.logCall(pbxCall('c1', { notes: ['n1'] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZohoApiError);
    expect(error).toMatchObject({ zohoCode: 'MANDATORY_NOT_FOUND', details: { api_name: 'Region' } });
    const letters = await h.journal.deadLetters();
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({
      op: { id: 'create:c1', callId: 'c1', kind: 'create' },
      error: { code: 'ZOHO_API', zohoCode: 'MANDATORY_NOT_FOUND', details: { api_name: 'Region' } },
      failedAt: START,
    });
    expect(h.eventsOf('journalFailed')).toEqual([
      { connectionId: 'tenant-42', callId: 'c1', kind: 'create', error: letters[0]?.error },
    ]);
    expect(await h.store.pending('tenant-42')).toEqual({ count: 0 });

    // Requeued after "fixing Zoho": it is attempted again (and fails again here).
    expect(await h.journal.retryDeadLetter('create:c1')).toBe(true);
    expect(await h.journal.retryDeadLetter('create:nope')).toBe(false);
    await h.journal.flush();
    expect(await h.journal.deadLetters()).toHaveLength(1);
    expect(h.eventsOf('journalFailed')).toHaveLength(2);
  });

  it('keeps calls queued while authorization is lost and writes them when it returns', async () => {
    const h = harness();
    h.failTokens(notConnected());
    expect(await h.journal.logCall(pbxCall('c1'))).toEqual({
      status: 'queued',
      reason: 'waiting for Zoho authorization (an admin must click Authorize)',
    });
    expect(h.eventsOf('journalRetry')[0]).toMatchObject({
      attempt: 0,
      delayMs: 60_000,
      waitingForAuthorization: true,
      error: { code: 'AUTH_NOT_CONNECTED' },
    });
    await h.time.advance(60_000);
    expect(h.eventsOf('journalRetry')).toHaveLength(2);
    expect(await h.journal.deadLetters()).toHaveLength(0);

    h.failTokens(undefined);
    h.journal.resume();
    await h.journal.flush(); // waits for the pass resume() started
    expect(h.eventsOf('callLogged')).toHaveLength(1);
    expect(h.emu.records('Calls')).toHaveLength(1);
  });

  it('retries a throttled token refresh with backoff', async () => {
    const h = harness();
    h.failTokens(new AuthError('AUTH_THROTTLED', 'too many grants', { retryable: true }));
    expect((await h.journal.logCall(pbxCall('c1'))).status).toBe('queued');
    expect(h.eventsOf('journalRetry')[0]).toMatchObject({ attempt: 1, waitingForAuthorization: false });
    h.failTokens(undefined);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
    expect(h.emu.records('Calls')).toHaveLength(1);
  });

  it('maps per-record results of a batch back to their calls, in request order', async () => {
    const h = harness({
      intercept: (request) => {
        if (request.method !== 'POST' || request.path !== '/Calls') return undefined;
        const data = (request.body as { data: Array<{ Subject: string }> }).data;
        return writeResponse(
          data.map((_record, i) =>
            i === 1
              ? {
                  code: 'INVALID_DATA',
                  status: 'error',
                  message: 'invalid data',
                  details: { api_name: 'Call_Agenda', json_path: '$.data[1].Call_Agenda' },
                }
              : i === 2
                ? { code: 'RECORD_LOCKED', status: 'error', message: 'locked', details: {} }
                : { code: 'SUCCESS', status: 'success', message: 'record added', details: { id: `z${i}` } },
          ),
        );
      },
    });
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd'].map((id) => h.journal.logCall(pbxCall(id))),
    );
    expect(results[0]).toEqual({ status: 'fulfilled', value: { status: 'logged', zohoCallId: 'z0' } });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { zohoCode: 'INVALID_DATA' } });
    expect(results[2]).toMatchObject({ status: 'fulfilled', value: { status: 'queued' } });
    expect(results[3]).toEqual({ status: 'fulfilled', value: { status: 'logged', zohoCallId: 'z3' } });
    expect(await h.store.getLogged('tenant-42', 'd')).toBe('z3');
  });

  it('picks up what a previous process queued, and stops its timers on close', async () => {
    const h = harness();
    h.emu.faults({ outage: true });
    await h.journal.logCall(pbxCall('c1'));
    await h.journal.logCall(pbxCall('c2'));
    await h.journal.close();
    expect(h.time.timers.size).toBe(0);
    expect(await h.journal.logCall(pbxCall('c3'))).toEqual({
      status: 'queued',
      reason: 'the journal is closed; the write stays queued',
    });

    h.emu.faults(null);
    const next = h.restart();
    expect((await next.stats()).pending).toBe(3);
    await h.time.advance(10_000); // the start-up pass, then the retries as they fall due
    expect(h.emu.records('Calls')).toHaveLength(3);
    expect((await next.stats()).pending).toBe(0);
    await next.close();
  });

  it('flush gives queued writes one attempt now, backoff or not', async () => {
    const h = harness();
    h.emu.faults({ status: 500 });
    await Promise.all([h.journal.logCall(pbxCall('c1')), h.journal.logCall(pbxCall('c2'))]);
    expect(h.eventsOf('journalRetry').map((e) => e.attempt)).toEqual([1, 1]);
    expect(await h.journal.flush()).toEqual({ pending: 2, deadLetters: 0 });
    expect(h.eventsOf('journalRetry').map((e) => e.attempt)).toEqual([1, 1, 2, 2]);
    // Nothing stays leased beyond its retry: another process could take over at once.
    expect(((await h.store.pending('tenant-42')).nextAttemptAt ?? 0) - START).toBe(7_500);
    h.emu.faults(null);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
    expect(h.emu.records('Calls')).toHaveLength(2);
  });

  it('queues the call when the caller lookup fails for a retryable reason, and logs unlinked otherwise', async () => {
    const h = harness();
    contact(h);
    h.lookup.error = new ZohoApiError('down', { status: 503 });
    expect((await h.journal.logCall(pbxCall('c1'))).status).toBe('queued');
    h.lookup.error = new AuthError('AUTH_SCOPE_MISMATCH', 'no search scope', { reauthorize: false });
    const h2 = harness({ lookup: fakeLookup() });
    h2.lookup.error = new ZohoApiError('bad', { status: 400, zohoCode: 'INVALID_QUERY' });
    expect((await h2.journal.logCall(pbxCall('c1'))).status).toBe('logged');
    expect(h2.emu.records('Calls')[0]).not.toHaveProperty('Who_Id');
  });
});

describe('notes and late links', () => {
  it('holds a note added before the call and writes it right after the call', async () => {
    const h = harness();
    expect(await h.journal.addCallNote('c1', 'Customer asked for a quote')).toEqual({
      status: 'queued',
      reason: 'held until the call is logged',
    });
    expect(h.emu.records('Notes')).toHaveLength(0);
    const { zohoCallId } = await h.journal.logCall(pbxCall('c1'));
    expect(h.emu.records('Notes')).toHaveLength(1);
    expect(h.emu.records('Notes')[0]).toMatchObject({
      Note_Content: 'Customer asked for a quote',
      Parent_Id: { module: { api_name: 'Calls' }, id: zohoCallId },
    });
    expect((await h.journal.stats()).pending).toBe(0);
  });

  it('writes a note to a logged call at once, batching notes added together', async () => {
    const h = harness({ journal: { noteTitle: 'Agent note' } });
    const { zohoCallId } = await h.journal.logCall(pbxCall('c1'));
    const results = await Promise.all([
      h.journal.addCallNote('c1', 'first 📞'),
      h.journal.addCallNote('c1', 'second'),
    ]);
    expect(results).toEqual([
      { status: 'logged', zohoCallId },
      { status: 'logged', zohoCallId },
    ]);
    expect(h.count('POST /Notes')).toBe(1);
    expect(h.emu.records('Notes').map((n) => [n.Note_Title, n.Note_Content])).toEqual([
      ['Agent note', 'first'],
      ['Agent note', 'second'],
    ]);
  });

  it('dead-letters notes whose call never arrives, after holdUnknownCallsMs', async () => {
    const h = harness({ journal: { holdUnknownCallsMs: 60_000 } });
    await h.journal.addCallNote('ghost', 'hello');
    await h.time.advance(59_999);
    expect(await h.journal.deadLetters()).toHaveLength(0);
    await h.time.advance(1);
    expect((await h.journal.deadLetters())[0]?.error).toMatchObject({ code: 'JOURNAL_CALL_NOT_LOGGED' });
    expect(h.eventsOf('journalFailed')[0]).toMatchObject({ callId: 'ghost', kind: 'note' });
  });

  it('merges links attached before the call is written into the same insert', async () => {
    const h = harness();
    h.emu.faults({ outage: true });
    await h.journal.logCall(pbxCall('c1'));
    expect(
      await h.journal.attachToCall('c1', {
        recording: { url: 'https://pbx.example.com/rec/c1.wav' },
        transcription: { url: 'https://pbx.example.com/t/c1', summary: 'Wants a quote 🙂' },
      }),
    ).toMatchObject({ status: 'queued' });
    h.emu.faults(null);
    await h.journal.flush();
    const calls = h.emu.records('Calls');
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ Voice_Recording__s: 'https://pbx.example.com/rec/c1.wav' });
    expect(calls[0]?.Description).toContain(
      'Transcription: https://pbx.example.com/t/c1\nSummary: Wants a quote',
    );
    expect(h.count('PUT /Calls')).toBe(0);
  });

  it('adds a late transcription to the logged activity (update, never a second activity), idempotently', async () => {
    const h = harness();
    const { zohoCallId } = await h.journal.logCall(pbxCall('c1'));
    const links = { transcription: { url: 'https://pbx.example.com/t/c1', summary: 'Follow up Monday' } };
    expect(await h.journal.attachToCall('c1', links)).toEqual({ status: 'logged', zohoCallId });
    expect(await h.journal.attachToCall('c1', links)).toEqual({ status: 'logged', zohoCallId });
    expect(
      await h.journal.attachToCall('c1', { recording: { url: 'https://pbx.example.com/rec/c1.wav' } }),
    ).toEqual({
      status: 'logged',
      zohoCallId,
    });
    const calls = h.emu.records('Calls');
    expect(calls).toHaveLength(1);
    const description = calls[0]?.Description as string;
    expect(description.split('Transcription: https://pbx.example.com/t/c1')).toHaveLength(2);
    expect(description).toContain(
      'PBX call ID: c1\nTranscription: https://pbx.example.com/t/c1\nSummary: Follow up Monday',
    );
    expect(calls[0]?.Voice_Recording__s).toBe('https://pbx.example.com/rec/c1.wav');
    expect(h.count('PUT /Calls')).toBe(2); // the repeated transcription changed nothing
  });

  it('links a logged call to a record created afterwards', async () => {
    const h = harness();
    const { zohoCallId } = await h.journal.logCall(pbxCall('c1'));
    const [leadId] = h.emu.seed('Leads', [{ Last_Name: 'Doe', Company: 'Acme', Phone: '+14155552671' }]);
    const lead: CallerMatch = {
      module: 'Leads',
      id: leadId as string,
      name: 'Doe',
      phone: '+14155552671',
      field: 'Phone',
      source: 'zoho',
    };
    expect(await h.journal.linkCall('c1', lead)).toEqual({ status: 'logged', zohoCallId });
    expect(h.emu.records('Calls')[0]).toMatchObject({ What_Id: { id: leadId }, $se_module: 'Leads' });
    expect(await h.journal.linkCall('c1', { ...lead, module: 'PBX' })).toMatchObject({ status: 'skipped' });
  });

  it('validates note and attachment input', async () => {
    const h = harness();
    await expect(h.journal.addCallNote('', 'x')).rejects.toThrow(ConfigError);
    await expect(h.journal.addCallNote('c1', '  ')).rejects.toThrow(/text/);
    await expect(h.journal.attachToCall('c1', {})).rejects.toThrow(/recording or a transcription/);
    await expect(h.journal.attachToCall('c1', { recording: { url: 'file:///etc/passwd' } })).rejects.toThrow(
      /recording\.url/,
    );
    await expect(
      h.journal.attachToCall('c1', { transcription: { url: 'https://x.example/t', summary: 42 as never } }),
    ).rejects.toThrow(/transcription\.summary/);
  });

  it('attachToCall enforces the same 2,048-character URL cap as logCall', async () => {
    const h = harness();
    const long = `https://pbx.example.com/r/${'a'.repeat(2_048)}`;
    await expect(h.journal.attachToCall('c1', { recording: { url: long } })).rejects.toThrow(
      /recording\.url/,
    );
    await expect(h.journal.logCall(pbxCall('c2', { recording: { url: long } }))).rejects.toThrow(
      /recording\.url/,
    );
    expect((await h.store.pending('tenant-42')).count).toBe(0);
  });

  it('null and odd inputs get a typed ConfigError, never a TypeError', async () => {
    const h = harness();
    const odd: unknown[] = [
      null,
      undefined,
      42,
      'x',
      [],
      { transcription: null },
      { recording: 'https://x' },
    ];
    for (const links of odd) {
      await expect(h.journal.attachToCall('c1', links as never)).rejects.toBeInstanceOf(ConfigError);
    }
    for (const id of [null, undefined, 7, {}, 'a\u0000b']) {
      await expect(
        h.journal.attachToCall(id as never, { recording: { url: 'https://x.example/r' } }),
      ).rejects.toBeInstanceOf(ConfigError);
      await expect(h.journal.addCallNote(id as never, 'x')).rejects.toBeInstanceOf(ConfigError);
    }
    await expect(h.journal.addCallNote('c1', null as never)).rejects.toBeInstanceOf(ConfigError);
  });
});

describe('what goes into the activity', () => {
  it('maps owners by explicit map, e-mail (any case), extension field, then the fallback; lists users once', async () => {
    const h = harness({
      journal: { agents: { '999': '111' }, userExtensionField: 'Extension', fallbackOwnerId: undefined },
    });
    const users = Object.fromEntries(h.emu.users.map((u) => [u.email, u.id]));
    h.emu.addUser({ email: 'x@example.com', lastName: 'X', id: '111' } as never);
    await Promise.all([
      h.journal.logCall(pbxCall('explicit', { agent: { extension: '999' } })),
      h.journal.logCall(pbxCall('email', { agent: { extension: '555', email: 'GRACE@example.COM' } })),
      h.journal.logCall(pbxCall('extension', { agent: { extension: '202' } })),
      h.journal.logCall(pbxCall('nobody', { agent: { extension: '777' } })),
    ]);
    const owner = (id: string) => {
      const call = h.emu.records('Calls').find((c) => String(c.Description).includes(`PBX call ID: ${id}`));
      return (call as { Owner: { id: string } }).Owner.id;
    };
    expect(owner('explicit')).toBe('111');
    expect(owner('email')).toBe(users['Grace@Example.com']);
    expect(owner('extension')).toBe(users['alan@example.com']);
    expect(owner('nobody')).toBe(users['admin@example.com']); // Zoho's default: the authorizing user
    expect(h.count('GET /users')).toBe(2); // CurrentUser (time zone) and ActiveUsers, once each
  });

  it('uses the fallback owner, and replaces an owner Zoho refuses', async () => {
    const h = harness({ journal: { agents: { '201': '4876876000009999999' }, fallbackOwnerId: undefined } });
    const admin = h.emu.users[0]?.id as string;
    await h.journal.logCall(pbxCall('c1'));
    expect(h.emu.records('Calls')[0]?.Owner).toMatchObject({ id: admin });
    const h2 = harness({ journal: { fallbackOwnerId: 'nobody-known' } });
    await h2.journal.logCall(pbxCall('c1', { agent: { extension: '777' } }));
    expect(h2.emu.records('Calls')).toHaveLength(1);
  });

  it('writes the start time in the org time zone and discovers the status field', async () => {
    const h = harness({ emulator: { timeZone: 'Asia/Kolkata' } });
    await h.journal.logCall(pbxCall('c1', { direction: 'outbound', from: '201', to: '+14155552671' }));
    const sent = sentCalls(h)[0];
    expect(sent).toMatchObject({
      Call_Start_Time: '2025-01-11T01:20:19+05:30',
      Call_Type: 'Outbound',
      Outgoing_Call_Status: 'Completed',
      Dialled_Number: '+14155552671',
    });
    expect(h.count('GET /settings/fields')).toBe(1);
    expect(h.count('GET /users')).toBe(2); // CurrentUser (time zone) and ActiveUsers (owner)
    await h.journal.logCall(pbxCall('c2', { direction: 'outbound', from: '201', to: '+14155552671' }));
    expect(h.count('GET /settings/fields')).toBe(1);
  });

  it('uses the configured time zone and status-field choice without asking Zoho', async () => {
    const h = harness({
      journal: { timeZone: 'Europe/Berlin', outboundStatusField: false, agents: { '201': '1' } },
    });
    h.emu.addUser({ email: 'one@example.com', lastName: 'One', id: '1' } as never);
    await h.journal.logCall(pbxCall('c1', { direction: 'outbound', from: '201', to: '+14155552671' }));
    const sent = sentCalls(h)[0];
    expect(sent?.Call_Start_Time).toBe('2025-01-10T20:50:19+01:00');
    expect(sent).not.toHaveProperty('Outgoing_Call_Status');
    expect(h.count('GET /settings/fields') + h.count('GET /users')).toBe(0);
  });

  it('signs public recording links that the host can verify', async () => {
    const secret = 'a-host-secret-of-32-characters!!';
    const h = harness({ journal: { recordingLink: 'public', publicLinks: { secret, ttlSeconds: 3600 } } });
    await h.journal.logCall(pbxCall('c1', { recording: { url: 'https://pbx.example.com/rec/c1.wav' } }));
    const link = h.emu.records('Calls')[0]?.Voice_Recording__s as string;
    expect(link).toMatch(/^https:\/\/pbx\.example\.com\/rec\/c1\.wav\?expires=\d+&signature=/);
    expect(await verifyPublicLink(link, { secret, now: START })).toMatchObject({ valid: true });
    expect(await verifyPublicLink(link, { secret, now: START + 3_600_000 })).toEqual({
      valid: false,
      reason: 'expired',
    });
  });

  it('leaves links out as configured', async () => {
    const h = harness({ journal: { recordingLink: 'none', transcriptionLink: 'none' } });
    await h.journal.logCall(
      pbxCall('c1', {
        recording: { url: 'https://pbx.example.com/rec/c1.wav' },
        transcription: { url: 'https://pbx.example.com/t/c1', summary: 'ok' },
      }),
    );
    const [call] = h.emu.records('Calls');
    expect(call).not.toHaveProperty('Voice_Recording__s');
    expect(call?.Description).not.toContain('https://');
    expect(call?.Description).toContain('Summary: ok');
  });

  it('refuses public links without a signing secret', () => {
    const resolved = parseConnectorOptions({
      connectionId: 't',
      clientId: 'id',
      clientSecret: 's',
      redirectUri: 'https://pbx.example.com/cb',
    });
    const h = harness();
    expect(() =>
      createJournal({
        connectionId: 't',
        http: h.http,
        lookup: h.lookup,
        defaultCountry: 'US',
        options: { ...resolved.journal, transcriptionLink: 'public' },
      }),
    ).toThrow(ConfigError);
  });

  it('drops optional fields and stale links Zoho refuses, and writes again at once', async () => {
    let refusals = 0;
    const h = harness({
      intercept: (request) => {
        if (request.method !== 'POST' || request.path !== '/Calls') return undefined;
        const record = (request.body as { data: Array<Record<string, unknown>> }).data[0] as Record<
          string,
          unknown
        >;
        const refuse = ['Voice_Recording__s', 'Who_Id'].find((field) => field in record);
        if (!refuse) return undefined;
        refusals++;
        return writeResponse(
          [{ code: 'INVALID_DATA', status: 'error', message: 'invalid data', details: { api_name: refuse } }],
          400,
        );
      },
    });
    const ada = contact(h);
    const result = await h.journal.logCall(
      pbxCall('c1', { recording: { url: 'https://pbx.example.com/rec/1' } }),
    );
    expect(result.status).toBe('logged');
    expect(refusals).toBe(2);
    expect(h.lookup.invalidated).toEqual(['+14155552671']);
    expect(h.lookup.invalidatedRecords).toEqual([ada.id]); // every number of the gone record
    const [call] = h.emu.records('Calls');
    expect(call).not.toHaveProperty('Who_Id');
    expect(call?.Description).toContain('Recording: https://pbx.example.com/rec/1');
    // Remembered for the next call: no refusal needed.
    await h.journal.logCall(pbxCall('c2', { recording: { url: 'https://pbx.example.com/rec/2' } }));
    expect(refusals).toBe(2);
  });
});

describe('dedupe field', () => {
  it('reads back by the unique call-id field, so a crash before the ledger write creates no second activity', async () => {
    const h = harness({
      journal: { dedupeField: 'PBX_Call_ID' },
      emulator: { uniqueFields: { Calls: ['PBX_Call_ID'] } },
    });
    // The process "dies" between Zoho's answer and the ledger write, once.
    const setLogged = h.store.setLogged.bind(h.store);
    let crash = true;
    h.store.setLogged = async (...args) => {
      if (crash) {
        crash = false;
        throw new Error('process crashed');
      }
      return setLogged(...args);
    };
    const first = await h.journal.logCall(pbxCall('c1'));
    expect(first.status).toBe('queued');
    expect(h.emu.records('Calls')).toHaveLength(1);
    // After the claim's lease runs out, the create is taken again: it was marked as sent, so Zoho is
    // read back by the dedupe field (COQL) and the existing activity is linked; nothing is inserted.
    await h.time.advance(300_000);
    expect(h.eventsOf('callLogged')).toHaveLength(1);
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(h.emu.records('Calls')[0]).toMatchObject({ PBX_Call_ID: 'c1' });
    expect(await h.store.getLogged('tenant-42', 'c1')).toBe(h.emu.records('Calls')[0]?.id);
    expect(h.count('POST /Calls/upsert')).toBe(0);
    expect(h.count('POST /Calls')).toBe(1);
    const coql = h.requests
      .filter((r) => r.path === '/coql')
      .map((r) => (r.body as { select_query: string }).select_query);
    expect(coql).toEqual([
      expect.stringMatching(/^select id, PBX_Call_ID from Calls where PBX_Call_ID in \('c1'\)/),
    ]);
  });

  it('without it the same crash is recovered by the marker the journal writes in the description', async () => {
    const h = harness();
    const setLogged = h.store.setLogged.bind(h.store);
    let crash = true;
    h.store.setLogged = async (...args) => {
      if (crash) {
        crash = false;
        throw new Error('process crashed');
      }
      return setLogged(...args);
    };
    await h.journal.logCall(pbxCall('c1'));
    await h.time.advance(300_000);
    expect(h.eventsOf('callLogged')).toHaveLength(1);
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(h.count('POST /Calls')).toBe(1);
    expect(h.count('POST /coql')).toBe(1);
  });

  it('falls back to insert (and says so) when the field does not exist in Zoho', async () => {
    const errors: string[] = [];
    const logger = {
      debug() {},
      info() {},
      warn() {},
      error: (_o: unknown, msg: string) => errors.push(msg),
    };
    const h = harness({ journal: { dedupeField: 'PBX_Call_ID' }, deps: { logger } });
    expect((await h.journal.logCall(pbxCall('c1'))).status).toBe('logged');
    expect(h.count('POST /Calls')).toBe(1);
    expect(errors).toEqual([expect.stringContaining('journal.dedupeField is not a field of Calls')]);
  });
});

/** The Calls records sent in inserts, in order. */
function sentCalls(h: ReturnType<typeof harness>): Array<Record<string, unknown>> {
  return h.requests
    .filter((r) => r.method === 'POST' && r.path === '/Calls')
    .flatMap((r) => (r.body as { data: Array<Record<string, unknown>> }).data);
}

describe('finding 7: attachToCall with a null link is a typed error', () => {
  it.each([
    ['transcription: null', { transcription: null }],
    ['recording: null', { recording: null }],
    ['transcription: a string', { transcription: 'https://pbx.example.com/t/c1' }],
  ])('%s is a ConfigError naming the field, never a TypeError', async (_label, links) => {
    const h = harness();
    const failure = await h.journal
      .attachToCall('c1', links as unknown as Parameters<typeof h.journal.attachToCall>[1])
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ConfigError);
    // `transcription.url` today; `transcription` once the zod schema of pbx-call.ts checks the links.
    expect((failure as ConfigError).issues[0]?.path).toMatch(/^(transcription|recording)(\.url)?$/);
  });
});

describe('deadlines (issue 12 finding 5)', () => {
  it('logCall answers queued within its bound when the token store is slow; the call is stored first and written later', async () => {
    const h = harness({ deps: { answerWithinMs: 5_000 } });
    await h.time.advance(0); // the start-up pass: nothing queued
    const release = h.holdTokens();
    const answer = h.journal.logCall(pbxCall('slow-store'));
    let settled = false;
    void answer.then(() => {
      settled = true;
    });
    // The op is stored; the first attempt starts and waits for a token.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect((await h.store.pending('tenant-42')).count).toBe(1);
    await h.time.advance(4_999);
    expect(settled).toBe(false);
    await h.time.advance(1);
    expect(await answer).toMatchObject({ status: 'queued', reason: expect.stringContaining('5000 ms') });
    expect((await h.store.pending('tenant-42')).count).toBe(1); // in the outbox before any Zoho work
    expect(h.emu.records('Calls')).toHaveLength(0);
    release();
    await h.journal.close(); // waits for the write in progress
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(await h.store.getLogged('tenant-42', 'slow-store')).toBe(h.emu.records('Calls')[0]?.id);
  });

  it('close() waits for writes queued in the same tick, not only for those already started', async () => {
    const h = harness();
    await h.time.advance(0);
    const answer = h.journal.logCall(pbxCall('closing'));
    // Stored and submitted (microtasks only): its write is deferred to the next macrotask.
    for (let i = 0; i < 100 && (await h.store.pending('tenant-42')).count === 0; i++);
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await h.journal.close();
    expect(await answer).toMatchObject({ status: 'logged' });
    expect(h.emu.records('Calls')).toHaveLength(1);
  });
});
