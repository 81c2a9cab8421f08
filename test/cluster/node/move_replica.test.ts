/**
 * Moving a shard's replica between nodes of a running sharded cluster (4 nodes, 4 shards, each
 * on 3 of them), through the admin route `filestore cluster move-replica` uses, while a client
 * keeps writing keys of that shard: the move ends (learner, caught up, promoted, source
 * removed; the source's leadership handed over first), no acknowledged write is lost, the target
 * serves every key, the source's replica is gone from its node, and the shard's epoch grew.
 * Refusals change nothing: an unknown shard or node, a target that already holds the shard, a
 * second move of the same shard while one runs.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type FileStore } from "../../../src/client/index.ts";
import { ShardedHarness } from "./sharded_harness.ts";
import { waitFor } from "../../support/wait_for.ts";
import { keysInShard } from "../../client/fake_cluster.ts";

let harness: ShardedHarness;
let db: FileStore;

beforeAll(async () => {
  harness = await ShardedHarness.start(4, 4);
  await harness.untilReady();
  // Deadlines long enough for elections on a loaded machine: they bound a failing test, never time a passing one.
  db = await connect(harness.clientAddresses(), { timeoutMs: 10_000 });
});

afterAll(async () => {
  await db?.close();
  await harness?.close();
});

describe("move-replica", () => {
  test("a replica moves from the shard's leader to a node without one while writes go on", async () => {
    const coordinator = harness.node(1).coordinator;
    const shard = coordinator.shardMap()!.shards[0]!;
    const holders = shard.replicas.map((replica) => replica.node);
    const target = [1, 2, 3, 4].find((id) => !holders.includes(id))!;
    await db.put(keysInShard(coordinator.shardMap()!, shard.id, 1, "warm")[0]!, "x");
    harness.node(1).service.shardMap!();
    const source = harness.node(1).coordinator.shardMap()!.shards[0]!.leader ?? holders[0]!;
    const keys = keysInShard(coordinator.shardMap()!, shard.id, 400, "mv");
    const acknowledged: string[] = [];
    let writing = true;
    const writer = (async () => {
      for (const key of keys) {
        if (!writing) break;
        await db.put(key, key).then(() => acknowledged.push(key), () => {});
      }
    })();
    await waitFor(() => acknowledged.length >= 20, "writes before the move");
    const started = await harness.postMove(shard.id, `n${source}`, `n${target}`);
    expect(started.status).toBe(200);
    expect(typeof started.body.replica).toBe("number");
    await waitFor(() => acknowledged.length >= 40, "writes during the move");
    await harness.untilMoveEnded(shard.id, source, target);
    writing = false;
    await writer;
    const after = harness.node(1).coordinator.shard(shard.id)!;
    const expected = [...holders.filter((id) => id !== source), target].sort();
    expect(after.replicas.map((replica) => replica.node).sort()).toEqual(expected);
    expect(after.replicas.every((replica) => replica.role === "voter")).toBe(true);
    expect(after.epoch).toBeGreaterThan(shard.epoch);
    await waitFor(() => harness.node(source).replicas.get(shard.id) === undefined, "the source's replica removed");
    const targetReplica = await waitFor(() => harness.node(target).replicas.get(shard.id), "the target's replica");
    for (const key of acknowledged) {
      expect(new TextDecoder().decode((await db.get(key, { consistency: "strong" }))!)).toBe(key);
    }
    // The target holds the data itself, not only the group.
    const last = new TextEncoder().encode(acknowledged.at(-1)!);
    await waitFor(() => targetReplica.engine.get(last) !== null, "target applied the last write");
  });

  test("refusals change nothing: unknown shard, unknown node, target already holding it, a second move", async () => {
    const coordinator = harness.node(1).coordinator;
    const versionBefore = coordinator.mapVersion;
    const shard = coordinator.shardMap()!.shards[1]!;
    const holders = shard.replicas.map((replica) => replica.node);
    const outsider = [1, 2, 3, 4].find((id) => !holders.includes(id))!;
    expect((await harness.postMove(999, "n1", "n2")).body.code).toBe("UNKNOWN_SHARD");
    expect((await harness.postMove(shard.id, `n${holders[0]}`, "n9")).body.code).toBe("UNKNOWN_NODE");
    expect((await harness.postMove(shard.id, `n${holders[0]}`, `n${holders[1]}`)).body.code).toBe("INVALID_MOVE");
    expect(coordinator.mapVersion).toBe(versionBefore);
    expect((await harness.postMove(shard.id, `n${holders[0]}`, `n${outsider}`)).status).toBe(200);
    const second = await harness.postMove(shard.id, `n${holders[1]}`, `n${outsider}`);
    expect(second.body.code === "MOVE_IN_PROGRESS" || second.body.code === "INVALID_MOVE").toBe(true);
    await harness.untilMoveEnded(shard.id, holders[0]!, outsider);
  });
});
