/**
 * What a benchmark produces: named measurements with the shape they were taken under, and
 * target checks comparing a measurement with a reference. Plain data, so `--json` can print it.
 */
import type { LatencySummary } from "./histogram.ts";

/** The load a number was measured under; every printed number names its shape. */
export interface BenchShape {
  /** Value size in bytes (payload of a get reply or put request). */
  valueSizeBytes: number;
  /** Open connections driving the load. */
  clients: number;
  /** Requests kept in flight per connection (1 = ping-pong); for open-loop runs, the bound on requests in flight. */
  pipelineDepth: number;
  /** "closed" (next request after a reply) or "open" (fixed timetable). */
  loop: "closed" | "open";
  /** Target request rate for open-loop runs, requests per second. */
  targetRatePerSecond?: number;
  /** Anything else that matters, e.g. "fsync always". */
  note?: string;
}

export interface Measurement {
  /** Which system: "loopback", "redis", "filestore", "etcd". */
  system: string;
  /** What was done: "get", "put", "ping-pong". */
  operation: string;
  shape: BenchShape;
  latency: LatencySummary;
  /** Completed requests per second over the measured window. */
  throughputPerSecond: number;
  /** Where the number came from when it is not our own harness, e.g. "redis-benchmark". */
  source?: string;
  /**
   * Open loop only: the largest delay between a request's due time and its actual send. A large
   * value means the client process itself stalled (CPU contention, GC); that time is included
   * in the latencies, as it should be, but it is not the server's doing.
   */
  driverLagMaxMicroseconds?: number;
}

/** A goal from an issue: `measured` compared with `limit` times `reference`. */
export interface TargetCheck {
  description: string;
  measured: number;
  reference: number;
  /** measured / reference. */
  ratio: number;
  /** "<=" means ratio must not exceed limitRatio; ">=" means it must reach it. */
  comparison: "<=" | ">=";
  limitRatio: number;
  unit: string;
  passed: boolean;
}

/** A table of figures that are not latencies (e.g. CPU per node), printed under the section's measurements. */
export interface FigureTable {
  title: string;
  header: string[];
  rows: string[][];
}

export interface SectionResult {
  section: string;
  measurements: Measurement[];
  targets: TargetCheck[];
  tables?: FigureTable[];
  /** Lines explaining a skip or a caveat, printed under the section. */
  notes: string[];
}

export function checkTarget(
  description: string,
  measured: number,
  reference: number,
  comparison: "<=" | ">=",
  limitRatio: number,
  unit: string,
): TargetCheck {
  const ratio = reference === 0 ? Number.POSITIVE_INFINITY : measured / reference;
  const passed = comparison === "<=" ? ratio <= limitRatio : ratio >= limitRatio;
  return { description, measured, reference, ratio, comparison, limitRatio, unit, passed };
}

export function describeShape(shape: BenchShape): string {
  const parts = [
    `${shape.valueSizeBytes} B`,
    `${shape.clients} conn`,
    shape.loop === "open" ? `in flight <= ${shape.pipelineDepth}` : `depth ${shape.pipelineDepth}`,
    shape.loop === "open" ? `open loop ${Math.round(shape.targetRatePerSecond ?? 0)}/s` : "closed loop",
  ];
  if (shape.note) parts.push(shape.note);
  return parts.join(", ");
}
