/** Lease reads (§6.4.1) under the stated clock-drift bound; see leader_lease.ts. */
import { describe, expect, test } from "bun:test";
import { makeRaftConfig } from "../../src/cluster/raft/config.ts";
import { LeaderLease, leaseDurationTicks } from "../../src/cluster/raft/leader_lease.ts";
import { Harness, bytes } from "./harness.ts";

const leaseConfig = { leaseReads: true, electionTimeoutTicks: 10, heartbeatIntervalTicks: 2, clockDriftPercentMax: 25 };

/** Elects node 1 and runs one heartbeat round, so a majority has answered a dated round. */
function leaderWithLease(): Harness {
  const cluster = new Harness([1, 2, 3], leaseConfig);
  // Fresh nodes grant no vote for an election timeout; let that pass, cut off.
  cluster.drop = () => true;
  for (const id of [2, 3]) cluster.tick(id, 10);
  cluster.deliverAll();
  cluster.drop = () => false;
  cluster.elect(1);
  cluster.tick(1, 2);
  cluster.deliverAll();
  return cluster;
}

describe("lease reads", () => {
  test("the lease remembers only the rounds of its last duration", () => {
    const lease = new LeaderLease(7);
    for (let tick = 0; tick < 1000; tick++) {
      lease.tick();
      lease.startRound();
    }
    expect(lease.roundsRemembered()).toBeLessThanOrEqual(8);
  });

  test("the lease lasts an election timeout shrunk by the drift bound, less one tick", () => {
    expect(leaseDurationTicks(10, 25)).toBe(7);
    expect(leaseDurationTicks(10, 0)).toBe(9);
    expect(() => makeRaftConfig(1, { leaseReads: true, checkQuorum: false })).toThrow(/leaseReads/);
  });

  test("while the lease holds, a read is answered at once, without a heartbeat round", () => {
    const cluster = leaderWithLease();
    const sentBefore = cluster.sent.length;
    cluster.node(1).readIndex(bytes("fast"));
    cluster.processReadies();
    expect(cluster.readStates.get(1)).toEqual([{ index: cluster.node(1).status().commit, context: bytes("fast") }]);
    expect(cluster.sent.slice(sentBefore).filter((message) => message.type === "heartbeat")).toHaveLength(0);
  });

  test("when no majority answered within the lease, the read takes a heartbeat round", () => {
    const cluster = leaderWithLease();
    cluster.drop = (message) => message.type === "heartbeatResponse";
    cluster.tick(1, 8);
    cluster.deliverAll();
    cluster.node(1).readIndex(bytes("slow"));
    cluster.processReadies();
    expect(cluster.readStates.get(1)).toEqual([]);
    cluster.drop = () => false;
    cluster.deliverAll();
    expect(cluster.readStates.get(1)).toHaveLength(1);
  });

  test("a leadership transfer ends lease reads for the term (§3.10)", () => {
    const cluster = leaderWithLease();
    cluster.drop = (message) => message.type === "timeoutNow";
    cluster.node(1).transferLeadership(2);
    cluster.deliverAll();
    cluster.node(1).readIndex(bytes("after transfer"));
    cluster.processReadies();
    expect(cluster.readStates.get(1)).toEqual([]);
  });

  test("a restarted node grants no vote for an election timeout (its lease memory is gone)", () => {
    const cluster = leaderWithLease();
    cluster.restart(2);
    const term = cluster.node(2).status().term;
    cluster.node(2).step({ type: "vote", from: 3, to: 2, term: term + 1, lastIndex: 99, lastTerm: term, leadershipTransfer: false });
    cluster.processReadies();
    expect(cluster.node(2).status().term).toBe(term);
    cluster.drop = () => true;
    cluster.tick(2, 10);
    cluster.node(2).step({ type: "vote", from: 3, to: 2, term: term + 5, lastIndex: 99, lastTerm: term, leadershipTransfer: false });
    expect(cluster.node(2).status().term).toBe(term + 5);
  });
});
