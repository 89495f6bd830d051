/**
 * The behaviour every JournalStore must have. Each store's test file calls `journalStoreContract()`
 * with a factory; a third-party store can be proven the same way.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DeadLetter, JournalOp, JournalStore } from '../../src/journal/store.js';

export interface ContractTarget {
  store: JournalStore;
  /** Releases resources (and deletes what the store wrote). */
  cleanup?(): Promise<void>;
}

const T = 1_736_540_000_000;

export function op(id: string, callId: string, extra: Partial<JournalOp> = {}): JournalOp {
  return {
    id,
    callId,
    kind: id.startsWith('create:') ? 'create' : 'note',
    createdAt: T,
    attempts: 0,
    nextAttemptAt: T,
    ...extra,
  };
}

export function journalStoreContract(name: string, factory: () => Promise<ContractTarget>): void {
  describe(`${name} meets the JournalStore contract`, () => {
    let target: ContractTarget | undefined;
    const open = async (): Promise<JournalStore> => {
      target = await factory();
      return target.store;
    };
    afterEach(async () => {
      await target?.cleanup?.();
      target = undefined;
    });

    it('remembers logged calls per connection', async () => {
      const store = await open();
      expect(await store.getLogged('a', 'c1')).toBeUndefined();
      await store.setLogged('a', 'c1', 'z1');
      await store.setLogged('a', 'c1', 'z1');
      expect(await store.getLogged('a', 'c1')).toBe('z1');
      expect(await store.getLogged('b', 'c1')).toBeUndefined();
    });

    it('adds an operation once and returns copies that round-trip exactly', async () => {
      const store = await open();
      const create = op('create:c1', 'c1', {
        call: {
          id: 'c1',
          direction: 'inbound',
          trunk: true,
          from: '+14155552671',
          to: '201',
          startedAt: T - 60_000,
          endedAt: T,
          status: 'answered',
          notes: ['Zoë ☎ 👍'],
          agent: { extension: '201', email: 'a@example.com' },
        },
      });
      expect(await store.add('a', create)).toBe(true);
      expect(await store.add('a', { ...create, attempts: 9 })).toBe(false);
      const [claimed] = await store.claimDue('a', { now: T, leaseMs: 1_000, limit: 10 });
      expect(claimed).toEqual(create);
      (claimed as JournalOp).attempts = 42;
      await store.release('a', create);
      const [again] = await store.claimDue('a', { now: T, leaseMs: 1_000, limit: 10 });
      expect(again?.attempts).toBe(0);
      expect(await store.claimDue('b', { now: T, leaseMs: 1_000, limit: 10 })).toEqual([]);
    });

    it('claims due operations earliest first, up to the limit, and hides them while leased', async () => {
      const store = await open();
      await store.add('a', op('note:c1:3', 'c1', { nextAttemptAt: T + 300 }));
      await store.add('a', op('note:c1:1', 'c1', { nextAttemptAt: T + 100 }));
      await store.add('a', op('note:c2:2', 'c2', { nextAttemptAt: T + 200 }));
      await store.add('a', op('note:c3:9', 'c3', { nextAttemptAt: T + 900 }));
      expect(await store.claimDue('a', { now: T, leaseMs: 1_000, limit: 10 })).toEqual([]);
      const first = await store.claimDue('a', { now: T + 500, leaseMs: 1_000, limit: 2 });
      expect(first.map((o) => o.id)).toEqual(['note:c1:1', 'note:c2:2']);
      const second = await store.claimDue('a', { now: T + 500, leaseMs: 1_000, limit: 10 });
      expect(second.map((o) => o.id)).toEqual(['note:c1:3']);
      expect(await store.claimDue('a', { now: T + 500, leaseMs: 1_000, limit: 10 })).toEqual([]);
      // Everything, due or not, except what is leased.
      const all = await store.claimDue('a', {
        now: T + 500,
        leaseMs: 1_000,
        limit: 10,
        dueBefore: Number.POSITIVE_INFINITY,
      });
      expect(all.map((o) => o.id)).toEqual(['note:c3:9']);
      // A lease that runs out (a crashed claimer) frees the operations again.
      const expired = await store.claimDue('a', { now: T + 1_501, leaseMs: 1_000, limit: 10 });
      expect(expired.map((o) => o.id).sort()).toEqual(['note:c1:1', 'note:c1:3', 'note:c2:2', 'note:c3:9']);
    });

    it('claims the operations of given calls, due or not, oldest first', async () => {
      const store = await open();
      await store.add('a', op('note:c1:b', 'c1', { createdAt: T + 2, nextAttemptAt: T + 10_000 }));
      await store.add('a', op('create:c1', 'c1', { createdAt: T + 1 }));
      await store.add('a', op('note:c2:a', 'c2'));
      await store.add('a', op('note:c3:a', 'c3'));
      const due = await store.claimCalls('a', ['c1', 'c1'], { now: T, leaseMs: 1_000, dueBefore: T });
      expect(due.map((o) => o.id)).toEqual(['create:c1']);
      const claimed = await store.claimCalls('a', ['c1', 'c2', 'nope'], { now: T, leaseMs: 1_000 });
      expect(claimed.map((o) => o.id)).toEqual(['note:c2:a', 'note:c1:b']);
      expect(await store.claimCalls('a', ['c1', 'c2'], { now: T, leaseMs: 1_000 })).toEqual([]);
      expect((await store.claimDue('a', { now: T, leaseMs: 1_000, limit: 10 })).map((o) => o.id)).toEqual([
        'note:c3:a',
      ]);
    });

    it('releases with a new schedule, never resurrects a removed operation, and reports what is pending', async () => {
      const store = await open();
      expect(await store.pending('a')).toEqual({ count: 0 });
      const note = op('note:c1:1', 'c1');
      await store.add('a', note);
      await store.add('a', op('note:c1:2', 'c1', { nextAttemptAt: T + 50 }));
      expect(await store.pending('a')).toEqual({ count: 2, nextAttemptAt: T });
      const [claimed] = await store.claimDue('a', { now: T, leaseMs: 1_000, limit: 1 });
      expect(await store.pending('a')).toEqual({ count: 2, nextAttemptAt: T + 50 });
      const retry = {
        ...(claimed as JournalOp),
        attempts: 1,
        nextAttemptAt: T + 5_000,
        lastError: { code: 'NETWORK', message: 'down' },
      };
      await store.release('a', retry);
      expect(
        await store.claimDue('a', { now: T + 4_999, leaseMs: 1_000, limit: 10, dueBefore: T + 4_999 }),
      ).toHaveLength(1);
      const [back] = await store.claimDue('a', { now: T + 5_000, leaseMs: 1_000, limit: 10 });
      expect(back).toEqual(retry);
      await store.remove('a', note);
      await store.release('a', retry);
      expect(await store.claimCalls('a', ['c1'], { now: T + 10_000, leaseMs: 1 })).toHaveLength(1);
      await store.remove('a', op('note:c1:2', 'c1'));
      await store.remove('a', op('note:c1:2', 'c1'));
      expect(await store.pending('a')).toEqual({ count: 0 });
      expect(await store.claimCalls('a', ['c1'], { now: T + 10_000, leaseMs: 1 })).toEqual([]);
    });

    it('moves operations to the dead letters and back', async () => {
      const store = await open();
      const create = op('create:c1', 'c1');
      await store.add('a', create);
      await store.add('a', op('create:c2', 'c2'));
      const letter = (o: JournalOp, at: number): DeadLetter => ({
        op: o,
        error: {
          code: 'ZOHO_API',
          zohoCode: 'INVALID_DATA',
          message: 'invalid data',
          details: { api_name: 'Subject' },
        },
        failedAt: at,
      });
      await store.bury('a', letter(op('create:c2', 'c2'), T + 2));
      await store.bury('a', letter(create, T + 1));
      expect(await store.pending('a')).toEqual({ count: 0 });
      expect(await store.claimCalls('a', ['c1', 'c2'], { now: T, leaseMs: 1 })).toEqual([]);
      expect((await store.deadLetters('a')).map((l) => l.op.id)).toEqual(['create:c1', 'create:c2']);
      expect(await store.deadLetters('b')).toEqual([]);
      expect(await store.unbury('a', 'create:c1')).toEqual(letter(create, T + 1));
      expect(await store.unbury('a', 'create:c1')).toBeUndefined();
      expect((await store.deadLetters('a')).map((l) => l.op.id)).toEqual(['create:c2']);
      expect(await store.add('a', create)).toBe(true);
    });

    it('never hands one operation to two concurrent claimers', async () => {
      const store = await open();
      for (let i = 0; i < 40; i++)
        await store.add('a', op(`note:c${i}:x`, `c${i}`, { nextAttemptAt: T + i }));
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          i % 2 === 0
            ? store.claimDue('a', { now: T + 100, leaseMs: 10_000, limit: 3 })
            : store.claimCalls('a', [`c${i}`, `c${i + 1}`, `c${i + 2}`], { now: T + 100, leaseMs: 10_000 }),
        ),
      );
      const ids = claims.flat().map((o) => o.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.length).toBeGreaterThan(20);
    });
  });
}
