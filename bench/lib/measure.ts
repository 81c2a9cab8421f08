/**
 * Runs a driver and labels its outcome with the system, operation and shape, so every
 * benchmark produces Measurements the same way.
 */
import { runClosedLoop } from "./closed_loop.ts";
import type { RunDurations } from "./defaults.ts";
import type { RequestSender } from "./load.ts";
import { runOpenLoop } from "./open_loop.ts";
import type { Contender } from "./interleave.ts";
import type { Measurement } from "./result.ts";

export interface MeasureLabel {
  system: string;
  operation: string;
  valueSizeBytes: number;
  note?: string;
}

export async function measureClosedLoop(
  label: MeasureLabel,
  senders: RequestSender[],
  pipelineDepth: number,
  durations: RunDurations,
): Promise<Measurement> {
  const outcome = await runClosedLoop({
    senders,
    pipelineDepth,
    warmupMilliseconds: durations.warmupMilliseconds,
    durationMilliseconds: durations.measureMilliseconds,
  });
  return {
    system: label.system,
    operation: label.operation,
    shape: { valueSizeBytes: label.valueSizeBytes, clients: senders.length, pipelineDepth, loop: "closed", note: label.note },
    latency: outcome.histogram.summary(),
    throughputPerSecond: outcome.throughputPerSecond,
  };
}

/** A closed-loop contender for runInterleaved. */
export function closedLoopContender(label: MeasureLabel, senders: RequestSender[], pipelineDepth: number): Contender {
  return {
    system: label.system,
    operation: label.operation,
    shape: { valueSizeBytes: label.valueSizeBytes, clients: senders.length, pipelineDepth, loop: "closed", note: label.note },
    runSlice: (durations) => runClosedLoop({
      senders, pipelineDepth, warmupMilliseconds: durations.warmupMilliseconds, durationMilliseconds: durations.measureMilliseconds,
    }),
  };
}

/** An open-loop (fixed-rate) contender for runInterleaved. */
export function openLoopContender(label: MeasureLabel, senders: RequestSender[], ratePerSecond: number, inflightMax: number): Contender {
  return {
    system: label.system,
    operation: label.operation,
    shape: {
      valueSizeBytes: label.valueSizeBytes, clients: senders.length, pipelineDepth: inflightMax,
      loop: "open", targetRatePerSecond: ratePerSecond, note: label.note,
    },
    runSlice: (durations) => runOpenLoop({
      senders, ratePerSecond, inflightMax,
      warmupMilliseconds: durations.warmupMilliseconds, durationMilliseconds: durations.measureMilliseconds,
    }),
  };
}
