import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { createConcurrencyGate } from '../../src/http/gate.js';
import { deferred } from '../helpers/time.js';

describe('concurrency gate', () => {
  it('starts a task at once while a slot is free, and hands slots over in arrival order once full', async () => {
    const gate = createConcurrencyGate(2);
    const started: string[] = [];
    const release = { a: deferred(), b: deferred(), c: deferred(), d: deferred() };
    const task = (name: keyof typeof release) => () => {
      started.push(name);
      return release[name].promise.then(() => name);
    };
    const a = gate.run(task('a'));
    expect(started).toEqual(['a']); // no turn of the event loop before a free slot's task runs
    const b = gate.run(task('b'));
    const c = gate.run(task('c'));
    const d = gate.run(task('d'));
    expect(started).toEqual(['a', 'b']);
    expect([gate.active, gate.waiting, gate.full]).toEqual([2, 2, true]);
    release.b.resolve();
    await b;
    await Promise.resolve();
    expect(started).toEqual(['a', 'b', 'c']);
    release.a.resolve();
    release.c.resolve();
    release.d.resolve();
    expect(await Promise.all([a, c, d])).toEqual(['a', 'c', 'd']);
    expect([gate.active, gate.waiting, gate.full]).toEqual([0, 0, false]);
  });

  it('frees the slot of a task that fails, also one that throws before returning a promise', async () => {
    const gate = createConcurrencyGate(1);
    await expect(gate.run(() => Promise.reject(new Error('zoho said no')))).rejects.toThrow('zoho said no');
    await expect(
      gate.run(() => {
        throw new Error('thrown at once');
      }),
    ).rejects.toThrow('thrown at once');
    expect(gate.active).toBe(0);
    expect(await gate.run(async () => 'next')).toBe('next');
  });

  it('refuses with the reason of a signal aborted before the call, without running the task or taking a slot', async () => {
    const gate = createConcurrencyGate(1);
    const controller = new AbortController();
    const reason = new Error('caller gave up');
    controller.abort(reason);
    let ran = false;
    const refused = gate.run(async () => {
      ran = true;
    }, controller.signal);
    await expect(refused).rejects.toBe(reason);
    expect(ran).toBe(false);
    expect(gate.active).toBe(0);
  });

  it('drops a waiting task whose signal aborts, and its turn goes to the next one', async () => {
    const gate = createConcurrencyGate(1);
    const hold = deferred();
    const first = gate.run(() => hold.promise);
    const controller = new AbortController();
    let ran = false;
    const waiting = gate.run(async () => {
      ran = true;
    }, controller.signal);
    const next = gate.run(async () => 'next');
    controller.abort(new Error('ring ended'));
    await expect(waiting).rejects.toThrow('ring ended');
    expect(gate.waiting).toBe(1);
    hold.resolve();
    await first;
    expect(await next).toBe('next');
    expect(ran).toBe(false);
    expect(gate.active).toBe(0);
  });

  it('drops the right waiter when one behind another aborts, and a granted waiter stops listening to its signal', async () => {
    const gate = createConcurrencyGate(1);
    const hold = deferred();
    const first = gate.run(() => hold.promise);
    const signals = [new AbortController(), new AbortController(), new AbortController()];
    const order: number[] = [];
    const waiting = signals.map((controller, i) =>
      gate.run(async () => {
        order.push(i);
      }, controller.signal),
    );
    signals[1]?.abort(new Error('second caller gave up'));
    await expect(waiting[1]).rejects.toThrow('second caller gave up');
    expect(gate.waiting).toBe(2);
    hold.resolve();
    await Promise.all([first, waiting[0], waiting[2]]);
    expect(order).toEqual([0, 2]);
    for (const controller of signals) expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });
});
