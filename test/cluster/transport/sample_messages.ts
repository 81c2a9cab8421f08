/** Raft messages for the transport tests: one of every type, and heartbeats told apart by commit. */
import * as flatbuffers from "flatbuffers";
import type { Request } from "../../../src/net/messages.ts";
import { encodeRequest } from "../../../src/net/request_encoder.ts";
import type { Message } from "../../../src/cluster/raft/types.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

/** A heartbeat whose commit field tells messages apart. */
export function heartbeat(from: number, to: number, commit: number): Message {
  return { type: "heartbeat", from, to, term: 1, commit, context: null, round: 0 };
}

/** One message of every type (both vote flavours), from node 1 to node 2. */
export function sampleMessages(): Message[] {
  const envelope = { from: 1, to: 2, term: 7 };
  return [
    { ...envelope, type: "preVote", lastIndex: 10, lastTerm: 6, leadershipTransfer: false },
    { ...envelope, type: "vote", lastIndex: 12, lastTerm: 7, leadershipTransfer: true },
    { ...envelope, type: "preVoteResponse", reject: true },
    { ...envelope, type: "voteResponse", reject: false },
    {
      ...envelope, type: "append", prevIndex: 40, prevTerm: 6, commit: 39,
      entries: [
        { index: 41, term: 7, kind: "normal", data: bytes("put k1") },
        { index: 42, term: 7, kind: "config", data: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0]) },
        { index: 43, term: 7, kind: "normal", data: new Uint8Array(0) },
      ],
    },
    { ...envelope, type: "append", prevIndex: 43, prevTerm: 7, commit: 43, entries: [] },
    { ...envelope, type: "appendResponse", reject: true, index: 40, hintIndex: 38, hintTerm: 5 },
    { ...envelope, type: "heartbeat", commit: 43, context: bytes("read-1"), round: 17 },
    { ...envelope, type: "heartbeat", commit: 43, context: null, round: 0 },
    { ...envelope, type: "heartbeat", commit: 43, context: null, round: 0, quiesce: true },
    { ...envelope, type: "heartbeatResponse", context: new Uint8Array(0), round: 17 },
    {
      ...envelope, type: "snapshot", metadata: { index: 100, term: 6, confState: { voters: [1, 2, 3], learners: [4] } },
      offset: 4096, chunk: bytes("image bytes"), done: false, totalBytes: 9000,
    },
    { ...envelope, type: "snapshotResponse", snapshotIndex: 100, receivedBytes: 4107 },
    { ...envelope, type: "timeoutNow" },
  ];
}

/** A FileStore client's get request, as a frame with its length prefix (what a client sends to the peer port by mistake). */
export function clientGetFrame(): Uint8Array {
  const builder = new flatbuffers.Builder(256);
  const request: Request = {
    requestId: 1, trace: null, consistency: "strong", maxStalenessMs: 0, deadlineMs: 0,
    sessionId: null, sequence: 0, oldestPendingSequence: 0, shard: 0, shardEpoch: 0,
    body: { kind: "get", key: bytes("key") },
  };
  return encodeRequest(builder, request).slice();
}
