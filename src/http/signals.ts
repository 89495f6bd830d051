/**
 * The abort signal of one HTTP attempt, built cheaply. `AbortSignal.any()` and listeners on Node's
 * EventTarget cost tens of microseconds per request on Node 20 (more than the rest of our request path),
 * so one attempt carries a single timer set to whichever comes first, the per-attempt timeout or the
 * operation's deadline, and hears of the caller's signal through one listener per signal, shared by every
 * attempt on it (a lookup engine's signal, which `close()` aborts, is on every search). The
 * `AbortSignal` itself is built only for fetch; the node transport hears of the abort through a plain
 * callback.
 *
 * @module
 */

import { nodeBuiltin } from '../builtin.js';

/** Why an attempt was aborted. @internal */
export type AbortCause = 'timeout' | 'deadline' | 'aborted';

/**
 * An abort that a transport hears of without an `AbortSignal` (no EventTarget, no listener to remove).
 * @internal
 */
export interface Abortable {
  readonly aborted: boolean;
  /** Why it aborted (a timeout's `TimeoutError`, the caller's reason); undefined while it has not. */
  readonly reason: unknown;
  /** Calls `listener` once, when it aborts (one listener; a later call replaces it). */
  onAbort(listener: (reason: unknown) => void): void;
}

/** @internal */
export interface AttemptSignal extends Abortable {
  /** The attempt as an `AbortSignal` (for fetch), built on first read. */
  readonly signal: AbortSignal;
  /** Why it aborted, or undefined while it has not. */
  readonly cause: AbortCause | undefined;
  /** Stops the timer and detaches from the caller's signal. */
  clear(): void;
}

/**
 * A signal that aborts after `timeoutMs`, at `deadlineAt` (on `performance.now()`'s clock), or when
 * `callerSignal` aborts, whichever comes first.
 * @internal
 */
export function attemptSignal(
  callerSignal: AbortSignal | undefined,
  timeoutMs: number,
  deadlineAt: number,
): AttemptSignal {
  return new Attempt(callerSignal, timeoutMs, deadlineAt);
}

/**
 * One attempt's abort. A class, so that an attempt allocates its fields and one timer and nothing else:
 * its accessors and methods live on the prototype, the timer calls a module function, and the caller's
 * signal reaches it through its {@link SignalWatch}, where an object literal with getters and closures
 * built all of them again for every request.
 */
class Attempt implements AttemptSignal {
  #controller: AbortController | undefined;
  #listener: ((reason: unknown) => void) | undefined;
  #cause: AbortCause | undefined;
  #reason: unknown;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #timer: ReturnType<typeof setTimeout>;
  /** The watch of the caller's signal this attempt is listed in, while it is; and its neighbours there. */
  watch: SignalWatch | undefined;
  previous: Attempt | undefined;
  next: Attempt | undefined;

  constructor(callerSignal: AbortSignal | undefined, timeoutMs: number, deadlineAt: number) {
    this.#callerSignal = callerSignal;
    const remaining = Math.max(0, deadlineAt - performance.now());
    const bound: AbortCause = remaining < timeoutMs ? 'deadline' : 'timeout';
    this.#timer = setTimeout(timedOut, Math.min(timeoutMs, remaining), this, bound);
    (this.#timer as { unref?: () => void }).unref?.();
    if (callerSignal) {
      if (callerSignal.aborted) this.callerAborted();
      else watchOf(callerSignal).add(this);
    }
  }

  /** The caller's signal aborted (its `abort` event, or already aborted at the start). */
  callerAborted(): void {
    const reason = this.#callerSignal?.reason;
    this.abort(isTimeoutReason(reason) ? 'deadline' : 'aborted', reason);
  }

  /** Aborts once, with the first cause. */
  abort(why: AbortCause, reason: unknown): void {
    if (this.#cause) return;
    this.#cause = why;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#listener?.(reason);
  }

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#cause) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get cause(): AbortCause | undefined {
    return this.#cause;
  }

  get aborted(): boolean {
    return this.#cause !== undefined;
  }

  get reason(): unknown {
    return this.#reason;
  }

  onAbort(listener: (reason: unknown) => void): void {
    this.#listener = listener;
  }

  clear(): void {
    clearTimeout(this.#timer);
    this.watch?.remove(this);
  }
}

/**
 * The attempts waiting on one caller signal, behind a single `abort` listener of the watch's own: an
 * attempt joins and leaves a linked list (two pointer writes, nothing allocated) where an
 * `addEventListener` and a `removeEventListener` on Node's EventTarget cost more than the rest of its
 * set-up. A signal that is never aborted keeps its one listener; the watch goes with the signal.
 */
class SignalWatch {
  #first: Attempt | undefined;
  #last: Attempt | undefined;
  /** Attempts listed. */
  size = 0;

  constructor(signal: AbortSignal) {
    signal.addEventListener('abort', this, { once: true });
  }

  /** Lists `attempt` last: attempts hear an abort in the order they started, as their listeners did. */
  add(attempt: Attempt): void {
    attempt.watch = this;
    attempt.previous = this.#last;
    if (this.#last) this.#last.next = attempt;
    else this.#first = attempt;
    this.#last = attempt;
    this.size++;
  }

  /** Unlists `attempt`, which this watch lists (its `watch`). */
  remove(attempt: Attempt): void {
    const { previous, next } = attempt;
    if (previous) previous.next = next;
    else this.#first = next;
    if (next) next.previous = previous;
    else this.#last = previous;
    attempt.watch = attempt.previous = attempt.next = undefined;
    this.size--;
  }

  /**
   * The signal's `abort` event: every attempt still listed hears it once (one cleared meanwhile does
   * not), even when one of them throws (rethrown afterwards, as EventTarget reports a listener's error).
   * Its one listener is spent: the next attempt on the signal gets a new watch.
   */
  handleEvent(event: Event): void {
    watches.delete(event.target as AbortSignal);
    for (let attempt = this.#first; attempt; attempt = this.#first) {
      this.remove(attempt);
      try {
        attempt.callerAborted();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}

const watches = new WeakMap<AbortSignal, SignalWatch>();

/** How many attempts wait on `signal` now (through its watch): a leak check for tests. @internal */
export function attemptsWaitingOn(signal: AbortSignal): number {
  return watches.get(signal)?.size ?? 0;
}

/** The watch of `signal`, made (with its one listener) the first time an attempt waits on it. */
function watchOf(signal: AbortSignal): SignalWatch {
  let watch = watches.get(signal);
  if (!watch) {
    watch = new SignalWatch(signal);
    watches.set(signal, watch);
  }
  return watch;
}

function timedOut(attempt: Attempt, bound: AbortCause): void {
  attempt.abort(bound, new DOMException('The operation timed out.', 'TimeoutError'));
}

type SetMaxListeners = (n: number, ...targets: EventTarget[]) => void;

/**
 * An `AbortController` whose signal any number of requests may listen to at once (a lookup engine's,
 * which `close()` aborts). Node warns of a leak past ten listeners on one signal, so the limit is lifted
 * where Node has one; other runtimes have none.
 * @internal
 */
export function abortControllerForMany(): AbortController {
  const controller = new AbortController();
  const events = nodeBuiltin('node:events') as { setMaxListeners?: SetMaxListeners } | undefined;
  events?.setMaxListeners?.(0, controller.signal);
  return controller;
}

/** Whether an abort reason is a timeout (e.g. from `AbortSignal.timeout()`). @internal */
export function isTimeoutReason(reason: unknown): boolean {
  return (reason as { name?: unknown } | undefined)?.name === 'TimeoutError';
}

const NOT_YET_VALUE = Symbol('not settled yet');
const NOT_YET = Promise.resolve(NOT_YET_VALUE);

/** What {@link raceDeadline} settled with: the work's value, or why the wait ended first. @internal */
export type Raced<T> = { value: T } | { cause: Exclude<AbortCause, 'timeout'> };

/**
 * Waits for `work` until `deadlineAt` (on `performance.now()`'s clock) or the caller's abort, whichever
 * comes first. Only the wait ends: `work` itself goes on (it may be shared, e.g. a single-flight token
 * refresh), and a rejection it settles with later is observed so it is never reported as unhandled.
 * For waits on things that take no signal, such as a token store call. One plain timer, no
 * AbortController.
 * @internal
 */
export async function raceDeadline<T>(
  work: Promise<T>,
  deadlineAt: number,
  callerSignal?: AbortSignal,
): Promise<Raced<T>> {
  // The common case costs no timer: a token served from memory has settled already.
  const settled = await Promise.race([work, NOT_YET]);
  if (settled !== NOT_YET_VALUE) return { value: settled as T };
  const callerCause = (): Exclude<AbortCause, 'timeout'> =>
    isTimeoutReason(callerSignal?.reason) ? 'deadline' : 'aborted';
  if (callerSignal?.aborted || performance.now() >= deadlineAt) {
    work.catch(() => undefined);
    return Promise.resolve({ cause: callerSignal?.aborted ? callerCause() : 'deadline' });
  }
  return new Promise<Raced<T>>((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      work.catch(() => undefined);
      resolve({ cause: callerCause() });
    };
    const timer = setTimeout(() => {
      finish();
      work.catch(() => undefined);
      resolve({ cause: 'deadline' });
    }, deadlineAt - performance.now());
    callerSignal?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        finish();
        resolve({ value });
      },
      (error: unknown) => {
        finish();
        reject(error);
      },
    );
  });
}
