/**
 * Pure helpers over stored records: the search snapshot of a record (phone digits, e-mails, words), the
 * duplicate-check keys, computed fields and lookup ids.
 * @internal
 * @module
 */
import type { FieldDef, ModuleDef } from './modules.js';
import { type IndexedPhone, indexPhone } from './phone-match.js';

/** What search sees of a record (a snapshot, so that an index delay can show the previous version). */
export interface SearchView {
  readonly data: Readonly<Record<string, unknown>>;
  readonly phones: readonly IndexedPhone[];
  readonly emails: readonly string[];
  readonly text: string;
}

/** The fields the key index covers: unique fields and the module's system duplicate-check fields. */
export function keyFields(def: ModuleDef): string[] {
  const out = new Set(def.systemDuplicateFields);
  for (const f of def.fields) if (f.unique) out.add(f.apiName);
  return [...out];
}

/** The comparable form of a duplicate-check value (case-insensitive, trimmed; lookups by id). */
export function normalizeKey(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim().toLowerCase();
  if (typeof value === 'number') return String(value);
  if (value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string') {
    return (value as { id: string }).id;
  }
  return undefined;
}

/** Fills computed fields (Full_Name). */
export function finishRecord(def: ModuleDef, data: Record<string, unknown>): void {
  if (def.byName.has('Full_Name')) {
    const first = typeof data.First_Name === 'string' ? data.First_Name : '';
    const last = typeof data.Last_Name === 'string' ? data.Last_Name : '';
    data.Full_Name = `${first} ${last}`.trim();
  }
}

/** The search snapshot of a record: phone digits and e-mails prepared once. */
export function buildSearchView(def: ModuleDef, data: Record<string, unknown>): SearchView {
  const phones: IndexedPhone[] = [];
  const emails: string[] = [];
  const text: string[] = [];
  for (const field of def.fields) {
    const value = data[field.apiName];
    if (typeof value !== 'string' || value.length === 0) continue;
    if (field.dataType === 'phone') phones.push(indexPhone(field.apiName, value));
    else if (field.dataType === 'email') emails.push(value.trim().toLowerCase());
    if (isWordSearchable(field)) text.push(value.toLowerCase());
  }
  const lookupNames = ['Account_Name', 'Who_Id', 'What_Id']
    .map((k) => data[k])
    .filter(
      (v): v is { name: string } =>
        !!v && typeof v === 'object' && typeof (v as { name?: unknown }).name === 'string',
    );
  for (const l of lookupNames) text.push(l.name.toLowerCase());
  return { data: { ...data }, phones, emails, text: text.join('\n') };
}

function isWordSearchable(field: FieldDef): boolean {
  return (
    field.dataType === 'text' ||
    field.dataType === 'textarea' ||
    field.dataType === 'email' ||
    field.dataType === 'phone' ||
    field.dataType === 'website' ||
    field.dataType === 'picklist'
  );
}

/** The id of a lookup value: `{ id }`, or a plain id string. */
export function lookupId(value: unknown): string | undefined {
  if (typeof value === 'string' && /^\d{1,19}$/.test(value)) return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const id = (value as { id?: unknown }).id;
    if (typeof id === 'string' && /^\d{1,19}$/.test(id)) return id;
    if (typeof id === 'number' && Number.isSafeInteger(id)) return String(id);
  }
  return undefined;
}
