/**
 * Writing creates: calls already in the ledger are finished without a write; calls whose earlier insert
 * may have reached Zoho are read back first (`read-back.ts`) and only the missing ones are sent again;
 * the others are prepared, marked as sent in the store (so a crash while sending leads to a read-back,
 * never a blind re-send), inserted in batches of up to 100 (`POST /Calls`, never `/Calls/upsert`, which
 * Zoho does not offer for Calls), healed and written again when an org refused an optional part, and
 * recorded in the ledger with their Zoho id. The call's own notes become note operations, and the notes
 * and links that waited for the call are pulled into the same pass.
 *
 * @module
 */
import { insertRecords, type WriteOutcome } from '../crm/records.js';
import { recordUrl } from '../regions.js';
import { chunk, forEachLimit } from './batch.js';
import { type Claimed, claimCalls } from './claims.js';
import { type Group, type JournalContext, newOp } from './context.js';
import { failGroups, failRecord, missingResult, postpone, removeOp } from './fate.js';
import type { CallLoggedEvent } from './journal-types.js';
import { durationSeconds } from './map-call.js';
import type { CallWriteSettings } from './org-settings.js';
import type { NormalizedCall } from './pbx-call.js';
import { buildActivity, heal, linkedTo, type Prepared, prepare } from './prepare.js';
import { maybeStored, readBack } from './read-back.js';
import type { CallUpdate, JournalOp, MissedCallTaskPlan } from './store.js';
import { queueCallbackTask, taskPlanOf } from './tasks.js';

/** Receives operations pulled into the running pass (notes and links that waited for a call). @internal */
export type Pull = (claimed: Claimed) => void;

/** Writes the creates of these groups (see the module notes). @internal */
export async function writeCreates(ctx: JournalContext, groups: Group[], pulled: Pull): Promise<void> {
  const todo: Group[] = [];
  for (const group of groups) {
    const existing = await ctx.store.getLogged(ctx.cid, group.callId);
    if (existing) await finishCreate(ctx, group, existing, { alreadyLogged: true, pulled });
    else todo.push(group);
  }
  if (todo.length === 0) return;

  let settings: CallWriteSettings;
  try {
    settings = await ctx.org.get();
  } catch (error) {
    await failGroups(ctx, todo, error);
    return;
  }

  const fresh = await recoverUncertain(ctx, settings, todo, pulled);
  let round: Prepared[] = [];
  await forEachLimit(fresh, ctx.lookupConcurrency, async (group) => {
    try {
      round.push(await prepare(ctx, group));
    } catch (error) {
      await failGroups(ctx, [group], error);
    }
  });

  for (let attempt = 0; round.length > 0; attempt++) {
    const redo: Prepared[] = [];
    await forEachLimit(chunk(round, ctx.options.batchSize), ctx.writeConcurrency, async (batch) => {
      const items = await markSent(ctx, batch);
      if (items.length === 0) return;
      const plan = await ctx.durations.plan();
      const records = items.map((item) => buildActivity(ctx, item, settings, plan));
      let outcomes: WriteOutcome[];
      try {
        outcomes = await insertRecords(ctx.http, 'Calls', records);
      } catch (error) {
        // Proven not stored (429, 4xx, never connected): the next attempt inserts without a read-back.
        if (!maybeStored(error)) for (const item of items) unsent(item.group);
        await failGroups(
          ctx,
          items.map((item) => item.group),
          error,
        );
        return;
      }
      await Promise.all(
        items.map(async (item, index) => {
          const outcome = outcomes[index];
          if (!outcome) {
            await failGroups(ctx, [item.group], missingResult('POST', '/Calls'));
            return;
          }
          const seconds = durationSeconds(item.call);
          if (outcome.ok) {
            const text = records[index]?.Call_Duration;
            const duration = ctx.durations.checkFor(plan, text, seconds);
            const task = taskPlanOf(item);
            await finishCreate(ctx, item.group, outcome.id, {
              pulled,
              match: linkedTo(item),
              duration,
              task,
            });
            return;
          }
          const duplicate = duplicateId(outcome, settings.dedupeField);
          if (duplicate) {
            // Written earlier, how is not known here.
            const duration = ctx.durations.checkFor(undefined, undefined, seconds);
            const task = taskPlanOf(item);
            await finishCreate(ctx, item.group, duplicate, { pulled, match: linkedTo(item), duration, task });
            return;
          }
          if (attempt < 6 && heal(ctx, item, outcome, settings)) {
            redo.push(item);
            return;
          }
          unsent(item.group); // Zoho answered for this record: it is not stored.
          await failRecord(ctx, item.group, outcome, 'POST /Calls');
        }),
      );
    });
    round = redo;
  }
}

/**
 * Creates whose insert may have reached Zoho (`sentAt`): too early → postponed until `readBackAfterMs`
 * after the send; else read back, and those found are finished without a write.
 * @returns The groups to insert: the fresh ones and the uncertain ones Zoho does not have.
 */
async function recoverUncertain(
  ctx: JournalContext,
  settings: CallWriteSettings,
  groups: Group[],
  pulled: Pull,
): Promise<Group[]> {
  const send: Group[] = [];
  const due: Group[] = [];
  const at = ctx.now();
  for (const group of groups) {
    const sentAt = group.create?.sentAt;
    if (sentAt === undefined) send.push(group);
    else if (at < sentAt + ctx.readBackAfterMs) await postpone(ctx, group, sentAt + ctx.readBackAfterMs);
    else due.push(group);
  }
  if (due.length === 0) return send;
  let found: Map<string, string>;
  try {
    found = await readBack(
      ctx,
      settings,
      due.map((group) => group.create?.call as NormalizedCall),
    );
  } catch (error) {
    await failGroups(ctx, due, error);
    return send;
  }
  for (const group of due) {
    const zohoCallId = found.get(group.callId);
    if (!zohoCallId) {
      send.push(group);
      continue;
    }
    const seconds = durationSeconds(group.create?.call as NormalizedCall);
    const duration = ctx.durations.checkFor(undefined, undefined, seconds);
    await finishCreate(ctx, group, zohoCallId, { pulled, recovered: true, duration });
  }
  return send;
}

/**
 * Stores `sentAt` on each create before its insert goes out. The store only keeps what it is given, so this
 * is a release with the create due again a lease later: no other pass takes it meanwhile (and a forced
 * `flush` elsewhere would read back, never send blind); this pass goes on with it and removes it when done.
 */
async function markSent(ctx: JournalContext, items: Prepared[]): Promise<Prepared[]> {
  const at = ctx.now();
  for (const item of items) {
    const create = { ...(item.group.create as JournalOp), sentAt: at, nextAttemptAt: at + ctx.leaseMs };
    await ctx.store.release(ctx.cid, create);
    item.group.create = create;
  }
  return items;
}

/** Zoho proved the insert did not store the record: no read-back is needed before the next one. */
function unsent(group: Group): void {
  if (group.create?.sentAt === undefined) return;
  const { sentAt: _sent, ...create } = group.create;
  group.create = create;
}

/**
 * A call is in Zoho (written now, found, or already in the ledger): its notes become operations, the
 * ledger records it, merged links are done, `callLogged` fires, and what waited for it is pulled.
 * @internal
 */
export async function finishCreate(
  ctx: JournalContext,
  group: Group,
  zohoCallId: string,
  info: {
    alreadyLogged?: boolean;
    /** Found by a read-back: late links were not part of that write and are written as updates. */
    recovered?: boolean;
    pulled: Pull;
    match?: CallLoggedEvent['linkedTo'];
    /** The duration check the activity needs (`duration-learning.ts`). */
    duration?: CallUpdate['duration'];
    /** How the activity was linked and owned (its missed-call task follows suit; `tasks.ts`). */
    task?: MissedCallTaskPlan;
  },
): Promise<void> {
  const { store, cid } = ctx;
  const create = group.create as JournalOp;
  const at = ctx.now();
  // The call's own notes (and its duration check) become operations before the ledger entry, so a
  // crash loses none.
  const notes = create.call?.notes ?? [];
  for (const [index, note] of notes.entries()) {
    await store.add(cid, newOp('note', group.callId, { note }, at, `note:${group.callId}:pbx:${index}`));
  }
  if (info.duration) {
    const update = { duration: info.duration };
    await store.add(cid, newOp('update', group.callId, { update }, at, `duration:${group.callId}`));
  }
  // A call in the ledger has its task queued already (or written): a redelivery queues none.
  if (!info.alreadyLogged) await queueCallbackTask(ctx, create, info.task);
  if (!info.alreadyLogged) await store.setLogged(cid, group.callId, zohoCallId);
  if (!info.alreadyLogged && !info.recovered) {
    // Links merged into this write are done.
    for (const update of group.updates) {
      await removeOp(ctx, update);
      ctx.waiters.settle(update.id, { status: 'logged', zohoCallId });
    }
    group.updates = [];
  }
  await removeOp(ctx, create);
  group.create = undefined;
  group.zohoCallId = zohoCallId;
  group.logged = {
    opId: create.id,
    outcome: { status: 'logged', zohoCallId, ...(info.alreadyLogged ? { reason: 'already logged' } : {}) },
  };
  if (!info.alreadyLogged) {
    ctx.counters.logged++;
    const region = ctx.region?.();
    ctx.emit('callLogged', {
      connectionId: cid,
      callId: group.callId,
      zohoCallId,
      ...(region ? { recordUrl: recordUrl(region, 'Calls', zohoCallId) } : {}),
      ...(info.match ? { linkedTo: info.match } : {}),
      attempts: create.attempts,
      queuedMs: Math.max(0, at - create.createdAt),
    });
    ctx.logger.info({ callId: group.callId, zohoCallId }, 'call logged');
  }
  // Notes and links that were waiting for the call (held) are written now.
  info.pulled(await claimCalls(ctx, [group.callId], { now: ctx.now(), leaseMs: ctx.leaseMs }));
}

function duplicateId(outcome: Extract<WriteOutcome, { ok: false }>, dedupeField: string | undefined) {
  if (outcome.code !== 'DUPLICATE_DATA' || !dedupeField || outcome.details.api_name !== dedupeField)
    return undefined;
  const record = outcome.details.duplicate_record as { id?: unknown } | undefined;
  return typeof record?.id === 'string' ? record.id : undefined;
}
