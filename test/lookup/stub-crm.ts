import type { ZohoHttp, ZohoRequest } from '../../src/http/client.js';
import type { Logger } from '../../src/logger.js';
import { createCallerLookup } from '../../src/lookup/caller-lookup.js';
import { MODULE_FIELDS } from '../../src/lookup/modules.js';
import type { LookupEvent } from '../../src/lookup/types.js';
import { type ConnectorOptions, type LookupModule, parseConnectorOptions } from '../../src/options.js';
import { REGIONS, type Region } from '../../src/regions.js';

type Row = Record<string, unknown> & { id: string };

export interface StubCrmOptions {
  /** How `search?phone=` matches stored values; Zoho does not document it (digits contained by default). */
  phoneMatch?: 'digits-contains' | 'digits-exact';
  /** Records per page of a search (Zoho: `per_page`, at most 200). */
  pageSize?: number;
  /** Say `more_records: true` on every page (Zoho does while more reachable records remain). */
  alwaysMore?: boolean;
  /** Phone fields `GET /settings/fields` reports per module (custom ones). */
  customPhoneFields?: Partial<Record<string, string[]>>;
  /** Fails every request whose path starts with this (the error is thrown as is). */
  fail?: (request: ZohoRequest<unknown>) => unknown;
  /** Holds answers until `release()` (to observe in-flight work). */
  hold?: boolean;
}

/**
 * A scripted Zoho CRM behind the `ZohoHttp` interface, with no network and no timers: searches by phone,
 * word and e-mail, COQL by exact value, field metadata, and Zoho's field projection (only the requested
 * `fields` come back, plus `id`).
 */
export function stubCrm(data: Partial<Record<string, Row[]>>, options: StubCrmOptions = {}) {
  const requests: ZohoRequest<unknown>[] = [];
  const held: Array<() => void> = [];
  const project = (row: Row, fields: unknown) => {
    const wanted = typeof fields === 'string' && fields ? fields.split(',') : [];
    return Object.fromEntries(Object.entries(row).filter(([key]) => key === 'id' || wanted.includes(key)));
  };
  const digits = (value: unknown) => (typeof value === 'string' ? value.replace(/\D/g, '') : '');

  const answer = (request: ZohoRequest<unknown>): unknown => {
    if (request.signal?.aborted) throw request.signal.reason;
    const failure = options.fail?.(request);
    if (failure) throw failure;
    if (request.path === '/settings/fields') {
      const module = String(request.query?.module);
      // Zoho lists the standard phone fields of the layout and the custom ones.
      const standard = MODULE_FIELDS[module as LookupModule]?.phone ?? [];
      return {
        fields: [...new Set([...standard, ...(options.customPhoneFields?.[module] ?? [])])].map(
          (api_name) => ({
            api_name,
            data_type: 'phone',
          }),
        ),
      };
    }
    if (request.path === '/coql') {
      const query = (request.body as { select_query: string }).select_query;
      const module = /from (\w+)/.exec(query)?.[1] ?? '';
      const fields = /^select (.+) from/.exec(query)?.[1]?.split(', ').join(',');
      const rows = (data[module] ?? []).filter((row) =>
        Object.values(row).some((value) => typeof value === 'string' && query.includes(`'${value}'`)),
      );
      return rows.length
        ? { data: rows.map((row) => project(row, fields)), info: { more_records: false } }
        : undefined;
    }
    const module = /^\/(\w+)\/search$/.exec(request.path)?.[1];
    if (!module) throw new Error(`stub CRM: unexpected ${request.method} ${request.path}`);
    const query = request.query ?? {};
    const phone = digits(query.phone);
    const word = typeof query.word === 'string' ? query.word.toLowerCase() : undefined;
    const email = typeof query.email === 'string' ? query.email.toLowerCase() : undefined;
    const rows = (data[module] ?? []).filter((row) =>
      Object.entries(row).some(([key, value]) => {
        if (typeof value !== 'string') return false;
        if (phone) {
          const stored = digits(value);
          return options.phoneMatch === 'digits-exact' ? stored === phone : stored.includes(phone);
        }
        if (email) return key === 'Email' && value.toLowerCase() === email;
        return word !== undefined && value.toLowerCase().includes(word);
      }),
    );
    const perPage = Math.min(Number(query.per_page ?? 200), options.pageSize ?? 200);
    const page = Number(query.page ?? 1);
    const slice = rows.slice((page - 1) * perPage, page * perPage);
    if (slice.length === 0) return undefined;
    return {
      data: slice.map((row) => project(row, query.fields)),
      info: { more_records: options.alwaysMore || page * perPage < rows.length },
    };
  };

  const http: ZohoHttp = {
    async request<T>(request: ZohoRequest<T>) {
      requests.push(request as ZohoRequest<unknown>);
      if (options.hold) await new Promise<void>((resolve) => held.push(resolve));
      const data = answer(request as ZohoRequest<unknown>);
      return { status: data === undefined ? 204 : 200, data: data as T | undefined, headers: new Headers() };
    },
    get queued() {
      return 0;
    },
  };
  return {
    http,
    requests,
    /** `module` of every search, in order (`coql` for COQL, `fields:<module>` for field metadata). */
    calls: () =>
      requests.map((r) =>
        r.path === '/coql'
          ? 'coql'
          : r.path === '/settings/fields'
            ? `fields:${r.query?.module}`
            : r.path.split('/')[1],
      ),
    /** Lets every held answer through (and the ones that arrive later, when `hold` is turned off). */
    release() {
      options.hold = false;
      for (const resolve of held.splice(0)) resolve();
    },
    heldCount: () => held.length,
  };
}

/**
 * The lookup options these engine tests start from: a search whose misses are final (a tolerant reading
 * declared) over the standard phone fields, so that each module costs exactly one search. The tests here
 * are about the cache, coalescing, order, events and verification; the defaults' field metadata and
 * escalation are tested in reading-*.test.ts and phone-fields.test.ts.
 */
export const SEARCH_ONLY = { discoverPhoneFields: false, phoneSearch: 'digits-contains' } as const;

const BASE: ConnectorOptions = {
  connectionId: 't',
  clientId: 'c',
  clientSecret: 's',
  redirectUri: 'https://pbx/cb',
};

/** A recording logger (every call, by level). */
export function recordingLogger() {
  const entries: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      entries.push({ level, fields, message });
    };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, entries };
}

/** A lookup engine over `http` with the connector's option defaults. */
export function engineOver(
  http: ZohoHttp,
  lookup: ConnectorOptions['lookup'] = {},
  extra: {
    pbxContacts?: ConnectorOptions['pbxContacts'];
    region?: () => Region;
    now?: () => number;
    logger?: Logger;
    events?: boolean;
  } = {},
) {
  const options = parseConnectorOptions({
    ...BASE,
    lookup: { ...SEARCH_ONLY, ...lookup },
    ...(extra.pbxContacts ? { pbxContacts: extra.pbxContacts } : {}),
  });
  const events: LookupEvent[] = [];
  const engine = createCallerLookup({
    http,
    lookup: options.lookup,
    pbxContacts: options.pbxContacts,
    region: extra.region ?? (() => REGIONS.US),
    ...(extra.now ? { now: extra.now } : {}),
    ...(extra.logger ? { logger: extra.logger } : {}),
    ...(extra.events === false ? {} : { events: { enabled: () => true, emit: (e) => events.push(e) } }),
  });
  return { engine, events };
}
