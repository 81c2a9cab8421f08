/**
 * Errors the client throws. `code` is the wire status name when the server answered with one,
 * or one of the client's own codes:
 * - UNKNOWN_OUTCOME: a write was sent and no answer came (timeout, or the connection was lost
 *   and the server restarted since): it may or may not have been applied.
 * - CLOSED: the client was closed.
 * The wire statuses the client itself uses: TIMEOUT (a read, or a write never sent, ran out of
 * time: nothing was applied), UNAVAILABLE (no server could be reached), TOO_LARGE and
 * INVALID_REQUEST (refused before sending: then `argument` names what was wrong), OVERLOADED
 * (too many requests queued locally).
 * The codes are spelled out here (not taken from the server's modules) so that the published
 * declarations stand alone; test/client/public_types.test.ts checks them against the wire's.
 */

export type FileStoreErrorCode =
  | "NOT_FOUND" | "NOT_LEADER" | "TIMEOUT" | "INVALID_REQUEST" | "TOO_LARGE" | "OVERLOADED" | "UNAUTHORIZED"
  | "CONFLICT" | "UNAVAILABLE" | "INTERNAL" | "DEADLOCK" | "LOCK_EXPIRED" | "WRONG_SHARD" | "UNKNOWN_OUTCOME"
  | "CLOSED";

export class FileStoreError extends Error {
  override name = "FileStoreError";
  /**
   * @param leaderHint with NOT_LEADER: the leader's client address, when the server knows it.
   * @param argument with INVALID_REQUEST raised by the client before sending anything: the
   *   argument or option at fault ("address", "key", "timeoutMs", "consistency", ...); "" when
   *   the server refused the request.
   */
  constructor(readonly code: FileStoreErrorCode, message: string, readonly leaderHint = "", readonly argument = "") {
    super(message === "" ? code : `${code}: ${message}`);
  }
}
