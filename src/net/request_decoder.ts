/**
 * Frame -> Request, on the server. Verification comes first (src/wire/verify.ts): nothing is
 * read from a part of the frame the verifier has not accepted, and a request is returned only
 * whole and valid, so a half-decoded request can never execute. Keys and values in the result
 * are views into `frame`.
 *
 * A broken envelope (no trustworthy request id) is a fatal rejection: the connection closes.
 * Anything wrong past the request id is answered with a typed status for that request.
 */
import { readGetRequest } from "./get_request_reader";
import { readLaidOutPutRequest } from "./put_request_layout";
import { ReusableByteBuffer } from "../wire/reusable_byte_buffer";
import type { Command, ScanOptions } from "../engine/types";
import {
  BatchOperation, BatchOperationKind, BatchRequest, Body, CasRequest, DeleteRequest, Envelope, GetRequest,
  PutRequest, ScanRequest,
} from "../../schemas/generated/filestore_generated";
import type { ServerLimits } from "./limits";
import type { Request, RequestBody, TraceContext } from "./messages";
import { envelopeBodyRule } from "./schema_rules";
import { envelopeHeaderRule } from "../wire/envelope_rules";
import { RequestRejection, type StatusName } from "../wire/status";
import { VerificationError, verifyRoot, verifyTable } from "../wire/verify";
import { consistencyByWire, isIntegerWithin, routingProblem } from "./wire_values";

/** Decoding is synchronous and reads every field at once, so one buffer serves every frame. */
const sharedByteBuffer = new ReusableByteBuffer();

const traceIdBytes = 16;
const spanIdBytes = 8;

type Limits = Pick<ServerLimits, "keySizeBytesMax" | "valueSizeBytesMax" | "batchOperationsMax"
  | "scanPageEntriesMax" | "scanPageEntriesDefault" | "sessionIdBytesMax">;

class Reject {
  constructor(readonly requestId: number) {}
  with(status: StatusName, message: string): never {
    throw new RequestRejection(status, message, this.requestId, false);
  }
}

function readRequestId(frame: Uint8Array, limits: Limits): { envelope: Envelope; rootPosition: number } {
  let rootPosition: number;
  try {
    rootPosition = verifyRoot(frame, envelopeHeaderRule, { tablesPerVectorMax: limits.batchOperationsMax });
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    throw new RequestRejection("INVALID_REQUEST", `malformed envelope: ${error.message}`, 0, true);
  }
  const envelope = Envelope.getRootAsEnvelope(sharedByteBuffer.over(frame));
  const requestId = envelope.requestId();
  if (!isIntegerWithin(requestId, 1)) {
    throw new RequestRejection("INVALID_REQUEST", `request id ${requestId} is not an integer in 1..2^53`, 0, true);
  }
  return { envelope, rootPosition };
}

/**
 * The request in `frame`; gets of the common shape take the one-pass reader
 * (get_request_reader.ts), puts laid out as the client lays them out the layout check
 * (put_request_layout.ts).
 */
export function decodeRequest(frame: Uint8Array, limits: Limits): Request {
  return readGetRequest(frame, limits) ?? readLaidOutPutRequest(frame, limits) ?? decodeAnyRequest(frame, limits);
}

/** The general path: the whole frame verified against the schema rules, then read with the generated code. */
export function decodeAnyRequest(frame: Uint8Array, limits: Limits): Request {
  const { envelope, rootPosition } = readRequestId(frame, limits);
  const requestId = envelope.requestId();
  const reject = new Reject(requestId);
  try {
    verifyTable(frame, rootPosition, envelopeBodyRule, { tablesPerVectorMax: limits.batchOperationsMax });
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    // Too many batch operations: the engine's limit (net/limits.ts), answered as the engine would.
    if (error.overLimit) reject.with("TOO_LARGE", error.message);
    reject.with("INVALID_REQUEST", `malformed request: ${error.message}`);
  }
  const consistency = consistencyByWire[envelope.consistency()];
  if (consistency === undefined) reject.with("INVALID_REQUEST", `unknown consistency ${envelope.consistency()}`);
  const sequence = envelope.sequence();
  if (!isIntegerWithin(sequence, 0)) {
    reject.with("INVALID_REQUEST", `sequence ${sequence} is not an integer in 0..2^53`);
  }
  const oldestPendingSequence = envelope.oldestPendingSequence();
  if (!isIntegerWithin(oldestPendingSequence, 0, sequence)) {
    reject.with("INVALID_REQUEST", `oldest pending sequence ${oldestPendingSequence} is not an integer in 0..sequence (${sequence})`);
  }
  const sessionId = envelope.clientSessionIdArray();
  if (sessionId !== null && sessionId.length > limits.sessionIdBytesMax) {
    reject.with("INVALID_REQUEST", `session id is longer than ${limits.sessionIdBytesMax} bytes`);
  }
  const shard = envelope.shard();
  const shardEpoch = envelope.shardEpoch();
  const badRouting = routingProblem(shard, shardEpoch);
  if (badRouting !== null) reject.with("INVALID_REQUEST", badRouting);
  return {
    requestId,
    consistency,
    maxStalenessMs: envelope.maxStalenessMs(),
    deadlineMs: envelope.deadlineMs(),
    sessionId,
    sequence,
    oldestPendingSequence,
    shard,
    shardEpoch,
    trace: decodeTrace(envelope, reject),
    body: decodeBody(envelope, limits, reject),
  };
}

function decodeTrace(envelope: Envelope, reject: Reject): TraceContext | null {
  const trace = envelope.trace();
  if (trace === null) return null;
  const traceId = trace.traceIdArray()!;
  const spanId = trace.spanIdArray()!;
  if (traceId.length !== traceIdBytes || spanId.length !== spanIdBytes) {
    reject.with("INVALID_REQUEST", `trace context needs a ${traceIdBytes}-byte trace id and ${spanIdBytes}-byte span id`);
  }
  return { traceId, spanId };
}

function checkKey(key: Uint8Array, limits: Limits, reject: Reject, what = "key"): Uint8Array {
  if (key.length === 0) reject.with("INVALID_REQUEST", `${what} is empty`);
  if (key.length > limits.keySizeBytesMax) {
    reject.with("TOO_LARGE", `${what} is ${key.length} bytes, over the ${limits.keySizeBytesMax}-byte limit`);
  }
  return key;
}

function checkValue(value: Uint8Array | null, limits: Limits, reject: Reject, what = "value"): Uint8Array {
  if (value === null) return reject.with("INVALID_REQUEST", `${what} is missing`);
  if (value.length > limits.valueSizeBytesMax) {
    reject.with("TOO_LARGE", `${what} is ${value.length} bytes, over the ${limits.valueSizeBytesMax}-byte limit`);
  }
  return value;
}

function decodeBody(envelope: Envelope, limits: Limits, reject: Reject): RequestBody {
  const bodyType = envelope.bodyType();
  switch (bodyType) {
    case Body.PingRequest:
      return { kind: "ping" };
    case Body.GetRequest: {
      const body = envelope.body(new GetRequest()) as GetRequest;
      return { kind: "get", key: checkKey(body.keyArray()!, limits, reject) };
    }
    case Body.PutRequest: {
      const body = envelope.body(new PutRequest()) as PutRequest;
      const key = checkKey(body.keyArray()!, limits, reject);
      return { kind: "write", command: { op: "put", key, value: checkValue(body.valueArray(), limits, reject) } };
    }
    case Body.DeleteRequest: {
      const body = envelope.body(new DeleteRequest()) as DeleteRequest;
      return { kind: "write", command: { op: "delete", key: checkKey(body.keyArray()!, limits, reject) } };
    }
    case Body.CasRequest: {
      const body = envelope.body(new CasRequest()) as CasRequest;
      const key = checkKey(body.keyArray()!, limits, reject);
      const expected = body.expectedArray();
      if (expected !== null) checkValue(expected, limits, reject, "expected value");
      const value = checkValue(body.valueArray(), limits, reject);
      return { kind: "write", command: { op: "cas", key, expected, value } };
    }
    case Body.BatchRequest:
      return { kind: "write", command: decodeBatch(envelope.body(new BatchRequest()) as BatchRequest, limits, reject) };
    case Body.ScanRequest:
      return { kind: "scan", options: decodeScan(envelope.body(new ScanRequest()) as ScanRequest, limits, reject) };
    case Body.ShardMapRequest:
      return { kind: "shardMap" };
    case Body.NONE:
      return reject.with("INVALID_REQUEST", "request has no body");
    default:
      return reject.with("INVALID_REQUEST", `unsupported request type ${bodyType}`);
  }
}

function decodeBatch(batch: BatchRequest, limits: Limits, reject: Reject): Command {
  const count = batch.operationsLength();
  if (count === 0) reject.with("INVALID_REQUEST", "batch is empty");
  const commands: Array<Exclude<Command, { op: "batch" }>> = [];
  let totalValueBytes = 0;
  const operation = new BatchOperation();
  for (let index = 0; index < count; index++) {
    batch.operations(index, operation);
    const key = checkKey(operation.keyArray()!, limits, reject, `batch operation ${index} key`);
    const kind = operation.kind();
    if (kind === BatchOperationKind.Delete) {
      commands.push({ op: "delete", key });
      continue;
    }
    if (kind !== BatchOperationKind.Put && kind !== BatchOperationKind.Cas) {
      reject.with("INVALID_REQUEST", `batch operation ${index} has unknown kind ${kind}`);
    }
    const value = checkValue(operation.valueArray(), limits, reject, `batch operation ${index} value`);
    totalValueBytes += value.length;
    if (kind === BatchOperationKind.Put) {
      commands.push({ op: "put", key, value });
      continue;
    }
    const expected = operation.expectedArray();
    if (expected !== null) checkValue(expected, limits, reject, `batch operation ${index} expected value`);
    commands.push({ op: "cas", key, expected, value });
  }
  // One batch is one log record: bound it as one value.
  if (totalValueBytes > limits.valueSizeBytesMax) {
    reject.with("TOO_LARGE", `batch values total ${totalValueBytes} bytes, over ${limits.valueSizeBytesMax}`);
  }
  return { op: "batch", commands };
}

function decodeScan(scan: ScanRequest, limits: Limits, reject: Reject): ScanOptions {
  const options: ScanOptions = { limit: Math.min(scan.limit() || limits.scanPageEntriesDefault, limits.scanPageEntriesMax) };
  const prefix = scan.prefixArray();
  const start = scan.startArray();
  const end = scan.endArray();
  const cursor = scan.cursorArray();
  if (prefix !== null && (start !== null || end !== null)) {
    reject.with("INVALID_REQUEST", "scan takes a prefix or a start/end range, not both");
  }
  // An empty prefix or bound means "unbounded" on that side and is allowed.
  if (prefix !== null && prefix.length > 0) options.prefix = checkKey(prefix, limits, reject, "scan prefix");
  if (start !== null && start.length > 0) options.start = checkKey(start, limits, reject, "scan start");
  if (end !== null && end.length > 0) options.end = checkKey(end, limits, reject, "scan end");
  if (cursor !== null) options.cursor = checkKey(cursor, limits, reject, "scan cursor");
  return options;
}
