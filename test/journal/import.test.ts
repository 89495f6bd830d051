/**
 * `importCalls` (issue 16, item 5): a CDR backfill through the journal's outbox and ledger. 100 calls per
 * insert, calls already logged skipped, the source read one window at a time (never materialised), progress
 * after each window, an abort that stops reading, and a crash in the middle resumed by running it again
 * without a call written twice.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ImportProgress } from '../../src/journal/import.js';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import type { JournalStore } from '../../src/journal/store.js';
import { harness, START, upsertsSent } from './harness.js';

afterAll(() => expect(upsertsSent).toEqual([]));

const call = (i: number, over: Partial<PbxCall> = {}): PbxCall => ({
  id: `cdr-${i}`,
  direction: 'inbound',
  trunk: true,
  from: `+1415555${String(1000 + (i % 50))}`,
  to: '+14155550100',
  // One call every 20 s over the day before: never in the future.
  startedAt: new Date(START - 86_400_000 + i * 20_000),
  endedAt: new Date(START - 86_400_000 + i * 20_000 + 15_000),
  status: 'missed',
  ...over,
});
const calls = (count: number, from = 0) => Array.from({ length: count }, (_, i) => call(from + i));

/** The PBX call ids of the activities in the emulator (from each description's marker line). */
function loggedIds(h: ReturnType<typeof harness>): string[] {
  return h.emu
    .records('Calls')
    .map((r) => /PBX call ID: (\S+)/.exec(String(r.Description))?.[1] ?? '?')
    .sort();
}

describe('importCalls', () => {
  it('writes 100 calls per insert and reports progress with the total of an array', async () => {
    const h = harness();
    const progress: ImportProgress[] = [];
    const summary = await h.journal.importCalls(calls(1_050), { onProgress: (p) => progress.push(p) });
    expect(summary).toEqual({
      done: 1_050,
      total: 1_050,
      logged: 1_050,
      skipped: 0,
      failed: 0,
      queued: 0,
      aborted: false,
      failures: [],
    });
    expect(h.count('POST /Calls')).toBe(11);
    const sizes = h.requests
      .filter((r) => r.method === 'POST' && r.path === '/Calls')
      .map((r) => (r.body as { data: unknown[] }).data.length);
    expect(sizes.sort((a, b) => b - a)).toEqual([100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 50]);
    expect(progress.map((p) => p.done)).toEqual([500, 1_000, 1_050]);
    expect(progress.every((p) => p.total === 1_050)).toBe(true);
    expect(loggedIds(h)).toHaveLength(1_050);
    expect(h.eventsOf('callLogged')).toHaveLength(1_050);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
  });

  it('skips what is logged (a second run sends nothing), repeats in the source, internal and non-trunk calls', async () => {
    const h = harness();
    await h.journal.logCall(call(3)); // live traffic got there first
    const source = [
      ...calls(10),
      call(4), // a repeat
      call(20, { direction: 'internal', from: '201', to: '202' }),
      call(21, { trunk: false }),
    ];
    const first = await h.journal.importCalls(source);
    expect(first).toMatchObject({ done: 13, logged: 9, skipped: 4, failed: 0, queued: 0 });
    const inserts = h.count('POST /Calls');
    const again = await h.journal.importCalls(source);
    expect(again).toMatchObject({ done: 13, logged: 0, skipped: 13 });
    expect(h.count('POST /Calls')).toBe(inserts);
    expect(loggedIds(h)).toEqual(
      calls(10)
        .map((c) => c.id)
        .sort(),
    );
  });

  it('counts invalid calls and calls Zoho refuses as failed, with their position and the reason', async () => {
    const h = harness();
    const bad = { ...call(1), endedAt: new Date(START - 90_000_000) } as PbxCall; // ends before it starts
    const summary = await h.journal.importCalls([call(0), bad, { nonsense: true } as never, call(2)]);
    expect(summary).toMatchObject({ done: 4, logged: 2, failed: 2, skipped: 0 });
    expect(summary.failures).toEqual([
      {
        index: 1,
        callId: 'cdr-1',
        error: expect.objectContaining({
          code: 'CONFIG_INVALID',
          message: expect.stringContaining('endedAt'),
        }),
      },
      { index: 2, error: expect.objectContaining({ code: 'CONFIG_INVALID' }) },
    ]);

    // A mandatory field nothing fills: Zoho refuses every call; they are dead letters, not exceptions.
    const strict = harness({
      emulator: { fields: { Calls: [{ apiName: 'Region', dataType: 'text', mandatory: true }] } },
    });
    const refused = await strict.journal.importCalls(calls(3));
    expect(refused).toMatchObject({ done: 3, logged: 0, failed: 3 });
    expect(refused.failures[0]).toMatchObject({
      index: 0,
      callId: 'cdr-0',
      error: { code: 'ZOHO_API', zohoCode: 'MANDATORY_NOT_FOUND' },
    });
    expect(await strict.journal.deadLetters()).toHaveLength(3);
  });

  it('reports each window once, windows with nothing to write included, and a throwing listener is harmless', async () => {
    const h = harness();
    const seen: number[] = [];
    await h.journal.importCalls(calls(1_000), { onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([500, 1_000]); // the end of the source adds no second 1,000
    seen.length = 0;
    const invalid = Array.from(
      { length: 600 },
      (_, i) => ({ ...call(i), status: 'lost' }) as unknown as PbxCall,
    );
    const summary = await h.journal.importCalls(invalid, {
      onProgress: (p) => {
        seen.push(p.failed);
        throw new Error('a listener bug');
      },
    });
    expect(seen).toEqual([500, 600]);
    expect(summary).toMatchObject({ done: 600, failed: 600 });
    expect(summary.failures).toHaveLength(100); // the first 100 only
    seen.length = 0;
    await h.journal.importCalls([], { onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([0]);
  });

  it('reads the source one window at a time: never more than 500 calls ahead of what is done', async () => {
    const h = harness();
    let pulled = 0;
    let furthestAhead = 0;
    let done = 0;
    async function* cdrs() {
      for (let i = 0; i < 2_200; i++) {
        pulled++;
        furthestAhead = Math.max(furthestAhead, pulled - done);
        yield call(i);
      }
    }
    const totals: Array<number | undefined> = [];
    const summary = await h.journal.importCalls(cdrs(), {
      onProgress: (p) => {
        done = p.done;
        totals.push(p.total);
      },
    });
    expect(summary.failures).toEqual([]);
    expect(summary).toMatchObject({ done: 2_200, logged: 2_200 });
    expect(furthestAhead).toBe(500);
    expect(totals.every((t) => t === undefined)).toBe(true); // an async source's size is not known
    expect(h.count('POST /Calls')).toBe(22);

    const counted = await harness().journal.importCalls(calls(5).values(), {
      total: 5,
      onProgress: (p) => totals.push(p.total),
    });
    expect(counted.total).toBe(5);
    expect(totals.at(-1)).toBe(5);
  });

  it('stops reading on abort, lets the source clean up, and a re-run finishes the rest', async () => {
    const h = harness();
    const controller = new AbortController();
    let closed = false;
    let pulled = 0;
    function* cdrs() {
      try {
        for (let i = 0; i < 1_500; i++) {
          pulled++;
          yield call(i);
        }
      } finally {
        closed = true;
      }
    }
    const summary = await h.journal.importCalls(cdrs(), {
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    expect(summary).toMatchObject({ aborted: true, done: 500, logged: 500 });
    expect(pulled).toBe(500);
    expect(closed).toBe(true);
    const rest = await h.journal.importCalls(cdrs());
    expect(rest).toMatchObject({ aborted: false, done: 1_500, logged: 1_000, skipped: 500 });
    expect(loggedIds(h)).toHaveLength(1_500);
  });

  it('resumes after a crash in the middle: nothing in flight is inserted twice, nothing is lost', async () => {
    const h = harness({ deps: { readBackAfterMs: 60_000 } });
    // The process dies after Zoho stored the second insert's calls, before the ledger heard of all of them.
    let ledgerWrites = 0;
    const hung = new Promise<never>(() => {});
    const dying: JournalStore = {
      ...h.store,
      getLogged: (cid, id) => h.store.getLogged(cid, id),
      setLogged: (cid, id, zohoId) => (++ledgerWrites > 150 ? hung : h.store.setLogged(cid, id, zohoId)),
      add: (cid, op) => h.store.add(cid, op),
      claimDue: (cid, o) => h.store.claimDue(cid, o),
      claimCalls: (cid, ids, o) => h.store.claimCalls(cid, ids, o),
      release: (cid, op) => h.store.release(cid, op),
      remove: (cid, op) => h.store.remove(cid, op),
      bury: (cid, letter) => h.store.bury(cid, letter),
      deadLetters: (cid) => h.store.deadLetters(cid),
      unbury: (cid, id) => h.store.unbury(cid, id),
      pending: (cid) => h.store.pending(cid),
    };
    const crashed = h.restart({ store: dying });
    void crashed.importCalls(calls(1_200)); // never settles: the process is gone
    // Two inserts in flight at a time: the first two and the third reached Zoho, then both writers hung.
    await expect.poll(() => h.emu.records('Calls').length).toBe(300);
    h.time.timers.clear(); // its timers died with it

    // A new process, after the crashed one's leases ran out, runs the same import again.
    await h.time.advance(300_001);
    const resumed = h.restart();
    const summary = await resumed.importCalls(calls(1_200));
    expect(summary).toMatchObject({ done: 1_200, failed: 0, queued: 0 });
    expect(summary.skipped).toBe(150); // in the ledger
    expect(summary.logged).toBe(1_050); // 150 read back from Zoho, 900 written now
    expect(h.count('POST /coql')).toBeGreaterThanOrEqual(1);
    expect(h.count('POST /Calls')).toBe(3 + 9); // what was sent before the crash is never sent again
    expect(loggedIds(h)).toEqual(
      calls(1_200)
        .map((c) => c.id)
        .sort(),
    ); // each once
    expect(await resumed.flush()).toEqual({ pending: 0, deadLetters: 0 });
    await resumed.close();
  });

  it('refuses a source that is not iterable, bad options and a disabled journal', async () => {
    const h = harness();
    await expect(h.journal.importCalls(42 as never)).rejects.toThrow(/calls: must be an iterable/);
    await expect(h.journal.importCalls('cdr.csv' as never)).rejects.toThrow(/calls: must be an iterable/);
    await expect(h.journal.importCalls([], { onProgress: 'bar' as never })).rejects.toThrow(
      /onProgress: must be a function/,
    );
    await expect(h.journal.importCalls([], { total: -1 })).rejects.toThrow(/total/);
    await expect(h.journal.importCalls([], { sigal: undefined } as never)).rejects.toThrow(/unknown key/);
    const off = harness({ journal: { enabled: false } });
    await expect(off.journal.importCalls([call(0)])).rejects.toThrow(/journal.enabled: is false/);
    expect(await h.journal.importCalls([])).toMatchObject({ done: 0, total: 0, aborted: false });
  });
});
