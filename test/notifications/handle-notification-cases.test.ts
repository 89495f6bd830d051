/**
 * What one change notification does to the caller-ID cache (src/notifications/handle-notification.ts),
 * over a fake lookup that records what it was told to forget. End to end (emulator, channel, webhook) in
 * test/integration/change-notifications.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode, ZohoCrmError } from '../../src/errors.js';
import type { CallerLookup } from '../../src/lookup/caller-lookup.js';
import { handleChangeNotification } from '../../src/notifications/handle-notification.js';

const TOKEN = 'channel-token-1';

function notification(overrides: Record<string, unknown> = {}) {
  return {
    module: 'Contacts',
    ids: ['5725767000003000064', '5725767000003000065'],
    operation: 'update',
    channel_id: '1000',
    token: TOKEN,
    ...overrides,
  };
}

/** A lookup whose cache holds `size` numbers; forgetting a record drops one, the misses drop two. */
function fakeLookup(size = 10) {
  const told: string[] = [];
  const lookup = {
    cacheSize: size,
    async forgetRecords(ids: readonly string[]) {
      for (const id of ids) told.push(`forget ${id}`);
      lookup.cacheSize -= ids.length;
    },
    async forgetMisses() {
      told.push('forgetMisses');
      lookup.cacheSize -= 2;
    },
  };
  return { lookup: lookup as unknown as CallerLookup, told };
}

const MODULES = ['Contacts', 'Leads'];

describe('handleChangeNotification', () => {
  it("update: the records' numbers and the misses are forgotten; the result counts what was dropped", async () => {
    const { lookup, told } = fakeLookup();
    const result = await handleChangeNotification(lookup, MODULES, notification(), { channelToken: TOKEN });
    expect(told).toEqual(['forget 5725767000003000064', 'forget 5725767000003000065', 'forgetMisses']);
    expect(result).toEqual({
      channelId: '1000',
      module: 'Contacts',
      operation: 'update',
      records: 2,
      invalidated: 4,
    });
  });

  it("delete: only the records' numbers are forgotten", async () => {
    const { lookup, told } = fakeLookup();
    const result = await handleChangeNotification(lookup, MODULES, notification({ operation: 'delete' }), {
      channelToken: TOKEN,
    });
    expect(told).toEqual(['forget 5725767000003000064', 'forget 5725767000003000065']);
    expect(result).toMatchObject({ operation: 'delete', records: 2, invalidated: 2 });
  });

  it('insert: only the misses are forgotten', async () => {
    const { lookup, told } = fakeLookup();
    const result = await handleChangeNotification(lookup, MODULES, notification({ operation: 'insert' }), {
      channelToken: TOKEN,
    });
    expect(told).toEqual(['forgetMisses']);
    expect(result).toMatchObject({ operation: 'insert', records: 2, invalidated: 2 });
  });

  it('a module the lookup does not search leaves the cache alone', async () => {
    const { lookup, told } = fakeLookup();
    const result = await handleChangeNotification(lookup, MODULES, notification({ module: 'Deals' }), {
      channelToken: TOKEN,
    });
    expect(told).toEqual([]);
    expect(result).toEqual({
      channelId: '1000',
      module: 'Deals',
      operation: 'update',
      records: 2,
      invalidated: 0,
    });
  });

  it('a wrong token is NOTIFICATION_TOKEN_MISMATCH naming the channel, never the token; nothing is forgotten', async () => {
    const { lookup, told } = fakeLookup();
    const refused = handleChangeNotification(lookup, MODULES, notification({ token: 'forged' }), {
      channelToken: TOKEN,
    });
    await expect(refused).rejects.toThrow(ZohoCrmError);
    const error = (await refused.catch((e: unknown) => e)) as ZohoCrmError;
    expect(error.code).toBe(ErrorCode.NOTIFICATION_TOKEN_MISMATCH);
    expect(error.message).toBe(
      'A change notification for channel 1000 does not carry the channel token: ignored.',
    );
    expect(told).toEqual([]);
  });

  it('channelToken must be a non-empty string: a ConfigError naming the option and the kind received', async () => {
    const { lookup, told } = fakeLookup();
    for (const [options, kind] of [
      [{ channelToken: '' }, 'string'],
      [{ channelToken: 42 }, 'number'],
      [{}, 'undefined'],
      [undefined, 'undefined'],
    ] as const) {
      const error = await handleChangeNotification(lookup, MODULES, notification(), options).catch(
        (e: unknown) => e,
      );
      expect(error, JSON.stringify(options)).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe(
        `Invalid handleNotification: options.channelToken: must be a non-empty string (received ${kind})`,
      );
      expect((error as ConfigError).issues).toEqual([
        { path: 'options.channelToken', message: `must be a non-empty string (received ${kind})` },
      ]);
    }
    await expect(
      handleChangeNotification(lookup, MODULES, notification(), { channelToken: TOKEN, other: 1 }),
    ).rejects.toThrow(/handleNotification: options: has an unknown key; the keys are channelToken/);
    expect(told).toEqual([]);
  });
});
