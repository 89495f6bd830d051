/**
 * Writing creates: calls already in the ledger are finished without a write; the others are prepared,
 * inserted in batches of up to 100, healed and written again when an org refused an optional part, and
 * recorded in the ledger with their Zoho id. The call's own notes become note operations, and the notes
 * and links that waited for the call are pulled into the same pass.
 *
 * @module
 */
import { insertRecords, upsertRecords, type WriteOutcome } from '../crm/records.js';
import { recordUrl } from '../regions.js';
import { chunk, forEachLimit } from './batch.js';
import { type Group, type JournalContext, newOp } from './context.js';
import { failGroups, failRecord, missingResult, removeOp } from './fate.js';
import type { CallLoggedEvent } from './journal-types.js';
import type { CallWriteSettings } from './org-settings.js';
import { buildActivity, heal, linkedTo, type Prepared, prepare } from './prepare.js';
import type { JournalOp } from './store.js';

/** Receives operations pulled into the running pass (notes and links that waited for a call). @internal */
export type Pull = (ops: JournalOp[]) => void;

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

  let round: Prepared[] = [];
  await forEachLimit(todo, ctx.lookupConcurrency, async (group) => {
    try {
      round.push(await prepare(ctx, group));
    } catch (error) {
      await failGroups(ctx, [group], error);
    }
  });

  const where = settings.dedupeField ? 'POST /Calls/upsert' : 'POST /Calls';
  for (let attempt = 0; round.length > 0; attempt++) {
    const redo: Prepared[] = [];
    await forEachLimit(chunk(round, ctx.options.batchSize), ctx.writeConcurrency, async (items) => {
      let outcomes: WriteOutcome[];
      try {
        const records = items.map((item) => buildActivity(ctx, item, settings));
        outcomes = settings.dedupeField
          ? await upsertRecords(ctx.http, 'Calls', records, [settings.dedupeField])
          : await insertRecords(ctx.http, 'Calls', records);
      } catch (error) {
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
            await failGroups(ctx, [item.group], missingResult('POST', where.slice(5)));
            return;
          }
          if (outcome.ok) {
            await finishCreate(ctx, item.group, outcome.id, { pulled, match: linkedTo(item) });
            return;
          }
          const duplicate = duplicateId(outcome, settings.dedupeField);
          if (duplicate) {
            await finishCreate(ctx, item.group, duplicate, { pulled, match: linkedTo(item) });
            return;
          }
          if (attempt < 6 && heal(ctx, item, outcome, settings)) {
            redo.push(item);
            return;
          }
          await failRecord(ctx, item.group, outcome, where);
        }),
      );
    });
    round = redo;
  }
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
  info: { alreadyLogged?: boolean; pulled: Pull; match?: CallLoggedEvent['linkedTo'] },
): Promise<void> {
  const { store, cid } = ctx;
  const create = group.create as JournalOp;
  const at = ctx.now();
  // The call's own notes become note operations before the ledger entry, so a crash loses none.
  const notes = create.call?.notes ?? [];
  for (const [index, note] of notes.entries()) {
    await store.add(cid, newOp('note', group.callId, { note }, at, `note:${group.callId}:pbx:${index}`));
  }
  if (!info.alreadyLogged) {
    await store.setLogged(cid, group.callId, zohoCallId);
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
  info.pulled(await store.claimCalls(cid, [group.callId], { now: ctx.now(), leaseMs: ctx.leaseMs }));
}

function duplicateId(outcome: Extract<WriteOutcome, { ok: false }>, dedupeField: string | undefined) {
  if (outcome.code !== 'DUPLICATE_DATA' || !dedupeField || outcome.details.api_name !== dedupeField)
    return undefined;
  const record = outcome.details.duplicate_record as { id?: unknown } | undefined;
  return typeof record?.id === 'string' ? record.id : undefined;
}
