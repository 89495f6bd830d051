/**
 * The pure parts of `diagnose()`: scope coverage, the search terms and what their hits prove, the
 * duration reading, and each read-only check's verdict.
 */
import { describe, expect, it } from 'vitest';
import {
  callsFieldsCheck,
  creditsCheck,
  errorCheck,
  type FieldInfo,
  phoneFieldsCheck,
  scopesCheck,
  timeZoneCheck,
  unfilledMandatoryFields,
  usersCheck,
} from '../../src/diagnose/checks.js';
import {
  callDurationCheck,
  durationReading,
  phoneSearchReading,
  searchTerms,
  testPhone,
  withCleanup,
} from '../../src/diagnose/probe-checks.js';
import { missingScopes, neededScopes, parseGrantedScopes, scopeCovered } from '../../src/diagnose/scopes.js';
import { AuthError, ErrorCode, TransportError } from '../../src/errors.js';
import { createPhoneMatcher, indexPhone } from '../../src/testing/emulator/phone-match.js';

describe('scopes', () => {
  it('follows Zoho grammar: ALL covers every operation, a shorter path the paths below it', () => {
    expect(scopeCovered(['ZohoCRM.modules.ALL'], 'ZohoCRM.modules.leads.DELETE')).toBe(true);
    expect(scopeCovered(['ZohoCRM.modules.leads.ALL'], 'ZohoCRM.modules.leads.DELETE')).toBe(true);
    expect(scopeCovered(['zohocrm.modules.Leads.delete'], 'ZohoCRM.modules.leads.DELETE')).toBe(true);
    expect(scopeCovered(['ZohoCRM.modules.leads.WRITE'], 'ZohoCRM.modules.leads.DELETE')).toBe(true);
    expect(scopeCovered(['ZohoCRM.modules.leads.WRITE'], 'ZohoCRM.modules.leads.READ')).toBe(false);
    expect(scopeCovered(['ZohoCRM.modules.leads.READ'], 'ZohoCRM.modules.leads.DELETE')).toBe(false);
    expect(scopeCovered(['ZohoCRM.modules.calls.ALL'], 'ZohoCRM.modules.leads.DELETE')).toBe(false);
    expect(scopeCovered(['ZohoCRM.settings.ALL'], 'ZohoCRM.settings.fields.READ')).toBe(true);
    expect(scopeCovered(['ZohoSearch.securesearch.READ'], 'ZohoCRM.modules.leads.READ')).toBe(false);
  });

  it('parses the stored scope, spaces or commas', () => {
    expect(parseGrantedScopes('a.b.READ c.d.ALL')).toEqual(['a.b.READ', 'c.d.ALL']);
    expect(parseGrantedScopes('a.b.READ,c.d.ALL')).toEqual(['a.b.READ', 'c.d.ALL']);
    expect(parseGrantedScopes('  ')).toBeUndefined();
    expect(parseGrantedScopes(undefined)).toBeUndefined();
  });

  it('needs what the configured features use', () => {
    const lean = neededScopes({
      lookupOrder: ['Contacts'],
      lookupMethod: 'search',
      journal: false,
      createRecords: false,
    });
    expect(lean.required).toEqual(['ZohoCRM.modules.contacts.READ', 'ZohoSearch.securesearch.READ']);
    expect(lean.optional).toEqual(['ZohoCRM.settings.fields.READ', 'ZohoCRM.coql.READ']);
    const full = neededScopes({
      lookupOrder: ['Leads'],
      lookupMethod: 'coql',
      journal: true,
      createRecords: 'Leads',
    });
    expect(full.required).toContain('ZohoCRM.coql.READ');
    expect(full.required).toContain('ZohoCRM.modules.leads.CREATE');
    expect(full.required).toContain('ZohoCRM.modules.calls.UPDATE');
    expect(full.required).toContain('ZohoCRM.users.READ');
    expect(full.optional).toEqual(['ZohoCRM.settings.fields.READ']);
    expect(missingScopes(['ZohoCRM.modules.ALL'], full.required)).toEqual([
      'ZohoSearch.securesearch.READ',
      'ZohoCRM.coql.READ',
      'ZohoCRM.users.READ',
    ]);
  });

  it('fails on a missing required scope, warns on an optional one, and cannot judge without a list', () => {
    const none = { required: [], optional: [], probes: [] };
    expect(scopesCheck(['x.y.ALL'], none).status).toBe('pass');
    expect(scopesCheck(['x.y.ALL'], { ...none, optional: ['ZohoCRM.coql.READ'] }).status).toBe('warn');
    expect(scopesCheck(['x.y.ALL'], { ...none, required: ['ZohoCRM.users.READ'] }).summary).toContain(
      'ZohoCRM.users.READ',
    );
    expect(scopesCheck(['x.y.ALL'], { ...none, probes: ['ZohoCRM.modules.leads.DELETE'] }).status).toBe(
      'pass',
    );
    expect(scopesCheck(undefined, none).status).toBe('warn');
  });
});

describe('phone-search probe', () => {
  const MODES = ['digits-contains', 'digits-suffix', 'digits-exact', 'exact'] as const;

  it.each(['+1 (415) 555-0142', '+44 20 7946 0958', '(415) 555-0100', '+1 415-555-0199'])(
    'the terms for %s tell every reading apart',
    (stored) => {
      const terms = searchTerms(stored);
      for (const mode of MODES) {
        const matcher = createPhoneMatcher(mode);
        const hit = (term: string) => matcher(indexPhone('', term), indexPhone('Phone', stored));
        const hits = {
          exact: hit(terms.exact),
          allDigits: hit(terms.allDigits),
          national: hit(terms.national),
          middle: hit(terms.middle),
        };
        expect(phoneSearchReading(hits), `${mode}: ${JSON.stringify(terms)}`).toBe(mode);
      }
    },
  );

  it('reads hits that fit no reading as unknown', () => {
    expect(phoneSearchReading({ exact: false, allDigits: true, national: true, middle: true })).toBe(
      'unknown',
    );
    expect(phoneSearchReading({ exact: true, allDigits: false, national: true, middle: false })).toBe(
      'unknown',
    );
  });

  it('uses a fictional 555-01xx number', () => {
    for (const id of ['a', 'deadbeef', '00000000', 'ffffffff'])
      expect(testPhone(id)).toMatch(/^\+1 \(415\) 555-01\d\d$/);
  });
});

describe('call-duration probe', () => {
  it('reads "01:02" back as 62 (mm:ss) or 3720 (HH:mm)', () => {
    expect(durationReading(62)).toBe('mm:ss');
    expect(durationReading(3720)).toBe('HH:mm');
    expect(durationReading(0)).toBe('unknown');
    expect(durationReading(undefined)).toBe('unknown');
    expect(callDurationCheck(62, true).status).toBe('pass');
    expect(callDurationCheck(61, true).status).toBe('warn');
    expect(callDurationCheck(undefined, false).summary).toContain('Call_Duration_in_seconds');
  });

  it('fails a probe that may have left its record behind', () => {
    const passed = callDurationCheck(62, true);
    expect(withCleanup(passed, { id: '1', clean: true })).toBe(passed);
    const left = withCleanup(passed, { id: '42', clean: false, problem: 'delete Calls/42 by hand' });
    expect(left).toMatchObject({ status: 'fail', details: { leftBehind: '42' } });
    expect(left.summary).toContain('delete Calls/42 by hand');
  });
});

describe('read-only checks', () => {
  const field = (apiName: string, dataType = 'text', mandatory = false, readOnly = false): FieldInfo => ({
    apiName,
    dataType,
    mandatory,
    readOnly,
  });

  it('lists phone fields, warns about absent standard ones', () => {
    const ok = phoneFieldsCheck({ Accounts: [field('Phone', 'phone'), field('Fax')] });
    expect(ok).toMatchObject({ status: 'pass', details: { phoneFields: { Accounts: ['Phone'] } } });
    const gap = phoneFieldsCheck({ Leads: [field('Phone', 'phone'), field('Direct_Line', 'phone')] });
    expect(gap.status).toBe('warn');
    expect(gap.summary).toBe('standard phone fields absent: Leads.Mobile, custom: Leads.Direct_Line');
  });

  it('finds mandatory Calls fields the journal does not fill', () => {
    const fields = [
      field('Subject', 'text', true),
      field('Call_Start_Time', 'datetime', true),
      field('Region', 'picklist', true),
      field('PBX_Call_ID', 'text', true),
      field('Created_Time', 'datetime', true, true),
      field('Outgoing_Call_Status', 'picklist'),
    ];
    expect(unfilledMandatoryFields(fields, undefined)).toEqual(['Region', 'PBX_Call_ID']);
    expect(unfilledMandatoryFields(fields, 'PBX_Call_ID')).toEqual(['Region']);
    const fail = callsFieldsCheck(fields, ['Region'], true);
    expect(fail).toMatchObject({
      status: 'fail',
      details: { statusField: 'Outgoing_Call_Status', durationInSeconds: false },
    });
    expect(fail.summary).toContain('Region');
    expect(callsFieldsCheck(fields, ['Region'], false).status).toBe('warn');
    expect(callsFieldsCheck(fields, [], true).status).toBe('pass');
  });

  it('checks the owner options against the active users', () => {
    const users = [
      { id: '1', email: 'a@example.com', Extension: '201' },
      { id: '2', email: 'b@example.com', Extension: null },
    ];
    expect(usersCheck(users, {}).status).toBe('pass');
    const bad = usersCheck(users, { agents: { '201': '1', '202': '9' }, fallbackOwnerId: '7' });
    expect(bad.status).toBe('warn');
    expect(bad.summary).toContain('202');
    expect(bad.summary).toContain('fallbackOwnerId');
    expect(usersCheck(users, { userExtensionField: 'Extension' }).details).toMatchObject({
      withExtension: 1,
    });
    expect(usersCheck(users, { userExtensionField: 'Ext' }).status).toBe('warn');
  });

  it('reads the time zone, or says the journal writes UTC', () => {
    expect(timeZoneCheck({ id: '1', time_zone: 'Europe/Berlin' }, undefined).summary).toContain(
      'Europe/Berlin',
    );
    expect(timeZoneCheck({ id: '1', time_zone: 'Mars/Olympus' }, undefined).status).toBe('warn');
    expect(timeZoneCheck(undefined, undefined).status).toBe('warn');
    expect(timeZoneCheck(undefined, 'Asia/Tokyo').status).toBe('pass');
  });

  it('judges the credits left against the estimated allowance', () => {
    expect(creditsCheck(undefined, 51_000).status).toBe('skip');
    expect(creditsCheck(40_000, 51_000).status).toBe('pass');
    expect(creditsCheck(5_000, 51_000).status).toBe('warn');
  });

  it('turns a refused scope into a skip and anything else into a failure with its code', () => {
    const scope = new AuthError(ErrorCode.AUTH_SCOPE_MISMATCH, 'scope');
    expect(errorCheck('users', scope, ['ZohoCRM.users.READ'])).toMatchObject({
      status: 'skip',
      details: { missingScopes: ['ZohoCRM.users.READ'] },
    });
    const down = new TransportError(ErrorCode.NETWORK, 'Zoho unreachable');
    expect(errorCheck('users', down, [])).toMatchObject({ status: 'fail', details: { code: 'NETWORK' } });
    expect(errorCheck('users', new Error('secret-ish text'), []).summary).not.toContain('secret-ish');
  });
});
