/**
 * Open-loop (fixed-rate) driver. Request i is due at start + i / rate, whatever happened to
 * earlier requests, and its latency is measured from that due time, not from when it was
 * actually sent. A stall therefore shows up as latency of every request that was due during
 * it, instead of silently pausing the load (the "coordinated omission" that closed-loop
 * drivers suffer). Requests go to the senders round-robin.
 */
import { assert } from "../../src/util/assert.ts";
import { machineClock, type LoadClock } from "./clock.ts";
import { BenchError } from "./errors.ts";
import { LatencyHistogram } from "./histogram.ts";
import type { LoadOutcome, RequestSender } from "./load.ts";

/** How long to wait for stragglers after the timetable ends before declaring the run failed. */
export const drainTimeoutMilliseconds = 10_000;

export interface OpenLoopOptions {
  senders: RequestSender[];
  ratePerSecond: number;
  warmupMilliseconds: number;
  durationMilliseconds: number;
  /**
   * Bound on requests in flight across all senders. A request due while the bound is reached
   * waits, and the wait counts in its latency (it is still measured from its due time).
   */
  inflightMax: number;
  /** The machine's clock unless a test simulates time. */
  clock?: LoadClock;
}

export interface OpenLoopOutcome extends LoadOutcome {
  /** Largest gap seen between a request's due time and its actual send, in microseconds. */
  sendLagMaxMicroseconds: number;
}

export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopOutcome> {
  assert(options.senders.length > 0, "open loop needs at least one sender");
  assert(options.ratePerSecond > 0, "rate must be positive");
  assert(options.inflightMax >= 1, "inflightMax must be at least 1");
  const intervalMicroseconds = 1e6 / options.ratePerSecond;
  const clock = options.clock ?? machineClock;
  const nowMicroseconds = () => clock.nowMicroseconds();
  const histogram = new LatencyHistogram();
  const startMicroseconds = nowMicroseconds();
  const measureStartMicroseconds = startMicroseconds + options.warmupMilliseconds * 1000;
  const endMicroseconds = measureStartMicroseconds + options.durationMilliseconds * 1000;
  const state = { next: 0, inflight: 0, completedCount: 0, sendLagMax: 0, failure: undefined as unknown };

  function issue(dueMicroseconds: number): void {
    const send = options.senders[state.next % options.senders.length];
    state.next += 1;
    state.inflight += 1;
    state.sendLagMax = Math.max(state.sendLagMax, nowMicroseconds() - dueMicroseconds);
    send().then(
      () => {
        state.inflight -= 1;
        if (dueMicroseconds < measureStartMicroseconds) return;
        histogram.recordMicroseconds(nowMicroseconds() - dueMicroseconds);
        state.completedCount += 1;
      },
      (error: unknown) => {
        state.inflight -= 1;
        state.failure ??= error;
      },
    );
  }

  while (state.failure === undefined) {
    const dueMicroseconds = startMicroseconds + state.next * intervalMicroseconds;
    if (dueMicroseconds >= endMicroseconds) break;
    const now = nowMicroseconds();
    if (dueMicroseconds <= now && state.inflight < options.inflightMax) {
      issue(dueMicroseconds);
      continue;
    }
    await clock.waitMicroseconds(dueMicroseconds - now);
  }
  await drain(state, clock);
  if (state.failure !== undefined) throw state.failure;
  const elapsedSeconds = (endMicroseconds - measureStartMicroseconds) / 1e6;
  return {
    histogram,
    completedCount: state.completedCount,
    elapsedSeconds,
    throughputPerSecond: state.completedCount / elapsedSeconds,
    sendLagMaxMicroseconds: Math.round(state.sendLagMax),
  };
}

async function drain(state: { inflight: number; failure: unknown }, clock: LoadClock): Promise<void> {
  const deadlineMicroseconds = clock.nowMicroseconds() + drainTimeoutMilliseconds * 1000;
  while (state.inflight > 0 && state.failure === undefined) {
    if (clock.nowMicroseconds() > deadlineMicroseconds) {
      throw new BenchError(`open loop: ${state.inflight} requests unanswered ${drainTimeoutMilliseconds} ms after the run`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}
