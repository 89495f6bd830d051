/**
 * The in-memory journal store (the default) and the state engine the file store persists.
 *
 * @module
 */
import { assertLetter, assertOp } from './record-shape.js';
import type { ClaimCallsOptions, ClaimDueOptions, DeadLetter, JournalOp, JournalStore } from './store.js';

/**
 * Options of {@link createMemoryJournalStore}.
 * @example
 * ```ts
 * const options: MemoryJournalStoreOptions = { ledgerMaxEntries: 50_000, ledgerTtlMs: 7 * 86_400_000 };
 * ```
 * @group Journal stores
 */
export interface MemoryJournalStoreOptions {
  /**
   * Logged calls remembered per connection (the redelivery guard); the oldest are forgotten first.
   * @default 100000
   */
  ledgerMaxEntries?: number;
  /**
   * How long a logged call is remembered, in ms. A call redelivered later than this is logged again.
   * @default 2592000000 (30 days)
   */
  ledgerTtlMs?: number;
  /** Clock for ledger ages, epoch ms. @default Date.now */
  now?: () => number;
}

/** Default ledger lifetime: 30 days. @internal */
export const DEFAULT_LEDGER_TTL_MS = 30 * 86_400_000;
/** Default ledger size per connection. @internal */
export const DEFAULT_LEDGER_MAX_ENTRIES = 100_000;

/**
 * A journal store in this process's memory: right for one process that can afford to lose queued calls
 * on a crash (use the file or Redis store otherwise). Claims are honoured within the process.
 * @param options - Ledger bounds and clock.
 * @returns A {@link JournalStore}.
 * @example
 * ```ts
 * import { ZohoCrmConnector, createMemoryJournalStore } from 'zoho-crm-connector';
 * const zoho = new ZohoCrmConnector({ ...options, journal: { store: createMemoryJournalStore() } });
 * ```
 * @group Journal stores
 */
export function createMemoryJournalStore(options: MemoryJournalStoreOptions = {}): JournalStore {
  const states = new Map<string, JournalState>();
  const state = (connectionId: string): JournalState => {
    let found = states.get(connectionId);
    if (!found) {
      found = new JournalState(options);
      states.set(connectionId, found);
    }
    return found;
  };
  return {
    async getLogged(connectionId, callId) {
      return state(connectionId).getLogged(callId);
    },
    async setLogged(connectionId, callId, zohoCallId) {
      state(connectionId).setLogged(callId, zohoCallId);
    },
    async add(connectionId, op) {
      return state(connectionId).add(op);
    },
    async claimDue(connectionId, claim) {
      return state(connectionId).claimDue(claim);
    },
    async claimCalls(connectionId, callIds, claim) {
      return state(connectionId).claimCalls(callIds, claim);
    },
    async release(connectionId, op) {
      state(connectionId).release(op);
    },
    async remove(connectionId, op) {
      state(connectionId).remove(op.id);
    },
    async bury(connectionId, letter) {
      state(connectionId).bury(letter);
    },
    async deadLetters(connectionId) {
      return state(connectionId).deadLetters();
    },
    async unbury(connectionId, opId) {
      return state(connectionId).unbury(opId);
    },
    async pending(connectionId) {
      return state(connectionId).pending();
    },
    async close() {
      states.clear();
    },
  };
}

/**
 * One connection's ledger, outbox and dead letters, synchronous and in memory. Everything goes in and
 * out as a copy. The file store replays its log into one of these.
 * @internal
 */
export class JournalState {
  private readonly ledger = new Map<string, { id: string; at: number }>();
  private readonly ops = new Map<string, { op: JournalOp; lease: number }>();
  private readonly byCall = new Map<string, Set<string>>();
  private readonly dead = new Map<string, DeadLetter>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly store: string;

  /** `store` names the store in the `JournalStoreError` an operation of the wrong shape raises. */
  constructor(options: MemoryJournalStoreOptions = {}, store = 'journal-memory') {
    this.store = store;
    this.maxEntries = options.ledgerMaxEntries ?? DEFAULT_LEDGER_MAX_ENTRIES;
    this.ttlMs = options.ledgerTtlMs ?? DEFAULT_LEDGER_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  getLogged(callId: string): string | undefined {
    const entry = this.ledger.get(callId);
    if (!entry) return undefined;
    if (this.now() - entry.at > this.ttlMs) {
      this.ledger.delete(callId);
      return undefined;
    }
    return entry.id;
  }

  setLogged(callId: string, zohoCallId: string, at = this.now()): void {
    this.ledger.delete(callId);
    this.ledger.set(callId, { id: zohoCallId, at });
    while (this.ledger.size > this.maxEntries) {
      const oldest = this.ledger.keys().next().value as string;
      this.ledger.delete(oldest);
    }
  }

  /** Ledger entries still within their lifetime, oldest first (file-store snapshots). */
  ledgerEntries(): Array<[callId: string, zohoCallId: string, at: number]> {
    const cutoff = this.now() - this.ttlMs;
    const out: Array<[string, string, number]> = [];
    for (const [callId, entry] of this.ledger) if (entry.at >= cutoff) out.push([callId, entry.id, entry.at]);
    return out;
  }

  add(op: JournalOp): boolean {
    assertOp(op, this.store, 'add');
    if (this.ops.has(op.id)) return false;
    this.put(copy(op), 0);
    return true;
  }

  /** Adds or replaces an operation without a lease (file-store replay). */
  restore(op: JournalOp): void {
    assertOp(op, this.store, 'load');
    this.put(copy(op), 0);
  }

  claimDue(claim: ClaimDueOptions): JournalOp[] {
    const dueBefore = claim.dueBefore ?? claim.now;
    const eligible: Array<{ op: JournalOp; lease: number }> = [];
    for (const entry of this.ops.values()) {
      if (entry.lease <= claim.now && entry.op.nextAttemptAt <= dueBefore) eligible.push(entry);
    }
    eligible.sort((a, b) => a.op.nextAttemptAt - b.op.nextAttemptAt || a.op.createdAt - b.op.createdAt);
    const chosen = eligible.slice(0, Math.max(0, claim.limit));
    for (const entry of chosen) entry.lease = claim.now + claim.leaseMs;
    return chosen.map((entry) => copy(entry.op));
  }

  claimCalls(callIds: readonly string[], claim: ClaimCallsOptions): JournalOp[] {
    const dueBefore = claim.dueBefore ?? Number.POSITIVE_INFINITY;
    const chosen: Array<{ op: JournalOp; lease: number }> = [];
    for (const callId of new Set(callIds)) {
      for (const opId of this.byCall.get(callId) ?? []) {
        const entry = this.ops.get(opId);
        if (entry && entry.lease <= claim.now && entry.op.nextAttemptAt <= dueBefore) chosen.push(entry);
      }
    }
    chosen.sort((a, b) => a.op.createdAt - b.op.createdAt);
    for (const entry of chosen) entry.lease = claim.now + claim.leaseMs;
    return chosen.map((entry) => copy(entry.op));
  }

  release(op: JournalOp): boolean {
    assertOp(op, this.store, 'release');
    if (!this.ops.has(op.id)) return false;
    this.put(copy(op), 0);
    return true;
  }

  remove(opId: string): boolean {
    const entry = this.ops.get(opId);
    if (!entry) return false;
    this.ops.delete(opId);
    const set = this.byCall.get(entry.op.callId);
    set?.delete(opId);
    if (set?.size === 0) this.byCall.delete(entry.op.callId);
    return true;
  }

  bury(letter: DeadLetter): void {
    assertLetter(letter, this.store, 'bury');
    this.remove(letter.op.id);
    this.dead.delete(letter.op.id);
    this.dead.set(letter.op.id, copy(letter));
  }

  deadLetters(): DeadLetter[] {
    return [...this.dead.values()].sort((a, b) => a.failedAt - b.failedAt).map(copy);
  }

  unbury(opId: string): DeadLetter | undefined {
    const letter = this.dead.get(opId);
    if (!letter) return undefined;
    this.dead.delete(opId);
    return letter;
  }

  pending(): { count: number; nextAttemptAt?: number } {
    let next = Number.POSITIVE_INFINITY;
    for (const entry of this.ops.values())
      next = Math.min(next, Math.max(entry.op.nextAttemptAt, entry.lease));
    return this.ops.size === 0 ? { count: 0 } : { count: this.ops.size, nextAttemptAt: next };
  }

  /** Ledger entries, queued operations and dead letters held (file-store compaction). */
  size(): number {
    return this.ledger.size + this.ops.size + this.dead.size;
  }

  /** Every queued operation, oldest first (file-store snapshots). */
  allOps(): JournalOp[] {
    return [...this.ops.values()].map((entry) => entry.op);
  }

  private put(op: JournalOp, lease: number): void {
    this.ops.set(op.id, { op, lease });
    let set = this.byCall.get(op.callId);
    if (!set) {
      set = new Set();
      this.byCall.set(op.callId, set);
    }
    set.add(op.id);
  }
}

// --- Internal helpers ---

function copy<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
