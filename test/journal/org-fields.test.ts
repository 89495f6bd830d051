/**
 * Journal parity against the emulator: `journal.fields` (mandatory custom fields, overrides, unknown names
 * reported once), `result` / `purpose` checked against the picklists, transfers and ring groups.
 */
import { describe, expect, it } from 'vitest';
import { readFieldMetadata } from '../../src/crm/fields.js';
import { ConfigError, ZohoApiError } from '../../src/errors.js';
import type { JournalFieldsFunction } from '../../src/journal/map-fields.js';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import { type JournalOptions, parseConnectorOptions } from '../../src/options.js';
import { harness, START } from './harness.js';

const iso = (offsetMs: number) => new Date(START - 600_000 + offsetMs).toISOString();

function pbxCall(id: string, extra: Partial<PbxCall> = {}): PbxCall {
  return {
    id,
    direction: 'inbound',
    trunk: true,
    from: '+14155552671',
    to: '+14155550100',
    agent: { extension: '201', email: 'grace@example.com', name: 'Grace Hopper' },
    startedAt: iso(0),
    answeredAt: iso(19_000),
    endedAt: iso(271_000),
    status: 'answered',
    ...extra,
  };
}

function journalOptions(journal: JournalOptions) {
  return parseConnectorOptions({
    connectionId: 'tenant-42',
    clientId: 'id',
    clientSecret: 'secret',
    redirectUri: 'https://pbx.example.com/cb',
    journal,
  }).journal;
}

const REGION = {
  emulator: { fields: { Calls: [{ apiName: 'Region', dataType: 'text' as const, mandatory: true }] } },
};

describe('journal.fields', () => {
  it('fills a mandatory custom field: a call dead-lettered without it is logged by retryDeadLetter once the option is set', async () => {
    const h = harness(REGION);
    const error = await h.journal.logCall(pbxCall('c1')).catch((e: unknown) => e);
    expect(error).toMatchObject({ zohoCode: 'MANDATORY_NOT_FOUND', details: { api_name: 'Region' } });
    expect(await h.journal.deadLetters()).toHaveLength(1);
    await h.journal.close();

    // The host adds `fields` and restarts; the dead letter goes again.
    const seen: Array<{ callId: string; type: unknown }> = [];
    const fields: JournalFieldsFunction = (call, draft) => {
      seen.push({ callId: call.id, type: draft.Call_Type });
      return { Region: call.to.startsWith('+1') ? 'AMER' : 'EMEA' };
    };
    const journal = h.restart({ options: journalOptions({ fields }) });
    expect(await journal.retryDeadLetter('create:c1')).toBe(true);
    expect(await journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
    const [record] = h.emu.records('Calls');
    expect(record).toMatchObject({ Region: 'AMER', Call_Type: 'Inbound' });
    expect(seen).toEqual([{ callId: 'c1', type: 'Inbound' }]);
    expect(await journal.logCall(pbxCall('c2'))).toMatchObject({ status: 'logged' });
    expect(h.emu.records('Calls')).toHaveLength(2);
    await journal.close();
  });

  it('overrides what the journal built, keeps the marker line last, and leaves out fields set to null', async () => {
    const h = harness({
      journal: {
        fields: () => ({
          Subject: 'Support call',
          Description: 'Ticket #42',
          Caller_ID: null,
          Call_Purpose: 'Desk',
          Call_Agenda: undefined,
        }),
      },
    });
    const result = await h.journal.logCall(pbxCall('c1'));
    expect(result.status).toBe('logged');
    const [record] = h.emu.records('Calls');
    expect(record).toMatchObject({ Subject: 'Support call', Call_Purpose: 'Desk' });
    expect(record?.Description).toBe('Ticket #42\nPBX call ID: c1');
    expect(record?.Caller_ID ?? null).toBeNull();
    expect(record?.Call_Agenda ?? null).toBeNull();
  });

  it('never overrides the dedupe field', async () => {
    const h = harness({
      emulator: { uniqueFields: { Calls: ['PBX_Call_ID'] } },
      journal: { dedupeField: 'PBX_Call_ID', fields: () => ({ PBX_Call_ID: 'same-for-all' }) },
    });
    await h.journal.logCall(pbxCall('c1'));
    await h.journal.logCall(pbxCall('c2'));
    expect(h.emu.records('Calls').map((r) => r.PBX_Call_ID)).toEqual(['c1', 'c2']);
  });

  it('an unknown field: the call is written without it and one ConfigError names it, not one per call', async () => {
    const errors: unknown[] = [];
    const h = harness({
      ...REGION,
      journal: { fields: () => ({ Region: 'EMEA', Regoin: 'typo', Call_Purpose: 'Demo' }) },
      deps: { logger: { debug() {}, info() {}, warn() {}, error: (obj: unknown) => errors.push(obj) } },
    });
    for (const id of ['c1', 'c2', 'c3']) expect((await h.journal.logCall(pbxCall(id))).status).toBe('logged');
    const records = h.emu.records('Calls');
    expect(records).toHaveLength(3);
    expect(records.every((r) => r.Region === 'EMEA' && r.Call_Purpose === 'Demo' && !('Regoin' in r))).toBe(
      true,
    );
    const events = h.eventsOf('configError');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      connectionId: 'tenant-42',
      option: 'journal.fields',
      module: 'Calls',
      fields: ['Regoin'],
    });
    expect(events[0]?.error).toBeInstanceOf(ConfigError);
    expect(events[0]?.error.issues).toEqual([
      {
        path: 'journal.fields.Regoin',
        message: 'is not a field of Calls in this org; records are written without it',
      },
    ]);
    expect(errors).toHaveLength(1);
    expect(await h.journal.deadLetters()).toEqual([]);
    // The metadata is read once (cached for a day), not per call.
    expect(h.count('GET /settings/fields')).toBe(1);
  });

  it('a typo in a mandatory field still dead-letters the call (Zoho names the field), and the ConfigError names the typo', async () => {
    const h = harness({ ...REGION, journal: { fields: () => ({ Regoin: 'EMEA' }) } });
    const error = await h.journal.logCall(pbxCall('c1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ZohoApiError);
    expect(error).toMatchObject({ details: { api_name: 'Region' } });
    expect(h.eventsOf('configError').map((e) => e.fields)).toEqual([['Regoin']]);
  });

  it('a function that throws: the call is written without its fields and the error is reported once', async () => {
    const h = harness({
      journal: {
        fields: () => {
          throw new Error('boom');
        },
      },
    });
    expect((await h.journal.logCall(pbxCall('c1'))).status).toBe('logged');
    expect((await h.journal.logCall(pbxCall('c2'))).status).toBe('logged');
    const events = h.eventsOf('configError');
    expect(events).toHaveLength(1);
    expect(events[0]?.fields).toEqual([]);
    expect(events[0]?.error.message).toContain('journal.fields: threw (Error)');
  });

  it('without the metadata scope nothing can be checked: everything is sent', async () => {
    const h = harness({
      journal: { fields: () => ({ Call_Purpose: 'Demo', Call_Agenda: 'Quote' }) },
      intercept: (request) =>
        request.path === '/settings/fields'
          ? new Response(
              JSON.stringify({ code: 'OAUTH_SCOPE_MISMATCH', status: 'error', message: 'scope' }),
              {
                status: 401,
                headers: { 'content-type': 'application/json' },
              },
            )
          : undefined,
    });
    expect((await h.journal.logCall(pbxCall('c1'))).status).toBe('logged');
    expect(h.emu.records('Calls')[0]).toMatchObject({ Call_Purpose: 'Demo', Call_Agenda: 'Quote' });
    expect(h.eventsOf('configError')).toEqual([]);
  });
});

describe('result and purpose', () => {
  it('go to Call_Result and Call_Purpose when the picklist has them (the picklist spelling is sent)', async () => {
    const h = harness();
    await h.journal.logCall(pbxCall('c1', { result: 'requested call back', purpose: 'Demo' }));
    const [record] = h.emu.records('Calls');
    expect(record).toMatchObject({ Call_Result: 'Requested call back', Call_Purpose: 'Demo' });
    expect(String(record?.Description)).not.toContain('Result:');
  });

  it.each(['add', 'keep', 'refuse'] as const)(
    'a value the picklist lacks goes to the description with a warning, never a refused call (emulator %s)',
    async (mode) => {
      const warnings: string[] = [];
      const h = harness({
        emulator: { unknownPicklistValues: mode },
        deps: {
          logger: {
            debug() {},
            info() {},
            warn: (_o: unknown, msg?: string) => warnings.push(String(msg)),
            error() {},
          },
        },
      });
      expect((await h.journal.logCall(pbxCall('c1', { result: 'Sold', purpose: 'Support' }))).status).toBe(
        'logged',
      );
      expect((await h.journal.logCall(pbxCall('c2', { result: 'Sold' }))).status).toBe('logged');
      const [record] = h.emu.records('Calls');
      expect(record?.Call_Result ?? null).toBeNull();
      expect(record?.Call_Purpose ?? null).toBeNull();
      expect(record?.Description).toContain('Result: Sold\nPurpose: Support');
      expect(warnings.filter((w) => w.includes('not in the picklist'))).toHaveLength(2); // once per value
      // The org's picklist is not polluted with the value.
      const metadata = await readFieldMetadata(h.http, 'Calls');
      expect(metadata.get('Call_Result')?.picklist).not.toContain('Sold');
    },
  );

  it('the emulator adds an unseen picklist value by default and refuses it when asked (Zoho may do either)', async () => {
    for (const [mode, refused] of [
      ['add', false],
      ['refuse', true],
    ] as const) {
      const h = harness({
        emulator: { unknownPicklistValues: mode },
        journal: { fields: () => ({ Call_Purpose: 'Sales' }) },
      });
      const outcome = await h.journal.logCall(pbxCall('c1')).catch((e: unknown) => e);
      if (refused) {
        expect(outcome).toMatchObject({ zohoCode: 'INVALID_DATA', details: { api_name: 'Call_Purpose' } });
      } else {
        expect(outcome).toMatchObject({ status: 'logged' });
        const metadata = await readFieldMetadata(h.http, 'Calls');
        expect(metadata.get('Call_Purpose')?.picklist).toContain('Sales');
      }
    }
  });

  it('a text Call_Result (some orgs) takes any value; an org without the field gets the description', async () => {
    const text = harness({
      emulator: {
        absentFields: { Calls: ['Call_Result', 'Call_Purpose'] },
        fields: { Calls: [{ apiName: 'Call_Result', dataType: 'text' }] },
      },
    });
    await text.journal.logCall(pbxCall('c1', { result: 'Sold 20 seats', purpose: 'Demo' }));
    const [record] = text.emu.records('Calls');
    expect(record?.Call_Result).toBe('Sold 20 seats');
    expect(record?.Description).toContain('Purpose: Demo');
    expect(record?.Description).not.toContain('Result:');
  });
});

describe('transfers and ring groups', () => {
  it('the agent who ended the call owns it; the description lists the path with times in the org zone', async () => {
    const h = harness({ journal: { timeZone: 'America/New_York' } });
    const result = await h.journal.logCall(
      pbxCall('c1', {
        transfers: [
          { at: iso(200_000), to: { extension: '100', name: 'Ada Admin' } },
          { at: iso(120_000), to: { extension: '202', email: 'alan@example.com', name: 'Alan Turing' } },
        ],
      }),
    );
    expect(result.status).toBe('logged');
    const [record] = h.emu.records('Calls');
    const ada = h.emu.users.find((u) => u.email === 'admin@example.com');
    expect((record?.Owner as { id?: string } | undefined)?.id).toBe(ada?.id);
    // START - 600 s = 19:50:00Z = 14:50:00 in New York.
    expect(record?.Description).toBe(
      [
        'Agent: Ada Admin (ext. 100)',
        'Transferred 14:52:00: Grace Hopper (ext. 201) → Alan Turing (ext. 202)',
        'Transferred 14:53:20: Alan Turing (ext. 202) → Ada Admin (ext. 100)',
        'PBX call ID: c1',
      ].join('\n'),
    );
  });

  it('a ring-group call is owned by the agent who answered; the others are listed', async () => {
    const h = harness();
    await h.journal.logCall(
      pbxCall('c1', {
        agent: { extension: '202', email: 'alan@example.com', name: 'Alan Turing' },
        rang: [{ extension: '201', name: 'Grace Hopper' }, { extension: '203' }],
      }),
    );
    const [record] = h.emu.records('Calls');
    const alan = h.emu.users.find((u) => u.email === 'alan@example.com');
    expect((record?.Owner as { id?: string } | undefined)?.id).toBe(alan?.id);
    expect(record?.Description).toContain('Rang: Grace Hopper (ext. 201), ext. 203');
  });

  it('refuses a transfer outside the call', async () => {
    const h = harness();
    const error = await h.journal
      .logCall(pbxCall('c1', { transfers: [{ at: iso(900_000), to: { extension: '202' } }] }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).issues).toEqual([
      { path: 'transfers[0].at', message: 'must be between startedAt and endedAt' },
    ]);
  });
});
