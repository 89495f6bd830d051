/**
 * The CRM records and their indexes: records per module in insertion order, the duplicate-check key
 * index, and what search sees (a snapshot per record, a phone-digit index over it, and the pending entries
 * of the search-index delay, docs/zoho-facts.md §2.2).
 * @internal
 * @module
 */
import { MODULE_NAMES, type ModuleDef } from './modules.js';
import type { ResolvedEmulatorOptions } from './options.js';
import type { Org, UserRec } from './org.js';
import { PhoneIndex } from './phone-index.js';
import { createPhoneMatcher, type PhoneMatcher } from './phone-match.js';
import { buildSearchView, finishRecord, keyFields, normalizeKey, type SearchView } from './record-view.js';
import { formatZohoDateTime } from './time.js';
import type { EmulatorModule } from './types.js';

/** A CRM record. */
export interface StoredRecord {
  readonly id: string;
  /** Insertion order (search results come out in it). */
  readonly seq: number;
  readonly module: EmulatorModule;
  data: Record<string, unknown>;
  readonly createdAt: number;
  modifiedAt: number;
  view: SearchView | undefined;
  pending: { at: number; view: SearchView } | undefined;
}

/** Records of every module, with their indexes. */
export class RecordStore {
  /** How `search?phone=` compares a query with a stored phone. */
  readonly phoneMatcher: PhoneMatcher;
  /** Whether the phone matching mode compares digits only (then the phone index can answer). */
  readonly phoneMatchByDigits: boolean;

  private readonly byId = new Map<EmulatorModule, Map<string, StoredRecord>>();
  /** Records per module in insertion order (search scans this). */
  private readonly lists = new Map<EmulatorModule, StoredRecord[]>();
  /** Phone-digit indexes per module (over what search sees). */
  private readonly phoneIndexes = new Map<EmulatorModule, PhoneIndex<StoredRecord>>();
  /** Values of duplicate-check fields (unique and system duplicate fields) per module → records. */
  private readonly keyIndexes = new Map<EmulatorModule, Map<string, Map<string, StoredRecord[]>>>();
  /** Records with a pending (delayed) search-index entry, per module. */
  private readonly pendingIndex = new Map<EmulatorModule, Set<StoredRecord>>();
  private seq = 0;

  constructor(
    private readonly org: Org,
    private readonly options: ResolvedEmulatorOptions,
    private readonly now: () => number,
    /** Told of every insert, update and delete (the Notifications API). */
    private readonly onChange?: (
      module: EmulatorModule,
      change: 'insert' | 'update' | 'delete',
      id: string,
    ) => void,
  ) {
    this.phoneMatcher = createPhoneMatcher(options.phoneMatch);
    this.phoneMatchByDigits =
      typeof options.phoneMatch === 'string' && options.phoneMatch.startsWith('digits-');
    for (const m of MODULE_NAMES) {
      this.byId.set(m, new Map());
      this.lists.set(m, []);
      this.phoneIndexes.set(m, new PhoneIndex<StoredRecord>());
      this.pendingIndex.set(m, new Set());
      this.keyIndexes.set(m, new Map());
    }
  }

  /** Records of a module in insertion order (the live list: do not change it). */
  list(module: EmulatorModule): readonly StoredRecord[] {
    return this.lists.get(module) ?? [];
  }

  /** A record by module and id. */
  find(module: EmulatorModule, id: string): StoredRecord | undefined {
    return this.byId.get(module)?.get(id);
  }

  /** A record by id in any module. */
  findAny(id: string): StoredRecord | undefined {
    for (const m of this.byId.values()) {
      const r = m.get(id);
      if (r) return r;
    }
    return undefined;
  }

  /** Records of a module whose duplicate-check field has this (normalised) value. */
  findByKey(module: EmulatorModule, field: string, key: string): readonly StoredRecord[] {
    return this.keyIndexes.get(module)?.get(field)?.get(key) ?? [];
  }

  /** Stores a new record (values already validated and normalised). */
  insert(
    def: ModuleDef,
    id: string,
    values: Record<string, unknown>,
    by: UserRec,
    createdAt = this.now(),
    modifiedAt = createdAt,
  ): StoredRecord {
    const ref = this.org.userRef(by);
    const data: Record<string, unknown> = { id, ...values };
    data.Created_Time = formatZohoDateTime(createdAt, this.options.timeZone);
    data.Modified_Time = formatZohoDateTime(modifiedAt, this.options.timeZone);
    data.Created_By = ref;
    data.Modified_By = ref;
    finishRecord(def, data);
    const rec: StoredRecord = {
      id,
      seq: this.seq++,
      module: def.apiName,
      data,
      createdAt,
      modifiedAt,
      view: undefined,
      pending: undefined,
    };
    this.scheduleIndex(def, rec);
    this.indexKeys(def, rec, true);
    this.byId.get(def.apiName)?.set(id, rec);
    this.lists.get(def.apiName)?.push(rec);
    this.onChange?.(def.apiName, 'insert', id);
    return rec;
  }

  /** Applies an update (values already validated and normalised). */
  update(def: ModuleDef, rec: StoredRecord, values: Record<string, unknown>, by: UserRec): void {
    const now = this.now();
    const oldName = rec.data[def.nameField];
    this.indexKeys(def, rec, false);
    Object.assign(rec.data, values);
    rec.modifiedAt = now;
    rec.data.Modified_Time = formatZohoDateTime(now, this.options.timeZone);
    rec.data.Modified_By = this.org.userRef(by);
    finishRecord(def, rec.data);
    this.indexKeys(def, rec, true);
    this.scheduleIndex(def, rec);
    if (rec.data[def.nameField] !== oldName) this.refreshNamesPointingAt(rec);
    this.onChange?.(def.apiName, 'update', rec.id);
  }

  /** Deletes a record. */
  remove(rec: StoredRecord): void {
    this.setView(rec, undefined);
    this.indexKeys(this.org.moduleDef(rec.module), rec, false);
    this.byId.get(rec.module)?.delete(rec.id);
    const list = this.lists.get(rec.module);
    if (list) {
      const i = list.indexOf(rec);
      if (i >= 0) list.splice(i, 1);
    }
    this.onChange?.(rec.module, 'delete', rec.id);
  }

  /** Makes a record searchable at once, skipping the index delay (seeded records). */
  indexNow(rec: StoredRecord): void {
    if (rec.pending) this.setView(rec, rec.pending.view);
  }

  /** Re-indexes a module after a field was added: phone and e-mail fields are searched, unique ones keyed. */
  fieldAdded(module: EmulatorModule, field: { dataType: string; unique?: boolean }): void {
    const def = this.org.moduleDef(module);
    if (field.dataType === 'phone' || field.dataType === 'email') this.reindexViews(def);
    if (field.unique) {
      this.keyIndexes.set(def.apiName, new Map());
      for (const rec of this.list(def.apiName)) this.indexKeys(def, rec, true);
    }
  }

  /** What search sees of a record now (promoting a pending index entry whose delay has passed). */
  searchView(rec: StoredRecord, now: number): SearchView | undefined {
    if (rec.pending && now >= rec.pending.at) this.setView(rec, rec.pending.view);
    return rec.view;
  }

  /**
   * Candidates for a digit-based phone search, in insertion order, or undefined when the index cannot
   * answer (short query): the caller then scans. Due pending index entries are promoted first.
   */
  phoneCandidates(module: EmulatorModule, queryDigits: string, now: number): StoredRecord[] | undefined {
    const pending = this.pendingIndex.get(module);
    if (pending && pending.size > 0) for (const rec of [...pending]) this.searchView(rec, now);
    return this.phoneIndexes
      .get(module)
      ?.candidates(queryDigits, this.options.phoneMatch !== 'digits-suffix');
  }

  /** `{ name, id }` of a record, as lookups show it. */
  recordRef(rec: StoredRecord): { name: string; id: string } {
    const def = this.org.moduleDef(rec.module);
    const name = rec.data[def.nameField];
    return { name: typeof name === 'string' ? name : '', id: rec.id };
  }

  // --- Internal helpers ---

  /** Adds or removes a record's duplicate-check values to or from the key index. */
  private indexKeys(def: ModuleDef, rec: StoredRecord, add: boolean): void {
    const byField = this.keyIndexes.get(def.apiName);
    if (!byField) return;
    for (const field of keyFields(def)) {
      const key = normalizeKey(rec.data[field]);
      if (key === undefined) continue;
      let byKey = byField.get(field);
      if (!byKey) {
        byKey = new Map();
        byField.set(field, byKey);
      }
      const list = byKey.get(key) ?? [];
      if (add) {
        if (!list.includes(rec)) list.push(rec);
        byKey.set(key, list);
      } else {
        const i = list.indexOf(rec);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) byKey.delete(key);
      }
    }
  }

  /** Makes `view` what search sees of a record (undefined: nothing), keeping the phone index current. */
  private setView(rec: StoredRecord, view: SearchView | undefined): void {
    const index = this.phoneIndexes.get(rec.module);
    if (rec.view)
      index?.remove(
        rec,
        rec.view.phones.map((p) => p.digits),
      );
    rec.view = view;
    if (view)
      index?.add(
        rec,
        view.phones.map((p) => p.digits),
      );
    rec.pending = undefined;
    this.pendingIndex.get(rec.module)?.delete(rec);
  }

  private scheduleIndex(def: ModuleDef, rec: StoredRecord): void {
    const view = buildSearchView(def, rec.data);
    const delay = this.options.searchIndexDelayMs;
    if (delay <= 0) {
      this.setView(rec, view);
    } else {
      rec.pending = { at: this.now() + delay, view };
      this.pendingIndex.get(rec.module)?.add(rec);
    }
  }

  /** Rebuilds the search snapshots of a module (current and pending) after its fields changed. */
  private reindexViews(def: ModuleDef): void {
    for (const rec of this.list(def.apiName)) {
      const pending = rec.pending;
      if (rec.view) this.setView(rec, buildSearchView(def, rec.view.data));
      if (pending) {
        rec.pending = { at: pending.at, view: buildSearchView(def, pending.view.data) };
        this.pendingIndex.get(rec.module)?.add(rec);
      }
    }
  }

  /** Keeps `{ name, id }` lookups current when a record's name changes. */
  private refreshNamesPointingAt(target: StoredRecord): void {
    const ref = this.recordRef(target);
    for (const list of this.lists.values()) {
      for (const rec of list) {
        for (const value of Object.values(rec.data)) {
          if (value && typeof value === 'object' && (value as { id?: unknown }).id === target.id) {
            (value as { name?: unknown }).name = ref.name;
          }
        }
      }
    }
  }
}
