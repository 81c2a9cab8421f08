/**
 * The Raft driver with three nodes in one process (in-memory transport): election, replication,
 * NOT_LEADER, bounded reads, session outcomes, partitions, catch-up by snapshot and restarts.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { ReadContext } from "../../src/net/key_value_service.ts";
import { waitFor } from "../support/wait_for.ts";
import { InProcessCluster, readText, text } from "./in_process_cluster.ts";

const strong: ReadContext = { consistency: "strong", maxStalenessMs: 0, deadlineAtMs: Infinity, trace: null };
const eventual: ReadContext = { ...strong, consistency: "eventual" };
const soon = () => performance.now() + 5000;

let cluster: InProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

describe("Raft driver, three nodes in one process", () => {
  test("a leader is elected; its writes reach every replica; strong reads see them", async () => {
    cluster = await InProcessCluster.start([1, 2, 3]);
    const leader = await cluster.leader();
    const result = await leader.service.apply({ op: "put", key: text("k"), value: text("v1") });
    expect(result.op).toBe("put");
    const read = await leader.service.get(text("k"), strong);
    expect(readText(read?.value)).toBe("v1");
    for (const node of cluster.nodes.values()) {
      await waitFor(() => node.engine.get(text("k")) !== null, `the write on node ${node.id}`);
      expect(readText((await node.service.get(text("k"), eventual))?.value)).toBe("v1");
    }
  });

  test("a follower refuses writes and strong reads with NOT_LEADER naming the leader's client address", async () => {
    cluster = await InProcessCluster.start([1, 2, 3]);
    const leader = await cluster.leader();
    const follower = [...cluster.nodes.values()].find((node) => node.id !== leader.id)!;
    await waitFor(() => follower.driver.machine.members.has(leader.id), "the leader's announcement on the follower");
    const write = follower.service.apply({ op: "put", key: text("k"), value: text("v") });
    await expect(write).rejects.toMatchObject({ code: "NOT_LEADER", leaderHint: `client:${leader.id}` });
    expect(() => follower.service.get(text("k"), strong)).toThrow(expect.objectContaining({ code: "NOT_LEADER" }));
  });

  test("bounded reads: a follower serves while its leader's last contact is within the bound, refuses once cut off past it", async () => {
    cluster = await InProcessCluster.start([1, 2, 3]);
    const leader = await cluster.leader();
    await leader.service.apply({ op: "put", key: text("k"), value: text("v") });
    const follower = [...cluster.nodes.values()].find((node) => node.id !== leader.id)!;
    await waitFor(() => follower.engine.get(text("k")) !== null, "the write on the follower");
    const bounded = (maxStalenessMs: number): ReadContext => ({ ...strong, consistency: "bounded", maxStalenessMs });
    expect(readText((await follower.service.get(text("k"), bounded(1000)))?.value)).toBe("v");
    cluster.network.isolate(follower.id);
    await waitFor(() => performance.now() - follower.driver.lastLeaderContactMs > 100, "the follower's contact to age");
    expect(() => follower.service.get(text("k"), bounded(100))).toThrow(expect.objectContaining({ code: expect.stringMatching(/NOT_LEADER|UNAVAILABLE/) }));
    expect(readText((await follower.service.get(text("k"), eventual))?.value)).toBe("v");
  });

  test("every replica forgets a session's outcomes below the oldest write its client still waits for", async () => {
    cluster = await InProcessCluster.start([1, 2, 3]);
    const leader = await cluster.leader();
    const sessionId = text("session-closed-loop");
    for (let sequence = 1; sequence <= 40; sequence++) {
      const context = { deadlineAtMs: soon(), sessionId, sequence, oldestPendingSequence: sequence };
      await leader.service.applyWithContext({ op: "put", key: text(`k${sequence % 4}`), value: text(`v${sequence}`) }, context);
    }
    for (const node of cluster.nodes.values()) {
      await waitFor(() => node.driver.machine.sessions.lookup(sessionId, 40).kind === "applied", `write 40 on node ${node.id}`);
      expect(node.driver.machine.sessions.outcomeCount).toBe(1);
      expect(node.driver.machine.sessions.lookup(sessionId, 39).kind).toBe("forgotten");
    }
    // A late copy of a forgotten write is refused, never applied again.
    const late = leader.service.applyWithContext({ op: "put", key: text("k0"), value: text("late") }, { deadlineAtMs: soon(), sessionId, sequence: 12, oldestPendingSequence: 12 });
    await expect(late).rejects.toMatchObject({ code: "CONFLICT" });
    expect(readText(leader.engine.get(text("k0"))?.value)).toBe("v40");
  });

  test("a resent write with the same identity is applied once and answered with its first outcome (§6.3)", async () => {
    cluster = await InProcessCluster.start([1, 2, 3]);
    const leader = await cluster.leader();
    const context = { deadlineAtMs: soon(), sessionId: text("session-1"), sequence: 7, oldestPendingSequence: 0 };
    const first = await leader.service.applyWithContext({ op: "put", key: text("k"), value: text("a") }, context);
    await leader.service.apply({ op: "put", key: text("k"), value: text("b") });
    const resent = await leader.service.applyWithContext({ op: "put", key: text("k"), value: text("a") }, context);
    expect(resent).toEqual(first);
    expect(readText((await leader.service.get(text("k"), strong))?.value)).toBe("b");
  });
});

describe("Raft driver, three nodes in one process: faults and recovery", () => {
  test("after the leader is cut off, another leader takes writes and the old one rejoins with them", async () => {
    cluster = await InProcessCluster.start([1, 2, 3]);
    const first = await cluster.leader();
    await first.service.apply({ op: "put", key: text("before"), value: text("1") });
    cluster.network.isolate(first.id);
    await waitFor(() => [...cluster!.nodes.values()].some((node) => node.id !== first.id && node.driver.isLeader()), "a new leader");
    const second = [...cluster.nodes.values()].find((node) => node.id !== first.id && node.driver.isLeader())!;
    await waitFor(() => second.driver.machine.members.has(second.id), "the new leader's announcement");
    await second.service.apply({ op: "put", key: text("after"), value: text("2") });
    cluster.network.heal();
    await waitFor(() => first.engine.get(text("after")) !== null, "the old leader catching up");
    expect(first.driver.isLeader()).toBe(false);
  });

  test("a follower that missed writes past a log compaction catches up by snapshot", async () => {
    cluster = await InProcessCluster.start([1, 2, 3], { snapshotEveryEntries: 20, entriesKeptAfterSnapshot: 5 });
    const leader = await cluster.leader();
    const lagging = [...cluster.nodes.values()].find((node) => node.id !== leader.id)!;
    cluster.network.isolate(lagging.id);
    const writes = [];
    for (let i = 0; i < 60; i++) writes.push(leader.service.apply({ op: "put", key: text(`key-${i}`), value: text(`value-${i}`) }));
    await Promise.all(writes);
    await waitFor(() => leader.driver.counters.snapshotsTaken > 0, "a snapshot on the leader");
    expect(leader.storage.firstIndex()).toBeGreaterThan(2);
    cluster.network.heal();
    await waitFor(() => lagging.driver.counters.snapshotsInstalled > 0, "a snapshot installed on the lagging follower");
    await waitFor(() => lagging.driver.machine.appliedIndex >= leader.driver.machine.appliedIndex, "the lagging follower catching up");
    for (let i = 0; i < 60; i++) expect(readText(lagging.engine.get(text(`key-${i}`))?.value)).toBe(`value-${i}`);
  });

  test("a restarted node keeps its data and the session table of its snapshot", async () => {
    cluster = await InProcessCluster.start([1, 2, 3], { snapshotEveryEntries: 10, entriesKeptAfterSnapshot: 2 });
    const leader = await cluster.leader();
    const context = { deadlineAtMs: soon(), sessionId: text("session-2"), sequence: 1, oldestPendingSequence: 0 };
    await leader.service.applyWithContext({ op: "put", key: text("once"), value: text("x") }, context);
    for (let i = 0; i < 30; i++) await leader.service.apply({ op: "put", key: text(`fill-${i}`), value: text("y") });
    await waitFor(() => leader.driver.counters.snapshotsTaken > 0, "a snapshot");
    const id = leader.id;
    await cluster.stopNode(id);
    const restarted = await cluster.startNode(id, { voters: [1, 2, 3], learners: [] });
    expect(readText(restarted.engine.get(text("once"))?.value)).toBe("x");
    expect(restarted.driver.machine.sessions.lookup(text("session-2"), 1).kind).toBe("applied");
    const newLeader = await cluster.leader();
    const resent = newLeader.service.applyWithContext({ op: "put", key: text("once"), value: text("x") }, { ...context, deadlineAtMs: soon() });
    expect((await resent).op).toBe("put");
  });
});
