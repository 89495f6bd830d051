/**
 * Which claimed copies a pass may trust. A claim returns the operations as the store held them when
 * the claim ran, but several passes of one process run at once, and a claim can return an operation
 * another pass of this process still holds (its lease ran out during a long pass) or wrote meanwhile
 * (the claim's answer came back after that write: a pool of database connections answers out of order).
 * Such a copy is stale: it may predate the "sent" mark of an insert, so writing it back would erase the
 * mark (a crash then re-sends blind) and writing it to Zoho would insert the call twice.
 *
 * So the journal's store is wrapped to note every write of an operation (release, remove, bury) when it
 * is sent, and a claim takes a mark first: a copy is trusted only when this process wrote nothing of it
 * since the mark, no other pass here holds it and the claim's lease has not run out. A copy that is not
 * trusted is left alone, never written back: the pass that holds it (or wrote it) ends that lease with
 * its own write, else the lease runs out.
 *
 * @module
 */
import type { ClaimCallsOptions, ClaimDueOptions, JournalOp, JournalStore } from './store.js';

/** Operations a claim returned, with what they are judged by. @internal */
export interface Claimed {
  ops: JournalOp[];
  /** The write mark taken before the claim was sent. */
  mark: number;
  /** When the claim's lease runs out, epoch ms. */
  leaseEnd: number;
}

/** The writes of operations this process sent (see the module notes). @internal */
export interface WriteLog {
  /** The current mark: writes noted later have higher numbers. */
  mark(): number;
  /** Notes a write of the operation (called before it is sent). */
  wrote(opId: string): void;
  /** Whether a write of the operation was noted after `mark`. */
  since(opId: string, mark: number): boolean;
}

/**
 * A write log that forgets a write once no trusted copy can be older than it: a copy is only trusted
 * within its claim's lease, so writes older than `leaseMs` are dropped.
 * @internal
 */
export function createWriteLog(now: () => number, leaseMs: number): WriteLog {
  let seq = 0;
  /** Op id → its last write; kept in write order (re-inserted on each write). */
  const writes = new Map<string, { seq: number; at: number }>();
  const prune = (at: number) => {
    for (const [opId, write] of writes) {
      if (write.at > at - leaseMs) break;
      writes.delete(opId);
    }
  };
  return {
    mark: () => seq,
    wrote(opId) {
      const at = now();
      writes.delete(opId);
      writes.set(opId, { seq: ++seq, at });
      prune(at);
    },
    since: (opId, mark) => (writes.get(opId)?.seq ?? 0) > mark,
  };
}

/**
 * The journal's view of its store: every write of an operation is noted in `log` before it is sent.
 * Methods are looked up on `store` at each call (a host or test may replace them later).
 * @internal
 */
export function noteWrites(store: JournalStore, log: WriteLog): JournalStore {
  return {
    getLogged: (cid, callId) => store.getLogged(cid, callId),
    setLogged: (cid, callId, zohoCallId) => store.setLogged(cid, callId, zohoCallId),
    add: (cid, op) => store.add(cid, op),
    claimDue: (cid, options) => store.claimDue(cid, options),
    claimCalls: (cid, callIds, options) => store.claimCalls(cid, callIds, options),
    release(cid, op) {
      log.wrote(op.id);
      return store.release(cid, op);
    },
    remove(cid, op) {
      log.wrote(op.id);
      return store.remove(cid, op);
    },
    bury(cid, letter) {
      log.wrote(letter.op.id);
      return store.bury(cid, letter);
    },
    deadLetters: (cid) => store.deadLetters(cid),
    unbury: (cid, opId) => store.unbury(cid, opId),
    pending: (cid) => store.pending(cid),
  };
}

/** What claiming needs from the journal's context. @internal */
export interface ClaimContext {
  readonly store: JournalStore;
  readonly cid: string;
  readonly writes: WriteLog;
}

/** `store.claimDue` under a write mark. @internal */
export async function claimDue(ctx: ClaimContext, options: ClaimDueOptions): Promise<Claimed> {
  const mark = ctx.writes.mark();
  const ops = await ctx.store.claimDue(ctx.cid, options);
  return { ops, mark, leaseEnd: options.now + options.leaseMs };
}

/** `store.claimCalls` under a write mark. @internal */
export async function claimCalls(
  ctx: ClaimContext,
  callIds: readonly string[],
  options: ClaimCallsOptions,
): Promise<Claimed> {
  const mark = ctx.writes.mark();
  const ops = await ctx.store.claimCalls(ctx.cid, callIds, options);
  return { ops, mark, leaseEnd: options.now + options.leaseMs };
}

/**
 * Whether a claimed copy may be written (to Zoho or back to the store) now: this process wrote nothing
 * of it since the claim's mark and the claim's lease still holds. The caller also checks that no other
 * pass of this process holds it.
 * @internal
 */
export function trusted(ctx: ClaimContext, claimed: Claimed, op: JournalOp, at: number): boolean {
  return at < claimed.leaseEnd && !ctx.writes.since(op.id, claimed.mark);
}
