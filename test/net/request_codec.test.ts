/**
 * Encode/decode of requests and replies, and the verifier against malformed input. The central
 * property: any byte string is either rejected with a typed RequestRejection or decodes to a
 * whole, valid request; nothing else is ever thrown and nothing half-decoded comes out.
 */
import { describe, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import { resolveLimits } from "../../src/net/limits";
import type { Reply, Request } from "../../src/net/messages";
import { decodeRequest } from "../../src/net/request_decoder";
import { encodeRequest } from "../../src/net/request_encoder";
import { decodeResponse, encodeResponse } from "../../src/net/response_codec";
import { RequestRejection } from "../../src/wire/status";
import { bytes, envelopeBytes, envelopeWithBodyType, getEnvelope, request, sampleRequests } from "./wire_fixtures";

const limits = resolveLimits();

/** Decodes, then re-encodes and decodes again: a valid request survives the round trip unchanged. */
function decodeChecked(frame: Uint8Array): Request | RequestRejection {
  let decoded: Request;
  try {
    decoded = decodeRequest(frame, limits);
  } catch (error) {
    if (error instanceof RequestRejection) return error;
    throw error;
  }
  const again = decodeRequest(envelopeBytes(decoded), limits);
  if (!Bun.deepEquals(again, decoded)) throw new Error(`re-encoding changed ${JSON.stringify(decoded)}`);
  return decoded;
}

function rejection(frame: Uint8Array): RequestRejection {
  const result = decodeChecked(frame);
  if (!(result instanceof RequestRejection)) throw new Error(`expected a rejection, decoded ${JSON.stringify(result)}`);
  return result;
}

describe("request codec", () => {
  test("every request kind round-trips", () => {
    for (const original of sampleRequests()) {
      const decoded = decodeRequest(envelopeBytes(original), limits);
      expect(decoded).toEqual(original);
    }
  });

  test("decoded keys and values are views into the frame, not copies", () => {
    const frame = envelopeBytes(request(1, { kind: "write", command: { op: "put", key: bytes("k"), value: bytes("value") } }));
    const decoded = decodeRequest(frame, limits);
    const command = decoded.body.kind === "write" ? decoded.body.command : null;
    expect(command?.op).toBe("put");
    if (command?.op !== "put") return;
    expect(command.value.buffer).toBe(frame.buffer);
    expect(command.key.buffer).toBe(frame.buffer);
  });

  test("every one-byte mutation of every request kind is rejected or decodes to a valid request", () => {
    let rejected = 0;
    let accepted = 0;
    // Stack traces of the ~200,000 expected rejections would dominate the run time.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    for (const original of sampleRequests()) {
      const frame = envelopeBytes(original);
      for (let position = 0; position < frame.length; position++) {
        for (let value = 0; value < 256; value++) {
          if (value === frame[position]) continue;
          const mutated = frame.slice();
          mutated[position] = value;
          if (decodeChecked(mutated) instanceof RequestRejection) rejected++;
          else accepted++;
        }
      }
    }
    Error.stackTraceLimit = stackTraceLimit;
    expect(rejected).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  }, 60_000);

  test("every truncation of every request kind is rejected, or loses only padding", () => {
    for (const original of sampleRequests()) {
      const frame = envelopeBytes(original);
      for (let length = 0; length < frame.length; length++) {
        const result = decodeChecked(frame.subarray(0, length));
        if (!(result instanceof RequestRejection)) expect(result).toEqual(original);
      }
    }
  });
});

describe("request codec: malformed frames", () => {
  test("a root offset outside the frame is a fatal INVALID_REQUEST", () => {
    const frame = envelopeBytes(request(1, { kind: "ping" }));
    new DataView(frame.buffer).setUint32(0, 1_000_000, true);
    const result = rejection(frame);
    expect({ status: result.status, fatal: result.fatal, requestId: result.requestId })
      .toEqual({ status: "INVALID_REQUEST", fatal: true, requestId: 0 });
  });

  test("random bytes are rejected as a fatal INVALID_REQUEST (the connection is closed)", () => {
    let seed = 12345;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    const rounds = 2000;
    const outcomes = new Map<string, number>();
    for (let round = 0; round < rounds; round++) {
      const garbage = Uint8Array.from({ length: 12 + (round % 200) }, next);
      const result = decodeChecked(garbage);
      const rejected = result instanceof RequestRejection;
      const outcome = rejected ? `${result.status}${result.fatal ? ", fatal" : ""}` : "decoded";
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    }
    expect(Object.fromEntries(outcomes)).toEqual({ "INVALID_REQUEST, fatal": rounds });
  });

  test("a body type that does not exist is answered INVALID_REQUEST for that request, not fatal", () => {
    const result = rejection(envelopeWithBodyType(77, 99));
    expect({ status: result.status, fatal: result.fatal, requestId: result.requestId })
      .toEqual({ status: "INVALID_REQUEST", fatal: false, requestId: 77 });
    expect(result.message).toContain("unsupported request type 99");
  });

  test("a Response sent as a request is refused", () => {
    expect(rejection(envelopeWithBodyType(5, 128)).status).toBe("INVALID_REQUEST");
  });
});

describe("request codec: field limits", () => {
  test("an empty key is INVALID_REQUEST and a key over the limit is TOO_LARGE", () => {
    expect(rejection(getEnvelope(3, new Uint8Array(0))).status).toBe("INVALID_REQUEST");
    const tooLong = rejection(getEnvelope(4, new Uint8Array(limits.keySizeBytesMax + 1).fill(97)));
    expect({ status: tooLong.status, requestId: tooLong.requestId, fatal: tooLong.fatal })
      .toEqual({ status: "TOO_LARGE", requestId: 4, fatal: false });
    expect(decodeChecked(getEnvelope(5, new Uint8Array(limits.keySizeBytesMax).fill(97)))).not.toBeInstanceOf(RequestRejection);
  });

  test("a request id that is not a positive integer is fatal", () => {
    for (const requestId of [0, -1, 1.5, Number.NaN, 2 ** 60]) {
      const result = rejection(envelopeBytes(request(requestId, { kind: "ping" })));
      expect({ status: result.status, fatal: result.fatal }).toEqual({ status: "INVALID_REQUEST", fatal: true });
    }
  });

  test("an oldest pending sequence round-trips, and one above the write's own sequence is refused", () => {
    const put = { kind: "write" as const, command: { op: "put" as const, key: bytes("k"), value: bytes("v") } };
    const identified = request(11, put, { sessionId: bytes("session"), sequence: 9, oldestPendingSequence: 4 });
    expect(decodeChecked(envelopeBytes(identified))).toEqual(identified);
    for (const oldestPendingSequence of [10, 2.5, 2 ** 60]) {
      const result = rejection(envelopeBytes(request(12, put, { sessionId: bytes("session"), sequence: 9, oldestPendingSequence })));
      expect({ status: result.status, requestId: result.requestId, fatal: result.fatal }).toEqual({ status: "INVALID_REQUEST", requestId: 12, fatal: false });
    }
  });

  test("a value over the limit is TOO_LARGE", () => {
    const small = resolveLimits({ valueSizeBytesMax: 16, frameSizeBytesMax: 8192, receiveBufferBytesInitial: 1024 });
    const frame = envelopeBytes(request(9, { kind: "write", command: { op: "put", key: bytes("k"), value: new Uint8Array(17) } }));
    expect(() => decodeRequest(frame, small)).toThrow(RequestRejection);
    try {
      decodeRequest(frame, small);
    } catch (error) {
      expect((error as RequestRejection).status).toBe("TOO_LARGE");
    }
  });

  test("a routing round-trips; a shard without an epoch, an epoch without one, one not in 1..2^53 is refused", () => {
    const get = { kind: "get" as const, key: bytes("orders/u1/o9") };
    for (const [shard, shardEpoch] of [[0, 0], [1, 1], [0xffff_ffff, 2 ** 53 - 1]] as const) {
      const routed = request(21, get, { shard, shardEpoch });
      expect(decodeChecked(envelopeBytes(routed))).toEqual(routed);
    }
    for (const [shard, shardEpoch] of [[5, 0], [0, 3], [5, -1], [5, 0.5], [5, 2 ** 53], [5, Number.NaN]] as const) {
      const result = rejection(envelopeBytes(request(22, get, { shard, shardEpoch })));
      expect({ status: result.status, requestId: result.requestId, fatal: result.fatal })
        .toEqual({ status: "INVALID_REQUEST", requestId: 22, fatal: false });
    }
  });

  test("a scan with both a prefix and a range is refused; its limit is capped", () => {
    const both = envelopeBytes(request(1, { kind: "scan", options: { prefix: bytes("a"), start: bytes("b"), limit: 1 } }));
    expect(rejection(both).status).toBe("INVALID_REQUEST");
    const huge = decodeRequest(envelopeBytes(request(2, { kind: "scan", options: { limit: 4_000_000_000 } })), limits);
    expect(huge.body).toEqual({ kind: "scan", options: { limit: limits.scanPageEntriesMax } });
  });
});

describe("response codec", () => {
  const replies: Reply[] = [
    { status: "OK", message: "", leaderHint: "", result: { kind: "get", value: bytes("v"), version: 3 } },
    { status: "NOT_FOUND", message: "", leaderHint: "", result: { kind: "none" } },
    { status: "NOT_LEADER", message: "not the leader", leaderHint: "10.0.0.2:7400", result: { kind: "none" } },
    { status: "OK", message: "", leaderHint: "", result: { kind: "write", outcome: { applied: true, version: 9 } } },
    { status: "OK", message: "", leaderHint: "", result: { kind: "batch", succeeded: true, version: 4, results: [{ applied: true, version: 4 }] } },
    { status: "OK", message: "", leaderHint: "", result: { kind: "scan", entries: [{ key: bytes("a"), value: bytes("1"), version: 1 }], nextCursor: bytes("a") } },
    { status: "OK", message: "", leaderHint: "", result: { kind: "ping", serverInstanceId: bytes("0123456789abcdef") } },
    { status: "OK", message: "", leaderHint: "", result: { kind: "shardMap", map: null } },
    {
      status: "WRONG_SHARD", message: "moved", leaderHint: "",
      result: { kind: "wrongShard", shards: [], nodes: [{ id: 3, name: "db-c", clientAddress: "10.0.0.3:7400" }] },
    },
  ];

  test("every reply round-trips", () => {
    const builder = new flatbuffers.Builder(64);
    for (const [index, reply] of replies.entries()) {
      const frame = encodeResponse(builder, index + 1, reply).slice(4);
      expect(decodeResponse(frame, 1000)).toEqual({ requestId: index + 1, reply });
    }
  });

  test("a truncated reply throws, unless only padding was cut", () => {
    const builder = new flatbuffers.Builder(64);
    for (const [index, reply] of replies.entries()) {
      const frame = encodeResponse(builder, index + 1, reply).slice(4);
      for (let length = 0; length < frame.length; length++) {
        let decoded: unknown;
        try {
          decoded = decodeResponse(frame.subarray(0, length), 1000);
        } catch {
          continue;
        }
        expect(decoded).toEqual({ requestId: index + 1, reply });
      }
    }
  });

  test("request encoder output starts with the frame length", () => {
    const frame = encodeRequest(new flatbuffers.Builder(64), request(1, { kind: "ping" }));
    expect(new DataView(frame.buffer, frame.byteOffset).getUint32(0, true)).toBe(frame.length - 4);
  });
});
