import { describe, expect, it } from 'vitest';
import { createForgetLedger } from '../../src/lookup/forget-ledger.js';

const MATCH = { id: 'rec-1' };

describe('forget ledger', () => {
  it('an answer read before its number was forgotten is stale; one read after is not', () => {
    const ledger = createForgetLedger(10, () => true);
    const before = ledger.seq;
    ledger.note(['+14155550100']);
    expect(ledger.seq).toBeGreaterThan(before);
    expect(ledger.staleSince(before, '+14155550100', MATCH)).toBe(true);
    expect(ledger.staleSince(before, '+14155550199', MATCH)).toBe(false);
    expect(ledger.staleSince(ledger.seq, '+14155550100', MATCH)).toBe(false);
  });

  it('a forgotten record id makes a match of that record stale, whatever its number', () => {
    const ledger = createForgetLedger(10, () => true);
    const before = ledger.seq;
    ledger.note(['rec-1']);
    expect(ledger.staleSince(before, '+14155550100', MATCH)).toBe(true);
    expect(ledger.staleSince(before, '+14155550100', { id: 'rec-2' })).toBe(false);
    expect(ledger.staleSince(before, '+14155550100', null)).toBe(false);
  });

  it('forgetting the misses makes a miss stale, not a match; forgetting keys leaves misses alone', () => {
    const ledger = createForgetLedger(10, () => true);
    const before = ledger.seq;
    ledger.note(['+14155550100']);
    expect(ledger.staleSince(before, '+14155550199', null)).toBe(false);
    ledger.note([], true);
    expect(ledger.staleSince(before, '+14155550199', null)).toBe(true);
    expect(ledger.staleSince(before, '+14155550199', MATCH)).toBe(false);
  });

  it('keeps no keys while nothing is in flight', () => {
    let busy = false;
    const ledger = createForgetLedger(10, () => busy);
    const before = ledger.seq;
    ledger.note(['+14155550100']);
    expect(ledger.staleSince(before, '+14155550100', MATCH)).toBe(false);
    busy = true;
    const later = ledger.seq;
    ledger.note(['+14155550100']);
    expect(ledger.staleSince(later, '+14155550100', MATCH)).toBe(true);
    // A quiet moment clears what was kept: answers read before it have all been delivered.
    busy = false;
    ledger.note(['+14155550101']);
    expect(ledger.staleSince(later, '+14155550100', MATCH)).toBe(false);
    // Forgetting the misses is noted even then: it costs no key.
    const quiet = ledger.seq;
    ledger.note([], true);
    expect(ledger.staleSince(quiet, '+14155550102', null)).toBe(true);
  });

  it('past maxKeys a forget counts as forgetting everything', () => {
    const ledger = createForgetLedger(2, () => true);
    const before = ledger.seq;
    ledger.note(['a', 'b']);
    expect(ledger.staleSince(before, 'c', MATCH)).toBe(false); // exactly maxKeys: kept one by one
    ledger.note(['c']);
    expect(ledger.staleSince(before, 'z', MATCH)).toBe(true);
    expect(ledger.staleSince(before, 'z', null)).toBe(true);
  });

  it('noteAll() makes every answer read before it stale', () => {
    const ledger = createForgetLedger(10, () => false);
    const before = ledger.seq;
    ledger.noteAll();
    expect(ledger.staleSince(before, '+14155550100', MATCH)).toBe(true);
    expect(ledger.staleSince(before, '+14155550100', null)).toBe(true);
    expect(ledger.staleSince(ledger.seq, '+14155550100', MATCH)).toBe(false);
  });
});
