/**
 * The server's fast path for the reply it sends most: a found get (status OK, a value and its
 * version), written straight into the connection's output buffer from a fixed layout instead
 * of through a flatbuffers Builder and a copy. The layout is an ordinary FlatBuffer that the
 * generated code and the verifier read like the Builder's own (test/net/get_reply_layout.test.ts
 * decodes it both ways). Offsets below are from the start of the Envelope, after the u32
 * length prefix; every double sits on an 8-byte boundary.
 *
 *   0   u32  root offset -> Envelope table at 28
 *   4   Envelope vtable: size 22, table size 20, slot 0 (request_id) at +4, slots 1-6 absent,
 *       slot 7 (body_type) at +16, slot 8 (body) at +12; 2 bytes of padding
 *   28  Envelope table: i32 24 (back to its vtable), f64 request_id at 32, u32 body offset at
 *       40 (-> 64), u8 body_type Response at 44, 3 bytes of padding
 *   48  Response vtable: size 14, table size 12, status at +8, message and leader_hint absent,
 *       result_type at +9, result at +4; 2 bytes of padding
 *   64  Response table: i32 16, u32 result offset at 68 (-> 84), u8 status OK at 72,
 *       u8 result_type GetResult at 73, 2 bytes of padding
 *   76  GetResult vtable: size 8, table size 16, value at +12, version at +4
 *   84  GetResult table: i32 8, f64 version at 88, u32 value offset at 96 (-> 100)
 *   100 u32 value length, then the value's bytes
 */
import { Body, Result, Status } from "../../schemas/generated/filestore_generated";
import type { OutputBuffer } from "../wire/output_buffer";
import { readDouble, readUint32, writeDouble, writeUint32 } from "../wire/little_endian";
import { LayoutBytes, LayoutTemplate } from "./layout_template";
import type { DecodedResponse } from "./response_codec";
import { foundGetReply } from "./messages";

const lengthPrefixBytes = 4;
const requestIdPosition = 32;
const versionPosition = 88;
const valueLengthPosition = 100;
const valuePosition = 104;
const doubleBytes = 8;

/** The constant bytes of the layout above (request id, version and value length are patched in). */
const template = new LayoutTemplate(buildTemplate());

function buildTemplate(): Uint8Array {
  const bytes = replyTemplateBytes(valuePosition, Result.GetResult);
  writeUint32(bytes, 96, valueLengthPosition - 96);
  return bytes;
}

/**
 * The bytes the laid-out replies share (this file's get reply and write_reply_layout.ts's): the
 * Envelope, the Response with status OK and `resultType`, and the result table's vtable and
 * header at 76 and 84 (GetResult and WriteResult both keep a field at +12 and version at +4),
 * in an array of `envelopeBytes` whose other bytes are zero for the caller to fill.
 */
export function replyTemplateBytes(envelopeBytes: number, resultType: Result): Uint8Array {
  return new LayoutBytes(envelopeBytes)
    .u32(0, 28)
    .u16s(4, [22, 20, 4, 0, 0, 0, 0, 0, 0, 16, 12])
    .i32(28, 24)
    .u32(40, 64 - 40)
    .u8(44, Body.Response)
    .u16s(48, [14, 12, 8, 0, 0, 9, 4])
    .i32(64, 16)
    .u32(68, 84 - 68)
    .u8(72, Status.Ok)
    .u8(73, resultType)
    .u16s(76, [8, 16, 12, 4])
    .i32(84, 8)
    .bytes;
}

/** Appends the frame (length prefix + Envelope) of a found get's reply to `output`. */
export function appendGetReply(output: OutputBuffer, requestId: number, value: Uint8Array, version: number): void {
  const envelope = appendReplyHead(output, template, valuePosition + value.length, requestId, version);
  const bytes = output.bytes;
  writeUint32(bytes, envelope + valueLengthPosition, value.length);
  bytes.set(value, envelope + valuePosition);
}

/**
 * Claims a laid-out reply's frame in `output` and writes its length prefix, `template`'s bytes,
 * the request id and the version (at the same places in every laid-out reply); returns where
 * its Envelope starts in output.bytes, for the caller to fill in the rest.
 */
export function appendReplyHead(output: OutputBuffer, template: LayoutTemplate, envelopeBytes: number, requestId: number, version: number): number {
  const start = output.claim(lengthPrefixBytes + envelopeBytes);
  const bytes = output.bytes;
  writeUint32(bytes, start, envelopeBytes);
  const envelope = start + lengthPrefixBytes;
  bytes.set(template.bytes, envelope);
  writeDouble(bytes, envelope + requestIdPosition, requestId);
  writeDouble(bytes, envelope + versionPosition, version);
  return envelope;
}

/** appendReplyHead's other side: whether the frame at `start` holds `template`'s bytes up to the version, but for the request id. */
export function matchesReplyHead(template: LayoutTemplate, bytes: Uint8Array, start: number): boolean {
  return template.matches(bytes, start, 0, requestIdPosition) && template.matches(bytes, start, requestIdPosition + doubleBytes, versionPosition);
}

/** The request id of a laid-out reply starting at `start`. */
export function replyRequestId(bytes: Uint8Array, start: number): number {
  return readDouble(bytes, start + requestIdPosition);
}

/** The version of a laid-out reply starting at `start`. */
export function replyVersion(bytes: Uint8Array, start: number): number {
  return readDouble(bytes, start + versionPosition);
}

/**
 * The fields of a laid-out get reply as the client reads them: one instance per connection,
 * filled in place by readLaidOutGetReplyInto for each frame and read before the next (no object
 * per reply).
 */
export class LaidOutGetReply {
  requestId = 0;
  version = 0;
  /** Where the value starts in the bytes read; it runs to the end of the frame. */
  valueStart = 0;
}

/**
 * The client's side of the same layout: when the frame bytes[start, end) (an Envelope without
 * its length prefix) holds, byte for byte, the layout above (only the request id, the version
 * and the value vary, and the value fills the rest of the frame exactly), it is a valid
 * FlatBuffer by construction and is read without the verifier's walk: its fields go into
 * `into` and the answer is true. Any other frame returns false: the general readers decide it.
 */
export function readLaidOutGetReplyInto(bytes: Uint8Array, start: number, end: number, into: LaidOutGetReply): boolean {
  if (end - start < valuePosition) return false;
  if (!matchesReplyHead(template, bytes, start)
    || !template.matches(bytes, start, versionPosition + doubleBytes, valueLengthPosition)) return false;
  if (readUint32(bytes, start + valueLengthPosition) !== end - start - valuePosition) return false;
  into.requestId = replyRequestId(bytes, start);
  into.version = replyVersion(bytes, start);
  into.valueStart = start + valuePosition;
  return true;
}

const scratchReply = new LaidOutGetReply();

/** readLaidOutGetReplyInto as a decoded response, or null; the value is copied out (it outlives the receive buffer). */
export function readLaidOutGetReply(bytes: Uint8Array, start = 0, end = bytes.length): DecodedResponse | null {
  if (!readLaidOutGetReplyInto(bytes, start, end, scratchReply)) return null;
  return { requestId: scratchReply.requestId, reply: foundGetReply(bytes.slice(scratchReply.valueStart, end), scratchReply.version) };
}
