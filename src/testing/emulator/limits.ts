/**
 * API limits (docs/zoho-facts.md §7): the rolling 24-hour credit ledger and the concurrency and
 * sub-concurrency slots per client.
 * @internal
 * @module
 */
import { dailyCredits, EDITIONS } from '../../editions.js';
import type { ResolvedEmulatorOptions } from './options.js';

/** Credits and concurrency of the org. */
export class Limits {
  private readonly inFlight = new Map<string, number>();
  private readonly heavyInFlight = new Map<string, number>();
  /** CRM calls in flight now, all clients. */
  inFlightTotal = 0;
  /** Highest `inFlightTotal` seen. */
  concurrentPeak = 0;
  /** Credit ledger: [second, credits] buckets, oldest first. */
  private readonly ledger: Array<[number, number]> = [];
  private ledgerSum = 0;

  /**
   * @param userCount - Users of the org (the credit formula's default user count).
   * @param now - The emulator clock.
   */
  constructor(
    private readonly options: ResolvedEmulatorOptions,
    private readonly userCount: () => number,
    private readonly now: () => number,
  ) {}

  /** Credits allowed per rolling 24 hours. */
  creditLimit(): number {
    if (this.options.creditLimit !== undefined) return this.options.creditLimit;
    const users = this.options.licensedUsers ?? this.userCount();
    return dailyCredits(this.options.edition, users, this.options.addOnCredits);
  }

  /** Concurrent CRM calls allowed per client. */
  concurrencyLimit(): number {
    return this.options.concurrencyLimit ?? EDITIONS[this.options.edition].concurrency;
  }

  /** Sub-concurrency for resource-heavy calls (bulk writes over 10 records, COQL). */
  subConcurrencyLimit(): number {
    return Math.min(EDITIONS[this.options.edition].subConcurrency, this.concurrencyLimit());
  }

  /** Credits used in the rolling 24 hours ending now. */
  creditsUsed(now = this.now()): number {
    const cutoff = Math.floor((now - 86_400_000) / 1000);
    let drop = 0;
    while (drop < this.ledger.length && (this.ledger[drop]?.[0] ?? Infinity) <= cutoff) {
      this.ledgerSum -= this.ledger[drop]?.[1] ?? 0;
      drop++;
    }
    if (drop > 0) this.ledger.splice(0, drop);
    return this.ledgerSum;
  }

  /** Seconds until at least one credit is free again (for `Retry-After`). */
  secondsUntilCredit(now = this.now()): number {
    const first = this.ledger[0];
    if (!first) return 1;
    return Math.max(1, first[0] + 86_400 - Math.floor(now / 1000));
  }

  /** Spends credits now. */
  charge(credits: number): void {
    if (credits <= 0) return;
    const second = Math.floor(this.now() / 1000);
    const last = this.ledger.at(-1);
    if (last && last[0] === second) last[1] += credits;
    else this.ledger.push([second, credits]);
    this.ledgerSum += credits;
  }

  /** Tries to take a concurrency slot for a client (org per app). */
  acquire(clientId: string): boolean {
    const current = this.inFlight.get(clientId) ?? 0;
    if (current >= this.concurrencyLimit()) return false;
    this.inFlight.set(clientId, current + 1);
    this.inFlightTotal++;
    if (this.inFlightTotal > this.concurrentPeak) this.concurrentPeak = this.inFlightTotal;
    return true;
  }

  /** Gives a concurrency slot back. */
  release(clientId: string): void {
    this.inFlight.set(clientId, Math.max(0, (this.inFlight.get(clientId) ?? 1) - 1));
    this.inFlightTotal = Math.max(0, this.inFlightTotal - 1);
  }

  /** Tries to take a sub-concurrency slot (resource-heavy calls). */
  acquireHeavy(clientId: string): boolean {
    const current = this.heavyInFlight.get(clientId) ?? 0;
    if (current >= this.subConcurrencyLimit()) return false;
    this.heavyInFlight.set(clientId, current + 1);
    return true;
  }

  /** Gives a sub-concurrency slot back. */
  releaseHeavy(clientId: string): void {
    this.heavyInFlight.set(clientId, Math.max(0, (this.heavyInFlight.get(clientId) ?? 1) - 1));
  }
}
