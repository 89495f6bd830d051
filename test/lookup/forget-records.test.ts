import { LRUCache } from 'lru-cache';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { handleChangeNotification } from '../../src/notifications/handle-notification.js';
import { engineOver, stubCrm } from './stub-crm.js';

afterEach(() => {
  vi.restoreAllMocks();
});

const row = (i: number) => ({
  id: String(100 + i),
  Full_Name: `Caller ${i}`,
  Phone: `+1 415 555 ${1000 + i}`,
});

/**
 * Forgetting a record walks the whole in-process cache (up to `maxEntries`, ~30-50 ms for 100,000
 * numbers), since entries are keyed by number: a notification naming many records must walk it once,
 * not once per record, or a bulk edit in Zoho blocks the event loop (and the rings) for seconds.
 */
describe('a notification naming many records', () => {
  it('forgets them in one walk of the cache', async () => {
    const rows = Array.from({ length: 5 }, (_, i) => row(i));
    const crm = stubCrm({ Contacts: rows });
    const { engine } = engineOver(crm.http, { order: ['Contacts'], timeoutMs: 60_000 });
    for (let i = 0; i < 5; i++)
      expect((await engine.lookupCaller(`+1415555${1000 + i}`))?.id).toBe(String(100 + i));
    const walks = vi.spyOn(LRUCache.prototype, 'entries');
    const body = {
      module: 'Contacts',
      ids: ['100', '101', '102', '103'],
      operation: 'update',
      channel_id: '1',
      token: 't',
    };
    const result = await handleChangeNotification(engine, ['Contacts'], body, { channelToken: 't' });
    expect(result.invalidated).toBe(4);
    expect(engine.cacheSize).toBe(1);
    // One walk for the records, one for the misses the update also forgets.
    expect(walks).toHaveBeenCalledTimes(2);
    await engine.close();
  });
});
