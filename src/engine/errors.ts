/**
 * Typed errors of the engine: failures of the world (bad input, a log that refuses writes,
 * a corrupt file) that callers handle. Broken invariants use assert() instead.
 */
type EngineErrorCode =
  /** The request is malformed: empty key, wrong types, bad scan bounds, bad snapshot chunk. */
  | "INVALID_REQUEST"
  /** A key, value or batch exceeds its named limit. */
  | "TOO_LARGE"
  /** The engine cannot serve: closed, installing a snapshot, or the log failed a write. */
  | "UNAVAILABLE";

export class EngineError extends Error {
  override name = "EngineError";
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}
