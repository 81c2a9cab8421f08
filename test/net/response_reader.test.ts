/**
 * The one-pass reader of common replies against the general path (whole verification, then
 * the generated code): on valid replies of every kind and on every one-byte change and every
 * truncation of the common ones and of the server's laid-out get and write replies, both
 * reject, or both decode to the same reply.
 */
import { describe, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import type { Reply } from "../../src/net/messages";
import { errorReply } from "../../src/net/messages";
import { decodeAnyResponse, decodeResponse, decodeResponseAt, encodeResponse, type DecodedResponse } from "../../src/net/response_codec";
import { readCommonResponse } from "../../src/net/response_reader";
import { appendGetReply, readLaidOutGetReply } from "../../src/net/get_reply_layout";
import { OutputBuffer } from "../../src/wire/output_buffer";
import { appendWriteReply, readLaidOutWriteReply } from "../../src/net/write_reply_layout";
import { Envelope, Response, WriteResult } from "../../schemas/generated/filestore_generated";
import { truncatedAndChangedVariants } from "./wire_fixtures";

const tablesPerVectorMax = 1000;
const builder = new flatbuffers.Builder(256);
const value = new Uint8Array(100).map((_, index) => index * 7);

function envelopeOf(requestId: number, reply: Reply): Uint8Array {
  return encodeResponse(builder, requestId, reply).slice(4);
}

const ok = (result: Reply["result"]): Reply => ({ status: "OK", message: "", leaderHint: "", result });
const commonReplies: Array<[string, Reply]> = [
  ["get", ok({ kind: "get", value, version: 42 })],
  ["get of an empty value", ok({ kind: "get", value: new Uint8Array(0), version: 3 })],
  ["put", ok({ kind: "write", outcome: { applied: true, version: 9 } })],
  ["failed cas", ok({ kind: "write", outcome: { applied: false, version: 9 } })],
  ["not found", errorReply("NOT_FOUND", "")],
];
const otherReplies: Array<[string, Reply]> = [
  ["error with text", errorReply("OVERLOADED", "too many requests")],
  ["not leader", errorReply("NOT_LEADER", "", "127.0.0.1:7400")],
  ["ping", ok({ kind: "ping", serverInstanceId: new Uint8Array(16).fill(5) })],
  ["batch", ok({ kind: "batch", succeeded: true, version: 4, results: [{ applied: true, version: 4 }] })],
  ["scan", ok({ kind: "scan", entries: [{ key: new Uint8Array([1]), value, version: 2 }], nextCursor: null })],
  ["not sharded", ok({ kind: "shardMap", map: null })],
  ["wrong shard", {
    status: "WRONG_SHARD", message: "moved", leaderHint: "",
    result: {
      kind: "wrongShard",
      shards: [{
        id: 2, epoch: 3, range: { start: { high: 1, low: 0 }, end: { high: 2, low: 0 } },
        replicas: [{ node: 1, role: "voter" }], leader: 1,
      }],
      nodes: [{ id: 1, name: "n1", clientAddress: "127.0.0.1:7400" }],
    },
  }],
];

type Outcome = { decoded: DecodedResponse } | { rejected: true };

function outcome(decode: () => DecodedResponse): Outcome {
  try {
    return { decoded: decode() };
  } catch {
    return { rejected: true };
  }
}

describe("common reply reader", () => {
  test("reads the common replies as the general path does, and leaves the others to it", () => {
    for (const [name, reply] of commonReplies) {
      const frame = envelopeOf(77, reply);
      const fast = readCommonResponse(frame);
      expect({ name, decoded: fast }).toEqual({ name, decoded: decodeAnyResponse(frame, tablesPerVectorMax) });
      expect(fast).toEqual({ requestId: 77, reply });
    }
    for (const [name, reply] of otherReplies) {
      const frame = envelopeOf(78, reply);
      expect({ name, fast: readCommonResponse(frame) }).toEqual({ name, fast: null });
      expect(decodeResponse(frame, tablesPerVectorMax)).toEqual({ requestId: 78, reply });
    }
  });

  test("every one-byte change and every truncation is rejected by both paths or read alike", () => {
    let compared = 0;
    for (const [, reply] of commonReplies) compared += expectReadAsTheGeneralPath(variantsOf(envelopeOf(12345, reply)));
    expect(compared).toBeGreaterThan(1000);
  });

  test("the server's laid-out get reply is recognised byte for byte; every change and truncation of it is read as the general path reads it", () => {
    let compared = 0;
    for (const length of [0, 1, 100]) {
      const output = new OutputBuffer();
      const laidOutValue = value.slice(0, length);
      appendGetReply(output, 2 ** 40 + 3, laidOutValue, 17.5);
      const frame = output.bytes.slice(4, output.length);
      const expected = { requestId: 2 ** 40 + 3, reply: ok({ kind: "get", value: laidOutValue, version: 17.5 }) };
      expect(readLaidOutGetReply(frame)).toEqual(expected);
      // Read in place, as a range of a larger buffer (the client's receive path).
      const within = new Uint8Array(frame.length + 11).fill(0xee);
      within.set(frame, 7);
      expect(readLaidOutGetReply(within, 7, 7 + frame.length)).toEqual(expected);
      expect(readLaidOutGetReply(within, 7, 8 + frame.length)).toBeNull();
      const grown = new Uint8Array(frame.length + 1);
      grown.set(frame);
      compared += expectReadAsTheGeneralPath([...variantsOf(frame), grown]);
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

describe("laid-out write reply", () => {
  test("is recognised byte for byte and read as the general path and the generated code read it, also after other frames", () => {
    const output = new OutputBuffer();
    output.append(encodeResponse(builder, 99, errorReply("NOT_FOUND", "")));
    const cases = [{ requestId: 1, applied: true, version: 1 }, { requestId: 2 ** 53 - 1, applied: false, version: 2 ** 40 + 0.5 }];
    for (const { requestId, applied, version } of cases) appendWriteReply(output, requestId, applied, version);
    const bytes = output.bytes.slice(0, output.length);
    let offset = 4 + new DataView(bytes.buffer).getUint32(0, true);
    for (const { requestId, applied, version } of cases) {
      const length = new DataView(bytes.buffer).getUint32(offset, true);
      const frame = bytes.slice(offset + 4, offset + 4 + length);
      offset += 4 + length;
      const expected = { requestId, reply: ok({ kind: "write", outcome: { applied, version } }) };
      expect(readLaidOutWriteReply(frame)).toEqual(expected);
      expect(decodeAnyResponse(frame, tablesPerVectorMax)).toEqual(expected);
      expect(readLaidOutWriteReply(bytes, offset - length, offset)).toEqual(expected);
      const envelope = Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(frame));
      const result = (envelope.body(new Response()) as Response).result(new WriteResult()) as WriteResult;
      expect([envelope.requestId(), result.applied(), result.version()]).toEqual([requestId, applied, version]);
    }
    // Other replies are not taken for it.
    for (const [, reply] of commonReplies) expect(readLaidOutWriteReply(envelopeOf(5, reply))).toBeNull();
  });

  test("every one-byte change and truncation of it is read as the general path reads it", () => {
    let compared = 0;
    for (const applied of [true, false]) {
      const output = new OutputBuffer();
      appendWriteReply(output, 2 ** 40 + 3, applied, 17.5);
      const frame = output.bytes.slice(4, output.length);
      const grown = new Uint8Array(frame.length + 1);
      grown.set(frame);
      compared += expectReadAsTheGeneralPath([...variantsOf(frame), grown]);
    }
    expect(compared).toBeGreaterThan(1000);
  });
});

/** Every truncation of `frame`, and each byte of it replaced by a few telling values. */
function variantsOf(frame: Uint8Array): Uint8Array[] {
  return truncatedAndChangedVariants(frame, [0x00, 0x01, 0x04, 0x7f, 0x80, 0xff], 0x10);
}

/**
 * decodeResponse (fast paths first) rejects or reads each variant exactly as the general path
 * does, and so does decodeResponseAt on the variant as a range of a larger buffer; returns how many.
 */
function expectReadAsTheGeneralPath(variants: Uint8Array[]): number {
  for (const variant of variants) {
    const general = outcome(() => decodeAnyResponse(variant, tablesPerVectorMax));
    expect(outcome(() => decodeResponse(variant, tablesPerVectorMax))).toEqual(general);
    const within = new Uint8Array(variant.length + 5).fill(0xee);
    within.set(variant, 3);
    expect(outcome(() => decodeResponseAt(within, 3, 3 + variant.length, tablesPerVectorMax))).toEqual(general);
  }
  return variants.length;
}
