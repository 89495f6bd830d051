/**
 * `diagnose()`'s options, checked at runtime, and the system clock the probes wait with by default.
 *
 * @module
 */
import { argumentError, kindOf, optionalInteger, optionalSignal, optionsArgument } from '../args.js';
import type { DiagnoseClock } from './types.js';

/** The options with their defaults. @internal */
export interface ReadOptions {
  write: boolean;
  maxIndexWaitMs: number;
  signal: AbortSignal | undefined;
  clock: DiagnoseClock;
}

/** Checks `diagnose()`'s options. @internal */
export function readOptions(input: unknown): ReadOptions {
  const method = 'diagnose';
  const raw = optionsArgument(input, method, ['write', 'maxIndexWaitMs', 'signal', 'clock']);
  if (raw.write !== undefined && typeof raw.write !== 'boolean') {
    throw argumentError(method, 'write', `must be a boolean (received ${kindOf(raw.write)})`);
  }
  const clock = raw.clock as DiagnoseClock | undefined;
  if (clock !== undefined && (typeof clock?.now !== 'function' || typeof clock?.sleep !== 'function')) {
    throw argumentError(method, 'clock', 'must have now() and sleep(ms, signal) functions');
  }
  return {
    write: raw.write === true,
    maxIndexWaitMs: optionalInteger(raw.maxIndexWaitMs, method, 'maxIndexWaitMs', 1_000, 600_000) ?? 60_000,
    signal: optionalSignal(raw.signal, method, 'signal'),
    clock: clock ?? systemClock,
  };
}

const systemClock: DiagnoseClock = {
  now: Date.now,
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', abort);
        resolve();
      }, ms);
      const abort = () => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', abort, { once: true });
    }),
};
