/**
 * Missed-call tasks (`journal.missedCallTask`): a follow-up Zoho Tasks record ("Call back …") for every
 * missed inbound trunk call, linked and owned like the call's activity, written exactly once.
 *
 * How:
 * - **Queued with the call.** When a missed call's activity is in Zoho, `task:<callId>` is queued in the
 *   journal store before the ledger records the call (`finishCreate`), so a crash loses none and a
 *   redelivered call (already in the ledger) queues none. It carries the activity's link and owner.
 * - **Written as a follow-up**, in batches of up to 100 per `POST /Tasks` (never `/Tasks/upsert`, which Zoho
 *   does not offer), after the call is logged.
 * - **Exactly once.** Before an insert goes out each task is marked as sent in the store, with the
 *   `Due_Date` it sends. An insert whose answer was lost (timeout, dropped connection, 5xx, crash) is never
 *   re-sent blind: after `readBackAfterMs` the journal reads back the Tasks due that day and matches the
 *   call's marker line in the description (`task-read-back.ts`); only what is missing is sent again.
 * - **Refusals.** The call stays logged whatever happens to its task. Zoho refusing the task's data
 *   (`INVALID_DATA`, a mandatory custom field…) moves it to the dead letters (`journalFailed` with kind
 *   `task`); an owner or link Zoho refuses is dropped (fallback owner, unlinked) and the task written again.
 *   A grant without the Tasks scopes (`AUTH_SCOPE_MISMATCH`) is logged once as an error; that task and every
 *   later one go to the dead letters without a request until authorization is back (`resume()`), from
 *   where `retryDeadLetter` sends them once the connection has the scopes.
 *
 * @module
 */
import { insertRecords, type WriteOutcome } from '../crm/records.js';
import { AuthError, ErrorCode } from '../errors.js';
import { chunk, forEachLimit } from './batch.js';
import type { Group, JournalContext } from './context.js';
import { buryOp, failOutcome, handleFailure, MISSING_OUTCOME, releaseOp, removeOp } from './fate.js';
import { toMissedCallTask, wantsCallbackTask } from './map-task.js';
import type { CallWriteSettings } from './org-settings.js';
import type { NormalizedCall } from './pbx-call.js';
import { type Prepared, prepare } from './prepare.js';
import { maybeStored } from './read-back.js';
import type { JournalErrorInfo, JournalOp, MissedCallTaskPlan } from './store.js';
import { readBackTasks } from './task-read-back.js';

/** The Tasks scopes, named in the refusal (the same as `TASK_SCOPES`). */
const NEEDED = 'ZohoCRM.modules.tasks.CREATE and ZohoCRM.modules.tasks.READ';

/** How the task of a call written by this pass is linked and owned: as its activity. @internal */
export function taskPlanOf(item: Prepared): MissedCallTaskPlan {
  const { match } = item;
  const link =
    match && (match.module === 'Contacts' || match.module === 'Leads' || match.module === 'Accounts')
      ? {
          module: match.module,
          id: match.id,
          ...(match.name ? { name: match.name } : {}),
          ...(match.module === 'Contacts' && match.account ? { accountId: match.account.id } : {}),
        }
      : null;
  return { link, ownerId: item.ownerId ?? null };
}

/**
 * Queues the follow-up task of a call whose activity is now in Zoho, when the option is on and the call
 * is a missed inbound call with a number to call back. Called before the ledger records the call.
 * @internal
 */
export async function queueCallbackTask(
  ctx: JournalContext,
  create: JournalOp,
  plan: MissedCallTaskPlan | undefined,
): Promise<void> {
  const call = create.call;
  if (!ctx.options.missedCallTask.enabled || !call || !wantsCallbackTask(call, ctx.defaultCountry)) return;
  const at = ctx.now();
  const op: JournalOp = {
    id: `task:${create.callId}`,
    callId: create.callId,
    kind: 'task',
    call,
    ...(plan ? { task: plan } : {}),
    createdAt: at,
    attempts: 0,
    nextAttemptAt: at,
  };
  await ctx.store.add(ctx.cid, op);
}

/** Writes the tasks of these groups, whose calls are logged (see the module notes). @internal */
export async function writeTasks(ctx: JournalContext, groups: Group[]): Promise<void> {
  const ops = groups.flatMap((group) => group.tasks);
  if (ops.length === 0) return;
  if (ctx.taskRefusal) {
    for (const op of ops) await buryOp(ctx, op, ctx.taskRefusal, refusalError(ctx.taskRefusal));
    return;
  }
  let settings: CallWriteSettings;
  try {
    settings = await ctx.org.get();
  } catch (error) {
    await failAll(ctx, ops, error);
    return;
  }
  const send = await recoverUncertain(ctx, ops);
  let round: Array<{ op: JournalOp; plan: MissedCallTaskPlan }> = [];
  await forEachLimit(send, ctx.lookupConcurrency, async (op) => {
    try {
      round.push({ op, plan: op.task ?? taskPlanOf(await prepare(ctx, asGroup(op))) });
    } catch (error) {
      await handleFailure(ctx, op, error);
    }
  });
  for (let attempt = 0; round.length > 0; attempt++) {
    const redo: typeof round = [];
    await forEachLimit(chunk(round, ctx.options.batchSize), ctx.writeConcurrency, async (batch) => {
      const items = await markSent(ctx, settings, batch);
      let outcomes: WriteOutcome[];
      try {
        outcomes = await insertRecords(
          ctx.http,
          'Tasks',
          items.map((item) => item.record),
        );
      } catch (error) {
        // Proven not stored (429, 4xx, never connected): the next attempt inserts without a read-back.
        if (!maybeStored(error)) for (const item of items) unsent(item);
        await failAll(
          ctx,
          items.map((item) => item.op),
          error,
        );
        return;
      }
      for (const [index, item] of items.entries()) {
        const outcome = outcomes[index] ?? MISSING_OUTCOME;
        if (outcome.ok) {
          await done(ctx, item.op, outcome.id);
        } else if (outcome !== MISSING_OUTCOME && attempt < 4 && heal(ctx, item, outcome)) {
          unsent(item);
          redo.push(item);
        } else {
          if (outcome !== MISSING_OUTCOME) unsent(item); // Zoho answered for this record: not stored
          await failOutcome(ctx, item.op, outcome, 'POST /Tasks');
        }
      }
    });
    round = redo;
  }
}

// --- Internal helpers ---

type Item = { op: JournalOp; plan: MissedCallTaskPlan; record: Record<string, unknown> };

/** Tasks whose insert may have reached Zoho: postponed until the read-back window, else read back. */
async function recoverUncertain(ctx: JournalContext, ops: JournalOp[]): Promise<JournalOp[]> {
  const send: JournalOp[] = [];
  const due: JournalOp[] = [];
  const at = ctx.now();
  for (const op of ops) {
    if (op.sentAt === undefined) send.push(op);
    else if (at < op.sentAt + ctx.readBackAfterMs) {
      const until = op.sentAt + ctx.readBackAfterMs;
      await releaseOp(ctx, { ...op, nextAttemptAt: until });
      ctx.wake(until - at);
    } else due.push(op);
  }
  if (due.length === 0) return send;
  let found: Map<string, string>;
  try {
    found = await readBackTasks(ctx, due);
  } catch (error) {
    await failAll(ctx, due, error);
    return send;
  }
  for (const op of due) {
    const id = found.get(op.callId);
    if (id) await done(ctx, op, id, true);
    else send.push(op);
  }
  return send;
}

/** Builds each record and stores `sentAt` (and the `Due_Date` sent) before the insert goes out. */
async function markSent(
  ctx: JournalContext,
  settings: CallWriteSettings,
  batch: Array<{ op: JournalOp; plan: MissedCallTaskPlan }>,
): Promise<Item[]> {
  const at = ctx.now();
  const items: Item[] = [];
  for (const { op, plan } of batch) {
    const record = toMissedCallTask(op.call as NormalizedCall, {
      timeZone: settings.timeZone,
      defaultCountry: ctx.defaultCountry,
      dueInMinutes: ctx.options.missedCallTask.dueInMinutes,
      subject: ctx.options.missedCallTask.subject,
      includeCallId: ctx.options.includeCallId,
      link: plan.link,
      ownerId: plan.ownerId ?? undefined,
    });
    const sent: JournalOp = {
      ...op,
      task: { ...plan, dueDate: record.Due_Date },
      sentAt: at,
      nextAttemptAt: at + ctx.leaseMs,
    };
    await ctx.store.release(ctx.cid, sent);
    items.push({ op: sent, plan: { ...plan, dueDate: record.Due_Date }, record });
  }
  return items;
}

/** Zoho proved the insert did not store the task: no read-back is needed before the next one. */
function unsent(item: Item): void {
  if (item.op.sentAt === undefined) return;
  const { sentAt: _sent, ...op } = item.op;
  item.op = op;
}

async function done(ctx: JournalContext, op: JournalOp, taskId: string, recovered = false): Promise<void> {
  await removeOp(ctx, op);
  ctx.counters.tasks++;
  ctx.logger.info({ callId: op.callId, taskId, recovered }, 'missed-call task written');
}

/** Drops an owner or a link Zoho refused; true to write the task again at once. */
function heal(ctx: JournalContext, item: Item, outcome: Extract<WriteOutcome, { ok: false }>): boolean {
  if (outcome.code !== 'INVALID_DATA' && outcome.code !== 'MANDATORY_NOT_FOUND') return false;
  const field = outcome.details.api_name;
  const owner = item.plan.ownerId;
  if (field === 'Owner' && owner) {
    ctx.owners.reject(owner);
    const fallback = ctx.options.fallbackOwnerId;
    item.plan = { ...item.plan, ownerId: fallback && fallback !== owner ? fallback : null };
    ctx.logger.warn(
      { callId: item.op.callId },
      'Zoho refused the task owner (inactive user?); using the fallback',
    );
    return true;
  }
  if ((field === 'Who_Id' || field === 'What_Id' || field === '$se_module') && item.plan.link) {
    item.plan = { ...item.plan, link: null };
    ctx.logger.warn(
      { callId: item.op.callId },
      'Zoho refused the task link (deleted record?); writing it unlinked',
    );
    return true;
  }
  return false;
}

/** A thrown error for these tasks: a grant without the Tasks scopes buries them, the rest as usual. */
async function failAll(ctx: JournalContext, ops: JournalOp[], error: unknown): Promise<void> {
  if (error instanceof AuthError && error.code === ErrorCode.AUTH_SCOPE_MISMATCH) {
    const info = refuse(ctx);
    for (const op of ops) await buryOp(ctx, op, info, error);
    return;
  }
  const jitter = ctx.random();
  for (const op of ops) await handleFailure(ctx, op, error, jitter);
}

/** Remembers (and reports once) that the grant lacks the Tasks scopes. */
function refuse(ctx: JournalContext): JournalErrorInfo {
  if (!ctx.taskRefusal) {
    ctx.taskRefusal = {
      code: ErrorCode.AUTH_SCOPE_MISMATCH,
      zohoCode: 'OAUTH_SCOPE_MISMATCH',
      message: `the connection is not authorized for Tasks: authorize again with ${NEEDED} (TASK_SCOPES), then retry the dead letters`,
    };
    ctx.logger.error(
      { needed: NEEDED },
      'missed-call tasks refused: the grant lacks the Tasks scopes; tasks go to the dead letters until authorized again',
    );
  }
  return ctx.taskRefusal;
}

function refusalError(info: JournalErrorInfo): AuthError {
  return new AuthError(ErrorCode.AUTH_SCOPE_MISMATCH, info.message, {
    reauthorize: true,
    zohoCode: 'OAUTH_SCOPE_MISMATCH',
  });
}

/** A task operation as a group `prepare` can resolve (caller lookup and owner, as for the call). */
function asGroup(op: JournalOp): Group {
  return { callId: op.callId, create: op, notes: [], updates: [], tasks: [] };
}
