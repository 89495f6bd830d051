/**
 * The journal over the real caller lookup, across the ways Zoho may really behave where its documents
 * are silent (docs/zoho-facts.md §10 Q1, Q4): how `Call_Duration` is read, how `search?phone=` matches
 * and how long a new record takes to become searchable. In every cell each call is one Calls record with
 * its true duration, linked to its caller's record; the calibration starts unknown as in a new install.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCalibrationKeeper } from '../../src/calibration/keeper.js';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import { noopLogger } from '../../src/logger.js';
import { type CallerLookup, createCallerLookup } from '../../src/lookup/caller-lookup.js';
import { parseConnectorOptions } from '../../src/options.js';
import { REGIONS } from '../../src/regions.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import type { PhoneMatchMode } from '../../src/testing/emulator/types.js';
import { harness, manualTime, START } from './harness.js';

const READINGS = ['mm:ss', 'HH:mm'] as const;
const LAGS = [0, 2_000];
const MATCHES: PhoneMatchMode[] = ['digits-contains', 'digits-suffix', 'digits-exact', 'exact'];
const iso = (offsetMs: number) => new Date(START - 600_000 + offsetMs).toISOString();

const lookups: CallerLookup[] = [];
afterEach(async () => {
  await Promise.all(lookups.splice(0).map((lookup) => lookup.close()));
});

const CELLS = READINGS.flatMap((reading) =>
  LAGS.flatMap((lag) => MATCHES.map((match) => ({ reading, lag, match }))),
);

describe.each(CELLS)(
  'durationReading $reading, searchIndexDelayMs $lag, phoneMatch $match',
  ({ reading, lag, match }) => {
    it('logs each call once, with its true duration, linked to the caller under every reading (old and just-created records)', async () => {
      const time = manualTime();
      const tokens = createMemoryStore();
      await tokens.set('tenant-42', {
        accessToken: '1000.a',
        refreshToken: '1000.r',
        expiresAt: START + 3_600_000,
        apiDomain: 'https://www.zohoapis.com',
        accountsServer: 'https://accounts.zoho.com',
        region: 'US',
        grantedAt: START,
      });
      const calibration = createCalibrationKeeper({
        connectionId: 'tenant-42',
        store: tokens,
        now: time.now,
        logger: noopLogger,
      });
      const h = harness({
        time,
        emulator: { durationReading: reading, searchIndexDelayMs: lag, phoneMatch: match },
        deps: { calibration },
      });
      const resolved = parseConnectorOptions({
        connectionId: 'tenant-42',
        clientId: 'id',
        clientSecret: 'secret',
        redirectUri: 'https://pbx.example.com/cb',
      });
      const lookup = createCallerLookup({
        http: h.http,
        lookup: resolved.lookup,
        region: () => REGIONS.US,
        now: time.now,
        calibration,
      });
      lookups.push(lookup);
      const journal = h.restart({ lookup });

      // Records stored as people type them, searchable long ago; one created just before its call.
      const [old] = h.emu.seed('Contacts', [{ Last_Name: 'Lovelace', Phone: '+14155552671' }]);
      const [lead] = h.emu.seed('Leads', [{ Last_Name: 'Hopper', Company: 'Navy', Phone: '+14155552673' }]);
      await time.advance(lag + 1);
      const [fresh] = h.emu.seed('Contacts', [{ Last_Name: 'Turing', Phone: '+14155552672' }], {
        indexed: false, // written through the API a moment ago: searchable only after the index lag
      });

      // With default lookup options every caller is found in every cell: the search where its reading
      // matches the stored form, otherwise the COQL escalation (which no search index delays).
      const callers = [
        { from: '+14155552671', who: old, what: undefined },
        { from: '+14155552673', who: undefined, what: lead },
        { from: '+14155552672', who: fresh, what: undefined },
        { from: '+14155552699', who: undefined, what: undefined },
      ];
      const seconds = [252, 45, 4503, 61];
      const calls: PbxCall[] = callers.map((caller, i) => ({
        id: `matrix-${i}`,
        direction: 'inbound',
        trunk: true,
        from: caller.from,
        to: '+14155550100',
        startedAt: iso(0),
        answeredAt: iso(5_000),
        endedAt: iso(5_000 + (seconds[i] as number) * 1000),
        status: 'answered',
      }));
      const results = await Promise.all(calls.map((call) => journal.logCall(call)));
      expect(results.every((r) => r.status === 'logged')).toBe(true);
      expect(await journal.flush()).toEqual({ pending: 0, deadLetters: 0 });

      const records = h.emu.records('Calls');
      expect(records).toHaveLength(calls.length);
      for (const [i, call] of calls.entries()) {
        const record = records.find((r) => String(r.Description).includes(`PBX call ID: ${call.id}`));
        expect(record?.Call_Duration_in_seconds, call.id).toBe(seconds[i]);
        const caller = callers[i] as (typeof callers)[number];
        const who = (record?.Who_Id as { id?: string } | undefined)?.id;
        const what = (record?.What_Id as { id?: string } | undefined)?.id;
        expect({ who, what }, `${call.id} link`).toEqual({ who: caller.who, what: caller.what });
      }
      expect(calibration.current().durationFormat).toBe(reading);
      // Learning the duration reading cost one read-back (and one correction in an HH:mm org).
      expect(h.count('POST /coql') - lookupQueries(h)).toBe(1);
      expect(h.count('PUT /Calls')).toBe(reading === 'HH:mm' ? 1 : 0);
      await journal.close();
      await h.journal.close();
    });
  },
);

/** COQL requests the lookup sent (on Contacts, Leads or Accounts), not the journal. */
function lookupQueries(h: ReturnType<typeof harness>): number {
  return h.requests.filter(
    (r) =>
      r.path === '/coql' &&
      /from (Contacts|Leads|Accounts)\b/.test(String((r.body as { select_query?: string }).select_query)),
  ).length;
}
