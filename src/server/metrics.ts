/**
 * Counters of the PBX service in Prometheus' text exposition format (version 0.0.4). Labels are bounded:
 * routes are templates, statuses and sources are small sets, and the tenant label is added only when the
 * host asks for it (`metrics.perTenant`), up to a fixed number of tenants.
 *
 * @module
 */

type Labels = Record<string, string>;

interface Counter {
  help: string;
  values: Map<string, { labels: Labels; value: number }>;
}

/** @internal */
export interface Metrics {
  inc(name: MetricName, labels?: Labels, by?: number): void;
  /** Prometheus text. */
  render(): string;
}

/** @internal */
export const METRICS = {
  zoho_pbx_http_requests_total: 'HTTP requests answered by the PBX service, by route template and status.',
  zoho_pbx_lookups_total:
    'Caller lookups, by where the answer came from (cache, contacts, leads, accounts, none, timeout, error).',
  zoho_pbx_zoho_requests_total:
    "Request attempts sent to Zoho's CRM API, by method and HTTP status (or failure kind: network, timeout, deadline, aborted).",
  zoho_pbx_token_refreshes_total: 'Access-token refreshes stored.',
  zoho_pbx_rate_limited_total: 'Zoho answers that refused a request for rate reasons (each is retried).',
  zoho_pbx_journal_total:
    'Journal outcomes: calls queued by the service, logged at Zoho, retried, dead-lettered.',
  zoho_pbx_authorization_lost_total: 'Grants found revoked or expired (the tenant must authorize again).',
} as const;

/** @internal */
export type MetricName = keyof typeof METRICS;

const escapeLabel = (value: string) =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const key = (labels: Labels) =>
  Object.keys(labels)
    .sort()
    .map((name) => `${name}="${escapeLabel(labels[name] as string)}"`)
    .join(',');

/** @internal */
export function createMetrics(): Metrics {
  const counters = new Map<MetricName, Counter>(
    (Object.keys(METRICS) as MetricName[]).map((name) => [name, { help: METRICS[name], values: new Map() }]),
  );
  return {
    inc(name, labels = {}, by = 1) {
      const counter = counters.get(name) as Counter;
      const id = key(labels);
      const entry = counter.values.get(id);
      if (entry) entry.value += by;
      else counter.values.set(id, { labels, value: by });
    },
    render() {
      const lines: string[] = [];
      for (const [name, counter] of counters) {
        lines.push(`# HELP ${name} ${counter.help}`, `# TYPE ${name} counter`);
        if (counter.values.size === 0) lines.push(`${name} 0`);
        for (const { labels, value } of counter.values.values()) {
          const id = key(labels);
          lines.push(id ? `${name}{${id}} ${value}` : `${name} ${value}`);
        }
      }
      return `${lines.join('\n')}\n`;
    },
  };
}
