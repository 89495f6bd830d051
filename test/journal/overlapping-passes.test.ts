/**
 * Two passes of one process on the same create (the chaos suite's PostgreSQL failure): a pass runs longer
 * than its lease, a background pass claims the create again (its lease ran out) and gets the copy from
 * before the insert was marked as sent, and that claim's answer is handled only after the first pass
 * marked it (or finished with it). The stale copy must neither be written back over the "sent" mark
 * (a crash then leads to a blind re-send) nor be written to Zoho itself.
 *
 * Deterministic: the first pass waits on a held token, the background pass's claim answer is held back
 * by the store until the test lets it go, and time moves only on the harness's clock.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createWriteLog } from '../../src/journal/claims.js';
import { newOp } from '../../src/journal/context.js';
import { createMemoryJournalStore } from '../../src/journal/memory-store.js';
import { type PbxCall, parsePbxCall } from '../../src/journal/pbx-call.js';
import type { JournalOp, JournalStore } from '../../src/journal/store.js';
import { harness, manualTime, START, upsertsSent } from './harness.js';

afterAll(() => expect(upsertsSent).toEqual([]));

const LEASE_MS = 1_000;

const call = (id: string): PbxCall => ({
  id,
  direction: 'inbound',
  trunk: true,
  from: '+14155552671',
  to: '+14155550100',
  startedAt: new Date(START - 3_600_000),
  endedAt: new Date(START - 3_600_000 + 30_000),
  status: 'missed',
});

/** Lets queued callbacks and I/O run until `done()` holds (bounded, no timers). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 1_000 && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(done()).toBe(true);
}

/**
 * A memory store whose next `claimDue` answer, once armed, is held back after the claim was made: the
 * claim leases and copies the operations at once (as a database does), its caller hears back later.
 */
function slowClaimStore(time: ReturnType<typeof manualTime>) {
  const inner = createMemoryJournalStore({ now: time.now });
  let armed = false;
  let held: JournalOp[] | undefined;
  let letGo: () => void = () => {};
  const releases: JournalOp[] = [];
  const claimed: string[] = [];
  const store: JournalStore = {
    ...inner,
    async claimCalls(connectionId, callIds, options) {
      const ops = await inner.claimCalls(connectionId, callIds, options);
      claimed.push(...ops.map((op) => op.id));
      return ops;
    },
    async claimDue(connectionId, options) {
      const ops = await inner.claimDue(connectionId, options);
      if (armed && ops.length > 0) {
        armed = false;
        held = ops;
        await new Promise<void>((resolve) => {
          letGo = resolve;
        });
      }
      return ops;
    },
    async release(connectionId, op) {
      releases.push(structuredClone(op));
      await inner.release(connectionId, op);
      onRelease(op);
    },
  };
  let onRelease: (op: JournalOp) => void = () => {};
  return {
    store,
    releases,
    /** Operations `claimCalls` returned so far. */
    claimed,
    arm() {
      armed = true;
    },
    held: () => held,
    letGo: () => letGo(),
    onRelease(fn: (op: JournalOp) => void) {
      onRelease = fn;
    },
  };
}

describe.each([
  { mode: 'without a dedupe field', dedupeField: undefined },
  { mode: 'with a dedupe field', dedupeField: 'PBX_Call_ID' },
])('a create claimed again while its first pass runs ($mode)', ({ dedupeField }) => {
  /**
   * c1's first pass (the inline write) claims it and waits for a token; the lease runs out; the start-up
   * pass claims c1 again (the copy from before the insert was marked as sent) and its answer is held.
   */
  async function overlap() {
    const time = manualTime();
    const slow = slowClaimStore(time);
    const h = harness({
      time,
      store: slow.store,
      journal: dedupeField ? { dedupeField } : {},
      emulator: dedupeField ? { uniqueFields: { Calls: [dedupeField] } } : {},
      deps: { leaseMs: LEASE_MS, startDelayMs: 2 * LEASE_MS },
    });
    const tokens = h.holdTokens();
    const first = h.journal.logCall(call('c1'));
    // The inline pass holds c1 and waits for a token (before anything is marked as sent or sent).
    await until(() => slow.claimed.includes('create:c1'));
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect([slow.releases, h.requests]).toEqual([[], []]);
    slow.arm();
    const background = time.advance(2 * LEASE_MS); // the start-up pass: c1's lease ran out
    await until(() => slow.held() !== undefined);
    expect(slow.held()?.map((op) => [op.id, op.sentAt])).toEqual([['create:c1', undefined]]);
    return { h, slow, tokens, first, background };
  }

  it('the stale copy is not written to Zoho after the first pass finished with a lost answer', async () => {
    const { h, slow, tokens, first, background } = await overlap();
    h.emu.faults({ lostAnswer: 'drop', every: 1 }); // stored; the answer is lost
    tokens();
    expect(await first).toMatchObject({ status: 'queued' });
    h.emu.faults(null);
    expect(h.count('POST /Calls')).toBe(1);

    slow.letGo(); // the background pass hears about its (stale) claim only now
    await background;
    expect(h.count('POST /Calls')).toBe(1); // no blind second insert

    await h.time.advance(120_000); // past the read-back window: read back, found, logged
    expect(h.count('POST /Calls')).toBe(1);
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(await h.store.getLogged('tenant-42', 'c1')).toBe(h.emu.records('Calls')[0]?.id);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
  });

  it('the stale copy does not overwrite the "sent" mark while the insert runs (a crash then re-sends nothing)', async () => {
    const { h, slow, tokens, first, background } = await overlap();
    // The background pass hears about its claim right after the first pass marked c1 as sent.
    slow.onRelease((op) => {
      if (op.id === 'create:c1' && op.sentAt !== undefined) slow.letGo();
    });
    // The process "dies" after Zoho stored the call and before the ledger write.
    const setLogged = h.store.setLogged.bind(h.store);
    let crash = true;
    h.store.setLogged = async (...args) => {
      if (crash) {
        crash = false;
        throw new Error('process crashed');
      }
      return setLogged(...args);
    };
    tokens();
    expect(await first).toMatchObject({ status: 'queued' });
    await background;
    expect(h.emu.records('Calls')).toHaveLength(1);
    // Every write of c1 after it was marked as sent keeps the mark.
    const marked = slow.releases.findIndex((op) => op.id === 'create:c1' && op.sentAt !== undefined);
    expect(marked).toBeGreaterThanOrEqual(0);
    expect(
      slow.releases.slice(marked).filter((op) => op.id === 'create:c1' && op.sentAt === undefined),
    ).toEqual([]);

    // A restarted process takes over: it reads back and finds the call instead of inserting it again.
    await h.journal.close();
    const restarted = h.restart();
    await h.time.advance(120_000);
    expect(h.count('POST /Calls')).toBe(1);
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(await h.store.getLogged('tenant-42', 'c1')).toBe(h.emu.records('Calls')[0]?.id);
    expect(await restarted.flush()).toEqual({ pending: 0, deadLetters: 0 });
    await restarted.close();
  });
});

describe.each([
  { mode: 'without a dedupe field', dedupeField: undefined },
  { mode: 'with a dedupe field', dedupeField: 'PBX_Call_ID' },
])('a flush beside a pass on the same create ($mode)', ({ dedupeField }) => {
  it('does not write back its copy of a create another pass marked as sent meanwhile', async () => {
    const time = manualTime();
    const slow = slowClaimStore(time);
    const h = harness({
      time,
      store: slow.store,
      journal: dedupeField ? { dedupeField } : {},
      emulator: dedupeField ? { uniqueFields: { Calls: [dedupeField] } } : {},
      deps: { leaseMs: LEASE_MS },
    });
    await time.advance(0); // the start-up pass: nothing queued yet
    // c1 was queued by an earlier process and never sent.
    await h.store.add('tenant-42', newOp('create', 'c1', { call: parsePbxCall(call('c1')) }, time.now()));
    slow.arm();
    const flushing = h.journal.flush(); // claims the whole queue; its answer is held
    await until(() => slow.held() !== undefined);
    await time.advance(2 * LEASE_MS); // the flush's lease ran out

    // A link for c1 arrives: its inline pass claims c1, marks it as sent, and the answer is lost.
    h.emu.faults({ lostAnswer: 'drop', every: 1 });
    const attached = await h.journal.attachToCall('c1', {
      recording: { url: 'https://pbx.example.com/r/1' },
    });
    h.emu.faults(null);
    expect(attached.status).toBe('queued');
    expect(h.count('POST /Calls')).toBe(1);

    slow.letGo(); // the flush hears about its (stale) claim only now
    expect(await flushing).toEqual({ pending: 2, deadLetters: 0 }); // c1 waits for its read-back, the link for c1
    expect(h.count('POST /Calls')).toBe(1); // not made due without its mark, not sent again blind

    await h.time.advance(120_000); // read back after the window: found
    expect(h.count('POST /Calls')).toBe(1);
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
  });
});

describe('the write log', () => {
  it('tells a write after a mark from one before it, per operation', () => {
    const log = createWriteLog(() => START, LEASE_MS);
    log.wrote('a');
    const mark = log.mark();
    expect(log.since('a', mark)).toBe(false);
    log.wrote('b');
    expect([log.since('a', mark), log.since('b', mark), log.since('c', mark)]).toEqual([false, true, false]);
    log.wrote('a');
    expect(log.since('a', mark)).toBe(true);
    expect(log.since('a', log.mark())).toBe(false);
  });

  it('forgets writes older than a lease (no copy that old is trusted anyway)', () => {
    let now = START;
    const log = createWriteLog(() => now, LEASE_MS);
    const mark = log.mark();
    log.wrote('a');
    now += LEASE_MS - 1;
    log.wrote('b');
    expect([log.since('a', mark), log.since('b', mark)]).toEqual([true, true]);
    now += 1;
    log.wrote('c'); // a is a lease old now
    expect([log.since('a', mark), log.since('b', mark), log.since('c', mark)]).toEqual([false, true, true]);
  });
});
