/**
 * Closed-loop, pipelined driver for maximum throughput: every connection keeps
 * `pipelineDepth` requests in flight and sends the next one as soon as a reply arrives.
 * Its latencies are service times under saturation, not what a client at a given rate sees;
 * use the open-loop driver for that.
 */
import { assert } from "../../src/util/assert.ts";
import { machineClock, type LoadClock } from "./clock.ts";
import { LatencyHistogram } from "./histogram.ts";
import type { LoadOutcome, RequestSender } from "./load.ts";

export interface ClosedLoopOptions {
  /** One sender per connection. */
  senders: RequestSender[];
  pipelineDepth: number;
  /** Run before measuring, to warm the JIT, caches and connections. */
  warmupMilliseconds: number;
  durationMilliseconds: number;
  /** The machine's clock unless a test simulates time. */
  clock?: LoadClock;
}

export async function runClosedLoop(options: ClosedLoopOptions): Promise<LoadOutcome> {
  assert(options.senders.length > 0, "closed loop needs at least one sender");
  assert(options.pipelineDepth >= 1, "pipeline depth must be at least 1");
  assert(options.durationMilliseconds > 0, "duration must be positive");
  const clock = options.clock ?? machineClock;
  const nowMicroseconds = () => clock.nowMicroseconds();
  const histogram = new LatencyHistogram();
  const startMicroseconds = nowMicroseconds();
  const measureStartMicroseconds = startMicroseconds + options.warmupMilliseconds * 1000;
  const endMicroseconds = measureStartMicroseconds + options.durationMilliseconds * 1000;
  const state = { completedCount: 0, failure: undefined as unknown };

  async function worker(send: RequestSender): Promise<void> {
    while (state.failure === undefined) {
      const sentMicroseconds = nowMicroseconds();
      if (sentMicroseconds >= endMicroseconds) return;
      try {
        await send();
      } catch (error) {
        state.failure ??= error;
        return;
      }
      const doneMicroseconds = nowMicroseconds();
      if (sentMicroseconds >= measureStartMicroseconds && doneMicroseconds <= endMicroseconds) {
        histogram.recordMicroseconds(doneMicroseconds - sentMicroseconds);
        state.completedCount += 1;
      }
    }
  }

  const workers: Promise<void>[] = [];
  for (const send of options.senders) {
    for (let slot = 0; slot < options.pipelineDepth; slot += 1) workers.push(worker(send));
  }
  await Promise.all(workers);
  if (state.failure !== undefined) throw state.failure;
  const elapsedSeconds = (endMicroseconds - measureStartMicroseconds) / 1e6;
  return {
    histogram,
    completedCount: state.completedCount,
    elapsedSeconds,
    throughputPerSecond: state.completedCount / elapsedSeconds,
  };
}
