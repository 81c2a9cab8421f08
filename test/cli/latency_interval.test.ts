/**
 * One interval line of `filestore latency` never contradicts itself: HDR histograms answer a
 * bucket's highest value, so without a bound a P99 could print above the max actually measured
 * (seen as `p99_ms=4.195 ... max_ms=4.193`); every percentile stays within [min, max].
 */
import { expect, test } from "bun:test";
import { build } from "hdr-histogram-js";
import { IntervalStats } from "../../src/cli/latency_probe.ts";

/** The fields of the line printed for an interval whose probes took `latenciesMs`. */
function statsOf(latenciesMs: number[]): Record<string, number> {
  const histogram = build({ numberOfSignificantValueDigits: 3, autoResize: true, useWebAssembly: false });
  const stats = new IntervalStats(histogram);
  for (const latencyMs of latenciesMs) stats.record(latencyMs);
  const fields = stats.line().trim().split(" ").map((field) => field.split("="));
  return Object.fromEntries(fields.map(([name, value]) => [name, Number(value)]));
}

test("a P99 that falls in the top bucket prints as the max, not above it", () => {
  // 4193 µs sits in an HDR bucket (3 digits) whose highest value is above it.
  const fields = statsOf([0.2081, 0.5, 4.1931]);
  expect(fields).toEqual({ probes: 3, min_ms: 0.208, avg_ms: 1.634, p50_ms: 0.5, p99_ms: 4.193, max_ms: 4.193 });
});

test("percentiles never leave [min, max], whatever the latencies", () => {
  for (let seed = 1; seed <= 200; seed++) {
    // Spread over 0-50 ms by two primes: many bucket boundaries, no randomness.
    const latencyOf = (index: number) => ((seed * 7919 + index * 104729) % 50_000) / 997;
    const latencies = Array.from({ length: 1 + (seed % 17) }, (_, index) => latencyOf(index));
    const fields = statsOf(latencies);
    expect(fields.p50_ms).toBeGreaterThanOrEqual(fields.min_ms);
    expect(fields.p99_ms).toBeLessThanOrEqual(fields.max_ms);
    expect(fields.p50_ms).toBeLessThanOrEqual(fields.p99_ms);
  }
});
