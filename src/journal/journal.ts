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
 *   nothing. With `dedupeField`, writes are upserts keyed on the call id, which also closes the window
 *   between Zoho's answer and the ledger write. Store claims (leases) keep several processes sharing one
 *   store from writing the same operation twice.
 * - **Notes and late links.** Notes and links for a call not yet logged wait for it and are merged into
 *   its write (links) or written right after it (notes); for a logged call they are added to the same
 *   activity (a note, or an update of `Description` / `Voice_Recording__s`), never a second activity.
 * - **Failures.** Zoho refusing the data (`INVALID_DATA`…) moves the operation to the dead letters with
 *   Zoho's code and details (`journalFailed`); optional fields Zoho refuses in an org (recording field,
 *   caller id, status field, a stale record link, an inactive owner) are dropped and the write retried
 *   at once instead.
 *
 * @module
 */

import { createNotes } from '../crm/notes.js';
import { getRecord, insertRecords, updateRecords, upsertRecords, type WriteOutcome } from '../crm/records.js';
import { ConfigError, ErrorCode, ZohoApiError } from '../errors.js';
import type { ZohoHttp } from '../http/client.js';
import { type Logger, noopLogger } from '../logger.js';
import type { CallerLookupEngine, CallerMatch } from '../lookup/types.js';
import type { ResolvedConnectorOptions } from '../options.js';
import { classifyNumber } from '../phone/normalize.js';
import { maskPhone } from '../redact.js';
import { type Region, recordUrl } from '../regions.js';
import { chunk, defer, forEachLimit, realScheduler, type Scheduler } from './batch.js';
import {
  bmpSafe,
  type CallActivity,
  clampDescription,
  linkFields,
  linkLines,
  RECORDING_FIELD_MAX_LENGTH,
  toCallActivity,
} from './map-call.js';
import { createMemoryJournalStore } from './memory-store.js';
import { type CallWriteSettings, createOrgSettings } from './org-settings.js';
import { createOwnerResolver } from './owners.js';
import {
  type JournalResult,
  MAX_TEXT_LENGTH,
  type NormalizedCall,
  type PbxCall,
  parsePbxCall,
  type RecordingLink,
  type TranscriptionLink,
} from './pbx-call.js';
import { signPublicLink } from './public-link.js';
import {
  classifyFailure,
  errorInfo,
  type FailureAction,
  isOptionalLookupRefused,
  RETRYABLE_RECORD_CODES,
  recordErrorInfo,
  retryDelay,
} from './retry-policy.js';
import type {
  CallUpdate,
  DeadLetter,
  JournalErrorInfo,
  JournalOp,
  JournalOpKind,
  JournalStore,
} from './store.js';

/**
 * Journal options after validation (`ResolvedConnectorOptions['journal']`).
 * @internal
 */
export type ResolvedJournalOptions = ResolvedConnectorOptions['journal'];

/**
 * Links that became available after the call, for `attachToCall`.
 * @example
 * ```ts
 * const links: CallAttachments = { transcription: { url: 'https://pbx.example.com/t/7f3a', summary: 'Wants a quote' } };
 * ```
 * @group Journal
 */
export interface CallAttachments {
  /** The recording (or voicemail). */
  recording?: RecordingLink;
  /** The AI transcription and an optional summary. */
  transcription?: TranscriptionLink;
}

/**
 * Emitted when a call's activity exists in Zoho (first write, not for redeliveries).
 * @example
 * ```ts
 * zoho.on('callLogged', (e) => metrics.histogram('journal.delay_ms', e.queuedMs));
 * ```
 * @group Events
 */
export interface CallLoggedEvent {
  /** The connection (tenant). */
  connectionId: string;
  /** The PBX call id. */
  callId: string;
  /** The Zoho Calls record id. */
  zohoCallId: string;
  /** CRM web URL of the activity, when the region is known. */
  recordUrl?: string;
  /** The record the activity is linked to, if any. */
  linkedTo?: {
    /** Module of the record. */
    module: 'Contacts' | 'Leads' | 'Accounts';
    /** Record id. */
    id: string;
  };
  /** Failed attempts before this one. */
  attempts: number;
  /** Time from `logCall` to the write, in ms. */
  queuedMs: number;
}

/**
 * Emitted when a journal write failed for a reason that can pass and was queued for a retry.
 * @example
 * ```ts
 * zoho.on('journalRetry', (e) => logger.warn({ callId: e.callId, code: e.error.code, in: e.delayMs }, 'journal retry'));
 * ```
 * @group Events
 */
export interface JournalRetryEvent {
  /** The connection (tenant). */
  connectionId: string;
  /** The PBX call id. */
  callId: string;
  /** What was being written. */
  kind: JournalOpKind;
  /** Failed attempts so far (authorization waits are not counted). */
  attempt: number;
  /** Delay until the next attempt, in ms. */
  delayMs: number;
  /** When the next attempt is due, epoch ms. */
  nextAttemptAt: number;
  /** True when it waits for an admin to authorize again (nothing else will fix it). */
  waitingForAuthorization: boolean;
  /** Why it failed. */
  error: JournalErrorInfo;
}

/**
 * Emitted when Zoho refused a journal write for good; the write is in the dead letters.
 * @example
 * ```ts
 * zoho.on('journalFailed', (e) => alert(`Call ${e.callId} not logged: ${e.error.zohoCode} ${JSON.stringify(e.error.details)}`));
 * ```
 * @group Events
 */
export interface JournalFailedEvent {
  /** The connection (tenant). */
  connectionId: string;
  /** The PBX call id. */
  callId: string;
  /** What was being written. */
  kind: JournalOpKind;
  /** Zoho's code and details. */
  error: JournalErrorInfo;
}

/**
 * The journal's events by name.
 * @example
 * ```ts
 * const names: Array<keyof JournalEvents> = ['callLogged', 'journalRetry', 'journalFailed'];
 * ```
 * @group Events
 */
export interface JournalEvents {
  /** See {@link CallLoggedEvent}. */
  callLogged: CallLoggedEvent;
  /** See {@link JournalRetryEvent}. */
  journalRetry: JournalRetryEvent;
  /** See {@link JournalFailedEvent}. */
  journalFailed: JournalFailedEvent;
}

/**
 * What `flush` left behind.
 * @group Journal
 */
export interface FlushResult {
  /** Operations still queued (Zoho still failing, or notes waiting for a call not logged yet). */
  pending: number;
  /** Dead letters in the store. */
  deadLetters: number;
}

/**
 * Journal counters since the journal was created, plus what the store holds now.
 * @example
 * ```ts
 * const { logged, pending, deadLetters } = await zoho.journalStats();
 * ```
 * @group Journal
 */
export interface JournalStats {
  /** Calls written to Zoho. */
  logged: number;
  /** Notes written. */
  notes: number;
  /** Activities updated with late links or record links. */
  updates: number;
  /** Writes queued for a retry. */
  retries: number;
  /** Writes moved to the dead letters. */
  deadLettered: number;
  /** Operations queued now. */
  pending: number;
  /** Dead letters in the store now. */
  deadLetters: number;
  /** Records the store could not read and kept aside (0 when the store does not quarantine). */
  quarantined: number;
}

/**
 * The journal API the connector exposes (its `logCall`, `addCallNote`, `attachToCall`, `flush`…).
 * @internal
 */
export interface JournalApi {
  /**
   * Logs a finished call as a Zoho Calls activity, once. Resolves after the first write attempt.
   * @returns `logged` (with the Zoho id; also for a redelivered call), `queued` (written later) or `skipped`.
   * @throws {@link ConfigError} naming the bad field of an invalid call; the Zoho error when Zoho refused
   * the call's data (it is then in the dead letters and `journalFailed` fired).
   */
  logCall(call: PbxCall): Promise<JournalResult>;
  /**
   * Adds a note to a call's activity, at any time: before the call is logged (held and written after
   * it), during or after.
   * @returns `logged` when written (with the activity's id), `queued` when held or retrying.
   */
  addCallNote(callId: string, text: string): Promise<JournalResult>;
  /**
   * Adds links that arrived after the call (typically an AI transcription) to the same activity; merged
   * into the call's write when it is not logged yet.
   */
  attachToCall(callId: string, links: CallAttachments): Promise<JournalResult>;
  /** Links a call's activity to a CRM record (used after creating a record for an unknown caller). */
  linkCall(callId: string, match: CallerMatch): Promise<JournalResult>;
  /** Writes everything queued now (one attempt for writes in backoff) and reports what is left. */
  flush(): Promise<FlushResult>;
  /** Writes Zoho refused for good, oldest first. */
  deadLetters(): Promise<DeadLetter[]>;
  /** Queues a dead letter again (after fixing the cause in Zoho); false when there is no such letter. */
  retryDeadLetter(opId: string): Promise<boolean>;
  /** Counters and queue sizes. */
  stats(): Promise<JournalStats>;
  /** Authorization is back: retry what waited for it now. */
  resume(): void;
  /** Stops the background timer and waits for writes in progress; queued work stays in the store. */
  close(): Promise<void>;
}

/**
 * Everything {@link createJournal} needs; the connector supplies it.
 * @internal
 */
export interface JournalDependencies {
  /** Key of the connection in the store. */
  connectionId: string;
  /** The Zoho HTTP client. @internal */
  http: ZohoHttp;
  /** The lookup engine (links the activity to the caller's record). */
  lookup: Pick<CallerLookupEngine, 'findByE164'> & Partial<Pick<CallerLookupEngine, 'invalidate'>>;
  /** `journal` options, validated. */
  options: ResolvedJournalOptions;
  /** Country for numbers without a country code (`lookup.defaultCountry`). */
  defaultCountry: string;
  /** Overrides `options.store`; defaults to a memory store. */
  store?: JournalStore;
  /** Logger (already redacting). */
  logger?: Logger;
  /** Clock, epoch ms. @default Date.now */
  now?: () => number;
  /** Jitter source. @default Math.random */
  random?: () => number;
  /** Timers for background retries. @default unref'd setTimeout */
  scheduler?: Scheduler;
  /** Receives `callLogged`, `journalRetry` and `journalFailed`. */
  emit?: <K extends keyof JournalEvents>(name: K, event: JournalEvents[K]) => void;
  /** The connection's data centre (activity URLs in `callLogged`). */
  region?: () => Pick<Region, 'crmWebUrl'> | undefined;
  /** How long a claimed operation stays invisible to other claims. @default 300000 */
  leaseMs?: number;
  /** How often work waiting for authorization is retried. @default 60000 */
  authRecheckMs?: number;
  /** Longest sleep of the background timer while work is queued (claims of crashed peers expire). @default 60000 */
  pollMs?: number;
  /** Insert requests in flight at once. @default 2 */
  writeConcurrency?: number;
  /** Caller lookups in flight at once while preparing a batch. @default 8 */
  lookupConcurrency?: number;
  /** Delay before the first background pass (picks up what a previous process left). @default 0 */
  startDelayMs?: number;
}

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
  const { connectionId: cid, http, lookup, options } = deps;
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
  const random = deps.random ?? Math.random;
  const scheduler = deps.scheduler ?? realScheduler;
  const leaseMs = deps.leaseMs ?? 300_000;
  const authRecheckMs = deps.authRecheckMs ?? 60_000;
  const pollMs = deps.pollMs ?? 60_000;
  const writeConcurrency = deps.writeConcurrency ?? 2;
  const lookupConcurrency = deps.lookupConcurrency ?? 8;
  const batchSize = options.batchSize;
  const passLimit = batchSize * 4;
  const coalesceMs = Math.min(options.retry.baseDelayMs, 2_000);

  const owners = createOwnerResolver({
    http,
    agents: options.agents,
    userExtensionField: options.userExtensionField,
    fallbackOwnerId: options.fallbackOwnerId,
    now,
    logger,
  });
  const org = createOrgSettings({
    http,
    timeZone: options.timeZone,
    outboundStatusField: options.outboundStatusField,
    dedupeField: options.dedupeField,
    now,
    logger,
  });

  /** Optional fields Zoho refused in this org (connector lifetime). */
  const omitFields = new Set<string>();
  const waiters = new Map<string, Array<(outcome: Outcome) => void>>();
  /** Operations being written by a pass of this process, with the pass that owns them. */
  const inflight = new Map<string, object>();
  const active = new Set<Promise<unknown>>();
  let inline: Array<{ opId: string; callId: string }> = [];
  let inlineScheduled = false;
  let timer: { handle: unknown; at: number } | undefined;
  let pumping: Promise<void> | undefined;
  let pumpAgain = false;
  let closed = false;
  const counters = { logged: 0, notes: 0, updates: 0, retries: 0, deadLettered: 0 };

  // --- Waiting for a first attempt ---

  const wait = (opId: string): Promise<Outcome> =>
    new Promise((resolve) => {
      const list = waiters.get(opId);
      if (list) list.push(resolve);
      else waiters.set(opId, [resolve]);
    });

  const settle = (opId: string, outcome: Outcome): void => {
    const list = waiters.get(opId);
    if (!list) return;
    waiters.delete(opId);
    for (const resolve of list) resolve(outcome);
  };

  const track = <T>(promise: Promise<T>): Promise<T> => {
    active.add(promise);
    void promise.finally(() => active.delete(promise)).catch(() => undefined);
    return promise;
  };

  const emit = <K extends keyof JournalEvents>(name: K, event: JournalEvents[K]): void => {
    try {
      deps.emit?.(name, event);
    } catch (error) {
      logger.warn({ event: name, error }, 'a journal event listener threw');
    }
  };

  // --- Scheduling ---

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
    if (closed) return Promise.resolve();
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
            const ops = await store.claimDue(cid, {
              now: at,
              leaseMs,
              limit: passLimit,
              dueBefore: at + coalesceMs,
            });
            if (ops.length === 0) break;
            await processOps(ops);
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

  const enqueueInline = (opId: string, callId: string): void => {
    inline.push({ opId, callId });
    if (inlineScheduled) return;
    inlineScheduled = true;
    defer(() => {
      inlineScheduled = false;
      const batch = inline;
      inline = [];
      void track(runInline(batch));
    });
  };

  const runInline = async (batch: Array<{ opId: string; callId: string }>): Promise<void> => {
    let claimed: JournalOp[];
    try {
      const at = now();
      claimed = await store.claimCalls(
        cid,
        batch.map((b) => b.callId),
        { now: at, leaseMs, dueBefore: at },
      );
    } catch (error) {
      logger.error({ error }, 'journal store unavailable; the write stays queued');
      for (const { opId } of batch)
        settle(opId, { status: 'queued', reason: 'the journal store is unavailable' });
      wake(pollMs);
      return;
    }
    const ids = new Set(claimed.map((op) => op.id));
    for (const { opId } of batch) {
      if (!ids.has(opId) && !inflight.has(opId)) {
        settle(opId, { status: 'queued', reason: 'being written by another process' });
      }
    }
    try {
      await processOps(claimed);
    } catch (error) {
      logger.error({ error }, 'journal write failed; retrying later');
      for (const { opId } of batch) settle(opId, { status: 'queued', reason: 'retrying in the background' });
    }
    void scheduleNext();
  };

  // --- Processing ---

  /** Stores an operation's fate; from then on another pass may take it (it is no longer in flight here). */
  const removeOp = async (op: JournalOp): Promise<void> => {
    await store.remove(cid, op);
    inflight.delete(op.id);
  };
  const releaseOp = async (op: JournalOp): Promise<void> => {
    await store.release(cid, op);
    inflight.delete(op.id);
  };

  const processOps = async (claimed: JournalOp[]): Promise<void> => {
    const pass = {};
    const mine = new Set<string>();
    const groups = new Map<string, Group>();
    const take = (ops: JournalOp[]): JournalOp[] => {
      // Still in flight here (its lease ran out during a long pass): hand it back untouched.
      for (const op of ops)
        if (inflight.has(op.id) && !mine.has(op.id)) void store.release(cid, op).catch(() => undefined);
      const fresh = ops.filter((op) => !inflight.has(op.id) && !mine.has(op.id));
      for (const op of fresh) {
        inflight.set(op.id, pass);
        mine.add(op.id);
      }
      return fresh;
    };
    try {
      const addToGroups = (ops: JournalOp[]) => {
        for (const op of ops) {
          let group = groups.get(op.callId);
          if (!group) {
            group = { callId: op.callId, notes: [], updates: [] };
            groups.set(op.callId, group);
          }
          if (op.kind === 'create') group.create = op;
          else if (op.kind === 'note') group.notes.push(op);
          else group.updates.push(op);
        }
      };
      addToGroups(take(claimed));
      const creating = [...groups.values()].filter((g) => g.create);
      if (creating.length > 0) {
        // Notes and links already waiting for these calls travel with them.
        addToGroups(
          take(
            await store.claimCalls(
              cid,
              creating.map((g) => g.callId),
              { now: now(), leaseMs },
            ),
          ),
        );
        await writeCreates(creating, (ops) => addToGroups(take(ops)));
      }
      const followUps = [...groups.values()].filter(
        (g) => !g.create && (g.notes.length > 0 || g.updates.length > 0),
      );
      if (followUps.length > 0) await writeFollowUps(followUps);
    } finally {
      for (const id of mine) if (inflight.get(id) === pass) inflight.delete(id);
      // A logged call's caller hears back once its own notes had their first attempt too.
      for (const group of groups.values()) if (group.logged) settle(group.logged.opId, group.logged.outcome);
    }
  };

  const writeCreates = async (groups: Group[], pulled: (ops: JournalOp[]) => void): Promise<void> => {
    const todo: Group[] = [];
    for (const group of groups) {
      const existing = await store.getLogged(cid, group.callId);
      if (existing) await finishCreate(group, existing, { alreadyLogged: true, pulled });
      else todo.push(group);
    }
    if (todo.length === 0) return;

    let settings: CallWriteSettings;
    try {
      settings = await org.get();
    } catch (error) {
      await failGroups(todo, error);
      return;
    }

    let round: Prepared[] = [];
    await forEachLimit(todo, lookupConcurrency, async (group) => {
      try {
        round.push(await prepare(group));
      } catch (error) {
        await failGroups([group], error);
      }
    });

    const mode = settings.dedupeField ? 'upsert' : 'insert';
    for (let attempt = 0; round.length > 0; attempt++) {
      const redo: Prepared[] = [];
      await forEachLimit(chunk(round, batchSize), writeConcurrency, async (items) => {
        let outcomes: WriteOutcome[];
        try {
          const records = items.map((item) => item.build(settings));
          outcomes = settings.dedupeField
            ? await upsertRecords(http, 'Calls', records, [settings.dedupeField])
            : await insertRecords(http, 'Calls', records);
        } catch (error) {
          await failGroups(
            items.map((item) => item.group),
            error,
          );
          return;
        }
        await Promise.all(
          items.map(async (item, index) => {
            const outcome = outcomes[index];
            if (!outcome) {
              await failGroups([item.group], missingResult(mode));
              return;
            }
            if (outcome.ok) {
              await finishCreate(item.group, outcome.id, { pulled, match: item.linkedTo() });
              return;
            }
            const duplicate = duplicateId(outcome, settings.dedupeField);
            if (duplicate) {
              await finishCreate(item.group, duplicate, { pulled, match: item.linkedTo() });
              return;
            }
            if (attempt < 6 && heal(item, outcome, settings)) {
              redo.push(item);
              return;
            }
            await failRecord(
              item.group,
              outcome,
              `${mode === 'upsert' ? 'POST /Calls/upsert' : 'POST /Calls'}`,
            );
          }),
        );
      });
      round = redo;
    }
  };

  const prepare = async (group: Group): Promise<Prepared> => {
    const create = group.create as JournalOp;
    const call: NormalizedCall = { ...(create.call as NormalizedCall) };
    let link: CallUpdate['link'];
    for (const update of [...group.updates].sort((a, b) => a.createdAt - b.createdAt)) {
      if (update.update?.recording) call.recording = update.update.recording;
      if (update.update?.transcription) call.transcription = update.update.transcription;
      if (update.update?.link) link = update.update.link;
    }
    const external = externalE164(call, deps.defaultCountry);
    let match: CallerMatch | null = null;
    if (link) {
      match = {
        module: link.module,
        id: link.id,
        name: link.name ?? '',
        phone: external ?? '',
        field: '',
        source: 'zoho',
        ...(link.accountId ? { account: { id: link.accountId, name: '' } } : {}),
      };
    } else if (external) {
      try {
        const found = await lookup.findByE164(external);
        if (found && found.module !== 'PBX') match = found;
      } catch (error) {
        if (!isOptionalLookupRefused(error)) throw error;
        logger.warn(
          { callId: call.id, number: maskPhone(external), code: (error as { code?: string }).code },
          'caller lookup failed; the call is logged without a record link',
        );
      }
    }
    let ownerId = await owners.resolve(call.agent);
    const recordingUrl = await linkFor(call.recording?.url, options.recordingLink);
    const transcriptionUrl = await linkFor(call.transcription?.url, options.transcriptionLink);
    let dropLink = false;
    const prepared: Prepared = {
      group,
      ownerId: () => ownerId,
      dropOwner: (id) => {
        owners.reject(id);
        ownerId =
          options.fallbackOwnerId && options.fallbackOwnerId !== id ? options.fallbackOwnerId : undefined;
      },
      hasLink: () => match !== null && !dropLink,
      dropLink: () => {
        dropLink = true;
        if (external) lookup.invalidate?.(external);
      },
      linkedTo: () =>
        match && !dropLink && match.module !== 'PBX'
          ? { module: match.module as 'Contacts' | 'Leads' | 'Accounts', id: match.id }
          : undefined,
      build: (s) =>
        toCallActivity(call, dropLink ? null : match, {
          timeZone: s.timeZone,
          defaultCountry: deps.defaultCountry,
          durationFormat: options.durationFormat,
          ...(options.subject !== undefined ? { subject: options.subject } : {}),
          ...(ownerId ? { ownerId } : {}),
          ...(recordingUrl ? { recordingUrl } : {}),
          recordingTarget: options.recordingTarget,
          ...(transcriptionUrl ? { transcriptionUrl } : {}),
          ...(call.transcription?.summary ? { transcriptionSummary: call.transcription.summary } : {}),
          ...(s.statusField ? { outboundStatusField: s.statusField } : {}),
          ...(s.dedupeField ? { dedupeField: s.dedupeField } : {}),
          includeCallId: options.includeCallId,
          omitFields,
        }),
    };
    return prepared;
  };

  /** Drops what an org refused (optional fields, a stale link, an inactive owner); true to write again. */
  const heal = (
    item: Prepared,
    outcome: Extract<WriteOutcome, { ok: false }>,
    settings: CallWriteSettings,
  ) => {
    if (outcome.code !== 'INVALID_DATA' && outcome.code !== 'MANDATORY_NOT_FOUND') return false;
    const field = typeof outcome.details.api_name === 'string' ? outcome.details.api_name : undefined;
    if (!field) return false;
    const optional = new Set([
      'Voice_Recording__s',
      'Caller_ID',
      'Dialled_Number',
      'Call_Duration_in_seconds',
      ...(settings.statusField ? [settings.statusField] : []),
    ]);
    if (outcome.code === 'INVALID_DATA' && optional.has(field) && !omitFields.has(field)) {
      omitFields.add(field);
      logger.warn({ field }, 'Zoho refused an optional Calls field; it is left out from now on');
      return true;
    }
    const owner = item.ownerId();
    if (field === 'Owner' && owner) {
      item.dropOwner(owner);
      logger.warn(
        { callId: item.group.callId },
        'Zoho refused the call owner (inactive user?); using the fallback',
      );
      return true;
    }
    if ((field === 'Who_Id' || field === 'What_Id' || field === '$se_module') && item.hasLink()) {
      item.dropLink();
      logger.warn(
        { callId: item.group.callId },
        'Zoho refused the record link (deleted record?); logging unlinked',
      );
      return true;
    }
    return false;
  };

  const finishCreate = async (
    group: Group,
    zohoCallId: string,
    info: {
      alreadyLogged?: boolean;
      pulled: (ops: JournalOp[]) => void;
      match?: CallLoggedEvent['linkedTo'];
    },
  ): Promise<void> => {
    const create = group.create as JournalOp;
    const at = now();
    // The call's own notes become note operations before the ledger entry, so a crash loses none.
    const notes = create.call?.notes ?? [];
    for (const [index, note] of notes.entries()) {
      await store.add(cid, newOp('note', group.callId, { note }, at, `note:${group.callId}:pbx:${index}`));
    }
    if (!info.alreadyLogged) await store.setLogged(cid, group.callId, zohoCallId);
    if (!info.alreadyLogged) {
      // Links merged into this write are done.
      for (const update of group.updates) {
        await removeOp(update);
        settle(update.id, { status: 'logged', zohoCallId });
      }
      group.updates = [];
    }
    await removeOp(create);
    group.create = undefined;
    group.zohoCallId = zohoCallId;
    group.logged = {
      opId: create.id,
      outcome: { status: 'logged', zohoCallId, ...(info.alreadyLogged ? { reason: 'already logged' } : {}) },
    };
    if (!info.alreadyLogged) {
      counters.logged++;
      const region = deps.region?.();
      emit('callLogged', {
        connectionId: cid,
        callId: group.callId,
        zohoCallId,
        ...(region ? { recordUrl: recordUrl(region, 'Calls', zohoCallId) } : {}),
        ...(info.match ? { linkedTo: info.match } : {}),
        attempts: create.attempts,
        queuedMs: Math.max(0, at - create.createdAt),
      });
      logger.info({ callId: group.callId, zohoCallId }, 'call logged');
    }
    // Notes and links that were waiting for the call (held) are written now.
    info.pulled(await store.claimCalls(cid, [group.callId], { now: now(), leaseMs }));
  };

  const writeFollowUps = async (groups: Group[]): Promise<void> => {
    const ready: Group[] = [];
    for (const group of groups) {
      const id = group.zohoCallId ?? (await store.getLogged(cid, group.callId));
      if (!id) {
        for (const op of [...group.notes, ...group.updates]) await hold(op);
        continue;
      }
      group.zohoCallId = id;
      ready.push(group);
    }

    const notes = ready.flatMap((g) => g.notes.map((op) => ({ op, parentId: g.zohoCallId as string })));
    await forEachLimit(chunk(notes, 100), writeConcurrency, async (items) => {
      let outcomes: WriteOutcome[];
      try {
        outcomes = await createNotes(
          http,
          items.map(({ op, parentId }) => ({
            parentModule: 'Calls',
            parentId,
            content: noteText(op.note ?? ''),
            ...(options.noteTitle ? { title: options.noteTitle } : {}),
          })),
        );
      } catch (error) {
        const jitter = random();
        for (const { op } of items) await handleFailure(op, error, jitter);
        return;
      }
      for (const [index, { op, parentId }] of items.entries()) {
        const outcome = outcomes[index] ?? ({ ok: false, ...missingOutcome } as const);
        if (outcome.ok) {
          await removeOp(op);
          counters.notes++;
          settle(op.id, { status: 'logged', zohoCallId: parentId });
        } else {
          await failOutcome(op, outcome, 'POST /Notes');
        }
      }
    });

    const updates = ready.filter((g) => g.updates.length > 0);
    const records: Array<{ group: Group; record: Record<string, unknown> & { id: string } }> = [];
    await forEachLimit(updates, lookupConcurrency, async (group) => {
      try {
        const record = await buildUpdate(group);
        if (Object.keys(record).length > 1) records.push({ group, record });
        else await completeUpdates(group);
      } catch (error) {
        for (const op of group.updates) await handleFailure(op, error);
      }
    });
    await forEachLimit(chunk(records, batchSize), writeConcurrency, async (items) => {
      let outcomes: WriteOutcome[];
      try {
        outcomes = await updateRecords(
          http,
          'Calls',
          items.map((item) => item.record),
        );
      } catch (error) {
        const jitter = random();
        for (const { group } of items) for (const op of group.updates) await handleFailure(op, error, jitter);
        return;
      }
      for (const [index, { group }] of items.entries()) {
        const outcome = outcomes[index] ?? ({ ok: false, ...missingOutcome } as const);
        if (outcome.ok) await completeUpdates(group);
        else for (const op of group.updates) await failOutcome(op, outcome, 'PUT /Calls');
      }
    });
  };

  const completeUpdates = async (group: Group): Promise<void> => {
    for (const op of group.updates) {
      await removeOp(op);
      settle(op.id, { status: 'logged', zohoCallId: group.zohoCallId as string });
    }
    counters.updates++;
  };

  /** The update record for late links and record links; appends to the existing description. */
  const buildUpdate = async (group: Group): Promise<Record<string, unknown> & { id: string }> => {
    const id = group.zohoCallId as string;
    const merged: CallUpdate = {};
    for (const op of [...group.updates].sort((a, b) => a.createdAt - b.createdAt)) {
      Object.assign(merged, op.update);
    }
    const record: Record<string, unknown> & { id: string } = { id };
    const recording = await linkFor(merged.recording?.url, options.recordingLink);
    const transcription = await linkFor(merged.transcription?.url, options.transcriptionLink);
    const recordingInField =
      recording !== undefined &&
      options.recordingTarget !== 'description' &&
      recording.length <= RECORDING_FIELD_MAX_LENGTH &&
      !omitFields.has('Voice_Recording__s');
    if (recordingInField) record.Voice_Recording__s = recording;
    const lines = linkLines({
      recording:
        recording !== undefined && (options.recordingTarget !== 'field' || !recordingInField)
          ? recording
          : undefined,
      transcriptionUrl: transcription,
      transcriptionSummary: merged.transcription?.summary,
    });
    if (lines) {
      const current = await getRecord(http, 'Calls', id);
      const existing = typeof current?.Description === 'string' ? current.Description : '';
      const missing = lines.split('\n').filter((line) => !existing.includes(line));
      if (missing.length > 0) {
        record.Description = clampDescription(
          existing ? `${existing}\n${missing.join('\n')}` : missing.join('\n'),
        );
      }
    }
    if (merged.link) {
      const fields = linkFields({
        module: merged.link.module,
        id: merged.link.id,
        ...(merged.link.accountId ? { account: { id: merged.link.accountId, name: '' } } : {}),
      });
      record.Who_Id = fields.Who_Id ?? null;
      record.What_Id = fields.What_Id ?? null;
      if (fields.$se_module) record.$se_module = fields.$se_module;
    }
    return record;
  };

  // --- Failure handling ---

  const failGroups = async (groups: Group[], error: unknown): Promise<void> => {
    const jitter = random(); // one draw per failed batch: it retries together
    for (const group of groups) {
      if (group.create) await handleFailure(group.create, error, jitter);
      for (const op of [...group.notes, ...group.updates]) {
        if (classifyFailure(error) === 'dead') await buryOp(op, notLogged(errorInfo(error)));
        else await hold(op);
      }
      group.failed = true;
    }
  };

  const failRecord = async (
    group: Group,
    outcome: Extract<WriteOutcome, { ok: false }>,
    where: string,
  ): Promise<void> => {
    const create = group.create as JournalOp;
    await failOutcome(create, outcome, where);
    const dead = !RETRYABLE_RECORD_CODES.has(outcome.code);
    for (const op of [...group.notes, ...group.updates]) {
      if (dead) await buryOp(op, notLogged(recordErrorInfo(outcome)));
      else await hold(op);
    }
    group.failed = true;
  };

  const failOutcome = async (
    op: JournalOp,
    outcome: Extract<WriteOutcome, { ok: false }>,
    where: string,
  ): Promise<void> => {
    const info = recordErrorInfo(outcome);
    if (RETRYABLE_RECORD_CODES.has(outcome.code)) await retryLater(op, info, 'retry', undefined);
    else await buryOp(op, info, recordError(outcome, where));
  };

  const handleFailure = async (op: JournalOp, error: unknown, jitter = random()): Promise<void> => {
    const action = classifyFailure(error);
    const info = errorInfo(error);
    if (action === 'dead') await buryOp(op, info, error);
    else await retryLater(op, info, action, error, jitter);
  };

  const retryLater = async (
    op: JournalOp,
    info: JournalErrorInfo,
    action: Exclude<FailureAction, 'dead'>,
    error: unknown,
    jitter = random(),
  ): Promise<void> => {
    const waitingForAuthorization = action === 'authorize';
    const attempts = waitingForAuthorization ? op.attempts : op.attempts + 1;
    const delayMs = waitingForAuthorization
      ? authRecheckMs
      : retryDelay(attempts, options.retry, jitter, error);
    const next: JournalOp = { ...op, attempts, nextAttemptAt: now() + delayMs, lastError: info };
    delete next.held;
    await releaseOp(next);
    counters.retries++;
    emit('journalRetry', {
      connectionId: cid,
      callId: op.callId,
      kind: op.kind,
      attempt: attempts,
      delayMs,
      nextAttemptAt: next.nextAttemptAt,
      waitingForAuthorization,
      error: info,
    });
    logger.warn(
      { callId: op.callId, kind: op.kind, code: info.code, zohoCode: info.zohoCode, delayMs },
      waitingForAuthorization ? 'journal write waits for authorization' : 'journal write queued for a retry',
    );
    settle(op.id, {
      status: 'queued',
      reason: waitingForAuthorization
        ? 'waiting for Zoho authorization (an admin must click Authorize)'
        : `Zoho did not accept the write now (${info.zohoCode ?? info.code}); retrying in the background`,
    });
    wake(delayMs);
  };

  /** A note or link for a call that is not logged: wait for it (bounded by `holdUnknownCallsMs`). */
  const hold = async (op: JournalOp): Promise<void> => {
    const deadline = op.createdAt + options.holdUnknownCallsMs;
    if (now() >= deadline) {
      await buryOp(op, {
        code: ErrorCode.JOURNAL_CALL_NOT_LOGGED,
        message: `no call with this id was logged within ${options.holdUnknownCallsMs} ms`,
      });
      return;
    }
    await releaseOp({ ...op, held: true, nextAttemptAt: deadline });
    settle(op.id, { status: 'queued', reason: 'held until the call is logged' });
    wake(deadline - now());
  };

  const buryOp = async (op: JournalOp, info: JournalErrorInfo, error?: unknown): Promise<void> => {
    const letter: DeadLetter = { op: { ...op, lastError: info }, error: info, failedAt: now() };
    delete letter.op.held;
    await store.bury(cid, letter);
    inflight.delete(op.id);
    counters.deadLettered++;
    emit('journalFailed', { connectionId: cid, callId: op.callId, kind: op.kind, error: info });
    logger.error(
      { callId: op.callId, kind: op.kind, code: info.code, zohoCode: info.zohoCode, details: info.details },
      'journal write refused by Zoho; moved to the dead letters',
    );
    settle(op.id, { status: 'failed', error: error ?? infoError(info) });
  };

  // --- Small helpers that need the options ---

  const linkFor = async (
    url: string | undefined,
    policy: 'private' | 'public' | 'none',
  ): Promise<string | undefined> => {
    if (!url || policy === 'none') return undefined;
    if (policy === 'private' || !options.publicLinks) return url;
    return signPublicLink(url, {
      secret: options.publicLinks.secret,
      expiresInSeconds: options.publicLinks.ttlSeconds,
      now: now(),
    });
  };

  const newOp = (
    kind: JournalOpKind,
    callId: string,
    payload: Pick<JournalOp, 'call' | 'note' | 'update'>,
    at = now(),
    id?: string,
  ): JournalOp => ({
    id: id ?? (kind === 'create' ? `create:${callId}` : `${kind}:${callId}:${crypto.randomUUID()}`),
    callId,
    kind,
    ...payload,
    createdAt: at,
    attempts: 0,
    nextAttemptAt: at,
  });

  const submit = async (op: JournalOp): Promise<JournalResult> => {
    if (closed) return { status: 'queued', reason: 'the journal is closed; the write stays queued' };
    const outcome = wait(op.id);
    enqueueInline(op.id, op.callId);
    return toResult(await outcome);
  };

  // Picks up what a previous process left behind.
  wake(deps.startDelayMs ?? 0);

  return {
    async logCall(input) {
      const call = parsePbxCall(input);
      if (!options.enabled) return skipped('the journal is disabled (journal.enabled is false)');
      if (call.direction === 'internal') return skipped('internal call');
      if (options.trunkCallsOnly && !call.trunk) return skipped('not a trunk call (journal.trunkCallsOnly)');
      const existing = await store.getLogged(cid, call.id);
      if (existing) return { status: 'logged', zohoCallId: existing, reason: 'already logged' };
      const op = newOp('create', call.id, { call });
      if (!(await store.add(cid, op))) {
        if (waiters.has(op.id)) return toResult(await wait(op.id));
        const logged = await store.getLogged(cid, call.id);
        if (logged) return { status: 'logged', zohoCallId: logged, reason: 'already logged' };
        return { status: 'queued', reason: 'already queued' };
      }
      return submit(op);
    },

    async addCallNote(callId, text) {
      const id = checkCallId(callId, 'addCallNote');
      if (typeof text !== 'string' || text.trim() === '' || text.length > MAX_TEXT_LENGTH) {
        throw new ConfigError(
          [{ path: 'text', message: `must be a non-empty string of at most ${MAX_TEXT_LENGTH} characters` }],
          'addCallNote',
        );
      }
      if (!options.enabled) return skipped('the journal is disabled (journal.enabled is false)');
      const op = newOp('note', id, { note: text.trim() });
      await store.add(cid, op);
      return submit(op);
    },

    async attachToCall(callId, links) {
      const id = checkCallId(callId, 'attachToCall');
      const update = checkAttachments(links);
      if (!options.enabled) return skipped('the journal is disabled (journal.enabled is false)');
      const op = newOp('update', id, { update });
      await store.add(cid, op);
      return submit(op);
    },

    async linkCall(callId, match) {
      const id = checkCallId(callId, 'linkCall');
      if (!options.enabled) return skipped('the journal is disabled (journal.enabled is false)');
      if (match.module === 'PBX') return skipped('PBX directory contacts are not CRM records');
      const link: NonNullable<CallUpdate['link']> = { module: match.module, id: match.id, name: match.name };
      if (match.module === 'Contacts' && match.account) link.accountId = match.account.id;
      const op = newOp('update', id, { update: { link } });
      await store.add(cid, op);
      return submit(op);
    },

    async flush() {
      await settleActive(active);
      if (!closed) {
        const start = now();
        const { count } = await store.pending(cid);
        if (count > 0) {
          // Everything queued becomes due now, backoff or not (held notes keep waiting for their call).
          // Only this quick store pass holds the whole queue; the writes below lease slice by slice.
          const all = await store.claimDue(cid, {
            now: start,
            leaseMs,
            limit: count,
            dueBefore: Number.POSITIVE_INFINITY,
          });
          for (const op of all) {
            await store.release(
              cid,
              op.held ? op : { ...op, nextAttemptAt: Math.min(op.nextAttemptAt, start) },
            );
          }
        }
        // One attempt each: what fails now is rescheduled after `start` and not taken again here.
        for (let pass = 0; pass < 10_000; pass++) {
          const slice = await store.claimDue(cid, {
            now: now(),
            leaseMs,
            limit: passLimit,
            dueBefore: start,
          });
          if (slice.length === 0) break;
          await track(processOps(slice));
        }
        await settleActive(active);
        void scheduleNext();
      }
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
      wake(0);
      return true;
    },

    async stats() {
      const { count } = await store.pending(cid);
      const quarantined = (await store.quarantined?.(cid))?.count ?? 0;
      return { ...counters, pending: count, deadLetters: (await store.deadLetters(cid)).length, quarantined };
    },

    resume() {
      if (closed) return;
      void this.flush().catch((error: unknown) => logger.error({ error }, 'journal resume failed'));
    },

    async close() {
      closed = true;
      if (timer) scheduler.clearTimeout(timer.handle);
      timer = undefined;
      await settleActive(active);
      for (const opId of [...waiters.keys()]) {
        settle(opId, { status: 'queued', reason: 'the journal closed; the write stays queued' });
      }
    },
  };
}

// --- Internal helpers ---

type Outcome =
  | { status: 'logged'; zohoCallId: string; reason?: string }
  | { status: 'queued'; reason: string }
  | { status: 'failed'; error: unknown };

interface Group {
  callId: string;
  create?: JournalOp | undefined;
  notes: JournalOp[];
  updates: JournalOp[];
  zohoCallId?: string;
  failed?: boolean;
  /** Set when the call was logged: its waiters hear back after the follow-ups. */
  logged?: { opId: string; outcome: Outcome };
}

interface Prepared {
  group: Group;
  build(settings: CallWriteSettings): CallActivity;
  ownerId(): string | undefined;
  dropOwner(id: string): void;
  hasLink(): boolean;
  dropLink(): void;
  linkedTo(): CallLoggedEvent['linkedTo'];
}

const missingOutcome = {
  code: 'INTERNAL_ERROR',
  message: 'Zoho returned no result for this record',
  details: {},
};

function missingResult(mode: 'insert' | 'upsert'): ZohoApiError {
  return new ZohoApiError(`Zoho returned fewer results than records on ${mode}`, {
    status: 0,
    zohoCode: 'INTERNAL_ERROR',
    method: 'POST',
    path: mode === 'upsert' ? '/Calls/upsert' : '/Calls',
  });
}

function toResult(outcome: Outcome): JournalResult {
  if (outcome.status === 'failed') throw outcome.error;
  return outcome;
}

function skipped(reason: string): JournalResult {
  return { status: 'skipped', reason };
}

async function settleActive(active: Set<Promise<unknown>>): Promise<void> {
  while (active.size > 0) await Promise.allSettled([...active]);
}

function externalE164(call: NormalizedCall, defaultCountry: string): string | undefined {
  try {
    const parsed = classifyNumber(call.direction === 'outbound' ? call.to : call.from, defaultCountry);
    return parsed.kind === 'e164' ? parsed.e164 : undefined;
  } catch {
    return undefined;
  }
}

function duplicateId(outcome: Extract<WriteOutcome, { ok: false }>, dedupeField: string | undefined) {
  if (outcome.code !== 'DUPLICATE_DATA' || !dedupeField || outcome.details.api_name !== dedupeField)
    return undefined;
  const record = outcome.details.duplicate_record as { id?: unknown } | undefined;
  return typeof record?.id === 'string' ? record.id : undefined;
}

function noteText(note: string): string {
  const clean = bmpSafe(note);
  return clean.length > MAX_TEXT_LENGTH ? clean.slice(0, MAX_TEXT_LENGTH) : clean || note;
}

function notLogged(cause: JournalErrorInfo): JournalErrorInfo {
  return {
    code: ErrorCode.JOURNAL_CALL_NOT_LOGGED,
    message: `the call could not be logged (${cause.zohoCode ?? cause.code}: ${cause.message})`,
    ...(cause.zohoCode ? { zohoCode: cause.zohoCode } : {}),
    ...(cause.details ? { details: cause.details } : {}),
  };
}

function recordError(outcome: Extract<WriteOutcome, { ok: false }>, where: string): ZohoApiError {
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

const CALL_ID = /^[^\p{Cc}]{1,200}$/u;

function checkCallId(callId: unknown, context: string): string {
  const id = typeof callId === 'string' ? callId.trim() : '';
  if (!CALL_ID.test(id)) {
    throw new ConfigError(
      [
        {
          path: 'callId',
          message: 'must be the PBX call id: 1 to 200 characters without control characters',
        },
      ],
      context,
    );
  }
  return id;
}

function checkAttachments(links: unknown): CallUpdate {
  const issues: { path: string; message: string }[] = [];
  const update: CallUpdate = {};
  const value = (links ?? {}) as Record<string, unknown>;
  const url = (input: unknown, path: string): string | undefined => {
    const text =
      typeof (input as { url?: unknown } | undefined)?.url === 'string'
        ? (input as { url: string }).url.trim()
        : '';
    if (URL.canParse(text) && /^https?:$/.test(new URL(text).protocol)) return text;
    issues.push({ path, message: 'must be an absolute http(s) URL' });
    return undefined;
  };
  if (value.recording !== undefined) {
    const recording = url(value.recording, 'recording.url');
    if (recording) update.recording = { url: recording };
  }
  if (value.transcription !== undefined) {
    const transcription = url(value.transcription, 'transcription.url');
    const summary = (value.transcription as { summary?: unknown } | null)?.summary;
    if (summary !== undefined && (typeof summary !== 'string' || summary.length > MAX_TEXT_LENGTH)) {
      issues.push({
        path: 'transcription.summary',
        message: `must be a string of at most ${MAX_TEXT_LENGTH} characters`,
      });
    }
    if (transcription) {
      update.transcription = { url: transcription };
      if (typeof summary === 'string' && summary.trim()) update.transcription.summary = summary.trim();
    }
  }
  if (issues.length === 0 && !update.recording && !update.transcription) {
    issues.push({ path: '', message: 'must have a recording or a transcription' });
  }
  if (issues.length > 0) throw new ConfigError(issues, 'attachToCall');
  return update;
}
