/**
 * The one clock of the benchmarks: a monotonic microsecond reading from Bun's nanosecond
 * counter. Wall-clock time (Date.now) can jump and has millisecond resolution, too coarse for
 * latencies of tens of microseconds.
 */
export function nowMicroseconds(): number {
  return Bun.nanoseconds() / 1000;
}

/** Resolves after `milliseconds`; used only to pace load, never to wait for a condition. */
export function sleepMilliseconds(milliseconds: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}
