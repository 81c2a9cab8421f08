/** Pre-candidates and candidates: count votes (§3.4, §9.6), yield to a leader of the term. */
import type { Raft } from "./raft.ts";
import { becomeFollower, becomeLeader, campaign } from "./roles.ts";
import { voteResult } from "./quorum.ts";
import { stepFollower } from "./role_follower.ts";
import type { Message } from "./types.ts";

export function stepCandidate(raft: Raft, message: Message): void {
  switch (message.type) {
    case "append":
    case "heartbeat":
    case "snapshot":
      // A leader exists in our term (§3.4): yield to it, then handle the message.
      becomeFollower(raft, message.term, message.from);
      stepFollower(raft, message);
      return;
    case "preVoteResponse":
      if (raft.role === "preCandidate") countVote(raft, message.from, !message.reject);
      return;
    case "voteResponse":
      if (raft.role === "candidate") countVote(raft, message.from, !message.reject);
      return;
    default:
      return;
  }
}

function countVote(raft: Raft, from: number, granted: boolean): void {
  raft.votes.set(from, granted);
  const result = voteResult(raft.voters(), raft.votes);
  if (result === "won") {
    if (raft.role === "preCandidate") campaign(raft, "election");
    else becomeLeader(raft);
  } else if (result === "lost") {
    becomeFollower(raft, raft.term, 0);
  }
}
