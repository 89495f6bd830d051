/**
 * The active fault injection (`faults()`): checked settings, the outage end on the emulator clock, and which
 * requests the faults hit (every `every`-th, else with probability `rate`).
 * @internal
 * @module
 */
import type { Faults } from './types.js';

/** Active faults with the outage end resolved. */
export interface ActiveFaults extends Faults {
  outageUntil?: number;
}

/** Holds the faults set by `faults()`. */
export class FaultInjector {
  /** The faults in force, if any. */
  active: ActiveFaults | undefined;
  /** Requests the active faults considered (for `every`). */
  private seq = 0;

  /** Replaces the active faults (`null` clears them); throws a RangeError for a bad value. */
  set(faults: Faults | null, now: number): void {
    if (faults === null) {
      this.active = undefined;
      return;
    }
    const rate = faults.rate ?? 1;
    if (!(rate >= 0 && rate <= 1)) throw new RangeError('faults.rate must be between 0 and 1');
    if (
      faults.status !== undefined &&
      !(Number.isInteger(faults.status) && faults.status >= 400 && faults.status <= 599)
    )
      throw new RangeError('faults.status must be an HTTP error status (400-599)');
    for (const key of ['latencyMs', 'jitterMs'] as const) {
      const v = faults[key];
      if (v !== undefined && !(Number.isFinite(v) && v >= 0))
        throw new RangeError(`faults.${key} must be >= 0`);
    }
    if (faults.every !== undefined && !(Number.isInteger(faults.every) && faults.every >= 1))
      throw new RangeError('faults.every must be an integer >= 1');
    const active: ActiveFaults = { ...faults };
    this.seq = 0;
    if (typeof faults.outage === 'object') active.outageUntil = now + faults.outage.forMs;
    this.active = active;
  }

  /** Whether the active faults hit this request: every `every`-th one, else with probability `rate`. */
  hit(): boolean {
    const faults = this.active;
    if (!faults) return false;
    if (faults.every !== undefined) return ++this.seq % faults.every === 0;
    return Math.random() < (faults.rate ?? 1);
  }
}
