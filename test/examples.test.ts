import { describe, expect, it, vi } from 'vitest';

// Every example runs against the embedded emulator, as CI runs them. Their console output is silenced.
const quiet = () => vi.spyOn(console, 'log').mockImplementation(() => {});

describe('examples', () => {
  it('caller-id.ts finds callers in every module and searches the directory', async () => {
    quiet();
    const { main } = await import('../examples/caller-id.js');
    const { names, directory } = await main();
    expect(names).toEqual(['Ada Lovelace', 'Ada Lovelace', 'Grace Hopper', 'Analytical Engines Ltd', null]);
    expect(directory).toEqual(['Ada Lovelace: +14155552671, +447700900123']);
  });

  it('oauth-callback-server.ts authorizes through its own HTTP routes and follows the callback to EU', async () => {
    quiet();
    const { main } = await import('../examples/oauth-callback-server.js');
    const { authorized, page } = await main();
    expect(authorized).toBe(true);
    expect(page).toContain('Zoho CRM connected (data centre EU)');
  });

  describe.skipIf(!process.env.REDIS_URL)('with Redis (skipped without REDIS_URL; .ci/run sets it)', () => {
    it('redis-cluster.ts: two processes share one grant and refresh once', async () => {
      quiet();
      const { main } = await import('../examples/redis-cluster.js');
      const { refreshes, nodeB } = await main();
      expect(refreshes).toBe(1);
      expect(nodeB).toContain('Ada Lovelace ×20');
    }, 60_000);
  });
});
