import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FAKE_TIME } from './helpers/time.js';

// Every example runs against the embedded emulator, as CI runs them. Their console output is silenced.
const quiet = () => vi.spyOn(console, 'log').mockImplementation(() => {});

// Their lookups' ring deadlines run on fake time: no example misses a caller because the machine is slow.
beforeEach(() => {
  vi.useFakeTimers(FAKE_TIME);
});
afterEach(() => {
  vi.useRealTimers();
});

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

  it('journal-call.ts logs one activity, and a redelivery writes nothing', async () => {
    quiet();
    const { main } = await import('../examples/journal-call.js');
    const { first, again, activity } = await main();
    expect([first, again]).toEqual(['logged', 'logged']);
    expect(activity).toMatchObject({ Call_Type: 'Inbound', Call_Duration: '04:10' });
    expect(String(activity?.Voice_Recording__s)).toMatch(/^https:\/\/pbx\.example\.com\/recordings\//);
  });

  it('org-fields.ts fills a mandatory custom field, result and purpose, the transfer path and Lead_Source', async () => {
    quiet();
    const { main } = await import('../examples/org-fields.js');
    const { activity, lead, configErrors } = await main();
    expect(activity).toMatchObject({
      Region: 'EMEA',
      Call_Result: 'Requested call back',
      Call_Purpose: 'Demo',
    });
    expect(String(activity?.Description)).toMatch(
      /^Agent: Alan Turing \(ext\. 202\)\nTransferred \d\d:\d\d:\d\d: Grace Hopper/,
    );
    expect(lead).toMatchObject({ Lead_Source: 'Phone', Last_Name: 'Doe' });
    expect(configErrors).toEqual([]);
  });

  it('missed-call-task.ts: a missed call gets one "Call back" task on the Contact, redelivery adds none', async () => {
    quiet();
    const { main } = await import('../examples/missed-call-task.js');
    const { tasks, again } = await main();
    expect(again).toBe('logged');
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      Subject: 'Call back Ada Lovelace (+1 415 555 2671)',
      Status: 'Not Started',
      Who_Id: { id: expect.any(String) },
      $se_module: 'Accounts',
    });
  });

  it('notes-and-late-transcription.ts: held and later notes land on one activity with the transcription', async () => {
    quiet();
    const { main } = await import('../examples/notes-and-late-transcription.js');
    const { activities, notes, description } = await main();
    expect(activities).toBe(1);
    expect(notes).toEqual(['Interested in the annual plan', 'Send pricing by Friday']);
    expect(description).toContain('Wants annual pricing for 20 seats.');
  });

  it('create-lead.ts creates a Lead once, and the next ring knows it', async () => {
    quiet();
    const { main } = await import('../examples/create-lead.js');
    expect(await main()).toEqual({ before: null, created: 'Jane Doe', after: 'Jane Doe', sameRecord: true });
  });

  it('portsip-webhook.ts answers a ringing event with the name and logs the ended call', async () => {
    quiet();
    const { main } = await import('../examples/portsip-webhook.js');
    const { ringing, ended, internal } = await main();
    expect(ringing).toEqual({ name: 'Analytical Engines Ltd' });
    expect(ended).toMatchObject({ status: 'logged' });
    expect(internal).toEqual({ status: 'skipped', reason: 'internal call' });
  });

  it('multi-tenant.ts: three tenants in two data centres authorize through one redirect URI', async () => {
    quiet();
    const { main } = await import('../examples/multi-tenant.js');
    const { connected, callers } = await main();
    expect(connected).toEqual([
      'acme-us: connected (US)',
      'globex-eu: connected (EU)',
      'initech-us: connected (US)',
    ]);
    expect(callers).toEqual({
      'acme-us': 'Ada Lovelace',
      'globex-eu': 'Karl Weber',
      'initech-us': 'Ada Lovelace',
    });
  });

  it('import-calls.ts backfills 250 calls, and a second run skips them all', async () => {
    quiet();
    const { main } = await import('../examples/import-calls.js');
    const { first, again, windows } = await main();
    expect(first).toEqual({ done: 250, logged: 250, skipped: 0, failed: 0, queued: 0 });
    expect(again).toEqual({ done: 250, logged: 0, skipped: 250, failed: 0, queued: 0 });
    expect(windows).toBe(1); // 250 calls fit one window of 500
  });

  it('update-deal.ts creates, updates, reads back and deletes a Deal through zoho.request', async () => {
    quiet();
    const { main } = await import('../examples/update-deal.js');
    expect(await main()).toEqual({ created: 'SUCCESS', stage: 'Closed Won', amount: 12_000 });
  });

  it('watch-changes.ts: a contact renamed in Zoho shows its new name at the next ring', async () => {
    quiet();
    const { main } = await import('../examples/watch-changes.js');
    expect(await main()).toEqual({ before: 'Ada Lovelace', after: 'Ada King', invalidated: 1 });
  });

  it('demo.ts walks the whole seed flow', async () => {
    quiet();
    const { main } = await import('../examples/demo.js');
    expect(await main()).toMatchObject({
      region: 'EU',
      contact: 'Ada Lovelace',
      lead: 'Grace Hopper',
      pbx: 'Reception (PBX)',
      createdLead: 'Jane Doe',
      calls: 4,
      notes: 2,
    });
  });

  describe.skipIf(!process.env.REDIS_URL)('with Redis (skipped without REDIS_URL; .ci/run sets it)', () => {
    it('redis-cluster.ts: two processes share one grant and refresh once', async () => {
      // Real timers: a node waiting for the other's Redis lock backs off on real time (Redis TTLs are).
      vi.useRealTimers();
      quiet();
      const { main } = await import('../examples/redis-cluster.js');
      const { refreshes, nodeB } = await main();
      expect(refreshes).toBe(1);
      expect(nodeB).toContain('Ada Lovelace ×20');
    }, 60_000);

    it('shared-cache.ts: node B answers what node A found without Zoho; invalidate empties Redis', async () => {
      vi.useRealTimers(); // Redis TTLs and the shared cache's read budget are real time
      quiet();
      const { main } = await import('../examples/shared-cache.js');
      expect(await main()).toEqual({
        nodeA: 'Ada Lovelace',
        nodeB: 'Ada Lovelace',
        sourceB: 'cache',
        zohoRequestsForB: 0,
        cachedAfter: 0,
      });
    }, 60_000);
  });
});
