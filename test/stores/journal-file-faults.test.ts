/**
 * The file journal survives its disk: a full disk in the middle of an append, and bad lines in the log.
 */
import { type FileHandle, mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JournalStoreError } from '../../src/errors.js';
import { createMemoryJournalStore } from '../../src/journal/memory-store.js';
import type { JournalQuarantineEvent } from '../../src/journal/store.js';
import { createFileJournalStore } from '../../src/stores/journal-file.js';
import { op, T } from '../journal/ops.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'journal-faults-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** An `open` whose handles write half of each append and then fail with ENOSPC while `full` is set. */
function diskThatFills() {
  const disk = { full: false, failures: 0 };
  const wrapped = (async (...args: Parameters<typeof open>) => {
    const handle = await open(...args);
    return new Proxy(handle, {
      get(target, key) {
        if (key === 'appendFile') {
          return async (data: Buffer) => {
            if (!disk.full) return target.appendFile(data);
            disk.failures++;
            await target.appendFile(data.subarray(0, Math.floor(data.length / 2)));
            throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
          };
        }
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    }) as FileHandle;
  }) as typeof open;
  return { disk, open: wrapped };
}

async function logLines(path: string): Promise<string[]> {
  const [file] = (await readdir(path)).filter((name) => name.endsWith('.journal'));
  return (await readFile(join(path, file as string), 'utf8')).split('\n').filter(Boolean);
}

describe('file journal: a disk that fills up in the middle of an append', () => {
  it('loses nothing: the torn tail is cut before the next write, and a restart reads every call', async () => {
    const path = await mkdtemp(join(root, 'enospc-'));
    const { disk, open: seam } = diskThatFills();
    const store = createFileJournalStore({ path, fileSystem: { open: seam } });
    await store.add('t', op('create:c1', 'c1'));
    disk.full = true;
    const failed = await store.add('t', op('create:c2', 'c2')).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(JournalStoreError);
    expect(failed).toMatchObject({ operation: 'append', retryable: true });
    await expect(store.setLogged('t', 'c0', 'z0')).rejects.toThrow(/cannot write the journal/);
    expect(disk.failures).toBe(2);
    disk.full = false; // space returns
    await store.add('t', op('create:c3', 'c3'));
    // Every line on disk is whole: the halves written during the outage were cut off.
    const lines = await logLines(path);
    expect(lines.map((line) => JSON.parse(line) as unknown)).toHaveLength(4);
    await store.close?.();

    const restarted = createFileJournalStore({ path });
    expect((await restarted.pending('t')).count).toBe(3);
    expect(await restarted.getLogged('t', 'c0')).toBe('z0');
    expect(await restarted.quarantined?.('t')).toEqual({ count: 0, entries: [] });
    await restarted.close?.();
  });

  it('a process killed while the disk is still full restarts with every acknowledged write', async () => {
    const path = await mkdtemp(join(root, 'enospc-kill-'));
    const { disk, open: seam } = diskThatFills();
    const store = createFileJournalStore({ path, fileSystem: { open: seam } });
    await store.add('t', op('create:c1', 'c1'));
    disk.full = true;
    await expect(store.add('t', op('create:c2', 'c2'))).rejects.toThrow(JournalStoreError);
    // No close, no more writes: the process dies here, with half a line at the end of the log.
    const restarted = createFileJournalStore({ path });
    expect((await restarted.claimDue('t', { now: T, leaseMs: 1, limit: 10 })).map((o) => o.id)).toEqual([
      'create:c1',
    ]);
    await restarted.add('t', op('create:c4', 'c4'));
    await restarted.close?.();
    expect((await logLines(path)).map((line) => (JSON.parse(line) as { o: { id: string } }).o.id)).toEqual([
      'create:c1',
      'create:c4',
    ]);
  });
});

describe('file journal: a bad line in the middle of the log', () => {
  const badLines: Array<[string, (good: string) => string]> = [
    ['garbage', () => 'garbage that is not json'],
    ['a NUL byte', (good) => `${good.slice(0, 10)}\u0000${good.slice(11)}`],
    ['a flipped byte', (good) => good.replace('{"t"', '{"t\u0001')],
    [
      'valid JSON of the wrong shape (an op without an id)',
      () => '{"t":"O","o":{"callId":"x","kind":"note"}}',
    ],
    ['a dead letter of the wrong shape', () => '{"t":"D","l":{}}'],
    ['an unknown record type', () => '{"t":"X"}'],
  ];

  it.each(badLines)(
    'quarantines %s; every other call is still delivered, across restarts',
    async (_, corrupt) => {
      const path = await mkdtemp(join(root, 'bad-line-'));
      const first = createFileJournalStore({ path });
      for (let i = 1; i <= 5; i++) await first.add('t', op(`create:c${i}`, `c${i}`));
      await first.close?.();
      const lines = await logLines(path);
      const [name] = (await readdir(path)).filter((n) => n.endsWith('.journal'));
      const file = join(path, name as string);
      const bad = corrupt(lines[2] as string);
      await writeFile(file, `${[...lines.slice(0, 2), bad, ...lines.slice(3)].join('\n')}\n`);

      const events: JournalQuarantineEvent[] = [];
      const onQuarantine = vi.fn((event: JournalQuarantineEvent) => events.push(event));
      const second = createFileJournalStore({ path, onQuarantine });
      const claimed = await second.claimDue('t', { now: T, leaseMs: 1, limit: 10 });
      expect(claimed.map((o) => o.id).sort()).toEqual(['create:c1', 'create:c2', 'create:c4', 'create:c5']);
      expect(onQuarantine).toHaveBeenCalledTimes(1);
      expect(events[0]).toMatchObject({
        connectionId: 't',
        store: 'journal-file',
        location: `${file}.quarantine`,
        reason: expect.stringMatching(/^line 3: /),
      });
      expect(events[0]?.preview).not.toContain('\u0000');
      const report = await second.quarantined?.('t');
      expect(report?.count).toBe(1);
      expect(report?.entries[0]?.reason).toBe(events[0]?.reason);
      // Kept aside verbatim, and gone from the log, so the next write and the next load are clean.
      const kept = (await readFile(`${file}.quarantine`, 'utf8')).trim().split('\n');
      expect(kept.map((row) => (JSON.parse(row) as { line: string }).line)).toEqual([bad]);
      expect(await logLines(path)).not.toContain(bad);
      await second.add('t', op('create:c6', 'c6'));
      await second.close?.();

      const third = createFileJournalStore({ path, onQuarantine });
      expect((await third.pending('t')).count).toBe(5);
      expect(onQuarantine).toHaveBeenCalledTimes(1);
      expect((await third.quarantined?.('t'))?.count).toBe(1);
      await third.close?.();
    },
  );

  it('a load that died between keeping a line aside and rewriting the log does not keep it twice', async () => {
    const path = await mkdtemp(join(root, 'requarantine-'));
    const first = createFileJournalStore({ path });
    await first.add('t', op('create:c1', 'c1'));
    await first.close?.();
    const [name] = await readdir(path);
    const file = join(path, name as string);
    const good = (await logLines(path))[0] as string;
    await writeFile(file, `not json\n${good}\n`);
    // The quarantine file already holds the line: the previous load stopped before rewriting the log.
    const entry = { at: 1, reason: 'line 1: not valid JSON', preview: 'not json', line: 'not json' };
    await writeFile(`${file}.quarantine`, `${JSON.stringify(entry)}\n`);
    const store = createFileJournalStore({ path });
    expect((await store.pending('t')).count).toBe(1);
    expect((await store.quarantined?.('t'))?.count).toBe(1);
    expect(await logLines(path)).toEqual([good]);
    await store.close?.();
  });

  it('a listener that throws does not break the load', async () => {
    const path = await mkdtemp(join(root, 'listener-'));
    const first = createFileJournalStore({ path });
    await first.add('t', op('create:c1', 'c1'));
    await first.close?.();
    const [name] = await readdir(path);
    await writeFile(join(path, name as string), `not json\n${(await logLines(path))[0]}\n`);
    const store = createFileJournalStore({
      path,
      onQuarantine: () => {
        throw new Error('listener bug');
      },
    });
    const seen: string[] = [];
    const unsubscribe = store.onQuarantine?.((event) => seen.push(event.reason));
    expect((await store.pending('t')).count).toBe(1);
    expect(seen).toEqual(['line 1: not valid JSON']);
    unsubscribe?.();
    await store.close?.();
  });
});

describe('memory journal store: records of the wrong shape', () => {
  it('rejects them with a typed JournalStoreError, never a TypeError', async () => {
    const store = createMemoryJournalStore();
    await expect(store.add('t', undefined as never)).rejects.toMatchObject({
      name: 'JournalStoreError',
      store: 'journal-memory',
      operation: 'add',
      message: expect.stringContaining('op must be an object'),
    });
    await expect(store.add('t', { ...op('create:c1', 'c1'), call: undefined })).rejects.toThrow(
      /op.call must be an object for a create/,
    );
    await expect(
      store.release('t', { ...op('note:c1:a', 'c1'), nextAttemptAt: 'soon' as never }),
    ).rejects.toThrow(JournalStoreError);
    await expect(store.bury('t', { op: op('create:c1', 'c1') } as never)).rejects.toThrow(
      /letter.failedAt must be a finite number/,
    );
  });
});

describe('the connector reports quarantined journal lines', () => {
  it('emits journalQuarantine for its own connection and counts them in journalStats()', async () => {
    const { ZohoCrmConnector } = await import('../../src/connector.js');
    const path = await mkdtemp(join(root, 'connector-'));
    const seed = createFileJournalStore({ path });
    await seed.setLogged('tenant-1', 'c1', 'z1');
    await seed.setLogged('tenant-2', 'c1', 'z1');
    await seed.close?.();
    for (const name of await readdir(path))
      await writeFile(join(path, name), '{"t":"L","c":"c2"}\n', { flag: 'a' });

    const store = createFileJournalStore({ path });
    const base = {
      clientId: '1000.CLIENT',
      clientSecret: 'client-secret-value',
      redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
      journal: { store },
    };
    const one = new ZohoCrmConnector({ ...base, connectionId: 'tenant-1' });
    const two = new ZohoCrmConnector({ ...base, connectionId: 'tenant-2' });
    const events: JournalQuarantineEvent[] = [];
    one.on('journalQuarantine', (event) => events.push(event));
    const stats = await one.journalStats();
    expect(stats.quarantined).toBe(1);
    expect(events).toEqual([
      expect.objectContaining({
        connectionId: 'tenant-1',
        reason: 'line 2: wrong shape: z must be a string',
      }),
    ]);
    expect((await two.journalStats()).quarantined).toBe(1);
    expect(events).toHaveLength(1); // tenant-2's line is not tenant-1's event
    await one.close();
    await two.close();
    await store.close?.();
  });
});
