/**
 * Failed-login accounting for the admin page: per client (the socket's address as `listen()` reports
 * it; hosts that mount `fetch` themselves share one bucket) and a global backstop. An attempt takes its
 * slot before any await, so a burst of concurrent guesses cannot all slip past the count.
 *
 * @module
 */

/** @internal */
export interface LoginLimiter {
  /** Takes a slot for an attempt; `false` when this client (or everyone) is over the limit. */
  begin(client: string): boolean;
  /** Ends an attempt: a success gives its slot back, a failure keeps it for the window. */
  end(client: string, succeeded: boolean): void;
}

/** @internal */
export function createLoginLimiter(options: {
  perClient: number;
  global: number;
  windowMs: number;
  now: () => number;
}): LoginLimiter {
  const attempts = new Map<string, number[]>();
  const all: number[] = [];
  const prune = (list: number[], now: number) => {
    while (list.length > 0 && (list[0] as number) <= now - options.windowMs) list.shift();
  };
  return {
    begin(client) {
      const now = options.now();
      prune(all, now);
      const mine = attempts.get(client) ?? [];
      prune(mine, now);
      if (mine.length >= options.perClient || all.length >= options.global) return false;
      mine.push(now);
      all.push(now);
      attempts.set(client, mine);
      if (attempts.size > 10_000) attempts.delete(attempts.keys().next().value as string);
      return true;
    },
    end(client, succeeded) {
      if (!succeeded) return;
      attempts.get(client)?.pop();
      all.pop();
    },
  };
}

/** The header `listen()` sets to the socket's remote address (any such header from outside is dropped). @internal */
export const CLIENT_ADDRESS_HEADER = 'x-zcc-client-address';
