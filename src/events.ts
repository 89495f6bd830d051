/**
 * A tiny typed event emitter for the connector's events. Listeners that throw are isolated: an event
 * never breaks the operation that emitted it.
 *
 * @module
 */
import type { Logger } from './logger.js';

/** @internal */
export interface Emitter<Events> {
  on<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): () => void;
  off<K extends keyof Events>(name: K, listener: (event: Events[K]) => void): void;
  emit<K extends keyof Events>(name: K, event: Events[K]): void;
  /** Whether anyone listens (lets hot paths skip building an event). */
  has(name: keyof Events): boolean;
  /** The event names that have listeners. */
  names(): (keyof Events)[];
  clear(): void;
}

/** @internal */
export function createEmitter<Events>(logger: Logger): Emitter<Events> {
  const listeners = new Map<keyof Events, Set<(event: never) => void>>();
  return {
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(listener as (event: never) => void);
      return () => this.off(name, listener);
    },
    off(name, listener) {
      listeners.get(name)?.delete(listener as (event: never) => void);
    },
    emit(name, event) {
      const set = listeners.get(name);
      if (!set) return;
      for (const listener of set) {
        try {
          (listener as (event: unknown) => void)(event);
        } catch (error) {
          logger.warn({ event: String(name), error }, 'an event listener threw');
        }
      }
    },
    has(name) {
      return (listeners.get(name)?.size ?? 0) > 0;
    },
    names() {
      return [...listeners].filter(([, set]) => set.size > 0).map(([name]) => name);
    },
    clear() {
      listeners.clear();
    },
  };
}
