/**
 * One tick timer for every replica of a process (issue 16: "one scheduler ticks every replica,
 * no timer per group"): a node with 256 replicas wakes once per tick interval, not 256 times.
 * Each replica driver registers its tick; a tick runs every registered one in registration
 * order. A driver given no scheduler makes its own (ownTickScheduler), which is what a lone
 * replica (tests, the single-group path) uses.
 */
import type { Clock, Timer } from "../../util/clock.ts";

export interface TickScheduler {
  readonly intervalMs: number;
  /** Runs `tick` every interval until the returned timer is cancelled. */
  register(tick: () => void): Timer;
}

export class SharedTickScheduler implements TickScheduler {
  private readonly ticks = new Set<() => void>();
  private timer: Timer | null = null;

  constructor(
    private readonly clock: Clock,
    readonly intervalMs: number,
  ) {}

  register(tick: () => void): Timer {
    // A distinct function per registration, so one driver registering twice stays two entries.
    const entry = (): void => tick();
    this.ticks.add(entry);
    this.timer ??= this.clock.every(this.intervalMs, this.runAll);
    return {
      cancel: () => {
        this.ticks.delete(entry);
        if (this.ticks.size === 0 && this.timer !== null) {
          this.timer.cancel();
          this.timer = null;
        }
      },
    };
  }

  /** Replicas registered now. */
  get size(): number {
    return this.ticks.size;
  }

  /** Made once: the timer calls it every interval. A tick may cancel itself or others (close, removal). */
  private readonly runAll = (): void => {
    for (const tick of [...this.ticks]) if (this.ticks.has(tick)) tick();
  };
}

/** A scheduler of one replica's own, with its own timer. */
export function ownTickScheduler(clock: Clock, intervalMs: number): TickScheduler {
  return new SharedTickScheduler(clock, intervalMs);
}
