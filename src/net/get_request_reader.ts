/**
 * The server's fast path for the request it gets most: a get without trace context, session
 * id or oldest pending sequence (routed or not). It reads the Envelope and the GetRequest field
 * by field with the verifier's own checks (wire/verify.ts), in one pass and without the
 * generated objects, and returns a request only when every check of the general path
 * (request_decoder.ts) would pass: any doubt returns null and the general path decodes the
 * frame again and gives the verdict (and the typed rejection).
 * test/net/get_request_reader.test.ts checks both agree on every one-byte change.
 */
import { Body } from "../../schemas/generated/filestore_generated";
import type { ServerLimits } from "./limits";
import type { Request } from "./messages";
import { envelopeHeaderRule } from "../wire/envelope_rules";
import { fieldOffset, followOffset, inlineField, rootTablePosition, VerificationError, verifyTableHeader, verifyVector, type TableRule } from "../wire/verify";
import { readDouble, readUint32 } from "../wire/little_endian";
import { consistencyByWire, isIntegerWithin, isRouting } from "./wire_values";

/** Envelope slots (schemas/filestore.fbs). */
const requestIdSlot = 0;
const traceSlot = 1;
const consistencySlot = 2;
const maxStalenessSlot = 3;
const deadlineSlot = 4;
const sessionIdSlot = 5;
const sequenceSlot = 6;
const bodyTypeSlot = 7;
const bodySlot = 8;
const oldestPendingSequenceSlot = 9;
const shardSlot = 10;
const shardEpochSlot = 11;
const keySlot = 0;
const doubleBytes = 8;
const uintBytes = 4;
const offsetBytes = 4;
const getRequestRule: TableRule = { name: "GetRequest", fields: [] };

function scalarField(bytes: Uint8Array, table: number, tableSize: number, slot: number, sizeBytes: number): number {
  const position = inlineField(bytes, table, tableSize, envelopeHeaderRule, slot, sizeBytes);
  if (position === 0) return 0;
  if (sizeBytes === doubleBytes) return readDouble(bytes, position);
  return sizeBytes === uintBytes ? readUint32(bytes, position) : bytes[position]!;
}

type Limits = Pick<ServerLimits, "keySizeBytesMax">;

/** The get request in `frame`, or null when it is anything else or the general path should judge it. */
export function readGetRequest(frame: Uint8Array, limits: Limits): Request | null {
  try {
    return readGet(frame, limits);
  } catch (error) {
    if (error instanceof VerificationError) return null;
    throw error;
  }
}

function readGet(frame: Uint8Array, limits: Limits): Request | null {
  const envelope = rootTablePosition(frame);
  const size = verifyTableHeader(frame, envelope, envelopeHeaderRule);
  if (fieldOffset(frame, envelope, traceSlot) !== 0 || fieldOffset(frame, envelope, sessionIdSlot) !== 0) return null;
  if (fieldOffset(frame, envelope, oldestPendingSequenceSlot) !== 0) return null;
  if (scalarField(frame, envelope, size, bodyTypeSlot, 1) !== Body.GetRequest) return null;
  const requestId = scalarField(frame, envelope, size, requestIdSlot, doubleBytes);
  const sequence = scalarField(frame, envelope, size, sequenceSlot, doubleBytes);
  const consistency = consistencyByWire[scalarField(frame, envelope, size, consistencySlot, 1)];
  if (!isIntegerWithin(requestId, 1) || !isIntegerWithin(sequence, 0) || consistency === undefined) return null;
  const maxStalenessMs = scalarField(frame, envelope, size, maxStalenessSlot, uintBytes);
  const deadlineMs = scalarField(frame, envelope, size, deadlineSlot, uintBytes);
  const shard = scalarField(frame, envelope, size, shardSlot, uintBytes);
  const shardEpoch = scalarField(frame, envelope, size, shardEpochSlot, doubleBytes);
  if (!isRouting(shard, shardEpoch)) return null;
  const key = readKey(frame, envelope, size, limits);
  if (key === null) return null;
  return {
    requestId, consistency, maxStalenessMs, deadlineMs, sessionId: null, sequence, oldestPendingSequence: 0,
    shard, shardEpoch, trace: null, body: { kind: "get", key },
  };
}

function readKey(frame: Uint8Array, envelope: number, envelopeSize: number, limits: Limits): Uint8Array | null {
  const bodyPosition = inlineField(frame, envelope, envelopeSize, envelopeHeaderRule, bodySlot, offsetBytes);
  if (bodyPosition === 0) return null;
  const body = followOffset(frame, bodyPosition, envelopeHeaderRule, bodySlot);
  const bodySize = verifyTableHeader(frame, body, getRequestRule);
  const keyPosition = inlineField(frame, body, bodySize, getRequestRule, keySlot, offsetBytes);
  if (keyPosition === 0) return null;
  const vector = followOffset(frame, keyPosition, getRequestRule, keySlot);
  const length = verifyVector(frame, vector, 1, getRequestRule, keySlot);
  if (length === 0 || length > limits.keySizeBytesMax) return null;
  return frame.subarray(vector + offsetBytes, vector + offsetBytes + length);
}
