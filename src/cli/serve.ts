/**
 * `zoho-crm-connector serve`: the PBX service as a process. File stores under the data directory (or
 * Redis for a cluster), JSON log lines on stdout, and a graceful shutdown on SIGTERM/SIGINT that stops
 * accepting requests, then closes every tenant's connector (which drains its journal work to the store).
 *
 * @module
 */
import { join } from 'node:path';
import type { Logger } from '../logger.js';
import type { EndpointOverrides } from '../options.js';
import { REGION_CODES } from '../regions.js';
import { createConnectorRegistry } from '../registry/registry.js';
import type { ListeningServer } from '../server/listen.js';
import { createPbxService } from '../server/service.js';
import { localUrlScheme } from '../testing/emulator/url-scheme.js';
import type { ServeConfig } from './serve-config.js';

/** One JSON object per line on stdout (errors keep their code and message, never a stack or a secret). */
export function jsonLogger(write: (line: string) => void = (line) => process.stdout.write(line)): Logger {
  const log = (level: string) => (obj: Record<string, unknown>, msg: string) => {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(obj)) {
      fields[key] =
        value instanceof Error
          ? { name: value.name, message: value.message, code: (value as { code?: unknown }).code }
          : value;
    }
    write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
  return { debug: () => undefined, info: log('info'), warn: log('warn'), error: log('error') };
}

/** A running `serve`. @internal */
export interface RunningServe {
  server: ListeningServer;
  /** Stops the server, closes the connectors and the stores' clients. */
  stop(): Promise<void>;
}

/** Starts the service from its configuration. @internal */
export async function startServe(config: ServeConfig, logger: Logger = jsonLogger()): Promise<RunningServe> {
  const stores = await openStores(config);
  const endpoints: EndpointOverrides | undefined = config.emulator
    ? emulatorEndpoints(config.emulator)
    : undefined;
  const registry = createConnectorRegistry({
    redirectUri: `${config.publicUrl}/api/auth/callback/zoho`,
    stateSecret: config.stateSecret,
    tokenStore: stores.tokens,
    journalStore: stores.journal,
    logger,
    ...(endpoints ? { endpoints } : {}),
    settings: (id) => stores.settings.get(id),
    connectorOptions: () => ({
      journal: { publicLinks: { secret: config.publicLinkSecret } },
      // A PBX that calls this service has checked its own contacts before it asks.
      pbxContacts: { lookup: () => undefined },
    }),
  });
  const service = createPbxService({
    registry,
    apiKeys: config.apiKeys,
    settingsStore: stores.settings,
    logger,
    sessionSecret: config.sessionSecret,
    secureCookies: config.publicUrl.startsWith('https:'),
    ...(config.adminPassword ? { adminPassword: config.adminPassword } : {}),
  });
  const server = await service.listen({ port: config.port, host: config.host });
  logger.info(
    {
      url: server.url,
      redirectUri: `${config.publicUrl}/api/auth/callback/zoho`,
      stores: config.redisUrl ? 'redis' : 'file',
    },
    'zoho-crm-connector service listening',
  );
  let stopping: Promise<void> | undefined;
  return {
    server,
    stop: () => {
      stopping ??= (async () => {
        await server.close();
        await registry.close();
        await stores.close();
        logger.info({}, 'zoho-crm-connector service stopped');
      })();
      return stopping;
    },
  };
}

function emulatorEndpoints(origin: string): EndpointOverrides {
  const scheme = localUrlScheme(origin.replace(/\/+$/, ''));
  return {
    regions: Object.fromEntries(
      REGION_CODES.map((code) => [
        code,
        { accountsUrl: scheme.accountsUrl(code), apiUrl: scheme.apiUrl(code) },
      ]),
    ),
  };
}

async function openStores(config: ServeConfig) {
  if (config.redisUrl) {
    const [{ Redis }, redisStores] = await Promise.all([import('ioredis'), import('../stores/redis.js')]);
    // Fail fast while Redis is down instead of queueing commands forever.
    const client = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
    const options = { client, encryptionKey: config.encryptionKey };
    return {
      tokens: redisStores.createRedisStore(options),
      journal: redisStores.createRedisJournalStore(options),
      settings: redisStores.createRedisSettingsStore(options),
      close: async () => {
        await client.quit().catch(() => client.disconnect());
      },
    };
  }
  const fileStores = await import('../stores/file.js');
  const encryptionKey = config.encryptionKey;
  return {
    tokens: fileStores.createFileStore({ path: join(config.dataDir, 'tokens'), encryptionKey }),
    journal: fileStores.createFileJournalStore({ path: join(config.dataDir, 'journal'), encryptionKey }),
    settings: fileStores.createFileSettingsStore({ path: join(config.dataDir, 'settings'), encryptionKey }),
    close: async () => undefined,
  };
}
