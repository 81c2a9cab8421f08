/**
 * Typed errors of the log for failures of the world or bad arguments. Corruption and range
 * errors are part of the shared contract in types.ts.
 */

/** A payload larger than recordPayloadBytesMax, or too many payloads in one call. */
export class RecordTooLargeError extends Error {
  override name = "RecordTooLargeError";
}

/** An option of LogOptions outside its accepted range; the message names the field. */
export class LogOptionError extends Error {
  override name = "LogOptionError";
}

/**
 * A write or fdatasync failed (disk full, I/O error). After a failed fdatasync the page cache
 * can no longer be trusted, so the log refuses further appends until it is reopened.
 */
export class LogWriteError extends Error {
  override name = "LogWriteError";
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
  }
}

/** Any operation on a log after close(). */
export class LogClosedError extends Error {
  override name = "LogClosedError";
}
