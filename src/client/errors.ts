/**
 * Errors the client throws. `code` is the wire status name when the server answered with one,
 * or one of the client's own codes:
 * - UNKNOWN_OUTCOME: a write was sent and no answer came (timeout, or the connection was lost
 *   and the server restarted since): it may or may not have been applied.
 * - CLOSED: the client was closed.
 * The wire statuses the client itself uses: TIMEOUT (a read, or a write never sent, ran out of
 * time: nothing was applied), UNAVAILABLE (no server could be reached), TOO_LARGE and
 * INVALID_REQUEST (refused before sending), OVERLOADED (too many requests queued locally).
 */
import type { StatusName } from "../net/status";

export type FileStoreErrorCode = Exclude<StatusName, "OK"> | "UNKNOWN_OUTCOME" | "CLOSED";

export class FileStoreError extends Error {
  override name = "FileStoreError";
  constructor(readonly code: FileStoreErrorCode, message: string, readonly leaderHint = "") {
    super(message === "" ? code : `${code}: ${message}`);
  }
}
