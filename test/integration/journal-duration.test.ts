/**
 * The connector as a host uses it, over the emulator's sockets: a new install (no calibration) in an org
 * that reads `Call_Duration` either way logs true durations from its first call, keeps the reading with
 * the tokens, and a restarted connector on the same token store writes right at once.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { startZohoEmulator, type ZohoEmulator } from '../../src/testing/server.js';
import { authorize, closeConnectors, connectorFor, registerClient } from './helpers.js';

const emulators: ZohoEmulator[] = [];
afterEach(async () => {
  await closeConnectors();
});
afterAll(async () => {
  await Promise.all(emulators.map((emu) => emu.close()));
});

function call(id: string, seconds: number): PbxCall {
  const end = Date.now() - 5_000;
  return {
    id,
    direction: 'inbound',
    trunk: true,
    from: '+14155552671',
    to: '+14155550100',
    startedAt: new Date(end - seconds * 1000 - 10_000),
    answeredAt: new Date(end - seconds * 1000),
    endedAt: new Date(end),
    status: 'answered',
  };
}

describe.each(['mm:ss', 'HH:mm'] as const)('an org reading "a:b" as %s', (reading) => {
  it('the first call is logged with its true duration, and the reading is kept with the tokens', async () => {
    const emu = await startZohoEmulator({ autoConsent: true, durationReading: reading });
    emulators.push(emu);
    registerClient(emu);
    const tokenStore = createMemoryStore();
    // The org's phone-search reading is known (as after diagnose()), so matching the unknown caller costs
    // searches only: every COQL query counted below is the duration read-back.
    const lookup = { phoneSearch: 'digits-contains' } as const;
    const zoho = connectorFor(emu, { tokenStore, lookup });
    await authorize(zoho);

    expect(await zoho.logCall(call('first', 252))).toMatchObject({ status: 'logged' });
    expect(emu.records('Calls')[0]?.Call_Duration_in_seconds).toBe(252);
    const stored = (await tokenStore.get('tenant-1')) as { calibration?: Record<string, unknown> };
    expect(stored.calibration).toMatchObject({
      durationFormat: reading,
      sources: { durationFormat: 'traffic' },
    });
    expect(emu.stats().requests['POST /crm/v8/coql']).toBe(1);
    await zoho.close();

    // A restarted connector reads the reading with the tokens: no read-back, no correction.
    const again = connectorFor(emu, { tokenStore, lookup });
    expect(await again.logCall(call('second', 4503))).toMatchObject({ status: 'logged' });
    expect(emu.records('Calls')[1]?.Call_Duration_in_seconds).toBe(4503);
    expect(emu.records('Calls')[1]?.Call_Duration).toBe(reading === 'HH:mm' ? '01:15:03' : '75:03');
    expect(emu.stats().requests['POST /crm/v8/coql']).toBe(1);
    expect(emu.stats().requests['PUT /crm/v8/Calls'] ?? 0).toBe(reading === 'HH:mm' ? 1 : 0);
  });
});
