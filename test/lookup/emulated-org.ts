/**
 * A Zoho org in process for lookup tests: the emulator's state and router (no sockets) on the emulator's
 * clock, the real HTTP client over it, a calibration keeper over a token store holding a grant, and
 * lookup engines with the connector's option defaults on the same clock. Counts what each lookup sent.
 */
import { type CalibrationKeeper, createCalibrationKeeper } from '../../src/calibration/keeper.js';
import { createZohoHttp } from '../../src/http/client.js';
import type { Logger } from '../../src/logger.js';
import { type CallerLookup, createCallerLookup } from '../../src/lookup/caller-lookup.js';
import type { LookupEvent } from '../../src/lookup/types.js';
import { type ConnectorOptions, parseConnectorOptions } from '../../src/options.js';
import { REGIONS } from '../../src/regions.js';
import { createMemoryStore } from '../../src/stores/memory.js';
import { createZohoRouter } from '../../src/testing/emulator/router.js';
import type { ZohoEmulatorOptions, ZohoEmulatorState } from '../../src/testing/emulator/types.js';
import { zohoUrlScheme } from '../../src/testing/emulator/url-scheme.js';
import { createZohoEmulatorState } from '../../src/testing/server.js';

export const START = Date.parse('2026-06-01T12:00:00Z');
const CONNECTION = 'reading-org';

/** A logger that keeps every line. */
export function keepingLogger() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
  const at = (level: string) => (fields: Record<string, unknown>, message: string) => {
    lines.push({ level, fields, message });
  };
  const logger: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  return { logger, lines };
}

export interface EmulatedOrg {
  emu: ZohoEmulatorState;
  keeper: CalibrationKeeper;
  store: ReturnType<typeof createMemoryStore>;
  /** A lookup engine (one process) with these lookup options over the org. */
  engine(
    lookup?: ConnectorOptions['lookup'],
    extra?: { logger?: Logger; keeper?: CalibrationKeeper | null },
  ): { engine: CallerLookup; events: LookupEvent[] };
  /** CRM requests so far by kind: `search`, `coql`, `fields` (metadata), `other`. */
  sent(): { search: number; coql: number; fields: number; other: number };
  /** Runs `work` and says what it sent. */
  measure<T>(work: () => Promise<T>): Promise<{ result: T; search: number; coql: number; fields: number }>;
  close(): Promise<void>;
}

/** A new org on the emulator's clock (which starts at {@link START}). */
export async function emulatedOrg(
  options: ZohoEmulatorOptions = {},
  grant: { scopes?: readonly string[] } = {},
): Promise<EmulatedOrg> {
  const wall = START;
  const emu = createZohoEmulatorState({ now: () => wall, ...options });
  emu.registerClient({
    clientId: '1000.READING',
    clientSecret: 'secret',
    redirectUris: ['http://localhost/cb'],
  });
  const issued = emu.issueTokens(grant.scopes ? { scopes: grant.scopes } : {});
  const router = createZohoRouter(emu, zohoUrlScheme());
  const counts = { search: 0, coql: 0, fields: 0, other: 0 };
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = new Request(input as string, init);
    const path = new URL(request.url).pathname;
    if (path.endsWith('/search')) counts.search++;
    else if (path.endsWith('/coql')) counts.coql++;
    else if (path.endsWith('/settings/fields')) counts.fields++;
    else counts.other++;
    const response = await router(request);
    if (response.type === 'error') throw new TypeError('fetch failed');
    return response;
  };
  const token = async () => ({ accessToken: issued.accessToken, apiDomain: 'https://www.zohoapis.com' });
  const http = createZohoHttp({
    tokens: { getAccessToken: token, refreshAfterRejection: token },
    fetch,
    timeoutMs: 10_000,
    deadlineMs: 20_000,
    retries: 0,
    maxConcurrency: 20,
  });
  const store = createMemoryStore();
  await store.set(CONNECTION, {
    accessToken: issued.accessToken,
    refreshToken: issued.refreshToken,
    expiresAt: START + 3_600_000,
    apiDomain: 'https://www.zohoapis.com',
    accountsServer: 'https://accounts.zoho.com',
    region: 'US',
    grantedAt: START,
  });
  const now = () => emu.now();
  const keeper = createCalibrationKeeper({
    connectionId: CONNECTION,
    store,
    now,
    logger: keepingLogger().logger,
  });
  const engines: CallerLookup[] = [];
  const sent = () => ({ ...counts });
  return {
    emu,
    keeper,
    store,
    engine(lookup = {}, extra = {}) {
      const resolved = parseConnectorOptions({
        connectionId: CONNECTION,
        clientId: 'c',
        clientSecret: 's',
        redirectUri: 'https://pbx/cb',
        lookup,
      });
      const events: LookupEvent[] = [];
      const keeperFor = extra.keeper === null ? undefined : (extra.keeper ?? keeper);
      const engine = createCallerLookup({
        connectionId: CONNECTION,
        http,
        lookup: resolved.lookup,
        region: () => REGIONS.US,
        now,
        ...(keeperFor ? { calibration: keeperFor } : {}),
        ...(extra.logger ? { logger: extra.logger } : {}),
        events: { enabled: () => true, emit: (event) => events.push(event) },
      });
      engines.push(engine);
      return { engine, events };
    },
    sent,
    async measure(work) {
      const before = sent();
      const result = await work();
      const after = sent();
      return {
        result,
        search: after.search - before.search,
        coql: after.coql - before.coql,
        fields: after.fields - before.fields,
      };
    },
    async close() {
      await Promise.all(engines.splice(0).map((engine) => engine.close()));
    },
  };
}
