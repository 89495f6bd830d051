/**
 * Zoho records → caller matches: verify which phone field holds the caller's number, name the record,
 * pick one when several match. Pure.
 *
 * @module
 */
import type { ZohoRecord } from '../crm/schemas.js';
import type { LookupModule } from '../options.js';
import { classifyNumber, matchesNumber } from '../phone/normalize.js';
import { type Region, recordWebUrl } from '../regions.js';
import type { CallerMatch, DirectoryEntry } from './types.js';

/**
 * How to choose when several records in one module hold the number.
 * @group Caller ID
 */
export type MultipleMatchPolicy = 'mostRecentlyModified' | 'firstReturned';

/** The display name of a record. @internal */
export function recordName(module: LookupModule, record: ZohoRecord): string {
  const text = (key: string) => (typeof record[key] === 'string' ? (record[key] as string).trim() : '');
  if (module === 'Accounts') return text('Account_Name') || `Account ${record.id}`;
  const full = text('Full_Name') || [text('First_Name'), text('Last_Name')].filter(Boolean).join(' ');
  return full || `${module === 'Leads' ? 'Lead' : 'Contact'} ${record.id}`;
}

/** The first phone field of a record that holds `e164`, if any. @internal */
export function verifiedField(
  record: ZohoRecord,
  phoneFields: readonly string[],
  e164: string,
  defaultCountry: string,
): string | undefined {
  return phoneFields.find((field) => {
    const value = record[field];
    // Stryker disable next-line ConditionalExpression,MethodExpression,StringLiteral: equivalent, matchesNumber is false for blank and non-text values; the checks only spare it the work
    return typeof value === 'string' && value.trim() !== '' && matchesNumber(value, e164, defaultCountry);
  });
}

function lookupRef(value: unknown): { id: string; name: string } | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const { id, name } = value as { id?: unknown; name?: unknown };
  return typeof id === 'string' ? { id, name: typeof name === 'string' ? name : '' } : undefined;
}

/**
 * The verified matches among search results, best first by `policy`; the best carries the others as
 * `alternatives`. Undefined when no record really holds the number.
 * @internal
 */
export function toCallerMatch(
  module: LookupModule,
  records: readonly ZohoRecord[],
  context: {
    e164: string;
    phoneFields: readonly string[];
    defaultCountry: string;
    region: Region;
    policy: MultipleMatchPolicy;
  },
): CallerMatch | undefined {
  const matches: Array<{ match: CallerMatch; record: ZohoRecord }> = [];
  for (const record of records) {
    const field = verifiedField(record, context.phoneFields, context.e164, context.defaultCountry);
    if (!field) continue;
    const account = module === 'Contacts' ? lookupRef(record.Account_Name) : undefined;
    const owner = lookupRef(record.Owner);
    const match: CallerMatch = {
      module,
      id: record.id,
      name: recordName(module, record),
      phone: context.e164,
      field,
      recordUrl: recordWebUrl(context.region, module, record.id),
      source: 'zoho',
    };
    if (account) match.account = account;
    if (owner) match.ownerId = owner.id;
    matches.push({ match, record });
  }
  // One record holds the number (the usual answer): nothing to choose between.
  if (matches.length < 2) return matches[0]?.match;
  const ranked =
    context.policy === 'mostRecentlyModified'
      ? matches
          .map(({ match, record }) => ({ match, modified: modifiedAt(record) }))
          .sort((a, b) => b.modified - a.modified)
      : matches;
  const [best, ...rest] = ranked.map((m) => m.match) as [CallerMatch, ...CallerMatch[]];
  return { ...best, alternatives: rest };
}

/** When a record was last modified, in epoch ms; 0 when Zoho did not say. */
function modifiedAt(record: ZohoRecord): number {
  // Stryker disable next-line ConditionalExpression: equivalent, Date.parse of a missing or null value is NaN too
  const modified = typeof record.Modified_Time === 'string' ? Date.parse(record.Modified_Time) : Number.NaN;
  return Number.isNaN(modified) ? 0 : modified;
}

/** A search result as a directory entry, with every usable phone number in E.164. @internal */
export function toDirectoryEntry(
  module: LookupModule,
  record: ZohoRecord,
  context: { phoneFields: readonly string[]; defaultCountry: string; region: Region },
): DirectoryEntry {
  const phones: DirectoryEntry['phones'] = [];
  for (const field of context.phoneFields) {
    const value = record[field];
    if (typeof value !== 'string' || value.trim() === '') continue;
    try {
      const number = classifyNumber(value, context.defaultCountry);
      if (number.kind === 'e164' && !phones.some((p) => p.e164 === number.e164))
        phones.push({ field, e164: number.e164 });
    } catch {
      // A stored value that is not a number (e.g. "ask reception") is just not listed.
    }
  }
  const entry: DirectoryEntry = {
    module,
    id: record.id,
    name: recordName(module, record),
    phones,
    recordUrl: recordWebUrl(context.region, module, record.id),
  };
  if (typeof record.Email === 'string' && record.Email) entry.email = record.Email;
  const company =
    module === 'Leads'
      ? record.Company
      : // Stryker disable next-line ConditionalExpression: equivalent, an account's Account_Name is its own name (text, not a lookup)
        module === 'Contacts'
        ? lookupRef(record.Account_Name)?.name
        : undefined;
  if (typeof company === 'string' && company) entry.company = company;
  return entry;
}
