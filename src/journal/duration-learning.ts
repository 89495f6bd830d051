/**
 * Learning how the org reads `Call_Duration` from the journal's own traffic (docs/journal.md,
 * "Durations"). While the reading is unknown (`journal.durationFormat: 'auto'`, no calibration yet), the
 * journal writes minutes and seconds, leaves `Call_Duration_in_seconds` out (so that Zoho computes it
 * from the text) and queues a duration check for each call whose text tells the readings apart. The
 * checks of a pass are settled together: one COQL read of `Call_Duration` and
 * `Call_Duration_in_seconds` (50 ids a query) decides the reading, the reading is stored with the
 * calibration (source `traffic`), and every record Zoho read the other way gets its text rewritten in
 * the update the follow-ups send anyway. Checks settled after the reading is known need no read.
 *
 * A check is an ordinary `update` operation in the outbox: a failed read or correction is retried with
 * backoff and survives a restart. A read Zoho refuses for good, or three read-backs that prove nothing,
 * end the learning for this process (the calls stay logged, their durations as written).
 *
 * @module
 */

import type { DurationReading } from '../calibration/calibration.js';
import type { CalibrationKeeper } from '../calibration/keeper.js';
import { coqlQuery } from '../crm/records.js';
import type { ZohoHttp } from '../http/client.js';
import type { Logger } from '../logger.js';
import { chunk } from './batch.js';
import {
  correctionFor,
  type DurationSample,
  decideReading,
  type KnownReading,
  tellsReadingsApart,
  writeFormatFor,
} from './duration-reading.js';
import type { ResolvedJournalOptions } from './journal-types.js';
import type { DurationFormat } from './map-call.js';
import { classifyFailure } from './retry-policy.js';
import type { CallUpdate } from './store.js';

/** How a batch writes `Call_Duration`. @internal */
export interface DurationPlan {
  /** The text format. */
  format: DurationFormat;
  /** The reading is being learned: leave `Call_Duration_in_seconds` out and check what Zoho read. */
  learning: boolean;
}

/** A call whose stored duration is to be checked. @internal */
export interface DurationCheck {
  /** The PBX call id. */
  callId: string;
  /** The activity. */
  zohoCallId: string;
  /** The real duration, whole seconds. */
  seconds: number;
  /** The text sent, when known (not for an activity found by a read-back after a lost answer). */
  written?: string | undefined;
}

/** See the module notes. @internal */
export interface DurationLearning {
  /** The format for the batch being built (loads the calibration once). */
  plan(): Promise<DurationPlan>;
  /**
   * The check a call needs once logged, or undefined.
   * @param plan - The plan the insert was built with; undefined for an activity found by a read-back.
   */
  checkFor(plan: DurationPlan | undefined, text: string | undefined, seconds: number): CallUpdate['duration'];
  /**
   * Settles checks: reads back when the reading is unknown (or the text is), learns, and answers the
   * corrected text per PBX call id. Throws what a retryable read throws.
   */
  settle(checks: readonly DurationCheck[]): Promise<Map<string, string>>;
  /** The reading in use now. */
  reading(): DurationReading;
}

/** @internal */
export interface DurationLearningOptions {
  http: ZohoHttp;
  option: ResolvedJournalOptions['durationFormat'];
  calibration: CalibrationKeeper | undefined;
  logger: Logger;
  /** Read-backs that prove nothing before learning stops for this process. @default 3 */
  maxInconclusive?: number;
}

/** COQL's `in` takes at most 50 values. */
const IN_LIMIT = 50;

/** @internal */
export function createDurationLearning(options: DurationLearningOptions): DurationLearning {
  const { http, option, calibration, logger } = options;
  const maxInconclusive = options.maxInconclusive ?? 3;
  let learned: KnownReading | undefined;
  let inconclusive = 0;
  let stopped = false;
  let warnedPin = false;
  /** The read-back deciding the reading now: later checks wait for it instead of reading too. */
  let learning: Promise<unknown> | undefined;

  const reading = (): DurationReading => {
    if (option === 'mm:ss' || option === 'HH:mm') return option;
    const measured = calibration?.current().durationFormat ?? 'unknown';
    return measured !== 'unknown' ? measured : (learned ?? 'unknown');
  };
  const canLearn = (): boolean => option === 'auto' && calibration !== undefined && !stopped;

  const warnIfPinnedOtherwise = (): void => {
    if (warnedPin || (option !== 'mm:ss' && option !== 'HH:mm')) return;
    warnedPin = true;
    const measured = calibration?.current();
    if (measured && measured.durationFormat !== 'unknown' && measured.durationFormat !== option) {
      logger.warn(
        { pinned: option, measured: measured.durationFormat, source: measured.sources?.durationFormat },
        'journal.durationFormat pins a reading of Call_Duration the org was measured not to use',
      );
    }
  };

  async function remember(found: KnownReading): Promise<void> {
    learned = found;
    logger.info({ durationFormat: found }, 'learned how Zoho reads Call_Duration from the journal traffic');
    try {
      await calibration?.update({ durationFormat: found, sources: { durationFormat: 'traffic' } });
    } catch (error) {
      logger.warn(
        { code: (error as { code?: string }).code },
        'cannot store the learned Call_Duration reading; this process uses it anyway',
      );
    }
  }

  function giveUp(reason: string): void {
    stopped = true;
    logger.warn(
      { reason },
      'stopped learning how Zoho reads Call_Duration; durations are written as minutes and seconds. ' +
        'Run diagnose({ write: true }) or set journal.durationFormat',
    );
  }

  /** Reads back, decides and remembers; the samples of what was read. */
  async function learnFrom(checks: readonly DurationCheck[]): Promise<Map<string, DurationSample>> {
    const samples = await readStored(http, checks);
    const verdict = decideReading([...samples.values()]);
    if (verdict.reading) await remember(verdict.reading);
    else if (verdict.votes['mm:ss'] + verdict.votes['HH:mm'] + verdict.votes.neither > 0) {
      inconclusive++;
      logger.warn({ votes: verdict.votes }, 'the Call_Duration read-back did not settle the reading');
      if (inconclusive >= maxInconclusive) giveUp('read-backs disagree');
    } else if (![...samples.values()].some((s) => s.storedSeconds !== undefined)) {
      inconclusive++;
      if (inconclusive >= maxInconclusive) giveUp('Zoho returns no Call_Duration_in_seconds');
    }
    return samples;
  }

  return {
    reading,

    async plan() {
      // The keeper reads the store once (again after a failed read): later calls cost nothing.
      await calibration?.load().catch(() => undefined);
      warnIfPinnedOtherwise();
      if (option === 'hh:mm:ss') return { format: 'hh:mm:ss', learning: false };
      const now = reading();
      return { format: writeFormatFor(now), learning: now === 'unknown' && canLearn() };
    },

    checkFor(plan, text, seconds) {
      if (seconds <= 0) return undefined;
      if (plan)
        return plan.learning && text && tellsReadingsApart(text) ? { seconds, written: text } : undefined;
      // Found by a read-back: how it was written is unknown. Only an HH:mm org (or one not known yet)
      // can hold it wrong; minutes-and-seconds orgs read everything the journal writes right.
      return option === 'auto' && calibration !== undefined && reading() !== 'mm:ss'
        ? { seconds }
        : undefined;
    },

    async settle(checks) {
      const fixes = new Map<string, string>();
      if (checks.length === 0) return fixes;
      if (reading() === 'unknown' && learning) await learning.catch(() => undefined);
      let samples = new Map<string, DurationSample>();
      const learns = reading() === 'unknown' && canLearn();
      try {
        if (learns) {
          const run = learnFrom(checks);
          learning = run;
          try {
            samples = await run;
          } finally {
            if (learning === run) learning = undefined;
          }
        } else if (reading() !== 'unknown') {
          const unknownText = checks.filter((check) => check.written === undefined);
          if (unknownText.length > 0) samples = await readStored(http, unknownText);
        }
      } catch (error) {
        if (classifyFailure(error) !== 'dead') throw error;
        const code = (error as { zohoCode?: string }).zohoCode ?? 'error';
        if (learns) giveUp(`Zoho refused the read-back (${code})`);
        else logger.warn({ code }, 'Zoho refused reading back Call_Duration; the durations stay as written');
        return fixes;
      }
      const now = reading();
      for (const check of checks) {
        const read = samples.get(check.zohoCallId);
        const sample: DurationSample = read ?? { seconds: check.seconds, text: check.written };
        const fix = correctionFor({ ...sample, seconds: check.seconds }, now);
        if (fix) fixes.set(check.callId, fix);
        else if (
          read?.storedSeconds !== undefined &&
          read.storedSeconds !== check.seconds &&
          now !== 'unknown'
        ) {
          logger.warn(
            { callId: check.callId, seconds: check.seconds, stored: read.storedSeconds, text: read.text },
            'Zoho holds another duration than the call lasted, and no text it reads would be closer',
          );
        }
      }
      return fixes;
    },
  };
}

/** `Call_Duration` and `Call_Duration_in_seconds` of these activities, by Zoho id (absent: not found). */
async function readStored(
  http: ZohoHttp,
  checks: readonly DurationCheck[],
): Promise<Map<string, DurationSample>> {
  const byId = new Map(checks.map((check) => [check.zohoCallId, check]));
  const out = new Map<string, DurationSample>();
  for (const part of chunk([...byId.keys()], IN_LIMIT)) {
    const list = part.map((id) => `'${id.replaceAll("'", "''")}'`).join(', ');
    const page = await coqlQuery(
      http,
      `select id, Call_Duration, Call_Duration_in_seconds from Calls where id in (${list}) limit ${IN_LIMIT}`,
    );
    for (const row of page.records) {
      const check = typeof row.id === 'string' ? byId.get(row.id) : undefined;
      if (!check) continue;
      const stored = Number(row.Call_Duration_in_seconds);
      out.set(check.zohoCallId, {
        seconds: check.seconds,
        text: typeof row.Call_Duration === 'string' ? row.Call_Duration : undefined,
        storedSeconds:
          row.Call_Duration_in_seconds !== null &&
          row.Call_Duration_in_seconds !== undefined &&
          row.Call_Duration_in_seconds !== '' &&
          Number.isFinite(stored)
            ? stored
            : undefined,
      });
    }
  }
  return out;
}
