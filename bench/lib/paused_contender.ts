/**
 * A closed-loop contender for runInterleaved (interleave.ts) whose system sleeps between its
 * slices, and whose counters are read at the edges of each measured window.
 * - Sleeping: several clusters share the machine's 2 cores in one run, and an idle node of a
 *   sharded cluster is not free (each group's heartbeats); so every system but the one measured
 *   is stopped (SIGSTOP) and woken (SIGCONT) for its own slices, and each slice warms up after
 *   the wake-up. A stopped process keeps its sockets and data; it only misses its timers, which
 *   fire once on waking, and every node of a system sleeps and wakes together.
 * - Counters: numbers the system counts itself (e.g. each node's fdatasyncs), read just before
 *   and just after each measured window; their increase over all windows, divided by the
 *   windows' length, is the rate during the measured load.
 */
import { machineClock, type LoadClock } from "./clock.ts";
import { runClosedLoop } from "./closed_loop.ts";
import type { Contender, InterleaveSchedule } from "./interleave.ts";
import type { RequestSender } from "./load.ts";
import type { MeasureLabel } from "./measure.ts";

export interface SleepingSystem {
  /** Wakes every process of the system. */
  resume(): void;
  /** Stops every process of the system. */
  pause(): void;
  /** Counters of the system now, the same ones in the same order every time (e.g. one per node). */
  readCounters(): Promise<number[]>;
}

export interface CountedContender extends Contender {
  /** Per counter: its increase over the measured windows so far per second of them (empty before any). */
  counterRatesPerSecond(): number[];
}

/** One request in flight per sender, as a client waiting for each reply. */
const pipelineDepth = 1;

export function pausedClosedLoopContender(
  label: MeasureLabel, senders: RequestSender[], system: SleepingSystem, clock: LoadClock = machineClock,
): CountedContender {
  let increases: number[] = [];
  let seconds = 0;
  const run = (durationMilliseconds: number) =>
    runClosedLoop({ senders, pipelineDepth, warmupMilliseconds: 0, durationMilliseconds, clock });
  return {
    system: label.system,
    operation: label.operation,
    shape: {
      valueSizeBytes: label.valueSizeBytes, clients: senders.length, pipelineDepth, loop: "closed", note: label.note,
    },
    async runSlice(durations) {
      system.resume();
      try {
        if (durations.warmupMilliseconds > 0) await run(durations.warmupMilliseconds);
        const before = await system.readCounters();
        const outcome = await run(durations.measureMilliseconds);
        const after = await system.readCounters();
        increases = after.map((value, index) => (increases[index] ?? 0) + value - before[index]!);
        seconds += outcome.elapsedSeconds;
        return outcome;
      } finally {
        system.pause();
      }
    },
    counterRatesPerSecond: () => increases.map((increase) => increase / seconds),
  };
}

/** The note under a section whose `who` (e.g. "FileStore and etcd") took turns asleep, on `schedule`. */
export function sleepingScheduleNote(who: string, schedule: InterleaveSchedule): string {
  return `${who} take turns in ${schedule.rounds} round(s) of ${schedule.sliceMilliseconds} ms slices, `
    + `asleep (SIGSTOP) outside their own; ${schedule.firstWarmupMilliseconds} ms of the same load unmeasured `
    + `before each one's first slice, ${schedule.sliceWarmupMilliseconds} ms before the others`;
}
