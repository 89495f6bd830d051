import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ZohoCrmConnector } from '../../src/connector.js';
import { AuthError, ErrorCode, isZohoCrmError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import type { ChangeWatchEvent } from '../../src/notifications/change-watch.js';
import { CHANNEL_TTL_MS } from '../../src/notifications/watch-request.js';
import { DEFAULT_SCOPES, NOTIFICATION_SCOPES } from '../../src/oauth/scopes.js';
import type { ConnectorOptions } from '../../src/options.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { FAKE_TIME, until } from '../helpers/time.js';
import { authorize, closeConnectors, connectorFor, registerClient } from './helpers.js';

const TOKEN = 'channel-token-0123456789abcdef';

let emu: ZohoEmulator;
let receiver: Server;
let notifyUrl: string;
/** The connector the receiver hands notifications to, and the token it checks them against. */
const route: { zoho?: ZohoCrmConnector; token: string } = { token: TOKEN };

beforeAll(async () => {
  // The emulator reads Date at call time, so faking Date moves its clock with the connector's.
  emu = await startZohoEmulator({
    autoConsent: true,
    edition: 'Enterprise',
    now: () => Date.now(),
    oauthLimits: { grantCodesPerWindow: 1_000, refreshTokensPerUser: 1_000, accessTokensPerWindow: 1_000 },
  });
  registerClient(emu);
  // The host's notify route: the body to handleNotification, 204, or 403/400 for what it refuses.
  receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    try {
      await route.zoho?.handleNotification(Buffer.concat(chunks).toString('utf8'), {
        channelToken: route.token,
      });
      res.writeHead(204).end();
    } catch (error) {
      const denied = isZohoCrmError(error) && error.code === ErrorCode.NOTIFICATION_TOKEN_MISMATCH;
      res.writeHead(denied ? 403 : 400).end();
    }
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  notifyUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/zoho/notify`;
});
afterEach(async () => {
  await closeConnectors();
  vi.useRealTimers();
  route.zoho = undefined;
  route.token = TOKEN;
  emu.reset();
  registerClient(emu);
});
afterAll(async () => {
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await emu.close();
});

let tenant = 0;
async function connector(options: Partial<ConnectorOptions> = {}) {
  const zoho = connectorFor(emu, {
    connectionId: `tenant-${++tenant}`,
    scopes: [...DEFAULT_SCOPES, ...NOTIFICATION_SCOPES],
    ...options,
  });
  await authorize(zoho);
  route.zoho = zoho;
  return zoho;
}

const zohoCalls = () => emu.stats().totalRequests;
const watchPosts = () => emu.stats().requests['POST /crm/v8/actions/watch'] ?? 0;

describe('change notifications, end to end', () => {
  it('an edited phone reaches the cache: the old number asks Zoho again, the new one (cached unknown) finds the contact', async () => {
    const [id] = emu.seed('Contacts', [
      { First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '(415) 555-2671' },
    ]);
    const zoho = await connector();
    expect((await zoho.lookupCaller('+14155552671'))?.id).toBe(id);
    expect(await zoho.lookupCaller('+14155550000')).toBeNull(); // cached as unknown
    const watch = await zoho.watchChanges({ notifyUrl, channelToken: TOKEN });
    expect(emu.notificationChannels()).toEqual([
      {
        channelId: watch.channelId,
        events: ['Contacts.all', 'Leads.all', 'Accounts.all'],
        notifyUrl,
        expiresAt: watch.expiresAt.toISOString(),
      },
    ]);
    const events: unknown[] = [];
    zoho.on('changeNotification', (e) => events.push(e));

    emu.updateRecord('Contacts', id as string, { Phone: '+1 415 555 0000' });
    const deliveries = await emu.notificationsDelivered();
    expect(deliveries).toMatchObject([{ module: 'Contacts', operation: 'update', ids: [id], status: 204 }]);
    expect(events).toEqual([
      {
        connectionId: zoho.connectionId,
        channelId: watch.channelId,
        module: 'Contacts',
        operation: 'update',
        records: 1,
        invalidated: 2,
      },
    ]);
    expect(JSON.stringify(events)).not.toContain(TOKEN);

    const before = zohoCalls();
    expect(await zoho.lookupCaller('+14155552671')).toBeNull();
    expect(zohoCalls()).toBeGreaterThan(before); // asked Zoho, not the cache
    expect((await zoho.lookupCaller('+14155550000'))?.name).toBe('Ada Lovelace');
    await watch.stop();
  });

  it('a deleted contact is forgotten; a created one replaces a cached unknown', async () => {
    const [id] = emu.seed('Contacts', [
      { First_Name: 'Grace', Last_Name: 'Hopper', Phone: '+1 212 555 0147' },
    ]);
    const zoho = await connector();
    expect((await zoho.lookupCaller('+12125550147'))?.id).toBe(id);
    expect(await zoho.lookupCaller('+12125550199')).toBeNull();
    await zoho.watchChanges({ notifyUrl, channelToken: TOKEN, modules: ['Contacts'] });

    expect(emu.deleteRecord('Contacts', id as string)).toBe(true);
    expect(await emu.notificationsDelivered()).toMatchObject([{ operation: 'delete', status: 204 }]);
    expect(await zoho.lookupCaller('+12125550147')).toBeNull();

    // Created through the API (as another integration would): the emulator notifies that too.
    const { accessToken } = emu.issueTokens();
    await fetch(`${emu.apiUrl}/crm/v8/Contacts`, {
      method: 'POST',
      headers: { authorization: `Zoho-oauthtoken ${accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ data: [{ Last_Name: 'Newcomer', Phone: '+1 212 555 0199' }] }),
    });
    expect((await emu.notificationsDelivered()).at(-1)).toMatchObject({ operation: 'insert', status: 204 });
    expect((await zoho.lookupCaller('+12125550199'))?.name).toBe('Newcomer');
  });

  it('a notification with the wrong token is refused and the cache keeps its callers', async () => {
    const [id] = emu.seed('Leads', [{ Last_Name: 'Kept', Company: 'K', Phone: '+1 646 555 0101' }]);
    const zoho = await connector();
    expect((await zoho.lookupCaller('+16465550101'))?.id).toBe(id);
    await zoho.watchChanges({ notifyUrl, channelToken: TOKEN });
    route.token = 'another-token'; // the receiver expects another channel's token
    const applied: unknown[] = [];
    zoho.on('changeNotification', (e) => applied.push(e));

    emu.updateRecord('Leads', id as string, { Phone: '+1 646 555 0102' });
    expect(await emu.notificationsDelivered()).toMatchObject([{ status: 403 }]);
    expect(applied).toEqual([]);
    const before = zohoCalls();
    expect((await zoho.lookupCaller('+16465550101'))?.id).toBe(id); // still cached
    expect(zohoCalls()).toBe(before);
    await expect(
      zoho.handleNotification(
        { module: 'Leads', ids: [id], operation: 'delete', channel_id: '1' },
        { channelToken: TOKEN },
      ),
    ).rejects.toMatchObject({ code: ErrorCode.NOTIFICATION_TOKEN_MISMATCH });
    await expect(zoho.handleNotification('{', { channelToken: TOKEN })).rejects.toMatchObject({
      code: ErrorCode.NOTIFICATION_INVALID,
    });
  });

  it('a grant without the notifications scope is refused with AUTH_SCOPE_MISMATCH, and no channel exists', async () => {
    const zoho = await connector({ scopes: [...DEFAULT_SCOPES] });
    const error = await zoho.watchChanges({ notifyUrl, channelToken: TOKEN }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: ErrorCode.AUTH_SCOPE_MISMATCH, reauthorize: true });
    expect((error as Error).message).toContain('NOTIFICATION_SCOPES');
    expect(emu.notificationChannels()).toEqual([]);
  });

  it('aborting the signal after subscribing stops the watch and disables the channel', async () => {
    const zoho = await connector();
    const controller = new AbortController();
    const watch = await zoho.watchChanges({ notifyUrl, channelToken: TOKEN, signal: controller.signal });
    expect(emu.notificationChannels()).toHaveLength(1);
    controller.abort();
    await until(() => emu.notificationChannels().length === 0, 'the channel disabled');
    expect(watch.renewsAt).toBeUndefined();
    // A module outside lookup.order changes nothing in the cache (the unknown number stays cached).
    expect(await zoho.lookupCaller('+14155550123')).toBeNull();
    await expect(
      zoho.handleNotification(
        { module: 'Deals', ids: ['1'], operation: 'insert', channel_id: watch.channelId, token: TOKEN },
        { channelToken: TOKEN },
      ),
    ).resolves.toMatchObject({ module: 'Deals', records: 1, invalidated: 0 });
  });

  it('bad options are a ConfigError and nothing is sent', async () => {
    const zoho = await connector();
    const before = zohoCalls();
    const secret = `s3cret-${'x'.repeat(60)}`;
    const refused = await zoho.watchChanges({ notifyUrl, channelToken: secret }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: ErrorCode.CONFIG_INVALID, issues: [{ path: 'channelToken' }] });
    expect(JSON.stringify(refused) + String(refused)).not.toContain(secret);
    await expect(
      zoho.watchChanges({ notifyUrl: 'http://pbx.example.com/notify', channelToken: TOKEN }),
    ).rejects.toMatchObject({ code: ErrorCode.CONFIG_INVALID, issues: [{ path: 'notifyUrl' }] });
    expect(zohoCalls()).toBe(before);
  });
});

describe('keeping the channel alive', () => {
  /** Fake timers and Date: the connector's renewal timer and both clocks move only when the test says. */
  const fakeTime = () => vi.useFakeTimers({ toFake: [...FAKE_TIME.toFake, 'Date'], now: Date.now() });
  const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

  it('renews before every expiry, so the channel never lapses; stop() disables it and renewing ends', async () => {
    fakeTime();
    const zoho = await connector({ logger: quiet });
    const renewals: ChangeWatchEvent[] = [];
    zoho.on('changeWatch', (e) => renewals.push(e));
    const watch = await zoho.watchChanges({ notifyUrl, channelToken: TOKEN });
    // Asked for CHANNEL_TTL_MS ahead, in whole seconds (Zoho's format).
    expect(watch.expiresAt.getTime() - Date.now()).toBeGreaterThan(CHANNEL_TTL_MS - 1_000);
    expect(watch.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(CHANNEL_TTL_MS);
    for (let day = 1; day <= 3; day++) {
      const renewsAt = watch.renewsAt?.getTime() as number;
      expect(renewsAt).toBeLessThan(watch.expiresAt.getTime());
      await vi.advanceTimersByTimeAsync(renewsAt - Date.now());
      expect(emu.notificationChannels()).toHaveLength(1); // still live when the renewal goes out
      await until(() => renewals.length === day, `renewal ${day}`);
      expect(renewals[day - 1]).toMatchObject({ status: 'renewed', failures: 0 });
      expect(emu.notificationChannels()[0]?.expiresAt).toBe(watch.expiresAt.toISOString());
    }
    expect(watchPosts()).toBe(4);

    await watch.stop();
    expect(emu.notificationChannels()).toEqual([]);
    await vi.advanceTimersByTimeAsync(3 * CHANNEL_TTL_MS);
    expect(watchPosts()).toBe(4);
    expect(watch.renewsAt).toBeUndefined();
  });

  it('a failed renewal is logged, sent as an event and retried with backoff until Zoho takes it', async () => {
    fakeTime();
    const warnings: string[] = [];
    const logger: Logger = { ...quiet, warn: (_f, message) => warnings.push(message) };
    const zoho = await connector({ logger, http: { retries: 0 } });
    const events: ChangeWatchEvent[] = [];
    zoho.on('changeWatch', (e) => events.push(e));
    const watch = await zoho.watchChanges({ notifyUrl, channelToken: TOKEN });
    const expiresAt = watch.expiresAt.getTime();

    emu.faults({ status: 500, target: 'api' });
    await vi.advanceTimersByTimeAsync((watch.renewsAt?.getTime() as number) - Date.now());
    await until(() => events.length === 1, 'the failed renewal');
    expect(events[0]).toMatchObject({ status: 'renewalFailed', failures: 1, retryInMs: 30_000 });
    expect(events[0]?.error?.code).toBe(ErrorCode.ZOHO_API);
    expect(warnings).toContain('renewing the zoho change-notification channel failed, retrying');

    await vi.advanceTimersByTimeAsync(30_000);
    await until(() => events.length === 2, 'the second failure');
    expect(events[1]).toMatchObject({ status: 'renewalFailed', failures: 2, retryInMs: 60_000 });

    emu.faults(null);
    await vi.advanceTimersByTimeAsync(60_000);
    await until(() => events.length === 3, 'the renewal');
    expect(events[2]).toMatchObject({ status: 'renewed', failures: 0 });
    expect(watch.expiresAt.getTime()).toBeGreaterThan(expiresAt);
    expect(emu.notificationChannels()).toHaveLength(1);
  });

  it('close() stops renewing; the channel then lapses at its expiry on the emulator clock', async () => {
    fakeTime();
    const zoho = await connector({ logger: quiet });
    const watch = await zoho.watchChanges({ notifyUrl, channelToken: TOKEN });
    await zoho.close();
    await vi.advanceTimersByTimeAsync(watch.expiresAt.getTime() - Date.now() - 1);
    expect(emu.notificationChannels()).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(emu.notificationChannels()).toEqual([]);
    expect(watchPosts()).toBe(1);
  });
});
