/** Leader election (§3.4, §3.6.1), persistence of votes (§3.8), pre-vote (§9.6), check-quorum (§6.2). */
import { describe, expect, test } from "bun:test";
import type { Message } from "../../src/cluster/raft/types.ts";
import { Harness } from "./harness.ts";

const isolate = (...nodes: number[]) => (message: Message) => nodes.includes(message.from) || nodes.includes(message.to);

describe("election", () => {
  test("a follower that hears no leader campaigns and wins a majority (§3.4)", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(2);
    expect(cluster.leader()).toBe(2);
    for (const id of [1, 3]) expect(cluster.node(id).status().softState.leader).toBe(2);
    expect(cluster.node(2).status().term).toBe(1);
  });

  test("a node grants one vote per term and keeps it across a restart (§3.4, §3.8)", () => {
    const cluster = new Harness([1, 2, 3], { preVote: false });
    cluster.drop = isolate(3);
    cluster.elect(1);
    expect(cluster.node(2).status().vote).toBe(1);
    cluster.restart(2);
    expect(cluster.node(2).status()).toMatchObject({ term: 1, vote: 1 });
    // Node 3, cut off until now, asks node 2 for its vote in the same term: refused.
    cluster.node(2).step({ type: "vote", from: 3, to: 2, term: 1, lastIndex: 5, lastTerm: 1, leadershipTransfer: false });
    cluster.processReadies();
    const answer = cluster.queue.find((message) => message.type === "voteResponse" && message.to === 3);
    expect(answer).toMatchObject({ type: "voteResponse", reject: true });
  });

  test("a vote is refused to a candidate whose log is less up to date (§3.6.1)", () => {
    // Check-quorum off: otherwise node 2, hearing from its leader, would ignore the request.
    const cluster = new Harness([1, 2, 3], { preVote: false, checkQuorum: false });
    cluster.elect(1);
    cluster.node(1).propose(new Uint8Array([1]));
    cluster.deliverAll();
    cluster.node(2).step({ type: "vote", from: 3, to: 2, term: 5, lastIndex: 1, lastTerm: 1, leadershipTransfer: false });
    cluster.processReadies();
    expect(cluster.queue.find((message) => message.to === 3)).toMatchObject({ type: "voteResponse", reject: true, term: 5 });
  });
});

describe("election: disruptions and timeouts", () => {
  test("with pre-vote, a partitioned node does not raise its term and does not depose the leader on return (§9.6)", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    cluster.drop = isolate(3);
    cluster.tick(3, 100);
    cluster.deliverAll();
    expect(cluster.node(3).status().term).toBe(1);
    cluster.drop = () => false;
    cluster.tick(1, 2);
    cluster.deliverAll();
    expect(cluster.leader()).toBe(1);
    expect(cluster.node(1).status().term).toBe(1);
  });

  test("with check-quorum, vote requests are ignored while a leader is heard from (§4.2.3)", () => {
    const cluster = new Harness([1, 2, 3], { preVote: false });
    cluster.elect(1);
    // Node 2 hears from the leader, so it ignores node 3's request of a higher term.
    cluster.node(2).step({ type: "vote", from: 3, to: 2, term: 9, lastIndex: 99, lastTerm: 9, leadershipTransfer: false });
    cluster.processReadies();
    expect(cluster.node(2).status().term).toBe(1);
    expect(cluster.queue.some((message) => message.to === 3)).toBe(false);
  });

  test("a leader that cannot reach a majority steps down after an election timeout (§6.2)", () => {
    const cluster = new Harness([1, 2, 3], { electionTimeoutTicks: 10 });
    cluster.elect(1);
    cluster.drop = isolate(1);
    for (let tick = 0; tick < 25; tick++) {
      cluster.tick(1);
      cluster.deliverAll();
    }
    expect(cluster.node(1).status().softState.role).toBe("follower");
  });

  test("the election timeout is randomized within [timeout, 2 * timeout) (§3.4)", () => {
    const cluster = new Harness([1], { electionTimeoutTicks: 10 });
    let ticks = 0;
    while (cluster.node(1).status().softState.role !== "leader") {
      cluster.tick(1);
      ticks++;
    }
    expect(ticks).toBeGreaterThanOrEqual(10);
    expect(ticks).toBeLessThan(20);
  });
});
