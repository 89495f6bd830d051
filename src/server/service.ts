/**
 * The PBX service: the whole connector behind a few HTTP routes, for phone systems that are not written
 * in Node (PortSIP, 3CX, FreePBX/Asterisk, FreeSWITCH) and for hosts that want it ready-made. A
 * Web-standard `fetch(Request) → Response` handler, so it runs on Node, Bun, Deno and Workers.
 *
 * @module
 */
import * as z from 'zod/mini';
import type { ZohoCrmConnector } from '../connector.js';
import { ErrorCode, ZohoCrmError } from '../errors.js';
import type { Logger } from '../logger.js';
import { configErrorFromIssues } from '../options.js';
import { type ConnectorRegistry, isUnknownTenantError } from '../registry/registry.js';
import { assertTenantId, type ResolvedTenantSettings } from '../registry/tenant-settings.js';
import type { SettingsStore } from '../stores/settings-types.js';
import { createAdminHandler } from './admin/handler.js';
import { createAdminSessions } from './admin/session.js';
import { createApiKeyCheck, createSecretCheck } from './api-keys.js';
import { errorResponse, json, page, readJson, responseForError, statusOf } from './http.js';
import type { ListeningServer, ListenOptions } from './listen.js';
import { createMetrics } from './metrics.js';
import { watch } from './observe.js';
import { matchTemplate, mergeSettings, TENANT_ROUTES, visibleSettings } from './routes.js';

/**
 * Options of {@link createPbxService}.
 * @example
 * ```ts
 * const options: PbxServiceOptions = {
 *   registry: zohos,
 *   apiKeys: (process.env.PBX_API_KEY ?? '').split(','),
 *   settingsStore,
 * };
 * ```
 * @group Server
 */
export interface PbxServiceOptions {
  /** The tenants' connectors (see `createConnectorRegistry`). */
  registry: ConnectorRegistry;
  /**
   * Keys accepted as `Authorization: Bearer <key>` on every `/v1` route and `/metrics`; several at once
   * for rotation. At least 24 characters each.
   */
  apiKeys: readonly string[];
  /** Where the tenants' settings live: tells unknown tenants (404) and backs the settings routes. */
  settingsStore: SettingsStore;
  /**
   * Largest request body accepted, in bytes; a larger one is refused with 413 before it is read whole.
   * @default 262144 (256 KiB)
   */
  maxBodyBytes?: number;
  /** pino-compatible logger (requests that failed on the service's side are logged, redacted). */
  logger?: Logger;
  /** Per-tenant labels on the counters. */
  metrics?: {
    /** Add a `tenant` label to the lookup and journal counters. @default false */
    perTenant?: boolean;
    /** Tenants labelled by name at most; the rest count as `other`. @default 100 */
    maxTenants?: number;
  };
  /**
   * The admin page's login password (at least 12 characters). Without it the page accepts an API key.
   */
  adminPassword?: string;
  /**
   * Signs the admin page's session cookies; give every node of a cluster the same one (at least 32
   * characters). Defaults to a random secret per process (sessions then end when it restarts).
   */
  sessionSecret?: string;
  /**
   * How long an admin session lasts, in ms.
   * @default 28800000 (8 hours)
   */
  sessionTtlMs?: number;
  /**
   * Browsers reach the service over https (usually through a TLS proxy): the admin session cookie is
   * then `Secure` and named `__Host-zcc_admin`. `serve` sets it from `--public-url`.
   * @default false
   */
  secureCookies?: boolean;
  /** Clock (tests). @default Date.now */
  now?: () => number;
}

/**
 * A running PBX service; see {@link createPbxService}.
 * @group Server
 */
export interface PbxService {
  /** Answers one request (Web-standard): mount it in any Fetch-API server. */
  fetch(request: Request): Promise<Response>;
  /** Prometheus text of the service's counters (also served at `GET /metrics`). */
  metrics(): string;
  /**
   * Serves {@link PbxService.fetch} with node:http (Node only), on 127.0.0.1:8787 unless told otherwise.
   * @example
   * ```ts
   * const server = await service.listen({ port: 8787 });
   * process.on('SIGTERM', () => void server.close());
   * ```
   */
  listen(options?: ListenOptions): Promise<ListeningServer>;
}

const optionsSchema = z.object({
  registry: z.custom<ConnectorRegistry>(
    (v) => typeof v === 'object' && v !== null && typeof (v as ConnectorRegistry).get === 'function',
    'must be a connector registry (createConnectorRegistry)',
  ),
  apiKeys: z
    .array(z.string().check(z.minLength(24, 'must be at least 24 characters')))
    .check(z.minLength(1, 'needs at least one key')),
  settingsStore: z.custom<SettingsStore>(
    (v) =>
      typeof v === 'object' &&
      v !== null &&
      ['get', 'set', 'delete', 'list'].every((m) => typeof (v as never)[m] === 'function'),
    'must implement get, set, delete and list',
  ),
  maxBodyBytes: z.optional(z.number().check(z.int(), z.gte(1024), z.lte(16 * 1024 * 1024))),
  metrics: z.optional(
    z.object({
      perTenant: z.optional(z.boolean()),
      maxTenants: z.optional(z.number().check(z.int(), z.positive())),
    }),
  ),
  adminPassword: z.optional(z.string().check(z.minLength(12, 'must be at least 12 characters'))),
  sessionSecret: z.optional(z.string().check(z.minLength(32, 'must be at least 32 characters'))),
  sessionTtlMs: z.optional(z.number().check(z.int(), z.gte(60_000), z.lte(30 * 86_400_000))),
});

const TENANT_PREFIX = /^\/v1\/tenants\/([^/]+)(\/.*)$/;

/**
 * Creates the PBX service over a connector registry.
 * @throws `ConfigError` naming every bad option (never a value).
 * @example
 * ```ts
 * import { createConnectorRegistry, createMemorySettingsStore, createMemoryStore } from 'zoho-crm-connector';
 * import { createPbxService } from 'zoho-crm-connector/server';
 *
 * const settingsStore = createMemorySettingsStore();
 * const zohos = createConnectorRegistry({
 *   redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
 *   stateSecret: process.env.ZOHO_STATE_SECRET!,
 *   tokenStore: createMemoryStore(),
 *   settings: (id) => settingsStore.get(id),
 * });
 * const service = createPbxService({ registry: zohos, apiKeys: [process.env.PBX_API_KEY!], settingsStore });
 * const response = await service.fetch(
 *   new Request('http://127.0.0.1:8787/v1/tenants/tenant-42/caller?number=%2B14155552671', {
 *     headers: { authorization: `Bearer ${process.env.PBX_API_KEY}` },
 *   }),
 * );
 * const { match } = await response.json();
 * ```
 * @group Server
 */
export function createPbxService(options: PbxServiceOptions): PbxService {
  const checked = optionsSchema.safeParse(options);
  if (!checked.success)
    throw configErrorFromIssues(checked.error.issues, options, 'createPbxService options');
  const { registry, settingsStore, logger } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 262_144;
  const authorized = createApiKeyCheck(options.apiKeys);
  const metrics = createMetrics();
  const lastErrors = watch(registry, metrics, options.metrics ?? {});
  const now = options.now ?? Date.now;
  const sessions = createAdminSessions({
    secret: options.sessionSecret
      ? new TextEncoder().encode(options.sessionSecret)
      : crypto.getRandomValues(new Uint8Array(32)),
    ttlMs: options.sessionTtlMs ?? 8 * 3_600_000,
    now,
  });
  const admin = createAdminHandler({
    registry,
    settingsStore,
    sessions,
    checkLogin: createSecretCheck(options.adminPassword ? [options.adminPassword] : options.apiKeys),
    secureCookies: options.secureCookies ?? false,
    maxBodyBytes,
    lastError: (id) => lastErrors.get(id),
    now,
  });

  // The settings a connector was built from, read once per connector (a PUT evicts it, so the next
  // connector reads them again).
  const builtFrom = new WeakMap<ZohoCrmConnector, Promise<ResolvedTenantSettings | undefined>>();
  const settingsOf = (zoho: ZohoCrmConnector, connectionId: string) => {
    let settings = builtFrom.get(zoho);
    if (!settings) {
      settings = settingsStore.get(connectionId);
      builtFrom.set(zoho, settings);
      settings.catch(() => builtFrom.delete(zoho));
    }
    return settings;
  };

  const tenant = async (
    request: Request,
    url: URL,
    rawId: string,
    rest: string,
  ): Promise<[string, Response]> => {
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(rawId);
      assertTenantId(connectionId);
    } catch {
      return [
        '/v1/tenants/{id}',
        errorResponse(400, ErrorCode.CONFIG_INVALID, 'The tenant id is not valid.'),
      ];
    }
    if (rest === '/settings') {
      const settings = await settingsStore.get(connectionId);
      const template = '/v1/tenants/{id}/settings';
      if (request.method === 'GET') {
        if (!settings) return [template, unknownTenant()];
        return [template, json({ settings: visibleSettings(settings) })];
      }
      if (request.method === 'PUT') {
        await settingsStore.set(connectionId, mergeSettings(settings, await readJson(request, maxBodyBytes)));
        await registry.evict(connectionId); // the next use builds from the new settings
        const saved = await settingsStore.get(connectionId);
        return [template, json({ settings: saved ? visibleSettings(saved) : null })];
      }
      return [template, methodNotAllowed('GET, PUT')];
    }
    for (const route of TENANT_ROUTES) {
      const params = matchTemplate(route.template, rest);
      if (!params) continue;
      const template = `/v1/tenants/{id}${route.template}`;
      if (request.method !== route.method) return [template, methodNotAllowed(route.method)];
      // No settings read per request: the registry knows the tenant once it has built its connector.
      let zoho: ZohoCrmConnector;
      try {
        zoho = await registry.get(connectionId);
      } catch (error) {
        if (isUnknownTenantError(error)) return [template, unknownTenant()];
        throw error;
      }
      const settings = () => settingsOf(zoho, connectionId);
      const connector = () => Promise.resolve(zoho);
      return [
        template,
        await route.handler({ request, url, connectionId, settings, connector, maxBodyBytes }, params),
      ];
    }
    return ['unknown', errorResponse(404, 'NOT_FOUND', 'No such route.')];
  };

  const callback = async (request: Request, url: URL): Promise<Response> => {
    try {
      const { connectionId } = await registry.handleCallback(url.toString());
      lastErrors.delete(connectionId); // authorized again: the old problem is history
      if (await sessions.read(request)) {
        // The admin pressed Authorize on the admin page: back to the tenant's form, now authorized.
        const location = `/admin?tenant=${encodeURIComponent(connectionId)}`;
        return new Response(null, { status: 303, headers: { location, 'cache-control': 'no-store' } });
      }
      return page(
        200,
        'Zoho CRM is connected',
        `Tenant ${connectionId} is authorized. You can close this window.`,
      );
    } catch (error) {
      const status = error instanceof ZohoCrmError ? statusOf(error) : 500;
      const message =
        error instanceof ZohoCrmError ? error.message : 'The authorization could not be completed.';
      return page(status, 'Zoho CRM was not connected', message);
    }
  };

  const route = async (request: Request, url: URL): Promise<[string, Response]> => {
    const path = url.pathname;
    if (path === '/healthz') return ['/healthz', json({ ok: true })];
    if (path === '/openapi.json') return [path, json((await import('./openapi.js')).openApiDocument())];
    if (path === '/api/auth/callback/zoho') {
      if (request.method !== 'GET') return [path, methodNotAllowed('GET')];
      return [path, await callback(request, url)];
    }
    if (path === '/admin' || path.startsWith('/admin/')) {
      const answer = await admin(request, url);
      if (answer) return [path.startsWith('/admin/api/') ? '/admin/api' : path, answer];
    }
    const guarded = path === '/metrics' || path.startsWith('/v1/');
    if (!guarded) return ['unknown', errorResponse(404, 'NOT_FOUND', 'No such route.')];
    if (!(await authorized(request.headers.get('authorization')))) {
      return [
        path.startsWith('/v1/') ? '/v1/*' : path,
        errorResponse(
          401,
          'UNAUTHORIZED',
          'A valid API key is required (Authorization: Bearer <key>).',
          {},
          {
            'www-authenticate': 'Bearer',
          },
        ),
      ];
    }
    if (path === '/metrics') {
      return [
        path,
        new Response(metrics.render(), { headers: { 'content-type': 'text/plain; version=0.0.4' } }),
      ];
    }
    const match = TENANT_PREFIX.exec(path);
    if (!match) return ['unknown', errorResponse(404, 'NOT_FOUND', 'No such route.')];
    return tenant(request, url, match[1] as string, match[2] as string);
  };

  const service: PbxService = {
    async fetch(request) {
      let template = 'unknown';
      let response: Response;
      try {
        [template, response] = await route(request, new URL(request.url));
      } catch (error) {
        response = responseForError(error);
        if (response.status >= 500) logger?.warn({ error, path: template }, 'a PBX service request failed');
      }
      metrics.inc('zoho_pbx_http_requests_total', { route: template, status: String(response.status) });
      return response;
    },
    metrics: () => metrics.render(),
    async listen(listenOptions) {
      const { listen } = await import('./listen.js');
      return listen((request) => service.fetch(request), listenOptions);
    },
  };
  return service;
}

function unknownTenant(): Response {
  return errorResponse(404, 'TENANT_UNKNOWN', 'No such tenant.');
}

function methodNotAllowed(allow: string): Response {
  return errorResponse(405, 'METHOD_NOT_ALLOWED', `Use ${allow}.`, {}, { allow });
}
