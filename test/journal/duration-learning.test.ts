/**
 * Learning how the org reads `Call_Duration` from the journal's own traffic, against the emulator read
 * both ways (`durationReading`): every stored `Call_Duration_in_seconds` equals the real duration, from
 * the first batch on, with concurrent batches, lost answers, failed read-backs and restarts; the
 * requests spent on learning are counted and stop once the reading is known.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createCalibrationKeeper } from '../../src/calibration/keeper.js';
import type { JournalApi } from '../../src/journal/journal.js';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import { type Logger, noopLogger } from '../../src/logger.js';
import type { JournalOptions } from '../../src/options.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { StoredTokens, TokenStore } from '../../src/stores/types.js';
import { type HarnessOptions, harness, manualTime, START, upsertsSent } from './harness.js';

afterAll(() => expect(upsertsSent).toEqual([]));

const READINGS = ['mm:ss', 'HH:mm'] as const;
type Reading = (typeof READINGS)[number];
/** Answered calls' real durations: under a minute, at the edges of minutes and hours, past an hour. */
const SECONDS = [1, 45, 59, 60, 61, 252, 3599, 3600, 4503];
const iso = (offsetMs: number) => new Date(START - 600_000 + offsetMs).toISOString();

const TOKENS: StoredTokens = {
  accessToken: '1000.access',
  refreshToken: '1000.refresh',
  expiresAt: START + 3_600_000,
  apiDomain: 'https://www.zohoapis.com',
  accountsServer: 'https://accounts.zoho.com',
  region: 'US',
  grantedAt: START,
};

function answered(id: string, seconds: number, extra: Partial<PbxCall> = {}): PbxCall {
  return {
    id,
    direction: 'inbound',
    trunk: true,
    from: '+14155552671',
    to: '+14155550100',
    startedAt: iso(0),
    answeredAt: iso(10_000),
    endedAt: iso(10_000 + seconds * 1000),
    status: 'answered',
    ...extra,
  };
}

function missed(id: string): PbxCall {
  return { ...answered(id, 0), status: 'missed', answeredAt: undefined, endedAt: iso(20_000) };
}

/** A mix of answered calls (every duration of SECONDS) and missed ones, ids prefixed. */
function mix(prefix: string, count: number): Array<{ call: PbxCall; seconds: number }> {
  return Array.from({ length: count }, (_, i) => {
    if (i % 5 === 4) return { call: missed(`${prefix}-${i}`), seconds: 0 };
    const seconds = SECONDS[i % SECONDS.length] as number;
    return { call: answered(`${prefix}-${i}`, seconds), seconds };
  });
}

async function tokenStore(): Promise<TokenStore> {
  const store = createMemoryStore();
  await store.set('tenant-42', TOKENS);
  return store;
}

function recordingLogger() {
  const lines: Array<{ level: string; msg: string; data: unknown }> = [];
  const at =
    (level: string) =>
    (data: unknown, msg?: string): void => {
      lines.push({ level, msg: msg ?? '', data });
    };
  const logger: Logger = { ...noopLogger, info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

interface Setup {
  reading: Reading;
  journal?: JournalOptions;
  tokens?: TokenStore;
  time?: ReturnType<typeof manualTime>;
  intercept?: HarnessOptions['intercept'];
}

async function setup(options: Setup) {
  const time = options.time ?? manualTime();
  const tokens = options.tokens ?? (await tokenStore());
  const log = recordingLogger();
  const keeper = createCalibrationKeeper({
    connectionId: 'tenant-42',
    store: tokens,
    now: time.now,
    logger: noopLogger,
  });
  const h = harness({
    time,
    emulator: { durationReading: options.reading },
    journal: options.journal ?? {},
    deps: { calibration: keeper, logger: log.logger },
    ...(options.intercept ? { intercept: options.intercept } : {}),
  });
  return { h, keeper, tokens, time, log };
}

/** PBX call id → the seconds Zoho holds for it. */
function storedSeconds(h: ReturnType<typeof harness>): Map<string, unknown> {
  return new Map(
    h.emu
      .records('Calls')
      .map((r) => [/PBX call ID: (\S+)/.exec(String(r.Description))?.[1] ?? '', r.Call_Duration_in_seconds]),
  );
}

function expectTrueDurations(
  h: ReturnType<typeof harness>,
  calls: Array<{ call: PbxCall; seconds: number }>,
) {
  const stored = storedSeconds(h);
  expect(stored.size).toBe(calls.length); // nothing lost, nothing duplicated
  expect(h.emu.records('Calls')).toHaveLength(calls.length);
  for (const { call, seconds } of calls) expect(stored.get(call.id), call.id).toBe(seconds);
}

/** The records of every request to `METHOD path`, one array per request. */
function sent(
  h: ReturnType<typeof harness>,
  method: string,
  path: string,
): Array<Array<Record<string, unknown>>> {
  return h.requests
    .filter((r) => r.method === method && r.path === path)
    .map((r) => (r.body as { data: Array<Record<string, unknown>> }).data);
}

async function logAll(journal: JournalApi, calls: Array<{ call: PbxCall }>) {
  const results = await Promise.all(calls.map(({ call }) => journal.logCall(call)));
  expect(results.every((r) => r.status === 'logged')).toBe(true);
  return results;
}

describe.each(READINGS)('an org reading "a:b" as %s, calibration unknown', (reading) => {
  const wrongWay = reading === 'HH:mm';

  it('the first batch is read back once, learned, corrected in one update; later batches cost nothing extra', async () => {
    const { h, tokens } = await setup({ reading });
    const first = mix('first', 30);
    await logAll(h.journal, first);
    expectTrueDurations(h, first);
    expect(h.count('POST /Calls')).toBe(1);
    expect(h.count('POST /coql')).toBe(1);
    expect(h.count('PUT /Calls')).toBe(wrongWay ? 1 : 0);
    // The insert left the computed field to Zoho; the read-back asked for the batch's answered calls only.
    expect(sent(h, 'POST', '/Calls')[0]?.every((r) => !('Call_Duration_in_seconds' in r))).toBe(true);
    const coql = h.requests.find((r) => r.path === '/coql')?.body as { select_query?: string } | undefined;
    const query = String(coql?.select_query);
    expect(query).toMatch(/^select id, Call_Duration, Call_Duration_in_seconds from Calls where id in \(/);
    expect(query.split("'").length).toBe(1 + 2 * 24); // 24 answered, 6 missed (00:00 tells nothing)
    const stored = (await tokens.get('tenant-42')) as StoredTokens & {
      calibration?: Record<string, unknown>;
    };
    expect(stored.calibration).toMatchObject({
      durationFormat: reading,
      sources: { durationFormat: 'traffic' },
    });
    expect(stored.accessToken).toBe(TOKENS.accessToken);

    // From now on the journal writes what Zoho reads: no read-back, no correction.
    const second = mix('second', 20);
    await logAll(h.journal, second);
    expectTrueDurations(h, [...first, ...second]);
    expect(h.count('POST /Calls')).toBe(2);
    expect(h.count('POST /coql')).toBe(1);
    expect(h.count('PUT /Calls')).toBe(wrongWay ? 1 : 0);
    const long = sent(h, 'POST', '/Calls')[1]?.find((r) => r.Call_Duration_in_seconds === 252);
    expect(long?.Call_Duration).toBe(wrongWay ? '00:04:12' : '04:12');
    expect((await h.journal.stats()).updates).toBe(wrongWay ? 24 : 0);
  });

  it('concurrent batches written before the reading is known are all corrected; one read-back', async () => {
    const { h } = await setup({ reading, journal: { batchSize: 10 } });
    // Three waves in separate ticks (separate passes); Zoho's token is held until all are waiting, so
    // every insert goes out before any read-back answers.
    const release = h.holdTokens();
    const waves = [mix('wave-a', 25), mix('wave-b', 25), mix('wave-c', 12)];
    const pending: Promise<unknown>[] = [];
    for (const wave of waves) {
      pending.push(logAll(h.journal, wave));
      await new Promise((resolve) => setImmediate(resolve));
    }
    release();
    await Promise.all(pending);
    expectTrueDurations(h, waves.flat());
    const inserts = sent(h, 'POST', '/Calls');
    expect(inserts.length).toBeGreaterThanOrEqual(7); // 62 calls, 10 per insert, more than one pass
    // Whichever pass reads first decides; the others wait for it or find the reading known.
    expect(h.count('POST /coql')).toBe(1);
    // Every answered call written before the reading was known (as minutes and seconds) is corrected
    // once in an HH:mm org; the passes that started first wrote at least the first two waves so.
    const twoPart = inserts
      .flat()
      .filter((d) => /^\d+:\d+$/.test(String(d.Call_Duration)) && d.Call_Duration !== '00:00');
    expect(twoPart.length).toBeGreaterThanOrEqual(40);
    const corrected = sent(h, 'PUT', '/Calls')
      .flat()
      .map((d) => d.id);
    expect(corrected).toHaveLength(wrongWay ? twoPart.length : 0);
    expect(new Set(corrected).size).toBe(corrected.length);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
  });

  it('after a restart with the stored calibration nothing is learned again', async () => {
    const tokens = await tokenStore();
    const before = await setup({ reading, tokens });
    await logAll(before.h.journal, mix('before', 10));
    await before.h.journal.close();
    expect(before.h.count('POST /coql')).toBe(1);

    const after = await setup({ reading, tokens });
    const calls = mix('after', 40);
    await logAll(after.h.journal, calls);
    expectTrueDurations(after.h, calls);
    expect(after.h.count('POST /coql')).toBe(0);
    expect(after.h.count('PUT /Calls')).toBe(0);
    expect(
      sent(after.h, 'POST', '/Calls')[0]?.every((r) => typeof r.Call_Duration_in_seconds === 'number'),
    ).toBe(true);
    await after.h.journal.close();
  });

  it('a failed read-back or correction is retried by the outbox; no call is lost or written twice', async () => {
    let failCoql = 1;
    let failPut = 1;
    const { h, time } = await setup({
      reading,
      intercept: (request) => {
        if (request.path === '/coql' && failCoql-- > 0) return new Response('busy', { status: 503 });
        if (request.method === 'PUT' && request.path === '/Calls' && failPut-- > 0)
          return new Response('busy', { status: 503 });
        return undefined;
      },
    });
    const calls = mix('retry', 15);
    await logAll(h.journal, calls); // logged at once: the check is the journal's own business
    expect(h.emu.records('Calls')).toHaveLength(15);
    expect((await h.journal.stats()).pending).toBe(12); // the checks of the answered calls wait
    await time.advance(10 * 60_000);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
    expectTrueDurations(h, calls);
    expect(h.count('POST /coql')).toBe(2); // the failed one and its retry
    expect(h.count('PUT /Calls')).toBe(wrongWay ? 2 : 0);
    expect(h.count('POST /Calls')).toBe(1);
  });

  it('checks left in the store by a stopped process are settled by the next one', async () => {
    const tokens = await tokenStore();
    const time = manualTime();
    let coqlDown = true;
    const first = await setup({
      reading,
      tokens,
      time,
      intercept: (request) =>
        request.path === '/coql' && coqlDown ? new Response('down', { status: 503 }) : undefined,
    });
    const calls = mix('stopped', 10);
    await logAll(first.h.journal, calls);
    await first.h.journal.close();
    coqlDown = false;
    const second = first.h.restart({
      calibration: createCalibrationKeeper({
        connectionId: 'tenant-42',
        store: tokens,
        now: time.now,
        logger: noopLogger,
      }),
    });
    await time.advance(10 * 60_000);
    expect(await second.flush()).toEqual({ pending: 0, deadLetters: 0 });
    expectTrueDurations(first.h, calls);
    await second.close();
  });

  it('an insert whose answer was lost is read back, and its duration checked like the others', async () => {
    const { h, time } = await setup({ reading });
    h.emu.faults({ lostAnswer: 'error', rate: 1 });
    const calls = mix('lost', 8);
    const results = await Promise.all(calls.map(({ call }) => h.journal.logCall(call)));
    expect(results.every((r) => r.status === 'queued')).toBe(true);
    h.emu.faults(null);
    await time.advance(61_000);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
    expectTrueDurations(h, calls);
    expect(h.count('POST /Calls')).toBe(1);
  });

  it('missed calls alone tell nothing: no read-back', async () => {
    const { h } = await setup({ reading });
    await logAll(h.journal, [{ call: missed('m1') }, { call: missed('m2') }]);
    expect(h.count('POST /coql')).toBe(0);
    expect((await h.journal.stats()).pending).toBe(0);
  });
});

describe('pinning the reading with journal.durationFormat', () => {
  it.each(READINGS)(
    '%s pinned: written for that reading at once, nothing learned or read back',
    async (reading) => {
      const { h, tokens } = await setup({ reading, journal: { durationFormat: reading } });
      const calls = mix('pinned', 20);
      await logAll(h.journal, calls);
      expectTrueDurations(h, calls);
      expect(h.count('POST /coql')).toBe(0);
      expect(h.count('PUT /Calls')).toBe(0);
      expect(((await tokens.get('tenant-42')) as { calibration?: unknown }).calibration).toBeUndefined();
    },
  );

  it('a pin the calibration contradicts is honoured, with a warning', async () => {
    const tokens = await tokenStore();
    const keeper = createCalibrationKeeper({
      connectionId: 'tenant-42',
      store: tokens,
      now: () => START,
      logger: noopLogger,
    });
    await keeper.update({ durationFormat: 'HH:mm', sources: { durationFormat: 'diagnose' } });
    const { h, log } = await setup({ reading: 'HH:mm', tokens, journal: { durationFormat: 'mm:ss' } });
    await logAll(h.journal, [{ call: answered('p1', 252) }]);
    expect(h.emu.records('Calls')[0]?.Call_Duration).toBe('04:12');
    expect(log.lines.filter((l) => l.level === 'warn' && /pins a reading/.test(l.msg))).toHaveLength(1);
  });

  it("'hh:mm:ss' writes three parts, read alike both ways; nothing learned", async () => {
    for (const reading of READINGS) {
      const { h } = await setup({ reading, journal: { durationFormat: 'hh:mm:ss' } });
      const calls = mix('three', 10);
      await logAll(h.journal, calls);
      expectTrueDurations(h, calls);
      expect(h.count('POST /coql')).toBe(0);
    }
  });
});

describe('when the read-back cannot tell', () => {
  it('stops after three read-backs without stored seconds, and says so', async () => {
    const { h, log } = await setup({
      reading: 'HH:mm',
      intercept: (request) =>
        request.path === '/coql'
          ? Response.json({ data: [], info: { more_records: false, count: 0 } })
          : undefined,
    });
    for (let batch = 0; batch < 5; batch++) await logAll(h.journal, mix(`blind-${batch}`, 5));
    expect(h.count('POST /coql')).toBe(3);
    expect(log.lines.some((l) => l.level === 'warn' && /stopped learning/.test(l.msg))).toBe(true);
    expect((await h.journal.flush()).pending).toBe(0);
  });

  it('stops at once when Zoho refuses the query for good, and keeps every call', async () => {
    const { h } = await setup({
      reading: 'mm:ss',
      intercept: (request) =>
        request.path === '/coql'
          ? Response.json(
              { code: 'INVALID_QUERY', status: 'error', message: 'invalid query', details: {} },
              { status: 400 },
            )
          : undefined,
    });
    await logAll(h.journal, mix('refused', 5));
    await logAll(h.journal, mix('refused-2', 5));
    expect(h.count('POST /coql')).toBe(1);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
    expect(h.emu.records('Calls')).toHaveLength(10);
  });
});
