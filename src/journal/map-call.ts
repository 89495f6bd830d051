/**
 * The pure mapping from a PBX call (plus the CRM record it belongs to) to a Zoho Calls record. No I/O, no
 * clock, no process time zone: the same input gives the same record anywhere.
 *
 * Rules (docs/zoho-facts.md §4 and §10):
 * - **Call_Type**: inbound answered → `Inbound`; inbound missed, no-answer, busy, failed or voicemail →
 *   `Missed`; outbound → `Outbound` whatever the outcome (Zoho has no "unanswered outbound" type; the
 *   outcome goes into the subject and description).
 * - **Call_Start_Time**: answered calls start when they were answered (so start + duration = end),
 *   others when they started ringing; in the org's time zone with its offset, no milliseconds, never `Z`.
 * - **Call_Duration**: answered calls last from answer to end, rounded to whole seconds and at least
 *   1 s (Zoho refuses a zero duration on Inbound/Outbound); missed inbound calls are `00:00`; unanswered
 *   outbound calls last their ringing time (start to end), at least 1 s, because Zoho refuses zero for
 *   `Outbound` and the time is what the agent spent dialling.
 * - **Links**: Contact → `Who_Id` (+ `What_Id`/`$se_module: 'Accounts'` for its account); Lead →
 *   `What_Id` + `$se_module: 'Leads'`; Account → `What_Id` + `$se_module: 'Accounts'`; no match → none.
 * - **Owner and path**: the agent who ended the call (the last transfer's target, else `agent`) owns it and
 *   is the `Agent:` line; transfers and ring-group agents are listed (`transfers.ts`).
 * - **Result and purpose**: `Call_Result` / `Call_Purpose` when the org's picklist has the value, else a
 *   description line (`map-fields.ts`).
 * - **Text**: emoji and other characters outside the Basic Multilingual Plane are removed (Zoho stores
 *   them as `?`); the subject is cut to 255 characters.
 *
 * @module
 */
import type { FieldMetadata } from '../crm/fields.js';
import type { CallerMatch } from '../lookup/types.js';
import { classifyNumber, formatForDisplay } from '../phone/normalize.js';
import { outcomeFields } from './map-fields.js';
import type { NormalizedCall, PbxCallStatus } from './pbx-call.js';
import { agentLabel, handlingAgent, pathLines } from './transfers.js';
import { formatZohoDateTime } from './zoho-time.js';

/**
 * Zoho's call type.
 * @example
 * ```ts
 * const type: ZohoCallType = 'Missed';
 * ```
 * @group Journal
 */
export type ZohoCallType = 'Inbound' | 'Outbound' | 'Missed';

/**
 * How `Call_Duration` text is formed: `'mm:ss'` (minutes may exceed 59, e.g. `75:03`) or `'hh:mm:ss'`.
 * Zoho's documentation says "HH:mm" but its own samples and production integrations use minutes and
 * seconds (docs/zoho-facts.md §10 Q1, UNVERIFIED). The journal picks the form from the org's reading
 * (`journal.durationFormat`, docs/journal.md "Durations"): minutes and seconds where Zoho reads `mm:ss`,
 * three parts where it reads `HH:mm`.
 * @example
 * ```ts
 * const zoho = new ZohoCrmConnector({ ...options, journal: { durationFormat: 'hh:mm:ss' satisfies DurationFormat } });
 * ```
 * @group Journal
 */
export type DurationFormat = 'mm:ss' | 'hh:mm:ss';

/**
 * Where a recording link goes: Zoho's `Voice_Recording__s` field (an audio player in Closed Activities),
 * the description, or both.
 * @example
 * ```ts
 * const target: RecordingTarget = 'description'; // when the org's field refuses long signed URLs
 * ```
 * @group Journal
 */
export type RecordingTarget = 'field' | 'description' | 'both';

/**
 * What a subject template can use. In string templates write `{number}`, `{name}`, `{type}`,
 * `{direction}`, `{status}` or `{agent}`.
 * @example
 * ```ts
 * const subject = (c: SubjectContext) => `${c.type} call ${c.direction === 'inbound' ? 'from' : 'to'} ${c.name}`;
 * ```
 * @group Journal
 */
export interface SubjectContext {
  /** Zoho call type. */
  type: ZohoCallType;
  /** PBX direction. */
  direction: 'inbound' | 'outbound';
  /** How the call ended. */
  status: PbxCallStatus;
  /** The other party's number for people (`+1 415 555 2671`), or `anonymous` / the raw value. */
  number: string;
  /** The CRM record's name when known, else the same as `number`. */
  name: string;
  /** The agent's name, else their extension, else empty. */
  agent: string;
}

/**
 * A subject template: a string with `{placeholders}` (see {@link SubjectContext}) or a function.
 * @example
 * ```ts
 * const template: SubjectTemplate = '{type} call with {name}';
 * ```
 * @group Journal
 */
export type SubjectTemplate = string | ((context: SubjectContext) => string);

/**
 * Everything {@link toCallActivity} needs besides the call and the match; the journal resolves these
 * (owner, org time zone, discovered status field, signed links) before mapping.
 * @example
 * ```ts
 * const options: CallActivityOptions = { timeZone: 'America/New_York', defaultCountry: 'US', ownerId: '4876876000000225013' };
 * ```
 * @group Journal
 */
export interface CallActivityOptions {
  /** IANA time zone for `Call_Start_Time` (the org's). */
  timeZone: string;
  /** Country for numbers without a country code (the lookup's `defaultCountry`). */
  defaultCountry: string;
  /** @default 'mm:ss' */
  durationFormat?: DurationFormat;
  /** Subject template. @default per call type, e.g. `Inbound call from {number}` */
  subject?: SubjectTemplate;
  /** Zoho user id of the owner; omitted → Zoho makes the authorizing user the owner. */
  ownerId?: string;
  /** Recording link to put on the activity (already signed for public links). */
  recordingUrl?: string;
  /** @default 'both' */
  recordingTarget?: RecordingTarget;
  /** Transcription link to put in the description. */
  transcriptionUrl?: string;
  /** Transcription summary to put in the description. */
  transcriptionSummary?: string;
  /** API name of the outbound call-status field (`Outgoing_Call_Status` in v8); omitted when unknown. */
  outboundStatusField?: string;
  /** API name of a unique custom field that receives the PBX call id (Zoho refuses a second insert). */
  dedupeField?: string;
  /** Append `PBX call ID: …` to the description. @default true */
  includeCallId?: boolean;
  /** Optional fields Zoho refused for this org (they are left out). */
  omitFields?: ReadonlySet<string>;
  /** The org's Calls fields (picklists for `Call_Result` / `Call_Purpose`); omitted when unknown. */
  callFields?: FieldMetadata;
}

/**
 * A Zoho Calls record ready for insert. Optional keys are absent, never `undefined`.
 * @example
 * ```ts
 * const record: CallActivity = { Subject: 'Missed call from +1 415 555 2671', Call_Type: 'Missed',
 *   Call_Start_Time: '2025-01-10T14:02:41-05:00', Call_Duration: '00:00', Call_Duration_in_seconds: 0 };
 * ```
 * @group Journal
 */
export interface CallActivity {
  /** Emoji-free, at most 255 characters. */
  Subject: string;
  /** `Inbound`, `Outbound` or `Missed`. */
  Call_Type: ZohoCallType;
  /** `yyyy-MM-ddTHH:mm:ss±HH:MM` in the org's time zone. */
  Call_Start_Time: string;
  /** `mm:ss` (or `hh:mm:ss`); `00:00` for missed calls. */
  Call_Duration: string;
  /**
   * Sent alongside `Call_Duration` (Zoho computes it from the text; harmless either way), except while the
   * journal learns the org's reading: then Zoho's own value is what the read-back tests.
   */
  Call_Duration_in_seconds?: number;
  /** Outcome, agent, links, transcription summary, PBX call id. */
  Description?: string;
  /** The Contact the call was with. */
  Who_Id?: {
    /** Zoho record id. */
    id: string;
  };
  /** The Lead or Account (or a Contact's Account) the call relates to. */
  What_Id?: {
    /** Zoho record id. */
    id: string;
  };
  /** Module of `What_Id`; Zoho requires it whenever `What_Id` is sent. */
  $se_module?: 'Accounts' | 'Leads';
  /** The agent's Zoho user. */
  Owner?: {
    /** Zoho user id. */
    id: string;
  };
  /** The recording link (an audio player in Zoho's Closed Activities). */
  Voice_Recording__s?: string;
  /** The calling number in E.164. */
  Caller_ID?: string;
  /** The dialled number in E.164. */
  Dialled_Number?: string;
  /** The outbound status field, the dedupe field, `Call_Result`, `Call_Purpose` and `journal.fields` output. */
  [field: string]: unknown;
}

/** Zoho's `Subject` limit. @internal */
export const SUBJECT_MAX_LENGTH = 255;
/** Longest recording URL put into `Voice_Recording__s` (Zoho's limit is UNVERIFIED; longer ones go to the description only). @internal */
export const RECORDING_FIELD_MAX_LENGTH = 255;
const DESCRIPTION_MAX_LENGTH = 32_000;

/**
 * Maps a finished PBX call and the CRM record it belongs to into a Zoho Calls record. Pure.
 * @param call - The validated call.
 * @param match - The CRM record of the other party (`null` when unknown; PBX-directory matches link nothing).
 * @param options - See {@link CallActivityOptions}.
 * @returns The record to send.
 * @throws `RangeError` for an unknown time zone (the journal validates it first).
 * @example
 * ```ts
 * const record = toCallActivity(call, match, { timeZone: 'America/New_York', defaultCountry: 'US' });
 * // { Subject: 'Inbound call from +1 415 555 2671', Call_Type: 'Inbound',
 * //   Call_Start_Time: '2025-01-10T14:03:00-05:00', Call_Duration: '04:12', Call_Duration_in_seconds: 252,
 * //   Who_Id: { id: '4876876000000333001' }, Caller_ID: '+14155552671', ... }
 * ```
 * @group Journal
 */
export function toCallActivity(
  call: NormalizedCall,
  match: CallerMatch | null,
  options: CallActivityOptions,
): CallActivity {
  const direction = call.direction === 'outbound' ? 'outbound' : 'inbound';
  const type = callType(direction, call.status);
  const start = callStartMs(call);
  const seconds = durationSeconds(call);
  const external = direction === 'inbound' ? call.from : call.to;
  const own = direction === 'inbound' ? call.to : call.from;
  const other = party(external, options.defaultCountry);
  const ours = party(own, options.defaultCountry);
  const omit = options.omitFields ?? EMPTY;
  const agent = handlingAgent(call);
  const outcome = outcomeFields(call, options.callFields);

  const context: SubjectContext = {
    type,
    direction,
    status: call.status,
    number: other.display,
    name: (match?.name && bmpSafe(match.name).trim()) || other.display,
    agent: agent?.name || agent?.extension || '',
  };

  const record: CallActivity = {
    Subject: subjectText(renderSubject(options.subject, context)),
    Call_Type: type,
    Call_Start_Time: formatZohoDateTime(start, options.timeZone),
    // Stryker disable next-line StringLiteral: equivalent, formatDuration reads anything but 'hh:mm:ss' as mm:ss
    Call_Duration: formatDuration(seconds, options.durationFormat ?? 'mm:ss'),
  };
  if (!omit.has('Call_Duration_in_seconds')) record.Call_Duration_in_seconds = seconds;

  Object.assign(record, linkFields(match));
  if (options.ownerId) record.Owner = { id: options.ownerId };

  const recording = placeRecording(options.recordingUrl, options.recordingTarget, omit);
  if (recording.field) record.Voice_Recording__s = recording.field;

  const callerId = direction === 'inbound' ? other.e164 : ours.e164;
  const dialled = direction === 'inbound' ? ours.e164 : other.e164;
  if (callerId && !omit.has('Caller_ID')) record.Caller_ID = callerId;
  if (dialled && !omit.has('Dialled_Number')) record.Dialled_Number = dialled;

  if (direction === 'outbound' && options.outboundStatusField && !omit.has(options.outboundStatusField)) {
    record[options.outboundStatusField] = 'Completed';
  }
  if (options.dedupeField) record[options.dedupeField] = call.id;
  for (const [field, value] of Object.entries(outcome.fields)) if (!omit.has(field)) record[field] = value;

  const description = describeCall(call, {
    path: pathLines(call, options.timeZone, bmpSafe),
    outcome: outcome.lines.map(bmpSafe),
    recording: recording.description,
    transcriptionUrl: options.transcriptionUrl,
    transcriptionSummary: options.transcriptionSummary,
    includeCallId: options.includeCallId ?? true,
  });
  if (description) record.Description = description;
  return record;
}

/**
 * Zoho call type for a direction and outcome (see the module notes).
 * @param direction - PBX direction.
 * @param status - How the call ended.
 * @returns `Inbound`, `Outbound` or `Missed`.
 * @example
 * ```ts
 * callType('inbound', 'busy');     // 'Missed'
 * callType('outbound', 'no-answer'); // 'Outbound'
 * ```
 * @internal
 */
export function callType(direction: 'inbound' | 'outbound', status: PbxCallStatus): ZohoCallType {
  if (direction === 'outbound') return 'Outbound';
  return status === 'answered' ? 'Inbound' : 'Missed';
}

/**
 * The duration Zoho gets, in whole seconds (see the module notes for the rules).
 * @param call - The validated call.
 * @returns 0 for missed inbound calls, else at least 1.
 * @example
 * ```ts
 * durationSeconds({ ...call, status: 'answered', answeredAt: t, endedAt: t + 400 }); // 1
 * ```
 * @internal
 */
export function durationSeconds(call: NormalizedCall): number {
  const outbound = call.direction === 'outbound';
  if (call.status === 'answered') {
    return Math.max(1, Math.round((call.endedAt - (call.answeredAt ?? call.startedAt)) / 1000));
  }
  if (outbound) return Math.max(1, Math.round((call.endedAt - call.startedAt) / 1000));
  return 0;
}

/**
 * Formats seconds as Zoho's `Call_Duration` text, zero-padded.
 * @param seconds - Whole seconds (fractions are rounded, negatives count as 0).
 * @param format - `'mm:ss'` (minutes unbounded) or `'hh:mm:ss'`.
 * @returns E.g. `04:12`, `75:03`, `01:15:03`.
 * @example
 * ```ts
 * formatDuration(252, 'mm:ss');     // '04:12'
 * formatDuration(4503, 'mm:ss');    // '75:03'
 * formatDuration(4503, 'hh:mm:ss'); // '01:15:03'
 * ```
 * @group Journal
 */
export function formatDuration(seconds: number, format: DurationFormat): string {
  const total = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (format === 'hh:mm:ss') {
    return `${pad(Math.floor(total / 3600))}:${pad(Math.floor((total % 3600) / 60))}:${pad(total % 60)}`;
  }
  return `${pad(Math.floor(total / 60))}:${pad(total % 60)}`;
}

/**
 * Removes what Zoho cannot store in text fields: characters outside the Basic Multilingual Plane (emoji,
 * some CJK extensions), the joiners and variation selectors emoji leave behind, and unpaired surrogates.
 * Whitespace runs left by removed characters collapse to one space.
 * @param text - Any text.
 * @returns The text without those characters.
 * @example
 * ```ts
 * bmpSafe('Call 📞 with Zoë 👍🏽'); // 'Call with Zoë'
 * ```
 * @internal
 */
export function bmpSafe(text: string): string {
  const stripped = text.replace(NOT_STORABLE, '');
  return stripped === text ? text : stripped.replace(/[ \t]{2,}/g, ' ').trim();
}

/**
 * The subject as sent: BMP-safe, whitespace collapsed, at most 255 characters (cut with `…`).
 * @param subject - The rendered template.
 * @returns The subject, never empty (`Call` as a last resort).
 * @example
 * ```ts
 * subjectText('🔥 Hot lead  call'); // 'Hot lead call'
 * ```
 * @internal
 */
export function subjectText(subject: string): string {
  const clean = bmpSafe(subject).replace(/\s+/g, ' ').trim() || 'Call';
  return clean.length <= SUBJECT_MAX_LENGTH ? clean : `${clean.slice(0, SUBJECT_MAX_LENGTH - 1).trimEnd()}…`;
}

/**
 * The link fields for a caller match (see the module notes).
 * @param match - The CRM record, or null.
 * @returns `Who_Id` and/or `What_Id` + `$se_module`, or nothing.
 * @example
 * ```ts
 * linkFields({ ...match, module: 'Leads', id: '42' }); // { What_Id: { id: '42' }, $se_module: 'Leads' }
 * ```
 * @internal
 */
export function linkFields(
  match: Pick<CallerMatch, 'module' | 'id' | 'account'> | null,
): Pick<CallActivity, 'Who_Id' | 'What_Id' | '$se_module'> {
  if (!match) return {};
  switch (match.module) {
    case 'Contacts':
      return match.account
        ? { Who_Id: { id: match.id }, What_Id: { id: match.account.id }, $se_module: 'Accounts' }
        : { Who_Id: { id: match.id } };
    case 'Leads':
      return { What_Id: { id: match.id }, $se_module: 'Leads' };
    case 'Accounts':
      return { What_Id: { id: match.id }, $se_module: 'Accounts' };
    default:
      return {};
  }
}

/**
 * Description lines for links added after the call (recording, transcription), in the same format
 * {@link toCallActivity} uses, so that an update can append them to the existing description.
 * @param links - The links and summary.
 * @returns The lines (without a trailing newline), or an empty string.
 * @example
 * ```ts
 * linkLines({ transcriptionUrl: 'https://pbx.example.com/t/1', transcriptionSummary: 'Wants a quote' });
 * // 'Transcription: https://pbx.example.com/t/1\nSummary: Wants a quote'
 * ```
 * @internal
 */
export function linkLines(links: {
  recording?: string | undefined;
  transcriptionUrl?: string | undefined;
  transcriptionSummary?: string | undefined;
}): string {
  const lines: string[] = [];
  if (links.recording) lines.push(`Recording: ${links.recording}`);
  if (links.transcriptionUrl) lines.push(`Transcription: ${links.transcriptionUrl}`);
  if (links.transcriptionSummary) lines.push(`Summary: ${bmpSafe(links.transcriptionSummary)}`);
  return lines.join('\n');
}

/**
 * Fits a description into Zoho's 32,000-character text area (cut with `…`).
 * @param text - The description.
 * @returns At most 32,000 characters.
 * @example
 * ```ts
 * clampDescription('short'); // 'short'
 * ```
 * @internal
 */
export function clampDescription(text: string, max = DESCRIPTION_MAX_LENGTH): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The line the journal writes into every activity's description so that it can find the activity again
 * after an insert whose answer was lost: `PBX call ID: <id>` (when `includeCallId` is on and Zoho can store
 * the id as is), else `Journal ref: <16 hex digits>` derived from the call id (FNV-1a 64). Pure.
 * @param callId - The PBX call id.
 * @param includeCallId - `journal.includeCallId`. @default true
 * @returns The line, without a newline.
 * @example
 * ```ts
 * callMarker('pbx-7f3a');        // 'PBX call ID: pbx-7f3a'
 * callMarker('pbx-7f3a', false); // 'Journal ref: …' (16 hex digits)
 * ```
 * @internal
 */
export function callMarker(callId: string, includeCallId = true): string {
  return includeCallId && bmpSafe(callId) === callId
    ? `PBX call ID: ${callId}`
    : `Journal ref: ${fnv1a64(callId)}`;
}

/**
 * When a call's activity starts in Zoho: answered calls when they were answered, others when they started
 * ringing (epoch ms). Pure.
 * @param call - The validated call.
 * @returns Epoch ms.
 * @example
 * ```ts
 * callStartMs({ ...call, status: 'answered', answeredAt: 1736535780000 }); // 1736535780000
 * ```
 * @internal
 */
export function callStartMs(call: NormalizedCall): number {
  return call.status === 'answered' ? (call.answeredAt ?? call.startedAt) : call.startedAt;
}

/**
 * Where a recording link goes: `Voice_Recording__s` when the target allows it, the URL fits and the org
 * did not refuse the field; the description when the target asks for it or the field cannot take it.
 * The one rule for both the first write ({@link toCallActivity}) and a late link ({@link toCallUpdate}).
 * @param url - The recording link (already signed for public links), if any.
 * @param target - {@link RecordingTarget}. @default 'both'
 * @param omit - Optional fields Zoho refused for this org.
 * @returns The value for the field and/or the description, each absent when it does not go there.
 * @example
 * ```ts
 * placeRecording('https://pbx.example.com/r/1.wav', 'both', new Set());
 * // { field: 'https://pbx.example.com/r/1.wav', description: 'https://pbx.example.com/r/1.wav' }
 * ```
 * @internal
 */
export function placeRecording(
  url: string | undefined,
  target: RecordingTarget = 'both',
  omit: ReadonlySet<string> = EMPTY,
): { field?: string; description?: string } {
  if (url === undefined) return {};
  const inField =
    target !== 'description' && url.length <= RECORDING_FIELD_MAX_LENGTH && !omit.has('Voice_Recording__s');
  return {
    ...(inField ? { field: url } : {}),
    ...(target !== 'field' || !inField ? { description: url } : {}),
  };
}

/**
 * What a late update adds to an activity that exists: links that arrived after the call and the CRM record
 * to link it to. See {@link toCallUpdate}.
 * @example
 * ```ts
 * const late: CallUpdateInput = { transcriptionUrl: 'https://pbx.example.com/t/1', transcriptionSummary: 'Wants a quote' };
 * ```
 * @internal
 */
export interface CallUpdateInput {
  /** The recording link (already signed for public links). */
  recordingUrl?: string | undefined;
  /** The transcription link (already signed for public links). */
  transcriptionUrl?: string | undefined;
  /** The transcription summary. */
  transcriptionSummary?: string | undefined;
  /** The record to link the activity to. */
  link?:
    | { module: 'Contacts' | 'Leads' | 'Accounts'; id: string; accountId?: string | undefined }
    | undefined;
}

/**
 * The description lines a late update appends (empty when it appends none): the caller reads the current
 * description only when there are some.
 * @param input - The late links.
 * @param options - Where recordings go and the fields the org refused.
 * @returns The lines, newline-separated, or an empty string.
 * @example
 * ```ts
 * callUpdateLines({ transcriptionUrl: 'https://pbx.example.com/t/1' }, {}); // 'Transcription: https://pbx.example.com/t/1'
 * ```
 * @internal
 */
export function callUpdateLines(
  input: CallUpdateInput,
  options: Pick<CallActivityOptions, 'recordingTarget' | 'omitFields'>,
): string {
  return linkLines({
    recording: placeRecording(input.recordingUrl, options.recordingTarget, options.omitFields).description,
    transcriptionUrl: input.transcriptionUrl,
    transcriptionSummary: input.transcriptionSummary,
  });
}

/**
 * Builds the `PUT /Calls` record for a late update of an existing activity. Pure. Lines already in the
 * description are not added twice; `Who_Id`/`What_Id` are replaced (null clears one) when a link is given.
 * @param zohoCallId - The activity's Zoho id.
 * @param input - See {@link CallUpdateInput}.
 * @param options - Where recordings go and the fields the org refused.
 * @param existingDescription - The activity's current description (needed when {@link callUpdateLines} is not empty).
 * @returns The record; only `id` when there is nothing to change.
 * @example
 * ```ts
 * toCallUpdate('4876876000000654321', { transcriptionUrl: 'https://pbx.example.com/t/1' }, {}, 'Agent: ext. 201');
 * // { id: '4876876000000654321', Description: 'Agent: ext. 201\nTranscription: https://pbx.example.com/t/1' }
 * ```
 * @internal
 */
export function toCallUpdate(
  zohoCallId: string,
  input: CallUpdateInput,
  options: Pick<CallActivityOptions, 'recordingTarget' | 'omitFields'>,
  existingDescription = '',
): Record<string, unknown> & { id: string } {
  const record: Record<string, unknown> & { id: string } = { id: zohoCallId };
  const recording = placeRecording(input.recordingUrl, options.recordingTarget, options.omitFields);
  if (recording.field) record.Voice_Recording__s = recording.field;
  const lines = callUpdateLines(input, options);
  if (lines) {
    const missing = lines.split('\n').filter((line) => !existingDescription.includes(line));
    if (missing.length > 0) {
      record.Description = clampDescription(
        existingDescription ? `${existingDescription}\n${missing.join('\n')}` : missing.join('\n'),
      );
    }
  }
  if (input.link) {
    const fields = linkFields({
      module: input.link.module,
      id: input.link.id,
      ...(input.link.accountId ? { account: { id: input.link.accountId, name: '' } } : {}),
    });
    record.Who_Id = fields.Who_Id ?? null;
    record.What_Id = fields.What_Id ?? null;
    if (fields.$se_module) record.$se_module = fields.$se_module;
  }
  return record;
}

// --- Internal helpers ---

const EMPTY: ReadonlySet<string> = new Set();
/** Astral code points, lone surrogates, ZWJ, variation selectors, keycap and tag characters. */
const NOT_STORABLE = /[\u{10000}-\u{10FFFF}]|[\uD800-\uDFFF]|[\u200D\uFE0E\uFE0F\u20E3]/gu;

const OUTCOME: Record<PbxCallStatus, string> = {
  answered: 'answered',
  missed: 'missed',
  'no-answer': 'no answer',
  busy: 'busy',
  failed: 'failed',
  voicemail: 'voicemail',
};

function defaultSubject(context: SubjectContext): string {
  if (context.direction === 'outbound') {
    const outcome = context.status === 'answered' ? '' : ` (${OUTCOME[context.status]})`;
    return `Outbound call to ${context.number}${outcome}`;
  }
  if (context.status === 'answered') return `Inbound call from ${context.number}`;
  if (context.status === 'voicemail') return `Voicemail from ${context.number}`;
  const outcome =
    context.status === 'missed' || context.status === 'no-answer' ? '' : ` (${OUTCOME[context.status]})`;
  return `Missed call from ${context.number}${outcome}`;
}

function renderSubject(template: SubjectTemplate | undefined, context: SubjectContext): string {
  if (template === undefined) return defaultSubject(context);
  if (typeof template === 'function') return String(template(context) ?? '');
  return template.replace(/\{(number|name|type|direction|status|agent)\}/g, (_m, key: keyof SubjectContext) =>
    String(context[key]),
  );
}

interface Party {
  /** E.164 when the value is a public number. */
  e164?: string;
  /** How people see it: international format, `anonymous`, or the raw value (an extension, a SIP URI). */
  display: string;
}

function party(raw: string, defaultCountry: string): Party {
  // Stryker disable next-line StringLiteral: equivalent, only 'anonymous' is tested for
  let kind: 'e164' | 'extension' | 'anonymous' | 'other' = 'other';
  let e164: string | undefined;
  try {
    const parsed = classifyNumber(raw, defaultCountry);
    kind = parsed.kind;
    // Stryker disable next-line ConditionalExpression: equivalent, other kinds carry no e164 (undefined either way)
    if (parsed.kind === 'e164') e164 = parsed.e164;
  } catch {
    // Not a number we can read: shown as given.
  }
  if (e164) return { e164, display: formatForDisplay(e164) };
  if (kind === 'anonymous') return { display: 'anonymous' };
  return { display: bmpSafe(raw).trim() };
}

function describeCall(
  call: NormalizedCall,
  links: {
    path: string[];
    outcome: string[];
    recording: string | undefined;
    transcriptionUrl: string | undefined;
    transcriptionSummary: string | undefined;
    includeCallId: boolean;
  },
): string {
  const lines: string[] = [];
  if (call.status !== 'answered') lines.push(`Outcome: ${OUTCOME[call.status]}`);
  const agent = handlingAgent(call);
  if (agent) lines.push(`Agent: ${agentLabel(agent, bmpSafe)}`);
  lines.push(...links.path, ...links.outcome);
  const linkText = linkLines({
    recording: links.recording,
    transcriptionUrl: links.transcriptionUrl,
    transcriptionSummary: links.transcriptionSummary,
  });
  if (linkText) lines.push(linkText);
  if (links.includeCallId) lines.push(`PBX call ID: ${call.id}`);
  const marker = callMarker(call.id, links.includeCallId);
  if (!links.includeCallId || lines.at(-1) !== marker) lines.push(marker);
  // The marker is the last line and survives any clamping: the journal finds the activity by it.
  const body = lines.slice(0, -1).join('\n');
  return body ? `${clampDescription(body, DESCRIPTION_MAX_LENGTH - marker.length - 1)}\n${marker}` : marker;
}

/** FNV-1a, 64 bits, as 16 hex digits: a short, stable, ASCII token for a call id. */
function fnv1a64(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return hash.toString(16).padStart(16, '0');
}
