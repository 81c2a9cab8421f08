/**
 * The leader writes its log in parallel with replicating it (§10.2.1): its appends and
 * heartbeats may leave before its own write, and its own copy counts towards commit only
 * once persisted. Everything else still waits for persistence.
 */
import { describe, expect, test } from "bun:test";
import { makeRaftConfig } from "../../src/cluster/raft/config.ts";
import { seededRandom } from "../../src/cluster/raft/random.ts";
import { RawNode, type Ready } from "../../src/cluster/raft/raw_node.ts";
import { MemoryStorage } from "../../src/cluster/raft/storage.ts";
import type { Message } from "../../src/cluster/raft/types.ts";
import { bytes, Harness } from "./harness.ts";

function persist(storage: MemoryStorage, ready: Ready): void {
  if (ready.snapshot !== undefined) storage.applySnapshot(ready.snapshot);
  storage.append(ready.entries);
  if (ready.hardState !== undefined) storage.setHardState(ready.hardState);
}

/** Node 1 leads a quiet 3-node cluster; returns the leader's Ready holding a proposal of "x". */
function leaderWithPendingProposal(cluster: Harness): { ready: Ready; index: number } {
  cluster.elect(1);
  expect(cluster.leader()).toBe(1);
  const { lastIndex } = cluster.node(1).propose(bytes("x"));
  const ready = cluster.node(1).ready();
  expect(ready.entries.map((entry) => entry.index)).toEqual([lastIndex]);
  return { ready, index: lastIndex };
}

/** Hands an early append to its follower, persists the follower's Ready, returns its reply. */
function followerAcknowledges(cluster: Harness, append: Message): Message {
  const follower = cluster.node(append.to);
  follower.step(append);
  const ready = follower.ready();
  expect(ready.messagesBeforePersist).toEqual([]);
  persist(cluster.storages.get(append.to) as MemoryStorage, ready);
  const [reply] = follower.advance(ready);
  expect(reply.type).toBe("appendResponse");
  return reply;
}

describe("a leader's appends leave before its own write (§10.2.1)", () => {
  test("its appends and heartbeats are on the Ready, to send before persisting; advance() keeps the rest", () => {
    const cluster = new Harness([1, 2, 3]);
    const { ready, index } = leaderWithPendingProposal(cluster);
    const early = ready.messagesBeforePersist;
    expect(early.map((message) => [message.type, message.to])).toEqual([["append", 2], ["append", 3]]);
    for (const message of early) expect(message.type === "append" && message.entries.map((entry) => entry.index)).toEqual([index]);
    persist(cluster.storages.get(1) as MemoryStorage, ready);
    expect(cluster.node(1).advance(ready)).toEqual([]);
  });

  test("the leader's own unpersisted copy does not count: one follower's acknowledgement commits only after the leader's write", () => {
    const cluster = new Harness([1, 2, 3]);
    const { ready, index } = leaderWithPendingProposal(cluster);
    const leader = cluster.node(1);
    const commitBefore = leader.status().commit;
    const reply = followerAcknowledges(cluster, ready.messagesBeforePersist[0]);
    leader.step(reply);
    expect(leader.status().commit).toBe(commitBefore);
    persist(cluster.storages.get(1) as MemoryStorage, ready);
    leader.advance(ready);
    expect(leader.status().commit).toBe(index);
    const next = leader.ready();
    expect(next.committedEntries.map((entry) => entry.index)).toEqual([index]);
    // No message carries the new commit index alone: the next append or heartbeat does, by the
    // leader's second tick after it at the latest (announceCommit in role_leader.ts).
    expect(next.messagesBeforePersist).toEqual([]);
    persist(cluster.storages.get(1) as MemoryStorage, next);
    leader.advance(next);
    leader.tick();
    leader.tick();
    const announced = leader.ready();
    // By a heartbeat where the follower's match allows, else by an empty append.
    const told = (to: number) =>
      announced.messagesBeforePersist.some((message) => message.to === to && (message.type === "append" || message.type === "heartbeat") && message.commit === index);
    expect([told(2), told(3)]).toEqual([true, true]);
  });

  test("two followers' acknowledgements commit while the leader's own write is still under way", () => {
    const cluster = new Harness([1, 2, 3]);
    const { ready, index } = leaderWithPendingProposal(cluster);
    const leader = cluster.node(1);
    for (const append of ready.messagesBeforePersist) leader.step(followerAcknowledges(cluster, append));
    expect(leader.status().commit).toBe(index);
  });
});

describe("commits around a leader's own write (§10.2.1)", () => {
  test("what commits during the leader's write is handed out once by takeCommittedEntries, and never again by a Ready", () => {
    const cluster = new Harness([1, 2, 3]);
    const { ready, index } = leaderWithPendingProposal(cluster);
    const leader = cluster.node(1);
    expect(leader.takeCommittedEntries()).toEqual([]);
    const [first, second] = ready.messagesBeforePersist;
    leader.step(followerAcknowledges(cluster, first));
    expect(leader.takeCommittedEntries()).toEqual([]); // one follower and an unpersisted leader: no majority
    leader.step(followerAcknowledges(cluster, second));
    expect(leader.takeCommittedEntries().map((entry) => [entry.index, Buffer.from(entry.data).toString()])).toEqual([[index, "x"]]);
    expect(leader.takeCommittedEntries()).toEqual([]);
    persist(cluster.storages.get(1) as MemoryStorage, ready);
    leader.advance(ready);
    expect(leader.status().applied).toBe(index);
    const next = leader.ready();
    expect(next.committedEntries).toEqual([]);
    expect(() => leader.takeCommittedEntries()).not.toThrow();
    leader.advance(next);
    expect(() => leader.takeCommittedEntries()).toThrow(/without an outstanding Ready/);
  });

  test("countLeaderBeforePersist (a deliberate bug) counts the unpersisted copy at once", () => {
    const cluster = new Harness([1, 2, 3], {}, [1, 2, 3], { countLeaderBeforePersist: true });
    const { ready, index } = leaderWithPendingProposal(cluster);
    cluster.node(1).step(followerAcknowledges(cluster, ready.messagesBeforePersist[0]));
    expect(cluster.node(1).status().commit).toBe(index);
  });

  test("a single node commits its entries once they are persisted", () => {
    const storage = new MemoryStorage({ voters: [1], learners: [] });
    const node = new RawNode(makeRaftConfig(1), storage, seededRandom(1));
    for (let i = 0; i < 30 && node.status().softState.role !== "leader"; i++) node.tick();
    const first = node.ready();
    expect(first.committedEntries).toEqual([]);
    persist(storage, first);
    node.advance(first);
    const { lastIndex } = node.propose(bytes("x"));
    const withProposal = node.ready();
    persist(storage, withProposal);
    node.advance(withProposal);
    expect(node.status().commit).toBe(lastIndex);
    expect(node.ready().committedEntries.map((entry) => entry.index)).toEqual([lastIndex]);
  });
});

describe("everything else waits for persistence", () => {
  test("a Ready that persists a new term or vote sends nothing early: vote requests and vote answers", () => {
    const cluster = new Harness([1, 2, 3], { preVote: false });
    const candidate = cluster.node(1);
    for (let i = 0; i < 100 && !candidate.hasReady(); i++) candidate.tick();
    const campaign = candidate.ready();
    expect(campaign.hardState?.vote).toBe(1);
    expect(campaign.messagesBeforePersist).toEqual([]);
    persist(cluster.storages.get(1) as MemoryStorage, campaign);
    const votes = candidate.advance(campaign);
    expect(votes.map((message) => message.type)).toEqual(["vote", "vote"]);
    const voter = cluster.node(2);
    voter.step(votes[0]);
    const voterReady = voter.ready();
    expect(voterReady.hardState?.vote).toBe(1);
    expect(voterReady.messagesBeforePersist).toEqual([]);
    persist(cluster.storages.get(2) as MemoryStorage, voterReady);
    expect(voter.advance(voterReady).map((message) => message.type)).toEqual(["voteResponse"]);
  });

  test("a follower's acknowledgements and a leader's heartbeats", () => {
    const cluster = new Harness([1, 2, 3], { heartbeatIntervalTicks: 1 });
    cluster.elect(1);
    cluster.tick(2);
    const leader = cluster.node(1);
    leader.tick();
    const heartbeatReady = leader.ready();
    expect(heartbeatReady.messagesBeforePersist.map((message) => message.type)).toEqual(["heartbeat", "heartbeat"]);
    const follower = cluster.node(2);
    follower.step(heartbeatReady.messagesBeforePersist[0]);
    const followerReady = follower.ready();
    expect(followerReady.messagesBeforePersist).toEqual([]);
    expect(follower.advance(followerReady).map((message) => message.type)).toEqual(["heartbeatResponse"]);
  });
});
