/**
 * The one-pass get reader against the general decoder: it reads gets alike, leaves every other
 * request to the general path, and on every one-byte change and truncation of get frames the
 * server's decoder answers exactly as the general path alone would (same request, or same
 * rejection).
 */
import { describe, expect, test } from "bun:test";
import { readGetRequest } from "../../src/net/get_request_reader";
import { resolveLimits } from "../../src/net/limits";
import type { Request } from "../../src/net/messages";
import { decodeAnyRequest, decodeRequest } from "../../src/net/request_decoder";
import { bytes, decodeOutcome as outcome, envelopeBytes, request, sampleRequests, truncatedAndChangedVariants } from "./wire_fixtures";

const limits = resolveLimits();

const gets: Request[] = [
  request(1, { kind: "get", key: bytes("k000000000000001") }),
  request(2 ** 40, { kind: "get", key: bytes("a") }, { consistency: "bounded", maxStalenessMs: 250, deadlineMs: 1000 }),
  request(7, { kind: "get", key: new Uint8Array(limits.keySizeBytesMax).fill(9) }, { consistency: "eventual" }),
  request(8, { kind: "get", key: bytes("orders/u1/o9") }, { shard: 17, shardEpoch: 4 }),
];

describe("get request reader", () => {
  test("reads gets as the general path does and leaves other requests to it", () => {
    for (const get of gets) {
      const frame = envelopeBytes(get);
      expect(readGetRequest(frame, limits)).toEqual(decodeAnyRequest(frame, limits));
      expect(readGetRequest(frame, limits)).toEqual(get);
    }
    const others = sampleRequests().filter((sample) =>
      sample.body.kind !== "get" || sample.trace !== null || sample.sessionId !== null);
    for (const other of others) {
      expect(readGetRequest(envelopeBytes(other), limits)).toBeNull();
    }
  });

  test("an empty or oversized key is left to the general path, which rejects it", () => {
    const empty = envelopeBytes(request(3, { kind: "get", key: new Uint8Array(0) }));
    expect(readGetRequest(empty, limits)).toBeNull();
    expect(outcome(() => decodeRequest(empty, limits))).toMatchObject({ status: "INVALID_REQUEST", requestId: 3 });
    const oversized = envelopeBytes(request(4, { kind: "get", key: new Uint8Array(limits.keySizeBytesMax + 1) }));
    expect(readGetRequest(oversized, limits)).toBeNull();
    expect(outcome(() => decodeRequest(oversized, limits))).toMatchObject({ status: "TOO_LARGE", requestId: 4 });
  });

  test("every one-byte change and every truncation of a get is decoded as by the general path alone", () => {
    let compared = 0;
    for (const get of [gets[0]!, gets[1]!, gets[3]!]) {
      const variants = truncatedAndChangedVariants(envelopeBytes(get), [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff], 0x08);
      for (const variant of variants) {
        expect(outcome(() => decodeRequest(variant, limits))).toEqual(outcome(() => decodeAnyRequest(variant, limits)));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
  });
});
