import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/errors.js';
import { createMemoryJournalStore } from '../src/journal/memory-store.js';
import { noopLogger } from '../src/logger.js';
import { DEFAULT_SCOPES, TASK_SCOPES } from '../src/oauth/scopes.js';
import { type ConnectorOptions, parseConnectorOptions } from '../src/options.js';
import { createMemoryStore } from '../src/stores/memory.js';

const SECRET = 'very-secret-client-secret-value';
const base: ConnectorOptions = {
  connectionId: 'tenant-42',
  clientId: '1000.CLIENTID',
  clientSecret: SECRET,
  redirectUri: 'https://pbx.example.com/api/auth/callback/zoho',
};

function configError(input: unknown): ConfigError {
  try {
    parseConnectorOptions(input as ConnectorOptions);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConnectorOptions', () => {
  it('README example: fills every default', () => {
    expect(parseConnectorOptions(base)).toEqual({
      ...base,
      region: 'US',
      edition: 'Standard',
      lookup: {
        order: ['Contacts', 'Leads', 'Accounts'],
        query: 'always',
        defaultCountry: 'US',
        maxExtensionLength: 6,
        timeoutMs: 1500,
        strategy: 'sequential',
        method: 'search',
        searchTermsPerModule: 1,
        multipleMatches: 'mostRecentlyModified',
        discoverPhoneFields: true,
        escalate: true,
        cache: { maxEntries: 10_000, ttlMs: 300_000, negativeTtlMs: 60_000 },
        circuitBreaker: { failureThreshold: 3, probeIntervalMs: 5_000 },
      },
      journal: {
        enabled: true,
        recordingLink: 'private',
        trunkCallsOnly: true,
        transcriptionLink: 'private',
        recordingTarget: 'both',
        durationFormat: 'auto',
        includeCallId: true,
        retry: { baseDelayMs: 5_000, maxDelayMs: 900_000 },
        batchSize: 100,
        holdUnknownCallsMs: 86_400_000,
        missedCallTask: { enabled: false, dueInMinutes: 60 },
      },
      createRecords: {
        enabled: true,
        type: 'Contacts',
        lastNamePlaceholder: 'Unknown caller {number}',
        companyPlaceholder: 'Unknown',
      },
      http: { timeoutMs: 10_000, deadlineMs: 30_000, retries: 3 },
    });
  });

  it('missed-call tasks: defaults, checks, and the Tasks scopes asked for only when on and scopes are not given', () => {
    const on = parseConnectorOptions({ ...base, journal: { missedCallTask: { enabled: true } } });
    expect(on.journal.missedCallTask).toEqual({ enabled: true, dueInMinutes: 60 });
    expect(on.scopes).toEqual([...DEFAULT_SCOPES, ...TASK_SCOPES]);
    expect(on.scopes).toContain('ZohoCRM.modules.tasks.CREATE');
    expect(parseConnectorOptions(base).scopes).toBeUndefined();
    const given = parseConnectorOptions({
      ...base,
      scopes: ['ZohoCRM.modules.ALL'],
      journal: { missedCallTask: { enabled: true } },
    });
    expect(given.scopes).toEqual(['ZohoCRM.modules.ALL']);
    const off = parseConnectorOptions({
      ...base,
      journal: { enabled: false, missedCallTask: { enabled: true } },
    });
    expect(off.scopes).toBeUndefined();
    const template = (c: { name: string }) => `Ring ${c.name}`;
    expect(
      parseConnectorOptions({ ...base, journal: { missedCallTask: { enabled: true, subject: template } } })
        .journal.missedCallTask.subject,
    ).toBe(template);
    expect(configError({ ...base, journal: { missedCallTask: { dueInMinutes: -1 } } }).message).toContain(
      'journal.missedCallTask.dueInMinutes',
    );
    expect(configError({ ...base, journal: { missedCallTask: { due: 5 } } }).message).toContain(
      'journal.missedCallTask: Unrecognized key',
    );
  });

  it('accepts every journal and record-creation option', () => {
    const store = createMemoryJournalStore();
    const subject = () => 'Call';
    const resolved = parseConnectorOptions({
      ...base,
      journal: {
        recordingLink: 'public',
        transcriptionLink: 'none',
        recordingTarget: 'field',
        publicLinks: { secret: new Uint8Array(32) },
        subject,
        durationFormat: 'hh:mm:ss',
        timeZone: 'Asia/Kolkata',
        dedupeField: 'PBX_Call_ID',
        outboundStatusField: false,
        agents: { '201': '4876876000000225013', 'grace@example.com': '4876876000000225014' },
        userExtensionField: 'Extension',
        fallbackOwnerId: '4876876000000225001',
        noteTitle: 'Agent note',
        includeCallId: false,
        store,
        retry: { baseDelayMs: 1_000 },
        batchSize: 50,
        holdUnknownCallsMs: 60_000,
      },
      createRecords: { type: 'Leads', lastNamePlaceholder: 'Caller {number}', leadSource: 'Cold Call' },
    });
    expect(resolved.journal).toMatchObject({
      publicLinks: { ttlSeconds: 2_592_000 },
      subject,
      store,
      outboundStatusField: false,
      retry: { baseDelayMs: 1_000, maxDelayMs: 900_000 },
    });
    expect(resolved.createRecords).toEqual({
      enabled: true,
      type: 'Leads',
      lastNamePlaceholder: 'Caller {number}',
      companyPlaceholder: 'Unknown',
      leadSource: 'Cold Call',
    });
    expect(
      parseConnectorOptions({ ...base, journal: { subject: '{type} call with {name}' } }).journal.subject,
    ).toBe('{type} call with {name}');
  });

  it('accepts the full DESIGN.md option set', () => {
    const pbxContacts = { lookup: async () => undefined };
    const resolved = parseConnectorOptions({
      ...base,
      region: 'EU',
      edition: 'Enterprise',
      tokenStore: createMemoryStore(),
      stateSecret: 'a-long-enough-state-secret',
      scopes: ['ZohoCRM.modules.ALL'],
      endpoints: { accountsUrl: 'http://127.0.0.1:4010/accounts/us', apiUrl: 'http://127.0.0.1:4010/api/us' },
      lookup: {
        order: ['Leads', 'Contacts'],
        query: 'whenNotFoundInPbx',
        defaultCountry: 'gb',
        timeoutMs: 800,
      },
      pbxContacts,
      journal: { enabled: false, recordingLink: 'public' },
      createRecords: { type: 'Leads' },
      http: { maxConcurrency: 5, retries: 0 },
      logger: noopLogger,
      fetch: globalThis.fetch,
    });
    expect(resolved.lookup).toMatchObject({
      order: ['Leads', 'Contacts'],
      defaultCountry: 'GB',
      timeoutMs: 800,
    });
    expect(resolved.pbxContacts).toBe(pbxContacts);
    expect(resolved.http).toEqual({ timeoutMs: 10_000, deadlineMs: 30_000, retries: 0, maxConcurrency: 5 });
  });

  it('allows plain http redirect URIs for localhost only', () => {
    expect(
      parseConnectorOptions({ ...base, redirectUri: 'http://localhost:3000/api/auth/callback/zoho' }),
    ).toBeTruthy();
    expect(parseConnectorOptions({ ...base, redirectUri: 'http://127.0.0.1:3000/cb' })).toBeTruthy();
    expect(configError({ ...base, redirectUri: 'http://pbx.example.com/cb' }).issues).toEqual([
      { path: 'redirectUri', message: 'must use https (http is allowed for localhost only)' },
    ]);
  });

  it.each([
    ['unknown top-level key', '', { ...base, regoin: 'EU' }],
    ['unknown nested key', 'lookup', { ...base, lookup: { ordr: [] } }],
    ['empty connection id', 'connectionId', { ...base, connectionId: ' ' }],
    ['control characters in connection id', 'connectionId', { ...base, connectionId: 'a\nb' }],
    ['missing client id', 'clientId', { ...base, clientId: undefined }],
    ['non-URL redirect', 'redirectUri', { ...base, redirectUri: 'pbx.example.com/cb' }],
    ['unknown region', 'region', { ...base, region: 'XX' }],
    ['unknown edition', 'edition', { ...base, edition: 'Gold' }],
    ['store without methods', 'tokenStore', { ...base, tokenStore: {} }],
    ['short state secret', 'stateSecret', { ...base, stateSecret: 'short' }],
    ['empty scopes', 'scopes', { ...base, scopes: [] }],
    ['non-http endpoint', 'endpoints.apiUrl', { ...base, endpoints: { apiUrl: 'ftp://x' } }],
    ['bad module in order', 'lookup.order[1]', { ...base, lookup: { order: ['Contacts', 'Deals'] } }],
    ['duplicate module in order', 'lookup.order', { ...base, lookup: { order: ['Leads', 'Leads'] } }],
    ['empty order', 'lookup.order', { ...base, lookup: { order: [] } }],
    ['bad query mode', 'lookup.query', { ...base, lookup: { query: 'sometimes' } }],
    ['bad country', 'lookup.defaultCountry', { ...base, lookup: { defaultCountry: 'USA' } }],
    ['UK instead of GB', 'lookup.defaultCountry', { ...base, lookup: { defaultCountry: 'UK' } }],
    [
      'negative extension length',
      'lookup.maxExtensionLength',
      { ...base, lookup: { maxExtensionLength: -1 } },
    ],
    ['zero timeout', 'lookup.timeoutMs', { ...base, lookup: { timeoutMs: 0 } }],
    ['fractional cache size', 'lookup.cache.maxEntries', { ...base, lookup: { cache: { maxEntries: 1.5 } } }],
    ['bad recording link', 'journal.recordingLink', { ...base, journal: { recordingLink: 'secret' } }],
    ['bad record type', 'createRecords.type', { ...base, createRecords: { type: 'Accounts' } }],
    [
      'public links without a secret',
      'journal.publicLinks',
      { ...base, journal: { recordingLink: 'public' } },
    ],
    [
      'public transcription links without a secret',
      'journal.publicLinks',
      { ...base, journal: { transcriptionLink: 'public' } },
    ],
    [
      'short link secret',
      'journal.publicLinks.secret',
      { ...base, journal: { publicLinks: { secret: 'short' } } },
    ],
    [
      'short link secret bytes',
      'journal.publicLinks.secret',
      { ...base, journal: { publicLinks: { secret: new Uint8Array(8) } } },
    ],
    ['unknown time zone', 'journal.timeZone', { ...base, journal: { timeZone: 'Mars/Olympus' } }],
    ['bad dedupe field', 'journal.dedupeField', { ...base, journal: { dedupeField: 'PBX Call Id' } }],
    ['status field true', 'journal.outboundStatusField', { ...base, journal: { outboundStatusField: true } }],
    ['subject neither text nor function', 'journal.subject', { ...base, journal: { subject: 42 } }],
    ['store without methods', 'journal.store', { ...base, journal: { store: { getLogged() {} } } }],
    ['batch above 100', 'journal.batchSize', { ...base, journal: { batchSize: 101 } }],
    [
      'max delay below base delay',
      'journal.retry.maxDelayMs',
      { ...base, journal: { retry: { baseDelayMs: 10_000, maxDelayMs: 1_000 } } },
    ],
    ['empty agent user id', 'journal.agents.201', { ...base, journal: { agents: { '201': ' ' } } }],
    [
      'long last-name placeholder',
      'createRecords.lastNamePlaceholder',
      { ...base, createRecords: { lastNamePlaceholder: 'x'.repeat(81) } },
    ],
    ['too many retries', 'http.retries', { ...base, http: { retries: 11 } }],
    ['logger without methods', 'logger', { ...base, logger: { info() {} } }],
    ['fetch not a function', 'fetch', { ...base, fetch: 'fetch' }],
    ['pbx query without a provider', 'pbxContacts', { ...base, lookup: { query: 'whenNotFoundInPbx' } }],
    ['provider without lookup', 'pbxContacts', { ...base, pbxContacts: {} }],
  ])('rejects %s with a ConfigError naming %j', (_label, path, input) => {
    const error = configError(input);
    expect(error.issues.map((issue) => issue.path)).toContain(path);
    expect(error.message).toContain('Invalid ZohoCrmConnector options:');
  });

  it('names every bad path at once', () => {
    const error = configError({ ...base, region: 'XX', edition: 'Gold', lookup: { timeoutMs: -1 } });
    expect(error.issues.map((issue) => issue.path).sort()).toEqual(['edition', 'lookup.timeoutMs', 'region']);
  });

  it('rejects a non-object input', () => {
    expect(configError(null).issues[0]?.path).toBe('');
  });

  it('names every allowed value, even one the user also typed elsewhere', () => {
    const cases: [unknown, string, string][] = [
      [
        { ...base, lookup: { order: ['Contacts', 'Deals'] } },
        'lookup.order[1]',
        'expected one of "Contacts"|"Leads"|"Accounts"',
      ],
      [
        { ...base, connectionId: 'Leads', clientId: 'Accounts', lookup: { order: ['Contacts', 'Deals'] } },
        'lookup.order[1]',
        'expected one of "Contacts"|"Leads"|"Accounts"',
      ],
      // A user value inside an allowed one ('para' in 'parallel') does not cut it either.
      [
        { ...base, lookup: { strategy: 'para' } },
        'lookup.strategy',
        'expected one of "sequential"|"parallel"',
      ],
      // 'unknown' is what the calibration says before it knows: not a reading to declare.
      [
        { ...base, lookup: { phoneSearch: 'unknown' } },
        'lookup.phoneSearch',
        'expected one of "digits-contains"|"digits-suffix"|"digits-exact"|"exact"',
      ],
      // An English word as a user value does not blank the schema's own words.
      [{ ...base, connectionId: 'must', redirectUri: 'x' }, 'redirectUri', 'must be an http(s) URL'],
      // The value that triggers a custom check is named by the check's message.
      [
        { ...base, lookup: { query: 'whenNotFoundInPbx' } },
        'pbxContacts',
        "is required when lookup.query is 'whenNotFoundInPbx'",
      ],
    ];
    for (const [input, path, text] of cases) {
      const error = configError(input);
      expect(error.issues.find((issue) => issue.path === path)?.message).toContain(text);
      expect(error.message).toContain(text);
      expect(error.message).not.toContain('[value]');
    }
  });

  it("hides the user's own values where a message could echo them (unknown keys)", () => {
    const error = configError({ ...base, connectionId: 'tenant-secret-name', 'tenant-secret-name': 1 });
    expect(error.message).not.toContain('tenant-secret-name');
    expect(error.issues[0]?.message).toContain('[value]');
  });

  it('never echoes a value, not even the client secret', () => {
    const inputs = [
      { ...base, clientSecret: 42 },
      { ...base, region: SECRET },
      { ...base, [SECRET]: true },
      { ...base, redirectUri: SECRET },
      { ...base, lookup: { order: [SECRET] } },
      { ...base, connectionId: `${SECRET}\nx` },
    ];
    for (const input of inputs) {
      const error = configError(input);
      expect(error.message).not.toContain(SECRET);
      expect(JSON.stringify(error)).not.toContain(SECRET);
      expect(JSON.stringify(error.issues)).not.toContain(SECRET);
    }
  });
});
