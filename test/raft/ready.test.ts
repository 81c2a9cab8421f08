/**
 * The Ready/advance contract: messages leave only after the Ready's state is persisted
 * (a leader's appends and heartbeats excepted: parallel_persist.test.ts).
 */
import { describe, expect, test } from "bun:test";
import { makeRaftConfig } from "../../src/cluster/raft/config.ts";
import { seededRandom } from "../../src/cluster/raft/random.ts";
import { RawNode } from "../../src/cluster/raft/raw_node.ts";
import { MemoryStorage } from "../../src/cluster/raft/storage.ts";
import { AssertionError } from "../../src/util/assert.ts";

function singleNode(): RawNode {
  return new RawNode(makeRaftConfig(1, { electionTimeoutTicks: 2, heartbeatIntervalTicks: 1 }), new MemoryStorage({ voters: [1, 2], learners: [] }), seededRandom(1));
}

/** Ticks until the node has something to say: its first pre-vote round. */
function campaign(node: RawNode): void {
  for (let i = 0; i < 10 && !node.hasReady(); i++) node.tick();
}

describe("Ready", () => {
  test("votes are not on the Ready; advance() hands them out with the hard state they depend on", () => {
    const node = singleNode();
    campaign(node);
    const ready = node.ready();
    expect(Object.keys(ready)).not.toContain("messages");
    expect(ready.messagesBeforePersist).toEqual([]);
    expect(ready.hardState).toBeUndefined();
    const preVotes = node.advance(ready);
    expect(preVotes.map((message) => message.type)).toEqual(["preVote"]);
    node.step({ type: "preVoteResponse", from: 2, to: 1, term: 1, reject: false });
    const voteReady = node.ready();
    expect(voteReady.hardState).toEqual({ term: 1, vote: 1, commit: 0 });
    expect(node.advance(voteReady).map((message) => message.type)).toEqual(["vote"]);
  });

  test("one Ready is outstanding at a time and advance() takes only that one", () => {
    const node = singleNode();
    campaign(node);
    const ready = node.ready();
    expect(node.hasReady()).toBe(false);
    expect(() => node.ready()).toThrow(AssertionError);
    node.advance(ready);
    expect(() => node.advance(ready)).toThrow(AssertionError);
  });

  test("a restarted node starts from what storage holds", () => {
    const storage = new MemoryStorage({ voters: [1], learners: [] });
    const node = new RawNode(makeRaftConfig(1), storage, seededRandom(1));
    for (let i = 0; i < 30 && node.status().softState.role !== "leader"; i++) node.tick();
    const ready = node.ready();
    storage.append(ready.entries);
    if (ready.hardState) storage.setHardState(ready.hardState);
    node.advance(ready);
    const restarted = new RawNode(makeRaftConfig(1), storage, seededRandom(2));
    expect(restarted.status()).toMatchObject({ term: node.status().term, vote: 1, lastIndex: 1, softState: { role: "follower" } });
  });
});
