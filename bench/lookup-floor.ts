/**
 * The floor of a cold caller lookup: only the steps that any lookup keeping this library's promises must
 * take, written inline with none of the library's layers, so the bench can show how close a target can
 * come at all. Measured beside `lookupCaller` and the raw fetch in bench/official-sdk.ts and
 * bench/lookup-cold.ts.
 *
 * The steps, in order:
 * 1. Classify the caller ID with the shipped `classifyNumber` (libphonenumber: the same work
 *    `lookupCaller` does for a caller ID it has not seen); anything but a public number answers `null`.
 * 2. Read the cache (lru-cache).
 * 3. Race the search against the ring deadline (a timer): the ring gets its answer in time while a late
 *    search still fills the cache.
 * 4. Search: a `node:http` GET on a keep-alive agent (the cheapest transport Node has, and the one the
 *    connector uses for searches), its headers given as a list of lines with `Host` (Node writes those
 *    as they are; the connector does the same wherever nobody watches `http.request`), with a
 *    per-attempt timer that destroys a hung request, then the body's chunks joined and `JSON.parse`.
 * 5. Check the page with the library's own zod schema (a Zoho response is checked at the edge).
 * 6. Verify a returned record with the shipped `matchesNumber` (Zoho's phone search is not documented to be
 *    exact, so a hit is verified against its phone fields).
 * 7. Fill the cache.
 *
 * Left out, each kept by the library for a reason the issues give: the token provider (a store read, one
 * refresh for many callers), the retry policy, the circuit breaker, the edition's concurrency gate, the
 * operation deadline, one Zoho request for concurrent lookups of a number, cancelling searches on
 * `close()`, custom phone fields from the field metadata, the org's phone-search calibration, events,
 * logging and typed errors. What the floor leaves out only makes it cheaper, so it is a lower bound.
 *
 * No named function is created per call: tsx (which runs the bench) wraps each one in a `__name()` call,
 * which would charge the floor with work the build does not do.
 */
import { Agent, get as httpGet } from 'node:http';
import { LRUCache } from 'lru-cache';
import { RecordListSchema } from '../src/crm/schemas.js';
import type { CallerMatch } from '../src/lookup/types.js';
import type { ShippedCore } from './official-sdk.js';

/** What the floor needs: the shipped phone functions, the search URL's parts and a valid token. */
export interface FloorLookupOptions {
  core: Pick<ShippedCore, 'classifyNumber' | 'matchesNumber'>;
  /** `https://…/crm/v8`, or the emulator's equivalent. */
  apiBase: string;
  accessToken: string;
  module: 'Contacts' | 'Leads' | 'Accounts';
  /** Phone fields to verify a hit against (asked for in `fields` too). */
  phoneFields: readonly string[];
  fields: readonly string[];
  defaultCountry: string;
  ringTimeoutMs: number;
  attemptTimeoutMs: number;
}

type FloorMatch = Pick<CallerMatch, 'module' | 'id' | 'name' | 'phone' | 'field'>;

const TIMED_OUT = Symbol('timed out');
/** A number Zoho does not know, cached like a match. */
const MISS = Symbol('miss');

/** A lookup of one caller ID (its necessary steps, see the module comment), and its connections' end. */
export interface FloorLookup {
  (callerId: string): Promise<FloorMatch | null>;
  close(): void;
}

/** A lookup of one caller ID reduced to its necessary steps (see the module comment). */
export function createFloorLookup(options: FloorLookupOptions): FloorLookup {
  const { core, module, phoneFields, defaultCountry } = options;
  const cache = new LRUCache<string, FloorMatch | typeof MISS>({ max: 10_000, ttl: 3_600_000 });
  const headers = [
    'Host',
    new URL(options.apiBase).host,
    'Authorization',
    `Zoho-oauthtoken ${options.accessToken}`,
    'Accept',
    'application/json',
  ];
  const searchUrl = `${options.apiBase}/${module}/search`;
  const fields = encodeURIComponent(options.fields.join(','));
  const agent = new Agent({ keepAlive: true });

  async function search(e164: string, national: string): Promise<FloorMatch | null> {
    const url = `${searchUrl}?phone=${encodeURIComponent(national)}&fields=${fields}&per_page=200`;
    const text = await nodeHttpText(agent, url, headers, options.attemptTimeoutMs);
    const page = text === '' ? { data: [] } : RecordListSchema.parse(JSON.parse(text));
    for (const record of page.data) {
      for (const field of phoneFields) {
        const value = record[field];
        if (typeof value === 'string' && core.matchesNumber(value, e164, defaultCountry)) {
          const name = record.Full_Name;
          const match: FloorMatch = {
            module,
            id: record.id,
            name: typeof name === 'string' ? name : '',
            phone: e164,
            field,
          };
          cache.set(e164, match);
          return match;
        }
      }
    }
    cache.set(e164, MISS);
    return null;
  }

  const lookup = async (callerId: string) => {
    const number = core.classifyNumber(callerId, defaultCountry);
    if (number.kind !== 'e164') return null;
    const cached = cache.get(number.e164);
    if (cached !== undefined) return cached === MISS ? null : cached;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(resolve, options.ringTimeoutMs, TIMED_OUT);
    });
    const pending = search(number.e164, number.nationalNumber);
    try {
      const answer = await Promise.race([pending, deadline]);
      if (answer !== TIMED_OUT) return answer;
      pending.catch(() => undefined); // a late failure is nobody's to report
      return null;
    } finally {
      clearTimeout(timer);
    }
  };
  return Object.assign(lookup, { close: () => agent.destroy() });
}

/**
 * A bare `node:http` GET on a keep-alive agent, its body as text: the floor's search, and the raw
 * node:http reference the bench modules measure beside it. `timeoutMs` destroys a hung request.
 */
export function nodeHttpText(
  agent: Agent,
  url: string,
  /** An object, or a flat list of header lines that Node writes as given (the list must name `Host`). */
  headers: Record<string, string> | string[],
  timeoutMs?: number,
): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const request = httpGet(url, { agent, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    request.on('error', reject);
    if (timeoutMs === undefined) return;
    const timer = setTimeout(() => request.destroy(new Error('timed out')), timeoutMs);
    request.on('close', () => clearTimeout(timer));
  });
}

/**
 * A target's report line about the floor: the floor's figure, how far `lookupCaller` is above it, and
 * whether even the floor meets the target on this machine (when it does not, no lookup with these steps
 * does; when it does, the gap is our own layers).
 */
export function floorVerdict(
  floor: { figure: string; meets: boolean; goal: string },
  oursOverFloor: number,
): string {
  if (!Number.isFinite(oursOverFloor)) return 'the floor of a lookup was not measured';
  const reach = floor.meets
    ? `the floor reaches ${floor.goal}: the gap is our own layers`
    : `not even the floor reaches ${floor.goal} on this machine`;
  return `the floor of a lookup (its necessary steps alone, inline) ${floor.figure}, and lookupCaller ${oursOverFloor.toFixed(2)}× that: ${reach}`;
}
