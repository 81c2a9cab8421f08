/**
 * Peer frames: every Raft message (with its group, a heartbeat with its quiesce flag), the hello,
 * both kinds of refusal and the node heartbeat round-trip; bad frames (client requests, single
 * byte changes, truncation, refusals of an unknown kind or naming no member) are refused; and the
 * peer verifier's rules match the generated code.
 */
import { describe, expect, test } from "bun:test";
import * as flatbuffers from "flatbuffers";
import {
  Body, Envelope, PeerRefusal, type PeerRefusalKind,
} from "../../../schemas/generated/filestore_generated";
import {
  decodePeerFrame, encodeHelloFrame, encodeMessageFrame, encodeNodeHeartbeatFrame, encodeRefusalFrame,
  encodeVersionRefusalFrame, peerProtocolVersion,
} from "../../../src/cluster/transport/peer_codec.ts";
import { PeerFrameError } from "../../../src/cluster/transport/peer_frame_error.ts";
import { encodeEntry } from "../../../src/cluster/storage/raft_entry_format.ts";
import {
  nodeHeartbeatRule, peerEnvelopeRule, peerHelloRule, peerMessageRule, peerRefusalRule, raftMessageMembers,
} from "../../../src/cluster/transport/peer_schema_rules.ts";
import type { TableRule } from "../../../src/wire/verify.ts";
import { generatedSlots, ruleSlots } from "../../wire/generated_slots.ts";
import { clientGetFrame, sampleMessages } from "./sample_messages.ts";

const builder = new flatbuffers.Builder(1024);
const withoutPrefix = (frame: Uint8Array) => frame.subarray(4);
/** A group id with every byte set but one, so no field can hide at its default. */
const group = 0xfffffffe;

describe("peer frames", () => {
  for (const message of sampleMessages()) {
    test(`${message.type} round-trips with its group`, () => {
      const decoded = decodePeerFrame(withoutPrefix(encodeMessageFrame(builder, group, message)).slice());
      expect(decoded).toEqual({ kind: "message", group, message });
    });
  }

  test("group 0 (the single group) is the field's default: absent on the wire, read back as 0", () => {
    const message = sampleMessages()[0];
    const single = encodeMessageFrame(builder, 0, message);
    expect(decodePeerFrame(withoutPrefix(single).slice())).toEqual({ kind: "message", group: 0, message });
    expect(single.length).toBeLessThan(encodeMessageFrame(builder, group, message).length);
  });

  test("append entries travel as their stored encoding", () => {
    const message = sampleMessages().find((candidate) => candidate.type === "append")!;
    const decoded = decodePeerFrame(withoutPrefix(encodeMessageFrame(builder, group, message)).slice());
    if (decoded.kind !== "message" || decoded.message.type !== "append" || message.type !== "append") throw new Error("not an append");
    for (let position = 0; position < message.entries.length; position++) {
      expect(encodeEntry(decoded.message.entries[position])).toEqual(encodeEntry(message.entries[position]));
    }
  });

});

describe("peer frames: hello and refusals", () => {
  test("a hello round-trips", () => {
    expect(decodePeerFrame(withoutPrefix(encodeHelloFrame(builder, "cluster-a", 3)).slice())).toEqual({
      kind: "hello", clusterId: "cluster-a", nodeId: 3, protocolVersion: 3,
    });
    expect(peerProtocolVersion).toBe(3);
  });

  test("a node heartbeat round-trips, with and without a stalled disk; a message frame is not one", () => {
    for (const diskStalled of [false, true]) {
      const frame = withoutPrefix(encodeNodeHeartbeatFrame(builder, { diskStalled })).slice();
      expect(decodePeerFrame(frame)).toEqual({ kind: "nodeHeartbeat", heartbeat: { diskStalled } });
    }
    const message = decodePeerFrame(withoutPrefix(encodeMessageFrame(builder, group, sampleMessages()[0])).slice());
    expect(message.kind).toBe("message");
  });

  test("a member refusal round-trips with its group and members; one naming no node or no member is malformed", () => {
    const refusal = { group, member: 0xfffffff0, refusedBy: 7, membershipIndex: 17, reason: "not a member" };
    expect(decodePeerFrame(withoutPrefix(encodeRefusalFrame(builder, 2, refusal)).slice())).toEqual({
      kind: "refusal", nodeId: 2, refusal,
    });
    const malformed = [[0, refusal], [2, { ...refusal, member: 0 }], [2, { ...refusal, refusedBy: 0 }]] as const;
    for (const [node, bad] of malformed) {
      const error = catchError(() => decodePeerFrame(withoutPrefix(encodeRefusalFrame(builder, node, bad)).slice()));
      expect((error as PeerFrameError).reason).toBe("malformedFrame");
    }
  });

  test("a protocol version refusal round-trips; a refusal of an unknown kind is malformed", () => {
    expect(decodePeerFrame(withoutPrefix(encodeVersionRefusalFrame(builder, 2, "version 1 refused")).slice())).toEqual({
      kind: "versionRefusal", nodeId: 2, reason: "version 1 refused",
    });
    builder.clear();
    const unknownKind = 9 as PeerRefusalKind;
    const body = PeerRefusal.createPeerRefusal(builder, 2, 17, builder.createString("x"), 1, 2, 3, unknownKind);
    Envelope.startEnvelope(builder);
    Envelope.addBodyType(builder, Body.PeerRefusal);
    Envelope.addBody(builder, body);
    builder.finish(Envelope.endEnvelope(builder));
    const error = catchError(() => decodePeerFrame(builder.asUint8Array().slice()));
    expect((error as PeerFrameError).reason).toBe("malformedFrame");
  });

});

describe("peer frames: bad input", () => {
  test("a client request is refused as client protocol", () => {
    const frame = clientGetFrame();
    const error = catchError(() => decodePeerFrame(withoutPrefix(frame).slice()));
    expect(error).toBeInstanceOf(PeerFrameError);
    expect((error as PeerFrameError).reason).toBe("clientProtocol");
  });

  test("every one-byte change of a valid frame is refused as a typed error or decodes to a valid message", () => {
    for (const message of sampleMessages()) {
      const envelope = withoutPrefix(encodeMessageFrame(builder, group, message)).slice();
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
    const envelope = withoutPrefix(encodeMessageFrame(builder, group, sampleMessages()[0])).slice();
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
  const tables: TableRule[] = [
    peerHelloRule, peerMessageRule, peerRefusalRule, nodeHeartbeatRule, ...raftMessageMembers.values(),
  ];
  for (const member of raftMessageMembers.values()) for (const field of member.fields) if (field.kind === "tables") tables.push(field.table);
  for (const rule of tables) test(rule.name, () => expect(ruleSlots(rule.fields)).toEqual(generatedSlots(rule.name)));
  test("Envelope", () => expect(ruleSlots(peerEnvelopeRule.fields)).toEqual(generatedSlots("Envelope")));
});
