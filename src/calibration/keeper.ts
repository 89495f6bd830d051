/**
 * Keeps a connection's calibration beside its tokens: loaded once, merged and written back under the
 * token store's lock (so a concurrent token refresh cannot overwrite it, nor it the refresh). Without a
 * grant the calibration lives in memory only; a new authorization starts a fresh one (it may be
 * another org).
 *
 * @module
 */
import type { Logger } from '../logger.js';
import type { StoredTokens, TokenStore } from '../stores/types.js';
import { emptyCalibration, type OrgCalibration, readCalibration } from './calibration.js';

/** @internal */
export interface CalibrationKeeper {
  /** What is known now (synchronous; `load()` fills it from the store). */
  current(): OrgCalibration;
  /** Reads the stored calibration once per process (later calls return the same promise). */
  load(): Promise<OrgCalibration>;
  /**
   * Merges `patch` into the calibration and stores it with the tokens. `phoneFields` and `sources` are
   * merged per key: a patch naming one module keeps the others.
   */
  update(patch: Partial<OrgCalibration>): Promise<OrgCalibration>;
}

/** @internal */
export interface CalibrationKeeperOptions {
  connectionId: string;
  store: TokenStore;
  now: () => number;
  logger: Logger;
  /** How long to hold the store's lock while writing. @default 10000 */
  lockTtlMs?: number;
}

type WithCalibration = StoredTokens & { calibration?: unknown };

/** @internal */
export function createCalibrationKeeper(options: CalibrationKeeperOptions): CalibrationKeeper {
  const { connectionId, store, logger } = options;
  let known: OrgCalibration = emptyCalibration();
  let loading: Promise<OrgCalibration> | undefined;
  let writes: Promise<unknown> = Promise.resolve();

  const locked = <T>(fn: () => Promise<T>): Promise<T> =>
    store.withLock ? store.withLock(connectionId, options.lockTtlMs ?? 10_000, fn) : fn();

  function load(): Promise<OrgCalibration> {
    loading ??= store.get(connectionId).then(
      (tokens) => {
        const stored = readCalibration((tokens as WithCalibration | undefined)?.calibration);
        if (stored && stored.measuredAt >= known.measuredAt) known = stored;
        return known;
      },
      (error: unknown) => {
        loading = undefined;
        logger.warn({ connectionId, code: (error as { code?: string }).code }, 'cannot read the calibration');
        return known;
      },
    );
    return loading;
  }

  function update(patch: Partial<OrgCalibration>): Promise<OrgCalibration> {
    const next = (): Promise<OrgCalibration> =>
      locked(async () => {
        const tokens = (await store.get(connectionId)) as WithCalibration | undefined;
        const base = readCalibration(tokens?.calibration) ?? known;
        const merged: OrgCalibration = {
          ...base,
          ...patch,
          phoneFields: { ...base.phoneFields, ...patch.phoneFields },
          sources: { ...base.sources, ...patch.sources },
          measuredAt: options.now(),
        };
        known = merged;
        if (tokens) await store.set(connectionId, { ...tokens, calibration: merged } as StoredTokens);
        return merged;
      });
    const result = writes.then(next, next);
    writes = result.catch(() => undefined);
    return result;
  }

  return { current: () => known, load, update };
}
