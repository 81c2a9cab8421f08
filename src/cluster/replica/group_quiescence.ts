/**
 * The replica driver's side of quiescence (the core's side, and why it is safe:
 * raft/quiescence.ts). Given a GroupLiveness (node liveness as one group sees it, made by
 * health/node_liveness.ts), the driver:
 * - asks its core to go quiet once it led an idle group for quiesceAfterIdleTicks ticks in a row
 *   (no write, read, membership change or transfer queued or waiting, no turn running, nothing for
 *   the core to hand out), and then stops ticking it: a quiet group costs nothing per tick;
 * - steps a quiesce heartbeat as a plain one (so the follower stays awake and answers) when it does
 *   not hear the leader's node: a quiet follower relies on that node's liveness, and one that is not
 *   heard now would never be seen to lapse;
 * - wakes its core before stepping any other message, a follower with the ticks since it last
 *   heard its leader or its leader's node (whichever is later), and starts ticking it again;
 * - on a change of node liveness: wakes a quiet follower whose leader's node is no longer alive
 *   (it then elects within the rest of its randomized election timeout), wakes a quiet leader when
 *   the node of any member became alive or not alive since it went quiet (a member's node back:
 *   catch it up; one gone: check-quorum judges), and makes a leader on a node whose disk stalled
 *   step down (RawNode.stepDown);
 * - counts node liveness as contact while quiet: a follower's last leader contact (bounded reads,
 *   /healthz) is the later of its leader's last message and its leader's node's last heartbeat, and
 *   a quiet leader's voters are heard when their nodes are (group_health.ts). For bounded reads this
 *   is as fresh as a leader heartbeat: a node's heartbeat travels behind every message it sent
 *   before (transport/types.ts), so a follower still quiet when it hears it missed no append sent
 *   before it, and without those appends no write was acknowledged.
 */
import type { Message, NodeId, Role } from "../raft/types.ts";

/** What a replica driver needs of node liveness to let its group go quiet; absent, it never does. */
export interface GroupLiveness {
  /**
   * Whether the node that runs `member` of this group is alive: heard from within the lapse
   * window (health/node_liveness.ts) and its disk not stalled. For this node's own member: whether
   * its own disk is not stalled. A member whose node is not known is not alive.
   */
  isAlive(member: NodeId): boolean;
  /** Ticks of this node since the node that runs `member` was last heard (alive); Infinity when never. */
  ticksSinceHeard(member: NodeId): number;
  /** The clock's now() when the node that runs `member` was last heard (alive); undefined when never. */
  lastHeardMs(member: NodeId): number | undefined;
  /** Ticks of this node's tick scheduler so far, which the driver ticks on too: how it dates its leader's messages. */
  tickCount(): number;
  /** Calls `listener` after any node's liveness changed (rare: a node lapsed, came back, or a disk stalled). */
  onChange(listener: () => void): { cancel(): void };
}

/** What a change of node liveness asks of a replica. */
type LivenessAction = "wake" | "stepDown" | null;

/** The facts a liveness change is judged by. */
interface ReplicaFacts {
  self: NodeId;
  role: Role;
  leader: NodeId;
  quiet: boolean;
  members: readonly NodeId[];
}

export class GroupQuiescence {
  /** Ticks in a row this node led an idle group. */
  private idleTicks = 0;
  /** Whether each member's node was alive when this node's group went quiet as its leader. */
  private aliveWhenQuiet = new Map<NodeId, boolean>();
  /** liveness.tickCount() when a message of the current leader last arrived. */
  private leaderHeardAtTick = Number.NEGATIVE_INFINITY;

  constructor(
    readonly liveness: GroupLiveness,
    private readonly idleTicksMin: number,
    /** Test-only deliberate bug: a quiet follower ignores its leader's node lapsing (the simulator must catch it). */
    private readonly ignoreLapses = false,
  ) {}

  /** A message of the current leader arrived. */
  heardLeader(): void {
    this.leaderHeardAtTick = this.liveness.tickCount();
  }

  /** `message` as the core should step it (see the head comment). */
  admit(message: Message): Message {
    if (message.type !== "heartbeat" || message.quiesce !== true || this.liveness.isAlive(message.from)) return message;
    return { ...message, quiesce: false };
  }

  /** Counts one tick of the driver, idle or not; returns whether a leader should try to go quiet now. */
  tick(idleLeader: boolean): boolean {
    this.idleTicks = idleLeader ? this.idleTicks + 1 : 0;
    return this.idleTicks >= this.idleTicksMin;
  }

  /** This node's group went quiet as its leader, with these members. */
  leaderWentQuiet(members: readonly NodeId[]): void {
    this.aliveWhenQuiet = new Map(members.map((member) => [member, this.liveness.isAlive(member)]));
  }

  woke(): void {
    this.idleTicks = 0;
  }

  /** The ticks since this follower last heard its leader or its leader's node: where its election timer resumes. */
  ticksSinceLeaderHeard(leader: NodeId): number {
    const sinceMessage = this.liveness.tickCount() - this.leaderHeardAtTick;
    return Math.min(sinceMessage, this.liveness.ticksSinceHeard(leader));
  }

  /** The later of `leaderMessageMs` and the last heartbeat of the leader's node: a quiet follower's leader contact. */
  leaderContactMs(leader: NodeId, leaderMessageMs: number): number {
    return Math.max(leaderMessageMs, this.liveness.lastHeardMs(leader) ?? Number.NEGATIVE_INFINITY);
  }

  /** What a change of node liveness asks of this replica (see the head comment). */
  onLivenessChange(facts: ReplicaFacts): LivenessAction {
    if (facts.role === "leader" && !this.liveness.isAlive(facts.self)) return "stepDown";
    if (!facts.quiet) return null;
    if (facts.role === "leader") {
      const changed = facts.members.some((member) => this.aliveWhenQuiet.get(member) !== this.liveness.isAlive(member));
      return changed ? "wake" : null;
    }
    if (this.ignoreLapses) return null;
    return this.liveness.isAlive(facts.leader) ? null : "wake";
  }
}
