/**
 * Preparing a call's create: everything the Calls record needs that takes I/O (the caller's CRM record,
 * the owner, signed links) resolved once into plain data ({@link Prepared}); the record itself built from
 * it by the pure mapping; and healing, which drops what an org refused (an optional field, a stale record
 * link, an inactive owner) so the write can go again at once.
 *
 * @module
 */
import type { FieldMetadata } from '../crm/fields.js';
import type { WriteOutcome } from '../crm/records.js';
import type { CallerMatch } from '../lookup/types.js';
import { classifyNumber } from '../phone/normalize.js';
import { maskPhone } from '../redact.js';
import type { Group, JournalContext } from './context.js';
import { linkFor } from './context.js';
import type { DurationPlan } from './duration-learning.js';
import type { CallLoggedEvent } from './journal-types.js';
import { type CallActivity, callMarker, toCallActivity } from './map-call.js';
import { outcomeFields } from './map-fields.js';
import type { CallWriteSettings } from './org-settings.js';
import type { NormalizedCall } from './pbx-call.js';
import { isOptionalLookupRefused } from './retry-policy.js';
import type { CallUpdate, JournalOp } from './store.js';
import { handlingAgent } from './transfers.js';

/** A call ready to be written: plain data, changed only by {@link heal}. @internal */
export interface Prepared {
  readonly group: Group;
  /** The call with the late links merged in. */
  readonly call: NormalizedCall;
  /** The other party's number in E.164, when it is one. */
  readonly external: string | undefined;
  /** The CRM record to link (null: none, or dropped after Zoho refused it). */
  match: CallerMatch | null;
  /** The Zoho user who owns the activity (undefined: Zoho's default). */
  ownerId: string | undefined;
  readonly recordingUrl: string | undefined;
  readonly transcriptionUrl: string | undefined;
  /** The Calls field metadata, read when `journal.fields`, `result` or `purpose` needs it (undefined: unknown). */
  readonly callFields: FieldMetadata | undefined;
}

/** Resolves a group's create into {@link Prepared} (caller lookup, owner, links). @internal */
export async function prepare(ctx: JournalContext, group: Group): Promise<Prepared> {
  const create = group.create as JournalOp;
  const call: NormalizedCall = { ...(create.call as NormalizedCall) };
  let link: CallUpdate['link'];
  for (const update of [...group.updates].sort((a, b) => a.createdAt - b.createdAt)) {
    if (update.update?.recording) call.recording = update.update.recording;
    if (update.update?.transcription) call.transcription = update.update.transcription;
    if (update.update?.link) link = update.update.link;
  }
  const external = externalE164(call, ctx.defaultCountry);
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
      const found = await ctx.lookup.findByE164(external);
      if (found && found.module !== 'PBX') match = found;
    } catch (error) {
      if (!isOptionalLookupRefused(error)) throw error;
      ctx.logger.warn(
        { callId: call.id, number: maskPhone(external), code: (error as { code?: string }).code },
        'caller lookup failed; the call is logged without a record link',
      );
    }
  }
  const needsFields =
    ctx.options.fields !== undefined || call.result !== undefined || call.purpose !== undefined;
  const callFields = needsFields ? await ctx.org.fields() : undefined;
  ctx.fields.warnOutcome(outcomeFields(call, callFields).refused, { callId: call.id });
  return {
    group,
    call,
    external,
    match,
    callFields,
    // The agent who ended the call (the last transfer's target) owns it.
    ownerId: await ctx.owners.resolve(handlingAgent(call)),
    recordingUrl: await linkFor(ctx, call.recording?.url, ctx.options.recordingLink),
    transcriptionUrl: await linkFor(ctx, call.transcription?.url, ctx.options.transcriptionLink),
  };
}

/** The Calls record for a prepared call under the org's settings and the batch's duration plan (pure). @internal */
export function buildActivity(
  ctx: JournalContext,
  item: Prepared,
  settings: CallWriteSettings,
  duration: DurationPlan,
): CallActivity {
  const { options } = ctx;
  const draft = toCallActivity(item.call, item.match, {
    timeZone: settings.timeZone,
    defaultCountry: ctx.defaultCountry,
    durationFormat: duration.format,
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    ...(item.ownerId ? { ownerId: item.ownerId } : {}),
    ...(item.recordingUrl ? { recordingUrl: item.recordingUrl } : {}),
    recordingTarget: options.recordingTarget,
    ...(item.transcriptionUrl ? { transcriptionUrl: item.transcriptionUrl } : {}),
    ...(item.call.transcription?.summary ? { transcriptionSummary: item.call.transcription.summary } : {}),
    ...(settings.statusField ? { outboundStatusField: settings.statusField } : {}),
    ...(settings.dedupeField ? { dedupeField: settings.dedupeField } : {}),
    includeCallId: options.includeCallId,
    // While the reading is learned, Zoho computes the seconds from the text alone (the read-back tests it).
    omitFields: duration.learning ? withSecondsLeftOut(ctx.omitFields) : ctx.omitFields,
    ...(item.callFields ? { callFields: item.callFields } : {}),
  });
  const fields = options.fields;
  if (!fields) return draft;
  return ctx.fields.apply(
    'Calls',
    draft,
    () => fields(item.call, structuredClone(draft)),
    {
      metadata: item.callFields,
      reserved: new Set(settings.dedupeField ? [settings.dedupeField] : []),
      marker: callMarker(item.call.id, options.includeCallId),
    },
    { callId: item.call.id },
  );
}

function withSecondsLeftOut(omit: ReadonlySet<string>): ReadonlySet<string> {
  return omit.has('Call_Duration_in_seconds') ? omit : new Set([...omit, 'Call_Duration_in_seconds']);
}

/** The record a prepared call is linked to, for `callLogged`. @internal */
export function linkedTo(item: Prepared): CallLoggedEvent['linkedTo'] {
  const { match } = item;
  return match && match.module !== 'PBX'
    ? { module: match.module as 'Contacts' | 'Leads' | 'Accounts', id: match.id }
    : undefined;
}

/** Drops what an org refused (optional fields, a stale link, an inactive owner); true to write again. @internal */
export function heal(
  ctx: JournalContext,
  item: Prepared,
  outcome: Extract<WriteOutcome, { ok: false }>,
  settings: CallWriteSettings,
): boolean {
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
  if (outcome.code === 'INVALID_DATA' && optional.has(field) && !ctx.omitFields.has(field)) {
    ctx.omitFields.add(field);
    ctx.logger.warn({ field }, 'Zoho refused an optional Calls field; it is left out from now on');
    return true;
  }
  const owner = item.ownerId;
  if (field === 'Owner' && owner) {
    ctx.owners.reject(owner);
    const fallback = ctx.options.fallbackOwnerId;
    item.ownerId = fallback && fallback !== owner ? fallback : undefined;
    ctx.logger.warn(
      { callId: item.group.callId },
      'Zoho refused the call owner (inactive user?); using the fallback',
    );
    return true;
  }
  if ((field === 'Who_Id' || field === 'What_Id' || field === '$se_module') && item.match) {
    // The linked record is gone: none of its numbers may answer a ring or link a call any more.
    if (item.external) ctx.lookup.invalidate?.(item.external, item.match.id);
    item.match = null;
    ctx.logger.warn(
      { callId: item.group.callId },
      'Zoho refused the record link (deleted record?); logging unlinked',
    );
    return true;
  }
  return false;
}

function externalE164(call: NormalizedCall, defaultCountry: string): string | undefined {
  try {
    const parsed = classifyNumber(call.direction === 'outbound' ? call.to : call.from, defaultCountry);
    return parsed.kind === 'e164' ? parsed.e164 : undefined;
  } catch {
    return undefined;
  }
}
