/**
 * What connect() makes of the answer to its shard map request (src/client/discovery.ts): a node
 * that is not sharded, or one older than sharding (INVALID_REQUEST), or one that gives no clear
 * answer, is used as before sharding, with requests not routed; a map that breaks the rules rules
 * its node out; `cluster: false` asks nothing.
 */
import { afterEach, expect, test } from "bun:test";
import { connect, FileStoreError, type FileStore } from "../../src/client/index";
import type { Entry } from "../../src/engine/types";
import { ServiceError, type ReadContext } from "../../src/net/key_value_service";
import type { ShardMapValue } from "../../src/net/messages";
import { startServer, type RunningServer } from "../../src/net/server";
import { MemoryService } from "../net/memory_service";
import { FakeCluster, keysInShard } from "./fake_cluster";

const servers: RunningServer[] = [];
const clients: FileStore[] = [];
const clusters: FakeCluster[] = [];

afterEach(async () => {
  for (const db of clients.splice(0)) await db.close();
  for (const server of servers.splice(0)) await server.close();
  for (const cluster of clusters.splice(0)) await cluster.stop();
});

/** A server whose map answer is `answer` (a map, or a failure it throws); it records the routing of every get. */
class MapAnswering extends MemoryService {
  readonly routings: Array<[number | undefined, number | undefined]> = [];
  asked = 0;
  constructor(private readonly answer: () => ShardMapValue | null) {
    super();
  }
  override get(key: Uint8Array, context: ReadContext): Entry | null {
    this.routings.push([context.shard, context.shardEpoch]);
    return super.get(key) as Entry | null;
  }
  shardMap(): ShardMapValue | null {
    this.asked++;
    return this.answer();
  }
}

async function serve(service: MemoryService): Promise<string> {
  const server = await startServer({ host: "127.0.0.1", port: 0, service, logError: () => {} });
  servers.push(server);
  return `127.0.0.1:${server.port}`;
}

async function open(address: string | string[], options = {}): Promise<FileStore> {
  const db = await connect(address, { timeoutMs: 5000, ...options });
  clients.push(db);
  return db;
}

const refusing = (status: "INVALID_REQUEST" | "OVERLOADED") => () => {
  throw new ServiceError(status, status === "INVALID_REQUEST" ? "unsupported request type 8" : "busy");
};

for (const [name, answer] of [
  ["that is not sharded (version 0)", () => null],
  ["older than sharding (INVALID_REQUEST)", refusing("INVALID_REQUEST")],
  ["with no clear answer (OVERLOADED)", refusing("OVERLOADED")],
] as const) {
  test(`a node ${name} is used as before sharding: requests are not routed, alone or in a list`, async () => {
    const service = new MapAnswering(answer);
    const address = await serve(service);
    for (const target of [address, [address]]) {
      const db = await open(target);
      await db.put("k", "v");
      expect(new TextDecoder().decode((await db.get("k"))!)).toBe("v");
    }
    expect(service.asked).toBe(2);
    expect(service.routings).toEqual([[0, 0], [0, 0]]);
  });
}

test("a map that breaks the rules rules its node out: UNAVAILABLE saying why, or the next address", async () => {
  const gap = new MapAnswering(() => ({
    version: 3,
    shards: [{
      id: 1, epoch: 1, range: { start: { high: 0, low: 0 }, end: { high: 5, low: 0 } },
      replicas: [{ node: 1, role: "voter" }],
    }],
    nodes: [],
  }));
  const broken = await serve(gap);
  const error = await open(broken).catch((caught: unknown) => caught);
  expect((error as FileStoreError).code).toBe("UNAVAILABLE");
  const why = `${broken}: shard map refused: shard map version 3: the last shard ends before`;
  expect((error as FileStoreError).message).toContain(why);
  const plain = await serve(new MemoryService());
  const db = await open([broken, plain]);
  await db.put("k", "v");
  expect(gap.routings).toEqual([]);
});

test("cluster: false asks for no map: a sharded node answers an unrouted request WRONG_SHARD", async () => {
  const cluster = await FakeCluster.start(3);
  clusters.push(cluster);
  const db = await open(cluster.nodes[0]!.address, { cluster: false });
  const [key] = keysInShard(cluster.map, 1, 1);
  const error = await db.get(key!).catch((caught: unknown) => caught);
  expect((error as FileStoreError).code).toBe("WRONG_SHARD");
  expect(cluster.mapRequests).toBe(0);
});
