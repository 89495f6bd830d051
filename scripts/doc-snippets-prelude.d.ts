// Names the guides use without defining them in the same code block. Block-level declarations shadow these.
import type { Redis } from 'ioredis';
import type {
  ConnectorOptions,
  ConnectorRegistry,
  PbxCall,
  TokenStore,
  ZohoCrmConnector,
} from 'zoho-crm-connector';
import type { ZohoEmulator } from 'zoho-crm-connector/testing';

declare global {
  /** The host's own database in docs/token-stores.md. */
  interface Db {
    one(sql: string, params: unknown[]): Promise<{ tokens: string } | undefined>;
    run(sql: string, params: unknown[]): Promise<void>;
  }
  const db: Db;
  function createSqlStore(db: Db): TokenStore;
  const zoho: ZohoCrmConnector;
  /** The connector registry of docs/multi-tenant.md. */
  const zohos: ConnectorRegistry;
  const redis: Redis;
  const emu: ZohoEmulator;
  const options: ConnectorOptions;
  const call: PbxCall;
  const pbxCall: PbxCall;
  const callbackUrl: string;
  const clientId: string;
  const clientSecret: string;
  const redirectUri: string;
  const state: string;
  const event: { from: string; to: string };
  const request: { url: string };
  const req: { url?: string; query: Record<string, string> };
  const res: { writeHead(status: number, headers?: Record<string, string>): { end(body?: string): void } };
  const log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void };
  const metrics: {
    observe(name: string, value: number, labels?: object): void;
    histogram(name: string, value: number): void;
  };
  function showAuthorizeButton(): void;
  function notifyTenantAdmin(message: string): void;
  function notifyAdmin(message: string): void;
  function retryLater(ms: number): void;
  function showOnPhone(name: string, url?: string): void;
}
