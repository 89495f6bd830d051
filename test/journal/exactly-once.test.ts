/**
 * Exactly once without Calls upsert (issue 11): an insert whose outcome is unknown (lost answer, dropped
 * connection, 5xx after sending, a crash while sending) is never sent again blind. The journal reads back
 * what Zoho stored (COQL, by the dedupe field or by the marker in the description) once the read-back
 * window has passed, and re-sends only what is missing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import { harness, START, upsertsSent } from './harness.js';

afterAll(() => expect(upsertsSent).toEqual([]));

const call = (id: string, i = 0): PbxCall => ({
  id,
  direction: 'inbound',
  trunk: true,
  from: '+14155552671',
  to: '+14155550100',
  // A few calls share a start second, as on a busy trunk: the marker tells them apart.
  startedAt: new Date(START - 3_600_000 + Math.floor(i / 3) * 60_000),
  endedAt: new Date(START - 3_600_000 + Math.floor(i / 3) * 60_000 + 30_000),
  status: 'missed',
  notes: [`note for ${id}`],
});

const calls = (prefix: string, count: number, from = 0) =>
  Array.from({ length: count }, (_, i) => call(`${prefix}-${from + i}`, from + i));

function callIds(h: ReturnType<typeof harness>, dedupeField?: string): string[] {
  return h.emu
    .records('Calls')
    .map((r) =>
      dedupeField
        ? String(r[dedupeField])
        : (/PBX call ID: (\S+)/.exec(String(r.Description))?.[1] ?? `ref:${String(r.Description)}`),
    )
    .sort();
}

describe.each([
  { name: 'without a dedupe field (marker in the description)', dedupeField: undefined },
  { name: 'with a dedupe field', dedupeField: 'PBX_Call_ID' },
])('exactly once $name', ({ dedupeField }) => {
  const setup = () =>
    harness({
      journal: dedupeField ? { dedupeField } : {},
      emulator: dedupeField ? { uniqueFields: { Calls: [dedupeField] } } : {},
    });

  it('a batch stored although its answer was lost is read back and linked, not inserted again', async () => {
    const h = setup();
    h.emu.faults({ lostAnswer: 'drop', every: 1 });
    const results = await Promise.all(calls('lost', 100).map((c) => h.journal.logCall(c)));
    h.emu.faults(null);
    expect(results.every((r) => r.status === 'queued')).toBe(true);
    expect(h.emu.records('Calls')).toHaveLength(100); // Zoho has them; the journal does not know yet
    const op = (await h.store.claimCalls('tenant-42', ['lost-0'], { now: h.time.now(), leaseMs: 1 }))[0];
    expect(op?.sentAt).toBeTypeOf('number'); // the unknown outcome is in the store, not only in memory

    await h.time.advance(60_000);
    expect(h.count('POST /Calls')).toBe(1); // never re-sent
    expect(h.count('POST /coql')).toBeGreaterThanOrEqual(1);
    expect(h.count('POST /coql')).toBeLessThanOrEqual(dedupeField ? 2 : 4);
    expect(callIds(h, dedupeField)).toEqual(
      calls('lost', 100)
        .map((c) => c.id)
        .sort(),
    );
    expect(h.eventsOf('callLogged')).toHaveLength(100);
    for (const c of calls('lost', 100)) {
      const id = await h.store.getLogged('tenant-42', c.id);
      expect(h.emu.records('Calls').find((r) => r.id === id)).toBeDefined();
    }
    expect(h.emu.records('Notes')).toHaveLength(100); // each call's note, once
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
  });

  it('re-sends only what Zoho does not have when one batch was stored and the other was not', async () => {
    const h = setup();
    h.emu.faults({ lostAnswer: 'error', every: 1 }); // stored, then a 500
    await Promise.all(calls('mix', 100).map((c) => h.journal.logCall(c)));
    h.emu.faults({ status: 503, target: 'api' }); // refused before storing; looks the same to the client
    await Promise.all(calls('mix', 50, 100).map((c) => h.journal.logCall(c)));
    h.emu.faults(null);
    expect(h.emu.records('Calls')).toHaveLength(100);

    await h.time.advance(60_000);
    expect(h.count('POST /Calls')).toBe(3); // 100 + 50, then the 50 missing ones
    const sent = h.requests.filter((r) => r.method === 'POST' && r.path === '/Calls');
    expect((sent[2]?.body as { data: unknown[] } | undefined)?.data).toHaveLength(50);
    expect(callIds(h, dedupeField)).toEqual(
      calls('mix', 150)
        .map((c) => c.id)
        .sort(),
    );
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
  });

  it('does not read back before the read-back window has passed (an insert still running at Zoho)', async () => {
    const h = setup();
    h.emu.faults({ lostAnswer: 'drop', every: 1 });
    await h.journal.logCall(call('slow-1'));
    h.emu.faults(null);
    await h.time.advance(30_000);
    expect(await h.journal.flush()).toEqual({ pending: 1, deadLetters: 0 }); // flush does not force it
    expect(h.count('POST /coql')).toBe(0);
    expect(h.count('POST /Calls')).toBe(1);
    await h.time.advance(30_000);
    expect(h.count('POST /coql')).toBe(1);
    expect(h.count('POST /Calls')).toBe(1);
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(h.eventsOf('callLogged')).toHaveLength(1);
  });

  it('a refusal that proves nothing was stored (429) is retried without a read-back', async () => {
    const h = setup();
    h.emu.faults({ status: 429, target: 'api', every: 1 });
    await h.journal.logCall(call('limited-1'));
    h.emu.faults(null);
    await h.time.advance(60_000);
    expect(h.count('POST /coql')).toBe(0);
    expect(h.emu.records('Calls')).toHaveLength(1);
  });

  it('late links that arrive while the outcome is unknown are written to the activity found', async () => {
    const h = setup();
    h.emu.faults({ lostAnswer: 'drop', every: 1 });
    await h.journal.logCall(call('late-1'));
    h.emu.faults(null);
    expect(
      await h.journal.attachToCall('late-1', { transcription: { url: 'https://pbx.example.com/t/1' } }),
    ).toMatchObject({ status: 'queued' });
    await h.time.advance(60_000);
    await h.journal.flush();
    const [record] = h.emu.records('Calls');
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(String(record?.Description)).toContain('Transcription: https://pbx.example.com/t/1');
  });
});

describe('the marker', () => {
  it('finds activities with includeCallId off (a ref line derived from the call id)', async () => {
    const h = harness({ journal: { includeCallId: false } });
    h.emu.faults({ lostAnswer: 'drop', every: 1 });
    await Promise.all(calls('ref', 30).map((c) => h.journal.logCall(c)));
    h.emu.faults(null);
    await h.time.advance(60_000);
    expect(h.emu.records('Calls')).toHaveLength(30);
    expect(h.count('POST /Calls')).toBe(1);
    expect(h.eventsOf('callLogged')).toHaveLength(30);
    expect(
      h.emu.records('Calls').every((r) => /^Journal ref: [0-9a-f]{16}$/m.test(String(r.Description))),
    ).toBe(true);
  });
});
