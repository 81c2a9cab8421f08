/**
 * The client's fast path for the replies it gets most: an Envelope holding only a request id
 * and a Response whose status comes without message or leader hint, and whose result is none,
 * a GetResult or a WriteResult. It verifies each field as it reads it, with the verifier's own
 * checks (wire/verify.ts), so it accepts exactly what verifyRoot() + the generated readers would,
 * in one pass, without the generated objects or any allocation beyond the decoded reply and
 * its value view. Any other reply (error text, scans, batches, pings, an envelope with more
 * fields) returns null and takes the general path in response_codec.ts, which also gives
 * the verdict on anything malformed that this path does not read.
 * test/net/response_reader.test.ts checks both paths agree on every one-byte mutation.
 */
import { Body, Result } from "../../schemas/generated/filestore_generated";
import { noResult, type ReplyResult } from "./messages";
import type { DecodedResponse } from "./response_codec";
import { getResult, responseRule, writeResult } from "./schema_rules";
import { envelopeHeaderRule } from "../wire/envelope_rules";
import { statusName } from "../wire/status";
import { fieldOffset, followOffset, inlineField, rootTablePosition, verifyTableHeader, verifyVector, type TableRule } from "../wire/verify";

/** Envelope slots (schemas/filestore.fbs): the request id, the fields a reply leaves out, the body union. */
const envelopeRequestIdSlot = 0;
const envelopeOmittedSlotFirst = 1;
const envelopeOmittedSlotLast = 6;
const envelopeBodyTypeSlot = 7;
const envelopeBodySlot = 8;
/** Envelope slots after the body a reply leaves out too: oldest_pending_sequence, shard, shard_epoch. */
const envelopeOmittedLaterSlotFirst = 9;
const envelopeOmittedLaterSlotLast = 11;
/** Response slots. */
const responseStatusSlot = 0;
const responseMessageSlot = 1;
const responseLeaderHintSlot = 2;
const responseResultTypeSlot = 3;
const responseResultSlot = 4;
/** GetResult and WriteResult: value or applied, then version. */
const resultFirstSlot = 0;
const resultVersionSlot = 1;
const doubleBytes = 8;
const offsetBytes = 4;

/** Eight bytes reinterpreted as a little-endian double, without a DataView per frame. */
const doubleScratch = new Float64Array(1);
const doubleScratchBytes = new Uint8Array(doubleScratch.buffer);
const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function readDouble(bytes: Uint8Array, position: number): number {
  for (let index = 0; index < doubleBytes; index++) {
    doubleScratchBytes[hostIsLittleEndian ? index : doubleBytes - 1 - index] = bytes[position + index]!;
  }
  return doubleScratch[0]!;
}

function doubleField(bytes: Uint8Array, table: number, tableSize: number, rule: TableRule, slot: number): number {
  const position = inlineField(bytes, table, tableSize, rule, slot, doubleBytes);
  return position === 0 ? 0 : readDouble(bytes, position);
}

function byteField(bytes: Uint8Array, table: number, tableSize: number, rule: TableRule, slot: number): number {
  const position = inlineField(bytes, table, tableSize, rule, slot, 1);
  return position === 0 ? 0 : bytes[position]!;
}

/** Position of the table an offset field points to (checked to be inside), or 0 when absent. */
function tableField(bytes: Uint8Array, table: number, tableSize: number, rule: TableRule, slot: number): number {
  const position = inlineField(bytes, table, tableSize, rule, slot, offsetBytes);
  return position === 0 ? 0 : followOffset(bytes, position, rule, slot);
}

/** Decodes a reply of the common shape; null for any other (the caller takes the general path). */
export function readCommonResponse(frame: Uint8Array): DecodedResponse | null {
  const envelope = rootTablePosition(frame);
  const envelopeSize = verifyTableHeader(frame, envelope, envelopeHeaderRule);
  for (let slot = envelopeOmittedSlotFirst; slot <= envelopeOmittedSlotLast; slot++) {
    if (fieldOffset(frame, envelope, slot) !== 0) return null;
  }
  for (let slot = envelopeOmittedLaterSlotFirst; slot <= envelopeOmittedLaterSlotLast; slot++) {
    if (fieldOffset(frame, envelope, slot) !== 0) return null;
  }
  const requestId = doubleField(frame, envelope, envelopeSize, envelopeHeaderRule, envelopeRequestIdSlot);
  if (byteField(frame, envelope, envelopeSize, envelopeHeaderRule, envelopeBodyTypeSlot) !== Body.Response) return null;
  const response = tableField(frame, envelope, envelopeSize, envelopeHeaderRule, envelopeBodySlot);
  if (response === 0) return null;
  const responseSize = verifyTableHeader(frame, response, responseRule);
  if (fieldOffset(frame, response, responseMessageSlot) !== 0 || fieldOffset(frame, response, responseLeaderHintSlot) !== 0) return null;
  const status = byteField(frame, response, responseSize, responseRule, responseStatusSlot);
  const result = readResult(frame, response, responseSize);
  if (result === null) return null;
  return { requestId, reply: { status: statusName(status), message: "", leaderHint: "", result } };
}

function readResult(frame: Uint8Array, response: number, responseSize: number): ReplyResult | null {
  const resultType = byteField(frame, response, responseSize, responseRule, responseResultTypeSlot);
  const result = tableField(frame, response, responseSize, responseRule, responseResultSlot);
  if (resultType === Result.NONE) return result === 0 ? noResult : null;
  if (result === 0) return null;
  if (resultType === Result.GetResult) {
    const size = verifyTableHeader(frame, result, getResult);
    const vector = tableField(frame, result, size, getResult, resultFirstSlot);
    const version = doubleField(frame, result, size, getResult, resultVersionSlot);
    if (vector === 0) return { kind: "get", value: new Uint8Array(0), version };
    const length = verifyVector(frame, vector, 1, getResult, resultFirstSlot);
    // A copy, not a view: the value outlives the receive buffer (the caller keeps it).
    return { kind: "get", value: frame.slice(vector + offsetBytes, vector + offsetBytes + length), version };
  }
  if (resultType === Result.WriteResult) {
    const size = verifyTableHeader(frame, result, writeResult);
    const applied = byteField(frame, result, size, writeResult, resultFirstSlot) !== 0;
    return { kind: "write", outcome: { applied, version: doubleField(frame, result, size, writeResult, resultVersionSlot) } };
  }
  return null;
}
