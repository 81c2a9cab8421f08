/**
 * The benchmark's load drivers: the closed loop keeps its pipeline full and stops on a failure;
 * the open loop keeps to its timetable and counts a stall in the latency of every request due
 * during it (no coordinated omission). They run on simulated time: time passes only when a
 * driver waits or a sender says its request took so long, so every figure is exact.
 */
import { describe, expect, test } from "bun:test";
import type { LoadClock } from "../../bench/lib/clock.ts";
import { runClosedLoop } from "../../bench/lib/closed_loop.ts";
import { BenchError } from "../../bench/lib/errors.ts";
import { runOpenLoop } from "../../bench/lib/open_loop.ts";

/** Time that moves only when told: by a driver's wait, or by a sender taking its time. */
class SimulatedClock implements LoadClock {
  private microseconds = 0;

  nowMicroseconds(): number {
    return this.microseconds;
  }

  /** Replies already due are taken first (a turn of the event loop), then the time passes. */
  waitMicroseconds(microseconds: number): Promise<void> {
    return new Promise((resolve) => setImmediate(() => {
      this.advance(microseconds);
      resolve();
    }));
  }

  advance(microseconds: number): void {
    this.microseconds += Math.max(0, microseconds);
  }
}

/** A sender whose requests take `serviceMicroseconds` of simulated time each, answered on the next turn. */
function countingSender(clock: SimulatedClock, serviceMicroseconds = 0) {
  const sender = {
    calls: 0,
    inflight: 0,
    inflightMaxSeen: 0,
    send: () => {
      sender.calls += 1;
      sender.inflight += 1;
      sender.inflightMaxSeen = Math.max(sender.inflightMaxSeen, sender.inflight);
      clock.advance(serviceMicroseconds);
      return new Promise<void>((resolve) => setImmediate(() => {
        sender.inflight -= 1;
        resolve();
      }));
    },
  };
  return sender;
}

/** The histogram keeps three significant digits: a reading comes back up to 0.1% above what was recorded. */
function expectWithinPrecision(actual: number, recorded: number): void {
  expect(actual).toBeGreaterThanOrEqual(recorded);
  expect(actual).toBeLessThanOrEqual(recorded * 1.001);
}

describe("closed loop", () => {
  test("keeps pipelineDepth requests in flight per sender and records every measured reply", async () => {
    const clock = new SimulatedClock();
    const first = countingSender(clock, 100);
    const second = countingSender(clock, 100);
    const outcome = await runClosedLoop({
      senders: [first.send, second.send], pipelineDepth: 3, warmupMilliseconds: 0, durationMilliseconds: 50, clock,
    });
    expect(first.inflightMaxSeen).toBe(3);
    expect(second.inflightMaxSeen).toBe(3);
    expect(outcome.completedCount).toBeGreaterThan(0);
    expect(outcome.histogram.count).toBe(outcome.completedCount);
    expect(outcome.completedCount).toBeLessThanOrEqual(first.calls + second.calls);
  });

  test("a failing request stops the run with its error", async () => {
    const failing = () => Promise.reject(new BenchError("server went away"));
    const clock = new SimulatedClock();
    const options = { senders: [failing], pipelineDepth: 2, warmupMilliseconds: 0, durationMilliseconds: 1000, clock };
    await expect(runClosedLoop(options)).rejects.toThrow("server went away");
  });
});

describe("open loop", () => {
  test("sends exactly the requests the timetable holds, and measures each", async () => {
    const clock = new SimulatedClock();
    const sender = countingSender(clock);
    const ratePerSecond = 2000;
    const durationMilliseconds = 100;
    const outcome = await runOpenLoop({
      senders: [sender.send], ratePerSecond, warmupMilliseconds: 0, durationMilliseconds, inflightMax: 64, clock,
    });
    expect(sender.calls).toBe((ratePerSecond * durationMilliseconds) / 1000);
    expect(outcome.completedCount).toBe(sender.calls);
    expect(outcome.histogram.count).toBe(sender.calls);
  });

  test("a stall counts in the latency of the requests due during it (no coordinated omission)", async () => {
    const clock = new SimulatedClock();
    const stallMicroseconds = 30_000;
    let calls = 0;
    // Request 0 takes 30 ms; every other request is answered at once.
    const stallingOnce = () => {
      if (calls++ === 0) clock.advance(stallMicroseconds);
      return new Promise<void>((resolve) => setImmediate(resolve));
    };
    const outcome = await runOpenLoop({
      senders: [stallingOnce], ratePerSecond: 1000, warmupMilliseconds: 0, durationMilliseconds: 60, inflightMax: 1, clock,
    });
    // Request i (i < 30) was due i ms in but could not be sent before request 0 returned at 30 ms
    // (inflightMax 1): measured from its due time, its latency is 30 - i ms. The other 30 were on time.
    const histogram = outcome.histogram;
    expect(histogram.count).toBe(60);
    expectWithinPrecision(histogram.summary().maxMicroseconds, stallMicroseconds);
    expectWithinPrecision(histogram.percentileMicroseconds(100 * (59 / 60)), 29_000);
    expectWithinPrecision(histogram.percentileMicroseconds(75), 15_000);
    expect(histogram.percentileMicroseconds(50)).toBe(0);
  });
});
