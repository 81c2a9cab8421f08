/** Log replication (§3.5), fast backtracking, flow control (§10.2.1), commit rule (§3.6.2), snapshots (§5.2). */
import { describe, expect, test } from "bun:test";
import type { Message } from "../../src/cluster/raft/types.ts";
import { Harness, bytes } from "./harness.ts";

const isolate = (...nodes: number[]) => (message: Message) => nodes.includes(message.from) || nodes.includes(message.to);

describe("replication", () => {
  test("a follower's conflicting tail is replaced by the leader's entries (§3.5)", () => {
    const cluster = new Harness([1, 2, 3], { preVote: false, checkQuorum: false });
    cluster.elect(1);
    cluster.drop = isolate(2, 3);
    for (let i = 0; i < 5; i++) cluster.node(1).propose(bytes(`stale${i}`));
    cluster.deliverAll();
    // Node 1 is cut off with five uncommitted entries; node 2 leads and commits others.
    cluster.drop = isolate(1);
    cluster.elect(2);
    for (let i = 0; i < 3; i++) cluster.node(2).propose(bytes(`fresh${i}`));
    cluster.deliverAll();
    cluster.drop = () => false;
    cluster.tick(2, 2);
    cluster.deliverAll();
    for (const id of [1, 2, 3]) expect(cluster.appliedData(id)).toEqual(["fresh0", "fresh1", "fresh2"]);
  });

  test("fast backtracking finds the match point in few round trips, not one per entry", () => {
    const cluster = new Harness([1, 2, 3], { preVote: false, checkQuorum: false });
    cluster.elect(1);
    cluster.drop = isolate(2, 3);
    for (let i = 0; i < 50; i++) cluster.node(1).propose(bytes(`stale${i}`));
    cluster.deliverAll();
    cluster.drop = isolate(1);
    cluster.elect(2);
    cluster.node(2).propose(bytes("fresh"));
    cluster.deliverAll();
    cluster.drop = () => false;
    const sentBefore = cluster.sent.length;
    cluster.tick(2, 2);
    cluster.deliverAll();
    const rejects = cluster.sent.slice(sentBefore).filter((message) => message.type === "appendResponse" && message.reject);
    expect(rejects.length).toBeLessThanOrEqual(2);
    expect(cluster.appliedData(1)).toEqual(["fresh"]);
  });

  test("no more than inflightAppendsMax appends wait unacknowledged for one follower (§10.2.1)", () => {
    const cluster = new Harness([1, 2, 3], { inflightAppendsMax: 4, appendEntriesCountMax: 1 });
    cluster.elect(1);
    cluster.drop = (message) => message.to === 2 || message.from === 2;
    const before = cluster.sent.length;
    for (let i = 0; i < 20; i++) {
      cluster.node(1).propose(bytes(`p${i}`));
      cluster.deliverAll();
    }
    const appends = (to: number) =>
      cluster.sent.slice(before).filter((message) => message.type === "append" && message.to === to && message.entries.length > 0).length;
    expect(appends(2)).toBe(4);
    expect(appends(3)).toBe(20);
    cluster.announceCommit();
    expect(cluster.appliedData(3)).toHaveLength(20);
  });

  test("proposals in one loop turn leave in one append per follower (batching)", () => {
    const cluster = new Harness([1, 2, 3]);
    cluster.elect(1);
    const before = cluster.sent.length;
    for (let i = 0; i < 10; i++) cluster.node(1).propose(bytes(`p${i}`));
    cluster.processReadies();
    const appends = cluster.sent.slice(before).filter((message) => message.type === "append");
    expect(appends.map((message) => (message.type === "append" ? message.entries.length : 0))).toEqual([10, 10]);
  });
});

describe("commitment (§3.6.2)", () => {
  test("an entry of an earlier term commits only with an entry of the leader's term (§3.6.2)", () => {
    const cluster = new Harness([1, 2, 3], { preVote: false, checkQuorum: false });
    cluster.elect(1);
    cluster.drop = isolate(2, 3);
    cluster.node(1).propose(bytes("old"));
    cluster.deliverAll();
    cluster.drop = () => false;
    cluster.restart(1);
    cluster.elect(1);
    // The new term's no-op commits, and "old" with it.
    expect(cluster.appliedData(2)).toEqual(["old"]);
    const applied = cluster.applied.get(2) ?? [];
    expect(applied[applied.length - 1].term).toBe(cluster.node(1).status().term);
  });
});

describe("snapshots", () => {
  function compactLeader(cluster: Harness, leader: number, data: Uint8Array): void {
    const storage = cluster.storages.get(leader);
    const applied = cluster.node(leader).status().applied;
    storage?.createSnapshot(applied, cluster.node(leader).confStateAt(applied), data);
    storage?.compact(applied);
  }

  test("a follower behind the compacted log gets InstallSnapshot in chunks, then the rest (§5.2)", () => {
    const cluster = new Harness([1, 2, 3], { snapshotChunkBytes: 10 });
    cluster.elect(1);
    cluster.drop = isolate(3);
    for (let i = 0; i < 5; i++) cluster.node(1).propose(bytes(`e${i}`));
    cluster.deliverAll();
    compactLeader(cluster, 1, bytes("state machine image, 37 bytes long..."));
    cluster.node(1).propose(bytes("after"));
    cluster.deliverAll();
    cluster.drop = () => false;
    const before = cluster.sent.length;
    cluster.tick(1, 2);
    cluster.deliverAll();
    const chunks = cluster.sent.slice(before).filter((message) => message.type === "snapshot");
    expect(chunks.length).toBe(4);
    expect(cluster.storages.get(3)?.snapshot().data).toEqual(bytes("state machine image, 37 bytes long..."));
    expect(cluster.appliedData(3)).toEqual(["after"]);
    expect(cluster.node(3).status().commit).toBe(cluster.node(1).status().commit);
  });

  test("a lost chunk is sent again after a heartbeat reply", () => {
    const cluster = new Harness([1, 2, 3], { snapshotChunkBytes: 10 });
    cluster.elect(1);
    cluster.drop = isolate(3);
    for (let i = 0; i < 3; i++) cluster.node(1).propose(bytes(`e${i}`));
    cluster.deliverAll();
    compactLeader(cluster, 1, bytes("0123456789abcdefghij0123"));
    let droppedChunk = false;
    cluster.drop = (message) => {
      if (message.type === "snapshot" && message.offset === 10 && !droppedChunk) {
        droppedChunk = true;
        return true;
      }
      return false;
    };
    for (let round = 0; round < 5; round++) {
      cluster.tick(1, 2);
      cluster.deliverAll();
    }
    expect(droppedChunk).toBe(true);
    expect(cluster.storages.get(3)?.snapshot().data).toEqual(bytes("0123456789abcdefghij0123"));
    expect(cluster.node(3).status().commit).toBe(cluster.node(1).status().commit);
  });
});
