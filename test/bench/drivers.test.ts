/**
 * The benchmark's load drivers: the closed loop keeps its pipeline full and stops on a failure;
 * the open loop keeps to its timetable and counts a stall in the latency of every request due
 * during it (no coordinated omission).
 */
import { describe, expect, test } from "bun:test";
import { runClosedLoop } from "../../bench/lib/closed_loop.ts";
import { BenchError } from "../../bench/lib/errors.ts";
import { runOpenLoop } from "../../bench/lib/open_loop.ts";

/** A sender that answers on the next turn of the event loop and counts its calls. */
function countingSender() {
  const sender = {
    calls: 0,
    inflight: 0,
    inflightMaxSeen: 0,
    send: () => {
      sender.calls += 1;
      sender.inflight += 1;
      sender.inflightMaxSeen = Math.max(sender.inflightMaxSeen, sender.inflight);
      return new Promise<void>((resolve) => setImmediate(() => {
        sender.inflight -= 1;
        resolve();
      }));
    },
  };
  return sender;
}

describe("closed loop", () => {
  test("keeps pipelineDepth requests in flight per sender and records every measured reply", async () => {
    const first = countingSender();
    const second = countingSender();
    const outcome = await runClosedLoop({
      senders: [first.send, second.send], pipelineDepth: 3, warmupMilliseconds: 0, durationMilliseconds: 50,
    });
    expect(first.inflightMaxSeen).toBe(3);
    expect(second.inflightMaxSeen).toBe(3);
    expect(outcome.completedCount).toBeGreaterThan(0);
    expect(outcome.histogram.count).toBe(outcome.completedCount);
    expect(outcome.completedCount).toBeLessThanOrEqual(first.calls + second.calls);
  });

  test("a failing request stops the run with its error", async () => {
    const failing = () => Promise.reject(new BenchError("server went away"));
    await expect(runClosedLoop({ senders: [failing], pipelineDepth: 2, warmupMilliseconds: 0, durationMilliseconds: 1000 }))
      .rejects.toThrow("server went away");
  });
});

describe("open loop", () => {
  test("sends no more requests than the timetable holds", async () => {
    const sender = countingSender();
    const ratePerSecond = 2000;
    const durationMilliseconds = 100;
    const outcome = await runOpenLoop({
      senders: [sender.send], ratePerSecond, warmupMilliseconds: 0, durationMilliseconds, inflightMax: 64,
    });
    const dueCount = Math.ceil((ratePerSecond * durationMilliseconds) / 1000);
    expect(sender.calls).toBeLessThanOrEqual(dueCount);
    expect(outcome.completedCount).toBe(sender.calls);
    expect(outcome.histogram.count).toBe(sender.calls);
  });

  test("a stall counts in the latency of the requests due during it (no coordinated omission)", async () => {
    const stallMilliseconds = 30;
    let calls = 0;
    const stallingOnce = () => {
      calls += 1;
      const delay = calls === 1 ? stallMilliseconds : 0;
      return new Promise<void>((resolve) => setTimeout(resolve, delay));
    };
    const outcome = await runOpenLoop({
      senders: [stallingOnce], ratePerSecond: 1000, warmupMilliseconds: 0, durationMilliseconds: 60, inflightMax: 1,
    });
    // Request 1 was due 1 ms in but could not be sent before request 0 returned (inflightMax 1):
    // its latency, measured from its due time, includes most of the stall.
    const secondHighest = outcome.histogram.percentileMicroseconds(100 * (1 - 1.5 / outcome.histogram.count));
    expect(secondHighest).toBeGreaterThanOrEqual((stallMilliseconds - 5) * 1000);
  });
});
