/**
 * Scopes for `diagnose()`: whether a granted scope list covers a scope (Zoho's
 * `Service.resource[.sub].OPERATION` grammar, where `ALL` covers every operation and a shorter resource
 * path covers the longer ones below it), and which scopes the configured features need. Pure.
 *
 * @module
 */
import type { LookupModule } from '../options.js';

/** Parses a stored `scope` value (Zoho separates with spaces; commas are tolerated). @internal */
export function parseGrantedScopes(scope: string | undefined): string[] | undefined {
  if (scope === undefined) return undefined;
  const list = scope
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/** Whether one of `granted` covers `needed`. @internal */
export function scopeCovered(granted: readonly string[], needed: string): boolean {
  const want = splitScope(needed);
  return granted.some((scope) => {
    const have = splitScope(scope);
    if (have.service !== want.service || have.path.length > want.path.length) return false;
    if (!have.path.every((part, i) => part === want.path[i])) return false;
    return have.op === 'ALL' || have.op === want.op || (have.op === 'WRITE' && want.op !== 'READ');
  });
}

/** The scopes of `needed` that `granted` does not cover, in order. @internal */
export function missingScopes(granted: readonly string[], needed: readonly string[]): string[] {
  return needed.filter((scope) => !scopeCovered(granted, scope));
}

/** What the configured features need, by how much it matters. @internal */
export interface ScopeNeeds {
  /** Without these a configured feature fails. */
  required: string[];
  /** Without these the connector works with a gap (custom phone fields, COQL escalation). */
  optional: string[];
}

/** The features whose scopes matter (from the resolved options). @internal */
export interface ScopeFeatures {
  lookupOrder: readonly LookupModule[];
  lookupMethod: 'search' | 'coql';
  journal: boolean;
  createRecords: false | 'Contacts' | 'Leads';
}

/** The scopes the configured features need. @internal */
export function neededScopes(features: ScopeFeatures): ScopeNeeds {
  const required = new Set<string>();
  const optional = new Set<string>(['ZohoCRM.settings.fields.READ']);
  for (const module of features.lookupOrder) required.add(moduleScope(module, 'READ'));
  required.add('ZohoSearch.securesearch.READ');
  (features.lookupMethod === 'coql' ? required : optional).add('ZohoCRM.coql.READ');
  if (features.createRecords) required.add(moduleScope(features.createRecords, 'CREATE'));
  if (features.journal) {
    for (const op of ['READ', 'CREATE', 'UPDATE'] as const) required.add(moduleScope('Calls', op));
    required.add(moduleScope('Notes', 'CREATE'));
    required.add('ZohoCRM.users.READ');
  }
  for (const scope of required) optional.delete(scope);
  return { required: [...required], optional: [...optional] };
}

/** `ZohoCRM.modules.<module>.<OP>`. @internal */
export function moduleScope(module: string, op: 'READ' | 'CREATE' | 'UPDATE' | 'DELETE'): string {
  return `ZohoCRM.modules.${module.toLowerCase()}.${op}`;
}

// --- Internal helpers ---

function splitScope(scope: string): { service: string; path: string[]; op: string } {
  const parts = scope.split('.');
  return {
    service: (parts[0] ?? '').toLowerCase(),
    path: parts.slice(1, -1).map((p) => p.toLowerCase()),
    op: (parts.at(-1) ?? '').toUpperCase(),
  };
}
