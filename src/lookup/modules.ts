/**
 * Which fields the lookup reads per module: the phone fields it verifies (docs/zoho-facts.md §3; Fax is a
 * text field and not searched by `phone=`, §12 Q4) and the fields that name the record. Data only.
 *
 * @module
 */
import type { LookupModule } from '../options.js';

/** @internal */
export interface ModuleFields {
  /** Standard phone fields, verified against the caller's number. */
  phone: readonly string[];
  /** Other fields to fetch (name, account, owner, modification time). */
  other: readonly string[];
}

/** @internal */
export const MODULE_FIELDS: Readonly<Record<LookupModule, ModuleFields>> = Object.freeze({
  Contacts: {
    phone: ['Phone', 'Mobile', 'Home_Phone', 'Other_Phone', 'Asst_Phone'],
    other: ['Full_Name', 'First_Name', 'Last_Name', 'Account_Name', 'Email', 'Owner', 'Modified_Time'],
  },
  Leads: {
    phone: ['Phone', 'Mobile'],
    other: ['Full_Name', 'First_Name', 'Last_Name', 'Company', 'Email', 'Owner', 'Modified_Time'],
  },
  Accounts: {
    phone: ['Phone'],
    other: ['Account_Name', 'Owner', 'Modified_Time'],
  },
});
