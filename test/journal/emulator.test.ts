/**
 * The journal against the Zoho emulator over real HTTP, with the real HTTP client and the real caller
 * lookup: the acceptance criteria of the call-journal issue.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createZohoHttp } from '../../src/http/client.js';
import { createJournal, type JournalApi } from '../../src/journal/journal.js';
import { createMemoryJournalStore } from '../../src/journal/memory-store.js';
import type { PbxCall, PbxCallStatus } from '../../src/journal/pbx-call.js';
import type { JournalStore } from '../../src/journal/store.js';
import { type CallerLookup, createCallerLookup } from '../../src/lookup/caller-lookup.js';
import { type JournalOptions, parseConnectorOptions } from '../../src/options.js';
import { REGIONS } from '../../src/regions.js';
import { createFileJournalStore } from '../../src/stores/journal-file.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/index.js';
import { until } from '../helpers/time.js';
import { manualTime } from './harness.js';

let emu: ZohoEmulator;
/**
 * Time limit of the tests that journal thousands of calls over real HTTP: a guard against a hang, sized
 * for a loaded machine. Their speed is bench/journal.ts's business.
 */
const HEAVY = 120_000;

beforeAll(async () => {
  emu = await startZohoEmulator({
    users: [
      { email: 'admin@example.com', lastName: 'Admin', extension: '100' },
      { email: 'grace@example.com', firstName: 'Grace', lastName: 'Hopper', extension: '201' },
    ],
    uniqueFields: { Calls: ['PBX_Call_ID'] },
  });
});
afterAll(async () => {
  await emu.close();
});
const lookups: CallerLookup[] = [];
afterEach(async () => {
  await Promise.all(lookups.splice(0).map((lookup) => lookup.close()));
  // No code path sends an upsert on Calls (Zoho does not offer it): checked after every test.
  const upserts = Object.keys(emu.stats().requests).filter((key) =>
    /\/(Calls|Tasks|Events)\/upsert$/i.test(key),
  );
  emu.reset();
  expect(upserts).toEqual([]);
});

/** A journal wired like the connector wires it, against the running emulator. */
function journalFor(
  options: { journal?: JournalOptions; store?: JournalStore; time?: ReturnType<typeof manualTime> } = {},
) {
  emu.registerClient({ clientId: '1000.IT', clientSecret: 'secret', redirectUris: ['http://localhost/cb'] });
  const { accessToken } = emu.issueTokens({ clientId: '1000.IT' });
  const http = createZohoHttp({
    tokens: {
      getAccessToken: async () => ({ accessToken, apiDomain: emu.apiUrl }),
      refreshAfterRejection: async () => ({ accessToken, apiDomain: emu.apiUrl }),
    },
    timeoutMs: 10_000,
    deadlineMs: 20_000,
    retries: 0,
    maxConcurrency: 20,
  });
  const resolved = parseConnectorOptions({
    connectionId: 'it',
    clientId: '1000.IT',
    clientSecret: 'secret',
    redirectUri: 'http://localhost/cb',
    journal: { userExtensionField: 'Extension', ...options.journal },
  });
  const time = options.time ?? manualTime(Date.now());
  // The lookup's clock (cache TTLs, the circuit breaker's probe interval) is the journal's manual time:
  // after an outage, the breaker lets a probe out when the test moves time, not when the machine gets to it.
  const lookup = createCallerLookup({
    http,
    lookup: resolved.lookup,
    region: () => REGIONS.US,
    now: time.now,
  });
  lookups.push(lookup);
  const store = options.store ?? createMemoryJournalStore();
  const make = (s: JournalStore): JournalApi =>
    createJournal({
      connectionId: 'it',
      http,
      lookup,
      options: resolved.journal,
      defaultCountry: 'US',
      store: s,
      now: time.now,
      scheduler: time.scheduler,
      region: () => REGIONS.US,
    });
  return { journal: make(store), make, http, lookup, time, store };
}

function call(id: string, extra: Partial<PbxCall> = {}): PbxCall {
  const end = Date.now() - 60_000;
  return {
    id,
    direction: 'inbound',
    trunk: true,
    from: '+14155552699',
    to: '+14155550100',
    agent: { extension: '201' },
    startedAt: new Date(end - 200_000),
    answeredAt: new Date(end - 180_000),
    endedAt: new Date(end),
    status: 'answered',
    ...extra,
  };
}

describe('every call shape against the emulator', () => {
  it('creates exactly one valid, correctly linked Calls record per call, with its notes and late links', {
    timeout: HEAVY,
  }, async () => {
    const [accountId] = emu.seed('Accounts', [
      { Account_Name: 'Analytical Engines', Phone: '(415) 555-2674' },
    ]);
    const [contactWithAccount] = emu.seed('Contacts', [
      { First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '415-555-2671', Account_Name: { id: accountId } },
    ]);
    const [contact] = emu.seed('Contacts', [
      { First_Name: 'Alan', Last_Name: 'Turing', Mobile: '+1 415 555 2672' },
    ]);
    const [lead] = emu.seed('Leads', [{ Last_Name: 'Hopper', Company: 'Navy', Phone: '4155552673' }]);
    const callers = {
      contactWithAccount: {
        number: '+14155552671',
        link: { Who_Id: contactWithAccount, What_Id: accountId, se: 'Accounts' },
      },
      contact: { number: '+14155552672', link: { Who_Id: contact } },
      lead: { number: '+14155552673', link: { What_Id: lead, se: 'Leads' } },
      account: { number: '+14155552674', link: { What_Id: accountId, se: 'Accounts' } },
      unknown: { number: '+14155552699', link: {} },
    } as const;
    const statuses: PbxCallStatus[] = ['answered', 'missed', 'no-answer', 'busy', 'failed', 'voicemail'];
    const attachments = ['none', 'recording', 'transcription', 'both'] as const;

    const { journal } = journalFor();
    const expectations = new Map<
      string,
      {
        type: string;
        link: Record<string, string>;
        recording: boolean;
        transcription: boolean;
        late: boolean;
      }
    >();
    const calls: PbxCall[] = [];
    let n = 0;
    for (const direction of ['inbound', 'outbound'] as const) {
      for (const status of statuses) {
        for (const [, caller] of Object.entries(callers)) {
          for (const attach of attachments) {
            const id = `shape-${n++}`;
            const recording = attach === 'recording' || attach === 'both';
            const transcription = attach === 'transcription' || attach === 'both';
            const late = transcription && n % 2 === 0; // half the transcriptions arrive after the call
            calls.push(
              call(id, {
                direction,
                status,
                from: direction === 'inbound' ? caller.number : '201',
                to: direction === 'inbound' ? '+14155550100' : caller.number,
                ...(status === 'answered' ? {} : { answeredAt: undefined }),
                ...(recording ? { recording: { url: `https://pbx.example.com/rec/${id}.wav` } } : {}),
                ...(transcription && !late
                  ? { transcription: { url: `https://pbx.example.com/t/${id}`, summary: `Summary ${id}` } }
                  : {}),
                notes: [`Note for ${id}`],
              }),
            );
            expectations.set(id, {
              type: direction === 'outbound' ? 'Outbound' : status === 'answered' ? 'Inbound' : 'Missed',
              link: caller.link as Record<string, string>,
              recording,
              transcription,
              late,
            });
          }
        }
      }
    }
    const results = await Promise.all(calls.map((c) => journal.logCall(c)));
    expect(results.every((r) => r.status === 'logged')).toBe(true);
    for (const [id, e] of expectations) {
      if (e.late) {
        expect(
          await journal.attachToCall(id, {
            transcription: { url: `https://pbx.example.com/t/${id}`, summary: `Summary ${id}` },
          }),
        ).toMatchObject({ status: 'logged' });
      }
    }

    const records = emu.records('Calls');
    expect(records).toHaveLength(calls.length);
    const notes = emu.records('Notes');
    expect(notes).toHaveLength(calls.length);
    const byCall = new Map(records.map((r) => [/PBX call ID: (\S+)/.exec(String(r.Description))?.[1], r]));
    const results_ = new Map(calls.map((c, i) => [c.id, results[i]?.zohoCallId]));
    for (const [id, e] of expectations) {
      const record = byCall.get(id) as Record<string, unknown>;
      expect(record, id).toBeDefined();
      expect(record.id).toBe(results_.get(id));
      expect(record.Call_Type).toBe(e.type);
      expect(record.Call_Start_Time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$/);
      if (e.type === 'Missed') expect(record.Call_Duration).toBe('00:00');
      else expect(record.Call_Duration_in_seconds).toBeGreaterThan(0);
      expect((record.Who_Id as { id?: string } | undefined)?.id).toBe(e.link.Who_Id);
      expect((record.What_Id as { id?: string } | undefined)?.id).toBe(e.link.What_Id);
      expect(record.$se_module).toBe(e.link.se);
      expect(record.Voice_Recording__s).toBe(
        e.recording ? `https://pbx.example.com/rec/${id}.wav` : undefined,
      );
      expect(String(record.Description).includes(`Transcription: https://pbx.example.com/t/${id}`)).toBe(
        e.transcription,
      );
      expect((record.Owner as { name?: string }).name).toContain('Hopper');
      const note = notes.find((x) => x.Note_Content === `Note for ${id}`);
      expect(note?.Parent_Id).toMatchObject({ module: { api_name: 'Calls' }, id: record.id });
    }
    // Exactly the batched writes: one insert per 100 calls (calls arrived together).
    expect(emu.stats().requests['POST /crm/v8/Calls']).toBe(Math.ceil(calls.length / 100));
  });
});

describe('exactly once', () => {
  it('redelivering 1,000 calls three times (sequentially and concurrently) creates exactly 1,000 Calls records', {
    timeout: HEAVY,
  }, async () => {
    const { journal } = journalFor();
    const calls = Array.from({ length: 1_000 }, (_, i) => call(`redeliver-${i}`));
    const first = await Promise.all(calls.map((c) => journal.logCall(c)));
    const second = await Promise.all(calls.map((c) => journal.logCall(c)));
    expect(second.map((r) => r.zohoCallId)).toEqual(first.map((r) => r.zohoCallId));
    expect(second.every((r) => r.reason === 'already logged')).toBe(true);
    const inserts = emu.stats().requests['POST /crm/v8/Calls'];
    const third = await Promise.all([...calls, ...calls].map((c) => journal.logCall(c)));
    expect(third.every((r) => r.status === 'logged')).toBe(true);
    expect(emu.stats().requests['POST /crm/v8/Calls']).toBe(inserts);
    expect(emu.records('Calls')).toHaveLength(1_000);

    // Deliveries of new calls racing each other: still one record per call.
    const racing = Array.from({ length: 300 }, (_, i) => call(`race-${i}`));
    await Promise.all([...racing, ...racing, ...racing].map((c) => journal.logCall(c)));
    expect(emu.records('Calls')).toHaveLength(1_300);
  });

  it('with a Zoho outage and a process restart in the middle, 1,000 calls are logged exactly once (file store)', {
    timeout: HEAVY,
  }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-outage-'));
    try {
      const time = manualTime(Date.now());
      const store1 = createFileJournalStore({ path: dir, fsync: false });
      const first = journalFor({ store: store1, time });
      await time.advance(0); // its start-up pass: nothing left from before
      const calls = Array.from({ length: 1_000 }, (_, i) => call(`outage-${i}`, { notes: [`note ${i}`] }));

      // Zoho is down while the first 600 calls end: all of them are queued durably.
      emu.faults({ outage: true });
      const down = await Promise.all(calls.slice(0, 600).map((c) => first.journal.logCall(c)));
      expect(down.every((r) => r.status === 'queued')).toBe(true);
      // Zoho comes back flaky (a third of the requests fail) while the other 400 calls end.
      emu.faults({ status: 503, rate: 0.33 });
      await Promise.all(calls.slice(600).map((c) => first.journal.logCall(c)));
      emu.faults(null);

      // The first retry wave starts, and the process is stopped in the middle of it: the pass in
      // progress finishes its writes, nothing else runs.
      // Stopped once the wave has written its first batch (not at a moment picked by the scheduler of a
      // loaded machine): the pass in progress finishes the batch it is writing, nothing else runs.
      const wave = first.time.advance(10_000);
      await until(() => emu.records('Calls').length > 0, 'the retry wave writes its first batch');
      await first.journal.close();
      await wave;
      await store1.close?.();
      const midway = emu.records('Calls').length;
      expect(midway).toBeGreaterThan(0);
      expect(midway).toBeLessThan(1_000);

      // The restarted process picks up what the first one left. A 503 after the insert was sent leaves
      // its outcome unknown: those calls are read back once the read-back window (60 s) has passed.
      const store2 = createFileJournalStore({ path: dir, fsync: false });
      const second = journalFor({ store: store2, time });
      await time.advance(60_000);
      const left = await second.journal.flush();
      expect(left).toEqual({ pending: 0, deadLetters: 0 });

      const records = emu.records('Calls');
      expect(records).toHaveLength(1_000); // 0 lost, 0 duplicated
      const ids = new Set(records.map((r) => /PBX call ID: (\S+)/.exec(String(r.Description))?.[1]));
      expect(ids.size).toBe(1_000);
      expect(emu.records('Notes')).toHaveLength(1_000);
      await second.journal.close();
      await store2.close?.();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('journals 10,000 queued calls with at most 100 insert requests', { timeout: HEAVY }, async () => {
    const time = manualTime(Date.now());
    const { journal } = journalFor({ time });
    const numbers = Array.from({ length: 50 }, (_, i) => `+1415555${String(3000 + i)}`);
    emu.seed(
      'Contacts',
      numbers.slice(0, 25).map((phone, i) => ({ Last_Name: `Caller ${i}`, Phone: phone })),
    );
    emu.faults({ outage: true });
    const calls = Array.from({ length: 10_000 }, (_, i) =>
      call(`bulk-${i}`, { from: numbers[i % numbers.length] as string }),
    );
    const queued = await Promise.all(calls.map((c) => journal.logCall(c)));
    expect(queued.every((r) => r.status === 'queued')).toBe(true);
    emu.faults(null);
    const before = emu.stats().requests['POST /crm/v8/Calls'] ?? 0;
    expect(await journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
    const inserts = (emu.stats().requests['POST /crm/v8/Calls'] ?? 0) - before;
    expect(inserts).toBeLessThanOrEqual(100);
    expect(emu.records('Calls')).toHaveLength(10_000);
    // How fast is bench/journal.ts's question: a test on a shared machine cannot answer it.
    await journal.close();
  });

  it('inserts with the dedupe field configured in Zoho, never through /Calls/upsert', async () => {
    const { journal } = journalFor({ journal: { dedupeField: 'PBX_Call_ID' } });
    await Promise.all(Array.from({ length: 150 }, (_, i) => journal.logCall(call(`dedupe-${i}`))));
    expect(emu.stats().requests['POST /crm/v8/Calls']).toBe(2);
    expect(emu.stats().requests['POST /crm/v8/Calls/upsert']).toBeUndefined();
    expect(
      emu
        .records('Calls')
        .map((r) => r.PBX_Call_ID)
        .sort(),
    ).toEqual(Array.from({ length: 150 }, (_, i) => `dedupe-${i}`).sort());
  });
});
