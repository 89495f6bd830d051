/**
 * Record writes: insert (`POST /{Module}`), upsert (`POST /{Module}/upsert`), update (`PUT /{Module}`),
 * notes, and the per-record validation behind them (docs/zoho-facts.md §4, §5, §6, §10).
 * @internal
 * @module
 */
import { creditsForWrite } from '../../editions.js';
import { callDurationSeconds } from './duration.js';
import type { FieldDef, ModuleDef } from './modules.js';
import type { UserRec } from './org.js';
import type { StoredRecord } from './record-store.js';
import { lookupId, normalizeKey } from './record-view.js';
import { json, MESSAGES, zohoError } from './responses.js';
import type { EmulatorStateImpl } from './state.js';
import { formatZohoDateTime, parseZohoDateTime } from './time.js';
import type { EmulatorModule } from './types.js';

/** Most records per insert, update or upsert call. */
export const MAX_RECORDS_PER_WRITE = 100;

/** A per-record failure in Zoho's shape. */
export interface RecordError {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

type Validated = { ok: true; values: Record<string, unknown> } | { ok: false; error: RecordError };

/** What a write handler needs. */
export interface WriteContext {
  readonly state: EmulatorStateImpl;
  readonly def: ModuleDef;
  readonly user: UserRec;
}

/** The outcome of a write request: the response and the credits it cost. */
export interface WriteResult {
  readonly response: Response;
  readonly credits: number;
}

/** Parses `{"data":[...]}` and enforces the 1..100 record bounds. */
export async function readWriteBody(
  request: Request,
): Promise<{ body: Record<string, unknown>; data: unknown[] } | Response> {
  let body: unknown;
  try {
    body = JSON.parse(await request.text());
  } catch {
    return zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, { reason: 'the body is not valid JSON' });
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    return zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, {
      reason: 'the body must be a JSON object',
    });
  }
  const data = (body as { data?: unknown }).data;
  if (data === undefined) {
    return zohoError(400, 'REQUIRED_PARAM_MISSING', MESSAGES.REQUIRED_PARAM_MISSING, { param_name: 'data' });
  }
  if (!Array.isArray(data)) {
    return zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, {
      api_name: 'data',
      expected_data_type: 'jsonarray',
    });
  }
  if (data.length === 0) {
    return zohoError(400, 'REQUIRED_PARAM_MISSING', MESSAGES.REQUIRED_PARAM_MISSING, { param_name: 'data' });
  }
  if (data.length > MAX_RECORDS_PER_WRITE) {
    return zohoError(400, 'LIMIT_EXCEEDED', MESSAGES.LIMIT_EXCEEDED, {
      api_name: 'data',
      limit: MAX_RECORDS_PER_WRITE,
    });
  }
  return { body: body as Record<string, unknown>, data };
}

/** `POST /{Module}` (and `POST /Notes`, `POST /{Module}/{id}/Notes` through `parent`). */
export function insertRecords(ctx: WriteContext, data: unknown[], parent?: StoredRecord): WriteResult {
  const { state, def, user } = ctx;
  const batch: Record<string, unknown>[] = [];
  const entries = data.map((input, i) => {
    const v = validateRecord(ctx, input, i, undefined, parent);
    if (!v.ok) return errorEntry(v.error);
    const dup = findDuplicate(state, def, v.values, undefined, batch, i);
    if (dup) return errorEntry(dup);
    batch.push(v.values);
    const rec = state.store.insert(def, state.ids.id(), v.values, user);
    return successEntry(rec, 'record added');
  });
  return { response: writeResponse(entries, 201), credits: creditsForWrite(data.length) };
}

/** `PUT /{Module}` and `PUT /{Module}/{id}`. */
export function updateRecords(ctx: WriteContext, data: unknown[], urlId?: string): WriteResult {
  const { state, def, user } = ctx;
  const entries = data.map((input, i) => {
    const id = urlId ?? (isObject(input) ? lookupId(input.id) : undefined);
    if (!isObject(input))
      return errorEntry(invalid(`$.data[${i}]`, undefined, { expected_data_type: 'jsonobject' }));
    if (id === undefined) return errorEntry(mandatory('id', i));
    const rec = state.store.find(def.apiName, id);
    if (!rec) {
      return errorEntry({
        code: 'INVALID_DATA',
        message: MESSAGES.INVALID_ID,
        details: { id, api_name: 'id', json_path: `$.data[${i}].id` },
      });
    }
    const v = validateRecord(ctx, input, i, rec);
    if (!v.ok) return errorEntry(v.error);
    const dup = findDuplicate(state, def, v.values, rec.id, [], i);
    if (dup) return errorEntry(dup);
    state.store.update(def, rec, v.values, user);
    return successEntry(rec, 'record updated');
  });
  return { response: writeResponse(entries, 200), credits: creditsForWrite(data.length) };
}

/** `POST /{Module}/upsert`: match on `duplicate_check_fields` (or the module's defaults), else insert. */
export function upsertRecords(
  ctx: WriteContext,
  body: Record<string, unknown>,
  data: unknown[],
): WriteResult {
  const { state, def, user } = ctx;
  const credits = creditsForWrite(data.length);
  const requested = body.duplicate_check_fields;
  let checkFields: string[];
  if (requested === undefined) {
    checkFields = [...def.systemDuplicateFields, ...def.fields.filter((f) => f.unique).map((f) => f.apiName)];
  } else {
    if (!Array.isArray(requested) || requested.some((f) => typeof f !== 'string')) {
      return {
        response: zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, {
          api_name: 'duplicate_check_fields',
          expected_data_type: 'jsonarray',
        }),
        credits,
      };
    }
    for (const name of requested as string[]) {
      const field = def.byName.get(name);
      if (!field || !(field.unique || def.systemDuplicateFields.includes(name))) {
        return {
          response: zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, {
            api_name: name,
            json_path: '$.duplicate_check_fields',
            reason: 'not a unique or system duplicate-check field',
          }),
          credits,
        };
      }
    }
    checkFields = requested as string[];
  }
  const batch: Record<string, unknown>[] = [];
  const entries = data.map((input, i) => {
    if (!isObject(input))
      return errorEntry(invalid(`$.data[${i}]`, undefined, { expected_data_type: 'jsonobject' }));
    let match: { field: string; rec: StoredRecord } | undefined;
    for (const field of checkFields) {
      const value = normalizeKey(input[field]);
      if (value === undefined) continue;
      const rec = state.store.findByKey(def.apiName, field, value)[0];
      if (rec) {
        match = { field, rec };
        break;
      }
    }
    if (match) {
      const v = validateRecord(ctx, input, i, match.rec);
      if (!v.ok) return errorEntry(v.error);
      const dup = findDuplicate(state, def, v.values, match.rec.id, [], i);
      if (dup) return errorEntry(dup);
      state.store.update(def, match.rec, v.values, user);
      return { ...successEntry(match.rec, 'record updated'), action: 'update', duplicate_field: match.field };
    }
    const v = validateRecord(ctx, input, i, undefined);
    if (!v.ok) return errorEntry(v.error);
    const dup = findDuplicate(state, def, v.values, undefined, batch, i);
    if (dup) return errorEntry(dup);
    batch.push(v.values);
    const rec = state.store.insert(def, state.ids.id(), v.values, user);
    return { ...successEntry(rec, 'record added'), action: 'insert', duplicate_field: null };
  });
  return { response: writeResponse(entries, 201), credits };
}

// --- Validation ---

/**
 * Validates one record and returns the values to store: mandatory fields, data types and lengths,
 * lookups, then the module's own rules (Calls, Notes). The first problem wins, as at Zoho.
 */
export function validateRecord(
  ctx: WriteContext,
  input: unknown,
  index: number,
  existing: StoredRecord | undefined,
  parent?: StoredRecord,
): Validated {
  const { state, def } = ctx;
  if (!isObject(input))
    return fail(invalid(`$.data[${index}]`, undefined, { expected_data_type: 'jsonobject' }));
  const path = (name: string) => `$.data[${index}].${name}`;

  if (!existing) {
    for (const field of def.fields) {
      if (!field.mandatory || field.readOnly) continue;
      if (def.apiName === 'Notes' && field.apiName === 'Parent_Id') continue;
      if (isBlank(input[field.apiName])) return fail(mandatory(field.apiName, index));
    }
  } else {
    for (const field of def.fields) {
      if (field.mandatory && field.apiName in input && isBlank(input[field.apiName])) {
        return fail(mandatory(field.apiName, index));
      }
    }
  }

  const values: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(input)) {
    if (key === 'id' || key === '$se_module') continue;
    const field = def.byName.get(key);
    if (!field) {
      if (state.options.unknownFields === 'keep' && !key.startsWith('$') && !def.absentFields.has(key))
        values[key] = raw;
      continue;
    }
    if (field.readOnly) continue;
    if (def.apiName === 'Notes' && key === 'Parent_Id') continue;
    if (raw === null) {
      values[key] = null;
      continue;
    }
    const converted = convertValue(state, field, raw, path(key));
    if ('code' in converted) return fail(converted);
    values[key] = converted.value;
  }

  if (!existing && values.Owner === undefined) values.Owner = state.org.userRef(ctx.user);

  if (def.apiName === 'Calls') {
    const err = callRules(state, input, values, index, existing);
    if (err) return fail(err);
  }
  if (def.apiName === 'Tasks') {
    const err = linkRules(state, input, values, index, existing);
    if (err) return fail(err);
  }
  if (def.apiName === 'Notes') {
    const err = noteRules(state, input, values, index, existing, parent);
    if (err) return fail(err);
  }
  return { ok: true, values };
}

function convertValue(
  state: EmulatorStateImpl,
  field: FieldDef,
  raw: unknown,
  jsonPath: string,
): { value: unknown } | RecordError {
  const api = field.apiName;
  const tooLong = (s: string) =>
    field.length !== undefined && s.length > field.length
      ? invalid(jsonPath, api, { maximum_length: field.length })
      : undefined;
  switch (field.dataType) {
    case 'text':
    case 'textarea':
    case 'phone':
    case 'website': {
      if (typeof raw === 'number' && field.dataType !== 'website') return { value: String(raw) };
      if (typeof raw !== 'string') return invalid(jsonPath, api, { expected_data_type: field.dataType });
      return tooLong(raw) ?? { value: raw };
    }
    case 'email': {
      if (typeof raw !== 'string' || (raw !== '' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(raw))) {
        return invalid(jsonPath, api, { expected_data_type: 'email' });
      }
      return tooLong(raw) ?? { value: raw };
    }
    case 'picklist': {
      if (typeof raw !== 'string') return invalid(jsonPath, api, { expected_data_type: 'picklist' });
      const unseen = field.picklist !== undefined && !field.picklist.includes(raw);
      if (unseen && (field.strictPicklist || state.options.unknownPicklistValues === 'refuse'))
        return invalid(jsonPath, api);
      const long = tooLong(raw);
      if (long) return long;
      // Zoho adds an unseen value to the picklist (docs/zoho-facts.md §4.2).
      if (unseen && state.options.unknownPicklistValues === 'add')
        field.picklist = [...(field.picklist ?? []), raw];
      return { value: raw };
    }
    case 'integer': {
      const n = typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : raw;
      if (typeof n !== 'number' || !Number.isSafeInteger(n))
        return invalid(jsonPath, api, { expected_data_type: 'integer' });
      return { value: n };
    }
    case 'boolean':
      return typeof raw === 'boolean'
        ? { value: raw }
        : invalid(jsonPath, api, { expected_data_type: 'boolean' });
    case 'datetime': {
      const ms = typeof raw === 'string' ? parseZohoDateTime(raw) : undefined;
      if (ms === undefined) return invalid(jsonPath, api, { expected_data_type: 'datetime' });
      return { value: formatZohoDateTime(ms, state.options.timeZone) };
    }
    case 'date': {
      // `yyyy-MM-dd`, a real calendar day (Zoho refuses a date-time or `2025-02-30` in a date field).
      const day =
        typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(raw) ? Date.parse(`${raw}T00:00:00Z`) : NaN;
      if (Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== raw)
        return invalid(jsonPath, api, { expected_data_type: 'date' });
      return { value: raw };
    }
    case 'ownerlookup': {
      const id = lookupId(raw);
      const user = id ? state.org.usersById.get(id) : undefined;
      if (user?.json.status !== 'active') return invalid(jsonPath, api);
      return { value: state.org.userRef(user) };
    }
    case 'lookup': {
      const id = lookupId(raw);
      if (!id) return invalid(jsonPath, api, { expected_data_type: 'jsonobject' });
      if (field.lookup === '$se_module') return { value: { id, name: '' } }; // resolved by the Calls rules
      const target = field.lookup ? state.store.find(field.lookup as EmulatorModule, id) : undefined;
      if (!target) return invalid(jsonPath, api, { id });
      return { value: state.store.recordRef(target) };
    }
    default:
      return { value: raw };
  }
}

// --- Calls rules (docs/zoho-facts.md §4.2, §10) ---

function callRules(
  state: EmulatorStateImpl,
  input: Record<string, unknown>,
  values: Record<string, unknown>,
  index: number,
  existing: StoredRecord | undefined,
): RecordError | undefined {
  const path = (name: string) => `$.data[${index}].${name}`;
  const merged = { ...(existing?.data ?? {}), ...values };
  const type = merged.Call_Type;
  if (existing && 'Call_Type' in values && values.Call_Type !== existing.data.Call_Type) {
    return invalid(path('Call_Type'), 'Call_Type', { reason: 'Call_Type cannot be changed' });
  }
  const scheduled = merged.Outgoing_Call_Status === 'Scheduled';
  const completed = !scheduled;
  if (existing && 'Owner' in values && completed && existing.data.Outgoing_Call_Status !== 'Scheduled') {
    const before = (existing.data.Owner as { id?: string } | undefined)?.id;
    const after = (values.Owner as { id?: string } | null)?.id;
    if (before !== after)
      return invalid(path('Owner'), 'Owner', { reason: 'the owner of a completed call cannot be changed' });
  }

  // Start time: future for scheduled calls; not in the future for completed ones.
  const startText = merged.Call_Start_Time;
  const start = typeof startText === 'string' ? Date.parse(startText) : Number.NaN;
  if (!Number.isNaN(start) && ('Call_Start_Time' in values || !existing)) {
    const now = state.now();
    if (scheduled && start <= now)
      return invalid(path('Call_Start_Time'), 'Call_Start_Time', {
        reason: 'a scheduled call must start in the future',
      });
    if (completed && start > now + FUTURE_TOLERANCE_MS) {
      return invalid(path('Call_Start_Time'), 'Call_Start_Time', {
        reason: 'a completed call cannot start in the future',
      });
    }
  }

  // Duration: mm:ss (or HH:mm, `durationReading`) text, h:mm:ss past an hour; mandatory for completed calls; non-zero for Inbound/Outbound.
  const needsDuration = completed && (type !== 'Missed' || state.options.missedCallNeedsDuration);
  const duration = merged.Call_Duration;
  if (isBlank(duration)) {
    if (needsDuration) return mandatory('Call_Duration', index);
  } else {
    const reading = state.options.durationReading;
    const seconds = callDurationSeconds(duration, reading);
    if (seconds === undefined) {
      return invalid(path('Call_Duration'), 'Call_Duration', { expected_data_type: reading });
    }
    if (seconds === 0 && completed && (type === 'Inbound' || type === 'Outbound')) {
      return {
        code: 'DEPENDENT_MISMATCH',
        message: MESSAGES.DEPENDENT_MISMATCH_DURATION,
        details: { api_name: 'Call_Duration', json_path: path('Call_Duration') },
      };
    }
    if ('Call_Duration' in values || !existing) values.Call_Duration_in_seconds = seconds;
  }

  const linkError = linkRules(state, input, values, index, existing);
  if (linkError) return linkError;
  if (scheduled && !existing && isBlank(merged.Who_Id) && isBlank(input.What_Id)) {
    return mandatory('Who_Id', index);
  }
  return undefined;
}

/** Who_Id and What_Id, as Calls and Tasks check them (docs/zoho-facts.md §10 Q10). */
function linkRules(
  state: EmulatorStateImpl,
  input: Record<string, unknown>,
  values: Record<string, unknown>,
  index: number,
  existing: StoredRecord | undefined,
): RecordError | undefined {
  const path = (name: string) => `$.data[${index}].${name}`;
  // Who_Id: a Contact only.
  if (values.Who_Id !== undefined && values.Who_Id !== null) {
    const id = (values.Who_Id as { id: string }).id;
    if (!state.store.find('Contacts', id)) return invalid(path('Who_Id'), 'Who_Id', { id });
  }

  // What_Id: needs $se_module naming a module other than Contacts, and the record must exist there.
  if (input.What_Id !== undefined && input.What_Id !== null) {
    const se = input.$se_module;
    if (isBlank(se)) return mandatory('$se_module', index);
    const target = typeof se === 'string' ? findSeModule(state, se) : undefined;
    if (!target) return invalid(path('$se_module'), '$se_module');
    const id = (values.What_Id as { id: string }).id;
    const rec = state.store.find(target, id);
    if (!rec) return invalid(path('What_Id'), 'What_Id', { id });
    values.What_Id = state.store.recordRef(rec);
    values.$se_module = target;
  } else if (typeof input.$se_module === 'string' && !existing) {
    values.$se_module = input.$se_module;
  }
  return undefined;
}

/** Clock skew tolerated before a completed call's start time counts as "in the future". */
const FUTURE_TOLERANCE_MS = 5 * 60_000;

function findSeModule(state: EmulatorStateImpl, name: string): EmulatorModule | undefined {
  const allowed: EmulatorModule[] = ['Accounts', 'Leads'];
  return allowed.find((m) => m.toLowerCase() === name.toLowerCase() && state.org.moduleDef(m));
}

// --- Notes rules (docs/zoho-facts.md §5) ---

function noteRules(
  state: EmulatorStateImpl,
  input: Record<string, unknown>,
  values: Record<string, unknown>,
  index: number,
  existing: StoredRecord | undefined,
  parent: StoredRecord | undefined,
): RecordError | undefined {
  const path = `$.data[${index}].Parent_Id`;
  const raw = input.Parent_Id;
  if (raw === undefined || raw === null) {
    if (parent) {
      values.Parent_Id = parentRef(state, parent);
      return undefined;
    }
    if (existing) return undefined;
    return mandatory('Parent_Id', index);
  }
  // v8 shape: { module: { api_name | id }, id }. The v2-v4 plain id (+ se_module) is refused.
  if (!isObject(raw)) return invalid(path, 'Parent_Id', { expected_data_type: 'jsonobject' });
  const module = raw.module;
  const id = lookupId(raw);
  if (!isObject(module) || !id) return invalid(path, 'Parent_Id', { expected_data_type: 'jsonobject' });
  let moduleName: EmulatorModule | undefined;
  for (const m of state.org.modules.values()) {
    if (
      (typeof module.api_name === 'string' && m.apiName.toLowerCase() === module.api_name.toLowerCase()) ||
      (typeof module.id === 'string' && m.id === module.id)
    ) {
      moduleName = m.apiName;
    }
  }
  if (!moduleName || moduleName === 'Notes')
    return invalid(`${path}.module`, 'Parent_Id', { reason: 'invalid module' });
  const rec = state.store.find(moduleName, id);
  if (!rec || (parent && parent.id !== rec.id)) {
    return {
      code: 'INVALID_DATA',
      message: MESSAGES.RELATED_ID_INVALID,
      details: { api_name: 'Parent_Id', json_path: path, id },
    };
  }
  values.Parent_Id = parentRef(state, rec);
  return undefined;
}

function parentRef(state: EmulatorStateImpl, rec: StoredRecord): Record<string, unknown> {
  const def = state.org.moduleDef(rec.module);
  return { module: { api_name: def.apiName, id: def.id }, id: rec.id, name: state.store.recordRef(rec).name };
}

// --- Duplicates ---

function findDuplicate(
  state: EmulatorStateImpl,
  def: ModuleDef,
  values: Record<string, unknown>,
  excludeId: string | undefined,
  batch: Record<string, unknown>[],
  index: number,
): RecordError | undefined {
  for (const field of def.fields) {
    if (!field.unique) continue;
    const key = normalizeKey(values[field.apiName]);
    if (key === undefined) continue;
    const existing = state.store.findByKey(def.apiName, field.apiName, key).find((r) => r.id !== excludeId);
    const inBatch = batch.some((b) => normalizeKey(b[field.apiName]) === key);
    if (existing || inBatch) {
      const details: Record<string, unknown> = {
        api_name: field.apiName,
        json_path: `$.data[${index}].${field.apiName}`,
      };
      if (existing) {
        details.duplicate_record = {
          Owner: existing.data.Owner,
          module: { api_name: def.apiName, id: def.id },
          id: existing.id,
        };
      }
      return { code: 'DUPLICATE_DATA', message: MESSAGES.DUPLICATE_DATA, details };
    }
  }
  return undefined;
}

// --- Responses ---

type Entry = Record<string, unknown> & { status: 'success' | 'error' };

function successEntry(rec: StoredRecord, message: string): Entry {
  const d = rec.data;
  const minified = (u: unknown) => {
    const ref = u as { name?: string; id?: string } | undefined;
    return { name: ref?.name ?? '', id: ref?.id ?? '' };
  };
  return {
    code: 'SUCCESS',
    details: {
      Modified_Time: d.Modified_Time,
      Modified_By: minified(d.Modified_By),
      Created_Time: d.Created_Time,
      id: rec.id,
      Created_By: minified(d.Created_By),
      $approval_state: 'approved',
    },
    message,
    status: 'success',
  };
}

function errorEntry(error: RecordError): Entry {
  return { code: error.code, details: error.details, message: error.message, status: 'error' };
}

/** 201/200 when every record succeeded, 207 when some did, 400 when none did. */
function writeResponse(entries: Entry[], allOk: number): Response {
  const ok = entries.filter((e) => e.status === 'success').length;
  const status = ok === entries.length ? allOk : ok === 0 ? 400 : 207;
  const res = json(status, { data: entries });
  if (ok === 0) {
    const first = entries[0]?.code;
    if (typeof first === 'string') res.headers.set('x-emulator-error', first);
  }
  return res;
}

// --- Small helpers ---

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBlank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function fail(error: RecordError): Validated {
  return { ok: false, error };
}

function mandatory(apiName: string, index: number): RecordError {
  return {
    code: 'MANDATORY_NOT_FOUND',
    message: MESSAGES.MANDATORY_NOT_FOUND,
    details: { api_name: apiName, json_path: `$.data[${index}].${apiName}` },
  };
}

function invalid(
  jsonPath: string,
  apiName: string | undefined,
  extra: Record<string, unknown> = {},
): RecordError {
  return {
    code: 'INVALID_DATA',
    message: MESSAGES.INVALID_DATA,
    details: { ...(apiName !== undefined ? { api_name: apiName } : {}), json_path: jsonPath, ...extra },
  };
}
