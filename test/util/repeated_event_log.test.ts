/** RepeatedEventLog: at most one line per interval, and the counts of its lines add up to the events. */
import { describe, expect, test } from "bun:test";
import { RepeatedEventLog, type Schedule } from "../../src/util/repeated_event_log.ts";
import { CollectingLogger } from "./collecting_logger.ts";

/** A schedule the test runs by hand: `fire()` ends the interval now. */
class ManualSchedule {
  pending: (() => void) | null = null;
  readonly schedule: Schedule = (callback) => {
    this.pending = callback;
    return () => {
      this.pending = null;
    };
  };

  fire(): void {
    const callback = this.pending;
    this.pending = null;
    callback?.();
  }
}

function counts(logger: CollectingLogger): unknown[] {
  return logger.lines.map((line) => line.fields.count);
}

describe("RepeatedEventLog", () => {
  test("the first event is written at once; the rest of the interval is one line with their count", () => {
    const logger = new CollectingLogger();
    const clock = new ManualSchedule();
    const log = new RepeatedEventLog(logger, "warn", "client connection refused", clock.schedule);
    for (let event = 0; event < 500; event++) log.note({ reason: "connections-max" });
    const fields = { reason: "connections-max", count: 1 };
    expect(logger.lines).toEqual([{ level: "warn", message: "client connection refused", fields }]);
    clock.fire();
    expect(counts(logger)).toEqual([1, 499]);
    expect(logger.lines[1].fields.reason).toBe("connections-max");
  });

  test("a flood that lasts several intervals writes one line per interval", () => {
    const logger = new CollectingLogger();
    const clock = new ManualSchedule();
    const log = new RepeatedEventLog(logger, "warn", "refused", clock.schedule);
    for (let interval = 0; interval < 3; interval++) {
      for (let event = 0; event < 10; event++) log.note();
      clock.fire();
    }
    expect(counts(logger)).toEqual([1, 9, 10, 10]);
  });

  test("an interval without events ends the spell: the next event is written at once", () => {
    const logger = new CollectingLogger();
    const clock = new ManualSchedule();
    const log = new RepeatedEventLog(logger, "warn", "refused", clock.schedule);
    log.note();
    clock.fire();
    expect(clock.pending).toBeNull();
    log.note();
    expect(counts(logger)).toEqual([1, 1]);
  });

  test("close writes what is held back and cancels the timer", () => {
    const logger = new CollectingLogger();
    const clock = new ManualSchedule();
    const log = new RepeatedEventLog(logger, "warn", "refused", clock.schedule);
    log.note();
    log.note();
    log.note();
    log.close();
    expect(counts(logger)).toEqual([1, 2]);
    expect(clock.pending).toBeNull();
  });
});
