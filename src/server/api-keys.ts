/**
 * Secrets presented to the service (bearer API keys, the admin password), checked against every
 * configured value in constant time. Both sides are hashed first, so neither the length nor the content
 * of a secret shapes the comparison.
 *
 * @module
 */

import { nodeBuiltin } from '../builtin.js';

const encoder = new TextEncoder();

type NodeCrypto = typeof import('node:crypto');

/**
 * node:crypto where the host has it (Node, Bun, Deno): a synchronous hash, ~2–10 µs against 75–90 µs for
 * `crypto.subtle` on Node 20. Loaded by the first digest (a check being set up or used), not at import:
 * loading it costs milliseconds, and this module is part of the core entry. `null` once known missing.
 */
let nodeCrypto: NodeCrypto | null | undefined;

function builtinCrypto(): NodeCrypto | null {
  if (nodeCrypto === undefined) {
    nodeCrypto = (nodeBuiltin('node:crypto') as NodeCrypto | undefined) ?? null;
  }
  return nodeCrypto;
}

async function digest(value: string): Promise<Uint8Array> {
  const node = builtinCrypto();
  if (node) return node.createHash('sha256').update(value, 'utf8').digest();
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)));
}

/** Equal digests, compared without an early exit. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] ?? 0);
  return difference === 0;
}

/** Whether a presented secret is one of the configured ones (any characters, spaces included). @internal */
export type SecretCheck = (presented: string) => Promise<boolean>;

/** @internal */
export function createSecretCheck(secrets: readonly string[]): SecretCheck {
  const digests = Promise.all(secrets.map(digest));
  return async (presented) => {
    const candidate = await digest(presented);
    let accepted = false;
    for (const known of await digests) accepted = sameDigest(candidate, known) || accepted;
    return accepted;
  };
}

/** Checks `Authorization: Bearer <key>` against every configured key. @internal */
export type ApiKeyCheck = (authorization: string | null) => Promise<boolean>;

/** @internal */
export function createApiKeyCheck(keys: readonly string[]): ApiKeyCheck {
  const check = createSecretCheck(keys);
  return async (authorization) => {
    const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization ?? '');
    const accepted = await check(match?.[1] ?? '');
    return accepted && match !== null;
  };
}
