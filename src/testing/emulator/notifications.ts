/**
 * Zoho's Notifications API (`/crm/v8/actions/watch`): per-org channels that expire on the emulator's
 * clock, and a POST of Zoho's notification JSON to each live channel's `notify_url` for every record a
 * watched module gains, changes or loses, whether through the API, `seed()`, `updateRecord()` or
 * `deleteRecord()`. Changes made in one synchronous step (one API call) go out as one notification per
 * module and operation, as Zoho batches a bulk write's ids. Deliveries are tracked, never thrown: a
 * failure is kept in the delivery log, and `notificationsDelivered()` waits for every one sent so far.
 *
 * Documented (https://www.zoho.com/crm/developer/docs/api/v7/notifications/enable.html): `channel_expiry`
 * at most a week ahead, else (or when missing) one hour; `token` at most 50 characters (`INVALID_DATA`);
 * `channel_id`, `events`, `notify_url` mandatory (`MANDATORY_NOT_FOUND`). Not documented: the statuses (200).
 * @internal
 * @module
 */
import { createPendingWork } from '../../pending-work.js';
import { REGIONS, type RegionCode } from '../../regions.js';
import type { ApiContext } from './crm.js';
import { findModule } from './modules.js';
import type { Org } from './org.js';
import { json, MESSAGES, noContent, zohoError } from './responses.js';
import { need, type ScopeRequirement } from './scopes.js';
import { formatZohoDateTime, parseZohoDateTime } from './time.js';
import type { EmulatorModule, EmulatorNotificationChannel, NotificationDelivery } from './types.js';

/** What happened to a record. */
export type RecordChange = 'insert' | 'update' | 'delete';

const HOUR_MS = 3_600_000;
const MAX_EXPIRY_MS = 7 * 24 * HOUR_MS;
const LOG_SIZE = 1_000;
const EVENT_OPERATION: Record<RecordChange, string> = { insert: 'create', update: 'edit', delete: 'delete' };

interface Channel {
  channelId: string;
  events: string[];
  notifyUrl: string;
  token: string | undefined;
  expiresAt: number;
}

/** Channels, pending batches and deliveries of one org. */
export class Notifications {
  private readonly channels = new Map<string, Channel>();
  private readonly pending = new Map<
    string,
    { module: EmulatorModule; operation: RecordChange; ids: string[] }
  >();
  private readonly inflight = createPendingWork();
  private readonly log: NotificationDelivery[] = [];
  private flushQueued = false;

  private readonly apiDomain: string;

  constructor(
    private readonly org: Org,
    dataCenter: RegionCode,
    private readonly now: () => number,
    /** Zoho writes date-times in the user's time zone (an answer's `channel_expiry` too). */
    private readonly timeZone = 'UTC',
  ) {
    this.apiDomain = REGIONS[dataCenter].apiDomain;
  }

  /** Notes a record change; it goes out at the end of the current synchronous step. */
  recordChanged(module: EmulatorModule, operation: RecordChange, id: string): void {
    if (this.channels.size === 0) return;
    const key = `${module}|${operation}`;
    const batch = this.pending.get(key) ?? { module, operation, ids: [] };
    batch.ids.push(id);
    this.pending.set(key, batch);
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Waits until every notification sent so far was answered or failed; returns the delivery log. */
  async delivered(): Promise<NotificationDelivery[]> {
    this.flush();
    await this.inflight.settled();
    return this.log.map((entry) => ({ ...entry, ids: [...entry.ids] }));
  }

  /** The live channels (expired ones are dropped). */
  list(): EmulatorNotificationChannel[] {
    return this.live().map(({ channelId, events, notifyUrl, expiresAt }) => {
      return { channelId, events: [...events], notifyUrl, expiresAt: new Date(expiresAt).toISOString() };
    });
  }

  /** The route of `/actions/watch` for a method: the scope it needs and its handler. */
  route(
    method: string,
  ): { scopes: ScopeRequirement[]; run: (ctx: ApiContext) => Promise<Response> } | undefined {
    const op = { POST: 'CREATE', PUT: 'UPDATE', PATCH: 'UPDATE', GET: 'READ', DELETE: 'DELETE' } as const;
    const needed = op[method as keyof typeof op];
    if (!needed) return undefined;
    const scopes = [need('ZohoCRM', 'notifications', needed)];
    if (method === 'GET') return { scopes, run: async () => this.listAnswer() };
    if (method === 'DELETE') return { scopes, run: async (ctx) => this.disable(ctx.url) };
    return { scopes, run: (ctx) => this.enable(ctx, method) };
  }

  // --- Internal helpers ---

  private live(): Channel[] {
    const now = this.now();
    for (const [id, c] of this.channels) if (c.expiresAt <= now) this.channels.delete(id);
    return [...this.channels.values()];
  }

  private async enable(ctx: ApiContext, method: string): Promise<Response> {
    let body: unknown;
    try {
      body = JSON.parse(await ctx.request.text());
    } catch {
      return zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, { reason: 'the body is not valid JSON' });
    }
    const watch = (body as { watch?: unknown } | null)?.watch;
    if (!Array.isArray(watch) || watch.length === 0) {
      return zohoError(400, 'MANDATORY_NOT_FOUND', MESSAGES.MANDATORY_NOT_FOUND, { api_name: 'watch' });
    }
    const answers = [];
    for (const item of watch as Record<string, unknown>[]) {
      const existing = this.live().find((c) => c.channelId === String(item?.channel_id ?? ''));
      // PATCH keeps what is not given; POST and PUT replace the channel.
      const merged = method === 'PATCH' && existing ? { ...toInput(existing), ...item } : item;
      const checked = this.check(merged, method !== 'POST' && !existing);
      if (checked instanceof Response) return checked;
      this.channels.set(checked.channelId, checked);
      answers.push({
        code: 'SUCCESS',
        details: {
          events: this.resources(checked).map((r) => ({
            channel_expiry: formatZohoDateTime(checked.expiresAt, this.timeZone),
            ...r,
          })),
        },
        message: 'Successfully subscribed for actions-watch of the given module',
        status: 'success',
      });
    }
    return json(200, { watch: answers });
  }

  private check(item: Record<string, unknown>, unknownChannel: boolean): Channel | Response {
    const { channel_id: id, events, notify_url: notifyUrl, token, channel_expiry: expiry } = item;
    for (const [name, value] of Object.entries({ channel_id: id, events, notify_url: notifyUrl })) {
      if (value === undefined || value === null || value === '')
        return zohoError(400, 'MANDATORY_NOT_FOUND', MESSAGES.MANDATORY_NOT_FOUND, { api_name: name });
    }
    const invalid = (apiName: string) =>
      zohoError(400, 'INVALID_DATA', MESSAGES.INVALID_DATA, { api_name: apiName });
    if (unknownChannel || !/^\d{1,19}$/.test(String(id))) return invalid('channel_id');
    if (typeof notifyUrl !== 'string' || !URL.canParse(notifyUrl)) return invalid('notify_url');
    if (token !== undefined && (typeof token !== 'string' || token.length > 50)) return invalid('token');
    const canonical = Array.isArray(events) ? events.map((e) => this.canonicalEvent(e)) : [];
    if (canonical.length === 0 || canonical.some((e) => e === undefined)) return invalid('events');
    const now = this.now();
    // Zoho's date-time form (`yyyy-MM-ddTHH:mm:ss±HH:mm`): no milliseconds, an offset (docs/zoho-facts.md §4.2).
    const asked = typeof expiry === 'string' ? (parseZohoDateTime(expiry) ?? Number.NaN) : Number.NaN;
    if (expiry !== undefined && (!Number.isFinite(asked) || asked <= now)) return invalid('channel_expiry');
    const expiresAt = Number.isFinite(asked) && asked - now <= MAX_EXPIRY_MS ? asked : now + HOUR_MS;
    return {
      channelId: String(id),
      events: canonical as string[],
      notifyUrl,
      token: token as string,
      expiresAt,
    };
  }

  /** `Contacts.all` from `contacts.all`; undefined for an unknown module or operation. */
  private canonicalEvent(event: unknown): string | undefined {
    const [module, operation, ...rest] = String(event).split('.');
    const def = findModule(this.org.modules, module ?? '');
    const known = ['all', 'create', 'edit', 'delete'].includes(operation ?? '');
    return def && known && rest.length === 0 ? `${def.apiName}.${operation}` : undefined;
  }

  /** `resource_uri`, `resource_id` and `resource_name` of each module a channel watches. */
  private resources(c: Channel) {
    const modules = [...new Set(c.events.map((e) => e.split('.')[0] as EmulatorModule))];
    return modules.map((m) => ({
      resource_uri: `${this.apiDomain}/crm/v8/${m}`,
      resource_id: this.org.moduleDef(m).id,
      resource_name: m,
      channel_id: c.channelId,
    }));
  }

  private listAnswer(): Response {
    const live = this.live();
    if (live.length === 0) return noContent();
    return json(200, {
      watch: live.map((c) => ({
        channel_id: c.channelId,
        events: this.resources(c).map(({ channel_id: _id, ...resource }) => resource),
        channel_expiry: formatZohoDateTime(c.expiresAt, this.timeZone),
        notify_url: c.notifyUrl,
      })),
    });
  }

  private disable(url: URL): Response {
    const param = url.searchParams.get('channel_ids');
    if (!param) {
      return zohoError(400, 'REQUIRED_PARAM_MISSING', MESSAGES.REQUIRED_PARAM_MISSING, {
        param_name: 'channel_ids',
      });
    }
    const watch = param.split(',').map((id) => {
      const c = this.channels.get(id.trim());
      this.channels.delete(id.trim());
      return c
        ? {
            code: 'SUCCESS',
            details: { channel_id: c.channelId, resources: this.resources(c) },
            message: 'Successfully unsubscribed from actions-watch',
            status: 'success',
          }
        : {
            code: 'INVALID_DATA',
            details: { channel_id: id.trim() },
            message: MESSAGES.INVALID_DATA,
            status: 'error',
          };
    });
    return json(200, { watch });
  }

  private flush(): void {
    this.flushQueued = false;
    const batches = [...this.pending.values()];
    this.pending.clear();
    for (const batch of batches) {
      for (const c of this.live()) {
        const wanted = c.events.some(
          (e) => e === `${batch.module}.all` || e === `${batch.module}.${EVENT_OPERATION[batch.operation]}`,
        );
        if (wanted) this.deliver(c, batch);
      }
    }
  }

  private deliver(
    c: Channel,
    batch: { module: EmulatorModule; operation: RecordChange; ids: string[] },
  ): void {
    const url = new URL(c.notifyUrl);
    const body = {
      server_time: this.now(),
      query_params: Object.fromEntries(url.searchParams),
      module: batch.module,
      resource_uri: `${this.apiDomain}/crm/v8/${batch.module}`,
      ids: [...batch.ids],
      affected_fields: [],
      operation: batch.operation,
      channel_id: c.channelId,
      ...(c.token === undefined ? {} : { token: c.token }),
    };
    const entry: NotificationDelivery = {
      time: iso(this.now()),
      channelId: c.channelId,
      notifyUrl: `${url.origin}${url.pathname}`,
      module: batch.module,
      operation: batch.operation,
      ids: [...batch.ids],
      status: 0,
    };
    const work = (async () => {
      try {
        const response = await fetch(c.notifyUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'Zoho CRM Notification (emulator)' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        entry.status = response.status;
      } catch (error) {
        entry.error = error instanceof Error ? error.message : String(error);
      }
      this.log.push(entry);
      if (this.log.length > LOG_SIZE) this.log.shift();
    })();
    this.inflight.track(work);
  }
}

function toInput(c: Channel): Record<string, unknown> {
  return {
    channel_id: c.channelId,
    events: c.events,
    notify_url: c.notifyUrl,
    token: c.token,
    channel_expiry: iso(c.expiresAt),
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
