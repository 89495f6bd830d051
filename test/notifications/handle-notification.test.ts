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
        return redis.promise;
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

describe('the invalidated count', () => {
  it('counts what the notification dropped, not what rings cached while Redis was being told', async () => {
    const redis = deferred();
    let size = 10;
    const lookup = {
      get cacheSize() {
        return size;
      },
      forgetRecords(ids: readonly string[]) {
        size -= ids.length; // dropped from this process at once
        return redis.promise;
      },
      forgetMisses() {
        size -= 1;
        return redis.promise;
      },
    } as unknown as CallerLookup;
    const body = { module: 'Contacts', ids: ['1', '2'], operation: 'update', channel_id: '42', token: 'tok' };
    const handled = handleChangeNotification(lookup, ['Contacts'], body, { channelToken: 'tok' });
    await new Promise((resolve) => setImmediate(resolve));
    size += 5; // rings answered meanwhile
    redis.resolve();
    expect((await handled).invalidated).toBe(3);
  });
});
