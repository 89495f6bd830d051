/**
 * The journal's public shapes: its events, results and counters, the API the connector exposes, and the
 * dependencies `createJournal` takes. No behaviour here.
 *
 * @module
 */
import type { CalibrationKeeper } from '../calibration/keeper.js';
import type { ZohoHttp } from '../http/client.js';
import type { Logger } from '../logger.js';
import type { CallerLookupEngine, CallerMatch } from '../lookup/types.js';
import type { ResolvedConnectorOptions } from '../options.js';
import type { Region } from '../regions.js';
import type { Scheduler } from './batch.js';
import type { ConfigErrorEvent } from './custom-fields.js';
import type { ImportCallsOptions, ImportSummary } from './import.js';
import type { JournalResult, PbxCall, RecordingLink, TranscriptionLink } from './pbx-call.js';
import type { DeadLetter, JournalErrorInfo, JournalOpKind, JournalStore } from './store.js';

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
  /** See {@link ConfigErrorEvent}. */
  configError: ConfigErrorEvent;
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
  /** Activities updated with late links, record links or a corrected duration. */
  updates: number;
  /** Missed-call tasks written (`journal.missedCallTask`). */
  tasks: number;
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
 * How long `logCall`, `addCallNote` and `attachToCall` wait.
 * @example
 * ```ts
 * // A PBX webhook: answer once the call is safe in the outbox; Zoho is written in the background.
 * const result = await zoho.logCall(call, { waitForAnswer: false }); // { status: 'queued', … }
 * ```
 * @group Journal
 */
export interface JournalWriteOptions {
  /**
   * `true` (default): resolve with the outcome of the first attempt (`logged`, or `queued` after a
   * failure or at most 60 s). `false`: resolve `queued` as soon as the write is stored in the journal's
   * outbox (durable with a persistent store); the first attempt starts at once all the same.
   * @default true
   */
  waitForAnswer?: boolean;
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
  logCall(call: PbxCall, options?: JournalWriteOptions): Promise<JournalResult>;
  /**
   * Adds a note to a call's activity, at any time: before the call is logged (held and written after
   * it), during or after.
   * @returns `logged` when written (with the activity's id), `queued` when held or retrying.
   */
  addCallNote(callId: string, text: string, options?: JournalWriteOptions): Promise<JournalResult>;
  /**
   * Adds links that arrived after the call (typically an AI transcription) to the same activity; merged
   * into the call's write when it is not logged yet.
   */
  attachToCall(callId: string, links: CallAttachments, options?: JournalWriteOptions): Promise<JournalResult>;
  /** Links a call's activity to a CRM record (used after creating a record for an unknown caller). */
  linkCall(callId: string, match: CallerMatch): Promise<JournalResult>;
  /** Backfill: journals a CDR export window by window through the outbox (`import.ts`). */
  importCalls(
    calls: Iterable<PbxCall> | AsyncIterable<PbxCall>,
    options?: ImportCallsOptions,
  ): Promise<ImportSummary>;
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
  /**
   * The org's calibration, kept with the tokens: the reading of `Call_Duration` the journal writes for, and
   * learns from its traffic while unknown. Without it, `durationFormat: 'auto'` writes minutes and seconds
   * and learns nothing. @internal
   */
  calibration?: CalibrationKeeper;
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
  /**
   * Longest time `logCall`, `addCallNote`, `attachToCall` and `linkCall` wait for the first attempt once the
   * operation is in the store; past it they answer `queued` and the write goes on in the background (a
   * slow token store, journal store or Zoho never holds the PBX up). A backstop behind the HTTP deadline
   * (30 s by default), which usually answers first since the wait for a token counts against it.
   * @default 60000
   */
  answerWithinMs?: number;
  /**
   * After an insert whose answer was lost, how long to wait before reading back what Zoho stored (an
   * insert Zoho still processes when the read-back runs could be written twice). @default 60000
   */
  readBackAfterMs?: number;
}
