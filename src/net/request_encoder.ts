/**
 * Request -> frame (u32 little-endian length + Envelope), for the client and for tests.
 * The returned bytes are a view into `builder`: send or copy them before its next use.
 */
import * as flatbuffers from "flatbuffers";
import type { Command, ScanOptions } from "../engine/types";
import {
  BatchOperation, BatchOperationKind, BatchRequest, Body, CasRequest, Consistency, DeleteRequest, Envelope,
  GetRequest, PingRequest, PutRequest, ScanRequest, ShardMapRequest, TraceContext,
} from "../../schemas/generated/filestore_generated";
import type { ConsistencyLevel, Request, RequestBody } from "./messages";
import { unreachable } from "../util/assert";

export const consistencyByName: Record<ConsistencyLevel, Consistency> = {
  strong: Consistency.Strong,
  bounded: Consistency.Bounded,
  eventual: Consistency.Eventual,
};

function bytesOrZero(builder: flatbuffers.Builder, bytes: Uint8Array | null | undefined): number {
  return bytes == null ? 0 : builder.createByteVector(bytes);
}

function encodeBatchOperation(builder: flatbuffers.Builder, command: Exclude<Command, { op: "batch" }>): number {
  const key = builder.createByteVector(command.key);
  const value = command.op === "delete" ? 0 : builder.createByteVector(command.value);
  const expected = command.op === "cas" ? bytesOrZero(builder, command.expected) : 0;
  const kind = command.op === "put" ? BatchOperationKind.Put
    : command.op === "delete" ? BatchOperationKind.Delete : BatchOperationKind.Cas;
  return BatchOperation.createBatchOperation(builder, kind, key, value, expected);
}

function encodeWrite(builder: flatbuffers.Builder, command: Command): [Body, number] {
  switch (command.op) {
    case "put": {
      const key = builder.createByteVector(command.key);
      const value = builder.createByteVector(command.value);
      return [Body.PutRequest, PutRequest.createPutRequest(builder, key, value)];
    }
    case "delete":
      return [Body.DeleteRequest, DeleteRequest.createDeleteRequest(builder, builder.createByteVector(command.key))];
    case "cas": {
      const key = builder.createByteVector(command.key);
      const expected = bytesOrZero(builder, command.expected);
      const value = builder.createByteVector(command.value);
      return [Body.CasRequest, CasRequest.createCasRequest(builder, key, expected, value)];
    }
    case "batch": {
      const operations = command.commands.map((inner) => encodeBatchOperation(builder, inner));
      const vector = BatchRequest.createOperationsVector(builder, operations);
      return [Body.BatchRequest, BatchRequest.createBatchRequest(builder, vector)];
    }
    default:
      return unreachable(command, "unknown command");
  }
}

function encodeScan(builder: flatbuffers.Builder, options: ScanOptions): number {
  const prefix = bytesOrZero(builder, options.prefix);
  const start = bytesOrZero(builder, options.start);
  const end = bytesOrZero(builder, options.end);
  const cursor = bytesOrZero(builder, options.cursor);
  return ScanRequest.createScanRequest(builder, prefix, start, end, options.limit, cursor);
}

function encodeBody(builder: flatbuffers.Builder, body: RequestBody): [Body, number] {
  switch (body.kind) {
    case "ping":
      return [Body.PingRequest, PingRequest.createPingRequest(builder)];
    case "get":
      return [Body.GetRequest, GetRequest.createGetRequest(builder, builder.createByteVector(body.key))];
    case "write":
      return encodeWrite(builder, body.command);
    case "scan":
      return [Body.ScanRequest, encodeScan(builder, body.options)];
    case "shardMap":
      return [Body.ShardMapRequest, ShardMapRequest.createShardMapRequest(builder)];
    default:
      return unreachable(body, "unknown request body");
  }
}

export function encodeRequest(builder: flatbuffers.Builder, request: Request): Uint8Array {
  builder.clear();
  const [bodyType, body] = encodeBody(builder, request.body);
  const trace = request.trace === null ? 0 : TraceContext.createTraceContext(
    builder, builder.createByteVector(request.trace.traceId), builder.createByteVector(request.trace.spanId),
  );
  const sessionId = bytesOrZero(builder, request.sessionId);
  Envelope.startEnvelope(builder);
  Envelope.addRequestId(builder, request.requestId);
  if (trace !== 0) Envelope.addTrace(builder, trace);
  Envelope.addConsistency(builder, consistencyByName[request.consistency]);
  Envelope.addMaxStalenessMs(builder, request.maxStalenessMs);
  Envelope.addDeadlineMs(builder, request.deadlineMs);
  if (sessionId !== 0) Envelope.addClientSessionId(builder, sessionId);
  Envelope.addSequence(builder, request.sequence);
  if (request.oldestPendingSequence > 0) Envelope.addOldestPendingSequence(builder, request.oldestPendingSequence);
  if (request.shard !== 0) Envelope.addShard(builder, request.shard);
  if (request.shardEpoch !== 0) Envelope.addShardEpoch(builder, request.shardEpoch);
  Envelope.addBodyType(builder, bodyType);
  Envelope.addBody(builder, body);
  builder.finishSizePrefixed(Envelope.endEnvelope(builder));
  return builder.asUint8Array();
}
