import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../src/stores/memory.js';
import { assertTokenStoreContract } from '../../src/testing/token-store-contract.js';

describe('memory store', () => {
  it('meets the TokenStore contract', () => assertTokenStoreContract(() => createMemoryStore()));

  it('keeps each instance separate (it is per process)', async () => {
    const a = createMemoryStore();
    const b = createMemoryStore();
    await a.set('tenant-42', {
      accessToken: 'a',
      refreshToken: 'r',
      expiresAt: 1,
      apiDomain: 'https://www.zohoapis.com',
      accountsServer: 'https://accounts.zoho.com',
      region: 'US',
      grantedAt: 0,
    });
    expect(await b.get('tenant-42')).toBeUndefined();
  });
});
