/**
 * Quiescence (docs/glossary.md): a group with nothing to replicate goes quiet, so that an idle
 * node's cost does not grow with the number of its groups (CockroachDB's quiesced ranges, TiKV's
 * hibernated regions). Whether the nodes behind a quiet group are up is then judged once per
 * node pair by the driver's side (node liveness, src/cluster/health/node_liveness.ts), which
 * hands this module `isAlive(member)` and a count of ticks: the core stays pure.
 *
 * Going quiet (quiesce), at the leader, when its driver asks: only when nothing is in flight (its
 * whole log committed, applied and durable here; no read, transfer, snapshot or broadcast pending)
 * and every member whose node is alive holds its whole log (replicating, nothing unacknowledged),
 * and those alive and caught up, itself included, are a majority of the voters. A member on a node
 * that is not alive is left out (a dead node must not keep every group awake); its node coming back
 * wakes the leader (the driver's business), which then catches it up. The leader sends every
 * caught-up member a last heartbeat with `quiesce` set and its last index as commit, then sends
 * nothing more: its driver stops ticking it, and while quiet a tick does nothing.
 *
 * A follower that gets such a heartbeat from its leader and holds exactly the leader's log, all
 * committed (its last index and commit are the heartbeat's commit), goes quiet too and does not
 * answer: an answer is a message, and would wake the leader. Otherwise it answers as to any
 * heartbeat and stays awake; hearing nothing more, it campaigns after its election timeout, and
 * that pre-vote wakes the leader, which heartbeats it again. A lost quiesce heartbeat therefore
 * costs one election timeout of messages, never a group stuck half quiet.
 *
 * Waking (wake): any message of the group wakes a quiet member (stepQuiet), except a quiesce
 * heartbeat at a follower (it quiets it again), and heartbeat answers at a quiet leader, which are
 * dropped: they answer rounds sent before it went quiet (the last normal round's answers arrive
 * after the quiesce heartbeats leave), or come from a follower that stayed awake and will campaign.
 * A proposal, a read, a membership change or a transfer wakes a quiet leader (raw_node.ts); the
 * driver wakes a follower whose leader's node lapsed and a leader when a member's node lapsed or
 * came back. A follower woken by a message not from its leader (another member's pre-vote, say)
 * wakes its leader in turn, with an answer it may always give (an append answer at its commit index,
 * as handleAppend gives to an old append): else it would wait, awake, for a leader that sends
 * nothing, and campaign. Without that, one follower cut off from a quiet leader would make the
 * other follower, woken by its pre-votes, campaign too, win with its vote and depose a leader
 * that is fine; with it, the leader heartbeats, as it would had it never gone quiet.
 * - A woken leader starts a fresh check-quorum window (§6.2), forgets the rounds of its lease
 *   (its lease clock stood still while quiet: LeaderLease.forgetRounds) and heartbeats at once.
 * - A woken follower's election timer resumes at `ticksSinceLeaderHeard`, the driver's count of
 *   the ticks since it last heard its leader or its leader's node: a follower whose leader's node
 *   lapsed (nothing heard for an election timeout) then campaigns within the rest of its randomized
 *   timeout, as an awake follower of a dead leader would. Leader leases stay safe: that count is at
 *   most the ticks since the follower last answered a round of its leader (it heard the leader
 *   then), so it ignores vote requests at least as long as an awake follower would (roles.ts,
 *   leader_lease.ts). A message that wakes the core without the driver's count leaves the timer
 *   where it stood when the follower went quiet: smaller, so just as safe.
 */
import { majority } from "./quorum.ts";
import type { Progress } from "./progress.ts";
import type { Raft } from "./raft.ts";
import type { HeartbeatRequest, Message, NodeId } from "./types.ts";
import { noNode } from "./types.ts";

/** Whether `member`'s node is alive, as node liveness judges it; for the leader itself: its disk is not stalled. */
export type MemberAlive = (member: NodeId) => boolean;

/** Whether the leader may go quiet now (see the head comment). */
function mayQuiesce(raft: Raft, isAlive: MemberAlive): boolean {
  if (raft.role !== "leader" || raft.quiesced || raft.leadTransferee !== noNode) return false;
  if (!nothingInFlight(raft) || !isAlive(raft.id)) return false;
  const lastIndex = raft.log.lastIndex();
  const voters = raft.voters();
  let votersAliveAndCaughtUp = 0;
  for (const [member, progress] of raft.progress) {
    const alive = member === raft.id || isAlive(member);
    const caughtUp = member === raft.id || holdsWholeLog(progress, lastIndex);
    if (alive && !caughtUp) return false;
    if (alive && voters.includes(member)) votersAliveAndCaughtUp++;
  }
  return votersAliveAndCaughtUp >= majority(voters.length);
}

/**
 * The leader goes quiet if it may: queues the quiesce heartbeats and returns true. The commit a
 * heartbeat carries is the leader's last index, so only a member holding all of it may go quiet.
 */
export function quiesce(raft: Raft, isAlive: MemberAlive): boolean {
  if (!mayQuiesce(raft, isAlive)) return false;
  const lastIndex = raft.log.lastIndex();
  for (const [member, progress] of raft.progress) {
    if (member === raft.id || !holdsWholeLog(progress, lastIndex)) continue;
    raft.send({ type: "heartbeat", to: member, commit: lastIndex, context: null, round: 0, quiesce: true });
    progress.sentCommit = Math.max(progress.sentCommit, lastIndex);
  }
  raft.quiesced = true;
  raft.lease?.forgetRounds();
  return true;
}

/** A follower's answer to a quiesce heartbeat of its leader: true when it went quiet (and sends nothing). */
export function quietOnHeartbeat(raft: Raft, request: HeartbeatRequest): boolean {
  if (request.quiesce !== true || request.context !== null) return false;
  if (raft.role !== "follower" || raft.leader !== request.from) return false;
  const log = raft.log;
  if (log.lastIndex() !== request.commit || log.committed !== request.commit) return false;
  raft.quiesced = true;
  // A transfer the leader abandoned cannot resume without waking the group.
  raft.snapshotReceive = undefined;
  return true;
}

/** Members (voters and learners, the leader left out) that do not hold the leader's whole log. */
export function membersBehind(raft: Raft): NodeId[] {
  const lastIndex = raft.log.lastIndex();
  const behind: NodeId[] = [];
  for (const [member, progress] of raft.progress) {
    if (member !== raft.id && progress.match < lastIndex) behind.push(member);
  }
  return behind;
}

/**
 * Wakes a quiet member (see the head comment); `ticksSinceLeaderHeard` matters to a follower only,
 * and so does `cause`, the message that woke it, if any: one not from its leader wakes the leader.
 */
export function wake(raft: Raft, ticksSinceLeaderHeard: number, cause?: Message): void {
  if (!raft.quiesced) return;
  raft.quiesced = false;
  if (raft.role !== "leader") {
    // Past twice the timeout every randomized timeout has expired: a larger count means the same.
    const ticks = Math.max(0, Math.floor(ticksSinceLeaderHeard));
    raft.electionElapsed = Math.min(ticks, 2 * raft.config.electionTimeoutTicks);
    if (cause !== undefined && cause.from !== raft.leader && raft.leader !== noNode) {
      // What a follower answers an old append: everything up to its commit matches the leader's log.
      const index = raft.log.committed;
      raft.send({ type: "appendResponse", to: raft.leader, reject: false, index, hintIndex: 0, hintTerm: 0 });
    }
    return;
  }
  raft.electionElapsed = 0;
  raft.heartbeatElapsed = 0;
  for (const [member, progress] of raft.progress) progress.recentActive = member === raft.id;
  raft.lease?.forgetRounds();
  raft.commitAtPreviousTick = raft.log.committed;
  raft.heartbeatBroadcastPending = true;
}

/**
 * What a quiet member does with `message` before it is stepped: false to drop it (a heartbeat
 * answer at a leader), true to step it, after waking unless it is a quiesce heartbeat at a follower.
 */
export function stepQuiet(raft: Raft, message: Message): boolean {
  if (!raft.quiesced) return true;
  if (raft.role === "leader" && message.type === "heartbeatResponse") return false;
  if (raft.role !== "leader" && isQuiesceHeartbeat(message)) return true;
  wake(raft, raft.electionElapsed, message);
  return true;
}

function isQuiesceHeartbeat(message: Message): boolean {
  return message.type === "heartbeat" && message.quiesce === true;
}

/** Committed, applied, durable here; nothing to send or answer. (The last entry is of this term: the no-op.) */
function nothingInFlight(raft: Raft): boolean {
  const log = raft.log;
  const lastIndex = log.lastIndex();
  const durable = log.unstable.entries.length === 0 && log.unstable.snapshot === undefined;
  const broadcasts = raft.appendBroadcastPending || raft.commitBroadcastPending || raft.heartbeatBroadcastPending;
  const reads = raft.readOnly.size() > 0 || raft.readsAwaitingCommit.length > 0 || raft.readStates.length > 0;
  return log.committed === lastIndex && log.applied === lastIndex && durable && !broadcasts && !reads
    && raft.outbox.length === 0 && raft.progress.get(raft.id)?.match === lastIndex;
}

function holdsWholeLog(progress: Progress, lastIndex: number): boolean {
  return progress.state === "replicate" && progress.match === lastIndex && progress.inflights.count() === 0;
}
