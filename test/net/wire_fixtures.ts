/** Requests and hand-made frames shared by the protocol tests. */
import * as flatbuffers from "flatbuffers";
import { Body, Envelope, GetRequest, PingRequest } from "../../schemas/generated/filestore_generated";
import type { Request, RequestBody } from "../../src/net/messages";
import { encodeRequest } from "../../src/net/request_encoder";
import { RequestRejection } from "../../src/wire/status";

export const encoder = new TextEncoder();
export const bytes = (text: string) => encoder.encode(text);
export const text = (data: Uint8Array | null) => (data === null ? null : Buffer.from(data).toString());

export function request(requestId: number, body: RequestBody, extra: Partial<Request> = {}): Request {
  return {
    requestId, consistency: "strong", maxStalenessMs: 0, deadlineMs: 0, sessionId: null, sequence: 0,
    oldestPendingSequence: 0, shard: 0, shardEpoch: 0, trace: null, body, ...extra,
  };
}

/** The frame with its length prefix, as sent on the wire (a copy). */
const sharedBuilder = new flatbuffers.Builder(1024);

export function wireFrame(value: Request): Uint8Array {
  return encodeRequest(sharedBuilder, value).slice();
}

/** The Envelope bytes alone (no length prefix). */
export function envelopeBytes(value: Request): Uint8Array {
  return wireFrame(value).slice(4);
}

export function withLengthPrefix(envelope: Uint8Array): Uint8Array {
  const frame = new Uint8Array(envelope.length + 4);
  new DataView(frame.buffer).setUint32(0, envelope.length, true);
  frame.set(envelope, 4);
  return frame;
}

/** One of every request kind, each with every optional field set somewhere. */
export function sampleRequests(): Request[] {
  const trace = { traceId: new Uint8Array(16).fill(7), spanId: new Uint8Array(8).fill(9) };
  const session = { sessionId: bytes("session-0123456789"), sequence: 42, oldestPendingSequence: 40 };
  const routed = { shard: 4, shardEpoch: 2 };
  return [
    request(1, { kind: "ping" }),
    request(2, { kind: "get", key: bytes("user/1") }, { consistency: "bounded", maxStalenessMs: 250, trace }),
    request(3, { kind: "write", command: { op: "put", key: bytes("user/1"), value: bytes("alice") } }, { ...session, deadlineMs: 500 }),
    request(4, { kind: "write", command: { op: "delete", key: bytes("user/2") } }, session),
    request(5, { kind: "write", command: { op: "cas", key: bytes("user/3"), expected: bytes("old"), value: bytes("new") } }),
    request(6, { kind: "write", command: { op: "cas", key: bytes("user/4"), expected: null, value: bytes("first") } }),
    request(7, { kind: "write", command: { op: "batch", commands: [
      { op: "put", key: bytes("a"), value: bytes("1") },
      { op: "delete", key: bytes("b") },
      { op: "cas", key: bytes("c"), expected: bytes("2"), value: bytes("3") },
    ] } }, session),
    request(8, { kind: "scan", options: { prefix: bytes("user/"), limit: 10, cursor: bytes("user/1") } }, { consistency: "eventual" }),
    request(9, { kind: "scan", options: { start: bytes("a"), end: bytes("m"), limit: 5 } }, routed),
    request(10, { kind: "shardMap" }),
    request(11, { kind: "get", key: bytes("orders/u1/o9") }, { shard: 0xffff_ffff, shardEpoch: 2 ** 53 - 1 }),
    request(12, { kind: "write", command: { op: "put", key: bytes("o/u1/o9"), value: bytes("5") } }, {
      ...session, ...routed,
    }),
  ];
}

/** An Envelope whose body type is `bodyType` but whose body is a PingRequest table. */
export function envelopeWithBodyType(requestId: number, bodyType: number): Uint8Array {
  const builder = new flatbuffers.Builder(64);
  const ping = PingRequest.createPingRequest(builder);
  Envelope.startEnvelope(builder);
  Envelope.addRequestId(builder, requestId);
  Envelope.addBodyType(builder, bodyType as Body);
  Envelope.addBody(builder, ping);
  builder.finish(Envelope.endEnvelope(builder));
  return builder.asUint8Array().slice();
}

/** A get request whose key vector is `key` as given (may be empty or oversized). */
export function getEnvelope(requestId: number, key: Uint8Array): Uint8Array {
  const builder = new flatbuffers.Builder(64);
  const get = GetRequest.createGetRequest(builder, builder.createByteVector(key));
  Envelope.startEnvelope(builder);
  Envelope.addRequestId(builder, requestId);
  Envelope.addBodyType(builder, Body.GetRequest);
  Envelope.addBody(builder, get);
  builder.finish(Envelope.endEnvelope(builder));
  return builder.asUint8Array().slice();
}

/** A ping whose consistency byte is `consistency`, which need not be a level that exists. */
export function pingWithConsistency(requestId: number, consistency: number): Uint8Array {
  const builder = new flatbuffers.Builder(64);
  const ping = PingRequest.createPingRequest(builder);
  Envelope.startEnvelope(builder);
  Envelope.addRequestId(builder, requestId);
  Envelope.addConsistency(builder, consistency);
  Envelope.addBodyType(builder, Body.PingRequest);
  Envelope.addBody(builder, ping);
  builder.finish(Envelope.endEnvelope(builder));
  return builder.asUint8Array().slice();
}

/**
 * Every truncation of `frame`, and each of its bytes replaced in turn by each of `replacements`
 * and by the byte with `flipBits` flipped: the variants a one-pass reader must judge as the
 * general path does.
 */
export function truncatedAndChangedVariants(frame: Uint8Array, replacements: readonly number[], flipBits: number): Uint8Array[] {
  const variants: Uint8Array[] = [];
  for (let length = 0; length < frame.length; length++) variants.push(frame.slice(0, length));
  for (let position = 0; position < frame.length; position++) {
    for (const replacement of [...replacements, frame[position]! ^ flipBits]) {
      const changed = frame.slice();
      changed[position] = replacement;
      variants.push(changed);
    }
  }
  return variants;
}

/** What decoding a frame came to: the request, or the rejection with everything the client would see of it. */
export type DecodeOutcome = { request: Request } | { status: string; message: string; fatal: boolean; requestId: number };

export function decodeOutcome(decode: () => Request): DecodeOutcome {
  try {
    return { request: decode() };
  } catch (error) {
    if (!(error instanceof RequestRejection)) throw error;
    return { status: error.status, message: error.message, fatal: error.fatal, requestId: error.requestId };
  }
}
