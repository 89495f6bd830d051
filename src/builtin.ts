/**
 * Node's built-in modules where the host has them (Node.js, Bun, Deno), read through
 * `process.getBuiltinModule` at first use: the core entry imports none of them, so it still loads in
 * browsers and edge runtimes, and a module nobody uses costs nothing to load.
 *
 * @module
 */

/** The built-in module `id` (`node:http`, `node:crypto`…), or undefined where the host has none. @internal */
export function nodeBuiltin(id: string): unknown {
  const host = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return host?.getBuiltinModule?.(id);
}
