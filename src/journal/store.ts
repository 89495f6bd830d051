/**
 * The journal-store contract: a ledger of calls already logged (PBX call id → Zoho call id), an outbox
 * of pending Zoho writes with their retry schedule, and dead letters for writes Zoho refused for good.
 * Three implementations ship: memory (`createMemoryJournalStore`), file and Redis; a shared contract
 * suite proves them.
 *
 * @module
 */
import type { NormalizedCall, RecordingLink, TranscriptionLink } from './pbx-call.js';

/**
 * What an outbox operation does (see {@link JournalOp}).
 * - `create`: write the Calls activity (and the call's own notes after it);
 * - `note`: add a note to the activity;
 * - `update`: add late links (recording, transcription) or a record link to the activity;
 * - `task`: write the follow-up Tasks record of a missed call (`journal.missedCallTask`).
 * @example
 * ```ts
 * const kind: JournalOpKind = 'note';
 * ```
 * @group Journal stores
 */
export type JournalOpKind = 'create' | 'note' | 'update' | 'task';

/**
 * Links added to an activity after the call (see `attachToCall`), or the CRM record to link it to.
 * @example
 * ```ts
 * const update: CallUpdate = { transcription: { url: 'https://pbx.example.com/t/7f3a', summary: 'Wants a quote' } };
 * ```
 * @group Journal stores
 */
export interface CallUpdate {
  /** A recording that became available after the call. */
  recording?: RecordingLink;
  /** A transcription that became available after the call. */
  transcription?: TranscriptionLink;
  /** The CRM record the activity belongs to (e.g. one created for an unknown caller). */
  link?: {
    /** Module of the record. */
    module: 'Contacts' | 'Leads' | 'Accounts';
    /** Record id. */
    id: string;
    /** Record name. */
    name?: string;
    /** The contact's account, linked as What_Id. */
    accountId?: string;
  };
  /**
   * A duration check, queued by the journal itself: the activity was written while the org's reading of
   * `Call_Duration` was unknown, so Zoho may have read it the other way (docs/journal.md, "Durations").
   */
  duration?: {
    /** The call's real duration, whole seconds. */
    seconds: number;
    /** The `Call_Duration` text sent, when known. */
    written?: string;
  };
}

/**
 * One pending Zoho write. Stores keep it as JSON and only read `id`, `callId` and `nextAttemptAt`;
 * everything else is the journal's business.
 * @example
 * ```ts
 * const op: JournalOp = { id: 'note:c1:5f2b', callId: 'c1', kind: 'note', note: 'Call back Monday',
 *   createdAt: Date.now(), attempts: 0, nextAttemptAt: Date.now() };
 * ```
 * @group Journal stores
 */
export interface JournalOp {
  /** Unique id. A call's `create` operation is always `create:<callId>`, so a call is queued at most once. */
  id: string;
  /** The PBX call id the operation belongs to. */
  callId: string;
  /** What to do. */
  kind: JournalOpKind;
  /** `create` and `task`: the validated call (dates as epoch ms). */
  call?: NormalizedCall;
  /** `note`: the note text. */
  note?: string;
  /** `update`: what to add. */
  update?: CallUpdate;
  /** `task`: how the call's activity was linked and owned, so that the task is too. */
  task?: MissedCallTaskPlan;
  /** When it was queued, epoch ms. */
  createdAt: number;
  /** Failed attempts so far. */
  attempts: number;
  /** Not before this time, epoch ms. */
  nextAttemptAt: number;
  /** The last failure, when there was one. */
  lastError?: JournalErrorInfo;
  /** Set while a note or update waits for its call to be logged (it is not retried meanwhile). */
  held?: boolean;
  /**
   * `create` and `task`: when an insert of this call (or of its task) was last sent and may have reached
   * Zoho (set before sending, kept when the answer was lost: a timeout, a dropped connection, a 5xx, a
   * crash), epoch ms. Such an insert is never sent again blind: the journal first reads back what Zoho
   * stored.
   */
  sentAt?: number;
}

/**
 * What a `task` operation carries besides the call: the record and owner the call's activity got, so that
 * the missed call's follow-up task is linked and owned the same way. Absent when the activity was found
 * by a read-back (its link is not known then): the task resolves the caller and owner again.
 * @example
 * ```ts
 * const plan: MissedCallTaskPlan = { link: { module: 'Contacts', id: '4876876000000333001', name: 'Jane Roe' },
 *   ownerId: '4876876000000225013' };
 * ```
 * @group Journal stores
 */
export interface MissedCallTaskPlan {
  /** The CRM record the activity was linked to; null when it was linked to none. */
  link: CallUpdate['link'] | null;
  /** The Zoho user who owns the activity; null when Zoho picked it (the authorizing user). */
  ownerId: string | null;
  /**
   * The `Due_Date` an insert of the task sent (set with `sentAt`): a read-back after a lost answer
   * searches that day.
   */
  dueDate?: string;
}

/**
 * A failure as the journal records it: the library's error code plus Zoho's own code and details.
 * @example
 * ```ts
 * const info: JournalErrorInfo = { code: 'ZOHO_API', zohoCode: 'INVALID_DATA', message: 'invalid data',
 *   details: { api_name: 'Call_Start_Time', json_path: '$.data[0].Call_Start_Time' } };
 * ```
 * @group Journal stores
 */
export interface JournalErrorInfo {
  /** The library's {@link ErrorCode}, e.g. `ZOHO_API`, `JOURNAL_CALL_NOT_LOGGED`, `UNEXPECTED`. */
  code: string;
  /** Zoho's code, e.g. `INVALID_DATA`, `MANDATORY_NOT_FOUND`, `TOO_MANY_REQUESTS`. */
  zohoCode?: string;
  /** What went wrong. */
  message: string;
  /** Zoho's `details`, e.g. `{ api_name, json_path }`. */
  details?: Record<string, unknown>;
  /** HTTP status, when there was one. */
  status?: number;
}

/**
 * A write Zoho refused for good (e.g. `INVALID_DATA`): kept with the error until someone looks at it,
 * never dropped.
 * @example
 * ```ts
 * for (const letter of await zoho.deadLetters()) console.log(letter.op.callId, letter.error.zohoCode);
 * ```
 * @group Journal stores
 */
export interface DeadLetter {
  /** The operation, as it was last attempted. */
  op: JournalOp;
  /** Why it failed. */
  error: JournalErrorInfo;
  /** When it was moved here, epoch ms. */
  failedAt: number;
}

/**
 * Options of {@link JournalStore.claimDue}.
 * @example
 * ```ts
 * const due = await store.claimDue('tenant-42', { now: Date.now(), leaseMs: 300_000, limit: 400 });
 * ```
 * @group Journal stores
 */
export interface ClaimDueOptions {
  /** The current time, epoch ms (leases are judged against it). */
  now: number;
  /** Claimed operations stay invisible to other claims this long unless released or removed. */
  leaseMs: number;
  /** Most operations to return. */
  limit: number;
  /** Claim operations whose `nextAttemptAt` is at or before this. @default now */
  dueBefore?: number;
}

/**
 * Options of {@link JournalStore.claimCalls}.
 * @example
 * ```ts
 * const ops = await store.claimCalls('tenant-42', ['pbx-7f3a'], { now: Date.now(), leaseMs: 300_000 });
 * ```
 * @group Journal stores
 */
export interface ClaimCallsOptions {
  /** The current time, epoch ms. */
  now: number;
  /** How long the claimed operations stay leased. */
  leaseMs: number;
  /** Only operations whose `nextAttemptAt` is at or before this; all of them when omitted. */
  dueBefore?: number;
}

/**
 * Where the journal keeps its ledger, outbox and dead letters. Every method takes the connection id,
 * so one store can serve many connectors (tenants). Operations are JSON-safe; a store must return
 * copies, never its own objects.
 *
 * **Claims.** `claimDue` and `claimCalls` lease operations: a leased operation is not returned by any
 * other claim until it is released (`release`), removed (`remove`, `bury`) or its lease runs out (a
 * crashed process). That is what lets several processes share one outbox without writing a call twice.
 *
 * **Bad records.** A store that reads a record it cannot use (corrupt bytes, the wrong shape) keeps
 * it aside instead of failing the whole connection: it implements `quarantined` and `onQuarantine`.
 *
 * Prove an implementation with `assertJournalStoreContract` from `zoho-crm-connector/testing`.
 * @example
 * ```ts
 * import { createMemoryJournalStore } from 'zoho-crm-connector';
 * const zoho = new ZohoCrmConnector({ ...options, journal: { store: createMemoryJournalStore() } });
 * ```
 * @group Journal stores
 */
export interface JournalStore {
  /** The Zoho call id of a PBX call already logged, or undefined. */
  getLogged(connectionId: string, callId: string): Promise<string | undefined>;
  /** Records that a PBX call is logged as a Zoho Calls record. */
  setLogged(connectionId: string, callId: string, zohoCallId: string): Promise<void>;
  /** Queues an operation unless one with the same id is queued; returns whether it was added. */
  add(connectionId: string, op: JournalOp): Promise<boolean>;
  /** Leases and returns due operations, earliest `nextAttemptAt` first. */
  claimDue(connectionId: string, options: ClaimDueOptions): Promise<JournalOp[]>;
  /** Leases and returns the unleased operations of these calls (due or not, unless `dueBefore`), oldest first. */
  claimCalls(
    connectionId: string,
    callIds: readonly string[],
    options: ClaimCallsOptions,
  ): Promise<JournalOp[]>;
  /** Ends the lease of a claimed operation and stores its new schedule; ignored when it was removed. */
  release(connectionId: string, op: JournalOp): Promise<void>;
  /** Removes an operation (done). */
  remove(connectionId: string, op: Pick<JournalOp, 'id' | 'callId'>): Promise<void>;
  /** Moves an operation to the dead letters (removing it from the outbox). */
  bury(connectionId: string, letter: DeadLetter): Promise<void>;
  /** Every dead letter, oldest first. */
  deadLetters(connectionId: string): Promise<DeadLetter[]>;
  /** Removes a dead letter and returns it (to requeue or discard it). */
  unbury(connectionId: string, opId: string): Promise<DeadLetter | undefined>;
  /** How many operations are queued (leased ones included) and the earliest time one is due. */
  pending(connectionId: string): Promise<{
    /** Operations queued. */
    count: number;
    /** When the earliest one is due, epoch ms. */
    nextAttemptAt?: number;
  }>;
  /**
   * Records this store could not read (corrupt bytes, the wrong shape) and kept aside instead, so
   * that the rest of the journal goes on. Stores that cannot meet a bad record omit it.
   */
  quarantined?(connectionId: string): Promise<QuarantineReport>;
  /**
   * Calls `listener` for every record the store quarantines from now on (any connection); returns a
   * function that unsubscribes. The connector subscribes to emit its `journalQuarantine` event.
   */
  onQuarantine?(listener: (event: JournalQuarantineEvent) => void): () => void;
  /** Flushes and releases resources (files, timers); the store's owner calls it. */
  close?(): Promise<void>;
}

/**
 * One record a journal store could not read and kept aside (see {@link JournalStore.quarantined}).
 * @example
 * ```ts
 * const entry: QuarantinedRecord = { at: Date.now(), reason: 'not valid JSON', preview: '{"t":"O","o":{"id"…' };
 * ```
 * @group Journal stores
 */
export interface QuarantinedRecord {
  /** When it was quarantined, epoch ms. */
  at: number;
  /** Why it could not be read, e.g. `not valid JSON`, `wrong shape: o.id must be a string`. */
  reason: string;
  /** Its first characters (control characters escaped), to find it in the quarantine file or key. */
  preview: string;
}

/**
 * What a store quarantined for one connection, oldest first.
 * @example
 * ```ts
 * const { count, entries } = (await store.quarantined?.('tenant-42')) ?? { count: 0, entries: [] };
 * ```
 * @group Journal stores
 */
export interface QuarantineReport {
  /** Records quarantined so far. */
  count: number;
  /** The records (most recent 100 at most). */
  entries: QuarantinedRecord[];
}

/**
 * A journal store kept a record aside (the `journalQuarantine` event, the stores' `onQuarantine`).
 * @example
 * ```ts
 * zoho.on('journalQuarantine', (e) => alert(`journal record quarantined (${e.reason}) in ${e.location}`));
 * ```
 * @group Events
 */
export interface JournalQuarantineEvent extends QuarantinedRecord {
  /** The connection whose journal held the record. */
  connectionId: string;
  /** Which store, e.g. `journal-file`, `journal-redis`, `journal-postgres`. */
  store: string;
  /** Where the record was kept: the quarantine file, Redis key or table. */
  location: string;
}

/** Methods a journal store must have (checked at configuration time). @internal */
export const JOURNAL_STORE_METHODS = [
  'getLogged',
  'setLogged',
  'add',
  'claimDue',
  'claimCalls',
  'release',
  'remove',
  'bury',
  'deadLetters',
  'unbury',
  'pending',
] as const;

/** Whether a value has every {@link JournalStore} method. @internal */
export function isJournalStore(value: unknown): value is JournalStore {
  return (
    typeof value === 'object' &&
    value !== null &&
    JOURNAL_STORE_METHODS.every((name) => typeof (value as Record<string, unknown>)[name] === 'function')
  );
}
