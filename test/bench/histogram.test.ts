/**
 * The benchmark's latency histogram (HDR percentiles, merging, clamping) and the result tables
 * and targets printed from it.
 */
import { describe, expect, test } from "bun:test";
import { LatencyHistogram } from "../../bench/lib/histogram.ts";
import { checkTarget, describeShape } from "../../bench/lib/result.ts";
import { formatNumber, formatTable } from "../../bench/lib/table.ts";

describe("LatencyHistogram", () => {
  test("percentiles of 1..1000 µs come from the HDR histogram", () => {
    const histogram = new LatencyHistogram();
    for (let value = 1; value <= 1000; value += 1) histogram.recordMicroseconds(value);
    const summary = histogram.summary();
    expect(summary.count).toBe(1000);
    expect(summary.p50Microseconds).toBe(500);
    expect(summary.p99Microseconds).toBe(990);
    expect(summary.p999Microseconds).toBe(999);
    expect(summary.maxMicroseconds).toBe(1000);
    expect(summary.meanMicroseconds).toBeCloseTo(500.5, 0);
  });

  test("an empty histogram summarises to zeros", () => {
    expect(new LatencyHistogram().summary()).toEqual({
      count: 0, p50Microseconds: 0, p99Microseconds: 0, p999Microseconds: 0, maxMicroseconds: 0, meanMicroseconds: 0,
    });
  });

  test("add merges counts; fractional and negative readings are rounded and clamped", () => {
    const first = new LatencyHistogram();
    const second = new LatencyHistogram();
    first.recordMicroseconds(10.4);
    second.recordMicroseconds(-0.3);
    first.add(second);
    expect(first.count).toBe(2);
    expect(first.percentileMicroseconds(100)).toBe(10);
    expect(first.percentileMicroseconds(0)).toBe(0);
  });

  test("a non-finite reading is a broken invariant", () => {
    expect(() => new LatencyHistogram().recordMicroseconds(Number.NaN)).toThrow("finite");
  });
});

describe("targets and tables", () => {
  test("checkTarget computes the ratio and the verdict in both directions", () => {
    expect(checkTarget("latency", 90, 50, "<=", 2, "µs")).toMatchObject({ ratio: 1.8, passed: true });
    expect(checkTarget("latency", 110, 50, "<=", 2, "µs")).toMatchObject({ ratio: 2.2, passed: false });
    expect(checkTarget("throughput", 2100, 100, ">=", 20, "ops/s")).toMatchObject({ ratio: 21, passed: true });
    expect(checkTarget("throughput", 10, 0, ">=", 1, "ops/s").ratio).toBe(Number.POSITIVE_INFINITY);
  });

  test("describeShape names value size, connections, depth and loop", () => {
    expect(describeShape({ valueSizeBytes: 100, clients: 4, pipelineDepth: 32, loop: "closed", note: "fsync always" }))
      .toBe("100 B, 4 conn, depth 32, closed loop, fsync always");
    expect(describeShape({ valueSizeBytes: 100, clients: 1, pipelineDepth: 64, loop: "open", targetRatePerSecond: 5000 }))
      .toBe("100 B, 1 conn, in flight <= 64, open loop 5000/s");
  });

  test("formatTable pads columns to the widest cell", () => {
    const text = formatTable(["name", "shape", "value"], [["a", "x", "1"], ["longer", "y", "12345"]]);
    expect(text.split("\n")).toEqual([
      "name    shape  value",
      "------  -----  -----",
      "a       x          1",
      "longer  y      12345",
    ]);
  });

  test("formatNumber shows missing figures as a dash", () => {
    expect(formatNumber(Number.NaN)).toBe("-");
    expect(formatNumber(12.34)).toBe("12.3");
    expect(formatNumber(123456.7)).toBe("123,457");
  });
});
