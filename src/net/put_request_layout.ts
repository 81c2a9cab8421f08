/**
 * The client's fast path for the write it sends most, a put without trace context, laid out by
 * hand into a frame of its own instead of through a flatbuffers Builder; and the server's check
 * of that layout, which reads such a put without the verifier's walk. The layout is an ordinary
 * FlatBuffer that the generated code and the verifier read like the Builder's own
 * (test/net/put_request_layout.test.ts). Offsets are from the start of the Envelope, after the
 * u32 length prefix; doubles on 8 bytes, vectors on 4. It carries the routing fields (shard,
 * shard_epoch; both 0 when not routed) in every put.
 *
 *   0   u32  root offset -> Envelope table at 32
 *   4   Envelope vtable: size 28, table size 60, request_id at +8, trace absent, consistency
 *       at +56, max_staleness_ms at +48, deadline_ms at +52, client_session_id at +44,
 *       sequence at +16, body_type at +57, body at +40, oldest_pending_sequence at +24,
 *       shard at +4, shard_epoch at +32
 *   32  Envelope table: i32 28 (back to its vtable), u32 shard at 36, f64 request_id at 40,
 *       f64 sequence at 48, f64 oldest_pending_sequence at 56, f64 shard_epoch at 64, u32 body
 *       offset at 72 (-> 100), u32 session id offset at 76 (-> 112), u32 max_staleness_ms at
 *       80, u32 deadline_ms at 84, u8 consistency at 88, u8 body_type PutRequest at 89,
 *       2 bytes of padding
 *   92  PutRequest vtable: size 8, table size 12, key at +4, value at +8
 *   100 PutRequest table: i32 8, u32 key offset at 104, u32 value offset at 108
 *   112 session id: u32 length, its bytes, zero padding to 4; then the key the same way; then
 *       the value: u32 length and its bytes, to the end of the frame
 */
import { Body } from "../../schemas/generated/filestore_generated";
import { LayoutBytes, LayoutTemplate } from "./layout_template";
import type { ServerLimits } from "./limits";
import { readDouble, readUint32, writeDouble, writeUint32 } from "../wire/little_endian";
import type { ConsistencyLevel, Request } from "./messages";
import { consistencyByName } from "./request_encoder";
import { consistencyByWire, isIntegerWithin, isRouting } from "./wire_values";

const lengthPrefixBytes = 4;
const shardPosition = 36;
const requestIdPosition = 40;
const sequencePosition = 48;
const oldestPendingPosition = 56;
const shardEpochPosition = 64;
const bodyOffsetPosition = 72;
const maxStalenessPosition = 80;
const deadlinePosition = 84;
const consistencyPosition = 88;
const keyOffsetPosition = 104;
const valueOffsetPosition = 108;
const sessionIdPosition = 112;
const vectorLengthBytes = 4;

/** The constant bytes of the layout above, up to the vectors (the request's own fields are patched in). */
const template = new LayoutTemplate(buildTemplate());

function buildTemplate(): Uint8Array {
  return new LayoutBytes(sessionIdPosition)
    .u32(0, 32)
    .u16s(4, [28, 60, 8, 0, 56, 48, 52, 44, 16, 57, 40, 24, 4, 32])
    .i32(32, 28)
    .u32(bodyOffsetPosition, 100 - bodyOffsetPosition)
    .u32(76, sessionIdPosition - 76)
    .u8(89, Body.PutRequest)
    .u16s(92, [8, 12, 4, 8])
    .i32(100, 8)
    .bytes;
}

/** `length` rounded up to a multiple of 4 (where the next vector may start). */
function padded(length: number): number {
  return Math.ceil(length / 4) * 4;
}

interface PutFields {
  requestId: number;
  consistency: ConsistencyLevel;
  maxStalenessMs: number;
  deadlineMs: number;
  sessionId: Uint8Array;
  sequence: number;
  oldestPendingSequence: number;
  shard: number;
  shardEpoch: number;
  key: Uint8Array;
  value: Uint8Array;
}

/** The frame (length prefix + Envelope) of a put without trace context, in a new array. */
export function encodePutFrame(put: PutFields): Uint8Array {
  const keyVector = sessionIdPosition + vectorLengthBytes + padded(put.sessionId.length);
  const valueVector = keyVector + vectorLengthBytes + padded(put.key.length);
  const envelopeBytes = valueVector + vectorLengthBytes + put.value.length;
  const frame = new Uint8Array(lengthPrefixBytes + envelopeBytes);
  writeUint32(frame, 0, envelopeBytes);
  const envelope = lengthPrefixBytes;
  frame.set(template.bytes, envelope);
  writeDouble(frame, envelope + requestIdPosition, put.requestId);
  writeDouble(frame, envelope + sequencePosition, put.sequence);
  writeDouble(frame, envelope + oldestPendingPosition, put.oldestPendingSequence);
  writeUint32(frame, envelope + shardPosition, put.shard);
  writeDouble(frame, envelope + shardEpochPosition, put.shardEpoch);
  writeUint32(frame, envelope + maxStalenessPosition, put.maxStalenessMs);
  writeUint32(frame, envelope + deadlinePosition, put.deadlineMs);
  frame[envelope + consistencyPosition] = consistencyByName[put.consistency];
  writeUint32(frame, envelope + keyOffsetPosition, keyVector - keyOffsetPosition);
  writeUint32(frame, envelope + valueOffsetPosition, valueVector - valueOffsetPosition);
  writeVector(frame, envelope + sessionIdPosition, put.sessionId);
  writeVector(frame, envelope + keyVector, put.key);
  writeVector(frame, envelope + valueVector, put.value);
  return frame;
}

function writeVector(frame: Uint8Array, position: number, bytes: Uint8Array): void {
  writeUint32(frame, position, bytes.length);
  frame.set(bytes, position + vectorLengthBytes);
}

type Limits = Pick<ServerLimits, "keySizeBytesMax" | "valueSizeBytesMax" | "sessionIdBytesMax">;

/**
 * The server's side: when `frame` (an Envelope without its length prefix) holds, byte for byte,
 * the constant bytes above, vectors that follow each other as laid out (zero padding, offsets
 * that point at them, the value ending the frame exactly), and fields the general decoder would
 * accept (ids and sequences integers in range, a known consistency, a routing of shard and
 * epoch, a session id, key and value within their limits), it is that put; anything else
 * returns null and the general decoder decides it. Key, value and session id are views into `frame`.
 */
export function readLaidOutPutRequest(frame: Uint8Array, limits: Limits): Request | null {
  const end = frame.length;
  if (end < sessionIdPosition + vectorLengthBytes) return null;
  if (!template.matches(frame, 0, 0, shardPosition)
    || !template.matches(frame, 0, bodyOffsetPosition, maxStalenessPosition)
    || !template.matches(frame, 0, consistencyPosition + 1, keyOffsetPosition)) return null;
  const sessionIdLength = readUint32(frame, sessionIdPosition);
  if (sessionIdLength > limits.sessionIdBytesMax) return null;
  const keyVector = readVectorEnd(frame, sessionIdPosition, sessionIdLength);
  if (keyVector < 0) return null;
  const keyLength = readUint32(frame, keyVector);
  if (keyLength < 1 || keyLength > limits.keySizeBytesMax) return null;
  const valueVector = readVectorEnd(frame, keyVector, keyLength);
  if (valueVector < 0) return null;
  const valueLength = readUint32(frame, valueVector);
  if (valueVector + vectorLengthBytes + valueLength !== end || valueLength > limits.valueSizeBytesMax) return null;
  if (readUint32(frame, keyOffsetPosition) !== keyVector - keyOffsetPosition
    || readUint32(frame, valueOffsetPosition) !== valueVector - valueOffsetPosition) return null;
  const consistency = consistencyByWire[frame[consistencyPosition]!];
  const requestId = readDouble(frame, requestIdPosition);
  const sequence = readDouble(frame, sequencePosition);
  const oldestPendingSequence = readDouble(frame, oldestPendingPosition);
  const shard = readUint32(frame, shardPosition);
  const shardEpoch = readDouble(frame, shardEpochPosition);
  if (consistency === undefined || !isIntegerWithin(requestId, 1) || !isIntegerWithin(sequence, 0)
    || !isIntegerWithin(oldestPendingSequence, 0, sequence) || !isRouting(shard, shardEpoch)) return null;
  return {
    requestId,
    consistency,
    maxStalenessMs: readUint32(frame, maxStalenessPosition),
    deadlineMs: readUint32(frame, deadlinePosition),
    sessionId: frame.subarray(sessionIdPosition + vectorLengthBytes, sessionIdPosition + vectorLengthBytes + sessionIdLength),
    sequence,
    oldestPendingSequence,
    shard,
    shardEpoch,
    trace: null,
    body: {
      kind: "write",
      command: {
        op: "put",
        key: frame.subarray(keyVector + vectorLengthBytes, keyVector + vectorLengthBytes + keyLength),
        value: frame.subarray(valueVector + vectorLengthBytes, end),
      },
    },
  };
}

/**
 * Where the next vector starts after the vector at `position` holding `length` bytes, when its
 * zero padding is there and the next vector's length fits in the frame; -1 otherwise.
 */
function readVectorEnd(frame: Uint8Array, position: number, length: number): number {
  const bytesEnd = position + vectorLengthBytes + length;
  const next = position + vectorLengthBytes + padded(length);
  if (next + vectorLengthBytes > frame.length) return -1;
  for (let padding = bytesEnd; padding < next; padding++) if (frame[padding] !== 0) return -1;
  return next;
}
