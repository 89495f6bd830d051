/**
 * What the PBX service observes of its tenants: the registry's events become Prometheus counters, and
 * each tenant's last problem is kept (bounded) for the admin page.
 *
 * @module
 */
import type { ConnectorRegistry } from '../registry/registry.js';
import type { Metrics } from './metrics.js';

/** @internal Feeds the registry's events into the counters; remembers each tenant's last problem for the admin page. */
export function watch(
  registry: ConnectorRegistry,
  metrics: Metrics,
  options: { perTenant?: boolean; maxTenants?: number },
): Map<string, string> {
  const lastErrors = new Map<string, string>();
  const remember = (id: string, message: string) => {
    lastErrors.delete(id);
    lastErrors.set(id, message);
    if (lastErrors.size > 10_000) lastErrors.delete(lastErrors.keys().next().value as string);
  };
  registry.on('authorizationLost', (e) =>
    remember(e.connectionId, 'Zoho revoked or expired the grant: authorize again.'),
  );
  registry.on('journalFailed', (e) =>
    remember(e.connectionId, `A call was dead-lettered (${e.error.code}).`),
  );
  const seen = new Set<string>();
  const max = options.maxTenants ?? 100;
  const tenant = (id: string): Record<string, string> => {
    if (!options.perTenant) return {};
    if (seen.has(id) || seen.size < max) {
      seen.add(id);
      return { tenant: id };
    }
    return { tenant: 'other' };
  };
  registry.on('lookup', (e) =>
    metrics.inc('zoho_pbx_lookups_total', { ...tenant(e.connectionId), source: e.source }),
  );
  registry.on('zohoRequest', (e) =>
    metrics.inc('zoho_pbx_zoho_requests_total', { method: e.method, status: String(e.status ?? e.failure) }),
  );
  registry.on('tokenRefreshed', () => metrics.inc('zoho_pbx_token_refreshes_total'));
  registry.on('rateLimited', () => metrics.inc('zoho_pbx_rate_limited_total'));
  registry.on('authorizationLost', () => metrics.inc('zoho_pbx_authorization_lost_total'));
  registry.on('callLogged', (e) =>
    metrics.inc('zoho_pbx_journal_total', { ...tenant(e.connectionId), outcome: 'logged' }),
  );
  registry.on('journalRetry', (e) =>
    metrics.inc('zoho_pbx_journal_total', { ...tenant(e.connectionId), outcome: 'retried' }),
  );
  registry.on('journalFailed', (e) =>
    metrics.inc('zoho_pbx_journal_total', { ...tenant(e.connectionId), outcome: 'dead' }),
  );
  return lastErrors;
}
