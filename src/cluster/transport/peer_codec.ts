/**
 * Raft messages <-> peer frames (u32 little-endian length + FlatBuffers Envelope whose body is
 * a PeerHello, a PeerMessage or a PeerRefusal, or a join exchange's JoinRequest (join_codec.ts);
 * schemas/filestore.fbs). Decoding verifies the
 * whole frame first (wire/verify.ts with peer_schema_rules.ts) and then checks every number it reads, so a
 * malformed frame is a PeerFrameError and never a half-decoded message. Entries of an append
 * are views over the frame: the caller hands in a frame nobody else will reuse.
 *
 * Protocol version 3 (PeerHello.protocol_version) tags every message with its group
 * (PeerMessage.group; 0, the default, is the single group of a node started without shards) and
 * every refusal with its kind, group and members; a NodeHeartbeat says the sending node is up
 * (node liveness), and a heartbeat may carry `quiesce` (the leader's last before its group goes
 * quiet). A node speaks one version and refuses a hello of another (peerProtocolVersion; version
 * 2 had neither node heartbeats nor `quiesce`, version 1 no group).
 */
import * as flatbuffers from "flatbuffers";
import {
  Body, Envelope, NodeHeartbeat as NodeHeartbeatTable, PeerHello, PeerMessage, PeerRefusal, PeerRefusalKind,
  RaftAppendRequest, RaftAppendResponse,
  RaftEntryBytes, RaftHeartbeatRequest, RaftHeartbeatResponse, RaftMessage, RaftSnapshotChunk,
  RaftSnapshotChunkResponse, RaftTimeoutNow, RaftVoteRequest, RaftVoteResponse,
} from "../../../schemas/generated/filestore_generated";
import { encodeEntry } from "../storage/raft_entry_format.ts";
import { encodeConfState } from "../raft/config_entry.ts";
import type { Message } from "../raft/types.ts";
import type { GroupId, MemberRefusal, NodeHeartbeat } from "./types.ts";
import { unreachable } from "../../util/assert.ts";
import { decodeRaftMessage } from "./peer_message_decoder.ts";
import { PeerFrameError } from "./peer_frame_error.ts";
import { peerEnvelopeRule } from "./peer_schema_rules.ts";
import { VerificationError, verifyRoot } from "../../wire/verify.ts";
import { ReusableByteBuffer } from "../../wire/reusable_byte_buffer.ts";
import { finishEnvelope } from "./envelope_frame.ts";
import { decodeJoinRequest, type JoinRequest } from "./join_codec.ts";

/** The peer protocol version this code speaks (PeerHello.protocol_version; see the head comment). */
export const peerProtocolVersion = 3;

/*
 * Bounds on a frame's size, for the Raft sizes that must fit one peer frame (cluster_limits.ts
 * asserts them at load; test/cluster/transport/peer_codec.test.ts encodes the largest cases and
 * checks them against these). Measured: about 180 bytes around any message, about 28 per entry.
 */
/**
 * Length prefix, Envelope, PeerMessage (with its group) and Raft message tables with every fixed
 * field, vtables, alignment.
 */
const messageFrameBytesMax = 256;
/** Per entry of an append, beyond its data: its 9-byte header, table, vector length, alignment, slot in the vector. */
const entryFrameBytesMax = 40;
/** A snapshot chunk repeats the membership: a count of voters, one of learners, then one word per member. */
const membershipWordBytes = 4;

/** The largest frame of an append of at most `entriesMax` entries whose data adds up to at most `entryDataBytesMax`. */
export function appendFrameBytesMax(entryDataBytesMax: number, entriesMax: number): number {
  return messageFrameBytesMax + entryDataBytesMax + entriesMax * entryFrameBytesMax;
}

/** The largest frame of a snapshot chunk of at most `chunkBytes` in a group of at most `membersMax` members. */
export function snapshotFrameBytesMax(chunkBytes: number, membersMax: number): number {
  return messageFrameBytesMax + chunkBytes + (2 + membersMax) * membershipWordBytes;
}
/** Decoding reads every field eagerly (entries are views of the frame, not of this buffer). */
const sharedByteBuffer = new ReusableByteBuffer();

/**
 * Entries one append frame may carry. The core caps a message at appendEntriesCountMax
 * (4096 by default, at most 1,000,000 by its validator); this bound sits at that maximum so
 * any valid configuration passes while the verifier never walks an unbounded vector.
 */
const peerEntriesPerFrameMax = 1_000_000;

type PeerFrame =
  | { kind: "hello"; clusterId: string; nodeId: number; protocolVersion: number }
  | { kind: "message"; group: GroupId; message: Message }
  /** The first and only frame of a join conversation (join_codec.ts). */
  | { kind: "joinRequest"; request: JoinRequest }
  /** A group's refusal of one of the refused node's replicas (PeerRefusalKind.NotMember). */
  | { kind: "refusal"; nodeId: number; refusal: MemberRefusal }
  /** The node's hello was refused for its protocol version. */
  | { kind: "versionRefusal"; nodeId: number; reason: string }
  /** Node liveness: the sending node (the hello's) is up. */
  | { kind: "nodeHeartbeat"; heartbeat: NodeHeartbeat };

export function encodeHelloFrame(builder: flatbuffers.Builder, clusterId: string, nodeId: number): Uint8Array {
  builder.clear();
  const cluster = builder.createString(clusterId);
  const hello = PeerHello.createPeerHello(builder, cluster, nodeId, peerProtocolVersion);
  return finishEnvelope(builder, Body.PeerHello, hello);
}

/** The refusal a node writes back to `node` about its replica of a group (see the schema). */
export function encodeRefusalFrame(builder: flatbuffers.Builder, node: number, refusal: MemberRefusal): Uint8Array {
  builder.clear();
  const text = builder.createString(refusal.reason);
  const { group, member, refusedBy, membershipIndex } = refusal;
  const body = PeerRefusal.createPeerRefusal(
    builder, node, membershipIndex, text, group, member, refusedBy, PeerRefusalKind.NotMember);
  return finishEnvelope(builder, Body.PeerRefusal, body);
}

/** The refusal a node writes back to `node` whose hello is of another protocol version, before it closes. */
export function encodeVersionRefusalFrame(builder: flatbuffers.Builder, node: number, reason: string): Uint8Array {
  builder.clear();
  const text = builder.createString(reason);
  const body = PeerRefusal.createPeerRefusal(builder, node, 0, text, 0, 0, 0, PeerRefusalKind.ProtocolVersion);
  return finishEnvelope(builder, Body.PeerRefusal, body);
}

/** One message of `group` as a complete frame (a fresh array, safe to keep after the builder is reused). */
export function encodeMessageFrame(builder: flatbuffers.Builder, group: GroupId, message: Message): Uint8Array {
  builder.clear();
  const [type, body] = encodeRaftMessage(builder, message);
  const peerMessage = PeerMessage.createPeerMessage(builder, message.from, message.to, message.term, type, body, group);
  return finishEnvelope(builder, Body.PeerMessage, peerMessage);
}

/** A node liveness heartbeat as a complete frame (a fresh array). */
export function encodeNodeHeartbeatFrame(builder: flatbuffers.Builder, heartbeat: NodeHeartbeat): Uint8Array {
  builder.clear();
  const body = NodeHeartbeatTable.createNodeHeartbeat(builder, heartbeat.diskStalled);
  return finishEnvelope(builder, Body.NodeHeartbeat, body);
}

function encodeRaftMessage(builder: flatbuffers.Builder, message: Message): [RaftMessage, number] {
  switch (message.type) {
    case "preVote":
    case "vote":
      return [RaftMessage.RaftVoteRequest, RaftVoteRequest.createRaftVoteRequest(
        builder, message.type === "preVote", message.lastIndex, message.lastTerm, message.leadershipTransfer)];
    case "preVoteResponse":
    case "voteResponse":
      return [RaftMessage.RaftVoteResponse, RaftVoteResponse.createRaftVoteResponse(builder, message.type === "preVoteResponse", message.reject)];
    case "append": {
      const entries = message.entries.map((entry) =>
        RaftEntryBytes.createRaftEntryBytes(builder, builder.createByteVector(encodeEntry(entry))));
      const vector = entries.length === 0 ? 0 : RaftAppendRequest.createEntriesVector(builder, entries);
      return [RaftMessage.RaftAppendRequest, RaftAppendRequest.createRaftAppendRequest(builder, message.prevIndex, message.prevTerm, message.commit, vector)];
    }
    case "appendResponse":
      return [RaftMessage.RaftAppendResponse, RaftAppendResponse.createRaftAppendResponse(
        builder, message.reject, message.index, message.hintIndex, message.hintTerm)];
    case "heartbeat": {
      const context = message.context === null ? 0 : builder.createByteVector(message.context);
      const quiesce = message.quiesce === true;
      return [RaftMessage.RaftHeartbeatRequest, RaftHeartbeatRequest.createRaftHeartbeatRequest(
        builder, message.commit, context, message.round, quiesce)];
    }
    case "heartbeatResponse": {
      const context = message.context === null ? 0 : builder.createByteVector(message.context);
      return [RaftMessage.RaftHeartbeatResponse, RaftHeartbeatResponse.createRaftHeartbeatResponse(builder, context, message.round)];
    }
    case "snapshot":
      return [RaftMessage.RaftSnapshotChunk, encodeSnapshotChunk(builder, message)];
    case "snapshotResponse":
      return [RaftMessage.RaftSnapshotChunkResponse, RaftSnapshotChunkResponse.createRaftSnapshotChunkResponse(
        builder, message.snapshotIndex, message.receivedBytes)];
    case "timeoutNow":
      return [RaftMessage.RaftTimeoutNow, RaftTimeoutNow.createRaftTimeoutNow(builder)];
    default:
      return unreachable(message, "unknown raft message");
  }
}

function encodeSnapshotChunk(builder: flatbuffers.Builder, message: Extract<Message, { type: "snapshot" }>): number {
  const membership = builder.createByteVector(encodeConfState(message.metadata.confState));
  const chunk = builder.createByteVector(message.chunk);
  const { index, term } = message.metadata;
  return RaftSnapshotChunk.createRaftSnapshotChunk(builder, index, term, membership, message.offset, chunk, message.done, message.totalBytes);
}

/** The frame's hello or message; PeerFrameError when it is not a valid peer frame. */
export function decodePeerFrame(frame: Uint8Array): PeerFrame {
  try {
    verifyRoot(frame, peerEnvelopeRule, { tablesPerVectorMax: peerEntriesPerFrameMax });
  } catch (error) {
    if (error instanceof VerificationError) throw new PeerFrameError("malformedFrame", error.message);
    throw error;
  }
  const envelope = Envelope.getRootAsEnvelope(sharedByteBuffer.over(frame));
  const bodyType = envelope.bodyType();
  if (bodyType === Body.PeerHello) return decodeHello(envelope.body(new PeerHello()) as PeerHello);
  if (bodyType === Body.PeerMessage) {
    const peerMessage = envelope.body(new PeerMessage()) as PeerMessage;
    return { kind: "message", group: peerMessage.group(), message: decodeRaftMessage(peerMessage) };
  }
  if (bodyType === Body.PeerRefusal) return decodeRefusal(envelope.body(new PeerRefusal()) as PeerRefusal);
  if (bodyType === Body.JoinRequest) return { kind: "joinRequest", request: decodeJoinRequest(envelope) };
  if (bodyType === Body.NodeHeartbeat) {
    const heartbeat = envelope.body(new NodeHeartbeatTable()) as NodeHeartbeatTable;
    return { kind: "nodeHeartbeat", heartbeat: { diskStalled: heartbeat.diskStalled() } };
  }
  throw new PeerFrameError("clientProtocol", `body type ${bodyType} is not a peer message`);
}

function decodeHello(hello: PeerHello): PeerFrame {
  const clusterId = hello.clusterId();
  if (clusterId === null || clusterId.length === 0) throw new PeerFrameError("malformedFrame", "hello without a cluster id");
  if (hello.nodeId() === 0) throw new PeerFrameError("malformedFrame", "hello without a node id");
  return { kind: "hello", clusterId, nodeId: hello.nodeId(), protocolVersion: hello.protocolVersion() };
}

function decodeRefusal(refusal: PeerRefusal): PeerFrame {
  const nodeId = refusal.nodeId();
  const reason = refusal.reason() ?? "";
  if (nodeId === 0) throw new PeerFrameError("malformedFrame", "refusal without a node id");
  const kind = refusal.kind();
  if (kind === PeerRefusalKind.ProtocolVersion) return { kind: "versionRefusal", nodeId, reason };
  if (kind !== PeerRefusalKind.NotMember) throw new PeerFrameError("malformedFrame", `refusal of unknown kind ${kind}`);
  const membershipIndex = refusal.membershipIndex();
  if (!Number.isSafeInteger(membershipIndex) || membershipIndex < 0) {
    throw new PeerFrameError("malformedFrame", "refusal with a bad membership index");
  }
  const member = refusal.member();
  const refusedBy = refusal.refusedBy();
  if (member === 0 || refusedBy === 0) throw new PeerFrameError("malformedFrame", "refusal without its members");
  return { kind: "refusal", nodeId, refusal: { group: refusal.group(), member, refusedBy, membershipIndex, reason } };
}
