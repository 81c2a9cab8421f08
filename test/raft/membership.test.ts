/** Membership changes one server at a time (§4.1-§4.3), leadership transfer (§3.10). */
import { describe, expect, test } from "bun:test";
import { ConfChangeRejectedError, LeadershipTransferInProgressError, NotLeaderError, TransferRejectedError } from "../../src/cluster/raft/errors.ts";
import { makeRaftConfig } from "../../src/cluster/raft/config.ts";
import { groupMembersMax } from "../../src/cluster/raft/conf_change.ts";
import { seededRandom } from "../../src/cluster/raft/random.ts";
import { RawNode } from "../../src/cluster/raft/raw_node.ts";
import { MemoryStorage } from "../../src/cluster/raft/storage.ts";
import { Harness, bytes } from "./harness.ts";

/** Adds a fresh node (empty storage, no configuration) to the harness. */
function addEmptyNode(cluster: Harness, id: number): void {
  const storage = new MemoryStorage();
  cluster.storages.set(id, storage);
  cluster.nodes.set(id, new RawNode(makeRaftConfig(id), storage, seededRandom(id)));
  cluster.applied.set(id, []);
  cluster.readStates.set(id, []);
}

describe("membership", () => {
  test("a learner catches up without voting, then is promoted and counts in quorums (§4.2.1)", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    cluster.node(1).propose(bytes("before"));
    cluster.deliverAll();
    addEmptyNode(cluster, 4);
    cluster.node(1).proposeConfChange({ kind: "addLearner", node: 4 });
    cluster.deliverAll();
    cluster.tick(1, 2);
    cluster.deliverAll();
    expect(cluster.appliedData(4)).toEqual(["before"]);
    expect(cluster.node(1).status().confState).toEqual({ voters: [1, 2, 3], learners: [4] });
    cluster.node(1).proposeConfChange({ kind: "promoteLearner", node: 4 });
    cluster.deliverAll();
    expect(cluster.node(4).status().confState).toEqual({ voters: [1, 2, 3, 4], learners: [] });
    // Four voters: with two of them cut off nothing commits.
    cluster.drop = (message) => [3, 4].includes(message.to) || [3, 4].includes(message.from);
    const commit = cluster.node(1).status().commit;
    cluster.node(1).propose(bytes("needs three of four"));
    cluster.deliverAll();
    expect(cluster.node(1).status().commit).toBe(commit);
  });

  test("a learner never campaigns", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    addEmptyNode(cluster, 4);
    cluster.node(1).proposeConfChange({ kind: "addLearner", node: 4 });
    cluster.deliverAll();
    cluster.tick(1, 2);
    cluster.deliverAll();
    cluster.drop = () => true;
    cluster.tick(4, 200);
    expect(cluster.node(4).status().softState.role).toBe("follower");
    expect(cluster.queue.some((message) => message.from === 4 && message.type.endsWith("ote"))).toBe(false);
  });

  test("removing a voter shrinks the quorum; the removed node's messages no longer count (§4.1)", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    cluster.node(1).proposeConfChange({ kind: "removeNode", node: 3 });
    cluster.deliverAll();
    expect(cluster.node(2).status().confState).toEqual({ voters: [1, 2], learners: [] });
    cluster.drop = (message) => message.to === 3 || message.from === 3;
    cluster.node(1).propose(bytes("two voters"));
    cluster.deliverAll();
    cluster.announceCommit();
    expect(cluster.appliedData(2)).toEqual(["two voters"]);
  });

  test("one change at a time, only after the leader committed an entry of its term (§4.1, §4.3)", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    cluster.drop = (message) => message.from === 1 && message.type === "append";
    cluster.node(1).proposeConfChange({ kind: "addLearner", node: 4 });
    expect(() => cluster.node(1).proposeConfChange({ kind: "addLearner", node: 5 })).toThrow(ConfChangeRejectedError);
    // A fresh leader whose no-op is not committed refuses changes.
    const fresh = new Harness([1, 2, 3]);
    fresh.drop = (message) => message.type === "appendResponse";
    fresh.elect(1);
    expect(() => fresh.node(1).proposeConfChange({ kind: "addLearner", node: 4 })).toThrow(/not yet committed an entry of its term/);
  });
});

describe("membership: refusals and restarts", () => {
  test("bad changes are refused with a reason", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    const leader = cluster.node(1);
    expect(() => leader.proposeConfChange({ kind: "removeNode", node: 1 })).toThrow(/transfer leadership first/);
    expect(() => leader.proposeConfChange({ kind: "promoteLearner", node: 2 })).toThrow(/not a learner/);
    expect(() => leader.proposeConfChange({ kind: "addLearner", node: 2 })).toThrow(/already a member/);
    expect(() => leader.proposeConfChange({ kind: "removeNode", node: 9 })).toThrow(/not a member/);
    expect(() => leader.proposeConfChange({ kind: "addLearner", node: -1 })).toThrow(ConfChangeRejectedError);
    expect(() => cluster.node(2).proposeConfChange({ kind: "addLearner", node: 4 })).toThrow(NotLeaderError);
  });

  test("a group holds at most groupMembersMax members (every snapshot chunk carries them)", () => {
    const cluster = new Harness(Array.from({ length: groupMembersMax - 1 }, (_, index) => index + 1));
    cluster.elect(1);
    cluster.node(1).proposeConfChange({ kind: "addLearner", node: groupMembersMax });
    cluster.deliverAll();
    expect(cluster.node(1).status().confState.learners).toEqual([groupMembersMax]);
    const oneMore = { kind: "addLearner" as const, node: groupMembersMax + 1 };
    const refusal = `the group already has ${groupMembersMax} members`;
    expect(() => cluster.node(1).proposeConfChange(oneMore)).toThrow(refusal);
  });

  test("a lagging learner is not promoted", () => {
    const cluster = new Harness([1, 2, 3], { learnerPromotionLagEntriesMax: 2 });
    cluster.elect(1);
    addEmptyNode(cluster, 4);
    cluster.node(1).proposeConfChange({ kind: "addLearner", node: 4 });
    cluster.drop = (message) => message.to === 4;
    cluster.deliverAll();
    for (let i = 0; i < 5; i++) cluster.node(1).propose(bytes(`e${i}`));
    cluster.deliverAll();
    expect(() => cluster.node(1).proposeConfChange({ kind: "promoteLearner", node: 4 })).toThrow(/behind/);
  });

  test("a restarted node reads its configuration from the log (§4.1)", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    cluster.node(1).proposeConfChange({ kind: "removeNode", node: 3 });
    cluster.deliverAll();
    cluster.restart(2);
    expect(cluster.node(2).status().confState).toEqual({ voters: [1, 2], learners: [] });
  });
});

describe("leadership transfer (§3.10)", () => {
  test("the target catches up, receives TimeoutNow and wins the next term", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    cluster.node(1).propose(bytes("x"));
    cluster.deliverAll();
    cluster.node(1).transferLeadership(3);
    cluster.deliverAll();
    expect(cluster.leader()).toBe(3);
    expect(cluster.node(3).status().term).toBe(2);
    expect(cluster.sent.some((message) => message.type === "timeoutNow" && message.to === 3)).toBe(true);
  });

  test("proposals are refused while a transfer is under way, and bad targets are refused", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    cluster.drop = (message) => message.to === 2;
    cluster.node(1).propose(bytes("x"));
    cluster.processReadies();
    cluster.node(1).transferLeadership(2);
    expect(() => cluster.node(1).propose(bytes("y"))).toThrow(LeadershipTransferInProgressError);
    expect(() => cluster.node(1).transferLeadership(1)).toThrow(TransferRejectedError);
    expect(() => cluster.node(1).transferLeadership(7)).toThrow(TransferRejectedError);
  });

  test("a transfer that cannot finish is abandoned after an election timeout", () => {
    const cluster = new Harness([1, 2, 3], { electionTimeoutTicks: 10 });
    cluster.elect(1);
    cluster.drop = (message) => message.to === 2 || message.from === 2;
    cluster.node(1).propose(bytes("x"));
    cluster.deliverAll();
    cluster.node(1).transferLeadership(2);
    for (let i = 0; i < 10; i++) {
      cluster.tick(1);
      cluster.deliverAll();
    }
    expect(cluster.node(1).status().leadTransferee).toBe(0);
    expect(() => cluster.node(1).propose(bytes("y"))).not.toThrow();
  });
});
