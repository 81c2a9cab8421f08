/**
 * A Clock (clock.ts) on simulated time, for the deterministic simulator and tests: time moves only
 * when advance() says, timers fire in order of their due time (ties in the order they were set),
 * each seeing now() at its own due time, and soon() callbacks run only when runSoon() is called.
 * Nothing here reads the machine's clock or schedules real work, so a run replays exactly.
 */
import { assert } from "./assert.ts";
import type { Clock, Timer } from "./clock.ts";

interface PendingTimer {
  dueMs: number;
  /** Creation order: breaks ties between timers due at the same time. */
  order: number;
  /** Repeats every intervalMs; null for a one-shot timer. */
  intervalMs: number | null;
  callback: () => void;
  cancelled: boolean;
}

/**
 * soon() callbacks run by one runSoon(), those they queue included: a loop that keeps asking
 * for another turn without end is a bug, reported rather than hanging the simulation.
 */
const soonCallbacksPerRunMax = 1_000_000;

export class SimulatedClock implements Clock {
  private nowMs: number;
  /** Sorted by (dueMs, order). */
  private timers: PendingTimer[] = [];
  private soonQueue: Array<() => void> = [];
  private nextOrder = 0;

  constructor(startMs = 0) {
    this.nowMs = startMs;
  }

  now(): number {
    return this.nowMs;
  }

  every(intervalMs: number, callback: () => void): Timer {
    assert(intervalMs > 0, "a repeating timer needs a positive interval");
    return this.schedule(this.nowMs + intervalMs, intervalMs, callback);
  }

  after(delayMs: number, callback: () => void): Timer {
    assert(delayMs >= 0, "a timer cannot be due in the past");
    return this.schedule(this.nowMs + delayMs, null, callback);
  }

  soon(callback: () => void): void {
    this.soonQueue.push(callback);
  }

  /** soon() callbacks waiting for runSoon(). */
  get soonCount(): number {
    return this.soonQueue.length;
  }

  /** Runs the soon() callbacks in the order queued, and those they queue; returns how many ran. */
  runSoon(): number {
    let ran = 0;
    while (this.soonQueue.length > 0) {
      const queue = this.soonQueue;
      this.soonQueue = [];
      for (const callback of queue) callback();
      ran += queue.length;
      assert(ran <= soonCallbacksPerRunMax, `over ${soonCallbacksPerRunMax} soon() callbacks in one run`);
    }
    return ran;
  }

  /** Moves time forward by `deltaMs`, firing every timer due on the way; returns how many fired. */
  advance(deltaMs: number): number {
    assert(deltaMs >= 0, "time does not go back");
    const targetMs = this.nowMs + deltaMs;
    let fired = 0;
    while (this.timers.length > 0 && this.timers[0]!.dueMs <= targetMs) {
      const timer = this.timers.shift()!;
      if (timer.cancelled) continue;
      this.nowMs = Math.max(this.nowMs, timer.dueMs);
      if (timer.intervalMs !== null) {
        // Re-armed before its callback runs, so the callback may cancel its own next firing.
        timer.dueMs += timer.intervalMs;
        timer.order = this.nextOrder++;
        this.insert(timer);
      }
      timer.callback();
      fired++;
    }
    this.nowMs = targetMs;
    return fired;
  }

  /** When the next timer is due; Infinity when none is set. */
  nextDueMs(): number {
    const next = this.timers.find((timer) => !timer.cancelled);
    return next === undefined ? Infinity : next.dueMs;
  }

  private schedule(dueMs: number, intervalMs: number | null, callback: () => void): Timer {
    const timer: PendingTimer = { dueMs, order: this.nextOrder++, intervalMs, callback, cancelled: false };
    this.insert(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Inserts `timer` in (dueMs, order) order. */
  private insert(timer: PendingTimer): void {
    let low = 0;
    let high = this.timers.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const other = this.timers[middle]!;
      if (other.dueMs < timer.dueMs || (other.dueMs === timer.dueMs && other.order < timer.order)) low = middle + 1;
      else high = middle;
    }
    this.timers.splice(low, 0, timer);
  }
}
