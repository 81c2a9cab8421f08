/**
 * Sizes of a FileStore get request and reply on the wire, measured with FileStore's own codec,
 * for the loopback floor to send frames of exactly that size.
 */
import * as flatbuffers from "flatbuffers";
import { encodeRequest } from "../../src/net/request_encoder.ts";
import { encodeResponse } from "../../src/net/response_codec.ts";
import { benchKey, benchValue } from "./defaults.ts";
import { frameLengthPrefixBytes } from "./frames.ts";

export interface GetFrameSizes {
  /** Bytes after the 4-byte length prefix. */
  requestPayloadBytes: number;
  replyPayloadBytes: number;
}

/** A request id and version of realistic magnitude (both are encoded as fixed-width fields). */
const sampleRequestId = 123_456;

/** Starting size of the encoder's buffer: room for a get reply with its value, so it never grows. */
const builderBytesInitial = 1024;

export function measureGetFrameSizes(): GetFrameSizes {
  const builder = new flatbuffers.Builder(builderBytesInitial);
  const requestBytes = encodeRequest(builder, {
    requestId: sampleRequestId, consistency: "strong", maxStalenessMs: 0, deadlineMs: 1000,
    sessionId: null, sequence: 0, oldestPendingSequence: 0, trace: null, body: { kind: "get", key: new TextEncoder().encode(benchKey(0)) },
  }).length;
  const replyBytes = encodeResponse(builder, sampleRequestId, {
    status: "OK", message: "", leaderHint: "", result: { kind: "get", value: benchValue(), version: sampleRequestId },
  }).length;
  return {
    requestPayloadBytes: requestBytes - frameLengthPrefixBytes,
    replyPayloadBytes: replyBytes - frameLengthPrefixBytes,
  };
}
