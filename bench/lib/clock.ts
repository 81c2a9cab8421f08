/**
 * The one clock of the benchmarks: a monotonic microsecond reading from Bun's nanosecond
 * counter. Wall-clock time (Date.now) can jump and has millisecond resolution, too coarse for
 * latencies of tens of microseconds.
 *
 * The load drivers take their time through a LoadClock, so a test can run them on simulated
 * time (a stall of exactly 30 ms, a timetable kept exactly) instead of the machine's.
 */
export function nowMicroseconds(): number {
  return Bun.nanoseconds() / 1000;
}

/** Resolves after `milliseconds`; used only to pace load, never to wait for a condition. */
export function sleepMilliseconds(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

/** What a load driver needs of time: a reading, and a way to let time pass. */
export interface LoadClock {
  nowMicroseconds(): number;
  /** Resolves after about `microseconds` (0 or less: after one turn of the event loop). */
  waitMicroseconds(microseconds: number): Promise<void>;
}

/**
 * When a wait is longer than this, yield with a timer instead of spinning on setImmediate:
 * timers have about a millisecond of slack, so closer deadlines are met by spinning.
 */
const timerSlackMicroseconds = 2000;

export const machineClock: LoadClock = {
  nowMicroseconds,
  waitMicroseconds(microseconds: number): Promise<void> {
    if (microseconds > timerSlackMicroseconds) {
      return new Promise((resolve) => setTimeout(resolve, (microseconds - timerSlackMicroseconds) / 1000));
    }
    return new Promise((resolve) => setImmediate(resolve));
  },
};
