/**
 * Checks of public method arguments at runtime: TypeScript stops none of these for JavaScript callers or
 * values typed `any`. A bad argument is a {@link ConfigError} naming the argument, never echoing its value.
 * @internal
 */
import { ConfigError } from './errors.js';

/** A ConfigError for one bad argument of `method`. */
export function argumentError(method: string, path: string, message: string): ConfigError {
  return new ConfigError([{ path, message }], method);
}

/** What a value is, for messages: its kind, never its content. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** `value` when it is a string; a ConfigError otherwise. */
export function requireString(value: unknown, method: string, path: string): string {
  if (typeof value === 'string') return value;
  throw argumentError(method, path, `must be a string (received ${kindOf(value)})`);
}

/**
 * An options argument: `undefined` (no options) or a plain object whose keys are all in `keys`. A typo
 * (`{ limt: 5 }`) is refused rather than ignored.
 */
export function optionsArgument(
  value: unknown,
  method: string,
  keys: readonly string[],
): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw argumentError(method, 'options', `must be an object (received ${kindOf(value)})`);
  }
  if (Object.keys(value).some((key) => !keys.includes(key))) {
    throw argumentError(method, 'options', `has an unknown key; the keys are ${keys.join(', ')}`);
  }
  return value as Record<string, unknown>;
}

/** An optional `AbortSignal`. */
export function optionalSignal(value: unknown, method: string, path: string): AbortSignal | undefined {
  if (value === undefined || value instanceof AbortSignal) return value;
  throw argumentError(method, path, `must be an AbortSignal (received ${kindOf(value)})`);
}

/** An optional integer from `min` to `max` (no NaN, Infinity, fraction, string or bigint). */
export function optionalInteger(
  value: unknown,
  method: string,
  path: string,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  throw argumentError(
    method,
    path,
    `must be an integer from ${min} to ${max} (received ${typeof value === 'number' ? 'a number out of range' : kindOf(value)})`,
  );
}
