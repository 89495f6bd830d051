import { ZohoCrmConnector } from '../../src/connector.js';
import type { PbxCall } from '../../src/journal/pbx-call.js';
import type { ConnectorOptions } from '../../src/options.js';

/** The client every hardening test uses (its secret is not token-shaped: only known-value redaction catches it). */
export const TEST_CLIENT = {
  clientId: '1000.CLIENT',
  clientSecret: 'client-secret-value-0123456789',
  redirectUri: 'https://pbx.example.com/cb',
} as const;

/** A connector for connection `t1` with {@link TEST_CLIENT}, no retries, and the given overrides. */
export function testConnector(options: Partial<ConnectorOptions> = {}): ZohoCrmConnector {
  return new ZohoCrmConnector({
    connectionId: 't1',
    ...TEST_CLIENT,
    ...options,
    http: { retries: 0, ...options.http },
  });
}

/** An answered inbound trunk call that ended ten seconds ago. */
export function endedCall(id: string): PbxCall {
  const now = Date.now();
  return {
    id,
    direction: 'inbound',
    trunk: true,
    from: '+14155552671',
    to: '+14155550100',
    startedAt: new Date(now - 120_000),
    answeredAt: new Date(now - 100_000),
    endedAt: new Date(now - 10_000),
    status: 'answered',
  };
}
