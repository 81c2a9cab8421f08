/**
 * What /healthz says about a replica, and the contact times it judges by. A replica serves when:
 * - it leads and heard from a majority of voters (itself included) within quorumContactWindowMs
 *   (the check-quorum window: a leader without that steps down, §6.2), or
 *   - while its group is quiet (no messages: group_quiescence.ts), from the nodes of a majority of
 *     voters (node liveness), or
 * - it follows, and it heard from a leader within leaderlessMsMax (since its start, for a node
 *   that just started), unless it stepped down as a leader without a quorum and heard from no
 *   leader since. A quiet follower's leader contact counts its leader's node's heartbeats
 *   (ReplicaDriver.lastLeaderContactMs).
 * Otherwise, and when it was removed from the group or its replication failed, it is unavailable
 * with the reason in words. The judging is a pure function of the facts (judgeHealth), so every
 * state is tested without waiting for clocks; times are on the driver's Clock (src/util/clock.ts).
 */
import { leaderlessMsMax, quorumContactWindowMs } from "../cluster_limits.ts";
import { majority } from "../raft/quorum.ts";
import type { NodeId, Role } from "../raft/types.ts";

/** `fatal`: the node cannot recover by itself (its replication failed); a restart is the remedy. */
export type Health = { ok: true } | { ok: false; reason: string; fatal?: true };

/** Receipt times from the driver: every peer message, and a leader's stepping down. */
export class ContactTracker {
  private readonly heardAtMs = new Map<NodeId, number>();
  /** The driver's clock.now() when this node stepped down as leader without a quorum; null once a leader is heard. */
  quorumLostAtMs: number | null = null;

  constructor(readonly startedAtMs: number) {}

  heard(node: NodeId, nowMs: number): void {
    this.heardAtMs.set(node, nowMs);
  }

  heardFromLeader(): void {
    this.quorumLostAtMs = null;
  }

  /**
   * Called when leadership ends: remembers whether it ended for lack of a quorum. Check-quorum
   * steps down after a whole window without a majority, a handover with the followers heard
   * from a heartbeat ago; half the window tells the two apart with room for timer drift.
   */
  steppedDown(self: NodeId, voters: readonly NodeId[], nowMs: number): void {
    const heard = votersHeard(this, self, voters, nowMs, quorumContactWindowMs / 2);
    if (heard < majority(voters.length)) this.quorumLostAtMs = nowMs;
  }

  lastHeardMs(node: NodeId): number | undefined {
    return this.heardAtMs.get(node);
  }
}

/** When a voter's node was last heard (node liveness), or undefined. */
type NodeHeardMs = (member: NodeId) => number | undefined;

/** Voters heard within `windowMs`, this node counted when it is one; by their nodes too when `nodeHeardMs` is given. */
function votersHeard(
  contact: ContactTracker,
  self: NodeId,
  voters: readonly NodeId[],
  nowMs: number,
  windowMs: number,
  nodeHeardMs?: NodeHeardMs,
): number {
  let heard = 0;
  for (const voter of voters) {
    const byMessage = voter === self ? nowMs : contact.lastHeardMs(voter);
    const at = Math.max(byMessage ?? -Infinity, nodeHeardMs?.(voter) ?? -Infinity);
    if (nowMs - at <= windowMs) heard++;
  }
  return heard;
}

export interface HealthFacts {
  nowMs: number;
  self: NodeId;
  role: Role;
  voters: readonly NodeId[];
  /** The driver's clock.now() of the last message from a leader (or of this node's own leadership). */
  lastLeaderContactMs: number;
  contact: ContactTracker;
  /** Set when this node was removed from its group (node_removal.ts). */
  removed: boolean;
  /** Why replication stopped (a storage or state-machine failure); null while it runs. */
  failure: string | null;
  /** Given while this node leads a quiet group: when each voter's node was last heard (node liveness). */
  nodeHeardMs?: NodeHeardMs;
}

export function judgeHealth(facts: HealthFacts): Health {
  if (facts.removed) return { ok: false, reason: "removed from the group" };
  if (facts.failure !== null) return { ok: false, reason: `replication stopped: ${facts.failure}`, fatal: true };
  const { contact, self, voters, nowMs, nodeHeardMs } = facts;
  const heard = votersHeard(contact, self, voters, nowMs, quorumContactWindowMs, nodeHeardMs);
  const noQuorum = { ok: false, reason: `no quorum (heard from ${heard} of ${facts.voters.length} voters)` } as const;
  if (facts.role === "leader") return heard >= majority(facts.voters.length) ? { ok: true } : noQuorum;
  if (facts.contact.quorumLostAtMs !== null) return noQuorum;
  const leaderlessMs = facts.nowMs - Math.max(facts.lastLeaderContactMs, facts.contact.startedAtMs);
  if (leaderlessMs <= leaderlessMsMax) return { ok: true };
  return { ok: false, reason: `no leader known for ${Math.round(leaderlessMs)} ms` };
}
