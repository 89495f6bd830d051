/**
 * Property suite over every ZohoCrmConnector method, authorized against the emulator: hostile
 * arguments never hang (each call is bounded), never pollute a prototype, and fail only with a typed
 * ZohoCrmError or answer a documented null/false. `revoke()` runs last, once.
 */
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ZohoCrmConnector } from '../../src/connector.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/index.js';
import { authorize, connectorFor, registerClient } from '../integration/helpers.js';
import { anyText, anyValue, expectNoPollution, expectTyped, RUNS, settle } from './arbitraries.js';

let emu: ZohoEmulator;
let zoho: ZohoCrmConnector;

beforeAll(async () => {
  emu = await startZohoEmulator({ autoConsent: true });
  registerClient(emu);
  emu.seed('Contacts', [{ First_Name: 'Ada', Last_Name: 'Lovelace', Phone: '+1 415 555 2671' }]);
  zoho = connectorFor(emu, {
    lookup: { timeoutMs: 500 },
    http: { timeoutMs: 1_000, deadlineMs: 2_000, retries: 0 },
  });
  await authorize(zoho);
  expect(await zoho.isAuthorized()).toBe(true);
});
afterAll(async () => {
  await zoho?.close();
  await emu?.close();
});
afterEach(() => expectNoPollution());

/** A call-shaped object with any field replaced by anything (what a PBX webhook might send). */
const callish = fc.record(
  {
    id: anyText,
    direction: fc.oneof(fc.constantFrom('inbound', 'outbound', 'internal'), anyValue),
    trunk: fc.oneof(fc.boolean(), anyValue),
    from: anyText,
    to: anyText,
    startedAt: fc.oneof(fc.date(), anyText),
    endedAt: fc.oneof(fc.date(), anyText),
    status: fc.oneof(fc.constantFrom('answered', 'missed'), anyValue),
    recording: anyValue,
    transcription: anyValue,
    notes: anyValue,
    __proto__: anyValue,
  },
  { requiredKeys: [] },
);

type Method = readonly [name: string, args: fc.Arbitrary<unknown[]>, call: (args: unknown[]) => unknown];
const METHODS: Method[] = [
  ['lookupCaller', fc.tuple(anyText, anyValue), ([n, o]) => zoho.lookupCaller(n as string, o as never)],
  ['searchDirectory', fc.tuple(anyText, anyValue), ([q, o]) => zoho.searchDirectory(q as string, o as never)],
  ['logCall', fc.tuple(fc.oneof(callish, anyValue)), ([c]) => zoho.logCall(c as never)],
  ['addCallNote', fc.tuple(anyText, anyText), ([id, text]) => zoho.addCallNote(id as string, text as string)],
  [
    'attachToCall',
    fc.tuple(anyText, fc.oneof(anyValue, fc.record({ recording: anyValue, transcription: anyValue }))),
    ([id, links]) => zoho.attachToCall(id as string, links as never),
  ],
  ['createRecord', fc.tuple(anyValue), ([input]) => zoho.createRecord(input as never)],
  ['retryDeadLetter', fc.tuple(anyValue), ([id]) => zoho.retryDeadLetter(id as string)],
  ['handleCallback', fc.tuple(anyValue), ([input]) => zoho.handleCallback(input as never)],
  ['on/off', fc.tuple(anyValue, anyValue), ([name, listener]) => zoho.off(name as never, listener as never)],
  ['on', fc.tuple(anyValue, anyValue), ([name, listener]) => zoho.on(name as never, listener as never)()],
  [
    'no-argument methods',
    fc.tuple(
      fc.constantFrom('authorizationUrl', 'isAuthorized', 'flush', 'deadLetters', 'journalStats'),
      anyValue,
    ),
    ([name, extra]) => (zoho as unknown as Record<string, (x: unknown) => unknown>)[name as string]?.(extra),
  ],
];

describe('property: connector methods take any input (authorized, against the emulator)', () => {
  it.each(METHODS.map((m) => ({ name: m[0], m })))('$name: settles, typed errors only', async ({ m }) => {
    const [, args, call] = m;
    await fc.assert(
      fc.asyncProperty(args, async (input) => {
        expectTyped(await settle(() => call(input)));
        expectNoPollution();
      }),
      { numRuns: Math.max(10, Math.floor(RUNS / 2)) },
    );
  });

  it('stays authorized and answers a real lookup after all that', async () => {
    expect(await zoho.isAuthorized()).toBe(true);
    expect((await zoho.lookupCaller('+14155552671'))?.name).toBe('Ada Lovelace');
  });

  it('revoke() settles with a result (run last, once)', async () => {
    expectTyped(await settle(() => zoho.revoke()));
    expect(await zoho.isAuthorized()).toBe(false);
  });
});
