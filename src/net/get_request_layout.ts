/**
 * The client's fast path for the request it sends most: a get without trace context or session
 * id, laid out by hand into a frame of its own (the client keeps each frame to resend it after
 * a reconnect) instead of through a flatbuffers Builder and a copy. The layout is an ordinary
 * FlatBuffer that the generated code and the verifier read like the Builder's own
 * (test/net/get_request_layout.test.ts decodes it with the server's general decoder). Offsets
 * below are from the start of the Envelope, after the u32 length prefix; doubles on 8 bytes.
 * It carries the routing fields (shard, shard_epoch; both 0 when not routed) in every get.
 *
 *   0   u32  root offset -> Envelope table at 32
 *   4   Envelope vtable: size 28, table size 48, request_id at +8, trace absent,
 *       consistency at +44, max_staleness_ms at +32, deadline_ms at +36, client_session_id
 *       absent, sequence at +16, body_type at +45, body at +40, oldest_pending_sequence
 *       absent, shard at +4, shard_epoch at +24
 *   32  Envelope table: i32 28 (back to its vtable), u32 shard at 36, f64 request_id at 40,
 *       f64 sequence at 48, f64 shard_epoch at 56, u32 max_staleness_ms at 64, u32 deadline_ms
 *       at 68, u32 body offset at 72 (-> 88), u8 consistency at 76, u8 body_type GetRequest at
 *       77, 2 bytes of padding
 *   80  GetRequest vtable: size 6, table size 8, key at +4; 2 bytes of padding
 *   88  GetRequest table: i32 8, u32 key offset at 92 (-> 96)
 *   96  u32 key length, then the key's bytes
 *
 * The server reads this layout back (readLaidOutGet) by comparing its constant bytes,
 * which proves the frame a valid FlatBuffer of this shape without the verifier's walk; any
 * other frame (an older client's layout among them) is left to the general readers.
 */
import { Body } from "../../schemas/generated/filestore_generated";
import type { ConsistencyLevel, Request } from "./messages";
import { consistencyByName } from "./request_encoder";
import { readDouble, readUint32, writeDouble, writeUint32 } from "../wire/little_endian";
import { LayoutBytes, LayoutTemplate } from "./layout_template";
import { consistencyByWire, isIntegerWithin, isRouting } from "./wire_values";

const lengthPrefixBytes = 4;
const shardPosition = 36;
const requestIdPosition = 40;
const sequencePosition = 48;
const shardEpochPosition = 56;
const maxStalenessPosition = 64;
const deadlinePosition = 68;
const consistencyPosition = 76;
const keyLengthPosition = 96;
const keyPosition = 100;

/** The constant bytes of the layout above (the request's own fields are patched in). */
const template = new LayoutTemplate(buildTemplate());

function buildTemplate(): Uint8Array {
  return new LayoutBytes(keyPosition)
    .u32(0, 32)
    .u16s(4, [28, 48, 8, 0, 44, 32, 36, 0, 16, 45, 40, 0, 4, 24])
    .i32(32, 28)
    .u32(72, 88 - 72)
    .u8(77, Body.GetRequest)
    .u16s(80, [6, 8, 4])
    .i32(88, 8)
    .u32(92, keyLengthPosition - 92)
    .bytes;
}


/** Whether `request` is a get this writer lays out (no trace context, no session id). */
export function isPlainGet(request: Request): boolean {
  return request.body.kind === "get" && request.trace === null && request.sessionId === null;
}

/** The frame (length prefix + Envelope) of a plain get (see isPlainGet), in a new array. */
export function encodeGetRequest(request: Request, key: Uint8Array): Uint8Array {
  const { requestId, consistency, maxStalenessMs, deadlineMs, shard, shardEpoch, sequence } = request;
  return encodeGetFrame(requestId, consistency, maxStalenessMs, deadlineMs, shard, shardEpoch, key, sequence);
}

/**
 * The same frame from the fields themselves: the client's hot path, which builds no Request
 * object for a plain get. `sequence` is 0 for a get the client sends (gets are not identified);
 * `shard` and `shardEpoch` are 0 for a get that is not routed.
 */
export function encodeGetFrame(
  requestId: number, consistency: ConsistencyLevel, maxStalenessMs: number, deadlineMs: number,
  shard: number, shardEpoch: number, key: Uint8Array, sequence = 0,
): Uint8Array {
  const envelopeBytes = keyPosition + key.length;
  const frame = new Uint8Array(lengthPrefixBytes + envelopeBytes);
  writeUint32(frame, 0, envelopeBytes);
  const envelope = lengthPrefixBytes;
  frame.set(template.bytes, envelope);
  writeDouble(frame, envelope + requestIdPosition, requestId);
  writeDouble(frame, envelope + sequencePosition, sequence);
  writeUint32(frame, envelope + shardPosition, shard);
  writeDouble(frame, envelope + shardEpochPosition, shardEpoch);
  writeUint32(frame, envelope + maxStalenessPosition, maxStalenessMs);
  writeUint32(frame, envelope + deadlinePosition, deadlineMs);
  frame[envelope + consistencyPosition] = consistencyByName[consistency];
  writeUint32(frame, envelope + keyLengthPosition, key.length);
  frame.set(key, envelope + keyPosition);
  return frame;
}

/**
 * The fields of a laid-out get as the server reads them: one instance per server, filled in place
 * by readLaidOutGet for each frame and read before the next (no object per request).
 */
export class LaidOutGet {
  requestId = 0;
  consistency: ConsistencyLevel = "strong";
  maxStalenessMs = 0;
  deadlineMs = 0;
  sequence = 0;
  shard = 0;
  shardEpoch = 0;
  /** Where the key starts in the bytes read; it runs to the end of the frame. */
  keyStart = 0;
}

/**
 * The server's side of the same layout: when bytes[start, end) (an Envelope without its length
 * prefix) holds, byte for byte, the constant bytes above, a key that fills the rest of the frame
 * exactly, and fields the general decoder would accept (request id and sequence integers in
 * range, a known consistency, a routing of shard and epoch, a key of 1..keySizeBytesMax bytes),
 * it is that get: its fields go
 * into `into` and the answer is true. Anything else returns false and the general readers decide it.
 */
export function readLaidOutGet(bytes: Uint8Array, start: number, end: number, keySizeBytesMax: number, into: LaidOutGet): boolean {
  const keyLength = end - start - keyPosition;
  if (keyLength < 1 || keyLength > keySizeBytesMax) return false;
  if (!template.matches(bytes, start, 0, shardPosition)
    || !template.matches(bytes, start, deadlinePosition + 4, consistencyPosition)
    || !template.matches(bytes, start, consistencyPosition + 1, keyLengthPosition)
    || readUint32(bytes, start + keyLengthPosition) !== keyLength) return false;
  const consistency = consistencyByWire[bytes[start + consistencyPosition]!];
  const requestId = readDouble(bytes, start + requestIdPosition);
  const sequence = readDouble(bytes, start + sequencePosition);
  const shard = readUint32(bytes, start + shardPosition);
  const shardEpoch = readDouble(bytes, start + shardEpochPosition);
  if (consistency === undefined || !isIntegerWithin(requestId, 1) || !isIntegerWithin(sequence, 0)) return false;
  if (!isRouting(shard, shardEpoch)) return false;
  into.requestId = requestId;
  into.consistency = consistency;
  into.maxStalenessMs = readUint32(bytes, start + maxStalenessPosition);
  into.deadlineMs = readUint32(bytes, start + deadlinePosition);
  into.sequence = sequence;
  into.shard = shard;
  into.shardEpoch = shardEpoch;
  into.keyStart = start + keyPosition;
  return true;
}

