/**
 * Missed-call tasks (`journal.missedCallTask`, issue 16 item 3): one Zoho Tasks record per missed inbound
 * trunk call, linked and owned like the call's activity, due `dueInMinutes` after the call in the org's
 * time zone, exactly once under redelivery, lost answers and restarts (Zoho offers no upsert on Tasks:
 * the read-back finds a task whose insert answer was lost), and never at the cost of the call itself.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuthError } from '../../src/errors.js';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import type { CallerMatch } from '../../src/lookup/types.js';
import type { JournalOptions } from '../../src/options.js';
import { createFileJournalStore } from '../../src/stores/journal-file.js';
import { EMULATOR_GRANTED_SCOPES } from '../../src/testing/emulator/oauth-store.js';
import { harness, manualTime, START, upsertsSent, writeResponse } from './harness.js';

afterAll(() => expect(upsertsSent).toEqual([]));

const TASKS_ON: JournalOptions = {
  missedCallTask: { enabled: true, dueInMinutes: 60 },
  timeZone: 'America/New_York',
};

const iso = (offsetMs: number) => new Date(START - 600_000 + offsetMs).toISOString();

function missed(id: string, extra: Partial<PbxCall> = {}): PbxCall {
  return {
    id,
    direction: 'inbound',
    trunk: true,
    from: '+14155552671',
    to: '+14155550100',
    agent: { extension: '201', email: 'grace@example.com', name: 'Grace Hopper' },
    startedAt: iso(0),
    endedAt: iso(25_000),
    status: 'missed',
    ...extra,
  };
}

function contact(h: ReturnType<typeof harness>, phone = '+14155552671'): CallerMatch {
  const [accountId] = h.emu.seed('Accounts', [{ Account_Name: 'Analytical Engines' }]);
  const [id] = h.emu.seed('Contacts', [
    { First_Name: 'Ada', Last_Name: 'Lovelace', Phone: phone, Account_Name: { id: accountId } },
  ]);
  const match: CallerMatch = {
    module: 'Contacts',
    id: id as string,
    name: 'Ada Lovelace',
    phone,
    field: 'Phone',
    account: { id: accountId as string, name: 'Analytical Engines' },
    source: 'zoho',
  };
  h.lookup.map.set(phone, match);
  return match;
}

const setup = (journal: JournalOptions = {}, extra: Parameters<typeof harness>[0] = {}) =>
  harness({ ...extra, journal: { ...TASKS_ON, ...journal } });

describe('missed-call tasks', () => {
  it('a missed call gets one task, linked like the call, owned by the agent, due in the org time zone', async () => {
    const h = setup();
    const match = contact(h);
    const result = await h.journal.logCall(missed('m1'));
    expect(result.status).toBe('logged');
    const tasks = h.emu.records('Tasks');
    expect(tasks).toHaveLength(1);
    const [call] = h.emu.records('Calls');
    const grace = h.emu.users.find((u) => u.email === 'Grace@Example.com');
    expect(tasks[0]).toMatchObject({
      Subject: 'Call back Ada Lovelace (+1 415 555 2671)',
      // Ended 19:50:25Z = 14:50:25 in New York; due an hour later, the same day there.
      Due_Date: '2025-01-10',
      Status: 'Not Started',
      Who_Id: { id: match.id },
      What_Id: { id: match.account?.id },
      $se_module: 'Accounts',
      Owner: { id: grace?.id },
    });
    expect(call).toMatchObject({ Who_Id: { id: match.id }, What_Id: { id: match.account?.id } });
    expect(String(tasks[0]?.Description).split('\n')).toEqual([
      'Missed call from Ada Lovelace (+1 415 555 2671) at 2025-01-10T14:50:00-05:00',
      'Call back by 2025-01-10T15:50:25-05:00',
      'Agent: Grace Hopper (ext. 201)',
      'PBX call ID: m1',
    ]);
    expect(h.count('POST /Tasks')).toBe(1);
    expect((await h.journal.stats()).tasks).toBe(1);
    expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
  });

  it('a Lead is linked as What_Id with $se_module Leads; an unknown caller gets an unlinked task', async () => {
    const h = setup();
    const [leadId] = h.emu.seed('Leads', [{ Last_Name: 'Babbage', Phone: '+14155552672' }]);
    h.lookup.map.set('+14155552672', {
      module: 'Leads',
      id: leadId as string,
      name: 'Charles Babbage',
      phone: '+14155552672',
      field: 'Phone',
      source: 'zoho',
    });
    await Promise.all([
      h.journal.logCall(missed('lead', { from: '+14155552672' })),
      h.journal.logCall(missed('unknown', { from: '+14155552673', status: 'busy' })),
    ]);
    const tasks = h.emu.records('Tasks');
    expect(tasks).toHaveLength(2);
    expect(h.count('POST /Tasks')).toBe(1); // written together
    const lead = tasks.find((t) => String(t.Description).endsWith('PBX call ID: lead'));
    expect(lead).toMatchObject({ What_Id: { id: leadId }, $se_module: 'Leads' });
    expect(lead?.Who_Id).toBeUndefined();
    const unknown = tasks.find((t) => String(t.Description).endsWith('PBX call ID: unknown'));
    expect(unknown).toMatchObject({ Subject: 'Call back +1 415 555 2673' });
    expect(unknown?.Who_Id).toBeUndefined();
    expect(unknown?.What_Id).toBeUndefined();
  });

  it('answered, outbound, anonymous and internal calls get none; nor does anything with the option off', async () => {
    const h = setup();
    await h.journal.logCall(
      missed('answered', { status: 'answered', answeredAt: iso(5_000), endedAt: iso(60_000) }),
    );
    await h.journal.logCall(
      missed('outbound', { direction: 'outbound', from: '201', to: '+14155552671', status: 'no-answer' }),
    );
    await h.journal.logCall(missed('anonymous', { from: 'anonymous' }));
    await h.journal.logCall(
      missed('internal', { direction: 'internal', trunk: false, from: '202', to: '201' }),
    );
    expect(h.emu.records('Calls')).toHaveLength(3);
    expect(h.emu.records('Tasks')).toHaveLength(0);
    expect(h.count('POST /Tasks')).toBe(0);

    const off = harness({ journal: {} });
    await off.journal.logCall(missed('m1'));
    expect(off.emu.records('Calls')).toHaveLength(1);
    expect(off.emu.records('Tasks')).toHaveLength(0);
  });

  it('voicemail counts as missed; the subject template and the due day follow the options', async () => {
    const h = setup({
      missedCallTask: { enabled: true, dueInMinutes: 600, subject: 'Ring {name} back ({status})' },
    });
    await h.journal.logCall(missed('vm', { status: 'voicemail' }));
    const [task] = h.emu.records('Tasks');
    // 14:50 in New York + 10 hours = 00:50 the next day there.
    expect(task).toMatchObject({ Subject: 'Ring +1 415 555 2671 back (voicemail)', Due_Date: '2025-01-11' });
  });

  it('a redelivered call (queued or logged) still has one task', async () => {
    const h = setup();
    contact(h);
    await Promise.all([h.journal.logCall(missed('m1')), h.journal.logCall(missed('m1'))]);
    expect(await h.journal.logCall(missed('m1'))).toMatchObject({
      status: 'logged',
      reason: 'already logged',
    });
    await h.journal.flush();
    await h.time.advance(3_600_000);
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(h.emu.records('Tasks')).toHaveLength(1);
    expect(h.count('POST /Tasks')).toBe(1);
  });

  it.each(['drop', 'error'] as const)(
    'a task insert whose answer was lost (%s) is read back, never sent again',
    async (how) => {
      const h = setup();
      contact(h);
      // Writes alternate: the call's insert is answered, the task's insert is stored and its answer lost.
      h.emu.faults({ lostAnswer: how, every: 2 });
      const calls = Array.from({ length: 3 }, (_, i) => missed(`lost-${i}`));
      await Promise.all(calls.map((c) => h.journal.logCall(c)));
      h.emu.faults(null);
      expect(h.count('POST /Calls')).toBe(1);
      expect(h.count('POST /Tasks')).toBe(1);
      expect(h.emu.records('Tasks')).toHaveLength(3); // Zoho has them; the journal does not know yet
      const [op] = await h.store.claimCalls('tenant-42', ['lost-0'], { now: h.time.now(), leaseMs: 1 });
      expect(op).toMatchObject({ kind: 'task', sentAt: expect.any(Number), task: { dueDate: '2025-01-10' } });

      await h.time.advance(30_000);
      expect(h.count('POST /coql')).toBe(0); // not before the read-back window
      await h.time.advance(30_000);
      expect(h.count('POST /coql')).toBe(1);
      expect(h.count('POST /Tasks')).toBe(1);
      expect(h.emu.records('Tasks')).toHaveLength(3);
      expect(await h.journal.flush()).toEqual({ pending: 0, deadLetters: 0 });
      expect((await h.journal.stats()).tasks).toBe(3);
    },
  );

  it('a lost task insert that Zoho did not store is sent again after the read-back', async () => {
    const h = setup(
      {},
      {
        // The task insert never reaches Zoho, but the connection drops as if it might have.
        intercept: (r) =>
          r.method === 'POST' && r.path === '/Tasks' && !sentOnce++ ? Response.error() : undefined,
      },
    );
    let sentOnce = 0;
    await h.journal.logCall(missed('m1'));
    expect(h.emu.records('Tasks')).toHaveLength(0);
    await h.time.advance(60_000);
    expect(h.count('POST /coql')).toBe(1);
    expect(h.count('POST /Tasks')).toBe(2);
    expect(h.emu.records('Tasks')).toHaveLength(1);
  });

  it('a call whose own insert answer was lost gets its task after the read-back, linked again', async () => {
    const h = setup();
    const match = contact(h);
    h.emu.faults({ lostAnswer: 'drop', every: 1 });
    await h.journal.logCall(missed('m1'));
    h.emu.faults(null);
    expect(h.emu.records('Tasks')).toHaveLength(0);
    await h.time.advance(60_000);
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(h.emu.records('Tasks')).toHaveLength(1);
    expect(h.emu.records('Tasks')[0]).toMatchObject({ Who_Id: { id: match.id }, $se_module: 'Accounts' });
  });

  it('a restarted process (file store) finishes a lost task insert with a read-back: one task', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-tasks-'));
    try {
      const time = manualTime();
      const store1 = createFileJournalStore({ path: dir, fsync: false });
      const h = setup({}, { store: store1, time });
      contact(h);
      h.emu.faults({ lostAnswer: 'drop', every: 2 });
      await h.journal.logCall(missed('m1'));
      h.emu.faults(null);
      await h.journal.close(); // the process ends with the task's outcome unknown
      await store1.close?.();
      expect(h.emu.records('Tasks')).toHaveLength(1);

      const store2 = createFileJournalStore({ path: dir, fsync: false });
      const second = h.restart({ store: store2 });
      await time.advance(60_000);
      expect(await second.flush()).toEqual({ pending: 0, deadLetters: 0 });
      expect(h.emu.records('Tasks')).toHaveLength(1);
      expect(h.count('POST /Tasks')).toBe(1);
      expect(await second.logCall(missed('m1'))).toMatchObject({ reason: 'already logged' });
      await second.close();
      await store2.close?.();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a task queued before a crash is written by the restarted process (file store), once', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'journal-tasks-'));
    try {
      const time = manualTime();
      const store1 = createFileJournalStore({ path: dir, fsync: false });
      const h = setup(
        {},
        {
          store: store1,
          time,
          // Zoho is unreachable for Tasks in the first process (never connected: nothing stored).
          intercept: (r) => (r.path === '/Tasks' && !restarted ? tooManyRequests() : undefined),
        },
      );
      let restarted = false;
      await h.journal.logCall(missed('m1'));
      expect(h.emu.records('Calls')).toHaveLength(1);
      await h.journal.close();
      await store1.close?.();
      restarted = true;
      const store2 = createFileJournalStore({ path: dir, fsync: false });
      const second = h.restart({ store: store2 });
      expect(await second.flush()).toEqual({ pending: 0, deadLetters: 0 });
      expect(h.emu.records('Tasks')).toHaveLength(1);
      expect(h.count('POST /coql')).toBe(0); // proven unsent: no read-back needed
      await second.close();
      await store2.close?.();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('Zoho refusing the task data: the call is logged, the task is a dead letter (kind task)', async () => {
    const h = setup(
      {},
      { emulator: { fields: { Tasks: [{ apiName: 'Region', dataType: 'text', mandatory: true }] } } },
    );
    const result = await h.journal.logCall(missed('m1'));
    expect(result.status).toBe('logged');
    expect(h.emu.records('Calls')).toHaveLength(1);
    expect(h.emu.records('Tasks')).toHaveLength(0);
    const [letter] = await h.journal.deadLetters();
    expect(letter?.op).toMatchObject({ id: 'task:m1', kind: 'task' });
    expect(letter?.error).toMatchObject({ zohoCode: 'MANDATORY_NOT_FOUND', details: { api_name: 'Region' } });
    expect(h.eventsOf('journalFailed')).toEqual([expect.objectContaining({ callId: 'm1', kind: 'task' })]);
  });

  it('an owner Zoho refuses is dropped (no fallback: Zoho picks), so is a link; the task is written', async () => {
    const refusals = ['Owner', 'Who_Id'];
    const h = setup(
      {},
      {
        intercept: (r) => {
          const field = r.method === 'POST' && r.path === '/Tasks' ? refusals.shift() : undefined;
          if (!field) return undefined;
          return writeResponse([
            { code: 'INVALID_DATA', message: 'invalid data', status: 'error', details: { api_name: field } },
          ]);
        },
      },
    );
    contact(h);
    await h.journal.logCall(missed('m1'));
    expect(h.count('POST /Tasks')).toBe(3);
    const sent = h.requests
      .filter((r) => r.path === '/Tasks')
      .map((r) => (r.body as { data: object[] }).data[0]);
    expect(sent[0]).toHaveProperty('Owner');
    expect(sent[1]).not.toHaveProperty('Owner');
    expect(sent[1]).toHaveProperty('Who_Id');
    expect(sent[2]).not.toHaveProperty('Who_Id');
    const [task] = h.emu.records('Tasks');
    const admin = h.emu.users.find((u) => u.email === 'admin@example.com');
    expect(task).toMatchObject({ Owner: { id: admin?.id } });
    expect(task?.Who_Id).toBeUndefined();
    expect(task?.$se_module).toBeUndefined();
    expect(await h.journal.deadLetters()).toEqual([]);
  });

  it('a grant without the Tasks scopes: the call is logged, tasks are dead letters, reported once', async () => {
    const errors: string[] = [];
    const scopes = EMULATOR_GRANTED_SCOPES.filter((s) => s !== 'ZohoCRM.modules.ALL').concat([
      'ZohoCRM.modules.contacts.ALL',
      'ZohoCRM.modules.leads.ALL',
      'ZohoCRM.modules.accounts.ALL',
      'ZohoCRM.modules.calls.ALL',
      'ZohoCRM.modules.notes.ALL',
    ]);
    const h = setup(
      {},
      {
        scopes,
        deps: {
          logger: {
            debug: () => undefined,
            info: () => undefined,
            warn: () => undefined,
            error: (_fields: unknown, message: string) => errors.push(message),
          },
        },
      },
    );
    expect((await h.journal.logCall(missed('m1'))).status).toBe('logged');
    expect((await h.journal.logCall(missed('m2'))).status).toBe('logged');
    expect(h.emu.records('Calls')).toHaveLength(2);
    expect(h.count('POST /Tasks')).toBe(1); // the second task is not even sent
    const letters = await h.journal.deadLetters();
    expect(letters.map((l) => l.op.id)).toEqual(['task:m1', 'task:m2']);
    for (const letter of letters) {
      expect(letter.error).toMatchObject({ code: 'AUTH_SCOPE_MISMATCH' });
      expect(letter.error.message).toContain('ZohoCRM.modules.tasks.CREATE');
    }
    expect(errors.filter((m) => m.includes('Tasks scopes'))).toHaveLength(1);
    expect(h.eventsOf('journalFailed').map((e) => e.kind)).toEqual(['task', 'task']);
    expect(new AuthError('AUTH_SCOPE_MISMATCH', 'x')).toBeInstanceOf(AuthError);
  });
});

/** Zoho's 429: proves the insert was not stored. */
function tooManyRequests(): Response {
  return new Response(
    JSON.stringify({ code: 'TOO_MANY_REQUESTS', message: 'too many requests', status: 'error', details: {} }),
    { status: 429, headers: { 'content-type': 'application/json' } },
  );
}
