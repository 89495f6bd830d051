/**
 * The emulated CRM REST API under `{apiUrl}/crm/v8`: routing, `Zoho-oauthtoken` auth, scopes, credits
 * and concurrency (docs/zoho-facts.md §1.5, §1.8, §2, §7), then the endpoint handlers.
 * @internal
 * @module
 */
import type { RegionCode } from '../../regions.js';
import { runCoql } from './coql.js';
import { fieldMetadata, findModule, type ModuleDef } from './modules.js';
import type { AccessRec } from './oauth-store.js';
import type { UserRec } from './org.js';
import { json, LOST_ANSWERS, MESSAGES, noContent, zohoError } from './responses.js';
import { need, type ScopeRequirement } from './scopes.js';
import { countRecords, project, readFields, readPaging, search } from './search.js';
import type { EmulatorStateImpl } from './state.js';
import { formatZohoDateTime } from './time.js';
import { insertRecords, readWriteBody, updateRecords, upsertRecords } from './write.js';

/** Everything a CRM handler needs. */
export interface ApiContext {
  readonly state: EmulatorStateImpl;
  readonly request: Request;
  readonly url: URL;
  readonly dataCenter: RegionCode;
  readonly path: string;
  /** Waits out injected latency (called while the request holds its concurrency slot). */
  readonly delay: () => Promise<void>;
}

interface Route {
  /** Scopes the endpoint needs. */
  readonly scopes: readonly ScopeRequirement[];
  /** Counts toward the sub-concurrency limit (COQL; bulk writes join it once their size is known). */
  readonly heavy?: boolean;
  /** Changes records (the `lostAnswer` fault applies to it). */
  readonly writes?: boolean;
  /** Runs the endpoint; returns the response and the credits it cost. */
  readonly run: (
    call: Call,
  ) => Promise<{ response: Response; credits: number }> | { response: Response; credits: number };
}

interface Call {
  readonly ctx: ApiContext;
  readonly token: AccessRec;
  readonly user: UserRec;
}

const API_PREFIX = '/crm/v8/';

/** Routes one CRM request. */
export async function handleApi(ctx: ApiContext): Promise<Response> {
  const { state } = ctx;
  const route = matchRoute(ctx);
  if (route instanceof Response) return route;

  // Auth: only `Zoho-oauthtoken <token>`, live, issued for this data centre.
  const header = ctx.request.headers.get('authorization') ?? '';
  const m = /^Zoho-oauthtoken\s+(\S+)$/.exec(header);
  const token = m?.[1] ? state.oauth.accessTokens.get(m[1]) : undefined;
  const now = state.now();
  if (!token || token.expiresAt <= now || token.dc !== ctx.dataCenter) {
    return zohoError(401, 'INVALID_TOKEN', MESSAGES.INVALID_TOKEN);
  }
  const user = state.org.usersById.get(token.userId);
  if (user?.json.status !== 'active') return zohoError(401, 'INVALID_TOKEN', MESSAGES.INVALID_TOKEN);
  if (!token.scopes.allows(route.scopes)) {
    return zohoError(401, 'OAUTH_SCOPE_MISMATCH', MESSAGES.OAUTH_SCOPE_MISMATCH);
  }

  // Limits: credits per rolling 24 h, then concurrency per org per app.
  if (state.limits.creditsUsed(now) >= state.limits.creditLimit()) {
    return tooManyRequests(state, state.limits.secondsUntilCredit(now));
  }
  if (!state.limits.acquire(token.clientId)) return tooManyRequests(state, 1);
  const heavy = route.heavy === true;
  if (heavy && !state.limits.acquireHeavy(token.clientId)) {
    state.limits.release(token.clientId);
    return tooManyRequests(state, 1);
  }
  let answer: Response;
  let lost: 'timeout' | 'drop' | 'error' | undefined;
  try {
    await ctx.delay();
    const { response, credits } = await route.run({ ctx, token, user });
    state.limits.charge(credits);
    answer = response;
    const faults = state.faultInjector.active;
    if (
      route.writes &&
      faults?.lostAnswer &&
      (faults.target ?? 'all') !== 'accounts' &&
      state.faultInjector.hit()
    ) {
      lost = faults.lostAnswer;
    }
  } finally {
    if (heavy) state.limits.releaseHeavy(token.clientId);
    state.limits.release(token.clientId);
  }
  return lost ? loseAnswer(state, ctx.request, lost) : answer;
}

/** Upsert is not offered for these modules (docs/zoho-facts.md §6: the Upsert page does not list them). */
const NO_UPSERT = new Set(['calls', 'tasks', 'events']);

/**
 * The write is stored; its answer does not reach the client: held until the client gives up
 * (`timeout`, bounded by 60 s of wall time), the connection closed (`drop`), or a 500 (`error`).
 */
async function loseAnswer(
  state: EmulatorStateImpl,
  request: Request,
  how: 'timeout' | 'drop' | 'error',
): Promise<Response> {
  state.traffic.count('faultsInjected');
  if (how === 'error') {
    const response = zohoError(500, 'INTERNAL_ERROR', MESSAGES.INTERNAL_ERROR);
    LOST_ANSWERS.set(response, 'stored; answered 500 (lostAnswer fault)');
    return response;
  }
  if (how === 'timeout') {
    await new Promise<void>((resolve) => {
      const bound = setTimeout(resolve, 60_000);
      const done = () => {
        clearTimeout(bound);
        resolve();
      };
      if (request.signal.aborted) done();
      else request.signal.addEventListener('abort', done, { once: true });
    });
  }
  const response = Response.error();
  LOST_ANSWERS.set(response, `stored; answer lost (lostAnswer fault: ${how})`);
  return response;
}

/** Runs a multi-record write; more than 10 records count toward the sub-concurrency limit (docs/zoho-facts.md §7.2). */
function bulk(
  call: Call,
  records: number,
  run: () => { response: Response; credits: number },
): { response: Response; credits: number } {
  if (records <= 10) return run();
  const { state } = call.ctx;
  if (!state.limits.acquireHeavy(call.token.clientId))
    return { response: tooManyRequests(state, 1), credits: 0 };
  try {
    return run();
  } finally {
    state.limits.releaseHeavy(call.token.clientId);
  }
}

// --- Routing ---

function matchRoute(ctx: ApiContext): Route | Response {
  const { state, path } = ctx;
  const method = ctx.request.method.toUpperCase();
  if (!path.startsWith(API_PREFIX)) return invalidUrl();
  const segments = path
    .slice(API_PREFIX.length)
    .split('/')
    .filter((s) => s.length > 0)
    .map(safeDecode);
  const [first, second, third] = segments;
  if (first === undefined || segments.length > 4 || segments.some((s) => s === undefined))
    return invalidUrl();

  const only = (allowed: string, route: Route): Route | Response =>
    method === allowed ? route : badMethod();

  switch (first) {
    case 'users':
      if (segments.length === 1) return only('GET', usersRoute(undefined));
      if (segments.length === 2 && second) return only('GET', usersRoute(second));
      return invalidUrl();
    case 'org':
      return segments.length === 1 ? only('GET', orgRoute) : invalidUrl();
    case 'coql':
      return segments.length === 1 ? only('POST', coqlRoute) : invalidUrl();
    case 'actions': {
      if (segments.length !== 2 || second !== 'watch') return invalidUrl();
      const watch = state.notifications.route(method);
      return watch
        ? { scopes: watch.scopes, run: async ({ ctx: c }) => ({ response: await watch.run(c), credits: 1 }) }
        : badMethod();
    }
    case 'settings':
      return segments.length === 2 && second === 'fields' ? only('GET', fieldsRoute) : invalidUrl();
    default:
      break;
  }

  const def = findModule(state.org.modules, first);
  if (!def && second === 'upsert' && NO_UPSERT.has(first.toLowerCase())) return upsertNotSupported();
  if (!def) {
    if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(first)) return invalidUrl();
    return zohoError(400, 'INVALID_MODULE', MESSAGES.INVALID_MODULE, { resource_path_index: 0 });
  }
  if (segments.length === 1) {
    if (method === 'GET') return listRoute(def);
    if (method === 'POST') return insertRoute(def);
    if (method === 'PUT') return updateRoute(def, undefined);
    if (method === 'DELETE') return deleteRoute(def, undefined);
    return badMethod();
  }
  if (second === 'search' && segments.length === 2) return only('GET', searchRoute(def));
  if (second === 'upsert' && segments.length === 2) {
    if (NO_UPSERT.has(def.apiName.toLowerCase())) return upsertNotSupported();
    return only('POST', upsertRoute(def));
  }
  if (second === 'actions' && third === 'count' && segments.length === 3) {
    return only('GET', countRoute(def, ctx.url.searchParams));
  }
  if (second && /^\d{1,19}$/.test(second)) {
    if (segments.length === 2) {
      if (method === 'GET') return getRoute(def, second);
      if (method === 'PUT') return updateRoute(def, second);
      if (method === 'DELETE') return deleteRoute(def, second);
      return badMethod();
    }
    if (third === 'Notes' && segments.length === 3 && def.apiName !== 'Notes') {
      if (method === 'GET') return relatedNotesRoute(def, second);
      if (method === 'POST') return nestedNotesRoute(def, second);
      return badMethod();
    }
  }
  return invalidUrl();
}

function moduleScope(def: ModuleDef, op: 'READ' | 'CREATE' | 'UPDATE' | 'DELETE'): ScopeRequirement {
  return need('ZohoCRM', `modules.${def.apiName}`, op);
}

// --- Routes ---

function usersRoute(id: string | undefined): Route {
  return {
    scopes: [need('ZohoCRM', 'users', 'READ')],
    run: ({ ctx, user }) => {
      const { state } = ctx;
      const all = [...state.org.usersById.values()];
      if (id !== undefined) {
        const found = state.org.usersById.get(id);
        return { response: found ? json(200, { users: [found.json] }) : noContent(), credits: 1 };
      }
      const type = ctx.url.searchParams.get('type') ?? 'AllUsers';
      let users: UserRec[];
      switch (type) {
        case 'AllUsers':
          users = all;
          break;
        case 'ActiveUsers':
          users = all.filter((u) => u.json.status === 'active');
          break;
        case 'DeactiveUsers':
          users = all.filter((u) => u.json.status !== 'active');
          break;
        case 'AdminUsers':
          users = all.filter((u) => u.json.profile.name === 'Administrator');
          break;
        case 'CurrentUser':
          users = [user];
          break;
        default:
          return {
            response: zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, { param_name: 'type' }),
            credits: 1,
          };
      }
      const paging = readPaging(ctx.url.searchParams);
      if (paging instanceof Response) return { response: paging, credits: 1 };
      const start = (paging.page - 1) * paging.perPage;
      const page = users.slice(start, start + paging.perPage);
      if (page.length === 0) return { response: noContent(), credits: 1 };
      return {
        response: json(200, {
          users: page.map((u) => u.json),
          info: {
            per_page: paging.perPage,
            count: page.length,
            page: paging.page,
            more_records: users.length > start + paging.perPage,
          },
        }),
        credits: 1,
      };
    },
  };
}

const orgRoute: Route = {
  scopes: [need('ZohoCRM', 'org', 'READ')],
  run: ({ ctx }) => {
    const { state } = ctx;
    const admin = state.org.firstUser().json;
    const edition = state.edition.toLowerCase();
    return {
      response: json(200, {
        org: [
          {
            id: state.orgId,
            company_name: state.options.orgName,
            domain_name: `org${state.orgId}`,
            primary_email: admin.email,
            primary_zuid: admin.zuid,
            time_zone: state.options.timeZone,
            iso_code: 'USD',
            currency: 'US Dollar - USD',
            currency_symbol: '$',
            country_code: state.dataCenter,
            type: 'production',
            max_per_page: 200,
            created_time: formatZohoDateTime(state.createdAt, state.options.timeZone),
            license_details: {
              paid: edition !== 'free',
              paid_type: edition,
              users_license_purchased: state.options.licensedUsers ?? state.org.usersById.size,
              trial_type: null,
              trial_expiry: null,
              paid_expiry: null,
            },
          },
        ],
      }),
      credits: 1,
    };
  },
};

const coqlRoute: Route = {
  scopes: [need('ZohoCRM', 'coql', 'READ')],
  heavy: true,
  run: async ({ ctx, token }) => {
    let body: unknown;
    try {
      body = JSON.parse(await ctx.request.text());
    } catch {
      return {
        response: zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, {
          reason: 'the body is not valid JSON',
        }),
        credits: 1,
      };
    }
    const query =
      body && typeof body === 'object' ? (body as { select_query?: unknown }).select_query : undefined;
    return runCoql(ctx.state, query, (def) => token.scopes.allows([moduleScope(def, 'READ')]));
  },
};

const fieldsRoute: Route = {
  scopes: [need('ZohoCRM', 'settings.fields', 'READ')],
  run: ({ ctx }) => {
    const name = ctx.url.searchParams.get('module');
    if (!name) {
      return {
        response: zohoError(400, 'REQUIRED_PARAM_MISSING', MESSAGES.REQUIRED_PARAM_MISSING, {
          param_name: 'module',
        }),
        credits: 1,
      };
    }
    const def = findModule(ctx.state.org.modules, name);
    if (!def) {
      return {
        response: zohoError(400, 'INVALID_MODULE', MESSAGES.INVALID_MODULE, { param_name: 'module' }),
        credits: 1,
      };
    }
    return { response: json(200, { fields: def.fields.map(fieldMetadata) }), credits: 1 };
  },
};

function searchRoute(def: ModuleDef): Route {
  return {
    scopes: [moduleScope(def, 'READ'), need('ZohoSearch', 'securesearch', 'READ')],
    run: ({ ctx }) => ({
      response: search(ctx.state, def, ctx.url.searchParams),
      credits: ctx.state.options.searchCredits,
    }),
  };
}

function countRoute(def: ModuleDef, q: URLSearchParams): Route {
  const searching = ['criteria', 'email', 'phone', 'word'].some((p) => (q.get(p) ?? '') !== '');
  return {
    scopes: searching
      ? [moduleScope(def, 'READ'), need('ZohoSearch', 'securesearch', 'READ')]
      : [moduleScope(def, 'READ')],
    run: ({ ctx }) => ({ response: countRecords(ctx.state, def, ctx.url.searchParams), credits: 1 }),
  };
}

function listRoute(def: ModuleDef): Route {
  return {
    scopes: [moduleScope(def, 'READ')],
    run: ({ ctx }) => {
      const q = ctx.url.searchParams;
      const fields = readFields(q);
      if (!fields) {
        return {
          response: zohoError(400, 'REQUIRED_PARAM_MISSING', MESSAGES.REQUIRED_PARAM_MISSING, {
            param_name: 'fields',
          }),
          credits: 1,
        };
      }
      const paging = readPaging(q);
      if (paging instanceof Response) return { response: paging, credits: 1 };
      const all = ctx.state.store.list(def.apiName);
      const start = (paging.page - 1) * paging.perPage;
      if (start >= 2000) {
        return {
          response: zohoError(400, 'LIMIT_REACHED', 'page limit reached; use page_token', { limit: 2000 }),
          credits: 1,
        };
      }
      const page = all.slice(start, start + paging.perPage);
      if (page.length === 0) return { response: noContent(), credits: 1 };
      return {
        response: json(200, {
          data: page.map((r) => project(r.data, fields)),
          info: {
            per_page: paging.perPage,
            count: page.length,
            page: paging.page,
            more_records: all.length > start + paging.perPage,
          },
        }),
        credits: 1,
      };
    },
  };
}

function getRoute(def: ModuleDef, id: string): Route {
  return {
    scopes: [moduleScope(def, 'READ')],
    run: ({ ctx }) => {
      const rec = ctx.state.store.find(def.apiName, id);
      if (!rec) return { response: noContent(), credits: 1 };
      return {
        response: json(200, { data: [project(rec.data, readFields(ctx.url.searchParams))] }),
        credits: 1,
      };
    },
  };
}

function insertRoute(def: ModuleDef): Route {
  return {
    writes: true,
    scopes: [moduleScope(def, 'CREATE')],
    run: async (call) => {
      const { ctx, user } = call;
      const body = await readWriteBody(ctx.request);
      if (body instanceof Response) return { response: body, credits: 1 };
      return bulk(call, body.data.length, () => insertRecords({ state: ctx.state, def, user }, body.data));
    },
  };
}

function upsertRoute(def: ModuleDef): Route {
  return {
    writes: true,
    scopes: [moduleScope(def, 'CREATE')],
    run: async (call) => {
      const { ctx, user } = call;
      const body = await readWriteBody(ctx.request);
      if (body instanceof Response) return { response: body, credits: 1 };
      return bulk(call, body.data.length, () =>
        upsertRecords({ state: ctx.state, def, user }, body.body, body.data),
      );
    },
  };
}

function updateRoute(def: ModuleDef, id: string | undefined): Route {
  return {
    writes: true,
    scopes: [moduleScope(def, 'UPDATE')],
    run: async (call) => {
      const { ctx, user } = call;
      const body = await readWriteBody(ctx.request);
      if (body instanceof Response) return { response: body, credits: 1 };
      if (id !== undefined && body.data.length !== 1) {
        return {
          response: zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, { api_name: 'data', limit: 1 }),
          credits: 1,
        };
      }
      return bulk(call, body.data.length, () =>
        updateRecords({ state: ctx.state, def, user }, body.data, id),
      );
    },
  };
}

function deleteRoute(def: ModuleDef, id: string | undefined): Route {
  return {
    writes: true,
    scopes: [moduleScope(def, 'DELETE')],
    run: ({ ctx }) => {
      const ids =
        id !== undefined ? [id] : (ctx.url.searchParams.get('ids') ?? '').split(',').filter(Boolean);
      if (ids.length === 0) {
        return {
          response: zohoError(400, 'REQUIRED_PARAM_MISSING', MESSAGES.REQUIRED_PARAM_MISSING, {
            param_name: 'ids',
          }),
          credits: 1,
        };
      }
      if (ids.length > 100) {
        return {
          response: zohoError(400, 'LIMIT_EXCEEDED', MESSAGES.LIMIT_EXCEEDED, {
            param_name: 'ids',
            limit: 100,
          }),
          credits: 1,
        };
      }
      const data = ids.map((rid) => {
        const rec = ctx.state.store.find(def.apiName, rid);
        if (!rec)
          return {
            code: 'INVALID_DATA',
            details: { id: rid },
            message: 'record not deleted',
            status: 'error',
          };
        ctx.state.store.remove(rec);
        return { code: 'SUCCESS', details: { id: rid }, message: 'record deleted', status: 'success' };
      });
      const ok = data.filter((d) => d.status === 'success').length;
      const status = ok === data.length ? 200 : ok === 0 ? 400 : 207;
      return { response: json(status, { data }), credits: 1 };
    },
  };
}

function relatedNotesRoute(def: ModuleDef, id: string): Route {
  return {
    scopes: [need('ZohoCRM', 'modules.notes', 'READ'), moduleScope(def, 'READ')],
    run: ({ ctx }) => {
      const notes = ctx.state.store
        .list('Notes')
        .filter((n) => (n.data.Parent_Id as { id?: string } | undefined)?.id === id);
      if (!ctx.state.store.find(def.apiName, id) || notes.length === 0)
        return { response: noContent(), credits: 1 };
      return {
        response: json(200, {
          data: notes.map((n) => project(n.data, readFields(ctx.url.searchParams))),
          info: { per_page: 200, count: notes.length, page: 1, more_records: false },
        }),
        credits: 1,
      };
    },
  };
}

function nestedNotesRoute(def: ModuleDef, id: string): Route {
  return {
    writes: true,
    scopes: [need('ZohoCRM', 'modules.notes', 'CREATE'), moduleScope(def, 'READ')],
    run: async (call) => {
      const { ctx, user } = call;
      const parent = ctx.state.store.find(def.apiName, id);
      if (!parent) {
        return {
          response: zohoError(400, 'INVALID_DATA', MESSAGES.RELATED_ID_INVALID, {
            id,
            resource_path_index: 1,
          }),
          credits: 1,
        };
      }
      const body = await readWriteBody(ctx.request);
      if (body instanceof Response) return { response: body, credits: 1 };
      const notes = ctx.state.org.moduleDef('Notes');
      return bulk(call, body.data.length, () =>
        insertRecords({ state: ctx.state, def: notes, user }, body.data, parent),
      );
    },
  };
}

// --- Helpers ---

/** 429 `TOO_MANY_REQUESTS`. Zoho's body does not say which limit was hit (docs/zoho-facts.md §10 Q5); neither does this. */
function tooManyRequests(state: EmulatorStateImpl, retryAfterSeconds: number): Response {
  const headers: Record<string, string> = state.options.retryAfter
    ? { 'retry-after': String(retryAfterSeconds) }
    : {};
  return zohoError(429, 'TOO_MANY_REQUESTS', MESSAGES.TOO_MANY_REQUESTS, {}, headers);
}

/** Zoho's refusal of an operation a module does not offer (see docs/testing.md for the choice of code). */
function upsertNotSupported(): Response {
  return zohoError(400, 'NOT_SUPPORTED', MESSAGES.NOT_SUPPORTED, {
    resource_path_index: 0,
    operation: 'upsert',
  });
}

function invalidUrl(): Response {
  return zohoError(404, 'INVALID_URL_PATTERN', MESSAGES.INVALID_URL_PATTERN);
}

function badMethod(): Response {
  return zohoError(400, 'INVALID_REQUEST_METHOD', MESSAGES.INVALID_REQUEST_METHOD);
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
