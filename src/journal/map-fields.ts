/**
 * The org's own fields, pure: `Call_Result` / `Call_Purpose` from a call checked against the picklists in
 * the field metadata, and the extra or overriding fields a host returns from `journal.fields` or
 * `createRecords.fields` checked against the module's fields. No I/O; reporting is the caller's.
 *
 * Rules:
 * - **Result and purpose.** A value the field's picklist has (compared case-insensitively; the picklist's
 *   spelling is sent) goes to the field. A value it lacks, or a field the org does not have, goes into the
 *   description (`Result: …`, `Purpose: …`) and is reported, never refused: Zoho would add an unseen value to
 *   the picklist (docs/zoho-facts.md §4.2), polluting it. A field that is not a picklist (some orgs have a
 *   text `Call_Result`) takes the value as is. Without metadata (no scope) the value goes to both.
 * - **Extra fields.** Keys the module does not have are left out and reported (the record is written
 *   without them); without metadata nothing can be checked and everything is sent. `undefined` values are
 *   ignored, `null` leaves a field out of the record. Reserved keys (`id`, the dedupe field) are never
 *   overridden. A `Description` keeps the journal's marker line last (the journal finds its activities
 *   by it).
 *
 * @module
 */
import type { FieldMetadata } from '../crm/fields.js';
import type { CallActivity } from './map-call.js';
import type { NormalizedCall } from './pbx-call.js';

/**
 * `journal.fields`: extra or overriding fields for each Calls record. Called each time the record is
 * built (a retry builds it again), so it should be quick and give the same answer for the same call.
 * @param call - The call as the journal stores it (dates in epoch ms).
 * @param draft - A copy of the record the journal built (Subject, Call_Type, Description…).
 * @returns Fields to add or override (`null` leaves one out), or nothing.
 * @example
 * ```ts
 * const fields: JournalFieldsFunction = (call, draft) => ({
 *   Region: call.to.startsWith('+44') ? 'EMEA' : 'AMER',
 *   Call_Purpose: draft.Call_Type === 'Outbound' ? 'Prospecting' : undefined,
 * });
 * ```
 * @group Journal
 */
export type JournalFieldsFunction = (
  call: NormalizedCall,
  draft: Readonly<CallActivity>,
) => Record<string, unknown> | undefined | null;

/** What an outcome value became. @internal */
export interface OutcomeFields {
  /** Fields to send (`Call_Result`, `Call_Purpose`). */
  fields: Record<string, string>;
  /** Description lines for values that could not go to their field. */
  lines: string[];
  /** Values left out of their field, for a warning. */
  refused: Array<{ field: string; value: string; why: 'not in the picklist' | 'no such field' }>;
}

/** The call attributes that map to Calls fields. @internal */
export const OUTCOME_FIELDS = [
  { key: 'result', field: 'Call_Result', label: 'Result' },
  { key: 'purpose', field: 'Call_Purpose', label: 'Purpose' },
] as const;

/**
 * `Call_Result` and `Call_Purpose` for a call under the org's metadata (see the module notes).
 * @param call - The call (`result`, `purpose`).
 * @param metadata - The Calls fields; undefined when unknown.
 * @returns The fields, the description lines and what was refused.
 * @example
 * ```ts
 * outcomeFields({ ...call, result: 'interested' }, metadata);
 * // { fields: { Call_Result: 'Interested' }, lines: [], refused: [] }
 * ```
 * @internal
 */
export function outcomeFields(
  call: Pick<NormalizedCall, 'result' | 'purpose'>,
  metadata: FieldMetadata | undefined,
): OutcomeFields {
  const out: OutcomeFields = { fields: {}, lines: [], refused: [] };
  for (const { key, field, label } of OUTCOME_FIELDS) {
    const value = call[key];
    if (!value) continue;
    if (!metadata) {
      out.fields[field] = value;
      out.lines.push(`${label}: ${value}`);
      continue;
    }
    const meta = metadata.get(field);
    if (!meta || meta.readOnly) {
      out.lines.push(`${label}: ${value}`);
      out.refused.push({ field, value, why: 'no such field' });
      continue;
    }
    if (!meta.picklist) {
      out.fields[field] = value;
      continue;
    }
    const wanted = value.toLowerCase();
    const known = meta.picklist.find((option) => option.toLowerCase() === wanted && option !== '-None-');
    if (known) {
      out.fields[field] = known;
    } else {
      out.lines.push(`${label}: ${value}`);
      out.refused.push({ field, value, why: 'not in the picklist' });
    }
  }
  return out;
}

/** How {@link applyFields} treats keys. @internal */
export interface ApplyFieldsOptions {
  /** The module's fields; undefined when unknown (nothing is checked). */
  metadata: FieldMetadata | undefined;
  /** Keys never overridden. */
  reserved?: ReadonlySet<string>;
  /** The line a `Description` must end with (the journal's marker). */
  marker?: string;
}

/**
 * Merges a host's extra fields into a record (see the module notes). Pure: returns a new record.
 * @param record - The record built so far.
 * @param extra - What the host's function returned.
 * @param options - Metadata, reserved keys, marker.
 * @returns The record and the keys left out because the module does not have them.
 * @example
 * ```ts
 * applyFields({ Subject: 'Call' }, { Region: 'EMEA', Regoin: 'x' }, { metadata });
 * // { record: { Subject: 'Call', Region: 'EMEA' }, unknown: ['Regoin'] }
 * ```
 * @internal
 */
export function applyFields<T extends Record<string, unknown>>(
  record: T,
  extra: Record<string, unknown>,
  options: ApplyFieldsOptions,
): { record: T; unknown: string[] } {
  const out: Record<string, unknown> = { ...record };
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined || key === 'id' || options.reserved?.has(key)) continue;
    if (options.metadata && !options.metadata.has(key) && !key.startsWith('$')) {
      unknown.push(key);
      continue;
    }
    if (value === null) {
      if (key === 'Description' && options.marker) out[key] = options.marker;
      else delete out[key];
      continue;
    }
    out[key] = key === 'Description' && options.marker ? withMarker(String(value), options.marker) : value;
  }
  return { record: out as T, unknown };
}

/** A description that ends with the marker line, within Zoho's 32,000 characters. @internal */
export function withMarker(description: string, marker: string): string {
  const body = description
    .split('\n')
    .filter((line) => line !== marker)
    .join('\n')
    .trimEnd();
  const room = DESCRIPTION_MAX_LENGTH - marker.length - 1;
  const fitted = body.length <= room ? body : `${body.slice(0, room - 1)}…`;
  return fitted ? `${fitted}\n${marker}` : marker;
}

const DESCRIPTION_MAX_LENGTH = 32_000;
