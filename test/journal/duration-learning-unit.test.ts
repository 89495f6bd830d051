/**
 * The I/O part of duration learning on its own, over a fake Zoho that answers COQL from a table of
 * stored durations and can hold its answer: single flight, what is remembered where, when it stops.
 */
import { describe, expect, it } from 'vitest';
import { emptyCalibration, type OrgCalibration } from '../../src/calibration/calibration.js';
import type { CalibrationKeeper } from '../../src/calibration/keeper.js';
import type { ZohoHttp } from '../../src/http/client.js';
import { createDurationLearning, type DurationCheck } from '../../src/journal/duration-learning.js';
import { secondsAsRead } from '../../src/journal/duration-reading.js';
import { noopLogger } from '../../src/logger.js';

/** Zoho holding, per activity id, a text read under `reading`. */
function fakeZoho(reading: 'mm:ss' | 'HH:mm', texts: Record<string, string>) {
  const queries: string[] = [];
  let gate: Promise<void> | undefined;
  let open = () => {};
  const http: ZohoHttp = {
    queued: 0,
    async request(request) {
      const query = String((request.body as { select_query: string }).select_query);
      queries.push(query);
      if (gate) await gate;
      const ids = [...query.matchAll(/'(\d+)'/g)].map((m) => m[1] as string);
      const data = ids
        .filter((id) => texts[id] !== undefined)
        .map((id) => ({
          id,
          Call_Duration: texts[id],
          Call_Duration_in_seconds: secondsAsRead(texts[id] as string, reading),
        }));
      return { status: 200, data: { data, info: { more_records: false } } } as never;
    },
  };
  return {
    http,
    queries,
    hold() {
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      return () => {
        gate = undefined;
        open();
      };
    },
  };
}

function fakeKeeper(initial: Partial<OrgCalibration> = {}, failUpdates = false) {
  let known: OrgCalibration = { ...emptyCalibration(), ...initial };
  const updates: Array<Partial<OrgCalibration>> = [];
  const keeper: CalibrationKeeper = {
    current: () => known,
    load: async () => known,
    async update(patch) {
      updates.push(patch);
      if (failUpdates) throw Object.assign(new Error('store down'), { code: 'TOKEN_STORE' });
      known = { ...known, ...patch };
      return known;
    },
  };
  return {
    keeper,
    updates,
    set(patch: Partial<OrgCalibration>) {
      known = { ...known, ...patch };
    },
  };
}

const check = (id: string, seconds: number, written?: string): DurationCheck => ({
  callId: `call-${id}`,
  zohoCallId: id,
  seconds,
  ...(written !== undefined ? { written } : {}),
});

describe('duration learning', () => {
  it('checks settled while a read-back is in flight wait for it and need no read of their own', async () => {
    const zoho = fakeZoho('HH:mm', { '1': '04:12', '2': '00:45' });
    const { keeper, updates } = fakeKeeper();
    const learning = createDurationLearning({
      http: zoho.http,
      option: 'auto',
      calibration: keeper,
      logger: noopLogger,
    });
    expect(await learning.plan()).toEqual({ format: 'mm:ss', learning: true });
    const release = zoho.hold();
    const first = learning.settle([check('1', 252, '04:12')]);
    await new Promise((resolve) => setImmediate(resolve));
    const second = learning.settle([check('2', 45, '00:45')]);
    await new Promise((resolve) => setImmediate(resolve));
    release();
    expect(await first).toEqual(new Map([['call-1', '00:04:12']]));
    expect(await second).toEqual(new Map([['call-2', '00:00:45']]));
    expect(zoho.queries).toHaveLength(1);
    expect(updates).toEqual([{ durationFormat: 'HH:mm', sources: { durationFormat: 'traffic' } }]);
    expect(await learning.plan()).toEqual({ format: 'hh:mm:ss', learning: false });
  });

  it('a reading it cannot store is still used by this process', async () => {
    const zoho = fakeZoho('HH:mm', { '1': '04:12' });
    const { keeper } = fakeKeeper({}, true);
    const learning = createDurationLearning({
      http: zoho.http,
      option: 'auto',
      calibration: keeper,
      logger: noopLogger,
    });
    await learning.settle([check('1', 252, '04:12')]);
    expect(learning.reading()).toBe('HH:mm');
    expect(await learning.plan()).toEqual({ format: 'hh:mm:ss', learning: false });
  });

  it('a reading measured later (diagnose) wins over the one learned', async () => {
    const zoho = fakeZoho('HH:mm', { '1': '04:12' });
    const cal = fakeKeeper({}, true);
    const learning = createDurationLearning({
      http: zoho.http,
      option: 'auto',
      calibration: cal.keeper,
      logger: noopLogger,
    });
    await learning.settle([check('1', 252, '04:12')]);
    cal.set({ durationFormat: 'mm:ss' });
    expect(learning.reading()).toBe('mm:ss');
  });

  it('once the reading is known, checks with their text need no read; those without are read', async () => {
    const zoho = fakeZoho('HH:mm', { '1': '04:12', '2': '00:04:12' });
    const { keeper } = fakeKeeper({ durationFormat: 'HH:mm' });
    const learning = createDurationLearning({
      http: zoho.http,
      option: 'auto',
      calibration: keeper,
      logger: noopLogger,
    });
    expect(await learning.settle([check('1', 252, '04:12')])).toEqual(new Map([['call-1', '00:04:12']]));
    expect(zoho.queries).toHaveLength(0);
    expect(await learning.settle([check('1', 252), check('2', 252)])).toEqual(
      new Map([['call-1', '00:04:12']]),
    );
    expect(zoho.queries).toHaveLength(1);
  });

  it('which calls it checks', async () => {
    const { keeper } = fakeKeeper();
    const zoho = fakeZoho('mm:ss', {});
    const auto = createDurationLearning({
      http: zoho.http,
      option: 'auto',
      calibration: keeper,
      logger: noopLogger,
    });
    const plan = await auto.plan();
    expect(auto.checkFor(plan, '04:12', 252)).toEqual({ seconds: 252, written: '04:12' });
    expect(auto.checkFor(plan, '00:00', 0)).toBeUndefined();
    expect(auto.checkFor({ format: 'mm:ss', learning: false }, '04:12', 252)).toBeUndefined();
    // Found by a read-back after a lost answer: checked unless the org reads minutes and seconds.
    expect(auto.checkFor(undefined, undefined, 252)).toEqual({ seconds: 252 });
    const minutes = fakeKeeper({ durationFormat: 'mm:ss' });
    const known = createDurationLearning({
      http: zoho.http,
      option: 'auto',
      calibration: minutes.keeper,
      logger: noopLogger,
    });
    expect(known.checkFor(undefined, undefined, 252)).toBeUndefined();
    // Without a calibration to keep it in, nothing is learned.
    const alone = createDurationLearning({
      http: zoho.http,
      option: 'auto',
      calibration: undefined,
      logger: noopLogger,
    });
    expect(await alone.plan()).toEqual({ format: 'mm:ss', learning: false });
    expect(alone.checkFor(undefined, undefined, 252)).toBeUndefined();
  });
});
