/**
 * OAuth scope checks in Zoho's `Service.resource[.sub].OPERATION` grammar (docs/zoho-facts.md §1.8).
 * @internal
 * @module
 */

/** An operation a scope can grant. */
export type ScopeOperation = 'READ' | 'CREATE' | 'UPDATE' | 'DELETE';

/** What an endpoint needs, e.g. `{ service: 'ZohoCRM', path: ['modules', 'contacts'], op: 'READ' }`. */
export interface ScopeRequirement {
  readonly service: string;
  readonly path: readonly string[];
  readonly op: ScopeOperation;
}

interface ParsedScope {
  service: string;
  path: string[];
  op: string;
}

/** Parses the `scope` parameter of an authorization request (comma separated; spaces tolerated). */
export function parseScopeParam(value: string): string[] {
  return value
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Whether a scope string has Zoho's shape. */
export function isWellFormedScope(scope: string): boolean {
  return /^[A-Za-z]+(\.[A-Za-z0-9_]+)+$/.test(scope) && scope.split('.').length >= 3;
}

/** A granted scope list with cached checks. */
export class ScopeSet {
  private readonly parsed: ParsedScope[];
  private readonly cache = new Map<string, boolean>();

  constructor(readonly scopes: readonly string[]) {
    this.parsed = scopes.map((s) => {
      const parts = s.toLowerCase().split('.');
      return { service: parts[0] ?? '', path: parts.slice(1, -1), op: (parts.at(-1) ?? '').toUpperCase() };
    });
  }

  /** Whether every requirement is covered by some granted scope. */
  allows(requirements: readonly ScopeRequirement[]): boolean {
    for (const r of requirements) if (!this.allowsOne(r)) return false;
    return true;
  }

  private allowsOne(r: ScopeRequirement): boolean {
    const key = `${r.service}|${r.path.join('.')}|${r.op}`;
    let ok = this.cache.get(key);
    if (ok === undefined) {
      ok = this.parsed.some((g) => covers(g, r));
      this.cache.set(key, ok);
    }
    return ok;
  }
}

/** Builds a requirement. */
export function need(service: string, path: string, op: ScopeOperation): ScopeRequirement {
  return { service, path: path.toLowerCase().split('.'), op };
}

function covers(granted: ParsedScope, r: ScopeRequirement): boolean {
  if (granted.service !== r.service.toLowerCase()) return false;
  if (granted.path.length > r.path.length) return false;
  for (let i = 0; i < granted.path.length; i++) if (granted.path[i] !== r.path[i]) return false;
  switch (granted.op) {
    case 'ALL':
      return true;
    case 'WRITE':
      return r.op !== 'READ';
    default:
      return granted.op === r.op;
  }
}
