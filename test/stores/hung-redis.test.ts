import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ZohoCrmConnector } from '../../src/connector.js';
import { ErrorCode } from '../../src/errors.js';
import { createRedisStore } from '../../src/stores/redis.js';
import type { TokenStore } from '../../src/stores/types.js';
import { testConnector } from '../helpers/test-connector.js';

// A throwaway redis-server of this test's own (never the shared one): stopped with SIGSTOP it accepts
// connections and commands but never answers, like a Redis host that froze.
const REDIS_SERVER = (() => {
  try {
    return execFileSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
})();

/** A free loopback port: bind to port 0, read the port, release it. */
async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

function connector(tokenStore: TokenStore): ZohoCrmConnector {
  return testConnector({
    tokenStore,
    // Nothing may reach Zoho: the token store is the only thing in the way.
    fetch: async () => {
      throw new Error('no request expected');
    },
    journal: { enabled: false },
    http: { deadlineMs: 200 },
  });
}

describe.skipIf(!REDIS_SERVER)(
  'finding 5 with a real Redis: a hung or absent Redis never holds a call past its deadline (skipped without a redis-server binary)',
  () => {
    let server: ChildProcess | undefined;
    let port = 0;
    const clients: Redis[] = [];

    beforeAll(async () => {
      port = await freePort();
      server = spawn(
        REDIS_SERVER as string,
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        { stdio: 'ignore' },
      );
      // Ready when it answers PING (bounded: 100 tries, 50 ms apart).
      const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      clients.push(probe);
      probe.on('error', () => {}); // refused until the server is up
      for (let i = 0; ; i++) {
        try {
          await probe.connect();
          await probe.ping();
          break;
        } catch (error) {
          if (i >= 100) throw error;
          probe.disconnect();
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
    });

    afterAll(async () => {
      for (const client of clients) client.disconnect();
      if (server?.pid !== undefined && server.exitCode === null) {
        server.kill('SIGCONT');
        const exited = once(server, 'exit');
        server.kill('SIGKILL');
        await exited;
      }
    });

    it('SIGSTOPped Redis: searchDirectory fails with DEADLINE_EXCEEDED', async () => {
      const client = new Redis({ port, host: '127.0.0.1' });
      clients.push(client);
      const store = createRedisStore({ client, keyPrefix: 'zcc-hung' });
      await store.set('t1', {
        accessToken: `1000.${'0'.repeat(32)}.${'e'.repeat(32)}`,
        refreshToken: `1000.${'r'.repeat(32)}.${'f'.repeat(32)}`,
        expiresAt: Date.now() + 3_600_000,
        apiDomain: 'https://www.zohoapis.com',
        accountsServer: 'https://accounts.zoho.com',
        region: 'US',
        grantedAt: Date.now(),
      });
      const zoho = connector(store);
      server?.kill('SIGSTOP');
      try {
        await expect(zoho.searchDirectory('smith')).rejects.toMatchObject({
          code: ErrorCode.DEADLINE_EXCEEDED,
        });
      } finally {
        server?.kill('SIGCONT');
        await zoho.close();
      }
    });

    it('Redis not reachable at all (commands wait in the offline queue): DEADLINE_EXCEEDED', async () => {
      const nobody = await freePort();
      const client = new Redis({ port: nobody, host: '127.0.0.1', retryStrategy: () => 1_000 });
      clients.push(client);
      client.on('error', () => {}); // connection refused, over and over: expected here
      const zoho = connector(createRedisStore({ client, keyPrefix: 'zcc-hung' }));
      try {
        await expect(zoho.searchDirectory('smith')).rejects.toMatchObject({
          code: ErrorCode.DEADLINE_EXCEEDED,
        });
      } finally {
        await zoho.close();
      }
    });
  },
);
