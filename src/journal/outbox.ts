/**
 * The outbox scheduler: when the journal writes what the store holds. A new operation is written at once
 * (operations queued in the same tick share the write); a background pass (one timer, unref'd) takes what
 * is due, in leased slices, whenever a retry falls due or peers' leases may have run out; `flush` makes
 * everything due and drains it; `close` stops the timer and waits for writes in progress.
 *
 * A pass groups the operations it claimed by call: creates go first (with the notes and links waiting for
 * them), then the follow-ups of calls already logged.
 *
 * @module
 */

import { createPendingWork } from '../pending-work.js';
import { defer, type Scheduler } from './batch.js';
import { type Claimed, claimCalls, claimDue, trusted } from './claims.js';
import type { Group, JournalContext, Outcome } from './context.js';
import { writeCreates } from './creates.js';
import { writeFollowUps } from './follow-ups.js';
import type { JournalOp } from './store.js';

/** Timing of the scheduler. @internal */
export interface OutboxTiming {
  scheduler: Scheduler;
  /** Longest sleep while work is queued (claims of crashed peers expire). */
  pollMs: number;
  /** Writes due within this window go with the due ones. */
  coalesceMs: number;
  /** Most operations per leased slice. */
  passLimit: number;
}

/** See the module notes. @internal */
export interface Outbox {
  /** Asks for a background pass within `delayMs`. */
  wake(delayMs: number): void;
  /** Writes a freshly stored operation now; resolves with the outcome of its first attempt. */
  submit(op: JournalOp): Promise<Outcome>;
  /** Makes everything queued due and writes it once. */
  flush(): Promise<void>;
  /** Stops the timer, waits for writes in progress, tells every waiter the write stays queued. */
  close(): Promise<void>;
  readonly closed: boolean;
}

/** @internal */
export function createOutbox(ctx: JournalContext, timing: OutboxTiming): Outbox {
  const { store, cid, logger, now, leaseMs } = ctx;
  const { scheduler, pollMs, coalesceMs, passLimit } = timing;
  const active = createPendingWork();
  let inline: Array<{ opId: string; callId: string }> = [];
  let inlineScheduled = false;
  /** Resolves once the writes queued in this tick have started (close waits for them too). */
  let inlineStarted: Promise<void> = Promise.resolve();
  let timer: { handle: unknown; at: number } | undefined;
  let pumping: Promise<void> | undefined;
  let pumpAgain = false;
  /** A flush is running (it schedules the next background pass when it ends). */
  let flushing: Promise<void> | undefined;
  let closed = false;

  const track = active.track;

  const wake = (delayMs: number): void => {
    if (closed) return;
    const delay = Math.max(0, Math.ceil(delayMs));
    const at = now() + delay;
    if (timer && timer.at <= at) return;
    if (timer) scheduler.clearTimeout(timer.handle);
    timer = {
      at,
      handle: scheduler.setTimeout(() => {
        timer = undefined;
        return pump();
      }, delay),
    };
  };

  const scheduleNext = async (): Promise<void> => {
    if (closed) return;
    try {
      const { count, nextAttemptAt } = await store.pending(cid);
      if (count > 0) wake(Math.min(pollMs, Math.max(0, (nextAttemptAt ?? now()) - now())));
    } catch (error) {
      logger.error({ error }, 'journal store unavailable; retrying later');
      wake(pollMs);
    }
  };

  const pump = (): Promise<void> => {
    // A flush drains everything due in full slices; a background pass beside it would only split batches.
    if (closed || flushing) return Promise.resolve();
    if (pumping) {
      pumpAgain = true;
      return pumping;
    }
    pumping = track(
      (async () => {
        do {
          pumpAgain = false;
          for (let pass = 0; pass < 10_000 && !closed; pass++) {
            const at = now();
            // Writes due within the coalescing window go now too: they share inserts with the due ones.
            const claimed = await claimDue(ctx, {
              now: at,
              leaseMs,
              limit: passLimit,
              dueBefore: at + coalesceMs,
            });
            if (claimed.ops.length === 0) break;
            await processOps(ctx, claimed);
          }
        } while (pumpAgain && !closed);
      })(),
    )
      .catch((error: unknown) => logger.error({ error }, 'journal pass failed; retrying later'))
      .finally(() => {
        pumping = undefined;
      })
      .then(scheduleNext);
    return pumping;
  };

  const runInline = async (batch: Array<{ opId: string; callId: string }>): Promise<void> => {
    let claimed: Claimed;
    try {
      const at = now();
      claimed = await claimCalls(
        ctx,
        batch.map((b) => b.callId),
        { now: at, leaseMs, dueBefore: at },
      );
    } catch (error) {
      logger.error({ error }, 'journal store unavailable; the write stays queued');
      for (const { opId } of batch)
        ctx.waiters.settle(opId, { status: 'queued', reason: 'the journal store is unavailable' });
      wake(pollMs);
      return;
    }
    const ids = new Set(claimed.ops.map((op) => op.id));
    for (const { opId } of batch) {
      if (!ids.has(opId) && !ctx.inflight.has(opId)) {
        ctx.waiters.settle(opId, { status: 'queued', reason: 'being written by another process' });
      }
    }
    try {
      await processOps(ctx, claimed);
      // Claimed but not taken (a stale copy, see claims.ts): the pass that wrote it has it.
      for (const { opId } of batch) {
        if (!ctx.inflight.has(opId))
          ctx.waiters.settle(opId, { status: 'queued', reason: 'being written by another pass' });
      }
    } catch (error) {
      logger.error({ error }, 'journal write failed; retrying later');
      for (const { opId } of batch)
        ctx.waiters.settle(opId, { status: 'queued', reason: 'retrying in the background' });
    }
    void scheduleNext();
  };

  /** Everything queued becomes due now, then one attempt each in leased slices. */
  const drain = async (): Promise<void> => {
    const start = now();
    const { count } = await store.pending(cid);
    if (count > 0) {
      // Everything queued becomes due now, backoff or not (held notes keep waiting for their call).
      // Only this quick store pass holds the whole queue; the writes below lease slice by slice.
      const all = await claimDue(ctx, {
        now: start,
        leaseMs,
        limit: count,
        dueBefore: Number.POSITIVE_INFINITY,
      });
      for (const op of all.ops) {
        // A pass here holds or wrote it since (or this lease ran out): a stale copy, left to that pass.
        if (ctx.inflight.has(op.id) || !trusted(ctx, all, op, now())) continue;
        await store.release(cid, op.held ? op : { ...op, nextAttemptAt: Math.min(op.nextAttemptAt, start) });
      }
    }
    // One attempt each: what fails now is rescheduled after `start` and not taken again here.
    for (let pass = 0; pass < 10_000; pass++) {
      const slice = await claimDue(ctx, { now: now(), leaseMs, limit: passLimit, dueBefore: start });
      if (slice.ops.length === 0) break;
      await track(processOps(ctx, slice));
    }
    await active.settled();
  };

  return {
    wake,
    get closed() {
      return closed;
    },

    submit(op) {
      const outcome = ctx.waiters.wait(op.id);
      inline.push({ opId: op.id, callId: op.callId });
      if (!inlineScheduled) {
        inlineScheduled = true;
        inlineStarted = new Promise<void>((started) =>
          defer(() => {
            inlineScheduled = false;
            const batch = inline;
            inline = [];
            void track(runInline(batch));
            started();
          }),
        );
      }
      return outcome;
    },

    async flush() {
      await active.settled();
      if (closed) return;
      if (flushing) return flushing; // one drain at a time; a second caller waits for it
      flushing = drain().finally(() => {
        flushing = undefined;
      });
      await flushing;
      void scheduleNext();
    },

    async close() {
      closed = true;
      if (timer) scheduler.clearTimeout(timer.handle);
      timer = undefined;
      await inlineStarted;
      await active.settled();
      for (const opId of ctx.waiters.ids()) {
        ctx.waiters.settle(opId, { status: 'queued', reason: 'the journal closed; the write stays queued' });
      }
    },
  };
}

/**
 * One pass over claimed operations: grouped by call, creates first, then follow-ups. Only trusted copies
 * are taken (`claims.ts`): one still in flight in another pass here (its lease ran out during a long
 * pass) or written by one since the claim is left alone, never written back, so that a copy from before
 * an insert was marked as sent can neither erase the mark nor be sent itself.
 * @internal
 */
export async function processOps(ctx: JournalContext, claimed: Claimed): Promise<void> {
  const { inflight } = ctx;
  const pass = {};
  const mine = new Set<string>();
  const groups = new Map<string, Group>();
  const take = (claim: Claimed): JournalOp[] => {
    const at = ctx.now();
    const fresh = claim.ops.filter(
      (op) => !inflight.has(op.id) && !mine.has(op.id) && trusted(ctx, claim, op, at),
    );
    for (const op of fresh) {
      inflight.set(op.id, pass);
      mine.add(op.id);
    }
    return fresh;
  };
  const addToGroups = (ops: JournalOp[]) => {
    for (const op of ops) {
      let group = groups.get(op.callId);
      if (!group) {
        group = { callId: op.callId, notes: [], updates: [], tasks: [] };
        groups.set(op.callId, group);
      }
      if (op.kind === 'create') group.create = op;
      else if (op.kind === 'note') group.notes.push(op);
      else if (op.kind === 'task') group.tasks.push(op);
      else group.updates.push(op);
    }
  };
  try {
    addToGroups(take(claimed));
    const creating = [...groups.values()].filter((g) => g.create);
    if (creating.length > 0) {
      // Notes and links already waiting for these calls travel with them.
      const waiting = await claimCalls(
        ctx,
        creating.map((g) => g.callId),
        { now: ctx.now(), leaseMs: ctx.leaseMs },
      );
      addToGroups(take(waiting));
      await writeCreates(ctx, creating, (pulled) => addToGroups(take(pulled)));
    }
    const followUps = [...groups.values()].filter(
      (g) => !g.create && (g.notes.length > 0 || g.updates.length > 0 || g.tasks.length > 0),
    );
    if (followUps.length > 0) await writeFollowUps(ctx, followUps);
  } finally {
    for (const id of mine) if (inflight.get(id) === pass) inflight.delete(id);
    // A logged call's caller hears back once its own notes had their first attempt too.
    for (const group of groups.values())
      if (group.logged) ctx.waiters.settle(group.logged.opId, group.logged.outcome);
  }
}
