/**
 * The routing fields and bodies of the client port through a real server: every request's shard
 * and epoch reach the service (laid-out gets and puts, the general decoder, scans, writes through
 * applyWithContext), a ShardMapRequest is answered from the service's map or as "not sharded", a
 * WrongShardError comes back as WRONG_SHARD with its descriptors, and a malformed routing is
 * refused for that request alone, nothing applied.
 */
import { expect, test } from "bun:test";
import type { Command, CommandResult, ScanOptions, ScanPage } from "../../src/engine/types";
import { encodeGetFrame } from "../../src/net/get_request_layout";
import { WrongShardError, type ReadContext, type WriteContext } from "../../src/net/key_value_service";
import type { Reply, ShardDescriptorValue, ShardMapValue } from "../../src/net/messages";
import { encodePutFrame } from "../../src/net/put_request_layout";
import { MemoryService } from "./memory_service";
import { serverPerTest } from "./per_test_server";
import { bytes, request, wireFrame } from "./wire_fixtures";

const servers = serverPerTest();

const descriptor: ShardDescriptorValue = {
  id: 7, epoch: 4, range: { start: { high: 0x8000_0000, low: 0 }, end: { high: 0x1_0000_0000, low: 0 } },
  replicas: [{ node: 1, role: "voter" }, { node: 2, role: "voter" }, { node: 3, role: "learner" }], leader: 2,
};
const nodes = [
  { id: 1, name: "n1", clientAddress: "127.0.0.1:7400" },
  { id: 2, name: "n2", clientAddress: "127.0.0.1:7410" },
  { id: 3, name: "n3", clientAddress: "[::1]:7420" },
];

/** Records the routing of every call; keys starting with "moved/" are answered WRONG_SHARD. */
class RoutingService extends MemoryService {
  readonly routings: Array<[string, number | undefined, number | undefined]> = [];
  map: ShardMapValue | null = null;

  private note(operation: string, context: ReadContext | WriteContext, key: Uint8Array | undefined): void {
    this.routings.push([operation, context.shard, context.shardEpoch]);
    if (key !== undefined && Buffer.from(key).toString().startsWith("moved/")) {
      throw new WrongShardError("key moved to shard 7", [descriptor], nodes);
    }
  }

  override get(key: Uint8Array, context: ReadContext) {
    this.note("get", context, key);
    return super.get(key);
  }

  override scan(options: ScanOptions, context: ReadContext): ScanPage {
    this.note("scan", context, undefined);
    return super.scan(options) as ScanPage;
  }

  applyWithContext(command: Command, context: WriteContext): Promise<CommandResult> {
    try {
      this.note(command.op, context, command.op === "batch" ? undefined : command.key);
    } catch (error) {
      return Promise.reject(error);
    }
    return super.apply(command);
  }

  shardMap(): ShardMapValue | null {
    return this.map;
  }
}

const put = { kind: "write" as const, command: { op: "put" as const, key: bytes("orders/u1/o1"), value: bytes("5") } };
const identity = { sessionId: bytes("session"), sequence: 1, oldestPendingSequence: 1 };

/** The frame of `put`, laid out by hand as the client lays it out, routed by (shard, shardEpoch). */
function laidOutPut(requestId: number, shard: number, shardEpoch: number): Uint8Array {
  const { key, value } = put.command;
  const fields = { ...request(requestId, put, identity), sessionId: identity.sessionId, key, value };
  return encodePutFrame({ ...fields, shard, shardEpoch });
}

test("every request's shard and epoch reach the service, on the laid-out and the general paths", async () => {
  const service = new RoutingService();
  const server = await servers.start({ service, logError: () => {} });
  const client = await servers.client(server.port);
  client.send(laidOutPut(1, 3, 9));
  expect((await client.reply(1)).status).toBe("OK");
  client.send(encodeGetFrame(2, "strong", 0, 0, 3, 9, bytes("orders/u1/o1")));
  const trace = { traceId: new Uint8Array(16).fill(1), spanId: new Uint8Array(8).fill(2) };
  client.send(wireFrame(request(3, { kind: "get", key: bytes("orders/u1/o1") }, { shard: 3, shardEpoch: 9, trace })));
  const scan = { kind: "scan" as const, options: { prefix: bytes("orders/"), limit: 10 } };
  client.send(wireFrame(request(4, scan, { shard: 5, shardEpoch: 1 })));
  const deletion = { kind: "write" as const, command: { op: "delete" as const, key: bytes("k") } };
  client.send(wireFrame(request(5, deletion, { ...identity, sequence: 2 })));
  client.send(encodeGetFrame(6, "strong", 0, 0, 0, 0, bytes("k")));
  const replies = await Promise.all([2, 3, 4, 5, 6].map((id) => client.reply(id)));
  expect(replies.map((reply) => reply.status)).toEqual(["OK", "OK", "OK", "OK", "NOT_FOUND"]);
  expect(service.routings).toEqual([
    ["put", 3, 9], ["get", 3, 9], ["get", 3, 9], ["scan", 5, 1], ["delete", 0, 0], ["get", 0, 0],
  ]);
});

test("a ShardMapRequest is answered from the service's map, or as not sharded without one", async () => {
  const service = new RoutingService();
  const server = await servers.start({ service, logError: () => {} });
  const client = await servers.client(server.port);
  client.send(wireFrame(request(1, { kind: "shardMap" })));
  const answer = (map: ShardMapValue | null): Reply => ({
    status: "OK", message: "", leaderHint: "", result: { kind: "shardMap", map },
  });
  expect(await client.reply(1)).toEqual(answer(null));
  const first: ShardDescriptorValue = {
    ...descriptor, id: 1, range: { start: { high: 0, low: 0 }, end: descriptor.range.start },
  };
  service.map = { version: 12, shards: [first, descriptor], nodes };
  client.send(wireFrame(request(2, { kind: "shardMap" })));
  expect(await client.reply(2)).toEqual(answer(service.map));
  // A service without the method (today's engine, a replicated group) is not sharded either.
  await servers.close();
  const plain = await servers.start({ service: new MemoryService(), logError: () => {} });
  const other = await servers.client(plain.port);
  other.send(wireFrame(request(3, { kind: "shardMap" })));
  expect((await other.reply(3)).result).toEqual({ kind: "shardMap", map: null });
});

test("WrongShardError is WRONG_SHARD with descriptors and nodes, on reads and writes; nothing applied", async () => {
  const service = new RoutingService();
  const server = await servers.start({ service, logError: () => {} });
  const client = await servers.client(server.port);
  client.send(encodeGetFrame(1, "strong", 0, 0, 2, 3, bytes("moved/u1")));
  const moved = { kind: "write" as const, command: { op: "put" as const, key: bytes("moved/u1"), value: bytes("v") } };
  client.send(wireFrame(request(2, moved, { ...identity, shard: 2, shardEpoch: 3 })));
  const expected: Reply = {
    status: "WRONG_SHARD", message: "key moved to shard 7", leaderHint: "",
    result: { kind: "wrongShard", shards: [descriptor], nodes },
  };
  expect(await client.reply(1)).toEqual(expected);
  expect(await client.reply(2)).toEqual(expected);
  expect(service.applied).toBe(0);
});

test("a malformed routing is refused for that request alone: INVALID_REQUEST, nothing applied", async () => {
  const service = new RoutingService();
  const server = await servers.start({ service, logError: () => {} });
  const client = await servers.client(server.port);
  client.send(laidOutPut(1, 4, 0));
  client.send(laidOutPut(2, 0, 4));
  client.send(encodeGetFrame(3, "strong", 0, 0, 4, 1.5, bytes("k")));
  client.send(wireFrame(request(4, put, { ...identity, shard: 4, shardEpoch: 2 ** 60 })));
  const messages = await Promise.all([1, 2, 3, 4].map(async (id) => {
    const reply = await client.reply(id);
    return [reply.status, reply.message];
  }));
  expect(messages).toEqual([
    ["INVALID_REQUEST", "shard 4 needs an epoch that is an integer in 1..2^53, not 0"],
    ["INVALID_REQUEST", "shard epoch 4 is given without a shard"],
    ["INVALID_REQUEST", "shard 4 needs an epoch that is an integer in 1..2^53, not 1.5"],
    ["INVALID_REQUEST", `shard 4 needs an epoch that is an integer in 1..2^53, not ${2 ** 60}`],
  ]);
  expect(service.applyStarted).toBe(0);
  // The connection carries on.
  client.send(laidOutPut(5, 4, 1));
  expect((await client.reply(5)).status).toBe("OK");
});
