import { describe, expect, it } from 'vitest';
import { createMemoryJournalStore } from '../../src/journal/memory-store.js';
import type { JournalOp, JournalStore } from '../../src/journal/store.js';
import { assertJournalStoreContract } from '../../src/testing/journal-store-contract.js';

const KNOWN = [
  'id',
  'callId',
  'kind',
  'call',
  'note',
  'update',
  'createdAt',
  'attempts',
  'nextAttemptAt',
  'lastError',
  'held',
];

/** A memory store with one deliberate flaw each; the suite must name the rule it breaks. */
function flawed(flaw: string): JournalStore {
  const inner = createMemoryJournalStore();
  const store: JournalStore = { ...inner };
  switch (flaw) {
    case 'drops unknown fields':
      store.add = (cid, op) =>
        inner.add(
          cid,
          Object.fromEntries(Object.entries(op).filter(([key]) => KNOWN.includes(key))) as JournalOp,
        );
      break;
    case 'adds twice': {
      store.add = async (cid, op) => {
        await inner.remove(cid, op);
        return inner.add(cid, op);
      };
      break;
    }
    case 'keeps the caller object': {
      const kept = new Map<string, JournalOp>();
      store.add = async (cid, op) => {
        const added = await inner.add(cid, op);
        if (added) kept.set(op.id, op);
        return added;
      };
      store.claimDue = async (cid, claim) =>
        (await inner.claimDue(cid, claim)).map((op) => kept.get(op.id) ?? op);
      break;
    }
    case 'ignores leases':
      store.claimDue = (cid, claim) => inner.claimDue(cid, { ...claim, leaseMs: 0 });
      break;
    case 'claims in insertion order':
      store.claimDue = async (cid, claim) => {
        const all = await inner.claimDue(cid, { ...claim, limit: 1_000 });
        all.sort((a, b) => a.id.localeCompare(b.id));
        const chosen = all.slice(0, claim.limit);
        for (const op of all.slice(claim.limit)) await inner.release(cid, op);
        return chosen;
      };
      break;
    case 'resurrects removed operations':
      store.release = async (cid, op) => {
        if (!(await inner.add(cid, op))) await inner.release(cid, op);
      };
      break;
    case 'mixes connections':
      for (const name of Object.keys(inner) as (keyof JournalStore)[]) {
        const method = inner[name] as (...args: unknown[]) => unknown;
        (store as unknown as Record<string, unknown>)[name] = (_cid: string, ...rest: unknown[]) =>
          method('one', ...rest);
      }
      break;
    case 'dead letters newest first':
      store.deadLetters = async (cid) => (await inner.deadLetters(cid)).reverse();
      break;
    case 'pending skips leased':
      store.pending = async () => ({ count: 0 });
      break;
    case 'hangs':
      store.unbury = () => new Promise(() => undefined);
      break;
    case 'reports quarantine for a healthy connection':
      store.quarantined = async () => ({ count: 1, entries: [{ at: 1, reason: 'x', preview: 'x' }] });
      break;
    case 'does not share':
      break;
  }
  return store;
}

describe('assertJournalStoreContract', () => {
  it('passes a correct store', async () => {
    await assertJournalStoreContract(() => createMemoryJournalStore());
    const shared = createMemoryJournalStore();
    await assertJournalStoreContract(() => shared, { shared: true, idPrefix: 'mine-' });
  });

  it.each([
    [
      'drops unknown fields',
      /unknown optional fields included: claimDue after add: \[0\]\.marker is missing/,
    ],
    ['adds twice', /a second add with the same id: got true, expected false/],
    ['keeps the caller object', /returned and stored operations are copies/],
    ['ignores leases', /hidden while leased: the next claim/],
    ['claims in insertion order', /earliest first.*a claim with limit 2/],
    ['resurrects removed operations', /remove is final.*must not come back/],
    [
      'mixes connections',
      /the ledger remembers logged calls per connection: getLogged on another connection/,
    ],
    ['dead letters newest first', /oldest first.*deadLetters: \[0\]\.op\.id is "create:c2"/],
    ['pending skips leased', /pending with two queued/],
    ['reports quarantine for a healthy connection', /quarantined \(when implemented\)/],
  ])('names the rule a store that %s breaks', async (flaw, message) => {
    await expect(assertJournalStoreContract(() => flawed(flaw))).rejects.toThrow(message);
  });

  it('fails a store call that hangs, within timeoutMs', async () => {
    await expect(assertJournalStoreContract(() => flawed('hangs'), { timeoutMs: 50 })).rejects.toThrow(
      /unbury\(\) did not settle within 50 ms/,
    );
  });

  it('with shared: true, fails two instances that do not share data', async () => {
    await expect(
      assertJournalStoreContract(() => flawed('does not share'), { shared: true }),
    ).rejects.toThrow(/two instances share.*getLogged through the second store: got undefined/);
  });

  it('reports the store’s own error as the cause', async () => {
    const boom = new Error('disk on fire');
    const store = { ...createMemoryJournalStore(), getLogged: () => Promise.reject(boom) };
    const error = (await assertJournalStoreContract(() => store).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/the store threw Error: disk on fire/);
    expect(error.cause).toBe(boom);
  });
});
