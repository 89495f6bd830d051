import { describe, expect, it } from 'vitest';
import type { CallerLookup } from '../../src/lookup/caller-lookup.js';
import { handleChangeNotification } from '../../src/notifications/handle-notification.js';
import { deferred } from '../helpers/time.js';

describe('handleChangeNotification', () => {
  it("forgets a notification's records and the misses together: a slow shared cache costs its bound once", async () => {
    const redis = deferred();
    const forgotten: string[] = [];
    const lookup = {
      cacheSize: 0,
      forgetRecords(ids: readonly string[]) {
        forgotten.push(...ids);
        return redis.promise; // Redis answering late (each forget is bounded at 2 s)
      },
      forgetMisses() {
        forgotten.push('misses');
        return redis.promise.then(() => 0);
      },
    } as unknown as CallerLookup;
    const body = {
      module: 'Contacts',
      ids: ['1', '2', '3'],
      operation: 'update',
      channel_id: '42',
      token: 'tok',
    };
    const handled = handleChangeNotification(lookup, ['Contacts'], body, { channelToken: 'tok' });
    await new Promise((resolve) => setImmediate(resolve));
    expect(forgotten).toEqual(['1', '2', '3', 'misses']);
    redis.resolve();
    expect(await handled).toMatchObject({ records: 3, operation: 'update' });
  });
});
