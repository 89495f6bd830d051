/**
 * `PbxCall`: the host-neutral description of a finished PBX call that the journal turns into a Zoho
 * Calls activity, its zod schema (validated once, at the edge) and `JournalResult`.
 *
 * @module
 */
import * as z from 'zod/mini';
import { ConfigError } from '../errors.js';

/**
 * How a PBX call ended.
 * - `answered`: someone (an agent) talked to the other party.
 * - `missed`: nobody answered (inbound: the caller gave up or was not picked up).
 * - `no-answer`: the called party did not answer (mostly outbound; inbound it means the same as missed).
 * - `busy`: the called party was busy.
 * - `failed`: the call could not be set up (congestion, invalid number, trunk error).
 * - `voicemail`: the call went to voicemail (inbound: the caller left a message).
 * @group Journal
 */
export type PbxCallStatus = 'answered' | 'missed' | 'no-answer' | 'busy' | 'failed' | 'voicemail';

/**
 * A recording (or voicemail) of a call.
 * @group Journal
 */
export interface RecordingLink {
  /** Where the recording is served (the private, signed-in URL of your PBX). */
  url: string;
}

/**
 * An AI transcription of a call.
 * @group Journal
 */
export interface TranscriptionLink {
  /** Where the transcription is served. */
  url: string;
  /** A short summary written into the activity's description. */
  summary?: string;
}

/**
 * A finished PBX call, as the host reports it to `logCall`. Dates are `Date` objects or
 * ISO 8601 strings with `Z` or an offset (`2025-01-10T14:03:00-05:00`), between 1970-01-01 and
 * 9999-12-30 UTC (Zoho takes four-digit years only).
 * @example
 * ```ts
 * const call: PbxCall = {
 *   id: 'pbx-7f3a9c',                       // the PBX's unique call id: the idempotency key
 *   direction: 'inbound',
 *   trunk: true,
 *   from: '+14155552671',                   // caller: any dialable form
 *   to: '+14155550100',                     // the number that was dialled (a DID)
 *   agent: { extension: '201', email: 'grace@example.com', name: 'Grace Hopper' },
 *   startedAt: '2025-01-10T19:02:41Z',
 *   answeredAt: '2025-01-10T19:03:00Z',
 *   endedAt: '2025-01-10T19:07:12Z',
 *   status: 'answered',
 *   recording: { url: 'https://pbx.example.com/recordings/7f3a9c.wav' },
 *   notes: ['Asked for a quote for 20 seats'],
 * };
 * await zoho.logCall(call);
 * ```
 * @group Journal
 */
export interface PbxCall {
  /**
   * The PBX's unique id for the call (1 to 200 characters, no control characters). Every delivery of the
   * same call must carry the same id: it is what makes journaling exactly-once.
   */
  id: string;
  /** `inbound` (from outside), `outbound` (to outside), `internal` (extension to extension; never logged). */
  direction: 'inbound' | 'outbound' | 'internal';
  /** Whether the call crossed a SIP trunk (public network). Non-trunk calls are skipped by default. */
  trunk: boolean;
  /** Caller: a phone number in any dialable form, a SIP URI, an extension, or `anonymous`. */
  from: string;
  /** Called party, in the same forms as `from`. */
  to: string;
  /** The agent who handled (or placed) the call: becomes the activity's owner. */
  agent?: PbxAgent;
  /** When the call started (ringing). */
  startedAt: Date | string;
  /** When it was answered; for answered calls the duration runs from here. Defaults to `startedAt`. */
  answeredAt?: Date | string;
  /** When it ended. */
  endedAt: Date | string;
  /** How it ended. */
  status: PbxCallStatus;
  /** The call recording (or the voicemail message), as the host's own URL. */
  recording?: RecordingLink;
  /** An AI transcription: a link and optionally a short summary. */
  transcription?: TranscriptionLink;
  /** Notes to attach to the activity (agents' notes taken during the call). */
  notes?: string[];
  /**
   * The call's result, written to Zoho's `Call_Result` (e.g. `Interested`, `Requested call back`). Checked
   * against the field's picklist in the org's field metadata: a value the org does not have goes into the
   * description instead (with a logged warning); the call is never refused for it.
   */
  result?: string;
  /**
   * The call's purpose, written to Zoho's `Call_Purpose` (e.g. `Prospecting`, `Demo`), checked the same way
   * as {@link PbxCall.result}.
   */
  purpose?: string;
  /**
   * Transfers, in any order (sorted by time): at `at` the call went to `to`. The activity's owner is the
   * agent who ended the call (the last transfer's `to`); the description lists the path with times. Each
   * `at` lies between `startedAt` and `endedAt`. At most 50.
   */
  transfers?: PbxTransfer[];
  /**
   * Agents whose phones rang for the call besides the one who answered (a ring group or a queue). The
   * owner is still `agent`, the one who answered; these are listed in the description only (`Rang: …`).
   * At most 100.
   */
  rang?: PbxAgent[];
}

/**
 * A transfer of a call to another agent.
 * @example
 * ```ts
 * const transfer: PbxTransfer = { at: '2025-01-10T19:05:10Z', to: { extension: '202', name: 'Alan Turing' } };
 * ```
 * @group Journal
 */
export interface PbxTransfer {
  /** When the call was handed over. */
  at: Date | string;
  /** The agent who took the call. */
  to: PbxAgent;
}

/**
 * The agent on the PBX side of a call.
 * @example
 * ```ts
 * const agent: PbxAgent = { extension: '201', email: 'grace@example.com', name: 'Grace Hopper' };
 * ```
 * @group Journal
 */
export interface PbxAgent {
  /** Extension number, e.g. `201`. */
  extension: string;
  /** E-mail address; matched case-insensitively against Zoho users. */
  email?: string;
  /** Display name (shown in the activity's description). */
  name?: string;
}

/**
 * What `logCall` did with a call.
 * - `logged`: the Zoho Calls record exists; `zohoCallId` is its id (also for a redelivered call).
 * - `queued`: it will be written in the background (Zoho unreachable, rate-limited, not authorized, or
 *   the call is already being written); `reason` says why.
 * - `skipped`: it is not journaled (internal call, non-trunk call, journal disabled); `reason` says why.
 * @example
 * ```ts
 * const result = await zoho.logCall(call);
 * if (result.status === 'logged') console.log('Zoho call', result.zohoCallId);
 * else console.log(result.status, result.reason);
 * ```
 * @group Journal
 */
export type JournalResult =
  | {
      /** The Zoho Calls record exists. */
      status: 'logged';
      /** Id of the Zoho Calls record. */
      zohoCallId: string;
      /** Set when a redelivered call was already logged (`'already logged'`). */
      reason?: string;
    }
  | {
      /** It will be written in the background. */
      status: 'queued';
      /** Why it was not written now. */
      reason: string;
      /** Never set: only a logged call has a Zoho id (declared so `result.zohoCallId` reads without narrowing). */
      zohoCallId?: undefined;
    }
  | {
      /** It is not journaled. */
      status: 'skipped';
      /** Why (internal call, non-trunk call, journal disabled). */
      reason: string;
      /** Never set. */
      zohoCallId?: undefined;
    };

/**
 * A {@link PbxCall} after validation, as journal stores keep it (in {@link JournalOp.call}): strings
 * trimmed, empty optional values dropped, dates as epoch milliseconds.
 * @example
 * ```ts
 * const stored: NormalizedCall = { id: 'pbx-7f3a9c', direction: 'inbound', trunk: true, from: '+14155552671',
 *   to: '+14155550100', startedAt: 1736535761000, endedAt: 1736536032000, status: 'missed' };
 * ```
 * @group Journal stores
 */
export interface NormalizedCall {
  /** The PBX call id. */
  id: string;
  /** Direction. */
  direction: 'inbound' | 'outbound' | 'internal';
  /** Whether it crossed a trunk. */
  trunk: boolean;
  /** Caller, as given. */
  from: string;
  /** Called party, as given. */
  to: string;
  /** The agent. */
  agent?: PbxAgent;
  /** Start, epoch ms. */
  startedAt: number;
  /** Answer, epoch ms. */
  answeredAt?: number;
  /** End, epoch ms. */
  endedAt: number;
  /** Outcome. */
  status: PbxCallStatus;
  /** The recording link. */
  recording?: RecordingLink;
  /** The transcription link and summary. */
  transcription?: TranscriptionLink;
  /** Notes written with the activity. */
  notes?: string[];
  /** The result (`Call_Result`). */
  result?: string;
  /** The purpose (`Call_Purpose`). */
  purpose?: string;
  /** Transfers, oldest first, `at` in epoch ms. */
  transfers?: Array<{
    /** When, epoch ms. */
    at: number;
    /** To whom. */
    to: PbxAgent;
  }>;
  /** Agents who rang without answering. */
  rang?: PbxAgent[];
}

// --- Schema ---

const CONTROL = /\p{Cc}/u;
/** A trimmed string of 1 to `max` characters. */
const trimmed = (max: number) =>
  z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'must not be empty'),
      z.maxLength(max, `must be at most ${max} characters`),
    );
const id = z.lazy(() =>
  trimmed(200).check(z.refine((value) => !CONTROL.test(value), 'must not contain control characters')),
);
const party = () => trimmed(256);
const httpUrl = () =>
  z
    .string()
    .check(
      z.trim(),
      z.maxLength(2048, 'must be at most 2048 characters'),
      z.refine(isHttpUrl, 'must be an absolute http(s) URL'),
    );
/**
 * Zoho takes datetimes as `yyyy-MM-ddTHH:mm:ss±HH:mm`: a four-digit year in any time zone. Calls
 * before 1970 or within 14 hours of the year 10000 would be dead-lettered, so they are refused here.
 */
const EARLIEST_CALL_MS = Date.UTC(1970, 0, 1);
const LATEST_CALL_MS = Date.UTC(9999, 11, 31) - 1000;
const date = () =>
  z
    .union([z.date(), z.iso.datetime({ offset: true })], {
      error: 'must be a Date or an ISO 8601 date-time with Z or an offset',
    })
    .check(
      z.refine((value) => {
        const ms = toMs(value);
        // NaN: not a date at all, which the union above already reported.
        return Number.isNaN(ms) || (ms >= EARLIEST_CALL_MS && ms <= LATEST_CALL_MS);
      }, 'must be between 1970-01-01 and 9999-12-30 (UTC): Zoho takes four-digit years only'),
    );

/** Notes and the summary: Zoho's text areas hold 32,000 characters. */
export const MAX_TEXT_LENGTH = 32_000;
const text = z.lazy(() => trimmed(MAX_TEXT_LENGTH));

/** A trimmed string of at most `max` characters, zod's own message beyond. */
const upTo = (max: number) => z.string().check(z.trim(), z.maxLength(max));
const agent = () =>
  z.strictObject({
    extension: z.string().check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(64)),
    email: z.optional(upTo(254)),
    name: z.optional(upTo(200)),
  });
const label = () => trimmed(255);

/** @internal */
export const PbxCallSchema = z.lazy(() =>
  z
    .strictObject({
      id,
      direction: z.enum(['inbound', 'outbound', 'internal']),
      trunk: z.boolean(),
      from: party(),
      to: party(),
      agent: z.optional(agent()),
      startedAt: date(),
      answeredAt: z.optional(date()),
      endedAt: date(),
      status: z.enum(['answered', 'missed', 'no-answer', 'busy', 'failed', 'voicemail']),
      recording: z.optional(z.strictObject({ url: httpUrl() })),
      transcription: z.optional(
        z.strictObject({ url: httpUrl(), summary: z.optional(upTo(MAX_TEXT_LENGTH)) }),
      ),
      notes: z.optional(z.array(text).check(z.maxLength(100, 'must hold at most 100 notes'))),
      result: z.optional(label()),
      purpose: z.optional(label()),
      transfers: z.optional(
        z
          .array(z.strictObject({ at: date(), to: agent() }))
          .check(z.maxLength(50, 'must hold at most 50 transfers')),
      ),
      rang: z.optional(z.array(agent()).check(z.maxLength(100, 'must hold at most 100 agents'))),
    })
    .check(
      z.superRefine((call, ctx) => {
        const started = toMs(call.startedAt);
        const ended = toMs(call.endedAt);
        for (const [index, transfer] of (call.transfers ?? []).entries()) {
          const at = toMs(transfer.at);
          if (at < started || at > ended)
            ctx.addIssue({
              code: 'custom',
              path: ['transfers', index, 'at'],
              message: 'must be between startedAt and endedAt',
            });
        }
        if (ended < started)
          ctx.addIssue({ code: 'custom', path: ['endedAt'], message: 'must not be before startedAt' });
        if (call.answeredAt !== undefined) {
          const answered = toMs(call.answeredAt);
          if (answered < started) {
            ctx.addIssue({ code: 'custom', path: ['answeredAt'], message: 'must not be before startedAt' });
          } else if (answered > ended) {
            ctx.addIssue({ code: 'custom', path: ['answeredAt'], message: 'must not be after endedAt' });
          }
        }
      }),
    ),
);

/**
 * Validates a call at the edge and normalises it (dates to epoch ms, strings trimmed, empty optional
 * strings dropped).
 * @param input - What the host passed to `logCall`.
 * @returns The normalised call.
 * @throws {@link ConfigError} (context `PbxCall`) naming every bad field, e.g. `endedAt: must not be
 * before startedAt`; values (phone numbers) are never echoed.
 * @example
 * ```ts
 * const call = parsePbxCall({ id: 'c1', direction: 'inbound', trunk: true, from: '+14155552671', to: '201',
 *   startedAt: '2025-01-10T19:02:41Z', endedAt: '2025-01-10T19:03:12Z', status: 'missed' });
 * call.startedAt; // 1736535761000
 * ```
 * @internal
 */
export function parsePbxCall(input: unknown): NormalizedCall {
  const result = PbxCallSchema.safeParse(input);
  if (!result.success) {
    throw ConfigError.fromIssues(
      result.error.issues.map((issue) => ({ path: issue.path, message: issue.message })),
      'PbxCall',
    );
  }
  const call = result.data;
  const out: NormalizedCall = {
    id: call.id,
    direction: call.direction,
    trunk: call.trunk,
    from: call.from,
    to: call.to,
    startedAt: toMs(call.startedAt),
    endedAt: toMs(call.endedAt),
    status: call.status,
  };
  if (call.agent) out.agent = toAgent(call.agent);
  if (call.answeredAt !== undefined) out.answeredAt = toMs(call.answeredAt);
  if (call.recording) out.recording = { url: call.recording.url };
  if (call.transcription) {
    out.transcription = { url: call.transcription.url };
    if (call.transcription.summary) out.transcription.summary = call.transcription.summary;
  }
  if (call.notes?.length) out.notes = [...call.notes];
  if (call.result) out.result = call.result;
  if (call.purpose) out.purpose = call.purpose;
  if (call.transfers?.length) {
    out.transfers = call.transfers
      .map((transfer) => ({ at: toMs(transfer.at), to: toAgent(transfer.to) }))
      .sort((a, b) => a.at - b.at);
  }
  if (call.rang?.length) out.rang = call.rang.map(toAgent);
  return out;
}

function toAgent(input: z.output<ReturnType<typeof agent>>): PbxAgent {
  const out: PbxAgent = { extension: input.extension };
  if (input.email) out.email = input.email;
  if (input.name) out.name = input.name;
  return out;
}

const AttachmentsSchema = z.lazy(() =>
  z
    .object(
      {
        recording: z.optional(z.object({ url: httpUrl() })),
        transcription: z.optional(
          z.object({
            url: httpUrl(),
            summary: z.optional(
              z
                .string()
                .check(
                  z.trim(),
                  z.maxLength(MAX_TEXT_LENGTH, `must be a string of at most ${MAX_TEXT_LENGTH} characters`),
                ),
            ),
          }),
        ),
      },
      { error: 'must be an object with a recording or a transcription' },
    )
    .check(
      z.refine((links) => links.recording !== undefined || links.transcription !== undefined, {
        message: 'must have a recording or a transcription',
      }),
    ),
);

/**
 * Validates a PBX call id given on its own (`addCallNote`, `attachToCall`, `linkCall`) with the same rule
 * as {@link PbxCall.id}.
 * @param input - The id the host passed.
 * @param context - The method, for the error.
 * @returns The id, trimmed.
 * @throws {@link ConfigError} (path `callId`) for anything else, `null` and non-strings included.
 * @example
 * ```ts
 * parseCallId(' pbx-7f3a ', 'addCallNote'); // 'pbx-7f3a'
 * ```
 * @internal
 */
export function parseCallId(input: unknown, context: string): string {
  return parseWith(id, input, context, 'callId');
}

/**
 * Validates a note's text: 1 to 32,000 characters once trimmed.
 * @param input - The text the host passed.
 * @param context - The method, for the error.
 * @returns The text, trimmed.
 * @throws {@link ConfigError} (path `text`).
 * @example
 * ```ts
 * parseNoteText(' Call back Monday ', 'addCallNote'); // 'Call back Monday'
 * ```
 * @internal
 */
export function parseNoteText(input: unknown, context: string): string {
  return parseWith(text, input, context, 'text');
}

/**
 * Validates the links of `attachToCall` with the same URL rules as {@link PbxCall} (absolute http(s), at
 * most 2,048 characters) and drops an empty summary.
 * @param input - What the host passed.
 * @returns The links to add.
 * @throws {@link ConfigError} (context `attachToCall`) naming every bad field; `null` and other
 * non-objects included.
 * @example
 * ```ts
 * parseAttachments({ transcription: { url: 'https://pbx.example.com/t/1', summary: 'Wants a quote' } });
 * ```
 * @internal
 */
export function parseAttachments(input: unknown): {
  recording?: RecordingLink;
  transcription?: TranscriptionLink;
} {
  const links = parseWith(AttachmentsSchema, input, 'attachToCall');
  const out: { recording?: RecordingLink; transcription?: TranscriptionLink } = {};
  if (links.recording) out.recording = { url: links.recording.url };
  if (links.transcription) {
    out.transcription = { url: links.transcription.url };
    if (links.transcription.summary) out.transcription.summary = links.transcription.summary;
  }
  return out;
}

function parseWith<T>(schema: z.ZodMiniType<T>, input: unknown, context: string, path?: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw ConfigError.fromIssues(
    result.error.issues.map((issue) => ({
      path: path ? [path, ...issue.path] : issue.path,
      message: issue.message,
    })),
    context,
  );
}

// --- Internal helpers ---

function toMs(value: Date | string): number {
  return typeof value === 'string' ? Date.parse(value) : value.getTime();
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const protocol = new URL(value).protocol;
  return protocol === 'https:' || protocol === 'http:';
}
