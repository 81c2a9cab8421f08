/**
 * A fourth node joins a running sharded cluster (3 nodes, 4 shards) as `serve --join` does,
 * through a member that does not lead the coordinator (so the join follows a redirect): every
 * node's copy of the coordinator then lists it up, the coordinator's group holds it as a learner
 * (its voters unchanged), and a replica moved onto it while a client keeps writing ends with it
 * holding and serving the shard's data. Joins that cannot be: through an address that is no
 * member's peer port (nothing listening, a client port), or under the name of a node already in
 * the cluster (NODE_CONFLICT); each fails with its reason, and changes nothing anywhere: the node
 * list and the coordinator's membership stay, the data folder keeps no meta group, and a retry on
 * the same folder through a member succeeds. A node whose folder holds an empty meta group (it
 * stopped between its acceptance and the leader's first message) asks again when restarted.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { connect, type FileStore } from "../../../src/client/index.ts";
import { ShardedNode } from "../../../src/cluster/node/sharded_node.ts";
import { SharedLog } from "../../../src/cluster/wal/shared_log.ts";
import { findFreePort } from "../../../bench/lib/free_port.ts";
import { keysInShard } from "../../client/fake_cluster.ts";
import { waitFor } from "../../support/wait_for.ts";
import { ShardedHarness } from "./sharded_harness.ts";

let harness: ShardedHarness;
let db: FileStore;

beforeAll(async () => {
  harness = await ShardedHarness.start(3, 4);
  await harness.untilReady();
  // Deadlines long enough for elections on a loaded machine: they bound a failing test, never time a passing one.
  db = await connect(harness.clientAddresses(), { timeoutMs: 10_000 });
});

afterAll(async () => {
  await db?.close();
  await harness?.close();
});

/** What a failed join must leave as it was: the node list and the coordinator group's membership. */
function clusterFacts(): string {
  const coordinator = harness.node(1).coordinator;
  const nodes = coordinator.nodes().map((node) => `${node.name}:${node.state}:${node.addresses.peerAddress}`);
  const leader = [...harness.nodes.values()].find((entry) => entry.node?.meta.isLeader())?.node ?? harness.node(1);
  return JSON.stringify({ nodes, membership: leader.meta.status().confState });
}

async function metaGroupsIn(dataDir: string): Promise<number[]> {
  const log = await SharedLog.open({ dir: join(dataDir, "wal"), fsync: "unsafe-no-fsync" });
  try {
    return log.groupIds();
  } finally {
    await log.close();
  }
}

/** Keys of `shard` written one after another until stopped; `acknowledged` lists those written. */
function startWriting(shard: number, prefix: string): { acknowledged: string[]; stop: () => Promise<void> } {
  const map = harness.node(1).coordinator.shardMap()!;
  const keys = keysInShard(map, shard, 300, prefix);
  const acknowledged: string[] = [];
  let writing = true;
  const writer = (async () => {
    for (const key of keys) {
      if (!writing) break;
      await db.put(key, key).then(() => acknowledged.push(key), () => {});
    }
  })();
  return {
    acknowledged,
    stop: async () => {
      writing = false;
      await writer;
    },
  };
}

/** Every key reads back as itself through a client that knows only node `id`'s address. */
async function expectServedThrough(id: number, keys: readonly string[]): Promise<void> {
  const client = await connect([`127.0.0.1:${harness.nodes.get(id)!.clientPort}`], { timeoutMs: 10_000 });
  try {
    for (const key of keys) {
      expect(new TextDecoder().decode((await client.get(key, { consistency: "strong" }))!)).toBe(key);
    }
  } finally {
    await client.close();
  }
}

test("a fourth node joins through a follower, becomes up everywhere, takes a replica while writes go on", async () => {
  await waitFor(() => [1, 2, 3].some((id) => harness.node(id).meta.isLeader()), "a coordinator leader");
  const follower = [1, 2, 3].find((id) => !harness.node(id).meta.isLeader())!;
  const joined = await harness.addJoiningNode(4, follower);
  for (const id of [1, 2, 3, 4]) {
    await waitFor(() => harness.node(id).coordinator.node(4)?.state === "up", `n${id} seeing n4 up`);
  }
  const clientAddress = `127.0.0.1:${harness.nodes.get(4)!.clientPort}`;
  expect(harness.node(1).coordinator.node(4)!.addresses.clientAddress).toBe(clientAddress);
  expect(joined.meta.status().confState).toEqual({ voters: [1, 2, 3], learners: [4] });

  const shard = harness.node(1).coordinator.shardMap()!.shards[0]!;
  await db.put(keysInShard(harness.node(1).coordinator.shardMap()!, shard.id, 1, "warm")[0]!, "x");
  const source = harness.node(1).coordinator.shardMap()!.shards[0]!.leader ?? shard.replicas[0]!.node;
  const writes = startWriting(shard.id, "join");
  await waitFor(() => writes.acknowledged.length >= 20, "writes before the move");
  expect((await harness.postMove(shard.id, `n${source}`, "n4")).status).toBe(200);
  await waitFor(() => writes.acknowledged.length >= 40, "writes during the move");
  await harness.untilMoveEnded(shard.id, source, 4);
  await writes.stop();
  const holders = harness.node(4).coordinator.shard(shard.id)!.replicas.map((replica) => replica.node);
  expect(holders).toContain(4);
  expect(holders).not.toContain(source);
  // Served by the new node: a client that knows only n4 finds every key through it (the source,
  // the shard's leader, handed leadership to n4 during the move), and n4 holds the data itself.
  await expectServedThrough(4, writes.acknowledged);
  const replica = await waitFor(() => harness.node(4).replicas.get(shard.id), "n4's replica");
  const last = new TextEncoder().encode(writes.acknowledged.at(-1)!);
  await waitFor(() => replica.engine.get(last) !== null, "n4 applied the last write");
}, 60_000);

test("a join through an address that is no member's peer port fails, changes nothing, and can be retried", async () => {
  const before = clusterFacts();
  const nowhere = { host: "127.0.0.1", port: findFreePort() };
  const where = `127.0.0.1:${nowhere.port}`;
  const unreachable = `cannot join through ${where}: cannot reach ${where}`;
  await expect(harness.addJoiningNode(5, nowhere)).rejects.toThrow(unreachable);
  const clientPort = { host: "127.0.0.1", port: harness.nodes.get(1)!.clientPort };
  const notPeer = `127.0.0.1:${clientPort.port} is not a FileStore peer port`;
  await expect(harness.addJoiningNode(5, clientPort)).rejects.toThrow(notPeer);
  expect(clusterFacts()).toBe(before);
  expect(await metaGroupsIn(join(harness.directory, "n5"))).toEqual([]);
  // The same data folder joins through a member afterwards.
  await harness.addJoiningNode(5, 1);
  await waitFor(() => harness.node(1).coordinator.node(5)?.state === "up", "n5 up");
}, 60_000);

test("a second node under a name already in the cluster is refused NODE_CONFLICT, nothing changed", async () => {
  const before = clusterFacts();
  const dataDir = join(harness.directory, "n4-again");
  const peerListen = { host: "127.0.0.1", port: findFreePort() };
  const second = ShardedNode.start({
    nodeId: 4, peers: new Map(), join: harness.peerAddress(2), peerListen, dataDir, fsync: "unsafe-no-fsync", shards: 0,
  });
  await expect(second).rejects.toThrow(/refused: NODE_CONFLICT: node n4 is already a member of the cluster \(up\)/);
  expect(clusterFacts()).toBe(before);
  expect(await metaGroupsIn(dataDir)).toEqual([]);
}, 60_000);

test("a node whose meta group holds nothing yet (stopped before the leader reached it) asks again", async () => {
  const log = await SharedLog.open({ dir: join(harness.directory, "n6", "wal"), fsync: "unsafe-no-fsync" });
  await log.openGroup(0);
  await log.close();
  await harness.addJoiningNode(6, 2);
  await waitFor(() => harness.node(1).coordinator.node(6)?.state === "up", "n6 up");
  expect(harness.node(6).meta.status().confState.learners).toContain(6);
}, 60_000);
