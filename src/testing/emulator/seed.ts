/**
 * `seed()`: stores records as if they had always been in the CRM, with no validation beyond shape. Owners
 * and lookups are resolved to `{ name, id }`, datetimes take the org's offset, absent fields are dropped
 * and a call's `Call_Duration_in_seconds` is computed as for a write.
 * @internal
 * @module
 */
import { callDurationSeconds } from './duration.js';
import type { IdGenerator } from './ids.js';
import type { ModuleDef } from './modules.js';
import type { ResolvedEmulatorOptions } from './options.js';
import type { Org } from './org.js';
import type { RecordStore } from './record-store.js';
import { lookupId } from './record-view.js';
import { formatZohoDateTime } from './time.js';
import type { EmulatorModule, SeedOptions } from './types.js';

/** What seeding reads and writes. */
export interface SeedContext {
  readonly org: Org;
  readonly store: RecordStore;
  readonly options: ResolvedEmulatorOptions;
  readonly ids: IdGenerator;
  readonly now: () => number;
}

/** Stores the records; returns their ids in order. Custom fields of `options.fields` must already exist. */
export function seedRecords(
  ctx: SeedContext,
  module: EmulatorModule,
  records: readonly Record<string, unknown>[],
  options: SeedOptions,
): string[] {
  const { org, store } = ctx;
  const def = org.moduleDef(module);
  const owner = org.firstUser();
  const ids: string[] = [];
  for (const [i, input] of records.entries()) {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new TypeError(`seed('${module}', records): records[${i}] is not an object`);
    }
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(input)) {
      if (key === 'id' || key === 'Created_Time' || key === 'Modified_Time') continue;
      if (def.absentFields.has(key) && !def.byName.has(key)) continue;
      values[key] = seedValue(ctx, def, key, value);
    }
    if (values.Owner === undefined) values.Owner = org.userRef(owner);
    if (def.apiName === 'Calls' && values.Call_Duration_in_seconds === undefined) {
      const seconds = callDurationSeconds(values.Call_Duration, ctx.options.durationReading);
      if (seconds !== undefined) values.Call_Duration_in_seconds = seconds;
    }
    const id = typeof input.id === 'string' && /^\d{1,19}$/.test(input.id) ? input.id : ctx.ids.id();
    if (store.find(def.apiName, id)) throw new TypeError(`seed('${module}'): duplicate id ${id}`);
    const createdAt = timeInput(input.Created_Time) ?? ctx.now();
    const modifiedAt = timeInput(input.Modified_Time) ?? createdAt;
    const rec = store.insert(def, id, values, owner, createdAt, modifiedAt);
    if (options.indexed !== false) store.indexNow(rec);
    ids.push(id);
  }
  return ids;
}

function seedValue(ctx: SeedContext, def: ModuleDef, key: string, value: unknown): unknown {
  const { org, store } = ctx;
  const field = def.byName.get(key);
  if (!field || value === null || value === undefined) return value;
  if (field.dataType === 'ownerlookup') {
    const id = lookupId(value);
    const user = id ? org.usersById.get(id) : undefined;
    if (!user) throw new TypeError(`seed('${def.apiName}'): ${key} names no user of the org`);
    return org.userRef(user);
  }
  if (field.dataType === 'lookup') {
    const id = lookupId(value);
    if (id) {
      const target = store.findAny(id);
      return target ? store.recordRef(target) : { name: '', id };
    }
    if (typeof value === 'string' && field.lookup === 'Accounts') {
      const account = store.list('Accounts').find((a) => a.data.Account_Name === value);
      return account ? store.recordRef(account) : { name: value, id: null };
    }
    return value;
  }
  if (field.dataType === 'datetime' && typeof value === 'string') {
    const ms = Date.parse(value);
    return Number.isNaN(ms) ? value : formatZohoDateTime(ms, ctx.options.timeZone);
  }
  return value;
}

function timeInput(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
