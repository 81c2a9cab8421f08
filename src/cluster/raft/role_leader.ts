/**
 * The leader: replicates its log (§3.5) with per-follower flow control (progress.ts),
 * commits only entries of its own term by counting (§3.6.2), sends heartbeats, steps down
 * without a quorum (check-quorum, §6.2), streams snapshots to followers behind the
 * compacted log (§5.2), confirms ReadIndex rounds (§6.4) and hands over leadership (§3.10).
 */
import { assert } from "../../util/assert.ts";
import { lastEntry } from "./entries.ts";
import { CompactedError } from "./errors.ts";
import type { Progress } from "./progress.ts";
import { committedIndex, isQuorumActive } from "./quorum.ts";
import { LeaderLease, leaseDurationTicks } from "./leader_lease.ts";
import type { Raft } from "./raft.ts";
import { becomeFollower } from "./roles.ts";
import type { AppendResponse, Entry, HeartbeatResponse, Message, NodeId, SnapshotChunkResponse } from "./types.ts";
import { noNode } from "./types.ts";

/** §3.10: the target campaigns at once, past every lease: lease reads end for this term. */
export function sendTimeoutNow(raft: Raft, to: NodeId): void {
  raft.lease?.revoke();
  raft.send({ type: "timeoutNow", to });
}

export function becomeLeaderRole(raft: Raft): void {
  const leaseTicks = leaseDurationTicks(raft.config.electionTimeoutTicks, raft.config.clockDriftPercentMax);
  raft.lease = raft.config.leaseReads ? new LeaderLease(leaseTicks) : undefined;
  raft.stepRole = (message) => stepLeader(raft, message);
  raft.tickRole = () => tickLeader(raft);
  // §6.4 / §3.6.2: an empty entry of the new term lets the leader learn what is committed.
  appendEntries(raft, [{ index: 0, term: 0, kind: "normal", data: new Uint8Array(0) }]);
}

/** Appends new entries of the current term to the leader's log; sent when the Ready is built. */
export function appendEntries(raft: Raft, entries: Entry[]): { firstIndex: number; lastIndex: number } {
  assert(raft.role === "leader", "only the leader appends new entries");
  const firstIndex = raft.log.lastIndex() + 1;
  const stamped = entries.map((entry, offset) => ({ ...entry, index: firstIndex + offset, term: raft.term }));
  raft.appendToLog(stamped);
  const lastIndex = firstIndex + stamped.length - 1;
  // The leader's own copy counts once durable, in RawNode.advance() (§10.2.1): its appends
  // may leave before its own write, so counting it here could commit entries it may lose.
  if (raft.mutations.countLeaderBeforePersist) {
    raft.progress.get(raft.id)?.maybeUpdate(lastIndex);
    maybeCommit(raft);
  }
  raft.appendBroadcastPending = true;
  return { firstIndex, lastIndex };
}

function tickLeader(raft: Raft): void {
  raft.lease?.tick();
  raft.heartbeatElapsed++;
  raft.electionElapsed++;
  if (raft.electionElapsed >= raft.config.electionTimeoutTicks) {
    raft.electionElapsed = 0;
    if (raft.config.checkQuorum && !checkQuorumActive(raft)) {
      becomeFollower(raft, raft.term, noNode);
      return;
    }
    // A transfer that did not finish within an election timeout is abandoned (§3.10).
    raft.leadTransferee = noNode;
  }
  if (raft.heartbeatElapsed >= raft.config.heartbeatIntervalTicks) {
    raft.heartbeatElapsed = 0;
    broadcastHeartbeat(raft);
  }
  announceCommit(raft);
}

/**
 * Followers learn a new commit index from the next append or heartbeat they are sent. One that
 * got neither since the leader's previous tick, and so does not know the commit of then, gets
 * an empty append now: an idle follower applies within two ticks of the commit, while under
 * load (the next write's append follows within a tick) no message is sent for commit alone.
 * Sending one per commit doubled the messages, disk writes and replies per write.
 */
function announceCommit(raft: Raft): void {
  const committedThen = raft.commitAtPreviousTick;
  raft.commitAtPreviousTick = raft.log.committed;
  for (const [node, progress] of raft.progress) {
    if (node !== raft.id && progress.sentCommit < committedThen) sendAppend(raft, node, true);
  }
}

/** §6.2: true when a majority was heard from since the last round; starts a new round. */
function checkQuorumActive(raft: Raft): boolean {
  const active = isQuorumActive(raft.voters(), (node) => node === raft.id || raft.progress.get(node)?.recentActive === true);
  for (const [node, progress] of raft.progress) progress.recentActive = node === raft.id;
  return active;
}

function stepLeader(raft: Raft, message: Message): void {
  const progress = raft.progress.get(message.from);
  if (progress === undefined) return;
  switch (message.type) {
    case "appendResponse":
      progress.recentActive = true;
      handleAppendResponse(raft, progress, message);
      return;
    case "heartbeatResponse":
      progress.recentActive = true;
      handleHeartbeatResponse(raft, progress, message);
      return;
    case "snapshotResponse":
      progress.recentActive = true;
      handleSnapshotResponse(raft, progress, message);
      return;
    case "append":
    case "heartbeat":
    case "snapshot":
      assert(false, `two leaders in term ${raft.term}: ${raft.id} and ${message.from}`);
      return;
    default:
      return;
  }
}

function handleAppendResponse(raft: Raft, progress: Progress, response: AppendResponse): void {
  if (response.reject) {
    let probeFrom = response.hintIndex;
    if (response.hintTerm > 0) probeFrom = raft.log.findConflictByTerm(response.hintIndex, response.hintTerm);
    if (progress.maybeDecreaseTo(response.index, probeFrom)) {
      if (progress.state === "replicate") progress.becomeProbe();
      sendAppend(raft, response.from, true);
    }
    return;
  }
  const wasPaused = progress.isPaused();
  const learned = progress.maybeUpdate(response.index);
  if (!learned && !(progress.match === response.index && progress.state === "probe")) return;
  if (progress.state === "probe") {
    progress.becomeReplicate();
  } else if (progress.state === "snapshot") {
    const snapshotIndex = progress.snapshotTransfer?.snapshot.metadata.index ?? 0;
    if (progress.match >= snapshotIndex) {
      progress.becomeProbe();
      progress.becomeReplicate();
    }
  } else {
    progress.inflights.freeTo(response.index);
  }
  // A new commit index reaches the followers with the next append or heartbeat, or at the
  // latest from announceCommit on the tick after next: not in a message of its own per commit.
  maybeCommit(raft);
  if (wasPaused) sendAppend(raft, response.from, true);
  while (sendAppend(raft, response.from, false)) {}
  if (response.from === raft.leadTransferee && progress.match === raft.log.lastIndex()) sendTimeoutNow(raft, response.from);
}

function handleHeartbeatResponse(raft: Raft, progress: Progress, response: HeartbeatResponse): void {
  progress.probeSent = false;
  if (progress.heartbeatShowsStall(raft.config.replicateStallHeartbeats)) progress.becomeProbe();
  const transfer = progress.snapshotTransfer;
  if (progress.state === "snapshot" && transfer !== undefined && transfer.chunkInFlight) {
    // The chunk or its reply may be lost: resend from the last acknowledged offset.
    transfer.chunkInFlight = false;
    sendSnapshotChunk(raft, response.from, progress);
  }
  if (progress.match < raft.log.lastIndex()) sendAppend(raft, response.from, true);
  raft.lease?.acknowledge(response.from, response.round);
  if (response.context !== null) {
    raft.readStates.push(...raft.readOnly.acknowledge(response.from, response.context, raft.voters()));
  }
}

function handleSnapshotResponse(raft: Raft, progress: Progress, response: SnapshotChunkResponse): void {
  const transfer = progress.snapshotTransfer;
  if (progress.state !== "snapshot" || transfer === undefined) return;
  if (transfer.snapshot.metadata.index !== response.snapshotIndex) return;
  transfer.ackedBytes = response.receivedBytes;
  transfer.chunkInFlight = false;
  if (transfer.ackedBytes < transfer.snapshot.data.length || transfer.snapshot.data.length === 0) {
    sendSnapshotChunk(raft, response.from, progress);
  }
}

/**
 * §3.6.2: commit the largest index on a majority, but only when it is of the current term
 * (entries of earlier terms are committed indirectly). Returns whether commit moved.
 */
export function maybeCommit(raft: Raft): boolean {
  const candidate = committedIndex(raft.voters(), raft.progress);
  if (candidate <= raft.log.committed) return false;
  const ownTerm = raft.log.term(candidate) === raft.term;
  if (!ownTerm && !raft.mutations.commitPriorTermByCounting) return false;
  const hadCommittedInTerm = raft.committedInCurrentTerm();
  raft.log.commitTo(candidate);
  if (!hadCommittedInTerm && raft.committedInCurrentTerm()) releaseAwaitingReads(raft);
  return true;
}

/** Reads held until the first commit of the term now get their read index (§6.4 step 1). */
function releaseAwaitingReads(raft: Raft): void {
  const waiting = raft.readsAwaitingCommit;
  raft.readsAwaitingCommit = [];
  for (const context of waiting) startRead(raft, context);
}

export function startRead(raft: Raft, context: Uint8Array): void {
  if (raft.voters().length === 1 || raft.lease?.isValid(raft.voters(), raft.id) === true) {
    raft.readStates.push({ index: raft.log.committed, context });
    return;
  }
  raft.readOnly.add(raft.log.committed, context, raft.id);
  raft.heartbeatBroadcastPending = true;
}

/** Sends what the follower lacks; returns whether a message went out. */
export function sendAppend(raft: Raft, to: NodeId, sendIfEmpty: boolean): boolean {
  const progress = raft.progress.get(to);
  if (progress === undefined || to === raft.id || progress.isPaused()) return false;
  const prevIndex = progress.next - 1;
  const prevTerm = raft.log.term(prevIndex);
  let entries: Entry[] | undefined;
  try {
    const end = Math.min(raft.log.lastIndex() + 1, progress.next + raft.config.appendEntriesCountMax);
    entries = raft.log.slice(progress.next, end, raft.config.appendEntriesBytesMax);
  } catch (error) {
    if (!(error instanceof CompactedError)) throw error;
  }
  if (prevTerm === undefined || entries === undefined) {
    startSnapshotTransfer(raft, to, progress);
    return true;
  }
  if (entries.length === 0 && !sendIfEmpty) return false;
  raft.send({ type: "append", to, prevIndex, prevTerm, entries, commit: raft.log.committed });
  progress.sentCommit = Math.max(progress.sentCommit, raft.log.committed);
  progress.sentEntries(lastEntry(entries)?.index ?? prevIndex, entries.length);
  return true;
}

function startSnapshotTransfer(raft: Raft, to: NodeId, progress: Progress): void {
  const snapshot = raft.log.snapshot();
  assert(snapshot.metadata.index > 0, "entries are compacted, so a snapshot exists");
  progress.becomeSnapshot(snapshot);
  sendSnapshotChunk(raft, to, progress);
}

function sendSnapshotChunk(raft: Raft, to: NodeId, progress: Progress): void {
  const transfer = progress.snapshotTransfer;
  assert(transfer !== undefined, "snapshot chunk without a transfer");
  const data = transfer.snapshot.data;
  const offset = Math.min(transfer.ackedBytes, data.length);
  const chunk = data.subarray(offset, offset + raft.config.snapshotChunkBytes);
  const done = offset + chunk.length >= data.length;
  raft.send({ type: "snapshot", to, metadata: transfer.snapshot.metadata, offset, chunk, done, totalBytes: data.length });
  transfer.chunkInFlight = true;
}

function broadcastHeartbeat(raft: Raft): void {
  const context = raft.readOnly.newestContext();
  const round = raft.lease?.startRound() ?? 0;
  for (const [node, progress] of raft.progress) {
    if (node === raft.id) continue;
    // Never past what the follower is known to hold: its log may differ beyond `match`.
    const commit = Math.min(progress.match, raft.log.committed);
    raft.send({ type: "heartbeat", to: node, commit, context, round });
    progress.sentCommit = Math.max(progress.sentCommit, commit);
  }
}

/** Sends the appends, commit updates and heartbeats this turn asked for (batching per Ready). */
export function flushBroadcasts(raft: Raft): void {
  if (raft.role !== "leader") return;
  if (raft.appendBroadcastPending || raft.commitBroadcastPending) {
    const sendIfEmpty = raft.commitBroadcastPending;
    for (const node of raft.progress.keys()) {
      if (node === raft.id) continue;
      while (sendAppend(raft, node, sendIfEmpty) && raft.progress.get(node)?.state === "replicate") {
        if (raft.progress.get(node)?.next === raft.log.lastIndex() + 1) break;
      }
    }
  }
  if (raft.heartbeatBroadcastPending) broadcastHeartbeat(raft);
  raft.appendBroadcastPending = false;
  raft.commitBroadcastPending = false;
  raft.heartbeatBroadcastPending = false;
}
