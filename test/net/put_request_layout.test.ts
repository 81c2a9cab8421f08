/**
 * The hand-laid put request is an ordinary FlatBuffer: the server's general decoder (whole
 * verification, then the generated code) reads back the put that was written, whatever the
 * sizes of its session id, key and value (every padding case). The server's layout check takes
 * exactly these frames, and on every one-byte change and truncation of one the server answers
 * as the general decoder alone would.
 */
import { describe, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import { Envelope, PutRequest } from "../../schemas/generated/filestore_generated";
import { resolveLimits } from "../../src/net/limits";
import type { Request } from "../../src/net/messages";
import { encodePutFrame, readLaidOutPutRequest } from "../../src/net/put_request_layout";
import { decodeAnyRequest, decodeRequest } from "../../src/net/request_decoder";
import { bytes, decodeOutcome as outcome, envelopeBytes, request, sampleRequests, truncatedAndChangedVariants } from "./wire_fixtures";

const limits = resolveLimits({ keySizeBytesMax: 64, valueSizeBytesMax: 4096, frameSizeBytesMax: 64 * 1024 });

function put(requestId: number, sessionId: Uint8Array, key: Uint8Array, value: Uint8Array, extra: Partial<Request> = {}): Request {
  return request(requestId, { kind: "write", command: { op: "put", key, value } }, { sessionId, sequence: 5, oldestPendingSequence: 3, ...extra });
}

/** The envelope (no length prefix) of `put` laid out by hand. */
function laidOut(value: Request): Uint8Array {
  const command = (value.body as { command: { key: Uint8Array; value: Uint8Array } }).command;
  return encodePutFrame({ ...value, sessionId: value.sessionId!, key: command.key, value: command.value }).slice(4);
}

const filled = (length: number, seed: number) => new Uint8Array(length).map((_, index) => (index * 13 + seed) & 0xff);

describe("put request writer", () => {
  test("frames read back as the put written, through the general decoder, the generated code and the layout check", () => {
    let cases = 0;
    for (const sessionLength of [0, 1, 3, 33, limits.sessionIdBytesMax]) {
      for (const keyLength of [1, 2, 4, 16, limits.keySizeBytesMax]) {
        for (const valueLength of [0, 1, 5, 100, limits.valueSizeBytesMax]) {
          const written = put(2 ** 40 + cases, filled(sessionLength, 1), filled(keyLength, 2), filled(valueLength, 3), {
            consistency: "bounded", maxStalenessMs: 7, deadlineMs: 0xffff_ffff, sequence: 2 ** 53 - 1, oldestPendingSequence: 2 ** 52,
            ...(cases % 2 === 0 ? { shard: 0xffff_ffff - cases, shardEpoch: 2 ** 53 - 1 - cases } : {}),
          });
          const envelope = laidOut(written);
          expect(decodeAnyRequest(envelope, limits)).toEqual(written);
          expect(readLaidOutPutRequest(envelope, limits)).toEqual(written);
          const generated = Envelope.getRootAsEnvelope(new flatbuffers.ByteBuffer(envelope));
          const body = generated.body(new PutRequest()) as PutRequest;
          expect([generated.requestId(), body.keyArray(), body.valueArray()?.length ?? 0]).toEqual([written.requestId, filled(keyLength, 2), valueLength]);
          cases++;
        }
      }
    }
  });

  test("the layout check leaves every other frame, and puts past a limit, to the general decoder", () => {
    for (const sample of sampleRequests()) expect(readLaidOutPutRequest(envelopeBytes(sample), limits)).toBeNull();
    const tooLong = laidOut(put(9, bytes("s"), filled(limits.keySizeBytesMax + 1, 0), bytes("v")));
    expect(readLaidOutPutRequest(tooLong, limits)).toBeNull();
    expect(outcome(() => decodeRequest(tooLong, limits))).toMatchObject({ status: "TOO_LARGE", requestId: 9 });
    const emptyKey = laidOut(put(10, bytes("s"), new Uint8Array(0), bytes("v")));
    expect(outcome(() => decodeRequest(emptyKey, limits))).toMatchObject({ status: "INVALID_REQUEST", requestId: 10 });
    const oldestAboveSequence = laidOut(put(11, bytes("s"), bytes("k"), bytes("v"), { sequence: 2, oldestPendingSequence: 3 }));
    expect(readLaidOutPutRequest(oldestAboveSequence, limits)).toBeNull();
    expect(outcome(() => decodeRequest(oldestAboveSequence, limits))).toMatchObject({ status: "INVALID_REQUEST", requestId: 11 });
  });

  test("every one-byte change and truncation of a laid-out put is decoded as by the general decoder alone", () => {
    let compared = 0;
    let takenByLayout = 0;
    const puts = [
      put(77, bytes("session-id"), bytes("orders/u1/o17"), bytes("qty=5"), { shard: 12, shardEpoch: 3 }),
      put(78, new Uint8Array(0), bytes("k"), new Uint8Array(0)),
    ];
    for (const written of puts) {
      for (const variant of truncatedAndChangedVariants(laidOut(written), [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff], 0x08)) {
        if (readLaidOutPutRequest(variant, limits) !== null) takenByLayout++;
        expect(outcome(() => decodeRequest(variant, limits))).toEqual(outcome(() => decodeAnyRequest(variant, limits)));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(1000);
    // Changes to the fields, the key and the value keep the layout.
    expect(takenByLayout).toBeGreaterThan(100);
  });
});
