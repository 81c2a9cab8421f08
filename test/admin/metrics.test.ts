/**
 * The metrics behind /metrics: histogram bucket bounds and placement, percentiles read back from
 * the buckets, and the server's counters and gauges rendered as well-formed Prometheus text.
 */
import { describe, expect, test } from "bun:test";
import { geometricBucketBounds, Histogram, latencyBucketBounds } from "../../src/admin/histogram.ts";
import { ServerMetrics } from "../../src/admin/server_metrics.ts";
import type { ServerObserver } from "../../src/net/observer.ts";

/** One sample line of the text format: name, optional {labels}, value. */
const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (\S+)$/;

function samples(text: string, name: string): Array<{ labels: string; value: number }> {
  const found: Array<{ labels: string; value: number }> = [];
  for (const line of text.split("\n")) {
    const match = sampleLine.exec(line);
    if (match !== null && match[1] === name) found.push({ labels: match[2] ?? "", value: Number(match[3]) });
  }
  return found;
}

/** Prometheus's histogram_quantile: linear interpolation inside the bucket holding the rank. */
function histogramQuantile(text: string, name: string, labelFilter: string, quantile: number): number {
  const buckets = samples(text, `${name}_bucket`)
    .filter((sample) => sample.labels.includes(labelFilter))
    .map((sample) => ({ le: Number(/le="([^"]+)"/.exec(sample.labels)![1].replace("+Inf", "Infinity")), count: sample.value }));
  const total = buckets[buckets.length - 1].count;
  const rank = quantile * total;
  let previousBound = 0;
  let previousCount = 0;
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      return previousBound + ((bucket.le - previousBound) * (rank - previousCount)) / (bucket.count - previousCount);
    }
    previousBound = bucket.le;
    previousCount = bucket.count;
  }
  throw new Error("rank past the last bucket");
}

describe("histogram", () => {
  test("bounds are increasing, start at 1 µs and reach 10 s", () => {
    expect(latencyBucketBounds[0]).toBe(1e-6);
    expect(latencyBucketBounds[latencyBucketBounds.length - 1]).toBeGreaterThanOrEqual(10);
    for (let index = 1; index < latencyBucketBounds.length; index++) {
      expect(latencyBucketBounds[index]).toBeGreaterThan(latencyBucketBounds[index - 1]);
      expect(latencyBucketBounds[index] / latencyBucketBounds[index - 1]).toBeLessThan(1.25);
    }
  });

  test("a value equal to a bound lands in that bucket; values past the last bound land in +Inf", () => {
    const histogram = new Histogram(geometricBucketBounds(1, 8, 1)); // 1, 2, 4, 8
    expect(Array.from(histogram.bounds)).toEqual([1, 2, 4, 8]);
    for (const value of [0.5, 1, 1.5, 2, 8, 9, 100]) histogram.observe(value);
    expect(Array.from(histogram.counts)).toEqual([2, 2, 0, 1, 2]);
    expect(histogram.count).toBe(7);
    expect(histogram.sum).toBe(122);
  });
});

describe("server metrics", () => {
  test("requests by op and status, in-flight, connections, bytes", () => {
    const metrics = new ServerMetrics();
    const observer: ServerObserver = metrics;
    observer.requestCompleted("get", "OK", 20e-6);
    observer.requestCompleted("get", "OK", 30e-6);
    observer.requestCompleted("get", "NOT_FOUND", 10e-6);
    observer.requestCompleted("put", "OK", 200e-6);
    observer.requestCompleted("put", "OK", 100e-6, 3);
    observer.inflightChanged(3);
    observer.inflightChanged(-1);
    observer.connectionsChanged(2);
    observer.bytesReceived(100);
    observer.bytesSent(40);
    observer.bytesSent(2);
    const text = metrics.render(null);
    expect(samples(text, "filestore_requests_total")).toEqual([
      { labels: '{op="get",status="OK"}', value: 2 },
      { labels: '{op="get",status="NOT_FOUND"}', value: 1 },
      { labels: '{op="put",status="OK"}', value: 4 },
    ]);
    expect(samples(text, "filestore_request_duration_seconds_count")).toEqual([
      { labels: '{op="get"}', value: 3 },
      { labels: '{op="put"}', value: 4 },
    ]);
    expect(samples(text, "filestore_requests_in_flight")).toEqual([{ labels: "", value: 2 }]);
    expect(samples(text, "filestore_connections")).toEqual([{ labels: "", value: 2 }]);
    expect(samples(text, "filestore_received_bytes_total")).toEqual([{ labels: "", value: 100 }]);
    expect(samples(text, "filestore_sent_bytes_total")).toEqual([{ labels: "", value: 42 }]);
    expect(samples(text, "filestore_log_size_bytes")).toEqual([]); // no engine yet
  });

  test("every line is a comment or a well-formed sample; buckets are cumulative", () => {
    const metrics = new ServerMetrics();
    for (let index = 0; index < 1000; index++) metrics.requestCompleted('odd"op\\', "OK", index * 1e-5);
    metrics.fsyncCompleted(180e-6);
    const text = metrics.render({ keys: 3, revision: 9, logBytes: 4096, liveValueBytes: 12, indexBytesEstimate: 300 });
    expect(text.endsWith("\n")).toBe(true);
    for (const line of text.trimEnd().split("\n")) {
      if (!line.startsWith("# HELP ") && !line.startsWith("# TYPE ")) expect(line).toMatch(sampleLine);
    }
    const buckets = samples(text, "filestore_request_duration_seconds_bucket").map((sample) => sample.value);
    for (let index = 1; index < buckets.length; index++) expect(buckets[index]).toBeGreaterThanOrEqual(buckets[index - 1]);
    expect(buckets[buckets.length - 1]).toBe(1000);
    expect(text).toContain('op="odd\\"op\\\\"');
    expect(samples(text, "filestore_fsync_duration_seconds_count")).toEqual([{ labels: "", value: 1 }]);
    expect(samples(text, "filestore_log_size_bytes")).toEqual([{ labels: "", value: 4096 }]);
    expect(samples(text, "filestore_index_size_bytes")).toEqual([{ labels: "", value: 300 }]);
    expect(samples(text, "filestore_keys")).toEqual([{ labels: "", value: 3 }]);
    expect(samples(text, "filestore_revision")).toEqual([{ labels: "", value: 9 }]);
  });

  test("P50 and P99 computed from the buckets are within 10% of the exact values at microsecond scale", () => {
    const metrics = new ServerMetrics();
    const latencies: number[] = [];
    // A deterministic spread from 15 µs to ~1.5 ms, like loopback requests with a tail.
    for (let index = 0; index < 10_000; index++) {
      const latency = 15e-6 * Math.exp((index % 997) / 216);
      latencies.push(latency);
      metrics.requestCompleted("get", "OK", latency);
    }
    latencies.sort((a, b) => a - b);
    const text = metrics.render(null);
    for (const quantile of [0.5, 0.99]) {
      const exact = latencies[Math.ceil(quantile * latencies.length) - 1];
      const estimate = histogramQuantile(text, "filestore_request_duration_seconds", 'op="get"', quantile);
      expect(Math.abs(estimate - exact) / exact).toBeLessThan(0.1);
    }
  });
});
