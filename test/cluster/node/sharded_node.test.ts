/**
 * Three nodes of a sharded cluster (16 shards, every shard on all three) in the test process,
 * driven through the routing client: the coordinator bootstraps by itself and every node learns
 * the shard map; writes and strong reads of keys spread over every shard; a scan across shards
 * returns exactly the sorted keys written; a batch across shards is refused naming them, one in
 * one shard applies; a request routed by the wrong shard or an old epoch gets WRONG_SHARD with the
 * current descriptor, one by a newer epoch WRONG_SHARD with none, nothing applied; a node stopped
 * and started again on its data serves its shards; /healthz
 * names a group without quorum once two nodes are gone, while /livez stays ok.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type FileStore } from "../../../src/client/index.ts";
import { ShardedHarness } from "./sharded_harness.ts";
import { waitFor } from "../../support/wait_for.ts";
import { partitionHashOf } from "../../../src/cluster/placement/partition_hash.ts";
import { partitionKeyOf } from "../../../src/cluster/placement/partition_key.ts";

const shardCount = 16;
const keyCount = 200;
let harness: ShardedHarness;
let db: FileStore;

const keyOf = (i: number) => `acct/u${i}/balance`;

beforeAll(async () => {
  harness = await ShardedHarness.start(3, shardCount);
  await harness.untilReady();
  // Deadlines long enough for elections on a loaded machine: they bound a failing test, never time a passing one.
  db = await connect(harness.clientAddresses(), { timeoutMs: 10_000 });
});

afterAll(async () => {
  await db?.close();
  await harness?.close();
});

describe("sharded node", () => {
  test("the coordinator bootstraps 16 shards, each on the three nodes, each node running its replicas", async () => {
    for (const id of [1, 2, 3]) {
      const map = harness.node(id).coordinator.shardMap()!;
      expect(map.shards.length).toBe(shardCount);
      for (const shard of map.shards) expect(shard.replicas.map((replica) => replica.node).sort()).toEqual([1, 2, 3]);
      const running = () => harness.node(id).replicas.all().length === shardCount;
      await waitFor(running, `n${id} running all ${shardCount} replicas`);
    }
  });

  test("writes, strong reads on every shard; a scan across shards gives exactly the keys written, sorted", async () => {
    await Promise.all(Array.from({ length: keyCount }, (_, i) => db.put(keyOf(i), `v${i}`)));
    for (let i = 0; i < keyCount; i += 17) {
      expect(new TextDecoder().decode((await db.get(keyOf(i), { consistency: "strong" }))!)).toBe(`v${i}`);
    }
    const scanned: string[] = [];
    for await (const entry of db.scan({ prefix: "acct/" })) scanned.push(new TextDecoder().decode(entry.key));
    const expected = Array.from({ length: keyCount }, (_, i) => keyOf(i)).sort();
    expect(scanned).toEqual(expected);
    const shardsUsed = new Set(expected.map((key) => harness.node(1).coordinator.shardMap()!.lookup(hashOf(key)).id));
    expect(shardsUsed.size).toBe(shardCount);
  });

  test("a batch across shards is refused naming the shards; within one partition it applies atomically", async () => {
    const across = [{ op: "put", key: keyOf(1), value: "x" }, { op: "put", key: keyOf(2), value: "y" }] as const;
    const error = await db.batch([...across]).catch((e) => e);
    expect(error.code).toBe("INVALID_REQUEST");
    expect(error.message).toMatch(/lie in one shard/);
    expect(new TextDecoder().decode((await db.get(keyOf(1), { consistency: "strong" }))!)).toBe("v1");
    const within = [{ op: "put", key: "acct/u7/a", value: "1" }, { op: "put", key: "acct/u7/b", value: "2" }] as const;
    const outcome = await db.batch([...within]);
    expect(outcome.succeeded).toBe(true);
  });

});

describe("sharded node: the cluster view on the real runtime", () => {
  test("GET /cluster/shards and /cluster/nodes from any node: every shard led, every key counted", async () => {
    const admin = `127.0.0.1:${harness.nodes.get(2)!.adminPort}`;
    type ShardRow = { leader: string | null; keys: number };
    const shards = await waitFor(async () => {
      const rows = (await (await fetch(`http://${admin}/cluster/shards`)).json()) as ShardRow[];
      return rows.every((row) => row.leader !== null) ? rows : null;
    }, "every shard with a leader in the view");
    expect(shards.length).toBe(shardCount);
    expect(shards.reduce((sum, row) => sum + row.keys, 0)).toBeGreaterThanOrEqual(keyCount);
    type NodeRow = { id: string; replicas: number };
    const nodes = (await (await fetch(`http://${admin}/cluster/nodes`)).json()) as NodeRow[];
    const expected = [["n1", shardCount], ["n2", shardCount], ["n3", shardCount]];
    expect(nodes.map((node) => [node.id, node.replicas])).toEqual(expected);
  });
});

describe("sharded node: routing checks, restarts and health", () => {
  test("misrouted: WRONG_SHARD with the current descriptor, or none for a newer epoch; nothing applied", async () => {
    const service = harness.node(2).service;
    const map = harness.node(2).coordinator.shardMap()!;
    const key = new TextEncoder().encode("misrouted/u1/k");
    const right = map.lookup(hashOf("misrouted/u1/k"));
    const wrong = map.shards.find((shard) => shard.id !== right.id)!;
    const write = (shard: number, shardEpoch: number) => service.applyWithContext!(
      { op: "put", key, value: new Uint8Array([1]) },
      { deadlineAtMs: Infinity, sessionId: null, sequence: 0, oldestPendingSequence: 0, shard, shardEpoch },
    ).catch((error) => error);
    const byWrongShard = await write(wrong.id, wrong.epoch);
    expect(byWrongShard.code).toBe("WRONG_SHARD");
    expect(byWrongShard.shards.map((shard: { id: number }) => shard.id)).toEqual([right.id]);
    expect(byWrongShard.nodes.length).toBe(3);
    const byNewerEpoch = await write(right.id, right.epoch + 1);
    expect(byNewerEpoch.code).toBe("WRONG_SHARD");
    expect(byNewerEpoch.shards).toEqual([]);
    expect(await db.get("misrouted/u1/k", { consistency: "strong" })).toBeNull();
    const context = { consistency: "strong" as const, maxStalenessMs: 0, deadlineAtMs: Infinity, trace: null };
    expect(() => service.scan({ prefix: key, limit: 10 }, context)).toThrow(/names its shard/);
  });

  test("a node stopped and started again on its data serves every key", async () => {
    await harness.stopNode(3);
    // A generous deadline: the shards n3 led elect new leaders first, on a machine that may be loaded.
    await db.put(keyOf(0), "while n3 is down", { timeoutMs: 30_000 });
    await harness.startNode(3);
    await waitFor(() => harness.node(3).replicas.all().length === shardCount, "n3 running its replicas again");
    for (let i = 0; i < keyCount; i += 13) {
      const value = await db.get(keyOf(i), { consistency: "strong" });
      expect(new TextDecoder().decode(value!)).toBe(i === 0 ? "while n3 is down" : `v${i}`);
    }
  });

  test("/healthz ok on all nodes; two nodes stopped, the last names a group with no quorum, /livez ok", async () => {
    const adminOf = (id: number) => `127.0.0.1:${harness.nodes.get(id)!.adminPort}`;
    const probe = (id: number, path: string) => fetch(`http://${adminOf(id)}${path}`);
    for (const id of [1, 2, 3]) {
      await waitFor(async () => (await probe(id, "/healthz")).status === 200, `n${id} healthy`);
    }
    await harness.stopNode(2);
    await harness.stopNode(3);
    const unhealthy = await waitFor(async () => {
      const response = await probe(1, "/healthz");
      return response.status === 503 ? await response.text() : null;
    }, "n1 unhealthy once the others are gone");
    expect(unhealthy).toMatch(/^unavailable: (coordinator|shard \d+): no (quorum|leader)/);
    expect((await probe(1, "/livez")).status).toBe(200);
  });
});

function hashOf(key: string) {
  return partitionHashOf(partitionKeyOf(new TextEncoder().encode(key)));
}
