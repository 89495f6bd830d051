/**
 * What was forgotten (here, or heard from another node) while answers were in flight. An answer read
 * from Zoho or Redis before its number, its record or (a miss) the misses were forgotten may be stale:
 * it answers its ring but must not fill the caches. Keys are kept only while something is in flight.
 *
 * @module
 */

/** @internal */
export interface ForgetLedger {
  /** The point an answer starts reading at: pass it to {@link ForgetLedger.staleSince} once it is in. */
  readonly seq: number;
  /** Notes forgotten numbers and record ids, and with `misses` that every miss was forgotten. */
  note(keys: readonly string[], misses?: boolean): void;
  /** Notes that everything was forgotten (another node cleared its cache). */
  noteAll(): void;
  /** Whether an answer for `e164` (`match`, or null for a miss) read since `since` was made stale. */
  staleSince(since: number, e164: string, match: { readonly id: string } | null): boolean;
}

/**
 * @param maxKeys - Keys kept at most; past that, a forget counts as forgetting everything.
 * @param inFlight - Whether any answer is being read now (no keys are kept while none is).
 * @internal
 */
export function createForgetLedger(maxKeys: number, inFlight: () => boolean): ForgetLedger {
  let seq = 0;
  let misses = 0;
  let all = 0;
  const keys = new Map<string, number>();
  return {
    get seq() {
      return seq;
    },
    note(forgotten, missesToo = false) {
      const at = ++seq;
      if (!inFlight()) keys.clear();
      else if (keys.size + forgotten.length > maxKeys) {
        keys.clear();
        all = at;
      } else for (const key of forgotten) keys.set(key, at);
      if (missesToo) misses = at;
    },
    noteAll() {
      all = ++seq;
    },
    staleSince: (since, e164, match) =>
      all > since ||
      (keys.get(e164) ?? 0) > since ||
      (match ? (keys.get(match.id) ?? 0) > since : misses > since),
  };
}
