/**
 * Call-journal benchmark: 10,000 calls journaled against the Zoho emulator over HTTP, with the real HTTP
 * client and the real caller lookup. Reports requests by kind, API credits and calls per second.
 * Run: `node --expose-gc --import tsx bench/journal.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createZohoHttp } from '../src/http/client.js';
import { createJournal } from '../src/journal/journal.js';
import { createMemoryJournalStore } from '../src/journal/memory-store.js';
import type { PbxCall } from '../src/journal/pbx-call.js';
import type { JournalStore } from '../src/journal/store.js';
import { createCallerLookup } from '../src/lookup/caller-lookup.js';
import { type JournalOptions, parseConnectorOptions } from '../src/options.js';
import { REGIONS } from '../src/regions.js';
import { createFileJournalStore } from '../src/stores/journal-file.js';
import { startZohoEmulator, type ZohoEmulatorOptions } from '../src/testing/index.js';
import { type BenchSection, printWhenMain, sized } from './types.js';

const CALLS = sized(10_000, 300);
const NUMBERS = 200;

type Scenario = 'live' | 'queued';

/** The emulator over HTTP, with a client, an access token, the real HTTP client and resolved options. */
async function benchZoho(emulator: ZohoEmulatorOptions, retries: number, journal: JournalOptions) {
  const emu = await startZohoEmulator({ creditLimit: Number.POSITIVE_INFINITY, ...emulator });
  emu.registerClient({
    clientId: '1000.BENCH',
    clientSecret: 'secret',
    redirectUris: ['http://localhost/cb'],
  });
  const { accessToken } = emu.issueTokens();
  const http = createZohoHttp({
    tokens: {
      getAccessToken: async () => ({ accessToken, apiDomain: emu.apiUrl }),
      refreshAfterRejection: async () => ({ accessToken, apiDomain: emu.apiUrl }),
    },
    timeoutMs: 30_000,
    deadlineMs: 60_000,
    retries,
    maxConcurrency: 20,
  });
  const resolved = parseConnectorOptions({
    connectionId: 'bench',
    clientId: '1000.BENCH',
    clientSecret: 'secret',
    redirectUri: 'http://localhost/cb',
    journal,
  });
  return { emu, http, resolved };
}

async function measure(
  label: string,
  scenario: Scenario,
  store: () => Promise<{ store: JournalStore; close(): Promise<void> }>,
  tasks = false,
): Promise<Record<string, string | number>> {
  const { emu, http, resolved } = await benchZoho(
    {
      users: [
        { email: 'admin@example.com', lastName: 'Admin' },
        { email: 'agent@example.com', lastName: 'Agent', extension: '201' },
      ],
    },
    3,
    {
      userExtensionField: 'Extension',
      ...(tasks ? { missedCallTask: { enabled: true, dueInMinutes: 60 } } : {}),
    },
  );
  try {
    const lookup = createCallerLookup({ http, lookup: resolved.lookup, region: () => REGIONS.US });
    const numbers = Array.from({ length: NUMBERS }, (_, i) => `+1415555${String(4000 + i)}`);
    // Half the callers are known Contacts, half are unknown.
    emu.seed(
      'Contacts',
      numbers.slice(0, NUMBERS / 2).map((phone, i) => ({ Last_Name: `Caller ${i}`, Phone: phone })),
    );
    const { store: journalStore, close } = await store();
    const journal = createJournal({
      connectionId: 'bench',
      http,
      lookup,
      options: resolved.journal,
      defaultCountry: 'US',
      store: journalStore,
      region: () => REGIONS.US,
      answerWithinMs: 600_000, // "queued" means every first attempt failed during the outage
    });
    const end = Date.now() - 60_000;
    const calls: PbxCall[] = Array.from({ length: CALLS }, (_, i) => ({
      id: `bench-${i}`,
      direction: i % 3 === 0 ? 'outbound' : 'inbound',
      trunk: true,
      from: i % 3 === 0 ? '201' : (numbers[i % NUMBERS] as string),
      to: i % 3 === 0 ? (numbers[i % NUMBERS] as string) : '+14155550100',
      agent: { extension: '201' },
      startedAt: new Date(end - 300_000),
      ...(i % 5 === 0 ? {} : { answeredAt: new Date(end - 280_000) }),
      endedAt: new Date(end),
      status: i % 5 === 0 ? 'missed' : 'answered',
      ...(i % 4 === 0 ? { recording: { url: `https://pbx.example.com/rec/${i}.wav` } } : {}),
    }));

    if (scenario === 'queued') {
      emu.faults({ outage: true });
      await Promise.all(calls.map((c) => journal.logCall(c)));
      emu.faults(null);
    }
    const before = emu.stats();
    const started = performance.now();
    if (scenario === 'live') await Promise.all(calls.map((c) => journal.logCall(c)));
    const left = await journal.flush();
    const seconds = (performance.now() - started) / 1000;
    const after = emu.stats();
    await journal.close();
    await close();

    const delta = (key: string) => (after.requests[key] ?? 0) - (before.requests[key] ?? 0);
    const searches = Object.keys(after.requests)
      .filter((key) => key.endsWith('/search'))
      .reduce((sum, key) => sum + delta(key), 0);
    const logged = emu.records('Calls').length;
    if (logged !== CALLS || left.pending !== 0)
      throw new Error(`${label}: ${logged} of ${CALLS} calls logged`);
    // Missed inbound calls: every 5th call is missed, every 3rd is outbound.
    const missedInbound = calls.filter((c) => c.status === 'missed' && c.direction === 'inbound').length;
    const taskCount = emu.records('Tasks').length;
    if (taskCount !== (tasks ? missedInbound : 0))
      throw new Error(`${label}: ${taskCount} tasks for ${missedInbound} missed inbound calls`);
    const taskInserts = delta('POST /crm/v8/Tasks');
    return {
      scenario: label,
      calls: CALLS,
      'insert requests': delta('POST /crm/v8/Calls'),
      'task inserts (tasks)': `${taskInserts} (${taskCount})`,
      'lookup searches': searches,
      'other requests':
        after.totalRequests - before.totalRequests - delta('POST /crm/v8/Calls') - taskInserts - searches,
      credits: after.creditsUsed - before.creditsUsed,
      'wall s': seconds.toFixed(2),
      'calls/s': Math.round(CALLS / seconds),
    };
  } finally {
    await emu.close();
  }
}

/**
 * What the read-back costs: every insert's answer is lost after Zoho stored it (the `lostAnswer` fault),
 * then the journal drains: it reads back instead of inserting again.
 */
async function measureReadBack(dedupeField: string | undefined): Promise<Record<string, string | number>> {
  const { emu, http, resolved } = await benchZoho(
    { requestLogSize: 0, ...(dedupeField ? { uniqueFields: { Calls: [dedupeField] } } : {}) },
    0,
    dedupeField ? { dedupeField } : {},
  );
  try {
    const journal = createJournal({
      connectionId: 'bench',
      http,
      lookup: { findByE164: async () => null },
      options: resolved.journal,
      defaultCountry: 'US',
      store: createMemoryJournalStore(),
      readBackAfterMs: 0,
      answerWithinMs: 600_000, // every first attempt happens while the answers are being lost
    });
    // One call every 30 s over three and a half days: a busy trunk, not 10,000 calls in one second.
    const first = Date.now() - CALLS * 30_000;
    const calls: PbxCall[] = Array.from({ length: CALLS }, (_, i) => ({
      id: `bench-${i}`,
      direction: 'inbound',
      trunk: true,
      from: '+14155554000',
      to: '+14155550100',
      startedAt: new Date(first + i * 30_000),
      endedAt: new Date(first + i * 30_000 + 20_000),
      status: 'missed',
    }));
    emu.faults({ lostAnswer: 'drop', every: 1 });
    await Promise.all(calls.map((c) => journal.logCall(c)));
    emu.faults(null);
    const lostBatches = emu.stats().requests['POST /crm/v8/Calls'] ?? 0;
    const before = emu.stats();
    const left = await journal.flush();
    const after = emu.stats();
    await journal.close();
    const delta = (key: string) => (after.requests[key] ?? 0) - (before.requests[key] ?? 0);
    if (emu.records('Calls').length !== CALLS || left.pending !== 0)
      throw new Error(`read-back: ${emu.records('Calls').length} of ${CALLS} calls`);
    const coql = delta('POST /crm/v8/coql');
    return {
      scenario: `every insert answer lost, then read back (${dedupeField ? 'dedupe field' : 'description marker'})`,
      'batches with a lost answer': lostBatches,
      'read-back requests (COQL)': coql,
      'per lost batch': (coql / Math.max(1, lostBatches)).toFixed(1),
      'inserts sent again': delta('POST /crm/v8/Calls'),
      'read-back credits': after.creditsUsed - before.creditsUsed,
    };
  } finally {
    await emu.close();
  }
}

const memory = async () => ({ store: createMemoryJournalStore(), close: async () => undefined });

async function file(): Promise<{ store: JournalStore; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-journal-'));
  const store = createFileJournalStore({ path: dir });
  return {
    store,
    async close() {
      await store.close?.();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The journal benchmark section. */
export async function run(): Promise<BenchSection> {
  const rows = [
    await measure('10,000 calls ending together (memory store)', 'live', memory),
    await measure('10,000 calls queued during an outage, then drained (memory store)', 'queued', memory),
    await measure('10,000 calls queued during an outage, then drained (file store, fsync)', 'queued', file),
    await measure('10,000 calls ending together, missed-call tasks on (memory store)', 'live', memory, true),
    await measure(
      '10,000 calls queued during an outage, then drained, missed-call tasks on (memory store)',
      'queued',
      memory,
      true,
    ),
  ];
  const queuedInserts = Math.max(
    ...rows
      .filter((row) => String(row.scenario).includes('queued'))
      .map((row) => Number(row['insert requests'])),
  );
  const readBack = [await measureReadBack(undefined), await measureReadBack('PBX_Call_ID')];
  return {
    title: 'Call journal: 10,000 calls',
    description:
      `10,000 trunk calls (inbound, outbound and missed; a quarter with recordings) from ${NUMBERS} numbers, half of ` +
      'them known Contacts, journaled against the Zoho emulator over HTTP with the real HTTP client and caller ' +
      'lookup. "Ending together" calls logCall for all of them at once (they are written in batches of up to 100 ' +
      'Calls per insert); "queued" logs them while Zoho is in an outage and measures the drain with flush() after ' +
      "it ends. Credits are the emulator's count (1 per search or read, 1 per 10 records written). The calls/s " +
      'figure is bounded by the emulator and this machine, not by Zoho.',
    rows,
    targets: [
      {
        target: 'journaling 10,000 queued calls uses at most 100 insert requests',
        met: queuedInserts <= 100,
        actual: `${queuedInserts} inserts`,
      },
      {
        target: 'missed-call tasks are written in batches: at most one task insert per 50 tasks',
        met: rows
          .filter((row) => String(row.scenario).includes('tasks on'))
          .every((row) => {
            const [inserts, tasks] = String(row['task inserts (tasks)']).match(/\d+/g)?.map(Number) ?? [];
            return (inserts ?? Number.POSITIVE_INFINITY) <= Math.ceil((tasks ?? 0) / 50);
          }),
        actual: rows
          .filter((row) => String(row.scenario).includes('tasks on'))
          .map((row) => `${row['task inserts (tasks)']} task inserts (tasks)`)
          .join(', '),
      },
      {
        target: 'a batch whose answer was lost is read back, never inserted again',
        met: readBack.every((row) => row['inserts sent again'] === 0),
        actual: readBack.map((row) => `${row['per lost batch']} COQL per lost batch`).join(', '),
      },
    ],
    notes: [
      'Lookup searches are one per module (Contacts, Leads, Accounts) for each distinct unknown number and one for each known one; the lookup cache answers every other call.',
      'Other requests: the org time zone and Calls field metadata (once), the active users for owner mapping (once).',
      'Missed-call tasks on: one Tasks record per missed inbound call (every 5th call is missed, every 3rd outbound, so 1,333 of the 10,000), written after their calls in batches of up to 100 per POST /Tasks (a drain takes 400 operations a slice, so its tasks go in smaller batches).',
      ...readBack.map(
        (row) =>
          `Read-back, ${row.scenario}: ${row['batches with a lost answer']} batches of 100 lost → ${row['read-back requests (COQL)']} COQL requests (${row['per lost batch']} per batch, ${row['read-back credits']} credits), ${row['inserts sent again']} inserts sent again.`,
      ),
    ],
  };
}

await printWhenMain(import.meta, run);
