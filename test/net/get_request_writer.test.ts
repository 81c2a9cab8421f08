/**
 * The hand-laid get request is an ordinary FlatBuffer: the server's general decoder (whole
 * verification, then the generated code) and its one-pass reader both read back the request
 * that was written, whatever its consistency, bounds, id and key size.
 */
import { describe, expect, test } from "bun:test";
import { encodeGetRequest, isPlainGet } from "../../src/net/get_request_writer";
import { readGetRequest } from "../../src/net/get_request_reader";
import { resolveLimits } from "../../src/net/limits";
import type { Request } from "../../src/net/messages";
import { decodeAnyRequest } from "../../src/net/request_decoder";
import { bytes, request, sampleRequests } from "./wire_fixtures";

const limits = resolveLimits();

const gets: Request[] = [
  request(1, { kind: "get", key: bytes("k000000000000001") }),
  request(2 ** 53 - 1, { kind: "get", key: bytes("a") }, { consistency: "bounded", maxStalenessMs: 0xffff_ffff, deadlineMs: 1 }),
  request(123_456, { kind: "get", key: new Uint8Array(limits.keySizeBytesMax).fill(0xfe) }, { consistency: "eventual", deadlineMs: 0xffff_ffff }),
  request(5, { kind: "get", key: bytes("user/42") }, { sequence: 17 }),
];

describe("get request writer", () => {
  test("frames read back as the request written, through the general decoder and the one-pass reader", () => {
    for (const get of gets) {
      expect(isPlainGet(get)).toBe(true);
      const frame = encodeGetRequest(get, (get.body as { key: Uint8Array }).key);
      expect(new DataView(frame.buffer).getUint32(0, true)).toBe(frame.length - 4);
      const envelope = frame.slice(4);
      expect(decodeAnyRequest(envelope, limits)).toEqual(get);
      expect(readGetRequest(envelope, limits)).toEqual(get);
    }
  });

  test("gets with a trace context or a session id, and other requests, are not plain gets", () => {
    const notPlain = sampleRequests().filter((sample) => sample.body.kind !== "get" || sample.trace !== null || sample.sessionId !== null);
    expect(notPlain.length).toBe(sampleRequests().length);
    for (const sample of notPlain) expect(isPlainGet(sample)).toBe(false);
  });
});
