/**
 * Time as a parameter (STYLE.md point 2): everything above the pure Raft core that reads time or
 * waits for it does so through a Clock, so a simulation can run it on simulated time
 * (simulated_clock.ts) and a real node on the machine's monotonic clock (realClock).
 *
 * - now(): milliseconds on a monotonic scale; only differences mean anything. The real clock is
 *   performance.now(), the scale client deadlines (ReadContext/WriteContext.deadlineAtMs) use.
 * - every(intervalMs, f): f runs every intervalMs until the timer is cancelled (a tick timer).
 * - after(delayMs, f): f runs once, delayMs from now, unless cancelled first (a timeout).
 * - soon(f): f runs after the current work, before any timer of a later time: a loop's "run
 *   again" kick. The real clock uses setImmediate; the simulated one runs it when told.
 *
 * Real timers do not keep the process alive on their own (unref): a node lives as long as its
 * ports are open, and a timer left behind must not hold a finished process.
 */

export interface Timer {
  /** Stops the timer; calling it again, or after a one-shot timer fired, does nothing. */
  cancel(): void;
}

export interface Clock {
  now(): number;
  every(intervalMs: number, callback: () => void): Timer;
  after(delayMs: number, callback: () => void): Timer;
  soon(callback: () => void): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  every(intervalMs, callback) {
    const timer = setInterval(callback, intervalMs);
    timer.unref();
    return { cancel: () => clearInterval(timer) };
  },
  after(delayMs, callback) {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return { cancel: () => clearTimeout(timer) };
  },
  soon(callback) {
    setImmediate(callback);
  },
};

/** Resolves once `delayMs` have passed on `clock`. */
export function sleep(clock: Clock, delayMs: number): Promise<void> {
  return new Promise((resolve) => {
    clock.after(delayMs, resolve);
  });
}
