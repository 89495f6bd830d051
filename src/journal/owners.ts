/**
 * Owner mapping: the PBX agent of a call (extension or e-mail) → the Zoho user who owns the activity.
 * Zoho refuses to change the owner of a completed call later, so it has to be right on insert.
 *
 * Order: the explicit `journal.agents` map (extension, then e-mail), then the org's active users (e-mail
 * case-insensitively, then the extension in `journal.userExtensionField`), then `fallbackOwnerId`.
 * The user list is cached for an hour and refreshed early (at most every 10 minutes) when an agent is
 * not found, so a new hire is picked up without hammering Zoho.
 *
 * @module
 */

import type { ZohoUser } from '../crm/schemas.js';
import { listActiveUsers } from '../crm/users.js';
import type { ZohoHttp } from '../http/client.js';
import { type Logger, noopLogger } from '../logger.js';
import type { PbxAgent } from './pbx-call.js';
import { isOptionalLookupRefused } from './retry-policy.js';

/** @internal */
export interface OwnerResolverOptions {
  http: ZohoHttp;
  agents?: Readonly<Record<string, string>> | undefined;
  userExtensionField?: string | undefined;
  fallbackOwnerId?: string | undefined;
  now: () => number;
  logger?: Logger;
  /** How long the user list is trusted. @default 3600000 */
  usersTtlMs?: number;
  /** Earliest re-fetch after an agent was not found. @default 600000 */
  missRefreshMs?: number;
}

/** @internal */
export interface OwnerResolver {
  /**
   * The Zoho user id for an agent, or the fallback (undefined: Zoho picks the authorizing user).
   * @throws when the users API fails for a retryable reason (the write is retried later).
   */
  resolve(agent: PbxAgent | undefined): Promise<string | undefined>;
  /** Forgets a user id Zoho refused (deactivated since the list was fetched). */
  reject(userId: string): void;
}

/** @internal */
export function createOwnerResolver(options: OwnerResolverOptions): OwnerResolver {
  const logger = options.logger ?? noopLogger;
  const ttlMs = options.usersTtlMs ?? 3_600_000;
  const missRefreshMs = options.missRefreshMs ?? 600_000;
  const agents = new Map<string, string>();
  for (const [key, id] of Object.entries(options.agents ?? {})) agents.set(key.trim().toLowerCase(), id);
  const rejected = new Set<string>();
  let users: { at: number; byEmail: Map<string, string>; byExtension: Map<string, string> } | undefined;
  let inflight: Promise<void> | undefined;

  const fallback = () =>
    options.fallbackOwnerId && !rejected.has(options.fallbackOwnerId) ? options.fallbackOwnerId : undefined;

  const load = (): Promise<void> => {
    inflight ??= (async () => {
      try {
        const list = await listActiveUsers(options.http);
        users = index(list, options.userExtensionField, options.now());
      } catch (error) {
        if (!isOptionalLookupRefused(error)) throw error;
        // No users permission (scope) or a refusal: owners fall back; try again after missRefreshMs.
        logger.warn(
          { code: (error as { code?: string }).code },
          'cannot list Zoho users; call owners fall back to the fallback owner',
        );
        users = { at: options.now(), byEmail: new Map(), byExtension: new Map() };
      }
    })().finally(() => {
      inflight = undefined;
    });
    return inflight;
  };

  const find = (agent: PbxAgent): string | undefined => {
    const email = agent.email?.trim().toLowerCase();
    const extension = agent.extension.trim();
    const hit =
      (email && users?.byEmail.get(email)) ||
      (options.userExtensionField ? users?.byExtension.get(extension) : undefined);
    return hit && !rejected.has(hit) ? hit : undefined;
  };

  return {
    async resolve(agent) {
      if (!agent) return fallback();
      const explicit =
        agents.get(agent.extension.trim().toLowerCase()) ??
        (agent.email ? agents.get(agent.email.trim().toLowerCase()) : undefined);
      if (explicit && !rejected.has(explicit)) return explicit;
      if (!agent.email && !options.userExtensionField) return fallback();
      if (!users || options.now() - users.at > ttlMs) await load();
      let found = find(agent);
      if (!found && users && options.now() - users.at > missRefreshMs) {
        await load();
        found = find(agent);
      }
      return found ?? fallback();
    },
    reject(userId) {
      rejected.add(userId);
    },
  };
}

// --- Internal helpers ---

function index(
  list: readonly ZohoUser[],
  extensionField: string | undefined,
  at: number,
): { at: number; byEmail: Map<string, string>; byExtension: Map<string, string> } {
  const byEmail = new Map<string, string>();
  const byExtension = new Map<string, string>();
  for (const user of list) {
    if (user.status && user.status !== 'active') continue;
    if (user.email) byEmail.set(user.email.trim().toLowerCase(), user.id);
    if (extensionField) {
      const value = (user as Record<string, unknown>)[extensionField];
      if ((typeof value === 'string' && value.trim()) || typeof value === 'number') {
        byExtension.set(String(value).trim(), user.id);
      }
    }
  }
  return { at, byEmail, byExtension };
}
