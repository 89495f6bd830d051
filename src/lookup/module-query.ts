/**
 * One module's part of a caller lookup: the cheapest query first, escalating only while its answer
 * cannot be trusted. Zoho does not document how `search?phone=` matches (docs/zoho-facts.md Q4):
 * 1. `search?phone=<national digits>` (as many terms as `searchTermsPerModule`); a verified hit ends it;
 *    a miss ends it too when the org's reading is known to find every writing of a number
 *    (`digits-contains`, `digits-suffix`) and the number was not written moments ago (index lag);
 * 2. otherwise COQL (no index lag) with `like '%<last digits>'` over the module's phone fields, verified
 *    locally; orgs known to compare whole strings start here;
 * 3. if COQL is refused (`like` on phone fields unsupported, no COQL scope), more search terms: the other
 *    digit strings, E.164 and libphonenumber's national and international formats.
 * Every hit is verified against the phone fields; what the traffic proves about the reading is reported
 * through `learn`.
 *
 * @module
 */
import { missIsTrusted, type PhoneSearchReading } from '../calibration/calibration.js';
import { coqlQuery, type SearchOptions, searchRecords } from '../crm/records.js';
import type { ZohoRecord } from '../crm/schemas.js';
import { ErrorCode, isZohoCrmError, ZohoApiError } from '../errors.js';
import type { ZohoHttp } from '../http/client.js';
import type { Logger } from '../logger.js';
import type { LookupModule, ResolvedConnectorOptions } from '../options.js';
import { leadingSearchTerms } from '../phone/normalize.js';
import type { Region } from '../regions.js';
import { likeFieldGroups, phoneEqualityQuery, phoneLikeQuery } from './coql.js';
import { MODULE_FIELDS } from './modules.js';
import type { ModulePhoneFields } from './phone-fields.js';
import { fallbackSearchTerms, tailPatterns } from './phone-forms.js';
import { escalationEvidence, isStrict, searchHitEvidence } from './reading.js';
import { toCallerMatch } from './to-match.js';
import type { CallerMatch } from './types.js';

/** Rows per COQL page of the `like` step. */
export const LIKE_PAGE_SIZE = 200;
/** Pages of one `like` query read at most (1,000 records ending with the same digits). */
export const LIKE_MAX_PAGES = 5;

/** What a process has learned about COQL in each module: refused `like`, fields the layout lacks. @internal */
export interface CoqlMemo {
  /** Modules where COQL `like` on phone fields (or COQL at all) was refused. */
  likeRefused: Set<LookupModule>;
  /** Fields Zoho said a module does not have (`INVALID_QUERY` naming the column). */
  absent: Map<LookupModule, Set<string>>;
}

/** @internal */
export function createCoqlMemo(): CoqlMemo {
  return { likeRefused: new Set(), absent: new Map() };
}

/** @internal */
export interface ModuleQueryContext {
  http: ZohoHttp;
  lookup: ResolvedConnectorOptions['lookup'];
  region: Region;
  logger: Logger;
  phone: ModulePhoneFields;
  /** The org's reading of `search?phone=` (the option, else the calibration). */
  reading: PhoneSearchReading;
  /** The connector wrote this number within the index lag: a search miss proves nothing. */
  recentlyWritten: boolean;
  /** Epoch ms: a record last modified before this had time to be indexed. */
  indexedBefore: number;
  memo: CoqlMemo;
  /** Reports what the traffic proved about the reading. */
  learn(evidence: PhoneSearchReading): void;
  signal?: AbortSignal | undefined;
}

const REFUSED = Symbol('refused');

const combined = new WeakMap<readonly string[], Map<LookupModule, readonly string[]>>();

/**
 * A module's phone fields and its other fields, as one list built once per phone-field list: the same
 * array for every search, so the request's field list is joined once too.
 */
function allFields(module: LookupModule, phoneFields: readonly string[]): readonly string[] {
  let byModule = combined.get(phoneFields);
  if (!byModule) {
    byModule = new Map();
    combined.set(phoneFields, byModule);
  }
  let fields = byModule.get(module);
  if (!fields) {
    fields = Object.freeze([...phoneFields, ...MODULE_FIELDS[module].other]);
    byModule.set(module, fields);
  }
  return fields;
}

/** @internal */
export async function queryModule(
  module: LookupModule,
  e164: string,
  ctx: ModuleQueryContext,
): Promise<CallerMatch | undefined> {
  const { lookup, memo } = ctx;
  // Fields Zoho said the module lacks are left out; almost always there are none, and nothing is copied.
  const present = (fields: readonly string[]) => {
    const absent = memo.absent.get(module);
    return absent ? fields.filter((field) => !absent.has(field)) : fields;
  };
  const phoneFields = () => present(ctx.phone.fields);
  const selected = () =>
    memo.absent.has(module)
      ? [...phoneFields(), ...present(MODULE_FIELDS[module].other)]
      : allFields(module, ctx.phone.fields);
  const context = {
    e164,
    phoneFields: ctx.phone.fields,
    defaultCountry: lookup.defaultCountry,
    region: ctx.region,
    policy: lookup.multipleMatches,
  };
  const verify = (records: readonly ZohoRecord[]) => toCallerMatch(module, records, context);

  if (lookup.method === 'coql') {
    // Exact equality with the usual writings; a refused query falls back to the search below.
    const page = await withAbsentRetry(module, ctx, selected, () =>
      phoneFields().length === 0
        ? Promise.resolve({ records: [], more: false })
        : coqlQuery(ctx.http, phoneEqualityQuery(module, selected(), phoneFields(), e164), ctx.signal),
    );
    if (page !== REFUSED) return verify(page.records);
  }

  const search = (term: string) => {
    const options: SearchOptions = { fields: selected(), perPage: 200 };
    if (ctx.signal) options.signal = ctx.signal;
    return searchRecords(ctx.http, module, { phone: term }, options);
  };

  const tried: string[] = [];
  let missed: { term: string; complete: boolean; ids: Set<string> } | undefined;
  const coqlFirst = lookup.escalate && isStrict(ctx.reading) && !memo.likeRefused.has(module);
  if (!coqlFirst) {
    for (const term of leadingSearchTerms(e164, lookup.searchTermsPerModule)) {
      tried.push(term);
      const page = await search(term);
      const match = verify(page.records);
      if (match) {
        const record = page.records.find((r) => r.id === match.id);
        const evidence =
          record && ctx.phone.complete ? searchHitEvidence(term, record, ctx.phone.fields) : undefined;
        if (evidence) ctx.learn(evidence);
        return match;
      }
      missed ??= { term, complete: !page.more, ids: new Set(page.records.map((r) => r.id)) };
    }
    if (!lookup.escalate) return undefined;
    if (missIsTrusted(ctx.reading) && !ctx.recentlyWritten) return undefined;
  }

  const escalated = await likeStep(module, e164, ctx, selected, phoneFields, verify);
  if (escalated !== REFUSED) {
    const { match, records } = escalated;
    if (match && missed?.complete && !missed.ids.has(match.id)) {
      const record = records.find((r) => r.id === match.id);
      const modified =
        typeof record?.Modified_Time === 'string' ? Date.parse(record.Modified_Time) : Number.NaN;
      if (record && modified < ctx.indexedBefore) {
        const evidence = escalationEvidence(missed.term, record, ctx.phone.fields);
        if (evidence) ctx.learn(evidence);
      }
    }
    return match;
  }

  for (const term of fallbackSearchTerms(e164, ctx.reading, tried)) {
    const match = verify((await search(term)).records);
    if (match) return match;
  }
  return undefined;
}

/** COQL `like` with the number's last digits over the phone fields, a few fields per query, paged. */
async function likeStep(
  module: LookupModule,
  e164: string,
  ctx: ModuleQueryContext,
  selected: () => readonly string[],
  phoneFields: () => readonly string[],
  verify: (records: readonly ZohoRecord[]) => CallerMatch | undefined,
): Promise<{ match: CallerMatch | undefined; records: ZohoRecord[] } | typeof REFUSED> {
  if (ctx.memo.likeRefused.has(module)) return REFUSED;
  const patterns = tailPatterns(e164);
  const done = new Set<string>();
  // Groups are rebuilt after a field turns out absent; fields already asked are not asked again.
  for (;;) {
    const group = likeFieldGroups(
      phoneFields().filter((field) => !done.has(field)),
      patterns.length,
    )[0];
    if (!group) return { match: undefined, records: [] };
    for (let page = 0; page < LIKE_MAX_PAGES; page++) {
      const answer = await withAbsentRetry(module, ctx, selected, () => {
        const fields = group.filter((field) => phoneFields().includes(field));
        if (fields.length === 0) return Promise.resolve({ records: [], more: false });
        const query = phoneLikeQuery(module, selected(), fields, patterns, {
          limit: LIKE_PAGE_SIZE,
          offset: page * LIKE_PAGE_SIZE,
        });
        return coqlQuery(ctx.http, query, ctx.signal);
      });
      if (answer === REFUSED) {
        ctx.memo.likeRefused.add(module);
        return REFUSED;
      }
      const match = verify(answer.records);
      if (match) return { match, records: answer.records };
      if (!answer.more) break;
      if (page === LIKE_MAX_PAGES - 1) {
        ctx.logger.debug(
          { module },
          'COQL like matched more records than the lookup reads; some were not verified',
        );
      }
    }
    for (const field of group) done.add(field);
  }
}

/**
 * Runs a COQL query; when Zoho names a column the module lacks (`INVALID_QUERY` with `column_name`),
 * remembers it and asks again without it; REFUSED when COQL refuses the query itself (an operator it
 * does not support on the field, no COQL scope, no permission).
 */
async function withAbsentRetry<T>(
  module: LookupModule,
  ctx: ModuleQueryContext,
  named: () => readonly string[],
  run: () => Promise<T>,
): Promise<T | typeof REFUSED> {
  // Each retry leaves out one more of the fields named, so this ends.
  for (;;) {
    try {
      return await run();
    } catch (error) {
      const refusal = coqlRefusal(error);
      if (!refusal) throw error;
      const field = refusal.absentField;
      if (field && named().includes(field)) {
        const absent = ctx.memo.absent.get(module) ?? new Set<string>();
        ctx.memo.absent.set(module, absent.add(field));
        ctx.logger.warn({ module, field }, 'Zoho says the module has no such field; left out');
        continue;
      }
      ctx.logger.warn(
        { module, code: refusal.code },
        'COQL refused the phone query; searching more number forms instead',
      );
      return REFUSED;
    }
  }
}

/** Whether a COQL failure is Zoho refusing this query (not an outage), and whether it names an absent field. */
function coqlRefusal(error: unknown): { code: string; absentField?: string } | undefined {
  if (!isZohoCrmError(error)) return undefined;
  if (error.code === ErrorCode.AUTH_SCOPE_MISMATCH) return { code: error.code };
  if (!(error instanceof ZohoApiError)) return undefined;
  const code = error.zohoCode ?? String(error.status);
  if (error.status === 403 || error.zohoCode === 'NO_PERMISSION') return { code };
  if (error.status !== 400) return undefined;
  const column = error.details.column_name;
  const operator = error.details.operator;
  return typeof column === 'string' && operator === undefined ? { code, absentField: column } : { code };
}
