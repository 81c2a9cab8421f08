/**
 * The driver's side of quiescence (group_quiescence.ts) on a node liveness the test sets by hand:
 * what a change of node liveness asks of a quiet leader and a quiet follower (and of a leader whose
 * own disk stalled), when a quiesce heartbeat is stepped as a plain one, and where a woken
 * follower's election timer resumes.
 */
import { describe, expect, test } from "bun:test";
import type { Message, NodeId } from "../../../src/cluster/raft/types.ts";
import { GroupQuiescence, type GroupLiveness } from "../../../src/cluster/replica/group_quiescence.ts";

/** Node liveness by member, set by the test. */
class HandLiveness implements GroupLiveness {
  readonly alive = new Set<NodeId>([1, 2, 3]);
  readonly heardAtTick = new Map<NodeId, number>();
  readonly heardMs = new Map<NodeId, number>();
  ticks = 0;
  isAlive = (member: NodeId) => this.alive.has(member);
  ticksSinceHeard = (member: NodeId) => this.ticks - (this.heardAtTick.get(member) ?? -Infinity);
  lastHeardMs = (member: NodeId) => this.heardMs.get(member);
  tickCount = () => this.ticks;
  onChange = () => ({ cancel: () => {} });
}

const voters = [1, 2, 3];
const quietLeader = { self: 1, role: "leader" as const, leader: 1, quiet: true, voters };
const quietFollower = { self: 2, role: "follower" as const, leader: 1, quiet: true, voters };

describe("what a change of node liveness asks", () => {
  test("a quiet follower wakes when its leader's node is not alive, not when another member's is not", () => {
    const liveness = new HandLiveness();
    const quiet = new GroupQuiescence(liveness, 15);
    liveness.alive.delete(3);
    expect(quiet.onLivenessChange(quietFollower)).toBeNull();
    liveness.alive.delete(1);
    expect(quiet.onLivenessChange(quietFollower)).toBe("wake");
    expect(quiet.onLivenessChange({ ...quietFollower, quiet: false })).toBeNull();
    expect(new GroupQuiescence(liveness, 15, true).onLivenessChange(quietFollower)).toBeNull();
  });

  test("a quiet leader stays quiet through a blip of an up-to-date member's node (no wake storm)", () => {
    const liveness = new HandLiveness();
    const quiet = new GroupQuiescence(liveness, 15);
    quiet.leaderWentQuiet([]);
    liveness.alive.delete(3);
    expect(quiet.onLivenessChange(quietLeader)).toBeNull();
    liveness.alive.add(3);
    expect(quiet.onLivenessChange(quietLeader)).toBeNull();
  });

  test("a quiet leader wakes when a member it left behind is back, or when the nodes alive hold no majority", () => {
    const liveness = new HandLiveness();
    const quiet = new GroupQuiescence(liveness, 15);
    liveness.alive.delete(3);
    quiet.leaderWentQuiet([3]);
    expect(quiet.onLivenessChange(quietLeader)).toBeNull();
    liveness.alive.add(3);
    expect(quiet.onLivenessChange(quietLeader)).toBe("wake");
    quiet.leaderWentQuiet([]);
    liveness.alive.delete(2);
    liveness.alive.delete(3);
    expect(quiet.onLivenessChange(quietLeader)).toBe("wake");
  });

  test("a leader, quiet or not, whose own node's disk stalled steps down", () => {
    const liveness = new HandLiveness();
    const quiet = new GroupQuiescence(liveness, 15);
    liveness.alive.delete(1);
    expect(quiet.onLivenessChange(quietLeader)).toBe("stepDown");
    expect(quiet.onLivenessChange({ ...quietLeader, quiet: false })).toBe("stepDown");
    expect(quiet.onLivenessChange({ ...quietFollower, self: 1 })).toBe("wake");
  });
});

describe("around a quiet follower", () => {
  test("a quiesce heartbeat from a node not alive is stepped as a plain one, so the follower stays awake", () => {
    const liveness = new HandLiveness();
    const quiet = new GroupQuiescence(liveness, 15);
    const quiesce: Message = {
      type: "heartbeat", from: 1, to: 2, term: 1, commit: 5, context: null, round: 0, quiesce: true,
    };
    expect(quiet.admit(quiesce)).toBe(quiesce);
    liveness.alive.delete(1);
    expect(quiet.admit(quiesce)).toEqual({ ...quiesce, quiesce: false });
  });

  test("a woken follower's election timer resumes at the ticks since its leader or its node was heard", () => {
    const liveness = new HandLiveness();
    const quiet = new GroupQuiescence(liveness, 15);
    liveness.ticks = 100;
    quiet.heardLeader();
    liveness.heardAtTick.set(1, 90);
    liveness.ticks = 130;
    expect(quiet.ticksSinceLeaderHeard(1)).toBe(30);
    liveness.heardAtTick.set(1, 125);
    expect(quiet.ticksSinceLeaderHeard(1)).toBe(5);
    liveness.heardMs.set(1, 4000);
    expect(quiet.leaderContactMs(1, 3000)).toBe(4000);
    expect(quiet.leaderContactMs(1, 5000)).toBe(5000);
  });

  test("a leader tries to go quiet after the idle ticks in a row; any busy tick starts the count again", () => {
    const quiet = new GroupQuiescence(new HandLiveness(), 3);
    expect([true, true].map((idle) => quiet.tick(idle))).toEqual([false, false]);
    expect(quiet.tick(false)).toBe(false);
    expect([true, true, true, true].map((idle) => quiet.tick(idle))).toEqual([false, false, true, true]);
  });
});
