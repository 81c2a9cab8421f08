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
 *   (it then elects within the rest of its randomized election timeout); wakes a quiet leader when
 *   the node of a member it left behind (one whose node was not alive when it went quiet, lacking
 *   entries) is alive again, to catch it up, or when the nodes alive no longer hold a majority of
 *   its voters, so that check-quorum judges whether it still leads; and makes a leader on a node
 *   whose disk stalled step down (RawNode.stepDown). A node that lapses and comes back while its
 *   replicas were up to date wakes no leader: waking every group of a node on every liveness blip
 *   is what made CockroachDB unstable with many ranges (cockroach#50865, #51894); such a
 *   replica that was cut off wakes its group itself if it needs to (it campaigns, which wakes the
 *   leader);
 * - counts node liveness as contact while quiet: a follower's last leader contact (bounded reads,
 *   /healthz) is the later of its leader's last message and its leader's node's last heartbeat, and
 *   a quiet leader's voters are heard when their nodes are (group_health.ts). For bounded reads this
 *   is as fresh as a leader heartbeat: a node's heartbeat travels behind every message it sent
 *   before (transport/types.ts), so a follower still quiet when it hears it missed no append sent
 *   before it, and without those appends no write was acknowledged.
 */
import { majority } from "../raft/quorum.ts";
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
  voters: readonly NodeId[];
}

export class GroupQuiescence {
  /** Ticks in a row this node led an idle group. */
  private idleTicks = 0;
  /** Members this node left behind (lacking entries) when its group went quiet as their leader. */
  private behindWhenQuiet: readonly NodeId[] = [];
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

  /** This node's group went quiet as its leader, leaving `behind` (on nodes not alive) without its whole log. */
  leaderWentQuiet(behind: readonly NodeId[]): void {
    this.behindWhenQuiet = behind;
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
      const isAlive = (member: NodeId) => this.liveness.isAlive(member);
      const backToCatchUp = this.behindWhenQuiet.some(isAlive);
      const noMajority = facts.voters.filter(isAlive).length < majority(facts.voters.length);
      return backToCatchUp || noMajority ? "wake" : null;
    }
    if (this.ignoreLapses) return null;
    return this.liveness.isAlive(facts.leader) ? null : "wake";
  }
}
