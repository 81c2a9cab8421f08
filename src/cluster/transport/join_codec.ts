/**
 * The join exchange's two frames (schemas/filestore.fbs, JoinRequest and JoinAnswer), as peer
 * frames: u32 little-endian length + FlatBuffers Envelope. A joining node sends one JoinRequest
 * as the first frame of a connection to a member's peer port; the member writes back one
 * JoinAnswer and closes (inbound_connection.ts; the conversation: src/cluster/node/cluster_join.ts).
 *
 * Validity: the frame verifies against its rule (peer_schema_rules.ts) before any field is read,
 * then every field is checked: a request needs its cluster id, a nonzero node id, a name of at
 * most nodeNameCharactersMax and a peer address of at most addressCharactersMax characters; an
 * answer a known kind, an Accepted one 1 to metaVotersMax members each with a nonzero id and a
 * peer address, a Redirect one a leader address. Anything else is a PeerFrameError, never a
 * half-decoded request. Both frames are small: a request is bounded like a hello
 * (helloFrameBytesMax, checked on the length prefix), an answer by joinAnswerFrameBytesMax.
 */
import * as flatbuffers from "flatbuffers";
import {
  Body, Envelope, JoinAnswer as JoinAnswerTable, JoinAnswerKind, JoinMember as JoinMemberTable,
  JoinRequest as JoinRequestTable,
} from "../../../schemas/generated/filestore_generated";
import { addressCharactersMax, metaVotersMax, nodeNameCharactersMax } from "../meta/coordinator_limits.ts";
import type { NodeId } from "../raft/types.ts";
import { VerificationError, verifyRoot, type TableRule } from "../../wire/verify.ts";
import { ReusableByteBuffer } from "../../wire/reusable_byte_buffer.ts";
import { unreachable } from "../../util/assert.ts";
import { finishEnvelope } from "./envelope_frame.ts";
import { PeerFrameError } from "./peer_frame_error.ts";
import { joinAnswerEnvelopeRule } from "./peer_schema_rules.ts";

/**
 * Largest answer frame a joining node reads: metaVotersMax members of about 300 bytes (an
 * address of addressCharactersMax and a table), a reason of joinReasonCharactersMax, a code, an
 * address, the Envelope; 4 KiB holds all of it with room to spare.
 */
export const joinAnswerFrameBytesMax = 4096;
/** A reason is one line for an error message; longer ones are cut when encoded. */
const joinReasonCharactersMax = 1024;
/** A refusal code is one word (NODE_CONFLICT). */
const joinCodeCharactersMax = 32;

export interface JoinRequest {
  protocolVersion: number;
  clusterId: string;
  nodeId: NodeId;
  name: string;
  peerAddress: string;
}

/** A voter of the coordinator's group and its peer address. */
export interface JoinMember {
  nodeId: NodeId;
  peerAddress: string;
}

export type JoinAnswer =
  | { kind: "accepted"; members: JoinMember[] }
  | { kind: "redirect"; leaderPeer: string; reason: string }
  | { kind: "notReady"; reason: string }
  | { kind: "refused"; code: string; reason: string };

export function encodeJoinRequestFrame(builder: flatbuffers.Builder, request: JoinRequest): Uint8Array {
  builder.clear();
  const clusterId = builder.createString(request.clusterId);
  const name = builder.createString(request.name);
  const peerAddress = builder.createString(request.peerAddress);
  const body = JoinRequestTable.createJoinRequest(
    builder, request.protocolVersion, clusterId, request.nodeId, name, peerAddress);
  return finishEnvelope(builder, Body.JoinRequest, body);
}

export function encodeJoinAnswerFrame(builder: flatbuffers.Builder, answer: JoinAnswer): Uint8Array {
  builder.clear();
  const reason = answer.kind === "accepted" ? 0 : builder.createString(answer.reason.slice(0, joinReasonCharactersMax));
  const code = answer.kind === "refused" ? builder.createString(answer.code.slice(0, joinCodeCharactersMax)) : 0;
  const leaderPeer = answer.kind === "redirect" ? builder.createString(answer.leaderPeer) : 0;
  let members = 0;
  if (answer.kind === "accepted") {
    const tables = answer.members.map((member) =>
      JoinMemberTable.createJoinMember(builder, member.nodeId, builder.createString(member.peerAddress)));
    members = JoinAnswerTable.createMembersVector(builder, tables);
  }
  const body = JoinAnswerTable.createJoinAnswer(builder, answerKinds[answer.kind], code, reason, leaderPeer, members);
  return finishEnvelope(builder, Body.JoinAnswer, body);
}

const answerKinds: Record<JoinAnswer["kind"], JoinAnswerKind> = {
  accepted: JoinAnswerKind.Accepted,
  redirect: JoinAnswerKind.Redirect,
  notReady: JoinAnswerKind.NotReady,
  refused: JoinAnswerKind.Refused,
};

/** The request of a verified Envelope whose body is a JoinRequest (peer_codec.ts verified it). */
export function decodeJoinRequest(envelope: Envelope): JoinRequest {
  const table = envelope.body(new JoinRequestTable()) as JoinRequestTable;
  const clusterId = table.clusterId() ?? "";
  const name = table.name() ?? "";
  const peerAddress = table.peerAddress() ?? "";
  const nodeId = table.nodeId();
  if (clusterId.length === 0) throw malformed("a join request without a cluster id");
  if (nodeId === 0) throw malformed("a join request without a node id");
  if (name.length === 0 || name.length > nodeNameCharactersMax) {
    throw malformed("a join request's name is empty or too long");
  }
  if (peerAddress.length === 0 || peerAddress.length > addressCharactersMax) {
    throw malformed("a join request's peer address is empty or too long");
  }
  return { protocolVersion: table.protocolVersion(), clusterId, nodeId, name, peerAddress };
}

/** The answer a frame holds; PeerFrameError when the frame is not a valid JoinAnswer. */
export function decodeJoinAnswerFrame(frame: Uint8Array): JoinAnswer {
  const envelope = verifiedEnvelope(frame, joinAnswerEnvelopeRule);
  if (envelope.bodyType() !== Body.JoinAnswer) {
    throw new PeerFrameError("clientProtocol", `body type ${envelope.bodyType()} is not a join answer`);
  }
  const table = envelope.body(new JoinAnswerTable()) as JoinAnswerTable;
  const reason = table.reason() ?? "";
  const kind = table.kind();
  switch (kind) {
    case JoinAnswerKind.Accepted:
      return { kind: "accepted", members: decodeMembers(table) };
    case JoinAnswerKind.Redirect: {
      const leaderPeer = table.leaderPeer() ?? "";
      if (leaderPeer.length === 0 || leaderPeer.length > addressCharactersMax) {
        throw malformed("a redirect without a leader");
      }
      return { kind: "redirect", leaderPeer, reason };
    }
    case JoinAnswerKind.NotReady:
      return { kind: "notReady", reason };
    case JoinAnswerKind.Refused:
      return { kind: "refused", code: table.code() ?? "", reason };
    default:
      throw malformed(`a join answer of unknown kind ${kind as number}`);
  }
}

function decodeMembers(table: JoinAnswerTable): JoinMember[] {
  const count = table.membersLength();
  if (count === 0 || count > metaVotersMax) throw malformed(`an accepted join with ${count} members`);
  const members: JoinMember[] = [];
  for (let index = 0; index < count; index++) {
    const member = table.members(index)!;
    const peerAddress = member.peerAddress() ?? "";
    if (member.nodeId() === 0 || peerAddress.length === 0 || peerAddress.length > addressCharactersMax) {
      throw malformed("a join answer's member without an id or a peer address");
    }
    members.push({ nodeId: member.nodeId(), peerAddress });
  }
  return members;
}

const sharedByteBuffer = new ReusableByteBuffer();

function verifiedEnvelope(frame: Uint8Array, rule: TableRule): Envelope {
  try {
    verifyRoot(frame, rule, { tablesPerVectorMax: metaVotersMax });
  } catch (error) {
    if (error instanceof VerificationError) throw malformed(error.message);
    throw error;
  }
  return Envelope.getRootAsEnvelope(sharedByteBuffer.over(frame));
}

function malformed(message: string): PeerFrameError {
  return new PeerFrameError("malformedFrame", message);
}

/** The kind's name as it reads in a log line. */
export function joinAnswerText(answer: JoinAnswer): string {
  switch (answer.kind) {
    case "accepted":
      return `accepted (coordinator voters: ${answer.members.map((member) => member.peerAddress).join(", ")})`;
    case "redirect":
      return `ask the coordinator's leader at ${answer.leaderPeer}`;
    case "notReady":
      return `not ready: ${answer.reason}`;
    case "refused":
      return `refused ${answer.code}: ${answer.reason}`;
    default:
      return unreachable(answer, "join answer");
  }
}
