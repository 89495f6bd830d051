/**
 * The emulator's clock: an injectable source plus an offset moved by `advanceTime()`.
 * @internal
 * @module
 */

/** A clock that tests can move forward. */
export class EmulatorClock {
  private offset = 0;
  constructor(private readonly source: () => number = Date.now) {}

  /** Current time in epoch ms. */
  now(): number {
    return this.source() + this.offset;
  }

  /** Moves the clock forward by `ms` (negative values are refused). */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError('advanceTime(ms): ms must be a finite number >= 0');
    this.offset += ms;
  }

  /** Undoes every `advance()`. */
  reset(): void {
    this.offset = 0;
  }
}
