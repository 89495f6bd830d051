import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorCode } from '../../src/errors.js';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import type { JournalStore } from '../../src/journal/store.js';
import { createConnectorRegistry } from '../../src/registry/registry.js';
import type { TenantSettings } from '../../src/registry/tenant-settings.js';
import { createFileJournalStore } from '../../src/stores/journal-file.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { consent, multiTenantWorld, TENANTS, type World } from './helpers.js';

const REDIS_URL = process.env.REDIS_URL;
const IDLE_MS = 60_000;

let world: World;
beforeAll(async () => {
  world = await multiTenantWorld();
});
afterAll(() => world.close());
afterEach(() => {
  vi.useRealTimers();
  world.us.faults(null);
});

const call = (id: string, recording = true): PbxCall => ({
  id,
  direction: 'inbound',
  trunk: true,
  from: '+14155552671',
  to: '+14155550100',
  startedAt: '2026-11-24T09:00:00Z',
  answeredAt: '2026-11-24T09:00:08Z',
  endedAt: '2026-11-24T09:04:20Z',
  status: 'answered',
  ...(recording ? { recording: { url: `https://pbx.example.com/rec/${id}.wav` } } : {}),
});

const callsFor = (id: string) =>
  world.us.records('Calls').filter((r) => String(r.Description ?? '').includes(`PBX call ID: ${id}`));

describe('connector registry: idle connectors', () => {
  it('closes a connector unused for idleMs (one sweep timer) and rebuilds it on demand', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const settings = vi.fn((id: string) => (id === 'a' || id === 'c' ? TENANTS[id] : undefined));
    const zohos = createConnectorRegistry({
      ...world.base,
      tokenStore: createMemoryStore(),
      settings,
      idleMs: IDLE_MS,
    });
    try {
      const a = await zohos.get('a');
      const timersAfterOne = vi.getTimerCount();
      await vi.advanceTimersByTimeAsync(IDLE_MS / 2);
      const c = await zohos.get('c');
      await zohos.get('a'); // used again: its idle time restarts
      // Connectors schedule no timer of their own while idle; the registry keeps a single sweep timer.
      expect(vi.getTimerCount()).toBe(timersAfterOne);
      await vi.advanceTimersByTimeAsync(IDLE_MS / 2);
      expect(zohos.size).toBe(2); // nobody idle for a full idleMs yet
      await vi.advanceTimersByTimeAsync(IDLE_MS / 2);
      expect(zohos.size).toBe(0);
      await expect(a.authorizationUrl()).rejects.toMatchObject({ code: ErrorCode.CONNECTOR_CLOSED });
      await expect(c.authorizationUrl()).rejects.toMatchObject({ code: ErrorCode.CONNECTOR_CLOSED });
      expect(vi.getTimerCount()).toBe(0);
      const again = await zohos.get('a');
      expect(again).not.toBe(a);
      expect(settings).toHaveBeenCalledTimes(3);
    } finally {
      await zohos.close();
    }
  });

  it('idleMs: 0 keeps connectors open', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    const zohos = createConnectorRegistry({ ...world.base, tokenStore: createMemoryStore(), idleMs: 0 });
    try {
      const a = await zohos.get('a');
      await vi.advanceTimersByTimeAsync(24 * 3_600_000);
      expect(await zohos.get('a')).toBe(a);
    } finally {
      await zohos.close();
    }
  });
});

/** Queued journal work of a connector closed for idleness is drained by the tenant's next connector. */
async function drainsAfterIdle(journalStore: JournalStore) {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  const tokenStore = createMemoryStore();
  const zohos = createConnectorRegistry({
    ...world.base,
    tokenStore,
    journalStore,
    idleMs: IDLE_MS,
    // No background retry inside the idle period: a retry still in flight when the idle close fires finishes
    // on the old connector (holding its claim), which is the in-flight rule, not what this test is about.
    connectorOptions: () => ({
      http: { retries: 0 },
      journal: { retry: { baseDelayMs: 10 * IDLE_MS, maxDelayMs: 20 * IDLE_MS } },
    }),
  });
  const id = `idle-${randomUUID()}`;
  try {
    await zohos.handleCallback(await consent((await zohos.authorizationUrl('a')).url));
    world.us.faults({ outage: true, target: 'api' });
    const first = await zohos.get('a');
    expect(await first.logCall(call(id))).toMatchObject({ status: 'queued' });
    await vi.advanceTimersByTimeAsync(IDLE_MS);
    expect(zohos.size).toBe(0);
    expect(callsFor(id)).toHaveLength(0);

    world.us.faults(null);
    const next = await zohos.get('a');
    expect(next).not.toBe(first);
    expect(await next.flush()).toMatchObject({ pending: 0, deadLetters: 0 });
    expect(callsFor(id)).toHaveLength(1);
  } finally {
    await zohos.close();
  }
}

describe('connector registry: journal work survives an idle close', () => {
  it('with the file journal store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'registry-journal-'));
    try {
      await drainsAfterIdle(
        createFileJournalStore({ path: dir, encryptionKey: randomBytes(32).toString('base64') }),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe.skipIf(!REDIS_URL)('with Redis (skipped without REDIS_URL; .ci/run sets it)', () => {
    it('with the Redis journal store', async () => {
      const { Redis } = await import('ioredis');
      const { createRedisJournalStore } = await import('../../src/stores/journal-redis.js');
      const client = new Redis(REDIS_URL as string);
      const keyPrefix = `test-registry-${randomUUID()}`;
      try {
        await drainsAfterIdle(createRedisJournalStore({ client, keyPrefix }));
      } finally {
        const keys = await client.keys(`{${keyPrefix}:*`);
        if (keys.length > 0) await client.del(...keys);
        await client.quit();
      }
    });
  });
});

describe('connector registry: settings that change while a call is being journaled', () => {
  it('in-flight work finishes with the old settings; the next get() after evict() uses the new ones', async () => {
    let settings: TenantSettings = { ...TENANTS.a, journal: { recordingLink: 'private' } };
    let release: (() => void) | undefined;
    let held = 0;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const zohos = createConnectorRegistry({
      ...world.base,
      tokenStore: createMemoryStore(),
      settings: () => settings,
      fetch: async (input, init) => {
        const request = new Request(input, init);
        if (request.method === 'POST' && new URL(request.url).pathname.endsWith('/Calls') && held++ === 0) {
          await gate; // the first Calls insert is in flight while the admin saves new settings
        }
        return world.spy.fetch(input, init);
      },
    });
    const oldId = `old-${randomUUID()}`;
    const newId = `new-${randomUUID()}`;
    try {
      await zohos.handleCallback(await consent((await zohos.authorizationUrl('a')).url));
      const old = await zohos.get('a');
      const inFlight = old.logCall(call(oldId));
      await vi.waitFor(() => expect(held).toBe(1), { timeout: 15_000 });

      settings = { ...TENANTS.a, journal: { recordingLink: 'none' } };
      const evicting = zohos.evict('a');
      const fresh = await zohos.get('a');
      expect(fresh).not.toBe(old);
      expect(await fresh.logCall(call(newId))).toMatchObject({ status: 'logged' });

      release?.();
      expect(await inFlight).toMatchObject({ status: 'logged' });
      await evicting;
      const [oldRecord] = callsFor(oldId);
      const [newRecord] = callsFor(newId);
      expect(oldRecord?.Voice_Recording__s).toBe(`https://pbx.example.com/rec/${oldId}.wav`);
      expect(newRecord?.Voice_Recording__s ?? null).toBeNull();
      expect(String(newRecord?.Description)).not.toContain('/rec/');
      expect(callsFor(oldId)).toHaveLength(1);
    } finally {
      release?.();
      await zohos.close();
    }
  });
});
