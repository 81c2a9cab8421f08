/**
 * Interleaved measurement: contenders take turns in short slices, round after round, and each
 * one's slices are merged. On a shared machine the background load drifts over seconds; running
 * A for 3 s and then B for 3 s would compare two different machines, while alternating 0.5 s
 * slices exposes both to the same drift. The order rotates every round so no contender always
 * runs right after the same neighbour.
 */
import { assert } from "../../src/util/assert.ts";
import { LatencyHistogram } from "./histogram.ts";
import type { LoadOutcome } from "./load.ts";
import type { BenchShape, Measurement } from "./result.ts";

export interface SliceDurations {
  warmupMilliseconds: number;
  measureMilliseconds: number;
}

export interface Contender {
  system: string;
  operation: string;
  shape: BenchShape;
  /** Runs one slice: warm-up then measure, returning what was measured. */
  runSlice(durations: SliceDurations): Promise<LoadOutcome & { sendLagMaxMicroseconds?: number }>;
}

export interface InterleaveSchedule {
  rounds: number;
  sliceMilliseconds: number;
  /** Warm-up before the first slice of each contender. */
  firstWarmupMilliseconds: number;
  /** Warm-up before every later slice: wakes the peer's process and caches after its rest. */
  sliceWarmupMilliseconds: number;
}

export async function runInterleaved(contenders: Contender[], schedule: InterleaveSchedule): Promise<Measurement[]> {
  assert(contenders.length > 0, "interleaving needs a contender");
  assert(schedule.rounds >= 1, "interleaving needs a round");
  const totals = contenders.map(() => ({ histogram: new LatencyHistogram(), completed: 0, seconds: 0, lag: 0 }));
  for (let round = 0; round < schedule.rounds; round += 1) {
    for (let turn = 0; turn < contenders.length; turn += 1) {
      const index = (round + turn) % contenders.length;
      const warmupMilliseconds = round === 0 ? schedule.firstWarmupMilliseconds : schedule.sliceWarmupMilliseconds;
      const outcome = await contenders[index].runSlice({ warmupMilliseconds, measureMilliseconds: schedule.sliceMilliseconds });
      const total = totals[index];
      total.histogram.add(outcome.histogram);
      total.completed += outcome.completedCount;
      total.seconds += outcome.elapsedSeconds;
      total.lag = Math.max(total.lag, outcome.sendLagMaxMicroseconds ?? 0);
    }
  }
  return contenders.map((contender, index) => {
    const total = totals[index];
    const measurement: Measurement = {
      system: contender.system,
      operation: contender.operation,
      shape: contender.shape,
      latency: total.histogram.summary(),
      throughputPerSecond: total.completed / total.seconds,
    };
    if (contender.shape.loop === "open") measurement.driverLagMaxMicroseconds = Math.round(total.lag);
    return measurement;
  });
}
