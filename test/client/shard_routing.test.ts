/**
 * The routing client against a sharded cluster double (fake_cluster.ts): discovery from any node,
 * requests straight to each shard's leader, NOT_LEADER followed, WRONG_SHARD patching one entry,
 * one shared map refresh for many requests, a write's identity kept across attempts and never
 * resent when its outcome is unknown, cross-shard batches refused, and scans across shards merged
 * in key order and resumable.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { connect, FileStoreError, type FileStore } from "../../src/client/index";
import type { ShardDescriptor } from "../../src/cluster/placement/shard_map";
import { waitFor } from "../support/wait_for";
import { equalShards, FakeCluster, keysInShard, shardOf, type Seen } from "./fake_cluster";

const clusters: FakeCluster[] = [];
const clients: FileStore[] = [];
const text = (bytes: Uint8Array | null) => (bytes === null ? null : new TextDecoder().decode(bytes));

async function startCluster(nodes = 3, shards?: ShardDescriptor[]): Promise<FakeCluster> {
  const cluster = await FakeCluster.start(nodes, shards);
  clusters.push(cluster);
  return cluster;
}

async function open(address: string | string[]): Promise<FileStore> {
  const db = await connect(address, { timeoutMs: 10_000 });
  clients.push(db);
  return db;
}

afterEach(async () => {
  for (const db of clients.splice(0)) await db.close();
  for (const cluster of clusters.splice(0)) await cluster.stop();
});

/** What the nodes saw from now on: the log cleared. */
function fresh(cluster: FakeCluster): void {
  cluster.seen.splice(0);
}

const brief = (seen: Seen) => [seen.node, seen.op, seen.answer];

describe("discovery and direct routing", () => {
  test("any one node's address finds the whole cluster: every shard's keys are served", async () => {
    const cluster = await startCluster();
    const keys = cluster.map.shards.map((shard) => keysInShard(cluster.map, shard.id, 1)[0]!);
    for (const node of cluster.nodes) {
      const db = await open(node.address);
      for (const key of keys) await db.put(key, `from-${node.id}`);
      expect((await Promise.all(keys.map((key) => db.get(key)))).map(text)).toEqual(keys.map(() => `from-${node.id}`));
    }
    expect(cluster.mapRequests).toBe(cluster.nodes.length);
  });

  test("each request reaches its shard's leader, routed by that shard and epoch, with no extra hop", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const keys = cluster.map.shards.flatMap((shard) => keysInShard(cluster.map, shard.id, 3, "direct"));
    fresh(cluster);
    await Promise.all(keys.map((key) => db.put(key, "v")));
    expect((await Promise.all(keys.map((key) => db.get(key)))).map(text)).toEqual(keys.map(() => "v"));
    expect(cluster.seen.length).toBe(keys.length * 2);
    for (const seen of cluster.seen) {
      const shard = shardOf(cluster.map, seen.key);
      expect({ node: seen.node, shard: seen.shard, epoch: seen.epoch, answer: seen.answer })
        .toEqual({ node: shard.leader!, shard: shard.id, epoch: shard.epoch, answer: "served" });
    }
  });
});

describe("redirects", () => {
  test("NOT_LEADER: the hint is followed and remembered; the write keeps its identity", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const [key] = keysInShard(cluster.map, 2, 1);
    await db.put(key!, "first");
    const oldLeader = cluster.map.shards[1]!.leader!;
    const newLeader = (oldLeader % 3) + 1;
    cluster.changeShard(2, (shard) => ({ ...shard, leader: newLeader }));
    fresh(cluster);
    await db.put(key!, "second");
    expect(cluster.seen.map(brief)).toEqual([[oldLeader, "put", "NOT_LEADER"], [newLeader, "put", "served"]]);
    expect(cluster.seen[0]!.identity).not.toBeNull();
    expect(cluster.seen[1]!.identity).toEqual(cluster.seen[0]!.identity);
    fresh(cluster);
    expect(text(await db.get(key!))).toBe("second");
    expect(cluster.seen.map(brief)).toEqual([[newLeader, "get", "served"]]);
  });

});

describe("redirects to a dead leader", () => {
  test("a hint naming a dead leader is not followed again and again: others are tried until one leads", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const [key] = keysInShard(cluster.map, 2, 1);
    await db.put(key!, "first");
    // The shard's leader dies; the two others still name it (they have not noticed yet).
    const dead = cluster.map.shards[1]!.leader!;
    await cluster.nodes.find((node) => node.id === dead)!.server.close();
    const survivor = cluster.nodes.find((node) => node.id !== dead)!.id;
    fresh(cluster);
    const write = db.put(key!, "second");
    const notLeader = () => cluster.seen.filter((seen) => seen.answer === "NOT_LEADER").length;
    await waitFor(() => notLeader() >= 3, "the survivors asked again");
    cluster.changeShard(2, (shard) => ({ ...shard, leader: survivor }));
    await write;
    expect(text(await db.get(key!))).toBe("second");
  });
});

describe("redirects: WRONG_SHARD", () => {
  test("WRONG_SHARD: its one descriptor is patched in, no map is fetched, the write keeps its identity", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const [moved] = keysInShard(cluster.map, 4, 1);
    const [other] = keysInShard(cluster.map, 5, 1);
    const before = cluster.map.shards[3]!;
    cluster.changeShard(4, (shard) => ({ ...shard, epoch: 2, replicas: [{ node: 3, role: "voter" }], leader: 3 }));
    const mapRequests = cluster.mapRequests;
    fresh(cluster);
    await db.put(moved!, "v");
    expect(cluster.seen.map(brief)).toEqual([[before.leader!, "put", "WRONG_SHARD"], [3, "put", "served"]]);
    expect(cluster.seen.map((seen) => [seen.shard, seen.epoch])).toEqual([[4, 1], [4, 2]]);
    expect(cluster.seen[1]!.identity).toEqual(cluster.seen[0]!.identity);
    expect(cluster.mapRequests).toBe(mapRequests);
    fresh(cluster);
    await db.get(moved!);
    await db.get(other!);
    expect(cluster.seen.map(brief)).toEqual([[3, "get", "served"], [cluster.map.shards[4]!.leader!, "get", "served"]]);
  });

  test("a split the nodes cannot describe: one whole-map fetch serves every waiting request", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const keys = keysInShard(cluster.map, 3, 200, "split");
    await Promise.all(keys.map((key) => db.put(key, "before")));
    const old = cluster.map.shards[2]!;
    const middle = { high: Math.floor((old.range.start.high + old.range.end.high) / 2), low: 0 };
    cluster.setShards(cluster.map.shards.flatMap((shard) => shard.id !== 3 ? [shard] : [
      { ...shard, epoch: 2, range: { start: shard.range.start, end: middle }, leader: 1 },
      { ...shard, id: 100, epoch: 2, range: { start: middle, end: shard.range.end }, leader: 2 },
    ]));
    for (const node of cluster.nodes) node.service.knowsNoDescriptors = true;
    const mapRequests = cluster.mapRequests;
    fresh(cluster);
    const values = await Promise.all(keys.map((key) => db.get(key)));
    expect(values.map(text)).toEqual(keys.map(() => "before"));
    expect(cluster.mapRequests).toBe(mapRequests + 1);
    const served = cluster.seen.filter((seen) => seen.answer === "served");
    expect(served.length).toBe(keys.length);
    expect(new Set(served.map((seen) => seen.shard))).toEqual(new Set([3, 100]));
  });
});

test("UNAVAILABLE (an election): the next replica is tried after a backoff, and its hint followed", async () => {
  const cluster = await startCluster();
  const db = await open(cluster.addresses());
  const [key] = keysInShard(cluster.map, 1, 1);
  await db.put(key!, "v");
  const leader = cluster.map.shards[0]!.leader!;
  const next = (leader % 3) + 1;
  cluster.nodes[leader - 1]!.service.unavailable = true;
  fresh(cluster);
  const reading = db.get(key!);
  await waitFor(() => cluster.seen.some((seen) => seen.answer === "UNAVAILABLE"), "the leader to answer UNAVAILABLE");
  cluster.changeShard(1, (shard) => ({ ...shard, leader: next }));
  expect(text(await reading)).toBe("v");
  expect(cluster.seen.at(-1)).toMatchObject({ node: next, answer: "served" });
});

describe("writes", () => {
  test("a write whose outcome is unknown is never resent: one attempt, then UNKNOWN_OUTCOME", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const [key] = keysInShard(cluster.map, 6, 1);
    await db.get(key!);
    fresh(cluster);
    const held = cluster.store.holdWrites();
    const error = await db.put(key!, "v", { timeoutMs: 300 }).catch((caught: unknown) => caught);
    expect((error as FileStoreError).code).toBe("UNKNOWN_OUTCOME");
    held.open();
    await db.get(key!);
    expect(cluster.seen.filter((seen) => seen.op === "put").length).toBe(1);
    expect(cluster.store.applyStarted).toBe(1);
  });

  test("one session over every connection: a write waiting on one node is the oldest pending on others", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const [first] = keysInShard(cluster.map, 1, 1);
    const [second] = keysInShard(cluster.map, 2, 1);
    await Promise.all([db.get(first!), db.get(second!)]);
    fresh(cluster);
    const held = cluster.store.holdWrites();
    const waiting = db.put(first!, "1");
    await waitFor(() => cluster.store.applyStarted === 1, "the first write to reach its node");
    held.open();
    await Promise.all([waiting, db.put(second!, "2")]);
    const [a, b] = cluster.seen;
    expect([a!.node, b!.node]).toEqual([cluster.map.shards[0]!.leader!, cluster.map.shards[1]!.leader!]);
    expect(b!.identity![0]).toBe(a!.identity![0]);
    expect([a!.identity![1], a!.oldestPending, b!.identity![1], b!.oldestPending]).toEqual([1, 1, 2, 1]);
  });

  test("a batch across shards is refused naming them, nothing sent; within one shard it applies", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const [a] = keysInShard(cluster.map, 1, 1);
    const [b] = keysInShard(cluster.map, 7, 1);
    const sameShard = keysInShard(cluster.map, 1, 2, "batch");
    fresh(cluster);
    const across = [{ op: "put" as const, key: a!, value: "1" }, { op: "put" as const, key: b!, value: "2" }];
    const error = await db.batch(across).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FileStoreError);
    const { code, argument } = error as FileStoreError;
    expect({ code, argument }).toEqual({ code: "INVALID_REQUEST", argument: "operations" });
    expect((error as FileStoreError).message).toContain("batch spans shards 1 (key");
    expect((error as FileStoreError).message).toContain("7 (key");
    expect(cluster.seen).toEqual([]);
    const done = await db.batch(sameShard.map((key) => ({ op: "put" as const, key, value: "x" })));
    expect(done.succeeded).toBe(true);
    expect(cluster.seen.map(brief)).toEqual([[cluster.map.shards[0]!.leader!, "batch", "served"]]);
  });
});

describe("scans across shards", () => {
  async function filled(cluster: FakeCluster, db: FileStore): Promise<string[]> {
    const keys = Array.from({ length: 30 }, (_, owner) => [`s/u${owner}/a`, `s/u${owner}/b`]).flat();
    await Promise.all(keys.map((key) => db.put(key, key)));
    return keys.sort();
  }

  test("a prefix over many partitions visits every shard and gives every key once, in key order", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const keys = await filled(cluster, db);
    fresh(cluster);
    const seen: string[] = [];
    for await (const entry of db.scan({ prefix: "s/", pageSize: 4 })) seen.push(text(entry.key)!);
    expect(seen).toEqual(keys);
    const scanned = cluster.seen.filter((entry) => entry.op === "scan");
    expect(new Set(scanned.map((entry) => entry.shard)).size).toBe(cluster.map.shards.length);
    expect(scanned.every((entry) => entry.answer === "served")).toBe(true);
  });

  test("a prefix inside one partition visits one shard", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    await filled(cluster, db);
    fresh(cluster);
    const seen: string[] = [];
    for await (const entry of db.scan({ prefix: "s/u7/" })) seen.push(text(entry.key)!);
    expect(seen).toEqual(["s/u7/a", "s/u7/b"]);
    expect(cluster.seen.map((entry) => [entry.op, entry.shard])).toEqual([["scan", shardOf(cluster.map, "s/u7/a").id]]);
  });

  test("pages resume from their cursor, also across a split between pages, each key once in order", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const keys = await filled(cluster, db);
    // The shard of the last key is still being read after three pages: it is split then.
    const split = shardOf(cluster.map, keys.at(-1)!).id;
    const seen: string[] = [];
    let page = await db.scanPage({ prefix: "s/", pageSize: 7 });
    for (let pages = 1; page.cursor !== null && pages < 100; pages++) {
      seen.push(...page.entries.map((entry) => text(entry.key)!));
      if (pages === 3) splitShard(cluster, split);
      page = await db.scanPage({ prefix: "s/", pageSize: 7, cursor: page.cursor });
    }
    seen.push(...page.entries.map((entry) => text(entry.key)!));
    expect(seen).toEqual(keys);
    // The split was met (a page refused) and the new shard was read.
    expect(cluster.seen.some((entry) => entry.op === "scan" && entry.answer === "WRONG_SHARD")).toBe(true);
    const newShardRead = cluster.seen.some((entry) =>
      entry.op === "scan" && entry.shard === 200 + split && entry.answer === "served");
    expect(newShardRead).toBe(true);
  });

  test("the generator resumes from a page's cursor too", async () => {
    const cluster = await startCluster();
    const db = await open(cluster.addresses());
    const keys = await filled(cluster, db);
    const first = await db.scanPage({ prefix: "s/", pageSize: 10 });
    const rest: string[] = [];
    const resumed = db.scan({ prefix: "s/", cursor: first.cursor!, pageSize: 3 });
    for await (const entry of resumed) rest.push(text(entry.key)!);
    expect([...first.entries.map((entry) => text(entry.key)!), ...rest]).toEqual(keys);
  });
});

/** Splits shard `id` in halves: the lower keeps the id (epoch + 1), the upper is shard 200 + id; the version grows. */
function splitShard(cluster: FakeCluster, id: number): void {
  cluster.setShards(cluster.map.shards.flatMap((shard) => {
    if (shard.id !== id) return [shard];
    const middle = { high: Math.floor((shard.range.start.high + shard.range.end.high) / 2), low: 0 };
    return [
      { ...shard, epoch: shard.epoch + 1, range: { start: shard.range.start, end: middle } },
      { ...shard, id: 200 + id, epoch: shard.epoch + 1, range: { start: middle, end: shard.range.end } },
    ];
  }));
}

test("equal shards cover the space and take turns leading", () => {
  expect(equalShards(4, 3).map((shard) => shard.leader)).toEqual([1, 2, 3, 1]);
});
