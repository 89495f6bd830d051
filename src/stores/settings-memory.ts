/**
 * The in-memory settings store: tests, demos, and hosts that load settings from elsewhere at start-up.
 *
 * @module
 */
import {
  assertTenantId,
  parseTenantSettings,
  type ResolvedTenantSettings,
} from '../registry/tenant-settings.js';
import type { SettingsStore } from './settings-types.js';

/**
 * A {@link SettingsStore} in this process's memory (lost on restart). Values are validated on `set` and
 * copied in and out.
 * @example
 * ```ts
 * const settingsStore = createMemorySettingsStore();
 * await settingsStore.set('tenant-42', { clientId: '1000.ABC', clientSecret: 'secret', region: 'EU' });
 * const zohos = createConnectorRegistry({ ...shared, settings: (id) => settingsStore.get(id) });
 * ```
 * @group Settings stores
 */
export function createMemorySettingsStore(): SettingsStore {
  const tenants = new Map<string, ResolvedTenantSettings>();
  return {
    async get(connectionId) {
      assertTenantId(connectionId);
      const found = tenants.get(connectionId);
      return found ? structuredClone(found) : undefined;
    },
    async set(connectionId, settings) {
      assertTenantId(connectionId);
      tenants.set(connectionId, structuredClone(parseTenantSettings(connectionId, settings)));
    },
    async delete(connectionId) {
      assertTenantId(connectionId);
      tenants.delete(connectionId);
    },
    async list() {
      return [...tenants.keys()].sort();
    },
  };
}
