/**
 * Warns about fdatasyncs of a log that took at least `slow-fsync-ms`: the sign of a failing or
 * saturated disk, which every acknowledged write waits on. Called after every fdatasync, so it
 * costs one comparison there; lines are written at most once a second with a count
 * (repeated_event_log.ts), since a bad disk makes every fdatasync slow.
 */
import type { Logger } from "../util/logger.ts";
import { RepeatedEventLog } from "../util/repeated_event_log.ts";

export class SlowFsyncLog {
  private readonly thresholdSeconds: number;
  private readonly slow: RepeatedEventLog;

  constructor(logger: Logger, private readonly thresholdMs: number, private readonly dir: string) {
    this.thresholdSeconds = thresholdMs / 1000;
    this.slow = new RepeatedEventLog(logger, "warn", "slow fsync");
  }

  /** The fsync hook of the log (LogOptions.onFsync): the duration of one fdatasync. */
  readonly observe = (durationSeconds: number): void => {
    if (durationSeconds < this.thresholdSeconds) return;
    const durationMs = Math.round(durationSeconds * 1000);
    this.slow.note({ dir: this.dir, duration_ms: durationMs, threshold_ms: this.thresholdMs });
  };

  close(): void {
    this.slow.close();
  }
}
