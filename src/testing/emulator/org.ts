/**
 * The emulated organisation's directory: its modules with their fields (standard, absent, custom) and its
 * users. Rebuilt from the options on `reset()`.
 * @internal
 * @module
 */
import type { IdGenerator } from './ids.js';
import {
  addCustomField,
  createModules,
  type FieldDef,
  findModule,
  MODULE_NAMES,
  type ModuleDef,
} from './modules.js';
import type { ResolvedEmulatorOptions } from './options.js';
import type { EmulatorFieldInit, EmulatorModule, EmulatorUser, EmulatorUserInit } from './types.js';

/** A user of the org. */
export interface UserRec {
  readonly json: EmulatorUser;
}

/** `{ name, id, email }`, as Owner fields show a user. */
export interface UserRef {
  name: string;
  id: string;
  email: string;
}

/** Modules and users of the org. */
export class Org {
  readonly modules: Map<EmulatorModule, ModuleDef>;
  readonly usersById = new Map<string, UserRec>();

  /**
   * @param ids - Record and user ids.
   * @param metaIds - Metadata ids (modules, fields, roles, profiles).
   */
  constructor(
    private readonly options: ResolvedEmulatorOptions,
    private readonly ids: IdGenerator,
    private readonly metaIds: IdGenerator,
  ) {
    this.modules = createModules(() => metaIds.id(), options.absentFields);
    for (const module of MODULE_NAMES) {
      for (const f of options.fields[module] ?? []) this.addField(module, f);
      for (const name of options.uniqueFields[module] ?? [])
        this.addField(module, { apiName: name, dataType: 'text', unique: true });
    }
    for (const u of options.users) this.addUser(u);
  }

  /** The module definition by name (case-insensitive); a TypeError for an unknown module. */
  moduleDef(module: EmulatorModule | string): ModuleDef {
    const def = findModule(this.modules, module);
    if (!def)
      throw new TypeError(
        `unknown module ${JSON.stringify(module)}; expected one of ${MODULE_NAMES.join(', ')}`,
      );
    return def;
  }

  /** Adds a custom field (or marks an existing one unique). */
  addField(module: EmulatorModule, field: EmulatorFieldInit): FieldDef {
    return addCustomField(this.moduleDef(module), field, this.metaIds.id());
  }

  /** Adds a user; the first one is the admin (CEO, Administrator). */
  addUser(init: EmulatorUserInit): UserRec {
    if (!init || typeof init.email !== 'string' || !init.email.includes('@'))
      throw new TypeError('users: every user needs an e-mail address');
    if (typeof init.lastName !== 'string' || init.lastName.length === 0)
      throw new TypeError('users: every user needs a lastName');
    const first = this.usersById.size === 0;
    const id = init.id ?? this.ids.id();
    if (!/^\d{1,19}$/.test(id)) throw new TypeError('users: a user id must be a numeric string');
    if (this.usersById.has(id)) throw new TypeError(`users: duplicate user id ${id}`);
    const firstName = init.firstName ?? '';
    const json: EmulatorUser = {
      id,
      zuid: String(60_000_000 + this.usersById.size + 1),
      email: init.email,
      first_name: firstName,
      last_name: init.lastName,
      full_name: `${firstName} ${init.lastName}`.trim(),
      status: init.status ?? 'active',
      role: { name: init.role ?? (first ? 'CEO' : 'Manager'), id: this.metaIds.id() },
      profile: { name: init.profile ?? (first ? 'Administrator' : 'Standard'), id: this.metaIds.id() },
      time_zone: this.options.timeZone,
      phone: init.phone ?? null,
      mobile: init.mobile ?? null,
      Extension: init.extension ?? null,
      confirm: true,
    };
    const rec: UserRec = { json };
    this.usersById.set(id, rec);
    return rec;
  }

  /** The first user (the admin who grants consent by default). */
  firstUser(): UserRec {
    const first = this.usersById.values().next().value;
    if (!first) throw new Error('the emulated org has no users');
    return first;
  }

  /** `{ name, id, email }` of a user, as Owner fields show it. */
  userRef(user: UserRec): UserRef {
    return { name: user.json.full_name, id: user.json.id, email: user.json.email };
  }
}
