/**
 * What the lookup engine knows about its org beyond the cache: how `search?phone=` matches (the
 * `lookup.phoneSearch` option, what this process just proved, the calibration), how long the search
 * index lags, and which numbers this connector wrote within that lag. Learning is written through the
 * calibration keeper, so every process of the connection uses it.
 *
 * @module
 */
import type { PhoneSearchReading } from '../calibration/calibration.js';
import type { CalibrationKeeper } from '../calibration/keeper.js';
import { ErrorCode, isZohoCrmError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ResolvedConnectorOptions } from '../options.js';
import { shouldRecord } from './reading.js';

/**
 * Until the calibration has measured Zoho's search-index lag, how long after this connector wrote a
 * number a search miss for it proves nothing (and a miss of it is cached at most), in ms.
 */
export const UNMEASURED_INDEX_LAG_MS = 60_000;
/**
 * A record found only by COQL proves the search reading strict only when it was last modified at least
 * this long ago (and at least twice the index lag): younger records may just not be indexed yet.
 */
export const STRICT_PROOF_MIN_AGE_MS = 10 * 60_000;

/** @internal */
export interface OrgKnowledge {
  /** The reading lookups rely on. */
  reading(): PhoneSearchReading;
  /** Records what the traffic proved (unless the option fixes the reading or it says nothing new). */
  learn(evidence: PhoneSearchReading): void;
  /** How long after a write a search may not find the number yet, in ms. */
  lagWindow(): number;
  /** Epoch ms: a record last modified before this had time to be indexed. */
  indexedBefore(): number;
  /** When this connector wrote the number, if that is within the index lag. */
  writtenAt(e164: string): number | undefined;
  /** This connector just wrote the number (a record created or updated with it). */
  noteWritten(e164: string): void;
}

/** @internal */
export function createOrgKnowledge(options: {
  lookup: ResolvedConnectorOptions['lookup'];
  calibration?: CalibrationKeeper | undefined;
  logger: Logger;
  now: () => number;
}): OrgKnowledge {
  const { lookup, calibration: keeper, logger, now } = options;
  // What this process proved while the calibration write is under way (or without a keeper).
  let learned: PhoneSearchReading | undefined;
  // Numbers written by this connector, oldest first, by when; bounded like the cache.
  const written = new Map<string, number>();

  const reading = (): PhoneSearchReading =>
    lookup.phoneSearch ?? learned ?? keeper?.current().phoneSearch ?? 'unknown';
  const lagWindow = () => keeper?.current().indexLagMs ?? UNMEASURED_INDEX_LAG_MS;

  return {
    reading,
    lagWindow,

    learn(evidence) {
      if (lookup.phoneSearch) return;
      const current = reading();
      if (!shouldRecord(current, evidence)) return;
      learned = evidence;
      logger.info({ phoneSearch: evidence, was: current }, 'learned how Zoho matches phone searches');
      keeper?.update({ phoneSearch: evidence, sources: { phoneSearch: 'traffic' } }).then(
        () => {
          if (learned === evidence) learned = undefined;
        },
        (error: unknown) =>
          logger.warn(
            { code: isZohoCrmError(error) ? error.code : ErrorCode.UNEXPECTED },
            'cannot keep the phone-search reading with the calibration',
          ),
      );
    },

    indexedBefore: () => now() - Math.max(STRICT_PROOF_MIN_AGE_MS, 2 * lagWindow()),

    writtenAt(e164) {
      const at = written.get(e164);
      if (at === undefined) return undefined;
      if (now() - at < lagWindow()) return at;
      written.delete(e164);
      return undefined;
    },

    noteWritten(e164) {
      written.delete(e164);
      if (written.size >= lookup.cache.maxEntries) written.delete(written.keys().next().value as string);
      written.set(e164, now());
    },
  };
}
