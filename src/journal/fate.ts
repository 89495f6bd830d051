/**
 * The fate of an operation after an attempt: done (removed), retried later with backoff, held until its
 * call is logged, or buried in the dead letters. Each decision is stored first, then the operation
 * leaves this process's in-flight set, the host hears about it (event, log) and its waiters settle.
 *
 * @module
 */
import type { WriteOutcome } from '../crm/records.js';
import { ErrorCode, ZohoApiError } from '../errors.js';
import type { Group, JournalContext } from './context.js';
import {
  classifyFailure,
  errorInfo,
  type FailureAction,
  RETRYABLE_RECORD_CODES,
  recordErrorInfo,
  retryDelay,
} from './retry-policy.js';
import type { DeadLetter, JournalErrorInfo, JournalOp } from './store.js';

/** A per-record refusal. @internal */
export type RecordFailure = Extract<WriteOutcome, { ok: false }>;

/** What a write answered for a record it did not report on. @internal */
export const MISSING_OUTCOME: RecordFailure = {
  ok: false,
  code: 'INTERNAL_ERROR',
  message: 'Zoho returned no result for this record',
  details: {},
};

/** Stores that an operation is done; from then on another pass may take it. @internal */
export async function removeOp(ctx: JournalContext, op: JournalOp): Promise<void> {
  await ctx.store.remove(ctx.cid, op);
  ctx.inflight.delete(op.id);
}

/** Ends this process's lease with the operation's new schedule. @internal */
export async function releaseOp(ctx: JournalContext, op: JournalOp): Promise<void> {
  await ctx.store.release(ctx.cid, op);
  ctx.inflight.delete(op.id);
}

/**
 * A whole batch failed (thrown error): its creates retry or die together (one jitter draw per batch, so
 * it retries together); their notes and links wait for them, or die with them.
 * @internal
 */
export async function failGroups(ctx: JournalContext, groups: Group[], error: unknown): Promise<void> {
  const jitter = ctx.random();
  const dead = classifyFailure(error) === 'dead';
  for (const group of groups) {
    if (group.create) await handleFailure(ctx, group.create, error, jitter);
    for (const op of [...group.notes, ...group.updates, ...group.tasks]) {
      if (dead) await buryOp(ctx, op, notLogged(errorInfo(error)));
      else await hold(ctx, op);
    }
  }
}

/** Zoho refused one call's record: the create and its follow-ups share the fate. @internal */
export async function failRecord(
  ctx: JournalContext,
  group: Group,
  outcome: RecordFailure,
  where: string,
): Promise<void> {
  await failOutcome(ctx, group.create as JournalOp, outcome, where);
  const dead = !RETRYABLE_RECORD_CODES.has(outcome.code);
  for (const op of [...group.notes, ...group.updates, ...group.tasks]) {
    if (dead) await buryOp(ctx, op, notLogged(recordErrorInfo(outcome)));
    else await hold(ctx, op);
  }
}

/** A per-record refusal: retried when it can pass, else buried. @internal */
export async function failOutcome(
  ctx: JournalContext,
  op: JournalOp,
  outcome: RecordFailure,
  where: string,
): Promise<void> {
  const info = recordErrorInfo(outcome);
  if (RETRYABLE_RECORD_CODES.has(outcome.code)) await retryLater(ctx, op, info, 'retry', undefined);
  else await buryOp(ctx, op, info, recordError(outcome, where));
}

/** A thrown error: retried, waiting for authorization, or buried (see `classifyFailure`). @internal */
export async function handleFailure(
  ctx: JournalContext,
  op: JournalOp,
  error: unknown,
  jitter = ctx.random(),
): Promise<void> {
  const action = classifyFailure(error);
  const info = errorInfo(error);
  if (action === 'dead') await buryOp(ctx, op, info, error);
  else await retryLater(ctx, op, info, action, error, jitter);
}

/** Queues the operation again with backoff (or until authorization is back). @internal */
export async function retryLater(
  ctx: JournalContext,
  op: JournalOp,
  info: JournalErrorInfo,
  action: Exclude<FailureAction, 'dead'>,
  error: unknown,
  jitter = ctx.random(),
): Promise<void> {
  const waitingForAuthorization = action === 'authorize';
  const attempts = waitingForAuthorization ? op.attempts : op.attempts + 1;
  const delayMs = waitingForAuthorization
    ? ctx.authRecheckMs
    : retryDelay(attempts, ctx.options.retry, jitter, error);
  const next: JournalOp = { ...op, attempts, nextAttemptAt: ctx.now() + delayMs, lastError: info };
  delete next.held;
  await releaseOp(ctx, next);
  ctx.counters.retries++;
  ctx.emit('journalRetry', {
    connectionId: ctx.cid,
    callId: op.callId,
    kind: op.kind,
    attempt: attempts,
    delayMs,
    nextAttemptAt: next.nextAttemptAt,
    waitingForAuthorization,
    error: info,
  });
  ctx.logger.warn(
    { callId: op.callId, kind: op.kind, code: info.code, zohoCode: info.zohoCode, delayMs },
    waitingForAuthorization ? 'journal write waits for authorization' : 'journal write queued for a retry',
  );
  ctx.waiters.settle(op.id, {
    status: 'queued',
    reason: waitingForAuthorization
      ? 'waiting for Zoho authorization (an admin must click Authorize)'
      : `Zoho did not accept the write now (${info.zohoCode ?? info.code}); retrying in the background`,
  });
  ctx.wake(delayMs);
}

/**
 * An insert of this call may have reached Zoho and it is too early to read back: the create waits until
 * `at` (not counted as an attempt); its notes and links wait for it.
 * @internal
 */
export async function postpone(ctx: JournalContext, group: Group, at: number): Promise<void> {
  const create = group.create as JournalOp;
  await releaseOp(ctx, { ...create, nextAttemptAt: at });
  for (const op of [...group.notes, ...group.updates, ...group.tasks]) await hold(ctx, op);
  ctx.waiters.settle(create.id, {
    status: 'queued',
    reason:
      'an earlier insert of this call may have reached Zoho; it is read back before anything is sent again',
  });
  ctx.wake(at - ctx.now());
}

/** A note or link for a call that is not logged: wait for it (bounded by `holdUnknownCallsMs`). @internal */
export async function hold(ctx: JournalContext, op: JournalOp): Promise<void> {
  const { holdUnknownCallsMs } = ctx.options;
  const deadline = op.createdAt + holdUnknownCallsMs;
  if (ctx.now() >= deadline) {
    await buryOp(ctx, op, {
      code: ErrorCode.JOURNAL_CALL_NOT_LOGGED,
      message: `no call with this id was logged within ${holdUnknownCallsMs} ms`,
    });
    return;
  }
  await releaseOp(ctx, { ...op, held: true, nextAttemptAt: deadline });
  ctx.waiters.settle(op.id, { status: 'queued', reason: 'held until the call is logged' });
  ctx.wake(deadline - ctx.now());
}

/** Moves the operation to the dead letters with Zoho's reason. @internal */
export async function buryOp(
  ctx: JournalContext,
  op: JournalOp,
  info: JournalErrorInfo,
  error?: unknown,
): Promise<void> {
  const letter: DeadLetter = { op: { ...op, lastError: info }, error: info, failedAt: ctx.now() };
  delete letter.op.held;
  await ctx.store.bury(ctx.cid, letter);
  ctx.inflight.delete(op.id);
  ctx.counters.deadLettered++;
  ctx.emit('journalFailed', { connectionId: ctx.cid, callId: op.callId, kind: op.kind, error: info });
  ctx.logger.error(
    { callId: op.callId, kind: op.kind, code: info.code, zohoCode: info.zohoCode, details: info.details },
    'journal write refused by Zoho; moved to the dead letters',
  );
  ctx.waiters.settle(op.id, { status: 'failed', error: error ?? infoError(info) });
}

/** The error for a write that answered fewer results than records. @internal */
export function missingResult(method: string, path: string): ZohoApiError {
  return new ZohoApiError(`Zoho returned fewer results than records on ${method} ${path}`, {
    status: 0,
    zohoCode: 'INTERNAL_ERROR',
    method,
    path,
  });
}

function notLogged(cause: JournalErrorInfo): JournalErrorInfo {
  return {
    code: ErrorCode.JOURNAL_CALL_NOT_LOGGED,
    message: `the call could not be logged (${cause.zohoCode ?? cause.code}: ${cause.message})`,
    ...(cause.zohoCode ? { zohoCode: cause.zohoCode } : {}),
    ...(cause.details ? { details: cause.details } : {}),
  };
}

function recordError(outcome: RecordFailure, where: string): ZohoApiError {
  const [method, path] = where.split(' ');
  return new ZohoApiError(`Zoho refused the record (${outcome.code}): ${outcome.message}`, {
    status: 400,
    zohoCode: outcome.code,
    details: outcome.details,
    ...(method ? { method } : {}),
    ...(path ? { path } : {}),
  });
}

function infoError(info: JournalErrorInfo): ZohoApiError {
  return new ZohoApiError(info.message, {
    status: info.status ?? 0,
    ...(info.zohoCode ? { zohoCode: info.zohoCode } : {}),
    ...(info.details ? { details: info.details } : {}),
  });
}
