/** Followers: accept the leader's appends, heartbeats and snapshots (§3.5, §5.2). */
import { quietOnHeartbeat } from "./quiescence.ts";
import type { Raft } from "./raft.ts";
import { campaign } from "./roles.ts";
import { acceptChunk } from "./snapshot_receive.ts";
import type { AppendRequest, HeartbeatRequest, Message, SnapshotChunk } from "./types.ts";

export function stepFollower(raft: Raft, message: Message): void {
  switch (message.type) {
    case "append":
      hearFromLeader(raft, message.from);
      handleAppend(raft, message);
      return;
    case "heartbeat":
      hearFromLeader(raft, message.from);
      handleHeartbeat(raft, message);
      return;
    case "snapshot":
      hearFromLeader(raft, message.from);
      handleSnapshotChunk(raft, message);
      return;
    case "timeoutNow":
      // §3.10: the leader asks us to take over; start a real election at once.
      campaign(raft, "transfer");
      return;
    default:
      return;
  }
}

function hearFromLeader(raft: Raft, leader: number): void {
  raft.electionElapsed = 0;
  raft.leader = leader;
}

/** Figure 3.1 AppendEntries receiver, with a conflict hint for fast backtracking (§5.3). */
function handleAppend(raft: Raft, request: AppendRequest): void {
  const log = raft.log;
  if (request.prevIndex < log.committed) {
    // Everything up to our commit index matches the leader already (Log Matching).
    raft.send({ type: "appendResponse", to: request.from, reject: false, index: log.committed, hintIndex: 0, hintTerm: 0 });
    return;
  }
  const appendResult = log.maybeAppend(request.prevIndex, request.prevTerm, request.entries);
  if (appendResult !== undefined) {
    raft.recordAppended(appendResult.appended);
    log.commitTo(Math.min(request.commit, appendResult.lastNew));
    raft.send({ type: "appendResponse", to: request.from, reject: false, index: appendResult.lastNew, hintIndex: 0, hintTerm: 0 });
    return;
  }
  const hintIndex = log.findConflictByTerm(Math.min(request.prevIndex, log.lastIndex()), request.prevTerm);
  const hintTerm = log.term(hintIndex) ?? 0;
  raft.send({ type: "appendResponse", to: request.from, reject: true, index: request.prevIndex, hintIndex, hintTerm });
}

function handleHeartbeat(raft: Raft, request: HeartbeatRequest): void {
  // The leader sends min(our match, its commit), so this never passes our log's end.
  raft.log.commitTo(request.commit);
  // A follower going quiet does not answer: the answer would wake its leader (quiescence.ts).
  if (quietOnHeartbeat(raft, request)) return;
  raft.send({ type: "heartbeatResponse", to: request.from, context: request.context, round: request.round });
}

function handleSnapshotChunk(raft: Raft, chunk: SnapshotChunk): void {
  const log = raft.log;
  if (chunk.metadata.index <= log.committed) {
    raft.snapshotReceive = undefined;
    raft.send({ type: "appendResponse", to: chunk.from, reject: false, index: log.committed, hintIndex: 0, hintTerm: 0 });
    return;
  }
  const { receive, outcome } = acceptChunk(raft.snapshotReceive, chunk);
  raft.snapshotReceive = receive;
  if (outcome.kind === "progress") {
    raft.send({ type: "snapshotResponse", to: chunk.from, snapshotIndex: chunk.metadata.index, receivedBytes: outcome.receivedBytes });
    return;
  }
  const restored = raft.restore({ metadata: chunk.metadata, data: outcome.data });
  const index = restored ? log.lastIndex() : log.committed;
  raft.send({ type: "appendResponse", to: chunk.from, reject: false, index, hintIndex: 0, hintTerm: 0 });
}
