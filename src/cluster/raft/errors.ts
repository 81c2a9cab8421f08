/**
 * Failures of the world that a caller of the Raft core must handle (not bugs: those are
 * assertions). Each names what the caller can do next.
 */
import type { NodeId } from "./types.ts";

export class RaftError extends Error {
  override name = "RaftError";
}

/** Proposals, reads and membership changes go to the leader; `leaderHint` is 0 when unknown. */
export class NotLeaderError extends RaftError {
  override name = "NotLeaderError";
  constructor(readonly leaderHint: NodeId) {
    super(`not the leader (leader hint: ${leaderHint === 0 ? "unknown" : leaderHint})`);
  }
}

/** The leader is handing over to another node and takes no new proposals meanwhile (§3.10). */
export class LeadershipTransferInProgressError extends RaftError {
  override name = "LeadershipTransferInProgressError";
}

/** A membership change the rules of §4.1 forbid right now or at all; the reason says which. */
export class ConfChangeRejectedError extends RaftError {
  override name = "ConfChangeRejectedError";
}

/** A leadership transfer to a node that cannot take it (unknown, a learner, or this node). */
export class TransferRejectedError extends RaftError {
  override name = "TransferRejectedError";
}

/** A proposal larger than the configured limit: it would not fit one append message. */
export class ProposalTooLargeError extends RaftError {
  override name = "ProposalTooLargeError";
}

/** Too many ReadIndex requests waiting for a quorum: back-pressure, retry later. */
export class ReadIndexQueueFullError extends RaftError {
  override name = "ReadIndexQueueFullError";
}

/** A message from the network that breaks the protocol's shape; it is dropped, nothing changed. */
export class InvalidMessageError extends RaftError {
  override name = "InvalidMessageError";
}

/** A configuration value out of its range; names the field. */
export class RaftConfigError extends RaftError {
  override name = "RaftConfigError";
  constructor(readonly field: string, reason: string) {
    super(`raft config ${field}: ${reason}`);
  }
}

/** Storage has no entry or term at this index any more: it was compacted into a snapshot. */
export class CompactedError extends RaftError {
  override name = "CompactedError";
}
