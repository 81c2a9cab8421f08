/**
 * Vocabulary of the Raft core: log entries, persistent state, messages between nodes and
 * the read states handed to the driver. Section numbers refer to Diego Ongaro's
 * dissertation "Consensus: Bridging Theory and Practice" (2014).
 *
 * Words: a Raft *commit* (an entry stored on a quorum) is not a 2PC decision; the Raft
 * *log* here is the sequence of entries, not a segment file of src/log/.
 */

/** Node ids are positive integers; 0 means "nobody" (no vote cast, no known leader). */
export type NodeId = number;
export const noNode: NodeId = 0;

/**
 * `normal` carries opaque client data (empty data: the no-op a new leader appends, §6.4).
 * `config` carries an encoded ConfState: the whole membership after the change (config_entry.ts).
 */
export type EntryKind = "normal" | "config";

export interface Entry {
  index: number;
  term: number;
  kind: EntryKind;
  data: Uint8Array;
}

/** What must be durable before any message of the same Ready leaves the node (§3.8). */
export interface HardState {
  term: number;
  /** The candidate this node voted for in `term`, or noNode. */
  vote: NodeId;
  commit: number;
}

/** Membership: voters count in every quorum; learners receive the log but never vote. */
export interface ConfState {
  voters: NodeId[];
  learners: NodeId[];
}

export interface SnapshotMetadata {
  index: number;
  term: number;
  /** Membership as of `index`. */
  confState: ConfState;
}

/** A state-machine image covering every entry up to metadata.index (§5). */
export interface Snapshot {
  metadata: SnapshotMetadata;
  data: Uint8Array;
}

/** A single-server membership change (§4.1); see conf_change.ts for why one at a time. */
export type ConfChange =
  | { kind: "addLearner"; node: NodeId }
  | { kind: "promoteLearner"; node: NodeId }
  | { kind: "removeNode"; node: NodeId };

export type Role = "follower" | "preCandidate" | "candidate" | "leader";

/** The answer to readIndex(context): reads at applied >= index are linearizable (§6.4). */
export interface ReadState {
  index: number;
  context: Uint8Array;
}

interface Envelope {
  from: NodeId;
  to: NodeId;
  /** Sender's term; for a pre-vote request and its grant, the term the candidate would take. */
  term: number;
}

export interface VoteRequest extends Envelope {
  type: "preVote" | "vote";
  lastIndex: number;
  lastTerm: number;
  /** Set when campaigning on TimeoutNow: voters then ignore their leader lease (§3.10). */
  leadershipTransfer: boolean;
}

interface VoteResponse extends Envelope {
  type: "preVoteResponse" | "voteResponse";
  reject: boolean;
}

export interface AppendRequest extends Envelope {
  type: "append";
  prevIndex: number;
  prevTerm: number;
  entries: Entry[];
  commit: number;
}

export interface AppendResponse extends Envelope {
  type: "appendResponse";
  reject: boolean;
  /** On success the last index now matching the leader; on reject the rejected prevIndex. */
  index: number;
  /** On reject: a guess of the last matching index and its term (fast backtracking, §5.3). */
  hintIndex: number;
  hintTerm: number;
}

export interface HeartbeatRequest extends Envelope {
  type: "heartbeat";
  commit: number;
  /** Context of the newest pending ReadIndex request, echoed back; null when none. */
  context: Uint8Array | null;
  /** The leader's heartbeat round, echoed back: dates the follower's lease (leader_lease.ts). */
  round: number;
  /**
   * True on a leader's last heartbeat before its group goes quiet (quiescence.ts): a follower that
   * holds everything the leader holds stops its election timer and does not answer. Absent: false.
   */
  quiesce?: boolean;
}

export interface HeartbeatResponse extends Envelope {
  type: "heartbeatResponse";
  context: Uint8Array | null;
  round: number;
}

/** One chunk of InstallSnapshot (§5.2 / Figure 5.3): chunks arrive in order, one in flight. */
export interface SnapshotChunk extends Envelope {
  type: "snapshot";
  metadata: SnapshotMetadata;
  offset: number;
  chunk: Uint8Array;
  done: boolean;
  totalBytes: number;
}

export interface SnapshotChunkResponse extends Envelope {
  type: "snapshotResponse";
  snapshotIndex: number;
  /** Bytes of that snapshot the follower holds contiguously: the offset to send next. */
  receivedBytes: number;
}

/** Leadership transfer (§3.10): the receiver campaigns at once. */
interface TimeoutNow extends Envelope {
  type: "timeoutNow";
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | SnapshotChunk
  | SnapshotChunkResponse
  | TimeoutNow;

/** Volatile facts for observers (metrics, routing, the simulator). */
export interface SoftState {
  leader: NodeId;
  role: Role;
}

export function hardStatesEqual(left: HardState, right: HardState): boolean {
  return left.term === right.term && left.vote === right.vote && left.commit === right.commit;
}
