/**
 * Bearer API keys for the `/v1` routes: several keys at once (rotation), compared in constant time.
 * Both sides are hashed first, so neither the length nor the content of a key shapes the comparison.
 *
 * @module
 */

const encoder = new TextEncoder();

async function digest(value: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', encoder.encode(value)));
}

/** Equal digests, compared without an early exit. @internal */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) difference |= (a[i] as number) ^ (b[i] ?? 0);
  return difference === 0;
}

/** Checks `Authorization: Bearer <key>` against every configured key. @internal */
export type ApiKeyCheck = (authorization: string | null) => Promise<boolean>;

/** @internal */
export function createApiKeyCheck(keys: readonly string[]): ApiKeyCheck {
  const digests = Promise.all(keys.map(digest));
  return async (authorization) => {
    const match = /^Bearer[ ]+(\S+)[ ]*$/i.exec(authorization ?? '');
    const presented = await digest(match?.[1] ?? '');
    let accepted = false;
    for (const known of await digests) accepted = sameDigest(presented, known) || accepted;
    return accepted && match !== null;
  };
}
