/**
 * The peer protocol's part of schemas/filestore.fbs transcribed for the verifier (same
 * conventions as wire/envelope_rules.ts: fields by slot, a union takes two slots). The peer port
 * verifies an Envelope whose body may only be a PeerHello, a PeerMessage, a NodeHeartbeat, a
 * JoinRequest or (on the way back to the dialing node) a PeerRefusal; a joining node, one whose
 * body is a JoinAnswer.
 * test/cluster/transport/peer_codec.test.ts checks these slots against the generated code.
 */
import { Body, RaftMessage } from "../../../schemas/generated/filestore_generated";
import { envelopeBodyField, envelopeContextFields, envelopeHeaderRule } from "../../wire/envelope_rules.ts";
import type { TableRule } from "../../wire/verify.ts";

const double = (slot: number) => ({ kind: "scalar", slot, sizeBytes: 8 }) as const;
const flag = (slot: number) => ({ kind: "scalar", slot, sizeBytes: 1 }) as const;
const word = (slot: number) => ({ kind: "scalar", slot, sizeBytes: 4 }) as const;
const optionalBytes = (slot: number) => ({ kind: "bytes", slot, required: false }) as const;
const requiredBytes = (slot: number) => ({ kind: "bytes", slot, required: true }) as const;

export const peerHelloRule: TableRule = {
  name: "PeerHello",
  fields: [{ kind: "string", slot: 0 }, word(1), word(2)],
};

export const peerRefusalRule: TableRule = {
  name: "PeerRefusal",
  fields: [word(0), double(1), { kind: "string", slot: 2 }, word(3), word(4), word(5), flag(6)],
};

const voteRequest: TableRule = { name: "RaftVoteRequest", fields: [flag(0), double(1), double(2), flag(3)] };
const voteResponse: TableRule = { name: "RaftVoteResponse", fields: [flag(0), flag(1)] };
const entryBytes: TableRule = { name: "RaftEntryBytes", fields: [requiredBytes(0)] };
const appendRequest: TableRule = {
  name: "RaftAppendRequest",
  fields: [double(0), double(1), double(2), { kind: "tables", slot: 3, required: false, table: entryBytes }],
};
const appendResponse: TableRule = { name: "RaftAppendResponse", fields: [flag(0), double(1), double(2), double(3)] };
const heartbeatRequest: TableRule = {
  name: "RaftHeartbeatRequest",
  fields: [double(0), optionalBytes(1), double(2), flag(3)],
};
const heartbeatResponse: TableRule = { name: "RaftHeartbeatResponse", fields: [optionalBytes(0), double(1)] };
const snapshotChunk: TableRule = {
  name: "RaftSnapshotChunk",
  fields: [double(0), double(1), requiredBytes(2), double(3), requiredBytes(4), flag(5), double(6)],
};
const snapshotChunkResponse: TableRule = { name: "RaftSnapshotChunkResponse", fields: [double(0), double(1)] };
const timeoutNow: TableRule = { name: "RaftTimeoutNow", fields: [] };

export const raftMessageMembers: ReadonlyMap<number, TableRule> = new Map([
  [RaftMessage.RaftVoteRequest, voteRequest],
  [RaftMessage.RaftVoteResponse, voteResponse],
  [RaftMessage.RaftAppendRequest, appendRequest],
  [RaftMessage.RaftAppendResponse, appendResponse],
  [RaftMessage.RaftHeartbeatRequest, heartbeatRequest],
  [RaftMessage.RaftHeartbeatResponse, heartbeatResponse],
  [RaftMessage.RaftSnapshotChunk, snapshotChunk],
  [RaftMessage.RaftSnapshotChunkResponse, snapshotChunkResponse],
  [RaftMessage.RaftTimeoutNow, timeoutNow],
]);

export const peerMessageRule: TableRule = {
  name: "PeerMessage",
  fields: [
    word(0),
    word(1),
    double(2),
    { kind: "union", typeSlot: 3, valueSlot: 4, members: raftMessageMembers },
    word(5),
  ],
};

export const joinRequestRule: TableRule = {
  name: "JoinRequest",
  fields: [word(0), { kind: "string", slot: 1 }, word(2), { kind: "string", slot: 3 }, { kind: "string", slot: 4 }],
};

export const joinMemberRule: TableRule = { name: "JoinMember", fields: [word(0), { kind: "string", slot: 1 }] };

export const joinAnswerRule: TableRule = {
  name: "JoinAnswer",
  fields: [
    flag(0),
    { kind: "string", slot: 1 },
    { kind: "string", slot: 2 },
    { kind: "string", slot: 3 },
    { kind: "tables", slot: 4, required: false, table: joinMemberRule },
  ],
};
export const nodeHeartbeatRule: TableRule = { name: "NodeHeartbeat", fields: [flag(0)] };

const peerBodyMembers: ReadonlyMap<number, TableRule> = new Map([
  [Body.PeerHello, peerHelloRule],
  [Body.PeerMessage, peerMessageRule],
  [Body.PeerRefusal, peerRefusalRule],
  [Body.JoinRequest, joinRequestRule],
  [Body.NodeHeartbeat, nodeHeartbeatRule],
]);

/** The whole Envelope as the peer port accepts it. */
export const peerEnvelopeRule: TableRule = {
  name: "Envelope",
  fields: [...envelopeHeaderRule.fields, ...envelopeContextFields, envelopeBodyField(peerBodyMembers)],
};

/** The Envelope a joining node accepts back on a join connection: a JoinAnswer alone (join_codec.ts). */
export const joinAnswerEnvelopeRule: TableRule = {
  name: "Envelope",
  fields: [
    ...envelopeHeaderRule.fields,
    ...envelopeContextFields,
    envelopeBodyField(new Map([[Body.JoinAnswer, joinAnswerRule]])),
  ],
};
