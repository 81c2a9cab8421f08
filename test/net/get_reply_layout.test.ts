/**
 * The hand-laid get reply is an ordinary FlatBuffer: the verifier and the generated code read
 * it (general path), the client's one-pass reader reads it, and both find what was written,
 * also after other frames in the same output buffer and across its growth.
 */
import { describe, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import { Envelope, GetResult, Response } from "../../schemas/generated/filestore_generated";
import { appendGetReply } from "../../src/net/get_reply_layout";
import { OutputBuffer } from "../../src/wire/output_buffer";
import { decodeAnyResponse, encodeResponse, type DecodedResponse } from "../../src/net/response_codec";
import { readCommonResponse } from "../../src/net/response_reader";

const tablesPerVectorMax = 1000;

/** Splits the output buffer's bytes into envelopes (without their length prefixes). */
function framesOf(output: OutputBuffer): Uint8Array[] {
  const bytes = output.bytes.slice(0, output.length);
  const frames: Uint8Array[] = [];
  for (let offset = 0; offset < bytes.length;) {
    const length = new DataView(bytes.buffer).getUint32(offset, true);
    frames.push(bytes.slice(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return frames;
}

describe("get reply writer", () => {
  test("replies of many sizes read back the same through both decoders and the generated code", () => {
    const output = new OutputBuffer();
    const cases = [0, 1, 7, 100, 4096, 200_000].map((length, index) => ({
      requestId: index === 0 ? 1 : 2 ** 52 + index,
      version: index * 1000.5,
      value: new Uint8Array(length).map((_, position) => (position * 31 + index) & 0xff),
    }));
    const builder = new flatbuffers.Builder(64);
    output.append(encodeResponse(builder, 99, { status: "NOT_FOUND", message: "", leaderHint: "", result: { kind: "none" } }));
    for (const { requestId, value, version } of cases) appendGetReply(output, requestId, value, version);
    const frames = framesOf(output);
    expect(frames.length).toBe(cases.length + 1);
    cases.forEach(({ requestId, value, version }, index) => {
      const frame = frames[index + 1]!;
      const expected: DecodedResponse = { requestId, reply: { status: "OK", message: "", leaderHint: "", result: { kind: "get", value, version } } };
      expect(decodeAnyResponse(frame, tablesPerVectorMax)).toEqual(expected);
      expect(readCommonResponse(frame)).toEqual(expected);
      const envelope = Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(frame));
      const result = (envelope.body(new Response()) as Response).result(new GetResult()) as GetResult;
      expect([envelope.requestId(), result.version(), result.valueArray()]).toEqual([requestId, version, value]);
    });
  });
});
