/** Interleaved benchmark runs: contenders take turns in rotating order and their slices merge. */
import { describe, expect, test } from "bun:test";
import { LatencyHistogram } from "../../bench/lib/histogram.ts";
import { runInterleaved, type Contender, type SliceDurations } from "../../bench/lib/interleave.ts";

/** A contender that records which slices it ran and reports a fixed outcome per slice. */
function scriptedContender(system: string, order: string[], latencyMicroseconds: number): Contender & { warmups: number[] } {
  const warmups: number[] = [];
  return {
    system,
    operation: "get",
    shape: { valueSizeBytes: 100, clients: 1, pipelineDepth: 1, loop: "closed" },
    warmups,
    async runSlice(durations: SliceDurations) {
      order.push(system);
      warmups.push(durations.warmupMilliseconds);
      const histogram = new LatencyHistogram();
      for (let index = 0; index < 10; index += 1) histogram.recordMicroseconds(latencyMicroseconds);
      return { histogram, completedCount: 10, elapsedSeconds: durations.measureMilliseconds / 1000, throughputPerSecond: 0 };
    },
  };
}

describe("runInterleaved", () => {
  test("contenders take turns, the order rotates each round, and slices are merged", async () => {
    const order: string[] = [];
    const first = scriptedContender("a", order, 10);
    const second = scriptedContender("b", order, 20);
    const third = scriptedContender("c", order, 30);
    const results = await runInterleaved([first, second, third], {
      rounds: 3, sliceMilliseconds: 100, firstWarmupMilliseconds: 50, sliceWarmupMilliseconds: 5,
    });
    expect(order).toEqual(["a", "b", "c", "b", "c", "a", "c", "a", "b"]);
    expect(first.warmups).toEqual([50, 5, 5]);
    expect(results.map((m) => [m.system, m.latency.count, m.latency.p50Microseconds, Math.round(m.throughputPerSecond)]))
      .toEqual([["a", 30, 10, 100], ["b", 30, 20, 100], ["c", 30, 30, 100]]);
  });
});
