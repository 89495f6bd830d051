/**
 * The CRM modules the emulator serves, with their standard fields (docs/zoho-facts.md §3, §4.1, §5 and the
 * v8 SDK's field constants) and any custom fields added at run time.
 * @internal
 * @module
 */
import type { EmulatorFieldInit, EmulatorModule, FieldDataType } from './types.js';

/** A field of a module, as the emulator validates and reports it. */
export interface FieldDef {
  readonly apiName: string;
  readonly label: string;
  readonly dataType: FieldDataType;
  readonly length?: number;
  /** System- or layout-mandatory on insert. */
  readonly mandatory: boolean;
  readonly readOnly: boolean;
  readonly custom: boolean;
  unique: boolean;
  /** Target of a lookup: a module, or `'Users'` for owner lookups, or `'$se_module'` for What_Id. */
  readonly lookup?: EmulatorModule | 'Users' | '$se_module';
  /** Replaced (never mutated: the standard lists are shared) when a write adds an unseen value. */
  picklist?: readonly string[];
  /** Values outside the picklist are refused (else Zoho adds them, docs/zoho-facts.md §4.2). */
  readonly strictPicklist?: boolean;
  readonly id: string;
}

/** A module and its fields. */
export interface ModuleDef {
  readonly apiName: EmulatorModule;
  readonly id: string;
  readonly singular: string;
  readonly fields: FieldDef[];
  readonly byName: Map<string, FieldDef>;
  /** Fields Zoho's upsert checks for duplicates by default (system-defined). */
  readonly systemDuplicateFields: readonly string[];
  /** The field that names a record in lookups (`{ name, id }`). */
  readonly nameField: string;
  /** Standard fields this org's layout lacks (the `absentFields` option): never stored, searched or listed. */
  readonly absentFields: ReadonlySet<string>;
}

/** Every module name, in a stable order. */
// Tasks, then Deals, last: ids are drawn in this order, so adding them kept the other modules' field ids.
export const MODULE_NAMES: readonly EmulatorModule[] = [
  'Contacts',
  'Leads',
  'Accounts',
  'Calls',
  'Notes',
  'Tasks',
  'Deals',
];

/** Default lengths per data type (Zoho's standard field sizes). */
const DEFAULT_LENGTH: Partial<Record<FieldDataType, number>> = {
  text: 255,
  textarea: 32_000,
  phone: 30,
  email: 100,
  website: 255,
  picklist: 120,
};

type FieldSpec = [
  apiName: string,
  dataType: FieldDataType,
  extra?: Partial<Omit<FieldDef, 'apiName' | 'dataType' | 'id'>>,
];

const OWNER: FieldSpec = ['Owner', 'ownerlookup', { lookup: 'Users', label: 'Owner' }];
const SYSTEM: FieldSpec[] = [
  ['Created_Time', 'datetime', { readOnly: true }],
  ['Modified_Time', 'datetime', { readOnly: true }],
  ['Created_By', 'ownerlookup', { readOnly: true, lookup: 'Users' }],
  ['Modified_By', 'ownerlookup', { readOnly: true, lookup: 'Users' }],
];

const SPECS: Record<
  EmulatorModule,
  { singular: string; nameField: string; dup: string[]; fields: FieldSpec[] }
> = {
  Contacts: {
    singular: 'Contact',
    nameField: 'Full_Name',
    dup: ['Email'],
    fields: [
      OWNER,
      ['First_Name', 'text', { length: 40 }],
      ['Last_Name', 'text', { mandatory: true, length: 80 }],
      ['Full_Name', 'text', { readOnly: true }],
      ['Email', 'email'],
      ['Secondary_Email', 'email'],
      ['Phone', 'phone'],
      ['Mobile', 'phone'],
      ['Home_Phone', 'phone'],
      ['Other_Phone', 'phone'],
      ['Asst_Phone', 'phone', { label: 'Asst Phone' }],
      ['Fax', 'text', { length: 30 }],
      ['Account_Name', 'lookup', { lookup: 'Accounts' }],
      ['Title', 'text', { length: 100 }],
      ['Department', 'text', { length: 100 }],
      [
        'Lead_Source',
        'picklist',
        { picklist: ['-None-', 'Advertisement', 'Cold Call', 'Web Download', 'Partner'] },
      ],
      ['Mailing_City', 'text', { length: 100 }],
      ['Mailing_Country', 'text', { length: 100 }],
      ['Description', 'textarea'],
      ...SYSTEM,
    ],
  },
  Leads: {
    singular: 'Lead',
    nameField: 'Full_Name',
    dup: ['Email'],
    fields: [
      OWNER,
      ['First_Name', 'text', { length: 40 }],
      ['Last_Name', 'text', { mandatory: true, length: 80 }],
      ['Full_Name', 'text', { readOnly: true }],
      ['Company', 'text', { length: 200 }],
      ['Designation', 'text', { length: 100, label: 'Title' }],
      ['Email', 'email'],
      ['Secondary_Email', 'email'],
      ['Phone', 'phone'],
      ['Mobile', 'phone'],
      ['Fax', 'text', { length: 30 }],
      ['Website', 'website'],
      ['Lead_Status', 'picklist', { picklist: ['-None-', 'Not Contacted', 'Contacted', 'Qualified'] }],
      [
        'Lead_Source',
        'picklist',
        { picklist: ['-None-', 'Advertisement', 'Cold Call', 'Web Download', 'Partner'] },
      ],
      ['Industry', 'picklist', { picklist: ['-None-', 'Telecom', 'Software', 'Retail'] }],
      ['Description', 'textarea'],
      ...SYSTEM,
    ],
  },
  Accounts: {
    singular: 'Account',
    nameField: 'Account_Name',
    dup: ['Account_Name'],
    fields: [
      OWNER,
      ['Account_Name', 'text', { mandatory: true, length: 200 }],
      ['Account_Number', 'text', { length: 40 }],
      ['Phone', 'phone'],
      ['Fax', 'text', { length: 30 }],
      ['Website', 'website'],
      ['Account_Type', 'picklist', { picklist: ['-None-', 'Customer', 'Partner', 'Prospect', 'Vendor'] }],
      ['Industry', 'picklist', { picklist: ['-None-', 'Telecom', 'Software', 'Retail'] }],
      ['Billing_City', 'text', { length: 100 }],
      ['Billing_Country', 'text', { length: 100 }],
      ['Description', 'textarea'],
      ...SYSTEM,
    ],
  },
  Calls: {
    singular: 'Call',
    nameField: 'Subject',
    dup: [],
    fields: [
      OWNER,
      ['Subject', 'text', { mandatory: true, length: 255 }],
      [
        'Call_Type',
        'picklist',
        { mandatory: true, picklist: ['Inbound', 'Outbound', 'Missed'], strictPicklist: true },
      ],
      ['Call_Start_Time', 'datetime', { mandatory: true }],
      // Mandatory too, but per call type (Calls rules): mandatory here would reject scheduled calls.
      ['Call_Duration', 'text', { length: 10 }],
      ['Call_Duration_in_seconds', 'integer', { readOnly: true }],
      [
        'Call_Purpose',
        'picklist',
        { picklist: ['-None-', 'Prospecting', 'Administrative', 'Negotiation', 'Demo', 'Project', 'Desk'] },
      ],
      [
        'Call_Result',
        'picklist',
        {
          picklist: [
            '-None-',
            'Interested',
            'Not interested',
            'No response',
            'Busy',
            'Requested more info',
            'Requested call back',
            'Invalid number',
          ],
        },
      ],
      ['Call_Agenda', 'text'],
      ['Description', 'textarea'],
      ['Who_Id', 'lookup', { lookup: 'Contacts', label: 'Contact Name' }],
      ['What_Id', 'lookup', { lookup: '$se_module', label: 'Related To' }],
      ['Outgoing_Call_Status', 'picklist', { picklist: ['Scheduled', 'Completed', 'Overdue', 'Cancelled'] }],
      ['Reminder', 'picklist', { picklist: ['None', '5 mins', '10 mins', '15 mins', '30 mins'] }],
      ['Caller_ID', 'text', { length: 30 }],
      ['Dialled_Number', 'text', { length: 30 }],
      ['CTI_Entry', 'boolean'],
      ['Voice_Recording__s', 'website', { label: 'Voice Recording' }],
      ['Scheduled_In_CRM', 'picklist', { picklist: ['Yes', 'No'] }],
      ...SYSTEM,
    ],
  },
  Notes: {
    singular: 'Note',
    nameField: 'Note_Title',
    dup: [],
    fields: [
      OWNER,
      ['Note_Title', 'text', { length: 120 }],
      ['Note_Content', 'textarea', { mandatory: true }],
      ['Parent_Id', 'lookup', { label: 'Parent ID' }],
      ...SYSTEM,
    ],
  },
  // Zoho's standard Tasks fields (v8 Tasks module metadata); Due_Date is a date, not a date-time.
  Tasks: {
    singular: 'Task',
    nameField: 'Subject',
    dup: [],
    fields: [
      OWNER,
      ['Subject', 'text', { mandatory: true, length: 255 }],
      ['Due_Date', 'date'],
      [
        'Status',
        'picklist',
        { picklist: ['Not Started', 'Deferred', 'In Progress', 'Completed', 'Waiting for input'] },
      ],
      ['Priority', 'picklist', { picklist: ['High', 'Highest', 'Low', 'Lowest', 'Normal'] }],
      ['Who_Id', 'lookup', { lookup: 'Contacts', label: 'Contact Name' }],
      ['What_Id', 'lookup', { lookup: '$se_module', label: 'Related To' }],
      ['Send_Notification_Email', 'boolean'],
      ['Description', 'textarea'],
      ['Closed_Time', 'datetime', { readOnly: true }],
      ...SYSTEM,
    ],
  },
  // Only what the escape hatch's example needs (`zoho.request()` updating a Deal): no phone fields.
  Deals: {
    singular: 'Deal',
    nameField: 'Deal_Name',
    dup: [],
    fields: [
      OWNER,
      ['Deal_Name', 'text', { mandatory: true, length: 120 }],
      [
        'Stage',
        'picklist',
        {
          mandatory: true,
          picklist: ['Qualification', 'Needs Analysis', 'Proposal/Price Quote', 'Closed Won', 'Closed Lost'],
        },
      ],
      ['Amount', 'integer'],
      ['Account_Name', 'lookup', { lookup: 'Accounts' }],
      ['Contact_Name', 'lookup', { lookup: 'Contacts' }],
      ['Description', 'textarea'],
      ...SYSTEM,
    ],
  },
};

/** Standard fields no layout can hide, beyond the mandatory and read-only ones. */
const ALWAYS_PRESENT = new Set(['Owner', 'Call_Duration', 'Parent_Id']);

/**
 * Builds fresh module definitions (custom fields are per emulator), without the standard fields `absent`
 * names per module.
 * @throws TypeError when `absent` names an unknown module or a field that cannot be absent.
 */
export function createModules(
  nextId: () => string,
  absent: Partial<Record<EmulatorModule, readonly string[]>> = {},
): Map<EmulatorModule, ModuleDef> {
  for (const key of Object.keys(absent)) {
    if (!MODULE_NAMES.includes(key as EmulatorModule))
      throw new TypeError(`absentFields: unknown module ${JSON.stringify(key)}`);
  }
  const out = new Map<EmulatorModule, ModuleDef>();
  for (const name of MODULE_NAMES) {
    const spec = SPECS[name];
    // Ids are drawn for every standard field, so hiding one does not shift the others' ids.
    const all = spec.fields.map(([apiName, dataType, extra = {}]) =>
      makeField(apiName, dataType, extra, nextId(), false),
    );
    const hidden = new Set(absent[name] ?? []);
    for (const apiName of hidden) {
      const field = all.find((f) => f.apiName === apiName);
      if (!field)
        throw new TypeError(
          `absentFields.${name}: ${JSON.stringify(apiName)} is not a standard field of ${name}`,
        );
      if (field.mandatory || field.readOnly || ALWAYS_PRESENT.has(apiName))
        throw new TypeError(
          `absentFields.${name}: ${apiName} is a mandatory or system field and cannot be absent`,
        );
    }
    const fields = all.filter((f) => !hidden.has(f.apiName));
    out.set(name, {
      apiName: name,
      id: nextId(),
      singular: spec.singular,
      fields,
      byName: new Map(fields.map((f) => [f.apiName, f])),
      systemDuplicateFields: spec.dup.filter((f) => !hidden.has(f)),
      nameField: spec.nameField,
      absentFields: hidden,
    });
  }
  return out;
}

/** Adds (or, for an existing field, marks unique) a custom field. */
export function addCustomField(module: ModuleDef, init: EmulatorFieldInit, id: string): FieldDef {
  const existing = module.byName.get(init.apiName);
  if (existing) {
    if (init.unique) existing.unique = true;
    return existing;
  }
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(init.apiName)) {
    throw new TypeError(`custom field api name ${JSON.stringify(init.apiName)} is not a valid Zoho API name`);
  }
  const field = makeField(
    init.apiName,
    init.dataType,
    {
      ...(init.label !== undefined ? { label: init.label } : {}),
      ...(init.length !== undefined ? { length: init.length } : {}),
      mandatory: init.mandatory ?? false,
      unique: init.unique ?? false,
    },
    id,
    true,
  );
  // Keep the system fields last, like Zoho's field list.
  const systemIndex = module.fields.findIndex((f) => f.apiName === 'Created_Time');
  module.fields.splice(systemIndex < 0 ? module.fields.length : systemIndex, 0, field);
  module.byName.set(field.apiName, field);
  return field;
}

/** Looks a module up by API name, case-insensitively (Zoho accepts `contacts`). */
export function findModule(modules: Map<EmulatorModule, ModuleDef>, name: string): ModuleDef | undefined {
  const lower = name.toLowerCase();
  for (const m of modules.values()) if (m.apiName.toLowerCase() === lower) return m;
  return undefined;
}

/** The phone-type fields of a module (standard and custom). */
export function phoneFields(module: ModuleDef): FieldDef[] {
  return module.fields.filter((f) => f.dataType === 'phone');
}

/** The email-type fields of a module. */
export function emailFields(module: ModuleDef): FieldDef[] {
  return module.fields.filter((f) => f.dataType === 'email');
}

/** A field as `GET /crm/v8/settings/fields` reports it (a subset of Zoho's field metadata). */
export function fieldMetadata(field: FieldDef): Record<string, unknown> {
  const out: Record<string, unknown> = {
    api_name: field.apiName,
    id: field.id,
    field_label: field.label,
    display_label: field.label,
    data_type: field.dataType,
    json_type: jsonType(field.dataType),
    system_mandatory: field.mandatory && !field.custom,
    custom_field: field.custom,
    read_only: field.readOnly,
    field_read_only: field.readOnly,
    visible: true,
    searchable: true,
    sortable: true,
    length: field.length ?? null,
    unique: field.unique ? { casesensitive: 'false' } : {},
  };
  if (field.picklist) {
    out.pick_list_values = field.picklist.map((value, i) => ({
      display_value: value,
      actual_value: value,
      sequence_number: i + 1,
    }));
  }
  if (field.lookup && field.lookup !== 'Users' && field.lookup !== '$se_module') {
    out.lookup = { module: { api_name: field.lookup } };
  }
  return out;
}

// --- Internal helpers ---

function makeField(
  apiName: string,
  dataType: FieldDataType,
  extra: Partial<Omit<FieldDef, 'apiName' | 'dataType' | 'id'>>,
  id: string,
  custom: boolean,
): FieldDef {
  const length = extra.length ?? DEFAULT_LENGTH[dataType];
  return {
    apiName,
    dataType,
    label: extra.label ?? apiName.replace(/__[a-z]$/, '').replace(/_/g, ' '),
    ...(length !== undefined ? { length } : {}),
    mandatory: extra.mandatory ?? false,
    readOnly: extra.readOnly ?? false,
    custom,
    unique: extra.unique ?? false,
    ...(extra.lookup !== undefined ? { lookup: extra.lookup } : {}),
    ...(extra.picklist !== undefined ? { picklist: extra.picklist } : {}),
    ...(extra.strictPicklist !== undefined ? { strictPicklist: extra.strictPicklist } : {}),
    id,
  };
}

function jsonType(dataType: FieldDataType): string {
  switch (dataType) {
    case 'integer':
      return 'integer';
    case 'boolean':
      return 'boolean';
    case 'lookup':
    case 'ownerlookup':
      return 'jsonobject';
    default:
      return 'string';
  }
}
