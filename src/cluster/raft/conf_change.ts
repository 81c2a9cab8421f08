/**
 * Membership changes, one server at a time (§4.1, §4.2).
 *
 * Why not joint consensus: adding or removing a single voter keeps every majority of the
 * old configuration overlapping every majority of the new one, so no two leaders can be
 * elected in one term and no joint quorum bookkeeping is needed. FileStore moves replicas
 * one at a time anyway (learner -> catch up -> promote -> remove, see ARCHITECTURE.md), so
 * joint consensus would buy nothing but code. The known pitfall of single-server changes
 * (a change by a leader that has not yet committed an entry of its own term can undo a
 * committed change, Ongaro's 2015 raft-dev fix) is closed by `checkConfChangeAllowed`:
 * a leader proposes a change only after committing an entry of its current term, and
 * never while an earlier change is still uncommitted.
 *
 * Each node uses the newest configuration in its log, committed or not (§4.1); a log
 * truncation that removes a config entry reverts to the previous one (config_history.ts).
 */
import { ConfChangeRejectedError } from "./errors.ts";
import type { ConfChange, ConfState, NodeId } from "./types.ts";

/**
 * Members (voters and learners) of one group. A group has a handful (3 to 7 voters, a learner
 * while a replica moves); the bound keeps what repeats the membership bounded: every snapshot
 * chunk carries it, and a chunk must fit one peer frame (cluster_limits.ts).
 */
export const groupMembersMax = 64;

interface ConfChangeContext {
  leader: NodeId;
  current: ConfState;
  /** Index of the newest config entry in the leader's log. */
  newestConfigIndex: number;
  committed: number;
  /** Whether the leader has committed an entry of its current term. */
  committedInCurrentTerm: boolean;
  leaderLastIndex: number;
  matchOf: (node: NodeId) => number;
  learnerPromotionLagEntriesMax: number;
}

export function checkConfChangeAllowed(change: ConfChange, context: ConfChangeContext): void {
  if (!context.committedInCurrentTerm) {
    throw new ConfChangeRejectedError("the leader has not yet committed an entry of its term; retry shortly");
  }
  if (context.newestConfigIndex > context.committed) {
    throw new ConfChangeRejectedError("an earlier membership change is not committed yet; retry shortly");
  }
  const { voters, learners } = context.current;
  const node = change.node;
  if (!Number.isInteger(node) || node <= 0 || node > 0xffffffff) {
    throw new ConfChangeRejectedError(`node id ${node} is not a positive 32-bit integer`);
  }
  switch (change.kind) {
    case "addLearner":
      if (voters.includes(node) || learners.includes(node)) throw new ConfChangeRejectedError(`node ${node} is already a member`);
      if (voters.length + learners.length >= groupMembersMax) {
        throw new ConfChangeRejectedError(`the group already has ${groupMembersMax} members, the most it may have`);
      }
      return;
    case "promoteLearner": {
      if (!learners.includes(node)) throw new ConfChangeRejectedError(`node ${node} is not a learner`);
      const lag = context.leaderLastIndex - context.matchOf(node);
      if (lag > context.learnerPromotionLagEntriesMax) {
        throw new ConfChangeRejectedError(`learner ${node} is ${lag} entries behind; promote it once caught up`);
      }
      return;
    }
    case "removeNode":
      if (!voters.includes(node) && !learners.includes(node)) throw new ConfChangeRejectedError(`node ${node} is not a member`);
      if (node === context.leader) throw new ConfChangeRejectedError("the leader cannot remove itself: transfer leadership first");
      if (voters.includes(node) && voters.length === 1) throw new ConfChangeRejectedError("cannot remove the last voter");
      return;
  }
}

/** The membership after a change already checked by checkConfChangeAllowed. */
export function applyConfChange(change: ConfChange, current: ConfState): ConfState {
  const voters = current.voters.filter((node) => node !== change.node);
  const learners = current.learners.filter((node) => node !== change.node);
  if (change.kind === "addLearner") learners.push(change.node);
  if (change.kind === "promoteLearner") voters.push(change.node);
  return { voters: voters.sort((a, b) => a - b), learners: learners.sort((a, b) => a - b) };
}
