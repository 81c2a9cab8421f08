/**
 * `filestore latency`: probes a server with one get at a time, without end (or for --count
 * intervals), and prints per interval the number of probes and their min, mean, P50, P99 and
 * max in milliseconds, as redis-cli --latency does. Percentiles come from an HDR histogram per
 * interval (3 significant digits, bounded memory however many probes). A stop signal (Ctrl-C)
 * ends it after the probe in flight, printing the unfinished interval.
 */
import type { Histogram } from "hdr-histogram-js";
import { assert } from "../util/assert.ts";
import type { ReadOptions } from "./read_options.ts";

/** Three significant digits: 1234 µs is kept as 1234 µs (±0.1%), finer than any network jitter. */
const significantDigitsCount = 3;
const microsecondsPerMillisecond = 1000;

interface LatencyProbeOptions {
  key: string;
  intervalMs: number;
  /** Intervals to print before stopping; undefined: until `stop`. */
  intervalsCount: number | undefined;
  /** Pause between two probes; 0 sends the next as soon as the last is answered. */
  gapMs: number;
  read: ReadOptions;
  stop: AbortSignal;
}

interface ProbeStore {
  get(key: string, options: ReadOptions): Promise<Uint8Array | null>;
}

export async function runLatencyProbe(
  store: ProbeStore,
  options: LatencyProbeOptions,
  print: (line: string) => Promise<void>,
): Promise<void> {
  assert(Number.isSafeInteger(options.intervalMs) && options.intervalMs >= 1, "latency: interval of at least 1 ms");
  assert(Number.isSafeInteger(options.gapMs) && options.gapMs >= 0, "latency: gap of 0 ms or more");
  assert(options.intervalsCount === undefined || options.intervalsCount >= 1, "latency: at least one interval");
  const hdr = await import("hdr-histogram-js");
  const build = () =>
    hdr.build({ numberOfSignificantValueDigits: significantDigitsCount, autoResize: true, useWebAssembly: false });
  for (let printed = 0; options.intervalsCount === undefined || printed < options.intervalsCount; printed++) {
    if (options.stop.aborted) return;
    const interval = new IntervalStats(build());
    const endsAtMs = performance.now() + options.intervalMs;
    do {
      const startedAtMs = performance.now();
      await store.get(options.key, options.read);
      interval.record(performance.now() - startedAtMs);
      if (options.gapMs > 0) await pause(options.gapMs, options.stop);
    } while (performance.now() < endsAtMs && !options.stop.aborted);
    await print(interval.line());
  }
}

/** One interval's probes; exported for its test. */
export class IntervalStats {
  private count = 0;
  private sumMs = 0;
  private minMs = Infinity;
  private maxMs = 0;

  constructor(private readonly histogram: Histogram) {}

  record(latencyMs: number): void {
    this.count++;
    this.sumMs += latencyMs;
    this.minMs = Math.min(this.minMs, latencyMs);
    this.maxMs = Math.max(this.maxMs, latencyMs);
    this.histogram.recordValue(Math.round(latencyMs * microsecondsPerMillisecond));
  }

  line(): string {
    // HDR answers a bucket's highest value, which can pass the largest probe (p99 4.195 beside max
    // 4.193); the exact min and max bound every percentile, so a line never contradicts itself.
    const percentileMs = (percentile: number) => {
      const bucketMs = this.histogram.getValueAtPercentile(percentile) / microsecondsPerMillisecond;
      return Math.min(this.maxMs, Math.max(this.minMs, bucketMs));
    };
    const fields = [
      ["min_ms", this.minMs],
      ["avg_ms", this.sumMs / this.count],
      ["p50_ms", percentileMs(50)],
      ["p99_ms", percentileMs(99)],
      ["max_ms", this.maxMs],
    ] as const;
    return `probes=${this.count} ${fields.map(([name, value]) => `${name}=${value.toFixed(3)}`).join(" ")}\n`;
  }
}

/** Waits `ms`, or less when `stop` fires first. */
function pause(ms: number, stop: AbortSignal): Promise<void> {
  if (stop.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      stop.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    stop.addEventListener("abort", done);
  });
}
