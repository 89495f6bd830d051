import { describe, expect, it, vi } from 'vitest';
import type { CallerLookup } from '../../src/lookup/caller-lookup.js';
import { engineOver, stubCrm } from './stub-crm.js';

const ADA = { id: '100', Full_Name: 'Ada Lovelace', Phone: '+1 (415) 555-2671' };
const ADA_NUMBER = '+14155552671';
const UNKNOWN = '+14155550199';

/**
 * A change notification (or `invalidate()`) that arrives while a Zoho search of the number is in flight:
 * the search may have read Zoho before the change, so its answer is the ring's but must not fill the
 * cache for a whole TTL.
 */
describe('forgetting while a search is in flight', () => {
  it.each([
    ['the record id', (engine: CallerLookup) => engine.forget('100')],
    ['the number', (engine: CallerLookup) => engine.forget(ADA_NUMBER)],
    // The journal's invalidate (Zoho refused a link: the record is gone) goes the same way.
    ['the number through invalidate', async (engine: CallerLookup) => engine.invalidate(ADA_NUMBER)],
  ])('forgetting %s: the answer in flight is not cached; the next ring asks Zoho', async (_what, forget) => {
    const crm = stubCrm({ Contacts: [ADA] }, { hold: true });
    const { engine } = engineOver(crm.http, { order: ['Contacts'], timeoutMs: 60_000 });
    const ringing = engine.lookupCaller(ADA_NUMBER);
    await vi.waitFor(() => expect(crm.heldCount()).toBe(1), { timeout: 15_000 });
    await forget(engine);
    crm.release();
    expect((await ringing)?.id).toBe('100');
    await engine.lookupCaller(ADA_NUMBER);
    expect(crm.calls()).toEqual(['Contacts', 'Contacts']);
    await engine.close();
  });

  it('forgetting the misses: a miss in flight is not cached; the next ring asks Zoho', async () => {
    const crm = stubCrm({ Contacts: [ADA] }, { hold: true });
    const { engine } = engineOver(crm.http, { order: ['Contacts'], timeoutMs: 60_000 });
    const ringing = engine.lookupCaller(UNKNOWN);
    await vi.waitFor(() => expect(crm.heldCount()).toBe(1), { timeout: 15_000 });
    await engine.forgetMisses();
    crm.release();
    expect(await ringing).toBeNull();
    await engine.lookupCaller(UNKNOWN);
    expect(crm.calls()).toEqual(['Contacts', 'Contacts']);
    await engine.close();
  });

  it("forgetting another record, or the misses, in flight does not keep a found caller's answer out (a busy org's notifications)", async () => {
    const crm = stubCrm({ Contacts: [ADA] }, { hold: true });
    const { engine } = engineOver(crm.http, { order: ['Contacts'], timeoutMs: 60_000 });
    const ringing = engine.lookupCaller(ADA_NUMBER);
    await vi.waitFor(() => expect(crm.heldCount()).toBe(1), { timeout: 15_000 });
    await engine.forget('999');
    await engine.forget('+14155550000');
    await engine.forgetMisses();
    crm.release();
    expect((await ringing)?.id).toBe('100');
    await engine.lookupCaller(ADA_NUMBER);
    expect(crm.calls()).toEqual(['Contacts']);
    await engine.close();
  });

  it('a forget before the search started does not stop its answer being cached', async () => {
    const crm = stubCrm({ Contacts: [ADA] });
    const { engine } = engineOver(crm.http, { order: ['Contacts'], timeoutMs: 60_000 });
    await engine.forget('100');
    await engine.lookupCaller(ADA_NUMBER);
    await engine.lookupCaller(ADA_NUMBER);
    expect(crm.calls()).toEqual(['Contacts']);
    await engine.close();
  });
});
