/**
 * The pure mapping from a missed call to its follow-up Zoho Tasks record ("Call back …"). No I/O, no
 * clock, no process time zone: the same input gives the same record anywhere.
 *
 * Rules:
 * - **Which calls**: inbound calls Zoho files as `Missed` (missed, no answer, busy, failed, voicemail) from
 *   a caller who can be called back (not anonymous).
 * - **Due_Date**: the day on which `endedAt + dueInMinutes` falls in the org's time zone (`yyyy-MM-dd`:
 *   Zoho's Tasks due date is a date, not a date-time); the time itself goes into the description.
 * - **Links**: as the call's activity (docs/zoho-facts.md §10 Q10): Contact → `Who_Id` (+ its Account as
 *   `What_Id` with `$se_module`), Lead or Account → `What_Id` + `$se_module`.
 * - **Description**: what happened, when to call back, the agent, and last the call's marker line
 *   (`PBX call ID: …` / `Journal ref: …`), by which the journal finds the task after a lost answer.
 *
 * @module
 */
import { classifyNumber, formatForDisplay } from '../phone/normalize.js';
import {
  bmpSafe,
  callMarker,
  callType,
  linkFields,
  type SubjectContext,
  type SubjectTemplate,
  subjectText,
} from './map-call.js';
import type { NormalizedCall } from './pbx-call.js';
import type { CallUpdate } from './store.js';
import { formatZohoDateTime } from './zoho-time.js';

/**
 * A Zoho Tasks record ready for insert. Optional keys are absent, never `undefined`.
 * @internal
 */
export interface TaskRecord {
  Subject: string;
  /** `yyyy-MM-dd` in the org's time zone. */
  Due_Date: string;
  Status: 'Not Started';
  Description: string;
  Who_Id?: { id: string };
  What_Id?: { id: string };
  $se_module?: 'Accounts' | 'Leads';
  Owner?: { id: string };
  [field: string]: unknown;
}

/** Everything {@link toMissedCallTask} needs besides the call. @internal */
export interface TaskMappingOptions {
  /** The org's IANA time zone. */
  timeZone: string;
  /** Country for numbers without a country code. */
  defaultCountry: string;
  /** Minutes after the call's end the task is due. */
  dueInMinutes: number;
  /** `journal.missedCallTask.subject`. */
  subject?: SubjectTemplate | undefined;
  /** `journal.includeCallId` (the marker line). */
  includeCallId: boolean;
  /** The record the call was linked to (null: none). */
  link: CallUpdate['link'] | null;
  /** The task's owner (undefined: Zoho's default, the authorizing user). */
  ownerId?: string | undefined;
}

/**
 * Whether a call gets a follow-up task (see the module notes).
 * @internal
 */
export function wantsCallbackTask(call: NormalizedCall, defaultCountry: string): boolean {
  if (call.direction !== 'inbound' || callType('inbound', call.status) !== 'Missed') return false;
  return callerKind(call.from, defaultCountry) !== 'anonymous';
}

/**
 * The Tasks record for a missed call. Pure.
 * @throws `RangeError` for an unknown time zone (the journal validates it first).
 * @internal
 */
export function toMissedCallTask(call: NormalizedCall, options: TaskMappingOptions): TaskRecord {
  const number = displayNumber(call.from, options.defaultCountry);
  const name = (options.link?.name && bmpSafe(options.link.name).trim()) || '';
  const context: SubjectContext = {
    type: 'Missed',
    direction: 'inbound',
    status: call.status,
    number,
    name: name || number,
    agent: call.agent?.name || call.agent?.extension || '',
  };
  const subject =
    options.subject === undefined
      ? name && name !== number
        ? `Call back ${name} (${number})`
        : `Call back ${number}`
      : renderTemplate(options.subject, context);
  const due = call.endedAt + options.dueInMinutes * 60_000;
  const lines = [
    `Missed call from ${name && name !== number ? `${name} (${number})` : number} at ${formatZohoDateTime(call.startedAt, options.timeZone)}`,
    `Call back by ${formatZohoDateTime(due, options.timeZone)}`,
  ];
  if (call.agent) {
    const agent = call.agent.name ? bmpSafe(call.agent.name) : '';
    lines.push(
      `Agent: ${agent ? `${agent} (ext. ${call.agent.extension})` : `ext. ${call.agent.extension}`}`,
    );
  }
  lines.push(callMarker(call.id, options.includeCallId));
  const record: TaskRecord = {
    Subject: subjectText(subject),
    Due_Date: formatZohoDateTime(due, options.timeZone).slice(0, 10),
    Status: 'Not Started',
    Description: lines.join('\n'),
  };
  const link = options.link;
  Object.assign(
    record,
    link
      ? linkFields({
          module: link.module,
          id: link.id,
          ...(link.accountId ? { account: { id: link.accountId, name: '' } } : {}),
        })
      : {},
  );
  if (options.ownerId) record.Owner = { id: options.ownerId };
  return record;
}

// --- Internal helpers ---

function callerKind(raw: string, defaultCountry: string): string {
  try {
    return classifyNumber(raw, defaultCountry).kind;
  } catch {
    return 'other';
  }
}

function displayNumber(raw: string, defaultCountry: string): string {
  try {
    const parsed = classifyNumber(raw, defaultCountry);
    if (parsed.kind === 'e164') return formatForDisplay(parsed.e164);
  } catch {
    // Shown as given.
  }
  return bmpSafe(raw).trim();
}

function renderTemplate(template: SubjectTemplate, context: SubjectContext): string {
  if (typeof template === 'function') return String(template(context) ?? '');
  return template.replace(/\{(number|name|type|direction|status|agent)\}/g, (_m, key: keyof SubjectContext) =>
    String(context[key]),
  );
}
