/**
 * The hand-laid get request is an ordinary FlatBuffer: the server's general decoder (whole
 * verification, then the generated code) and its one-pass reader both read back the request
 * that was written, whatever its consistency, bounds, id and key size. The server's layout
 * reader takes exactly these frames, and on every one-byte change and truncation of one the
 * server answers as the general decoder alone would.
 */
import { describe, expect, test } from "bun:test";
import { encodeGetRequest, isPlainGet, LaidOutGet, readLaidOutGet } from "../../src/net/get_request_layout";
import { readGetRequest } from "../../src/net/get_request_reader";
import { resolveLimits } from "../../src/net/limits";
import type { Request } from "../../src/net/messages";
import { decodeAnyRequest, decodeRequest } from "../../src/net/request_decoder";
import { bytes, decodeOutcome as outcome, envelopeBytes, request, sampleRequests, truncatedAndChangedVariants } from "./wire_fixtures";

const limits = resolveLimits();

/** What the server's layout reader makes of bytes[start, end), as a Request to compare; null when it leaves the frame to the general readers. */
function readLaidOutGetRequest(bytes: Uint8Array, start: number, end: number, keySizeBytesMax: number): Request | null {
  const get = new LaidOutGet();
  if (!readLaidOutGet(bytes, start, end, keySizeBytesMax, get)) return null;
  return {
    requestId: get.requestId, consistency: get.consistency, maxStalenessMs: get.maxStalenessMs, deadlineMs: get.deadlineMs,
    sessionId: null, sequence: get.sequence, oldestPendingSequence: 0, shard: get.shard, shardEpoch: get.shardEpoch,
    trace: null,
    body: { kind: "get", key: bytes.subarray(get.keyStart, end) },
  };
}

const gets: Request[] = [
  request(1, { kind: "get", key: bytes("k000000000000001") }),
  request(2 ** 53 - 1, { kind: "get", key: bytes("a") }, { consistency: "bounded", maxStalenessMs: 0xffff_ffff, deadlineMs: 1 }),
  request(123_456, { kind: "get", key: new Uint8Array(limits.keySizeBytesMax).fill(0xfe) }, { consistency: "eventual", deadlineMs: 0xffff_ffff }),
  request(5, { kind: "get", key: bytes("user/42") }, { sequence: 17 }),
  request(6, { kind: "get", key: bytes("orders/u1/o9") }, { shard: 0xffff_ffff, shardEpoch: 2 ** 53 - 1 }),
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
      expect(readLaidOutGetRequest(envelope, 0, envelope.length, limits.keySizeBytesMax)).toEqual(get);
    }
  });

  test("the layout reader leaves every other frame to the general readers", () => {
    for (const sample of sampleRequests()) {
      const envelope = envelopeBytes(sample);
      expect(readLaidOutGetRequest(envelope, 0, envelope.length, limits.keySizeBytesMax)).toBeNull();
    }
    const tooLong = encodeGetRequest(request(9, { kind: "get", key: new Uint8Array(limits.keySizeBytesMax + 1) }), new Uint8Array(limits.keySizeBytesMax + 1)).slice(4);
    expect(readLaidOutGetRequest(tooLong, 0, tooLong.length, limits.keySizeBytesMax)).toBeNull();
    expect(outcome(() => decodeAnyRequest(tooLong, limits))).toMatchObject({ status: "TOO_LARGE", requestId: 9 });
  });

  test("every one-byte change and truncation of a laid-out get, alone or inside a larger read, is read as by the general decoder", () => {
    let compared = 0;
    let takenByLayout = 0;
    const routed = request(7, { kind: "get", key: bytes("o/u/1") }, { shard: 3, shardEpoch: 12 });
    for (const get of [gets[0]!, gets[1]!, routed]) {
      const envelope = encodeGetRequest(get, (get.body as { key: Uint8Array }).key).slice(4);
      for (const variant of truncatedAndChangedVariants(envelope, [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff], 0x08)) {
        const expected = outcome(() => decodeAnyRequest(variant, limits));
        // Inside a larger read, as the server sees frames: bytes on both sides must not matter.
        const read = new Uint8Array(variant.length + 7).fill(0xaa);
        read.set(variant, 3);
        const laidOut = readLaidOutGetRequest(read, 3, 3 + variant.length, limits.keySizeBytesMax);
        if (laidOut !== null) takenByLayout++;
        expect(laidOut === null ? outcome(() => decodeRequest(variant, limits)) : { request: laidOut }).toEqual(expected);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
    // Changes to the variable fields (id, sequence, bounds, key bytes) keep the layout.
    expect(takenByLayout).toBeGreaterThan(100);
  });

  test("gets with a trace context or a session id, and other requests, are not plain gets; a routed get is", () => {
    const samples = sampleRequests();
    const notPlain = samples.filter((sample) =>
      sample.body.kind !== "get" || sample.trace !== null || sample.sessionId !== null);
    expect(notPlain.length).toBe(samples.length - 1);
    for (const sample of notPlain) expect(isPlainGet(sample)).toBe(false);
    const routings = samples.filter(isPlainGet).map((sample) => [sample.shard, sample.shardEpoch]);
    expect(routings).toEqual([[0xffff_ffff, 2 ** 53 - 1]]);
  });
});
