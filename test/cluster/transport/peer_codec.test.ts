/**
 * Peer frames: every Raft message and the hello round-trip, bad frames (client requests, single
 * byte changes, truncation) are refused, and the peer verifier's rules match the generated code.
 */
import { describe, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import {
  decodePeerFrame, encodeHelloFrame, encodeMessageFrame, encodeRefusalFrame,
} from "../../../src/cluster/transport/peer_codec.ts";
import { PeerFrameError } from "../../../src/cluster/transport/peer_frame_error.ts";
import { encodeEntry } from "../../../src/cluster/storage/raft_entry_format.ts";
import {
  peerEnvelopeRule, peerHelloRule, peerMessageRule, peerRefusalRule, raftMessageMembers,
} from "../../../src/cluster/transport/peer_schema_rules.ts";
import type { TableRule } from "../../../src/wire/verify.ts";
import { generatedSlots, ruleSlots } from "../../wire/generated_slots.ts";
import { clientGetFrame, sampleMessages } from "./sample_messages.ts";

const builder = new flatbuffers.Builder(1024);
const withoutPrefix = (frame: Uint8Array) => frame.subarray(4);

describe("peer frames", () => {
  for (const message of sampleMessages()) {
    test(`${message.type} round-trips`, () => {
      const decoded = decodePeerFrame(withoutPrefix(encodeMessageFrame(builder, message)).slice());
      expect(decoded).toEqual({ kind: "message", message });
    });
  }

  test("append entries travel as their stored encoding", () => {
    const message = sampleMessages().find((candidate) => candidate.type === "append")!;
    const decoded = decodePeerFrame(withoutPrefix(encodeMessageFrame(builder, message)).slice());
    if (decoded.kind !== "message" || decoded.message.type !== "append" || message.type !== "append") throw new Error("not an append");
    for (let position = 0; position < message.entries.length; position++) {
      expect(encodeEntry(decoded.message.entries[position])).toEqual(encodeEntry(message.entries[position]));
    }
  });

  test("a hello round-trips", () => {
    expect(decodePeerFrame(withoutPrefix(encodeHelloFrame(builder, "cluster-a", 3)).slice())).toEqual({
      kind: "hello", clusterId: "cluster-a", nodeId: 3, protocolVersion: 1,
    });
  });

  test("a refusal round-trips; one naming no node is malformed", () => {
    expect(decodePeerFrame(withoutPrefix(encodeRefusalFrame(builder, 2, 17, "not a member")).slice())).toEqual({
      kind: "refusal", nodeId: 2, membershipIndex: 17, reason: "not a member",
    });
    const error = catchError(() => decodePeerFrame(withoutPrefix(encodeRefusalFrame(builder, 0, 17, "x")).slice()));
    expect((error as PeerFrameError).reason).toBe("malformedFrame");
  });

  test("a client request is refused as client protocol", () => {
    const frame = clientGetFrame();
    const error = catchError(() => decodePeerFrame(withoutPrefix(frame).slice()));
    expect(error).toBeInstanceOf(PeerFrameError);
    expect((error as PeerFrameError).reason).toBe("clientProtocol");
  });

  test("every one-byte change of a valid frame is refused as a typed error or decodes to a valid message", () => {
    for (const message of sampleMessages()) {
      const envelope = withoutPrefix(encodeMessageFrame(builder, message)).slice();
      for (let position = 0; position < envelope.length; position++) {
        for (const flip of [0x01, 0x80, 0xff]) {
          const mutated = envelope.slice();
          mutated[position] ^= flip;
          const error = catchError(() => decodePeerFrame(mutated));
          if (error !== undefined) expect(error).toBeInstanceOf(PeerFrameError);
        }
      }
    }
  });

  test("truncated frames are refused as malformed", () => {
    const envelope = withoutPrefix(encodeMessageFrame(builder, sampleMessages()[0])).slice();
    for (let length = 0; length < envelope.length; length++) {
      const error = catchError(() => decodePeerFrame(envelope.slice(0, length)));
      if (error !== undefined) expect(error).toBeInstanceOf(PeerFrameError);
    }
    expect(catchError(() => decodePeerFrame(new Uint8Array(3)))).toBeInstanceOf(PeerFrameError);
  });
});

function catchError(work: () => unknown): unknown {
  try {
    work();
    return undefined;
  } catch (error) {
    return error;
  }
}

describe("peer verifier rules match the generated code", () => {
  const tables: TableRule[] = [peerHelloRule, peerMessageRule, peerRefusalRule, ...raftMessageMembers.values()];
  for (const member of raftMessageMembers.values()) for (const field of member.fields) if (field.kind === "tables") tables.push(field.table);
  for (const rule of tables) test(rule.name, () => expect(ruleSlots(rule.fields)).toEqual(generatedSlots(rule.name)));
  test("Envelope", () => expect(ruleSlots(peerEnvelopeRule.fields)).toEqual(generatedSlots("Envelope")));
});
