/**
 * Shard descriptors and nodes on the wire (src/net/shard_map_codec.ts): a map round-trips with
 * its ranges (the end of the space included), roles and leaders; "not sharded" is version 0; and
 * malformed replies (a descriptor without replicas, a node without an address, an unknown role,
 * a wrong table behind the union tag, vectors longer than the frame or the bound, every one-byte
 * change and truncation) are refused with an Error, never read as defaults.
 */
import { describe, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import {
  Body, ClusterNode, Envelope, Response, Result, ShardDescriptor, ShardMapResult, ShardReplica, Status, WriteResult,
} from "../../schemas/generated/filestore_generated";
import type { Reply, ShardDescriptorValue, ShardMapValue } from "../../src/net/messages";
import { decodeResponse, encodeResponse } from "../../src/net/response_codec";
import { VerificationError } from "../../src/wire/verify";
import { truncatedAndChangedVariants } from "./wire_fixtures";

const tablesPerVectorMax = 1000;
const builder = new flatbuffers.Builder(1024);

const map: ShardMapValue = {
  version: 2 ** 53 - 1,
  shards: [
    {
      id: 1, epoch: 1, range: { start: { high: 0, low: 0 }, end: { high: 0x5555_5555, low: 0x5555_5555 } },
      replicas: [{ node: 1, role: "voter" }],
    },
    {
      id: 2, epoch: 7, range: { start: { high: 0x5555_5555, low: 0x5555_5555 }, end: { high: 0xaaaa_aaaa, low: 0 } },
      replicas: [{ node: 1, role: "voter" }, { node: 0xffff_ffff, role: "learner" }], leader: 1,
    },
    {
      id: 0xffff_ffff, epoch: 2 ** 53 - 1,
      range: { start: { high: 0xaaaa_aaaa, low: 0 }, end: { high: 0x1_0000_0000, low: 0 } },
      replicas: [{ node: 2, role: "voter" }], leader: 2,
    },
  ],
  nodes: [{ id: 1, name: "n1", clientAddress: "127.0.0.1:7400" }, { id: 2, name: "", clientAddress: "db-b:7400" }],
};

const ok = (result: Reply["result"]): Reply => ({ status: "OK", message: "", leaderHint: "", result });

function envelopeOf(reply: Reply): Uint8Array {
  return encodeResponse(builder, 5, reply).slice(4);
}

/** A reply whose ShardMapResult holds the one descriptor `describe` builds. */
function handMadeMapReply(describe: (builder: flatbuffers.Builder) => number): Uint8Array {
  const made = new flatbuffers.Builder(256);
  const shard = describe(made);
  const shards = ShardMapResult.createShardsVector(made, [shard]);
  const result = ShardMapResult.createShardMapResult(made, 3, shards, 0);
  return finishReply(made, Result.ShardMapResult, result);
}

/** The reply frame (no length prefix) around `result`, a table of type `resultType` already in `made`. */
function finishReply(made: flatbuffers.Builder, resultType: Result, result: number): Uint8Array {
  const response = Response.createResponse(made, Status.Ok, 0, 0, resultType, result);
  Envelope.startEnvelope(made);
  Envelope.addRequestId(made, 5);
  Envelope.addBodyType(made, Body.Response);
  Envelope.addBody(made, response);
  made.finish(Envelope.endEnvelope(made));
  return made.asUint8Array().slice();
}

function descriptorWith(made: flatbuffers.Builder, replicas: number | null, role = 0): number {
  const replicaVector = replicas === null ? 0 : ShardDescriptor.createReplicasVector(
    made, Array.from({ length: replicas }, (_, index) => ShardReplica.createShardReplica(made, index + 1, role)),
  );
  ShardDescriptor.startShardDescriptor(made);
  ShardDescriptor.addId(made, 1);
  ShardDescriptor.addEpoch(made, 1);
  ShardDescriptor.addLastHigh(made, 0xffff_ffff);
  ShardDescriptor.addLastLow(made, 0xffff_ffff);
  if (replicaVector !== 0) ShardDescriptor.addReplicas(made, replicaVector);
  return ShardDescriptor.endShardDescriptor(made);
}

function failure(frame: Uint8Array): Error {
  try {
    decodeResponse(frame, tablesPerVectorMax);
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the reply to be refused");
}

describe("shard map codec: valid replies", () => {
  test("a map round-trips: ranges to the end of the space, roles, leaders known and not, names and addresses", () => {
    const reply = ok({ kind: "shardMap", map });
    expect(decodeResponse(envelopeOf(reply), tablesPerVectorMax)).toEqual({ requestId: 5, reply });
  });

  test("the last range travels as its last hash, 2^64 - 1: two full u32 halves", () => {
    const frame = envelopeOf(ok({ kind: "shardMap", map }));
    const envelope = Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(frame));
    const result = (envelope.body(new Response()) as Response).result(new ShardMapResult()) as ShardMapResult;
    const last = result.shards(2)!;
    expect([last.startHigh(), last.startLow(), last.lastHigh(), last.lastLow()])
      .toEqual([0xaaaa_aaaa, 0, 0xffff_ffff, 0xffff_ffff]);
    expect([result.shards(0)!.lastHigh(), result.shards(0)!.lastLow()]).toEqual([0x5555_5555, 0x5555_5554]);
  });

  test("not sharded is version 0 and nothing else", () => {
    const frame = envelopeOf(ok({ kind: "shardMap", map: null }));
    const envelope = Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(frame));
    const result = (envelope.body(new Response()) as Response).result(new ShardMapResult()) as ShardMapResult;
    expect([result.version(), result.shardsLength(), result.nodesLength()]).toEqual([0, 0, 0]);
    expect(decodeResponse(frame, tablesPerVectorMax).reply.result).toEqual({ kind: "shardMap", map: null });
  });
});

describe("shard map codec: malformed replies", () => {
  test("a descriptor without replicas, or a node without a client address, fails verification", () => {
    expect(failure(handMadeMapReply((made) => descriptorWith(made, null)))).toBeInstanceOf(VerificationError);
    expect(decodeResponse(handMadeMapReply((made) => descriptorWith(made, 1)), tablesPerVectorMax).reply.result)
      .toMatchObject({ map: { version: 3, shards: [{ id: 1, replicas: [{ node: 1, role: "voter" }] }] } });
    const made = new flatbuffers.Builder(256);
    const node = ClusterNode.createClusterNode(made, 1, made.createString("n1"), 0);
    const nodes = ShardMapResult.createNodesVector(made, [node]);
    const result = ShardMapResult.createShardMapResult(made, 3, 0, nodes);
    const refused = failure(finishReply(made, Result.ShardMapResult, result));
    expect(refused.message).toContain("ClusterNode field 2 is required");
  });

  test("a replica role this build does not know makes the reply malformed", () => {
    expect(failure(handMadeMapReply((made) => descriptorWith(made, 1, 7))).message).toContain("unknown role 7");
  });

  test("more replicas than the reader's bound is refused as over the limit, before they are read", () => {
    const refused = failure(handMadeMapReply((made) => descriptorWith(made, tablesPerVectorMax + 1)));
    expect(refused).toBeInstanceOf(VerificationError);
    expect((refused as VerificationError).overLimit).toBe(true);
  });

  test("a WriteResult behind the ShardMapResult tag, and a vector longer than the frame, fail verification", () => {
    const made = new flatbuffers.Builder(64);
    const wrong = WriteResult.createWriteResult(made, true, 5);
    expect(failure(finishReply(made, Result.ShardMapResult, wrong))).toBeInstanceOf(VerificationError);
    const frame = envelopeOf(ok({ kind: "shardMap", map }));
    const envelope = Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(frame));
    const result = (envelope.body(new Response()) as Response).result(new ShardMapResult()) as ShardMapResult;
    const vector = result.bb!.__vector(result.bb_pos + result.bb!.__offset(result.bb_pos, 6));
    new DataView(frame.buffer).setUint32(vector - 4, 1_000, true);
    expect(failure(frame)).toBeInstanceOf(VerificationError);
  });

  test("every one-byte change and truncation of a map or WRONG_SHARD reply decodes whole or is refused", () => {
    const wrongShard: Reply = {
      status: "WRONG_SHARD", message: "", leaderHint: "",
      result: { kind: "wrongShard", shards: map.shards.slice(1, 2), nodes: map.nodes },
    };
    let refused = 0;
    let decoded = 0;
    for (const reply of [ok({ kind: "shardMap", map }), wrongShard]) {
      for (const variant of truncatedAndChangedVariants(envelopeOf(reply), [0x00, 0x01, 0x7f, 0x80, 0xff], 0x10)) {
        let result: Reply["result"];
        try {
          result = decodeResponse(variant, tablesPerVectorMax).reply.result;
        } catch (error) {
          // Refusals are Errors the connection handles; a TypeError would be a reader walking off the data.
          expect((error as Error).constructor === Error || error instanceof VerificationError).toBe(true);
          refused++;
          continue;
        }
        decoded++;
        if (result.kind === "shardMap" && result.map !== null) expectWhole(result.map.shards);
        if (result.kind === "wrongShard") expectWhole(result.shards);
      }
    }
    expect(refused).toBeGreaterThan(100);
    expect(decoded).toBeGreaterThan(100);
  });
});

/** Every descriptor decoded has the shape the client checks: numbers in range, replicas, known roles. */
function expectWhole(shards: readonly ShardDescriptorValue[]): void {
  for (const shard of shards) {
    expect(Number.isInteger(shard.id) && shard.id >= 0 && shard.id <= 0xffff_ffff).toBe(true);
    expect(typeof shard.epoch).toBe("number");
    for (const replica of shard.replicas) expect(["voter", "learner"]).toContain(replica.role);
    for (const bound of [shard.range.start, shard.range.end]) {
      expect(bound.high >= 0 && bound.high <= 0x1_0000_0000).toBe(true);
    }
  }
}
