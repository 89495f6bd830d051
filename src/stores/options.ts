/**
 * Store options, validated by zod schemas like the connector's: every bad option is reported at once as
 * a `ConfigError` naming its path, never its value. The schemas stay inside; the public option types
 * are the hand-written interfaces of each store.
 *
 * @internal
 * @module
 */
import * as z from 'zod/mini';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { Logger } from '../logger.js';
import { createKeyring, type Keyring } from './crypto.js';

/** A directory path: a non-empty string. @internal */
export const directoryPath = z
  .string({ error: 'must be a directory path (a non-empty string)' })
  .check(z.refine((value) => value.trim() !== '', 'must be a directory path (a non-empty string)'));

/** A positive integer (ms, counts). @internal */
export const positiveInteger = z
  .number({ error: 'must be a positive integer' })
  .check(z.int('must be a positive integer'), z.positive('must be a positive integer'));

/** A non-negative number of milliseconds (`lockTimeoutMs`). @internal */
export const nonNegativeMs = z
  .number({ error: 'must be a non-negative number of milliseconds' })
  // z.number() rejects Infinity and NaN with the message above (classic zod's .finite() was a no-op).
  .check(z.nonnegative('must be a non-negative number of milliseconds'));

/** A Redis key prefix: a non-empty string. @internal */
export const keyPrefix = z
  .string({ error: 'must be a non-empty string' })
  .check(z.minLength(1, 'must be a non-empty string'));

/** An optional logger (the stores warn through it about settings that lose data). @internal */
export const loggerOption = z.custom<Logger>(
  (value: unknown) =>
    typeof value === 'object' &&
    value !== null &&
    ['debug', 'info', 'warn', 'error'].every(
      (level) => typeof (value as Record<string, unknown>)[level] === 'function',
    ),
  'must be a logger with debug, info, warn and error methods',
);

/** An object whose `names` are all functions (an injected client, a pool, a file-system seam). @internal */
export function withMethods<T>(names: readonly string[], message: string) {
  return z.custom<T>(
    (value: unknown) =>
      typeof value === 'object' &&
      value !== null &&
      names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function'),
    message,
  );
}

/** A callback. @internal */
export function callback<T>(message = 'must be a function') {
  return z.custom<T>((value) => typeof value === 'function', message);
}

/** The key options every store has (checked by {@link parseStoreOptions}, not by the schema). @internal */
export const keyOptions = {
  encryptionKey: z.optional(z.unknown()),
  previousEncryptionKeys: z.optional(z.unknown()),
};

/** How a store wants its encryption keys. @internal */
export type KeyPolicy = 'required' | 'optional';

/**
 * Validates a store's options with its schema (strict: unknown keys are reported as `is not a
 * <kind> option`) and builds its keyring from `encryptionKey` / `previousEncryptionKeys`.
 * @param schema - A strict zod object schema of the options (with {@link keyOptions}).
 * @param input - What the host passed.
 * @param context - Names the call in the error, e.g. `createFileStore options`.
 * @param kind - Names the store in "is not a … option", e.g. `file store`.
 * @param keys - Whether `encryptionKey` is required.
 * @throws {@link ConfigError} naming every bad path, never a value.
 * @internal
 */
export function parseStoreOptions<T extends { encryptionKey?: unknown; previousEncryptionKeys?: unknown }>(
  schema: z.ZodMiniType<T>,
  input: unknown,
  context: string,
  kind: string,
  keys: KeyPolicy,
): { options: T; keyring: Keyring | undefined } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ConfigError([{ path: '', message: 'must be an options object' }], context);
  }
  const issues: ConfigIssue[] = [];
  const result = schema.safeParse(input);
  if (!result.success) {
    for (const issue of result.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys) issues.push({ path: key, message: `is not a ${kind} option` });
      } else {
        issues.push({ path: issue.path.map(String).join('.'), message: issue.message });
      }
    }
  }
  const raw = input as { encryptionKey?: unknown; previousEncryptionKeys?: unknown };
  let keyring: Keyring | undefined;
  if (raw.encryptionKey === undefined && keys === 'optional') {
    if (raw.previousEncryptionKeys !== undefined) {
      issues.push({ path: 'previousEncryptionKeys', message: 'requires encryptionKey' });
    }
  } else {
    try {
      keyring = createKeyring(raw.encryptionKey, raw.previousEncryptionKeys, context);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues);
    }
  }
  if (issues.length > 0 || !result.success) throw new ConfigError(issues, context);
  return { options: result.data, keyring };
}
