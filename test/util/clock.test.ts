/**
 * The clocks: the shared contract (clock_contract.ts) on the real and the simulated clock, and
 * what only the simulated one promises: time moves only when told, each timer sees its own due
 * time, and a run replays exactly.
 */
import { describe, expect, test } from "bun:test";
import { realClock } from "../../src/util/clock.ts";
import { SimulatedClock } from "../../src/util/simulated_clock.ts";
import { waitFor } from "../support/wait_for.ts";
import { clockContract } from "./clock_contract.ts";

/** Simulated milliseconds `until` lets pass before it gives up. */
const simulatedWaitMsMax = 10_000;

function simulatedHarness(clock = new SimulatedClock()) {
  return {
    clock,
    async until(condition: () => boolean, what: string): Promise<void> {
      for (let elapsed = 0; elapsed <= simulatedWaitMsMax; elapsed++) {
        clock.runSoon();
        if (condition()) return;
        clock.advance(1);
      }
      throw new Error(`waited ${simulatedWaitMsMax} simulated ms for ${what}, in vain`);
    },
  };
}

describe("clock contract", () => {
  const untilReal = async (condition: () => boolean, what: string) => void (await waitFor(condition, what));
  clockContract("real clock", () => ({ clock: realClock, until: untilReal }));
  clockContract("simulated clock", () => simulatedHarness());
});

describe("simulated clock", () => {
  test("time moves only when advanced; each timer sees its own due time", () => {
    const clock = new SimulatedClock(100);
    const seen: number[] = [];
    clock.every(10, () => seen.push(clock.now()));
    clock.after(15, () => seen.push(clock.now()));
    clock.soon(() => seen.push(-1));
    expect(clock.now()).toBe(100);
    expect(seen).toEqual([]);
    expect(clock.advance(25)).toBe(3);
    expect(seen).toEqual([110, 115, 120]);
    expect(clock.now()).toBe(125);
    expect(clock.nextDueMs()).toBe(130);
    expect(clock.runSoon()).toBe(1);
  });

  test("a repeating timer cancelled from its own callback does not fire again", () => {
    const clock = new SimulatedClock();
    let firings = 0;
    const timer = clock.every(1, () => {
      firings++;
      if (firings === 2) timer.cancel();
    });
    clock.advance(10);
    expect(firings).toBe(2);
    expect(clock.nextDueMs()).toBe(Infinity);
  });

  test("the same schedule replays the same trace", () => {
    const trace = () => {
      const clock = new SimulatedClock();
      const events: string[] = [];
      for (let i = 1; i <= 5; i++) clock.every(i * 3, () => events.push(`every${i}@${clock.now()}`));
      for (let i = 1; i <= 5; i++) clock.after(i * 7, () => events.push(`after${i}@${clock.now()}`));
      for (let step = 0; step < 20; step++) clock.advance(step % 4);
      return events;
    };
    expect(trace()).toEqual(trace());
    expect(trace().length).toBeGreaterThan(20);
  });
});
