/**
 * Failures the driver reports to whoever proposed or read: each carries the wire status the
 * client sees (`code`, as the client-port server expects of service errors) and, with
 * NOT_LEADER, the id of the leader this node knows of (0 when none). The replicated service turns
 * that id into the leader's client address.
 */
import { formatNodeId } from "./node_id.ts";
import { NotLeaderError, ProposalTooLargeError, RaftError, ReadIndexQueueFullError } from "./raft/errors.ts";
import type { NodeId } from "./raft/types.ts";

type ReplicationErrorCode = "NOT_LEADER" | "TIMEOUT" | "UNAVAILABLE" | "OVERLOADED" | "CONFLICT" | "INVALID_REQUEST" | "TOO_LARGE";

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

/** The typed failure a caller sees for a refusal of the Raft core; anything else is rethrown (a bug). */
export function fromRaftError(error: unknown, self: NodeId, knownLeader: NodeId): ReplicationError {
  if (error instanceof NotLeaderError) return new ReplicationError("NOT_LEADER", `${formatNodeId(self)} is not the leader`, error.leaderHint);
  if (error instanceof ReadIndexQueueFullError) return new ReplicationError("OVERLOADED", error.message);
  if (error instanceof ProposalTooLargeError) return new ReplicationError("TOO_LARGE", error.message);
  if (error instanceof RaftError) return new ReplicationError("UNAVAILABLE", error.message, knownLeader);
  throw error;
}
