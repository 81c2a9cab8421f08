/**
 * One suite, two implementations (STYLE.md point 3): what the driver relies on of a Clock
 * (src/util/clock.ts), run against the real clock and the simulated one. `until` waits for a
 * condition the way each clock lets time pass: the real one by waiting, the simulated one by
 * running soon() callbacks and advancing time a millisecond at a time.
 */
import { expect, test } from "bun:test";
import type { Clock } from "../../src/util/clock.ts";

export interface ClockHarness {
  clock: Clock;
  /** Lets the clock's time pass until `condition` holds (bounded: fails a test that would hang). */
  until(condition: () => boolean, what: string): Promise<void>;
}

export function clockContract(name: string, makeHarness: () => ClockHarness): void {
  test(`${name}: a one-shot timer fires once, not before its delay`, async () => {
    const { clock, until } = makeHarness();
    const startMs = clock.now();
    const firedAtMs: number[] = [];
    clock.after(20, () => firedAtMs.push(clock.now()));
    await until(() => firedAtMs.length === 1, "the timer");
    expect(firedAtMs[0]! - startMs).toBeGreaterThanOrEqual(20);
    let marker = false;
    clock.after(40, () => (marker = true));
    await until(() => marker, "a later timer");
    expect(firedAtMs.length).toBe(1);
  });

  test(`${name}: a repeating timer fires until cancelled; time seen by it never goes back`, async () => {
    const { clock, until } = makeHarness();
    const seenMs: number[] = [];
    const timer = clock.every(5, () => seenMs.push(clock.now()));
    await until(() => seenMs.length >= 3, "three firings");
    timer.cancel();
    const firings = seenMs.length;
    let marker = false;
    clock.after(20, () => (marker = true));
    await until(() => marker, "a timer due after the next firings would have been");
    expect(seenMs.length).toBe(firings);
    for (let i = 1; i < seenMs.length; i++) expect(seenMs[i]!).toBeGreaterThanOrEqual(seenMs[i - 1]!);
  });

  test(`${name}: timers fire in the order they fall due; a cancelled one never fires`, async () => {
    const { clock, until } = makeHarness();
    const order: string[] = [];
    clock.after(30, () => order.push("30"));
    clock.after(10, () => order.push("10"));
    clock.after(20, () => order.push("20")).cancel();
    clock.after(20, () => order.push("20 again"));
    await until(() => order.length === 3, "the timers");
    expect(order).toEqual(["10", "20 again", "30"]);
  });

  test(`${name}: soon() runs its callback after the current work, in the order queued`, async () => {
    const { clock, until } = makeHarness();
    const order: string[] = [];
    clock.soon(() => order.push("first"));
    clock.soon(() => {
      order.push("second");
      clock.soon(() => order.push("queued by the second"));
    });
    order.push("current work");
    await until(() => order.length === 4, "the callbacks");
    expect(order).toEqual(["current work", "first", "second", "queued by the second"]);
  });
}
