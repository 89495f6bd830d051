/**
 * The logger interface the library logs through, and the redaction every log line passes.
 *
 * @module
 */
import { redactValue } from './redact.js';

/**
 * What the connector needs from a logger: pino's `(object, message)` calling style. pino, bunyan-style
 * adapters and `console`-backed shims all fit.
 * @example
 * ```ts
 * import pino from 'pino';
 * const zoho = new ZohoCrmConnector({ ...options, logger: pino() });
 * ```
 * @group Logging
 */
export interface Logger {
  /** Fine-grained diagnostics (each HTTP attempt, cache decisions). */
  debug(obj: Record<string, unknown>, msg: string): void;
  /** Normal events (authorized, call logged). */
  info(obj: Record<string, unknown>, msg: string): void;
  /** Something went wrong and was handled (retry, queued journal entry). */
  warn(obj: Record<string, unknown>, msg: string): void;
  /** Something went wrong and needs attention (authorization lost, dead letter). */
  error(obj: Record<string, unknown>, msg: string): void;
}

/**
 * A logger that discards everything: the default.
 * @group Logging
 */
export const noopLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});

const LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/**
 * Wraps a logger so that every call is redacted first (secret keys, token-shaped strings, auth headers)
 * and a throwing logger can never break the library.
 * @internal
 */
export function createSafeLogger(
  logger: Logger | undefined,
  secrets: () => Iterable<string> = () => [],
): Logger {
  if (!logger || logger === noopLogger) return noopLogger;
  const safe = {} as Logger;
  for (const level of LEVELS) {
    safe[level] = (obj, msg) => {
      try {
        const list = [...secrets()];
        logger[level](redactValue(obj, list) as Record<string, unknown>, redactValue(msg, list) as string);
      } catch {
        // A broken logger must not break a ringing call.
      }
    };
  }
  return safe;
}
