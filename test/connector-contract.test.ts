import { afterEach, describe, expect, it, vi } from 'vitest';
import { ZohoCrmConnector } from '../src/connector.js';
import { ConfigError, ErrorCode, isZohoCrmError } from '../src/errors.js';
import { parseCallback } from '../src/oauth/callback.js';
import { regionFromCallback } from '../src/regions.js';
import { createMemoryStore } from '../src/stores/memory.js';

/**
 * The connector's public contract at its edges: after `close()` every method refuses with
 * CONNECTOR_CLOSED; a bad argument is a typed ConfigError before anything else happens; a
 * promise-returning method rejects, it never throws synchronously.
 */
const open: ZohoCrmConnector[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((zoho) => zoho.close()));
});

function connector() {
  const fetch = vi.fn<typeof globalThis.fetch>(() => Promise.reject(new Error('no request expected')));
  const zoho = new ZohoCrmConnector({
    connectionId: 't1',
    clientId: '1000.CLIENT',
    clientSecret: 'client-secret-for-tests',
    redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
    tokenStore: createMemoryStore(),
    fetch,
  });
  open.push(zoho);
  return { zoho, fetch };
}

/** Valid arguments per method, so that a method without the guard would run rather than fail on input. */
const VALID_ARGS: Record<string, unknown[]> = {
  handleCallback: ['https://pbx.example.com/api/auth/callback/zoho?code=1000.x&state=s'],
  lookupCaller: ['+14155552671'],
  searchDirectory: ['smith'],
  logCall: [
    {
      id: 'pbx-1',
      direction: 'inbound',
      trunk: true,
      from: '+14155552671',
      to: '+14155550100',
      startedAt: '2026-11-24T09:00:00Z',
      endedAt: '2026-11-24T09:01:00Z',
      status: 'missed',
    },
  ],
  addCallNote: ['pbx-1', 'a note'],
  attachToCall: ['pbx-1', { recording: { url: 'https://pbx.example.com/rec/1.wav' } }],
  retryDeadLetter: ['op-1'],
  createRecord: [{ phone: '+14155552671', lastName: 'Doe' }],
  invalidate: ['+14155552671'],
  importCalls: [[]],
  request: [{ method: 'GET', path: '/crm/v8/Deals' }],
  watchChanges: [{ notifyUrl: 'https://pbx.example.com/zoho/notify', channelToken: 'token' }],
  handleNotification: [
    { module: 'Contacts', ids: ['1'], operation: 'delete', channel_id: '1', token: 'token' },
    { channelToken: 'token' },
  ],
  on: ['lookup', () => undefined],
  off: ['lookup', () => undefined],
};

/** Every method on the prototype (getters such as `region` are not methods). */
function publicMethods(): string[] {
  return Object.entries(Object.getOwnPropertyDescriptors(ZohoCrmConnector.prototype))
    .filter(([name, descriptor]) => name !== 'constructor' && typeof descriptor.value === 'function')
    .map(([name]) => name);
}

async function outcome(run: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    return { threw: error };
  }
  if (result instanceof Promise)
    return result.then(
      (value) => ({ value }),
      (error) => ({ rejected: error }),
    );
  return { value: result };
}

describe('after close()', () => {
  it('finds the methods to check (the list is not empty by accident)', () => {
    expect(publicMethods()).toEqual(
      expect.arrayContaining(['lookupCaller', 'flush', 'revoke', 'on', 'close']),
    );
  });

  it.each(publicMethods().filter((name) => name !== 'close'))(
    '%s refuses with CONNECTOR_CLOSED and makes no request',
    async (name) => {
      const { zoho, fetch } = connector();
      await zoho.close();
      const method = (zoho as unknown as Record<string, (...args: unknown[]) => unknown>)[name];
      const result = await outcome(() => method?.apply(zoho, VALID_ARGS[name] ?? []));
      const error =
        (result as { rejected?: unknown; threw?: unknown }).rejected ?? (result as { threw?: unknown }).threw;
      expect(isZohoCrmError(error) && error.code).toBe(ErrorCode.CONNECTOR_CLOSED);
      // A method that returns a promise rejects; only the synchronous on/off throw.
      if (name === 'on' || name === 'off') expect(result).toHaveProperty('threw');
      else expect(result).toHaveProperty('rejected');
      expect(fetch).not.toHaveBeenCalled();
    },
  );

  it('close() itself stays safe to call again, and so does an unsubscribe function from on()', async () => {
    const { zoho } = connector();
    const off = zoho.on('lookup', () => undefined);
    await zoho.close();
    await expect(zoho.close()).resolves.toBeUndefined();
    expect(() => off()).not.toThrow();
  });
});

const ODD_VALUES: [string, unknown][] = [
  ['a number', 4155552671],
  ['null', null],
  ['undefined', undefined],
  ['an object', { number: '+14155552671' }],
  ['a bigint', 14155552671n],
  ['a symbol', Symbol('number')],
];

async function configErrorOf(promise: () => Promise<unknown>): Promise<ConfigError> {
  let pending: Promise<unknown>;
  try {
    pending = promise();
  } catch (error) {
    throw new Error(`threw synchronously instead of rejecting: ${String(error)}`);
  }
  const error = await pending.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

describe('bad arguments are a typed ConfigError, before any request', () => {
  it.each(ODD_VALUES)('lookupCaller(%s)', async (_label, value) => {
    const { zoho, fetch } = connector();
    const events: unknown[] = [];
    zoho.on('lookup', (event) => events.push(event));
    const error = await configErrorOf(() => zoho.lookupCaller(value as string));
    expect(error.issues).toEqual([{ path: 'number', message: expect.stringContaining('must be a string') }]);
    expect(fetch).not.toHaveBeenCalled();
    expect(events).toEqual([]);
  });

  it.each([
    ['timeoutMs 0', { timeoutMs: 0 }, 'options.timeoutMs'],
    ['timeoutMs NaN', { timeoutMs: Number.NaN }, 'options.timeoutMs'],
    ['timeoutMs as a string', { timeoutMs: '100' }, 'options.timeoutMs'],
    ['timeoutMs above the maximum', { timeoutMs: 60_001 }, 'options.timeoutMs'],
    ['a signal that is not an AbortSignal', { signal: {} }, 'options.signal'],
    ['an unknown key', { timeout: 100 }, 'options'],
    ['options as null', null, 'options'],
    ['options as a string', 'fast', 'options'],
  ])('lookupCaller options: %s', async (_label, options, path) => {
    const { zoho, fetch } = connector();
    const error = await configErrorOf(() => zoho.lookupCaller('+14155552671', options as never));
    expect(error.issues.map((issue) => issue.path)).toEqual([path]);
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each(ODD_VALUES)('watchChanges(%s) and handleNotification(body, %s)', async (_label, value) => {
    const { zoho, fetch } = connector();
    await configErrorOf(() => zoho.watchChanges(value as never));
    const body = { module: 'Contacts', ids: ['1'], operation: 'delete', channel_id: '1', token: 't' };
    if (value !== undefined) await configErrorOf(() => zoho.handleNotification(body, value as never));
    await configErrorOf(() => zoho.handleNotification(body, { channelToken: value as never }));
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each(ODD_VALUES)('searchDirectory(%s)', async (_label, value) => {
    const { zoho, fetch } = connector();
    const error = await configErrorOf(() => zoho.searchDirectory(value as string));
    expect(error.issues).toEqual([{ path: 'query', message: expect.stringContaining('must be a string') }]);
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each([
    ['0', 0],
    ['-1', -1],
    ['1.5', 1.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ["'10'", '10'],
    ['10n', 10n],
    ['Symbol()', Symbol('limit')],
    ['null', null],
    ['201 (over the maximum)', 201],
  ])('searchDirectory limit %s', async (_label, limit) => {
    const { zoho, fetch } = connector();
    const error = await configErrorOf(() => zoho.searchDirectory('smith', { limit } as never));
    expect(error.issues).toEqual([
      { path: 'options.limit', message: expect.stringContaining('must be an integer from 1 to 200') },
    ]);
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each([
    ['a signal that is not an AbortSignal', { signal: 'stop' }, 'options.signal'],
    ['an unknown key', { limt: 5 }, 'options'],
    ['options as null', null, 'options'],
    ['options as a number', 5, 'options'],
  ])('searchDirectory options: %s', async (_label, options, path) => {
    const { zoho, fetch } = connector();
    const error = await configErrorOf(() => zoho.searchDirectory('smith', options as never));
    expect(error.issues.map((issue) => issue.path)).toEqual([path]);
    expect(fetch).not.toHaveBeenCalled();
  });

  it('searchDirectory accepts the bounds of limit (1 and 200): they reach the request', async () => {
    const { zoho, fetch } = connector();
    for (const limit of [1, 200]) {
      const error = await zoho.searchDirectory('smith', { limit }).catch((e: unknown) => e);
      expect(error).not.toBeInstanceOf(ConfigError);
      expect(isZohoCrmError(error) && error.code).toBe(ErrorCode.AUTH_NOT_CONNECTED);
    }
    expect(fetch).not.toHaveBeenCalled(); // not authorized: refused before the network, but past validation
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an array', ['code=1']],
  ])('handleCallback(%s)', async (_label, value) => {
    const { zoho, fetch } = connector();
    const error = await configErrorOf(() => zoho.handleCallback(value as never));
    expect(error.issues.map((issue) => issue.path)).toEqual(['callback']);
    expect(fetch).not.toHaveBeenCalled();
  });

  it.each(ODD_VALUES)('retryDeadLetter(%s)', async (_label, value) => {
    const { zoho } = connector();
    const error = await configErrorOf(() => zoho.retryDeadLetter(value as string));
    expect(error.issues.map((issue) => issue.path)).toEqual(['opId']);
  });

  it.each(ODD_VALUES)('addCallNote and attachToCall with a call id that is %s', async (_label, value) => {
    const { zoho } = connector();
    await configErrorOf(() => zoho.addCallNote(value as string, 'note'));
    await configErrorOf(() =>
      zoho.attachToCall(value as string, { recording: { url: 'https://pbx.example.com/r.wav' } }),
    );
  });

  it.each(ODD_VALUES)('logCall and createRecord with %s', async (_label, value) => {
    const { zoho } = connector();
    await configErrorOf(() => zoho.logCall(value as never));
    await configErrorOf(() => zoho.createRecord(value as never));
  });

  it('on/off with an unknown event or a listener that is not a function', () => {
    const { zoho } = connector();
    expect(() => zoho.on('lookups' as never, () => undefined)).toThrow(ConfigError);
    expect(() => zoho.on(Symbol('lookup') as never, () => undefined)).toThrow(ConfigError);
    expect(() => zoho.on('lookup', null as never)).toThrow(ConfigError);
    expect(() => zoho.off('lookup', 'listener' as never)).toThrow(ConfigError);
    expect(() => zoho.on('journalFailed', () => undefined)).not.toThrow();
  });
});

describe('the callback helpers share the contract', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 7],
    ['a boolean', true],
  ])('parseCallback(%s) is a ConfigError', (_label, value) => {
    expect(() => parseCallback(value as never)).toThrow(ConfigError);
  });

  it.each([
    ['null', null],
    ['undefined', undefined],
    ['a string', 'eu'],
    ['a numeric location', { location: 7 }],
    ['an object accounts server', { accountsServer: { href: 'https://accounts.zoho.eu' } }],
  ])('regionFromCallback(%s) is a ConfigError', (_label, value) => {
    expect(() => regionFromCallback(value as never)).toThrow(ConfigError);
  });

  it('regionFromCallback still takes null parameters as absent', () => {
    expect(regionFromCallback({ location: null, accountsServer: 'https://accounts.zoho.eu' }).code).toBe(
      'EU',
    );
  });
});
