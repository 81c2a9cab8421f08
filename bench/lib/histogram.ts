/**
 * Latency recording over hdr-histogram-js. Values are recorded in whole microseconds (rounded),
 * which is the resolution that matters for requests over TCP; percentiles come from the HDR
 * histogram, never from sorting samples.
 */
import * as hdr from "hdr-histogram-js";
import type { Histogram } from "hdr-histogram-js";
import { assert } from "../../src/util/assert.ts";

/** Three significant digits: a reading of 1234 µs is kept as 1234 µs (±0.1%), enough for P99.9. */
const significantDigitsCount = 3;

/** The percentiles every benchmark reports, as named fields of a summary. */
export interface LatencySummary {
  count: number;
  p50Microseconds: number;
  p99Microseconds: number;
  p999Microseconds: number;
  maxMicroseconds: number;
  meanMicroseconds: number;
}

export class LatencyHistogram {
  private readonly histogram: Histogram;

  constructor() {
    this.histogram = hdr.build({
      numberOfSignificantValueDigits: significantDigitsCount,
      autoResize: true,
      useWebAssembly: false,
    });
  }

  recordMicroseconds(latencyMicroseconds: number): void {
    assert(Number.isFinite(latencyMicroseconds), "latency must be a finite number");
    // A negative reading would mean the clock went backwards; clamp the sub-microsecond noise.
    this.histogram.recordValue(Math.max(0, Math.round(latencyMicroseconds)));
  }

  /** Adds every value of `other`, e.g. to merge per-client histograms. */
  add(other: LatencyHistogram): void {
    this.histogram.add(other.histogram);
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  percentileMicroseconds(percentile: number): number {
    assert(percentile >= 0 && percentile <= 100, "percentile must be within 0..100");
    return this.histogram.getValueAtPercentile(percentile);
  }

  summary(): LatencySummary {
    const empty = this.histogram.totalCount === 0;
    return {
      count: this.histogram.totalCount,
      p50Microseconds: empty ? 0 : this.histogram.getValueAtPercentile(50),
      p99Microseconds: empty ? 0 : this.histogram.getValueAtPercentile(99),
      p999Microseconds: empty ? 0 : this.histogram.getValueAtPercentile(99.9),
      maxMicroseconds: empty ? 0 : this.histogram.maxValue,
      meanMicroseconds: empty ? 0 : Math.round(this.histogram.mean * 10) / 10,
    };
  }

  reset(): void {
    this.histogram.reset();
  }
}
