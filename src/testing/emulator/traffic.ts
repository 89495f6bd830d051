/**
 * What the emulator has seen: request and status counters, OAuth event counters and the request log
 * (secrets are redacted by the router before an entry gets here).
 * @internal
 * @module
 */
import type { RequestLogEntry } from './types.js';

/** Events counted one by one. */
export type CountedEvent =
  | 'tokenGrants'
  | 'refreshes'
  | 'oauthThrottled'
  | 'revocations'
  | 'tooManyRequests'
  | 'faultsInjected';

/** A snapshot of the counters. */
export interface TrafficCounts extends Record<CountedEvent, number> {
  readonly requests: Record<string, number>;
  readonly statuses: Record<string, number>;
  readonly totalRequests: number;
}

/** Counters and the request log since start or `reset()`. */
export class Traffic {
  private readonly requests = new Map<string, number>();
  private readonly statuses = new Map<string, number>();
  private totalRequests = 0;
  private readonly events: Record<CountedEvent, number> = {
    tokenGrants: 0,
    refreshes: 0,
    oauthThrottled: 0,
    revocations: 0,
    tooManyRequests: 0,
    faultsInjected: 0,
  };
  private readonly log: RequestLogEntry[] = [];

  /** @param logSize - Entries the request log keeps (0: none). */
  constructor(private readonly logSize: number) {}

  /** Counts one event. */
  count(event: CountedEvent): void {
    this.events[event]++;
  }

  /** Records one answered request (a 429 also counts as `tooManyRequests`). */
  recordRequest(entry: RequestLogEntry): void {
    this.totalRequests++;
    this.requests.set(entry.endpoint, (this.requests.get(entry.endpoint) ?? 0) + 1);
    const status = String(entry.status);
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (entry.status === 429) this.events.tooManyRequests++;
    if (this.logSize > 0) {
      this.log.push(entry);
      if (this.log.length > this.logSize) this.log.shift();
    }
  }

  /** The counters now. */
  counts(): TrafficCounts {
    return {
      requests: Object.fromEntries(this.requests),
      statuses: Object.fromEntries(this.statuses),
      totalRequests: this.totalRequests,
      ...this.events,
    };
  }

  /** The request log, oldest first (copies). */
  requestLog(): RequestLogEntry[] {
    return this.log.map((e) => ({ ...e }));
  }
}
