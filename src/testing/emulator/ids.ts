/**
 * Identifiers in Zoho's shapes: 19-digit record ids and `1000.<hex>.<hex>` tokens.
 * @internal
 * @module
 */

/** Zoho-like id generator: a 7-digit org prefix, six zeros, and a 6-digit counter (19 digits). */
export class IdGenerator {
  private next: number;
  constructor(
    private readonly prefix: string,
    start = 400_001,
  ) {
    this.next = start;
  }

  /** A fresh 19-digit numeric id. */
  id(): string {
    const n = this.next++;
    return `${this.prefix}${String(n).padStart(12, '0')}`;
  }
}

/** Whether a string looks like a Zoho record id (digits only, 1..19 long). */
export function isRecordId(value: string): boolean {
  return /^\d{1,19}$/.test(value);
}

/** A random hex string of `bytes` bytes (Web Crypto, so it runs wherever msw runs). */
export function randomHex(bytes: number): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  let out = '';
  for (const b of buf) out += b.toString(16).padStart(2, '0');
  return out;
}

/** A token or grant code in Zoho's format: `1000.<32 hex>.<32 hex>`. */
export function zohoToken(): string {
  return `1000.${randomHex(16)}.${randomHex(16)}`;
}
