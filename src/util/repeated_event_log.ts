/**
 * Logs an event that can repeat without bound (client connections refused by a limit, slow
 * fsyncs of a failing disk) at most once per interval, so that a flood cannot flood the log,
 * and without losing count: the first event of a quiet spell is written at once with `count=1`;
 * the ones that follow within the interval are only counted, and written as one line with
 * `count=N` when the interval ends (then a new interval starts; an interval with no event ends
 * the spell). The counts of all lines add up to the number of events.
 *
 * note() is what runs on the path that refuses: an increment and a check, no clock reading and
 * no allocation while a line is being held back.
 */
import type { LogFields, Logger, LogLevel } from "./logger.ts";

/** One line per second at most: readable at a glance, and a count per second is a rate. */
const repeatedEventIntervalMs = 1000;

/** Runs `callback` after `delayMs`; returns a function that cancels it. */
export type Schedule = (callback: () => void, delayMs: number) => () => void;

/** A timer that does not keep the process alive on its own. */
const realSchedule: Schedule = (callback, delayMs) => {
  const timer = setTimeout(callback, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

export class RepeatedEventLog {
  /** Events counted since the last line was written. */
  private held = 0;
  private heldFields: LogFields | undefined = undefined;
  private cancelTimer: (() => void) | null = null;

  constructor(
    private readonly logger: Logger,
    private readonly level: LogLevel,
    private readonly message: string,
    private readonly schedule: Schedule = realSchedule,
    private readonly intervalMs = repeatedEventIntervalMs,
  ) {}

  /** One event; `fields` describe it (the held-back line carries those of the latest event). */
  note(fields?: LogFields): void {
    if (this.cancelTimer !== null) {
      this.held++;
      this.heldFields = fields;
      return;
    }
    this.write(1, fields);
    this.startInterval();
  }

  /** Writes what is held back and stops the timer (at shutdown). */
  close(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.writeHeld();
  }

  private readonly intervalEnded = (): void => {
    this.cancelTimer = null;
    if (this.held === 0) return;
    this.writeHeld();
    this.startInterval();
  };

  private startInterval(): void {
    this.cancelTimer = this.schedule(this.intervalEnded, this.intervalMs);
  }

  private writeHeld(): void {
    if (this.held === 0) return;
    const count = this.held;
    this.held = 0;
    this.write(count, this.heldFields);
    this.heldFields = undefined;
  }

  private write(count: number, fields: LogFields | undefined): void {
    this.logger[this.level](this.message, { ...fields, count });
  }
}
