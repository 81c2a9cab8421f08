/**
 * A verified PeerMessage -> the core's Message. Verification (peer_codec.ts) guarantees every
 * field lies inside the frame; this checks what it means: node ids nonzero, indexes and terms
 * non-negative integers below 2^53, entries well formed, membership well formed. Anything else
 * is a PeerFrameError("malformedFrame"), so the core only ever sees valid messages.
 */
import {
  PeerMessage, RaftAppendRequest, RaftAppendResponse, RaftEntryBytes, RaftHeartbeatRequest, RaftHeartbeatResponse,
  RaftMessage, RaftSnapshotChunk, RaftSnapshotChunkResponse, RaftVoteRequest, RaftVoteResponse,
} from "../../../schemas/generated/filestore_generated";
import { decodeConfState } from "../raft/config_entry.ts";
import type { ConfState, Entry, Message } from "../raft/types.ts";
import { decodeEntry, EntryFormatError } from "../storage/raft_entry_format.ts";
import { PeerFrameError } from "./peer_frame_error.ts";

const membershipWordBytes = 4;

function malformed(reason: string): never {
  throw new PeerFrameError("malformedFrame", reason);
}

/** `value` when it is a non-negative integer below 2^53. */
function count(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0) malformed(`${what} ${value} is not a non-negative integer`);
  return value;
}

export function decodeRaftMessage(peerMessage: PeerMessage): Message {
  const from = peerMessage.from();
  const to = peerMessage.to();
  if (from === 0 || to === 0) malformed("message without a sender or receiver");
  const envelope = { from, to, term: count(peerMessage.term(), "term") };
  switch (peerMessage.messageType()) {
    case RaftMessage.RaftVoteRequest: {
      const body = peerMessage.message(new RaftVoteRequest()) as RaftVoteRequest;
      const type = body.preVote() ? "preVote" : "vote";
      return { ...envelope, type, lastIndex: count(body.lastIndex(), "last index"), lastTerm: count(body.lastTerm(), "last term"), leadershipTransfer: body.leadershipTransfer() };
    }
    case RaftMessage.RaftVoteResponse: {
      const body = peerMessage.message(new RaftVoteResponse()) as RaftVoteResponse;
      return { ...envelope, type: body.preVote() ? "preVoteResponse" : "voteResponse", reject: body.reject() };
    }
    case RaftMessage.RaftAppendRequest:
      return decodeAppend(envelope, peerMessage.message(new RaftAppendRequest()) as RaftAppendRequest);
    case RaftMessage.RaftAppendResponse: {
      const body = peerMessage.message(new RaftAppendResponse()) as RaftAppendResponse;
      return {
        ...envelope, type: "appendResponse", reject: body.reject(), index: count(body.index(), "index"),
        hintIndex: count(body.hintIndex(), "hint index"), hintTerm: count(body.hintTerm(), "hint term"),
      };
    }
    case RaftMessage.RaftHeartbeatRequest: {
      const body = peerMessage.message(new RaftHeartbeatRequest()) as RaftHeartbeatRequest;
      const commit = count(body.commit(), "commit");
      const round = count(body.round(), "round");
      const heartbeat = { type: "heartbeat", commit, context: body.contextArray(), round } as const;
      // `quiesce` is left out when false, as the core's messages leave it out.
      return body.quiesce() ? { ...envelope, ...heartbeat, quiesce: true } : { ...envelope, ...heartbeat };
    }
    case RaftMessage.RaftHeartbeatResponse: {
      const body = peerMessage.message(new RaftHeartbeatResponse()) as RaftHeartbeatResponse;
      return { ...envelope, type: "heartbeatResponse", context: body.contextArray(), round: count(body.round(), "round") };
    }
    case RaftMessage.RaftSnapshotChunk:
      return decodeSnapshotChunk(envelope, peerMessage.message(new RaftSnapshotChunk()) as RaftSnapshotChunk);
    case RaftMessage.RaftSnapshotChunkResponse: {
      const body = peerMessage.message(new RaftSnapshotChunkResponse()) as RaftSnapshotChunkResponse;
      return { ...envelope, type: "snapshotResponse", snapshotIndex: count(body.snapshotIndex(), "snapshot index"), receivedBytes: count(body.receivedBytes(), "received bytes") };
    }
    case RaftMessage.RaftTimeoutNow:
      return { ...envelope, type: "timeoutNow" };
    default:
      return malformed(`unknown raft message type ${peerMessage.messageType()}`);
  }
}

type Envelope = { from: number; to: number; term: number };

function decodeAppend(envelope: Envelope, body: RaftAppendRequest): Message {
  const prevIndex = count(body.prevIndex(), "previous index");
  const entries: Entry[] = [];
  const holder = new RaftEntryBytes();
  const length = body.entriesLength();
  for (let position = 0; position < length; position++) {
    const encoded = body.entries(position, holder)!.encodedArray()!;
    try {
      entries.push(decodeEntry(prevIndex + position + 1, encoded));
    } catch (error) {
      if (error instanceof EntryFormatError) malformed(error.message);
      throw error;
    }
  }
  count(prevIndex + length, "last entry index");
  return { ...envelope, type: "append", prevIndex, prevTerm: count(body.prevTerm(), "previous term"), entries, commit: count(body.commit(), "commit") };
}

function decodeSnapshotChunk(envelope: Envelope, body: RaftSnapshotChunk): Message {
  const metadata = { index: count(body.index(), "snapshot index"), term: count(body.term(), "snapshot term"), confState: decodeMembership(body.membershipArray()!) };
  return {
    ...envelope, type: "snapshot", metadata, offset: count(body.offset(), "offset"), chunk: body.chunkArray()!,
    done: body.done(), totalBytes: count(body.totalBytes(), "total bytes"),
  };
}

/** Checks the layout decodeConfState asserts on, so a peer's bytes can never trip an assertion. */
function decodeMembership(bytes: Uint8Array): ConfState {
  if (bytes.length % membershipWordBytes !== 0 || bytes.length < 2 * membershipWordBytes) malformed("membership of a bad length");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const voters = view.getUint32(0, true);
  const learnersPosition = membershipWordBytes * (1 + voters);
  if (learnersPosition + membershipWordBytes > bytes.length) malformed("membership voters overrun it");
  const learners = view.getUint32(learnersPosition, true);
  if (learnersPosition + membershipWordBytes * (1 + learners) !== bytes.length) malformed("membership learners do not fill it");
  return decodeConfState(bytes);
}
