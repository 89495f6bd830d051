/**
 * The org's own fields at write time: runs a host's `fields` function (`journal.fields`,
 * `createRecords.fields`), merges what it returns into the record under the module's metadata, and reports
 * what it cannot write once (a {@link ConfigError} through the logger and the `configError` event), never
 * failing the write over it: the record goes without the unknown field. Also warns, once per value, about
 * a `result` / `purpose` the org's picklist lacks.
 *
 * @module
 */
import type { FieldMetadata } from '../crm/fields.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { applyFields, type OutcomeFields } from './map-fields.js';

/**
 * Emitted once per field (per connector) when a `fields` option names a field the module does not have in
 * this org, or when the function throws: the record was written without it.
 * @example
 * ```ts
 * zoho.on('configError', (e) => alert(`${e.option}: ${e.error.message}`));
 * ```
 * @group Events
 */
export interface ConfigErrorEvent {
  /** The connection (tenant). */
  connectionId: string;
  /** Which option: `journal.fields` or `createRecords.fields`. */
  option: 'journal.fields' | 'createRecords.fields';
  /** The module written (`Calls`, `Contacts`, `Leads`). */
  module: string;
  /** The fields left out (empty when the function threw). */
  fields: string[];
  /** The error, naming the fields (`issues[].path` is `journal.fields.<name>`). */
  error: ConfigError;
}

/** What {@link createFieldsApplier} needs. @internal */
export interface FieldsApplierOptions {
  connectionId: string;
  option: ConfigErrorEvent['option'];
  logger: Logger;
  emit: (event: ConfigErrorEvent) => void;
}

/** See the module notes. @internal */
export interface FieldsApplier {
  /**
   * Merges `run()`'s fields into `record`; a throwing `run` or an unknown field is reported once and the
   * record is returned without it.
   */
  apply<T extends Record<string, unknown>>(
    module: string,
    record: T,
    run: () => unknown,
    options: { metadata: FieldMetadata | undefined; reserved?: ReadonlySet<string>; marker?: string },
    context?: Record<string, unknown>,
  ): T;
  /** Warns once per field and value about outcome values left out of their field. */
  warnOutcome(refused: OutcomeFields['refused'], context?: Record<string, unknown>): void;
}

/** @internal */
export function createFieldsApplier(options: FieldsApplierOptions): FieldsApplier {
  const reported = new Set<string>();
  const once = (key: string) => {
    if (reported.has(key)) return false;
    reported.add(key);
    return true;
  };
  const report = (
    module: string,
    fields: string[],
    error: ConfigError,
    context?: Record<string, unknown>,
  ) => {
    options.logger.error({ ...context, option: options.option, module, fields, error }, error.message);
    try {
      options.emit({ connectionId: options.connectionId, option: options.option, module, fields, error });
    } catch (listenerError) {
      options.logger.warn({ event: 'configError', error: listenerError }, 'a configError listener threw');
    }
  };

  return {
    apply(module, record, run, applyOptions, context) {
      let extra: unknown;
      try {
        extra = run();
      } catch (error) {
        if (once(`${module}\0throw`)) {
          const message = `threw (${error instanceof Error ? error.name : typeof error}); records are written without its fields`;
          report(module, [], new ConfigError([{ path: options.option, message }], options.option), context);
        }
        return record;
      }
      if (extra === undefined || extra === null) return record;
      if (typeof extra !== 'object' || Array.isArray(extra)) {
        if (once(`${module}\0shape`)) {
          const message = 'must return an object of fields (or nothing); records are written without it';
          report(module, [], new ConfigError([{ path: options.option, message }], options.option), context);
        }
        return record;
      }
      const merged = applyFields(record, extra as Record<string, unknown>, applyOptions);
      const fresh = merged.unknown.filter((name) => once(`${module}\0${name}`));
      if (fresh.length > 0) {
        const error = new ConfigError(
          fresh.map((name) => ({
            path: `${options.option}.${name}`,
            message: `is not a field of ${module} in this org; records are written without it`,
          })),
          options.option,
        );
        report(module, fresh, error, context);
      }
      return merged.record;
    },

    warnOutcome(refused, context) {
      for (const { field, value, why } of refused) {
        if (!once(`outcome\0${field}\0${value}`)) continue;
        options.logger.warn(
          { ...context, field, value },
          `${field}: ${why === 'no such field' ? 'the org has no such field' : `"${value}" is not in the picklist`}; the value goes into the description`,
        );
      }
    },
  };
}
