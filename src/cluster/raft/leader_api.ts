/**
 * Requests a driver makes of the leader: proposals, ReadIndex reads, membership changes and
 * leadership transfers. Each refuses with a typed error when this node cannot serve it.
 */
import { checkConfChangeAllowed } from "./conf_change.ts";
import { applyConfChange } from "./conf_change.ts";
import { encodeConfState } from "./config_entry.ts";
import {
  LeadershipTransferInProgressError,
  NotLeaderError,
  ProposalTooLargeError,
  RaftError,
  ReadIndexQueueFullError,
  TransferRejectedError,
} from "./errors.ts";
import type { MemberAlive } from "./quiescence.ts";
import type { Raft } from "./raft.ts";
import { appendEntries, sendAppend, sendTimeoutNow, startRead } from "./role_leader.ts";
import { becomeFollower } from "./roles.ts";
import type { ConfChange, NodeId } from "./types.ts";
import { noNode } from "./types.ts";

export interface ProposalPlacement {
  term: number;
  firstIndex: number;
  lastIndex: number;
}

function requireLeaderTakingWrites(raft: Raft): void {
  if (raft.role !== "leader") throw new NotLeaderError(raft.leader);
  if (raft.leadTransferee !== 0) {
    throw new LeadershipTransferInProgressError(`leadership is moving to ${raft.leadTransferee}; retry there`);
  }
}

/** Appends client data as one batch of entries; they commit together or not at all in order. */
export function propose(raft: Raft, batch: Uint8Array[]): ProposalPlacement {
  requireLeaderTakingWrites(raft);
  if (batch.length === 0) throw new RaftError("empty proposal batch");
  for (const data of batch) {
    if (data.length > raft.config.proposalBytesMax) {
      throw new ProposalTooLargeError(`proposal of ${data.length} bytes exceeds proposalBytesMax ${raft.config.proposalBytesMax}`);
    }
  }
  const placed = appendEntries(raft, batch.map((data) => ({ index: 0, term: 0, kind: "normal" as const, data })));
  return { term: raft.term, ...placed };
}

/** §6.4: the returned ReadState (in a later Ready) says from which applied index to read. */
export function readIndex(raft: Raft, context: Uint8Array): void {
  if (raft.role !== "leader") throw new NotLeaderError(raft.leader);
  if (raft.readOnly.size() + raft.readsAwaitingCommit.length >= raft.config.readIndexQueueMax) {
    throw new ReadIndexQueueFullError(`${raft.config.readIndexQueueMax} reads already wait for a quorum`);
  }
  if (raft.readOnly.hasContext(context)) throw new RaftError("a read with this context is already pending");
  if (!raft.committedInCurrentTerm()) {
    raft.readsAwaitingCommit.push(context.slice());
    return;
  }
  startRead(raft, context.slice());
}

export function proposeConfChange(raft: Raft, change: ConfChange): ProposalPlacement {
  requireLeaderTakingWrites(raft);
  const current = raft.confState();
  checkConfChangeAllowed(change, {
    leader: raft.id,
    current,
    newestConfigIndex: raft.configs.newestIndex(),
    committed: raft.log.committed,
    committedInCurrentTerm: raft.committedInCurrentTerm(),
    leaderLastIndex: raft.log.lastIndex(),
    matchOf: (node) => raft.progress.get(node)?.match ?? 0,
    learnerPromotionLagEntriesMax: raft.config.learnerPromotionLagEntriesMax,
  });
  const next = applyConfChange(change, current);
  const placed = appendEntries(raft, [{ index: 0, term: 0, kind: "config", data: encodeConfState(next) }]);
  return { term: raft.term, ...placed };
}

/**
 * The leader steps down in its term, as check-quorum makes it (§6.2): no new term or vote, nothing
 * to persist. First, when a voter on a live node (`isAlive`) holds its whole log, it is sent
 * TimeoutNow (§3.10) and campaigns at once, so the group has a leader again within a round trip
 * rather than an election timeout; quiet followers (quiescence.ts), which would otherwise hear
 * nothing, are woken by its vote requests.
 */
export function stepDown(raft: Raft, isAlive: MemberAlive): void {
  if (raft.role !== "leader") return;
  const lastIndex = raft.log.lastIndex();
  const successor = raft.voters().find((voter) => {
    const progress = raft.progress.get(voter);
    return voter !== raft.id && progress !== undefined && progress.match === lastIndex && isAlive(voter);
  });
  if (successor !== undefined) sendTimeoutNow(raft, successor);
  becomeFollower(raft, raft.term, noNode);
}

/** §3.10: bring `to` up to date, then send it TimeoutNow; proposals pause meanwhile. */
export function transferLeadership(raft: Raft, to: NodeId): void {
  if (raft.role !== "leader") throw new NotLeaderError(raft.leader);
  if (to === raft.id) throw new TransferRejectedError("already the leader");
  if (!raft.voters().includes(to)) throw new TransferRejectedError(`node ${to} is not a voter`);
  if (raft.leadTransferee === to) return;
  raft.leadTransferee = to;
  // The transfer must finish within an election timeout or it is abandoned (tickLeader).
  raft.electionElapsed = 0;
  const progress = raft.progress.get(to);
  if (progress !== undefined && progress.match === raft.log.lastIndex()) {
    sendTimeoutNow(raft, to);
  } else {
    sendAppend(raft, to, true);
  }
}
