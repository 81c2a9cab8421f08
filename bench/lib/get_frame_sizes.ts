/**
 * Sizes of a FileStore get request and reply on the wire, for the loopback floor to send
 * frames of exactly that size. Taken from FileStore's own codec when it is there; otherwise
 * from a FlatBuffers estimate, flagged as such.
 */
import * as flatbuffers from "flatbuffers";
import { benchKey, benchValue } from "./defaults.ts";
import { frameLengthPrefixBytes } from "./frames.ts";

export interface GetFrameSizes {
  requestPayloadBytes: number;
  replyPayloadBytes: number;
  /** "codec" when measured with src/net's encoders, "estimate" otherwise. */
  source: "codec" | "estimate";
}

/**
 * Envelope overhead around the key or value when the codec is missing: root offset, vtable,
 * request id, body type and offset, the inner table and the byte vector's length and padding.
 */
const envelopeOverheadEstimateBytes = 56;

type Encoder = (builder: flatbuffers.Builder, ...rest: unknown[]) => Uint8Array;

export async function measureGetFrameSizes(): Promise<GetFrameSizes> {
  const key = new TextEncoder().encode(benchKey(0));
  const value = benchValue();
  try {
    const requestModule = (await import(pathOf("../../src/net/request_encoder.ts"))) as { encodeRequest: Encoder };
    const responseModule = (await import(pathOf("../../src/net/response_codec.ts"))) as { encodeResponse: Encoder };
    const builder = new flatbuffers.Builder(1024);
    const request = requestModule.encodeRequest(builder, {
      requestId: 123_456, consistency: "strong", maxStalenessMs: 0, deadlineMs: 1000,
      sessionId: null, sequence: 0, trace: null, body: { kind: "get", key },
    });
    const requestBytes = request.length;
    const reply = responseModule.encodeResponse(builder, 123_456, {
      status: "OK", message: "", leaderHint: "", result: { kind: "get", value, version: 123_456 },
    });
    return {
      requestPayloadBytes: requestBytes - frameLengthPrefixBytes,
      replyPayloadBytes: reply.length - frameLengthPrefixBytes,
      source: "codec",
    };
  } catch {
    return {
      requestPayloadBytes: key.length + envelopeOverheadEstimateBytes,
      replyPayloadBytes: value.length + envelopeOverheadEstimateBytes,
      source: "estimate",
    };
  }
}

/** A path held in a variable, so the type checker does not require the module to exist yet. */
function pathOf(relative: string): string {
  return new URL(relative, import.meta.url).pathname;
}
