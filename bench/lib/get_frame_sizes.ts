/**
 * Sizes of a FileStore get request and reply on the wire, measured with FileStore's own codec
 * (the laid-out frames of get_request_layout.ts and get_reply_layout.ts), for the loopback floor
 * to send frames of exactly that size.
 */
import { appendGetReply } from "../../src/net/get_reply_layout.ts";
import { encodeGetFrame } from "../../src/net/get_request_layout.ts";
import { OutputBuffer } from "../../src/wire/output_buffer.ts";
import { benchKey, benchValue } from "./defaults.ts";
import { frameLengthPrefixBytes } from "./frames.ts";

export interface GetFrameSizes {
  /** Bytes after the 4-byte length prefix. */
  requestPayloadBytes: number;
  replyPayloadBytes: number;
}

/** A request id and version of realistic magnitude (both are encoded as fixed-width fields). */
const sampleRequestId = 123_456;

/** The frames the client library and the server exchange for a found get (their laid-out forms). */
export function measureGetFrameSizes(): GetFrameSizes {
  const sampleKey = new TextEncoder().encode(benchKey(0));
  const requestBytes = encodeGetFrame(sampleRequestId, "strong", 0, 1000, 0, 0, sampleKey).length;
  const reply = new OutputBuffer();
  appendGetReply(reply, sampleRequestId, benchValue(), sampleRequestId);
  return {
    requestPayloadBytes: requestBytes - frameLengthPrefixBytes,
    replyPayloadBytes: reply.length - frameLengthPrefixBytes,
  };
}
