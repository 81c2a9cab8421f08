/**
 * Role transitions and the part of message handling every role shares: term comparison
 * (§3.3), vote and pre-vote requests (§3.4, §3.6.1, §9.6) and the leader lease that makes
 * a node ignore disruptive vote requests while it hears from a leader (§4.2.3).
 */
import { assert, fail } from "../../util/assert.ts";
import { Raft, type RaftOptions } from "./raft.ts";
import { stepCandidate } from "./role_candidate.ts";
import { stepFollower } from "./role_follower.ts";
import { becomeLeaderRole } from "./role_leader.ts";
import { voteResult } from "./quorum.ts";
import type { Message, NodeId, VoteRequest } from "./types.ts";
import { noNode } from "./types.ts";

export function startRaft(options: RaftOptions): Raft {
  const raft = new Raft(options);
  becomeFollower(raft, raft.term, noNode);
  return raft;
}

export function becomeFollower(raft: Raft, term: number, leader: NodeId): void {
  raft.reset(term);
  raft.leader = leader;
  raft.role = "follower";
  raft.stepRole = (message) => stepFollower(raft, message);
  raft.tickRole = () => tickElection(raft);
}

function becomePreCandidate(raft: Raft): void {
  assert(raft.role !== "leader", "a leader does not pre-campaign");
  // Pre-vote keeps term and vote: a node that cannot win must not bump terms (§9.6).
  raft.votes.clear();
  raft.leader = noNode;
  raft.role = "preCandidate";
  raft.stepRole = (message) => stepCandidate(raft, message);
  raft.tickRole = () => tickElection(raft);
}

function becomeCandidate(raft: Raft): void {
  assert(raft.role !== "leader", "a leader does not campaign");
  raft.reset(raft.term + 1);
  raft.vote = raft.id;
  raft.role = "candidate";
  raft.stepRole = (message) => stepCandidate(raft, message);
  raft.tickRole = () => tickElection(raft);
}

export function becomeLeader(raft: Raft): void {
  assert(raft.role === "candidate", "only a candidate becomes leader");
  raft.reset(raft.term);
  raft.leader = raft.id;
  raft.role = "leader";
  becomeLeaderRole(raft);
}

/** Followers and candidates: campaign when no leader was heard for a random timeout (§3.4). */
function tickElection(raft: Raft): void {
  raft.electionElapsed++;
  if (raft.electionElapsed >= raft.config.electionTimeoutTicks) raft.startupQuiet = false;
  if (raft.promotable() && raft.electionElapsed >= raft.randomizedElectionTimeout) {
    raft.electionElapsed = 0;
    campaign(raft, raft.config.preVote ? "preElection" : "election");
  }
}

/**
 * - preElection: a pre-vote round (§9.6), no term change;
 * - election: a real election (after a won pre-vote, or with pre-vote off);
 * - transfer: a real election on TimeoutNow, allowed to override leader leases (§3.10).
 */
type CampaignKind = "preElection" | "election" | "transfer";

export function campaign(raft: Raft, kind: CampaignKind): void {
  if (!raft.promotable()) return;
  const preVote = kind === "preElection";
  const leadershipTransfer = kind === "transfer";
  if (preVote) becomePreCandidate(raft);
  else becomeCandidate(raft);
  const electionTerm = preVote ? raft.term + 1 : raft.term;
  raft.votes.set(raft.id, true);
  if (voteResult(raft.voters(), raft.votes) === "won") {
    if (preVote) campaign(raft, "election");
    else becomeLeader(raft);
    return;
  }
  for (const voter of raft.voters()) {
    if (voter === raft.id) continue;
    raft.send({
      type: preVote ? "preVote" : "vote",
      to: voter,
      term: electionTerm,
      lastIndex: raft.log.lastIndex(),
      lastTerm: raft.log.lastTerm(),
      leadershipTransfer,
    });
  }
}

/** Every message enters here: term checks first, then votes, then the role's handler. */
export function stepMessage(raft: Raft, message: Message): void {
  if (message.to !== raft.id) fail(`message for ${message.to} delivered to ${raft.id}`);
  if (message.term > raft.term) {
    if (!handleHigherTerm(raft, message)) return;
  } else if (message.term < raft.term) {
    answerStaleTerm(raft, message);
    return;
  }
  if (message.type === "vote" || message.type === "preVote") {
    answerVoteRequest(raft, message);
    return;
  }
  raft.stepRole(message);
}

/** Returns false when the message is to be dropped. */
function handleHigherTerm(raft: Raft, message: Message): boolean {
  if (message.type === "vote" || message.type === "preVote") {
    const heardLeaderLately = (raft.leader !== noNode || raft.startupQuiet) && raft.electionElapsed < raft.config.electionTimeoutTicks;
    const inLease = raft.config.checkQuorum && heardLeaderLately;
    // §4.2.3: while a leader is heard from, vote requests are ignored, so a removed or
    // partitioned node cannot depose a healthy leader. A leadership transfer overrides.
    if (inLease && !message.leadershipTransfer) return false;
  }
  if (message.type === "preVote") return true;
  if (message.type === "preVoteResponse" && !message.reject) return true;
  const fromLeader = message.type === "append" || message.type === "heartbeat" || message.type === "snapshot";
  becomeFollower(raft, message.term, fromLeader ? message.from : noNode);
  return true;
}

function answerStaleTerm(raft: Raft, message: Message): void {
  const fromStaleLeader = message.type === "append" || message.type === "heartbeat";
  if (fromStaleLeader && (raft.config.checkQuorum || raft.config.preVote)) {
    // Tell the stale leader our term so it steps down; with pre-vote and check-quorum a
    // partitioned node may never bump its term by campaigning, so it must learn it here.
    raft.send({ type: "appendResponse", to: message.from, reject: false, index: 0, hintIndex: 0, hintTerm: 0 });
  } else if (message.type === "preVote") {
    raft.send({ type: "preVoteResponse", to: message.from, reject: true });
  }
}

/** §3.6.1 and Figure 3.1 RequestVote: one vote per term, only for an up-to-date log. */
function answerVoteRequest(raft: Raft, request: VoteRequest): void {
  const responseType = request.type === "vote" ? "voteResponse" : "preVoteResponse";
  const canVote =
    raft.vote === request.from ||
    (raft.vote === noNode && raft.leader === noNode) ||
    (request.type === "preVote" && request.term > raft.term);
  const upToDate = raft.mutations.grantVoteWithoutLogCheck || raft.log.isUpToDate(request.lastIndex, request.lastTerm);
  if (!(canVote && upToDate)) {
    raft.send({ type: responseType, to: request.from, reject: true });
    return;
  }
  // A pre-vote grant answers in the term the candidate would take; it changes nothing here.
  raft.send({ type: responseType, to: request.from, term: request.term, reject: false });
  if (request.type === "vote") {
    raft.electionElapsed = 0;
    raft.vote = request.from;
  }
}
