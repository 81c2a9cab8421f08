/**
 * Failures the driver reports to whoever proposed or read: each carries the wire status the
 * client sees (`code`, as the client-port server expects of service errors) and, with
 * NOT_LEADER, the id of the leader this node knows of (0 when none). The replicated service turns
 * that id into the leader's client address.
 */
import type { NodeId } from "./raft/types.ts";

export type ReplicationErrorCode = "NOT_LEADER" | "TIMEOUT" | "UNAVAILABLE" | "OVERLOADED" | "CONFLICT" | "INVALID_REQUEST" | "TOO_LARGE";

export class ReplicationError extends Error {
  override name = "ReplicationError";
  constructor(
    readonly code: ReplicationErrorCode,
    message: string,
    readonly leaderId: NodeId = 0,
  ) {
    super(message);
  }
}
