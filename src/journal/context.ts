/**
 * What the parts of the journal share, passed to each of them explicitly: the connection, the store,
 * Zoho, the options, the clock, this process's bookkeeping (operations in flight, callers waiting for
 * a first attempt, counters) and a way to ask the scheduler for a pass. Plus the small data types the
 * parts hand each other (`Group`, `Outcome`) and the helpers every part needs.
 *
 * @module
 */
import type { ZohoHttp } from '../http/client.js';
import type { Logger } from '../logger.js';
import type { Region } from '../regions.js';
import type { WriteLog } from './claims.js';
import type { FieldsApplier } from './custom-fields.js';
import type { DurationLearning } from './duration-learning.js';
import type { JournalDependencies, JournalEvents, ResolvedJournalOptions } from './journal-types.js';
import type { OrgSettings } from './org-settings.js';
import type { OwnerResolver } from './owners.js';
import type { JournalResult } from './pbx-call.js';
import { signPublicLink } from './public-link.js';
import type { JournalErrorInfo, JournalOp, JournalOpKind, JournalStore } from './store.js';

/** What a caller waiting for an operation's first attempt hears. @internal */
export type Outcome =
  | { status: 'logged'; zohoCallId: string; reason?: string }
  | { status: 'queued'; reason: string }
  | { status: 'failed'; error: unknown };

/** The operations of one call taken by one pass. @internal */
export interface Group {
  callId: string;
  create?: JournalOp | undefined;
  notes: JournalOp[];
  updates: JournalOp[];
  /** The missed call's follow-up task (`task:<callId>`), written once the call is logged. */
  tasks: JournalOp[];
  zohoCallId?: string;
  /** Set when the call was logged: its waiters hear back after the follow-ups. */
  logged?: { opId: string; outcome: Outcome };
}

/** Counters since the journal was created. @internal */
export interface JournalCounters {
  logged: number;
  notes: number;
  updates: number;
  tasks: number;
  retries: number;
  deadLettered: number;
}

/** Callers waiting for an operation's first attempt. @internal */
export interface Waiters {
  wait(opId: string): Promise<Outcome>;
  settle(opId: string, outcome: Outcome): void;
  has(opId: string): boolean;
  /** Ids with someone waiting. */
  ids(): string[];
}

/** See the module notes. @internal */
export interface JournalContext {
  readonly cid: string;
  readonly http: ZohoHttp;
  readonly store: JournalStore;
  readonly lookup: JournalDependencies['lookup'];
  readonly options: ResolvedJournalOptions;
  readonly defaultCountry: string;
  readonly logger: Logger;
  readonly now: () => number;
  readonly random: () => number;
  readonly leaseMs: number;
  readonly authRecheckMs: number;
  readonly writeConcurrency: number;
  readonly lookupConcurrency: number;
  /** How long after an insert that may have reached Zoho the journal waits before reading back. */
  readonly readBackAfterMs: number;
  readonly owners: OwnerResolver;
  readonly org: OrgSettings;
  /** How `Call_Duration` is written, and learning the org's reading of it. */
  readonly durations: DurationLearning;
  readonly region: (() => Pick<Region, 'crmWebUrl'> | undefined) | undefined;
  /** `journal.fields` and the picklist checks of `result` / `purpose`, reported once. */
  readonly fields: FieldsApplier;
  /** Optional fields Zoho refused in this org (connector lifetime). */
  readonly omitFields: Set<string>;
  /**
   * Why Zoho refused missed-call tasks for this connection (a grant without the Tasks scopes): later tasks
   * go to the dead letters without a request, until authorization is back (`resume`).
   */
  taskRefusal: JournalErrorInfo | undefined;
  /** Operations being written by a pass of this process, with the pass that owns them. */
  readonly inflight: Map<string, object>;
  /** The writes of operations this process sent, to tell stale claimed copies (`claims.ts`). */
  readonly writes: WriteLog;
  readonly counters: JournalCounters;
  readonly waiters: Waiters;
  /** Sends an event to the host; a listener that throws is logged, never fatal. */
  emit<K extends keyof JournalEvents>(name: K, event: JournalEvents[K]): void;
  /** Asks the scheduler for a background pass within `delayMs`. */
  wake(delayMs: number): void;
}

/** @internal */
export function createWaiters(): Waiters {
  const waiting = new Map<string, Array<(outcome: Outcome) => void>>();
  return {
    wait: (opId) =>
      new Promise((resolve) => {
        const list = waiting.get(opId);
        if (list) list.push(resolve);
        else waiting.set(opId, [resolve]);
      }),
    settle(opId, outcome) {
      const list = waiting.get(opId);
      if (!list) return;
      waiting.delete(opId);
      for (const resolve of list) resolve(outcome);
    },
    has: (opId) => waiting.has(opId),
    ids: () => [...waiting.keys()],
  };
}

/** A new outbox operation; a call's create is always `create:<callId>`. @internal */
export function newOp(
  kind: JournalOpKind,
  callId: string,
  payload: Pick<JournalOp, 'call' | 'note' | 'update'>,
  at: number,
  id?: string,
): JournalOp {
  return {
    id: id ?? (kind === 'create' ? `create:${callId}` : `${kind}:${callId}:${crypto.randomUUID()}`),
    callId,
    kind,
    ...payload,
    createdAt: at,
    attempts: 0,
    nextAttemptAt: at,
  };
}

/** The link written for a recording or transcription under the option's policy (signed when public). @internal */
export async function linkFor(
  ctx: Pick<JournalContext, 'options' | 'now'>,
  url: string | undefined,
  policy: 'private' | 'public' | 'none',
): Promise<string | undefined> {
  if (!url || policy === 'none') return undefined;
  const { publicLinks } = ctx.options;
  if (policy === 'private' || !publicLinks) return url;
  return signPublicLink(url, {
    secret: publicLinks.secret,
    expiresInSeconds: publicLinks.ttlSeconds,
    now: ctx.now(),
  });
}

/** A waiter's outcome as `logCall` & co. return it (a refusal throws). @internal */
export function toResult(outcome: Outcome): JournalResult {
  if (outcome.status === 'failed') throw outcome.error;
  return outcome;
}
