/**
 * `zoho-crm-connector serve`: the PBX service as a process. File stores under the data directory (or
 * Redis for a cluster), JSON log lines on stdout, and a graceful shutdown on SIGTERM/SIGINT that stops
 * accepting requests, then closes every tenant's connector (which drains its journal work to the store).
 *
 * @module
 */
import type { Logger } from '../logger.js';
import type { ListeningServer } from '../server/listen.js';
import { createPbxService } from '../server/service.js';
import { createCliRegistry, openStores } from './runtime.js';
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
  const registry = createCliRegistry(config, stores, logger);
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
