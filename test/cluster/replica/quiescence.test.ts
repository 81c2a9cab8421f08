/**
 * Quiescence end to end, on simulated time (quiet_cluster.ts): real replica drivers of many groups
 * per node, node liveness and group multiplexers over the in-memory network. An idle group goes
 * quiet and sends nothing while node heartbeats alone flow, whatever the number of groups; a write
 * wakes it and commits; when a node dies, or its disk stalls, every quiet group it led elects a new
 * leader within the normal election time (counted in ticks); a follower cut off from a quiet
 * leader cannot depose it; /healthz and bounded reads count node liveness as leader contact. A
 * deliberate bug (a quiet follower that ignores its leader's node lapsing) is caught.
 */
import { afterEach, describe, expect, test } from "bun:test";
import * as limits from "../../../src/cluster/cluster_limits.ts";
import type { NodeId } from "../../../src/cluster/raft/types.ts";
import type { GroupId } from "../../../src/cluster/transport/types.ts";
import { QuietCluster, type QuietClusterOptions } from "./quiet_cluster.ts";

const electionTimeoutTicks = limits.electionTimeoutTicks;
/**
 * When a leader's node stops, an awake follower campaigns within its longest randomized election
 * timeout (2 × the timeout) of the last heartbeat; a heartbeat interval may pass between that
 * heartbeat and the stop, and the election itself takes a tick. A quiet follower must do as well.
 */
const failoverTicksMax = 2 * electionTimeoutTicks + limits.heartbeatIntervalTicks + 2;
/** Ticks an idle group may take to go quiet after its last write: the idle wait and a heartbeat round or two. */
const quietTicksMax = limits.quiesceAfterIdleTicks + 2 * limits.heartbeatIntervalTicks + 2;
/** Ticks to elect every group of a fresh cluster: a few election timeouts. */
const startTicksMax = 10 * electionTimeoutTicks;
const testTimeoutMs = 60_000;

let cluster: QuietCluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

/** A cluster whose groups all have a leader, had one write each, and are all quiet. */
async function quietCluster(options: QuietClusterOptions): Promise<QuietCluster> {
  const started = new QuietCluster(options);
  cluster = started;
  expect(await started.tickUntil(() => started.everyGroupLed(), startTicksMax)).not.toBeNull();
  const writes = started.groups.map((group) => started.leaderOf(group)!.propose(new Uint8Array([1]), Infinity));
  await started.tick();
  expect(await Promise.all(writes)).toEqual(started.groups.map(() => 1));
  expect(await started.tickUntil(() => started.allQuiet(), quietTicksMax)).not.toBeNull();
  return started;
}

/** Groups whose leader runs on node `id`. */
function groupsLedBy(target: QuietCluster, id: NodeId): GroupId[] {
  return target.groups.filter((group) => target.node(id).drivers.get(group)!.isLeader());
}

/** Leaders of every group, by group: for checking that none changed. */
function leadersAndTerms(target: QuietCluster): string[] {
  return target.groups.map((group) => {
    const leader = target.leaderOf(group);
    return leader === null ? `${group}: none` : `${group}: ${leader.nodeId} term ${leader.status().term}`;
  });
}

describe("an idle group goes quiet", () => {
  test("no group message once quiet: node heartbeats alone, one per node pair and heartbeat interval", async () => {
    const target = await quietCluster({ nodes: 3, groups: 8 });
    const before = target.sent();
    const ticks = 20 * limits.heartbeatIntervalTicks;
    await target.tick(ticks);
    const after = target.sent();
    expect(after.groupMessages - before.groupMessages).toBe(0);
    // Each node heartbeats its 2 peers once per interval.
    expect(after.nodeHeartbeats - before.nodeHeartbeats).toBe(3 * 2 * (ticks / limits.heartbeatIntervalTicks));
    for (const node of target.nodes) {
      for (const driver of node.drivers.values()) expect(driver.health()).toEqual({ ok: true });
    }
  }, testTimeoutMs);

  test("idle cost does not grow with the groups: 64 groups on 3 nodes send what 4 do", async () => {
    const perTick: number[] = [];
    for (const groups of [4, 64]) {
      const target = await quietCluster({ nodes: 3, groups });
      const before = target.sent();
      await target.tick(30);
      const after = target.sent();
      perTick.push((after.groupMessages - before.groupMessages + after.nodeHeartbeats - before.nodeHeartbeats) / 30);
      await target.close();
      cluster = null;
    }
    expect(perTick[1]).toBe(perTick[0]!);
    expect(perTick[0]).toBe((3 * 2) / limits.heartbeatIntervalTicks);
  }, testTimeoutMs);

  test("without node liveness nothing goes quiet: every group heartbeats (today's behaviour)", async () => {
    const target = new QuietCluster({ nodes: 3, groups: 4, quiescence: false });
    cluster = target;
    expect(await target.tickUntil(() => target.everyGroupLed(), startTicksMax)).not.toBeNull();
    await target.tick(quietTicksMax * 2);
    expect(target.allQuiet()).toBe(false);
    const before = target.sent();
    await target.tick(30);
    // Each leader heartbeats its 2 followers every interval, and they answer.
    expect(target.sent().groupHeartbeats - before.groupHeartbeats).toBe(4 * 2 * (30 / limits.heartbeatIntervalTicks));
  }, testTimeoutMs);
});

describe("waking", () => {
  test("a write to a quiet group wakes it, commits on every replica, and the group goes quiet again", async () => {
    const target = await quietCluster({ nodes: 3, groups: 4 });
    const leader = target.leaderOf(2)!;
    const outcome = leader.propose(new Uint8Array([5]), Infinity);
    await target.tick();
    expect(await outcome).toBe(6);
    const applied = () => target.nodes.every((node) => node.drivers.get(2)!.machine.total === 6);
    expect(await target.tickUntil(applied, 5)).not.toBeNull();
    expect(await target.tickUntil(() => target.allQuiet(), quietTicksMax)).not.toBeNull();
    expect(target.leaderOf(2)).toBe(leader);
  }, testTimeoutMs);

  test("a strong read at a quiet leader wakes it and is confirmed by a heartbeat round", async () => {
    const target = await quietCluster({ nodes: 3, groups: 2 });
    const leader = target.leaderOf(1)!;
    const read = leader.readBarrier(Infinity);
    await target.tick();
    await read;
    expect(leader.isQuiesced()).toBe(false);
  }, testTimeoutMs);

  test("a quiet follower counts its leader's node heartbeats as contact: healthy, fresh for reads", async () => {
    const target = await quietCluster({ nodes: 3, groups: 2 });
    await target.tick(10 * electionTimeoutTicks);
    const follower = [...target.nodes].map((node) => node.drivers.get(1)!).find((driver) => !driver.isLeader())!;
    expect(follower.isQuiesced()).toBe(true);
    expect(target.clock.now() - follower.lastLeaderContactMs).toBeLessThanOrEqual(limits.heartbeatIntervalTicks * 10);
    expect(follower.health()).toEqual({ ok: true });
  }, testTimeoutMs);
});

describe("node liveness replaces per-group heartbeats", () => {
  test("a dead node: every quiet group it led elects a new leader within the normal election time", async () => {
    const target = await quietCluster({ nodes: 3, groups: 16 });
    const led = groupsLedBy(target, 1);
    expect(led.length).toBeGreaterThan(0);
    await target.kill(1);
    const ticks = await target.tickUntil(() => target.everyGroupLed(), 10 * failoverTicksMax);
    expect(ticks).not.toBeNull();
    expect(ticks!).toBeLessThanOrEqual(failoverTicksMax);
    for (const group of led) expect(target.leaderOf(group)!.nodeId % 10).not.toBe(1);
    // Node 3 and 2 then go quiet again without node 1.
    expect(await target.tickUntil(() => target.allQuiet(), quietTicksMax + electionTimeoutTicks)).not.toBeNull();
  }, testTimeoutMs);

  test("a stalled disk: its node says so, the groups it led elect elsewhere, its leaders step down", async () => {
    const target = await quietCluster({ nodes: 3, groups: 16 });
    const led = groupsLedBy(target, 1);
    const stalled = target.node(1);
    stalled.disk.stalled = true;
    // A write to one of its groups is what finds the disk stuck.
    void target.leaderOf(led[0]!)!.propose(new Uint8Array([1]), Infinity).catch(() => {});
    const stallTicks = limits.diskStallMsMax / 10;
    const moved = () => led.every((group) => {
      const leader = target.leaderOf(group);
      return leader !== null && leader.nodeId % 10 !== 1;
    });
    const ticks = await target.tickUntil(moved, 10 * failoverTicksMax);
    expect(ticks).not.toBeNull();
    expect(ticks!).toBeLessThanOrEqual(stallTicks + failoverTicksMax);
    expect(stalled.liveness.isAlive(1)).toBe(false);
    // Its leaders may hand over (TimeoutNow) before its next node heartbeat carries the stall.
    const peersSeeStall = () => [target.node(2), target.node(3)].every((node) => !node.liveness.isAlive(1));
    expect(await target.tickUntil(peersSeeStall, failoverTicksMax)).not.toBeNull();
    expect([...stalled.drivers.values()].some((driver) => driver.isLeader())).toBe(false);
    // The disk recovers: the node is alive again to everyone and its replicas catch up.
    stalled.disk.release();
    const back = () => target.node(2).liveness.isAlive(1) && target.everyGroupLed();
    expect(await target.tickUntil(back, failoverTicksMax)).not.toBeNull();
  }, testTimeoutMs);
});

describe("a leader replica that fails while its node lives on", () => {
  test("hands over: its quiet group has a leader again within a few ticks", async () => {
    const target = await quietCluster({ nodes: 3, groups: 4 });
    const group = groupsLedBy(target, 1)[0] ?? groupsLedBy(target, 2)[0]!;
    const failing = target.leaderOf(group)!;
    failing.machine.onFatal(new Error("state machine failed"));
    const ticks = await target.tickUntil(() => {
      const others = target.nodes.map((node) => node.drivers.get(group)!).filter((driver) => driver !== failing);
      return others.some((driver) => driver.isLeader());
    }, failoverTicksMax);
    expect(ticks).not.toBeNull();
    expect(ticks!).toBeLessThanOrEqual(2);
  }, testTimeoutMs);

});

describe("partitions and planted bugs", () => {
  test("a follower cut off from a quiet leader cannot depose it; once healed, all goes quiet again", async () => {
    const target = await quietCluster({ nodes: 3, groups: 8 });
    const before = leadersAndTerms(target);
    const led = groupsLedBy(target, 1);
    expect(led.length).toBeGreaterThan(0);
    target.network.cut(1, 3);
    target.network.cut(3, 1);
    await target.tick(10 * electionTimeoutTicks);
    for (const group of led) {
      const onTwo = target.node(2).drivers.get(group)!;
      expect(onTwo.status().softState.leader).toBe(target.node(1).drivers.get(group)!.nodeId);
    }
    target.network.heal();
    const settled = () => target.everyGroupLed() && target.allQuiet();
    expect(await target.tickUntil(settled, 10 * quietTicksMax)).not.toBeNull();
    expect(leadersAndTerms(target)).toEqual(before);
  }, testTimeoutMs);

  test("a node unheard for a while, its replicas up to date, wakes none of the groups it does not lead", async () => {
    const target = await quietCluster({ nodes: 3, groups: 8 });
    const others = target.groups.filter((group) => !target.node(3).drivers.get(group)!.isLeader());
    const wakes = () => others.flatMap((group) => target.nodes.map((node) => node.drivers.get(group)!.counters.wakes));
    const before = wakes();
    // Node 3 still hears the others; they do not hear it for two lapses (a long pause of its sends).
    target.network.cut(3, 1);
    target.network.cut(3, 2);
    await target.tick(2 * limits.nodeLivenessLapseTicks);
    expect(target.node(1).liveness.isAlive(3)).toBe(false);
    target.network.heal();
    await target.tick(2 * limits.heartbeatIntervalTicks);
    expect(target.node(1).liveness.isAlive(3)).toBe(true);
    expect(wakes()).toEqual(before);
  }, testTimeoutMs);

  test("a planted bug, quiet followers ignoring their leader's node lapsing, is caught: no leader", async () => {
    const target = await quietCluster({ nodes: 3, groups: 8, unsafe: { ignoreLivenessLapses: true } });
    const led = groupsLedBy(target, 1);
    expect(led.length).toBeGreaterThan(0);
    await target.kill(1);
    expect(await target.tickUntil(() => target.everyGroupLed(), 5 * failoverTicksMax)).toBeNull();
  }, testTimeoutMs);
});
