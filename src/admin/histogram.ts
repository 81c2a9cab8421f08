/**
 * A fixed-bucket latency histogram, cheap enough to update on every request: observe() is a
 * binary search over a Float64Array and two additions, with no allocation. Buckets grow
 * geometrically so percentiles keep the same relative precision from microseconds to seconds.
 */
import { assert } from "../util/assert.ts";

/** Smallest bucket bound: 1 µs, below the fastest in-process request. */
const latencyBucketSecondsMin = 1e-6;
/** Largest finite bucket bound: 10 s, past any request deadline worth measuring. */
const latencyBucketSecondsMax = 10;
/**
 * Four buckets per doubling (each bound ~19% above the previous): P50/P99 interpolated inside one
 * bucket are then off by a few percent at worst, at ~94 buckets per histogram.
 */
const latencyBucketsPerDoubling = 4;
/** Significant digits kept in a bucket bound, so `le` labels stay short and stable. */
const bucketBoundDigits = 3;

/** Geometric bucket bounds from min to at least max, rounded for readable `le` labels. */
export function geometricBucketBounds(min: number, max: number, perDoubling: number): Float64Array {
  assert(min > 0 && max > min && perDoubling >= 1, "bucket bounds need 0 < min < max and perDoubling >= 1");
  const bounds: number[] = [];
  for (let step = 0; ; step++) {
    const bound = Number((min * 2 ** (step / perDoubling)).toPrecision(bucketBoundDigits));
    if (bounds.length === 0 || bound > bounds[bounds.length - 1]) bounds.push(bound);
    if (bound >= max) break;
  }
  return Float64Array.from(bounds);
}

export const latencyBucketBounds = geometricBucketBounds(
  latencyBucketSecondsMin,
  latencyBucketSecondsMax,
  latencyBucketsPerDoubling,
);

export class Histogram {
  /** Observations per bucket, not cumulative; the last slot counts values above every bound (+Inf). */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;

  constructor(readonly bounds: Float64Array = latencyBucketBounds) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  /** Records `value` once, or `times` times (requests answered together share one reading). */
  observe(value: number, times = 1): void {
    const bounds = this.bounds;
    let low = 0;
    let high = bounds.length; // answer in [low, high]: first bound >= value, or bounds.length (+Inf)
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (bounds[middle] < value) low = middle + 1;
      else high = middle;
    }
    this.counts[low] += times;
    this.sum += value * times;
    this.count += times;
  }
}
