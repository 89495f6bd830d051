/**
 * Backfill: `importCalls` journals the calls of a CDR export through the journal itself, window by window.
 * Each window (5 inserts' worth) is read from the source, checked against the ledger (calls already logged
 * are skipped), put in the outbox (`create:<callId>`, as `logCall` does) and handed to the outbox in one
 * piece, so that its calls share inserts of up to 100; the next window is read only once every call of
 * this one had its first attempt. So memory holds one window whatever the source's size, and a crash
 * loses nothing: what was logged is in the ledger (a re-run skips it), what was in flight is in the
 * outbox with its "sent" mark (a re-run, or the background pass, reads it back before sending it again).
 *
 * @module
 */
import { argumentError, kindOf, optionalInteger, optionalSignal, optionsArgument } from '../args.js';
import { ConfigError } from '../errors.js';
import { type JournalContext, newOp, type Outcome } from './context.js';
import type { Outbox } from './outbox.js';
import type { NormalizedCall, PbxCall } from './pbx-call.js';
import { parsePbxCall } from './pbx-call.js';
import { errorInfo } from './retry-policy.js';
import type { JournalErrorInfo } from './store.js';

/**
 * Where an import stands (the `onProgress` argument). `done` = `logged + skipped + failed + queued`.
 * @example
 * ```ts
 * const onProgress = (p: ImportProgress) =>
 *   console.log(`${p.done}/${p.total ?? '?'}: ${p.logged} logged, ${p.skipped} skipped, ${p.failed} failed`);
 * ```
 * @group Journal
 */
export interface ImportProgress {
  /** Calls read from the source and dealt with so far. */
  done: number;
  /** How many calls the source holds, when known (an array's length, or the `total` option). */
  total?: number;
  /** Calls written to Zoho by this import (or found there by a read-back after a crash). */
  logged: number;
  /**
   * Calls not written: already logged (an earlier run or live traffic), repeated in the source, internal,
   * or not trunk calls under `journal.trunkCallsOnly`.
   */
  skipped: number;
  /** Calls that are not valid `PbxCall`s, or that Zoho refused for good (they are in the dead letters). */
  failed: number;
  /**
   * Calls in the outbox whose first attempt did not write them (Zoho unavailable, rate limits, another
   * process holding them): the journal writes them in the background, a `flush()` or a re-run.
   */
  queued: number;
}

/**
 * One call an import could not journal.
 * @example
 * ```ts
 * for (const f of summary.failures) console.warn(`#${f.index} ${f.callId ?? '?'}: ${f.error.message}`);
 * ```
 * @group Journal
 */
export interface ImportFailure {
  /** Position of the call in the source, from 0. */
  index: number;
  /** The call's id, when it had one. */
  callId?: string;
  /** Why: `CONFIG_INVALID` for an invalid call (naming the field), else Zoho's refusal. */
  error: JournalErrorInfo;
}

/**
 * What `importCalls` did.
 * @example
 * ```ts
 * const { logged, skipped, failed, queued, failures } = await zoho.importCalls(calls);
 * ```
 * @group Journal
 */
export interface ImportSummary extends ImportProgress {
  /** The signal fired or the connector closed: the source was not read to its end. */
  aborted: boolean;
  /** The first 100 failures, in source order (`failed` counts them all). */
  failures: ImportFailure[];
}

/**
 * Options of `importCalls`.
 * @example
 * ```ts
 * const controller = new AbortController();
 * await zoho.importCalls(cdrs, { total: 100_000, signal: controller.signal, onProgress: (p) => bar.update(p.done) });
 * ```
 * @group Journal
 */
export interface ImportCallsOptions {
  /**
   * Called after each window of calls (up to 500) once they had their first attempt (never twice with
   * the same counts; once for an empty source). A listener that throws is logged, never fatal.
   */
  onProgress?: (progress: ImportProgress) => void;
  /**
   * Stops reading the source. The calls already handed to the journal finish their first attempt (they
   * are in the outbox either way); the summary says `aborted`.
   */
  signal?: AbortSignal;
  /** How many calls the source holds, for `total` when it is not an array (e.g. a file's line count). */
  total?: number;
}

/** Calls per window: this many inserts' worth are read, checked and written before the next. @internal */
export const IMPORT_WINDOW_BATCHES = 5;
const MAX_FAILURES = 100;

/** A call of the source, validated, with its position. */
interface Item {
  index: number;
  call: NormalizedCall;
}

/** What an import needs from the journal. @internal */
export interface ImportDependencies {
  ctx: JournalContext;
  outbox: Pick<Outbox, 'submit' | 'closed'>;
}

/**
 * Journals every call of `calls` (see the module notes).
 * @throws {@link ConfigError} for a source that is not iterable, an invalid option, or a disabled journal.
 * @internal
 */
export async function importCalls(
  deps: ImportDependencies,
  calls: Iterable<PbxCall> | AsyncIterable<PbxCall>,
  input?: ImportCallsOptions,
): Promise<ImportSummary> {
  const { ctx, outbox } = deps;
  const { store, cid, options, logger } = ctx;
  const opts = optionsArgument(input, 'importCalls', ['onProgress', 'signal', 'total']);
  const signal = optionalSignal(opts.signal, 'importCalls', 'options.signal');
  const onProgress = opts.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw argumentError(
      'importCalls',
      'options.onProgress',
      `must be a function (received ${kindOf(onProgress)})`,
    );
  }
  const iterator = iteratorOf(calls);
  const given = optionalInteger(opts.total, 'importCalls', 'options.total', 0, Number.MAX_SAFE_INTEGER);
  const total = Array.isArray(calls) ? calls.length : given;
  if (!options.enabled) {
    throw new ConfigError(
      [{ path: 'journal.enabled', message: 'is false: nothing would be imported' }],
      'importCalls',
    );
  }

  const window = options.batchSize * IMPORT_WINDOW_BATCHES;
  const progress: ImportProgress = {
    done: 0,
    ...(total === undefined ? {} : { total }),
    logged: 0,
    skipped: 0,
    failed: 0,
    queued: 0,
  };
  const failures: ImportFailure[] = [];
  const fail = (index: number, callId: string | undefined, error: JournalErrorInfo) => {
    progress.failed++;
    if (failures.length < MAX_FAILURES) failures.push({ index, ...(callId ? { callId } : {}), error });
  };
  let reported = -1;
  /** Tells `onProgress` where the import stands, once per change (and once for an empty source). */
  const report = () => {
    progress.done = progress.logged + progress.skipped + progress.failed + progress.queued;
    if (progress.done === reported) return;
    reported = progress.done;
    try {
      (onProgress as ((p: ImportProgress) => void) | undefined)?.({ ...progress });
    } catch (error) {
      logger.warn({ error }, 'an importCalls onProgress listener threw');
    }
  };

  let index = 0;
  let aborted = false;
  let exhausted = false;
  try {
    while (!exhausted) {
      if (signal?.aborted || outbox.closed) {
        aborted = true;
        break;
      }
      // 1. Read one window and validate it.
      const batch: Item[] = [];
      const seen = new Set<string>();
      for (let read = 0; read < window; read++) {
        const next = await iterator.next();
        if (next.done) {
          exhausted = true;
          break;
        }
        const at = index++;
        let call: NormalizedCall;
        try {
          call = parsePbxCall(next.value);
        } catch (error) {
          fail(at, idOf(next.value), errorInfo(error));
          continue;
        }
        if (call.direction === 'internal' || (options.trunkCallsOnly && !call.trunk) || seen.has(call.id)) {
          progress.skipped++;
          continue;
        }
        seen.add(call.id);
        batch.push({ index: at, call });
      }
      // 2. Skip what is logged; put the rest in the outbox and hand it over in one piece.
      const logged = await Promise.all(batch.map(({ call }) => store.getLogged(cid, call.id)));
      const todo = batch.filter((_, i) => logged[i] === undefined);
      progress.skipped += batch.length - todo.length;
      const at = ctx.now();
      const ops = todo.map(({ call }) => newOp('create', call.id, { call }, at));
      // Already queued (a crashed run, or live traffic): the stored copy is written, never a second one.
      await Promise.all(ops.map((op) => store.add(cid, op)));
      const outcomes = await Promise.all(ops.map((op) => outbox.submit(op)));
      // 3. Count.
      for (const [i, outcome] of outcomes.entries()) count(outcome, todo[i] as Item);
      report();
    }
  } finally {
    if (!exhausted) await closeIterator(iterator);
  }
  if (aborted) report();
  return { ...progress, aborted, failures };

  function count(outcome: Outcome, item: Item): void {
    if (outcome.status === 'logged') {
      if (outcome.reason === 'already logged') progress.skipped++;
      else progress.logged++;
    } else if (outcome.status === 'queued') progress.queued++;
    else fail(item.index, item.call.id, errorInfo(outcome.error));
  }
}

// --- Internal helpers ---

function iteratorOf<T>(source: Iterable<T> | AsyncIterable<T>): AsyncIterator<T> | Iterator<T> {
  const value = source as unknown as Record<symbol, unknown> | null | undefined;
  if (value !== null && value !== undefined && typeof value === 'object') {
    const asyncIterator = value[Symbol.asyncIterator];
    if (typeof asyncIterator === 'function') return asyncIterator.call(source) as AsyncIterator<T>;
    const syncIterator = value[Symbol.iterator];
    if (typeof syncIterator === 'function') return syncIterator.call(source) as Iterator<T>;
  }
  throw argumentError(
    'importCalls',
    'calls',
    `must be an iterable or async iterable of PbxCall (received ${kindOf(source)})`,
  );
}

/** Lets the source clean up (close its file) when the import stops before its end. */
async function closeIterator(iterator: AsyncIterator<unknown> | Iterator<unknown>): Promise<void> {
  try {
    await iterator.return?.();
  } catch {
    // The source's own clean-up failed; the import's outcome stands.
  }
}

function idOf(value: unknown): string | undefined {
  const id = (value as { id?: unknown } | null | undefined)?.id;
  return typeof id === 'string' && id.length <= 200 ? id : undefined;
}
