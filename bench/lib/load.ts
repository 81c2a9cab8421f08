/**
 * Shared types of the load drivers. A sender issues one request on one connection and
 * resolves when its reply arrives; a driver decides when to call it and records the latency.
 */
import type { LatencyHistogram } from "./histogram.ts";

export type RequestSender = () => Promise<unknown>;

export interface LoadOutcome {
  /** Latencies of the requests that fell in the measured window (after warm-up). */
  histogram: LatencyHistogram;
  /** Replies counted in the measured window. */
  completedCount: number;
  /** Length of the measured window in seconds. */
  elapsedSeconds: number;
  throughputPerSecond: number;
}
