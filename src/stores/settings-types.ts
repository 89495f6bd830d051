/**
 * The settings store interface: where a host without its own database keeps each tenant's
 * {@link TenantSettings} (the admin form).
 *
 * @module
 */
import type { ResolvedTenantSettings, TenantSettings } from '../registry/tenant-settings.js';

/**
 * Keeps every tenant's CRM settings. Implementations: {@link createMemorySettingsStore} (core),
 * `createFileSettingsStore` (`zoho-crm-connector/stores/file`, encrypted), `createRedisSettingsStore`
 * (`zoho-crm-connector/stores/redis`). `assertSettingsStoreContract` (`zoho-crm-connector/testing`)
 * checks your own.
 *
 * Every store validates on `set` (a `ConfigError` naming the tenant and the path, never a value), keeps
 * the settings with their defaults filled in, hands out copies, and accepts only ids that match
 * `TENANT_ID_PATTERN`.
 * @example
 * ```ts
 * const zohos = createConnectorRegistry({ ...shared, settings: (id) => settingsStore.get(id) });
 * await settingsStore.set('tenant-42', { clientId, clientSecret, region: 'EU' });
 * await zohos.evict('tenant-42'); // the next get() uses the new settings
 * ```
 * @group Settings stores
 */
export interface SettingsStore {
  /** The tenant's settings (defaults filled in), or undefined for an unknown tenant. */
  get(connectionId: string): Promise<ResolvedTenantSettings | undefined>;
  /** Validates and stores the tenant's settings, replacing what was there. */
  set(connectionId: string, settings: TenantSettings): Promise<void>;
  /** Forgets the tenant; deleting an unknown tenant is not an error. */
  delete(connectionId: string): Promise<void>;
  /** Every tenant id, sorted. */
  list(): Promise<string[]>;
}
