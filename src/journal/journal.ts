/**
 * The call journal: every trunk call becomes exactly one Zoho Calls activity, with its notes, recording
 * and transcription links, owned by the agent, even when Zoho is down, the token is being refreshed or
 * the process restarts.
 *
 * How it works:
 * - **Outbox first.** `logCall`, `addCallNote` and `attachToCall` put an operation into the journal
 *   store, then try to write it at once. Calls that arrive together are written together (up to 100 per
 *   insert). A retryable failure leaves the operation queued with exponential backoff; a background timer
 *   (unref'd) retries it; `flush()` drains the queue.
 * - **Exactly once.** A call's create operation has the id `create:<callId>` (queued at most once) and the
 *   ledger maps the call id to the Zoho id once written: a redelivered call returns that id and writes
 *   nothing. Zoho has no upsert on Calls: an insert whose answer was lost (timeout, dropped connection,
 *   5xx, crash) is never re-sent blind; Zoho is read back first (by `dedupeField`, else by the marker line
 *   every description ends with) and only what is missing is sent. Store claims (leases) keep several
 *   processes sharing one store from writing the same operation twice.
 * - **Notes and late links.** Notes and links for a call not yet logged wait for it and are merged into
 *   its write (links) or written right after it (notes); for a logged call they are added to the same
 *   activity (a note, or an update of `Description` / `Voice_Recording__s`), never a second activity.
 * - **Failures.** Zoho refusing the data (`INVALID_DATA`…) moves the operation to the dead letters with
 *   Zoho's code and details (`journalFailed`); optional fields Zoho refuses in an org (recording field,
 *   caller id, status field, a stale record link, an inactive owner) are dropped and the write retried
 *   at once instead.
 *
 * The parts, each with one job: `outbox.ts` (when to write: the scheduler), `creates.ts` and `prepare.ts`
 * (writing a call's activity), `follow-ups.ts` (notes and late links), `fate.ts` (retry, hold, bury),
 * sharing a `JournalContext` (`context.ts`). This module wires them and validates input.
 *
 * @module
 */

import { ConfigError } from '../errors.js';
import { noopLogger } from '../logger.js';
import { realScheduler } from './batch.js';
import { createWriteLog, noteWrites } from './claims.js';
import { createWaiters, type JournalContext, newOp, type Outcome, toResult } from './context.js';
import { createFieldsApplier } from './custom-fields.js';
import { createDurationLearning } from './duration-learning.js';
import { importCalls } from './import.js';
import type { JournalApi, JournalDependencies, JournalEvents, JournalWriteOptions } from './journal-types.js';
import { createMemoryJournalStore } from './memory-store.js';
import { createOrgSettings } from './org-settings.js';
import { createOutbox, type Outbox } from './outbox.js';
import { createOwnerResolver } from './owners.js';
import {
  type JournalResult,
  parseAttachments,
  parseCallId,
  parseNoteText,
  parsePbxCall,
} from './pbx-call.js';
import type { CallUpdate, JournalOp } from './store.js';

export type {
  CallAttachments,
  CallLoggedEvent,
  FlushResult,
  JournalApi,
  JournalDependencies,
  JournalEvents,
  JournalFailedEvent,
  JournalRetryEvent,
  JournalStats,
  JournalWriteOptions,
  ResolvedJournalOptions,
} from './journal-types.js';

/**
 * Creates the journal of one connection. Nothing happens synchronously; a first background pass (after
 * `startDelayMs`) picks up work a previous process left in the store.
 * @param deps - See {@link JournalDependencies}.
 * @returns The {@link JournalApi}.
 * @throws {@link ConfigError} when a link option asks for public links without `publicLinks`.
 * @example
 * ```ts
 * const journal = createJournal({ connectionId: 'tenant-42', http, lookup, options: resolved.journal,
 *   defaultCountry: resolved.lookup.defaultCountry, emit: (name, event) => emitter.emit(name, event) });
 * await journal.logCall(call);
 * await journal.close();
 * ```
 * @internal
 */
export function createJournal(deps: JournalDependencies): JournalApi {
  const { connectionId: cid, http, options } = deps;
  const wantsPublic = options.recordingLink === 'public' || options.transcriptionLink === 'public';
  if (options.enabled && wantsPublic && !options.publicLinks) {
    throw new ConfigError(
      [{ path: 'journal.publicLinks', message: 'is required for signed (no sign-in) links' }],
      'journal options',
    );
  }
  const store = deps.store ?? options.store ?? createMemoryJournalStore();
  const logger = deps.logger ?? noopLogger;
  const now = deps.now ?? Date.now;
  const leaseMs = deps.leaseMs ?? 300_000;
  const writes = createWriteLog(now, leaseMs);
  let outbox: Outbox | undefined;
  const ctx: JournalContext = {
    cid,
    http,
    store: noteWrites(store, writes),
    lookup: deps.lookup,
    options,
    defaultCountry: deps.defaultCountry,
    logger,
    now,
    random: deps.random ?? Math.random,
    leaseMs,
    authRecheckMs: deps.authRecheckMs ?? 60_000,
    writeConcurrency: deps.writeConcurrency ?? 2,
    lookupConcurrency: deps.lookupConcurrency ?? 8,
    readBackAfterMs: deps.readBackAfterMs ?? 60_000,
    owners: createOwnerResolver({
      http,
      agents: options.agents,
      userExtensionField: options.userExtensionField,
      fallbackOwnerId: options.fallbackOwnerId,
      now,
      logger,
    }),
    org: createOrgSettings({
      http,
      timeZone: options.timeZone,
      outboundStatusField: options.outboundStatusField,
      dedupeField: options.dedupeField,
      now,
      logger,
    }),
    durations: createDurationLearning({
      http,
      option: options.durationFormat,
      calibration: deps.calibration,
      logger,
    }),
    region: deps.region,
    fields: createFieldsApplier({
      connectionId: cid,
      option: 'journal.fields',
      logger,
      emit: (event) => deps.emit?.('configError', event),
    }),
    omitFields: new Set(),
    taskRefusal: undefined,
    inflight: new Map(),
    writes,
    counters: { logged: 0, notes: 0, updates: 0, tasks: 0, retries: 0, deadLettered: 0 },
    waiters: createWaiters(),
    emit<K extends keyof JournalEvents>(name: K, event: JournalEvents[K]) {
      try {
        deps.emit?.(name, event);
      } catch (error) {
        logger.warn({ event: name, error }, 'a journal event listener threw');
      }
    },
    wake: (delayMs) => outbox?.wake(delayMs),
  };
  const box = createOutbox(ctx, {
    scheduler: deps.scheduler ?? realScheduler,
    pollMs: deps.pollMs ?? 60_000,
    coalesceMs: Math.min(options.retry.baseDelayMs, 2_000),
    passLimit: options.batchSize * 4,
  });
  outbox = box;
  const { waiters, counters } = ctx;

  const scheduler = deps.scheduler ?? realScheduler;
  const answerWithinMs = deps.answerWithinMs ?? 60_000;
  /** The outcome of the first attempt, or `queued` once `answerWithinMs` has passed (the write goes on). */
  const submit = async (op: JournalOp, write?: JournalWriteOptions): Promise<JournalResult> => {
    if (box.closed) return { status: 'queued', reason: 'the journal is closed; the write stays queued' };
    if (write?.waitForAnswer === false) {
      void box.submit(op); // the first attempt starts now; its outcome reaches the events, not this caller
      return { status: 'queued', reason: 'in the outbox; writing in the background (waitForAnswer: false)' };
    }
    let timer: unknown;
    const late = new Promise<Outcome>((resolve) => {
      timer = scheduler.setTimeout(
        () =>
          resolve({
            status: 'queued',
            reason: `no answer within ${answerWithinMs} ms (Zoho or the token store is slow); writing in the background`,
          }),
        answerWithinMs,
      );
    });
    try {
      return toResult(await Promise.race([box.submit(op), late]));
    } finally {
      scheduler.clearTimeout(timer);
    }
  };

  // Picks up what a previous process left behind.
  box.wake(deps.startDelayMs ?? 0);

  return {
    async logCall(input, write) {
      const call = parsePbxCall(input);
      if (!options.enabled) return skipped('the journal is disabled (journal.enabled is false)');
      if (call.direction === 'internal') return skipped('internal call');
      if (options.trunkCallsOnly && !call.trunk) return skipped('not a trunk call (journal.trunkCallsOnly)');
      const existing = await store.getLogged(cid, call.id);
      if (existing) return { status: 'logged', zohoCallId: existing, reason: 'already logged' };
      const op = newOp('create', call.id, { call }, now());
      if (!(await store.add(cid, op))) {
        if (waiters.has(op.id)) return toResult(await waiters.wait(op.id));
        const logged = await store.getLogged(cid, call.id);
        if (logged) return { status: 'logged', zohoCallId: logged, reason: 'already logged' };
        return { status: 'queued', reason: 'already queued' };
      }
      return submit(op, write);
    },

    async addCallNote(callId, text, write) {
      const id = parseCallId(callId, 'addCallNote');
      const note = parseNoteText(text, 'addCallNote');
      if (!options.enabled) return skipped('the journal is disabled (journal.enabled is false)');
      const op = newOp('note', id, { note }, now());
      await store.add(cid, op);
      return submit(op, write);
    },

    async attachToCall(callId, links, write) {
      const id = parseCallId(callId, 'attachToCall');
      const update: CallUpdate = parseAttachments(links);
      if (!options.enabled) return skipped('the journal is disabled (journal.enabled is false)');
      const op = newOp('update', id, { update }, now());
      await store.add(cid, op);
      return submit(op, write);
    },

    async linkCall(callId, match) {
      const id = parseCallId(callId, 'linkCall');
      if (!options.enabled) return skipped('the journal is disabled (journal.enabled is false)');
      if (match.module === 'PBX') return skipped('PBX directory contacts are not CRM records');
      const link: NonNullable<CallUpdate['link']> = { module: match.module, id: match.id, name: match.name };
      if (match.module === 'Contacts' && match.account) link.accountId = match.account.id;
      const op = newOp('update', id, { update: { link } }, now());
      await store.add(cid, op);
      return submit(op);
    },

    importCalls(calls, importOptions) {
      return importCalls({ ctx, outbox: box }, calls, importOptions);
    },

    async flush() {
      await box.flush();
      const { count } = await store.pending(cid);
      return { pending: count, deadLetters: (await store.deadLetters(cid)).length };
    },

    deadLetters() {
      return store.deadLetters(cid);
    },

    async retryDeadLetter(opId) {
      const letter = await store.unbury(cid, opId);
      if (!letter) return false;
      const op: JournalOp = { ...letter.op, attempts: 0, nextAttemptAt: now() };
      delete op.held;
      await store.add(cid, op);
      box.wake(0);
      return true;
    },

    async stats() {
      const { count } = await store.pending(cid);
      const quarantined = (await store.quarantined?.(cid))?.count ?? 0;
      return { ...counters, pending: count, deadLetters: (await store.deadLetters(cid)).length, quarantined };
    },

    resume() {
      if (box.closed) return;
      ctx.taskRefusal = undefined; // authorized again, perhaps with the Tasks scopes now
      void this.flush().catch((error: unknown) => logger.error({ error }, 'journal resume failed'));
    },

    close() {
      return box.close();
    },
  };
}

// --- Internal helpers ---

function skipped(reason: string): JournalResult {
  return { status: 'skipped', reason };
}
