/**
 * The shape every journal store checks before it trusts a stored operation or dead letter: a record of
 * the wrong shape (valid JSON written by something else, a flipped byte in a number) becomes a typed
 * `JournalStoreError` or a quarantined record, never a `TypeError` deep inside the journal.
 *
 * Only what the stores and the journal rely on is checked; unknown fields are kept (the journal adds
 * optional fields over time).
 *
 * @internal
 * @module
 */
import { JournalStoreError } from '../errors.js';
import type { DeadLetter, JournalOp } from './store.js';

const KINDS = new Set(['create', 'note', 'update', 'task']);

/**
 * What keeps `value` from being a {@link JournalOp} (a path and a rule, never the value), or
 * undefined when it is one.
 * @internal
 */
export function opProblem(value: unknown, path = 'op'): string | undefined {
  if (!isObject(value)) return `${path} must be an object`;
  for (const key of ['id', 'callId'] as const) {
    if (typeof value[key] !== 'string' || value[key] === '')
      return `${path}.${key} must be a non-empty string`;
  }
  if (!KINDS.has(value.kind as string)) return `${path}.kind must be create, note, update or task`;
  for (const key of ['createdAt', 'attempts', 'nextAttemptAt'] as const) {
    if (typeof value[key] !== 'number' || !Number.isFinite(value[key]))
      return `${path}.${key} must be a finite number`;
  }
  if (value.kind === 'create' && !isObject(value.call)) return `${path}.call must be an object for a create`;
  if (value.kind === 'task' && !isObject(value.call)) return `${path}.call must be an object for a task`;
  if (value.held !== undefined && typeof value.held !== 'boolean') return `${path}.held must be a boolean`;
  if (value.lastError !== undefined) {
    const problem = errorProblem(value.lastError, `${path}.lastError`);
    if (problem) return problem;
  }
  return undefined;
}

/**
 * What keeps `value` from being a {@link DeadLetter}, or undefined when it is one.
 * @internal
 */
export function letterProblem(value: unknown, path = 'letter'): string | undefined {
  if (!isObject(value)) return `${path} must be an object`;
  if (typeof value.failedAt !== 'number' || !Number.isFinite(value.failedAt)) {
    return `${path}.failedAt must be a finite number`;
  }
  return opProblem(value.op, `${path}.op`) ?? errorProblem(value.error, `${path}.error`);
}

/**
 * Throws a `JournalStoreError` (operation `operation`) unless `value` is a {@link JournalOp}.
 * @internal
 */
export function assertOp(value: unknown, store: string, operation: string): asserts value is JournalOp {
  const problem = opProblem(value);
  if (problem) throw new JournalStoreError(store, operation, `not a journal operation: ${problem}`);
}

/**
 * Throws a `JournalStoreError` (operation `operation`) unless `value` is a {@link DeadLetter}.
 * @internal
 */
export function assertLetter(value: unknown, store: string, operation: string): asserts value is DeadLetter {
  const problem = letterProblem(value);
  if (problem) throw new JournalStoreError(store, operation, `not a dead letter: ${problem}`);
}

/**
 * A bad record as it may appear in a report: its first 80 characters, control characters escaped.
 * @internal
 */
export function previewOf(raw: string): string {
  const cut = raw.length > 80 ? `${raw.slice(0, 80)}…` : raw;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: escaping them is the point
  return cut.replace(/[\u0000-\u001f\u007f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// --- Internal helpers ---

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorProblem(value: unknown, path: string): string | undefined {
  if (!isObject(value)) return `${path} must be an object`;
  if (typeof value.code !== 'string') return `${path}.code must be a string`;
  if (typeof value.message !== 'string') return `${path}.message must be a string`;
  return undefined;
}
