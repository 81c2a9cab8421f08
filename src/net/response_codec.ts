/**
 * Reply <-> frame. The server encodes with `encodeResponse` into a reused builder; the client
 * verifies and decodes with `decodeResponse` (it trusts the server no more than the server
 * trusts it: a malformed reply is an error, never a silent default).
 */
import * as flatbuffers from "flatbuffers";
import { ReusableByteBuffer } from "../wire/reusable_byte_buffer";
import { readLaidOutGetReply } from "./get_reply_layout";
import { readLaidOutWriteReply } from "./write_reply_layout";
import { readCommonResponse } from "./response_reader";
import type { Entry } from "../engine/types";
import {
  BatchResult, Body, Envelope, GetResult, KeyValue, PingResult, Response, Result, ScanResult, ShardMapResult,
  WriteResult, WrongShardResult,
} from "../../schemas/generated/filestore_generated";
import {
  decodeShardMapResult, decodeWrongShardResult, encodeShardMapResult, encodeWrongShardResult,
} from "./shard_map_codec";
import { unreachable } from "../util/assert";
import type { Reply, ReplyResult, WriteOutcome } from "./messages";
import { envelopeBodyRule } from "./schema_rules";
import { envelopeHeaderRule } from "../wire/envelope_rules";
import { statusByName, statusName } from "../wire/status";
import { verifyRoot, verifyTable } from "../wire/verify";

/** Decoding is synchronous and reads every field at once, so one buffer serves every frame. */
const sharedByteBuffer = new ReusableByteBuffer();

function encodeResult(builder: flatbuffers.Builder, result: ReplyResult): [Result, number] {
  switch (result.kind) {
    case "none":
      return [Result.NONE, 0];
    case "get": {
      const value = builder.createByteVector(result.value);
      return [Result.GetResult, GetResult.createGetResult(builder, value, result.version)];
    }
    case "write":
      return [Result.WriteResult, WriteResult.createWriteResult(builder, result.outcome.applied, result.outcome.version)];
    case "batch": {
      const outcomes = result.results.map((outcome) => WriteResult.createWriteResult(builder, outcome.applied, outcome.version));
      const vector = BatchResult.createResultsVector(builder, outcomes);
      return [Result.BatchResult, BatchResult.createBatchResult(builder, result.succeeded, result.version, vector)];
    }
    case "scan": {
      const entries = result.entries.map((entry) => KeyValue.createKeyValue(
        builder, builder.createByteVector(entry.key), builder.createByteVector(entry.value), entry.version,
      ));
      const vector = ScanResult.createEntriesVector(builder, entries);
      const cursor = result.nextCursor === null ? 0 : builder.createByteVector(result.nextCursor);
      return [Result.ScanResult, ScanResult.createScanResult(builder, vector, cursor)];
    }
    case "ping":
      return [Result.PingResult, PingResult.createPingResult(builder, builder.createByteVector(result.serverInstanceId))];
    case "shardMap":
      return [Result.ShardMapResult, encodeShardMapResult(builder, result.map)];
    case "wrongShard":
      return [Result.WrongShardResult, encodeWrongShardResult(builder, result)];
    default:
      return unreachable(result, "unknown reply result");
  }
}

/** The frame (u32 length + Envelope) for `reply`: a view into `builder`, valid until its next use. */
export function encodeResponse(builder: flatbuffers.Builder, requestId: number, reply: Reply): Uint8Array {
  builder.clear();
  const [resultType, result] = encodeResult(builder, reply.result);
  const message = reply.message === "" ? 0 : builder.createString(reply.message);
  const leaderHint = reply.leaderHint === "" ? 0 : builder.createString(reply.leaderHint);
  const response = Response.createResponse(builder, statusByName[reply.status], message, leaderHint, resultType, result);
  Envelope.startEnvelope(builder);
  Envelope.addRequestId(builder, requestId);
  Envelope.addBodyType(builder, Body.Response);
  Envelope.addBody(builder, response);
  builder.finishSizePrefixed(Envelope.endEnvelope(builder));
  return builder.asUint8Array();
}

export interface DecodedResponse {
  requestId: number;
  reply: Reply;
}

function outcome(result: WriteResult): WriteOutcome {
  return { applied: result.applied(), version: result.version() };
}

/** A scan page, its bytes copied out of the frame: a caller keeps them past the read they came in. */
function decodeScanResult(scan: ScanResult): ReplyResult {
  const entries: Entry[] = [];
  const keyValue = new KeyValue();
  for (let index = 0; index < scan.entriesLength(); index++) {
    scan.entries(index, keyValue);
    const key = keyValue.keyArray()!.slice();
    entries.push({ key, value: keyValue.valueArray()!.slice(), version: keyValue.version() });
  }
  return { kind: "scan", entries, nextCursor: scan.nextCursorArray()?.slice() ?? null };
}

function decodeResult(response: Response): ReplyResult {
  switch (response.resultType()) {
    case Result.GetResult: {
      const result = response.result(new GetResult()) as GetResult;
      return { kind: "get", value: result.valueArray()?.slice() ?? new Uint8Array(0), version: result.version() };
    }
    case Result.WriteResult:
      return { kind: "write", outcome: outcome(response.result(new WriteResult()) as WriteResult) };
    case Result.BatchResult: {
      const batch = response.result(new BatchResult()) as BatchResult;
      const results: WriteOutcome[] = [];
      for (let index = 0; index < batch.resultsLength(); index++) results.push(outcome(batch.results(index)!));
      return { kind: "batch", succeeded: batch.succeeded(), version: batch.version(), results };
    }
    case Result.ScanResult:
      return decodeScanResult(response.result(new ScanResult()) as ScanResult);
    case Result.PingResult: {
      const ping = response.result(new PingResult()) as PingResult;
      return { kind: "ping", serverInstanceId: ping.serverInstanceIdArray() ?? new Uint8Array(0) };
    }
    case Result.ShardMapResult:
      return { kind: "shardMap", map: decodeShardMapResult(response.result(new ShardMapResult()) as ShardMapResult) };
    case Result.WrongShardResult:
      return { kind: "wrongShard", ...decodeWrongShardResult(response.result(new WrongShardResult())!) };
    case Result.NONE:
      return { kind: "none" };
    default:
      throw new Error(`reply carries unknown result type ${response.resultType()}`);
  }
}

/**
 * Verifies then decodes one reply (the Envelope, without its length prefix). Byte fields are
 * views, except a get's value and a scan page's keys, values and cursor, which are copies (the
 * byte fields a caller keeps: the frame is only valid while its read is handled). A
 * found get in the server's own fixed layout is recognised byte for byte (get_reply_layout.ts);
 * the other common replies (gets, writes, statuses without text) are read in one pass by
 * response_reader.ts; the rest are verified whole, then read with the generated code.
 */
export function decodeResponse(frame: Uint8Array, tablesPerVectorMax: number): DecodedResponse {
  return decodeResponseAt(frame, 0, frame.length, tablesPerVectorMax);
}

/** decodeResponse() of the frame bytes[start, end): a laid-out get or write reply is read in place, the rest through a view. */
export function decodeResponseAt(bytes: Uint8Array, start: number, end: number, tablesPerVectorMax: number): DecodedResponse {
  const laidOut = readLaidOutGetReply(bytes, start, end) ?? readLaidOutWriteReply(bytes, start, end);
  if (laidOut !== null) return laidOut;
  const frame = start === 0 && end === bytes.length ? bytes : bytes.subarray(start, end);
  return readCommonResponse(frame) ?? decodeAnyResponse(frame, tablesPerVectorMax);
}

/** The general path: the whole reply verified against the schema rules, then read with the generated code. */
export function decodeAnyResponse(frame: Uint8Array, tablesPerVectorMax: number): DecodedResponse {
  const limits = { tablesPerVectorMax };
  const rootPosition = verifyRoot(frame, envelopeHeaderRule, limits);
  verifyTable(frame, rootPosition, envelopeBodyRule, limits);
  const envelope = Envelope.getRootAsEnvelope(sharedByteBuffer.over(frame));
  if (envelope.bodyType() !== Body.Response) throw new Error(`reply carries body type ${envelope.bodyType()}`);
  const response = envelope.body(new Response()) as Response;
  const reply: Reply = {
    status: statusName(response.status()),
    message: response.message() ?? "",
    leaderHint: response.leaderHint() ?? "",
    result: decodeResult(response),
  };
  return { requestId: envelope.requestId(), reply };
}
