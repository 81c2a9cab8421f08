/**
 * One Raft node as a pure state machine (Ongaro's dissertation, chapters 3-6 and 9).
 * Inputs: tick(), step(message), and the leader's propose/readIndex/transfer/confChange.
 * Outputs accumulate in `outbox` (messages), `readStates` and the log; RawNode packs them
 * into a Ready. The role's behaviour lives in role_follower.ts / role_candidate.ts /
 * role_leader.ts: a role change swaps the `stepRole` and `tickRole` handlers.
 */
import { assert, fail } from "../../util/assert.ts";
import type { RaftConfig, UnsafeMutations } from "./config.ts";
import { ConfigHistory } from "./config_history.ts";
import { Progress } from "./progress.ts";
import type { RandomSource } from "./random.ts";
import { randomInteger } from "./random.ts";
import { RaftLog } from "./raft_log.ts";
import { ReadOnlyQueue } from "./read_only.ts";
import type { Storage } from "./storage.ts";
import type { ConfState, Entry, Message, NodeId, ReadState, Role, Snapshot } from "./types.ts";
import { noNode } from "./types.ts";
import type { SnapshotReceive } from "./snapshot_receive.ts";
import type { LeaderLease } from "./leader_lease.ts";

export interface RaftOptions {
  config: RaftConfig;
  storage: Storage;
  random: RandomSource;
  /** Test-only deliberate bugs for mutation checks of the simulator. */
  unsafeMutations?: UnsafeMutations;
}

/** A message as a role writes it: `send` fills in the sender and, unless given, the term. */
type Outgoing = Message extends infer Each
  ? Each extends Message
    ? Omit<Each, "from" | "term"> & { term?: number }
    : never
  : never;

export class Raft {
  readonly id: NodeId;
  readonly config: RaftConfig;
  readonly log: RaftLog;
  readonly random: RandomSource;
  readonly mutations: UnsafeMutations;
  term = 0;
  vote: NodeId = noNode;
  leader: NodeId = noNode;
  role: Role = "follower";
  readonly configs: ConfigHistory;
  readonly progress = new Map<NodeId, Progress>();
  readonly votes = new Map<NodeId, boolean>();
  electionElapsed = 0;
  heartbeatElapsed = 0;
  randomizedElectionTimeout = 0;
  leadTransferee: NodeId = noNode;
  readonly readOnly = new ReadOnlyQueue();
  /** ReadIndex requests held until the leader commits an entry of its term (§6.4 step 1). */
  readsAwaitingCommit: Uint8Array[] = [];
  outbox: Message[] = [];
  readStates: ReadState[] = [];
  /** The leader appended entries this turn: send appends when the Ready is built (batching). */
  appendBroadcastPending = false;
  /** Tell every follower the commit index this turn, even with no new entries. */
  commitBroadcastPending = false;
  /** The leader's commit index at its previous tick (commit_announce in role_leader.ts). */
  commitAtPreviousTick = 0;
  /** A ReadIndex request arrived: one heartbeat round when the Ready is built. */
  heartbeatBroadcastPending = false;
  snapshotReceive: SnapshotReceive | undefined = undefined;
  /**
   * The group went quiet (quiescence.ts): a quiet leader sends no heartbeats and a quiet follower
   * runs no election timer, until woken. Cleared by any role change.
   */
  quiesced = false;
  /** The leader's read lease when leaseReads is on (leader_lease.ts); undefined otherwise. */
  lease: LeaderLease | undefined = undefined;
  /**
   * With lease reads, a node that just started has forgotten whether it heard from a leader,
   * so it grants no vote for an election timeout, as if in a lease (leader_lease.ts).
   */
  startupQuiet: boolean;
  stepRole: (message: Message) => void = () => {};
  tickRole: () => void = () => {};

  constructor(options: RaftOptions) {
    this.id = options.config.id;
    this.config = options.config;
    this.random = options.random;
    this.mutations = options.unsafeMutations ?? {};
    this.log = new RaftLog(options.storage);
    this.startupQuiet = options.config.leaseReads;
    const { hardState, confState } = options.storage.initialState();
    this.configs = new ConfigHistory(this.log.applied, confState);
    this.loadConfigEntries(options.storage, this.log.applied + 1);
    if (hardState.term > 0 || hardState.commit > 0) {
      this.term = hardState.term;
      this.vote = this.mutations.forgetVoteOnRestart ? noNode : hardState.vote;
      this.log.commitTo(hardState.commit);
    }
    // The caller (RawNode) then enters the follower role: see roles.ts startRaft().
  }

  /** On restart, the newest configuration may be in log entries after the snapshot (§4.1). */
  private loadConfigEntries(storage: Storage, from: number): void {
    // Batches bound the memory of one read while scanning a long log.
    const scanBatchBytes = 4 * 1024 * 1024;
    let next = from;
    while (next <= storage.lastIndex()) {
      const batch = storage.entries(next, storage.lastIndex() + 1, scanBatchBytes);
      this.configs.recordAppend(batch.filter((entry) => entry.kind === "config"));
      next += batch.length;
    }
  }

  confState(): ConfState {
    return this.configs.current();
  }

  voters(): NodeId[] {
    return this.configs.current().voters;
  }

  /** Only a voter of its newest configuration campaigns (§4.1, §4.2.2). */
  promotable(): boolean {
    return this.voters().includes(this.id);
  }

  send(message: Outgoing): void {
    assert(message.to !== this.id, "send to self");
    // Completed in place, not copied: every caller passes a fresh object literal.
    const sent = message as Message;
    sent.from = this.id;
    sent.term = message.term ?? this.term;
    this.outbox.push(sent);
  }

  /** Common entry to the current term: clears per-term state (§3.3). */
  reset(term: number): void {
    if (term !== this.term) {
      if (term <= this.term) fail(`term moves backwards: ${this.term} -> ${term}`);
      this.term = term;
      this.vote = noNode;
      this.snapshotReceive = undefined;
    }
    this.leader = noNode;
    this.quiesced = false;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    const timeout = this.config.electionTimeoutTicks;
    this.randomizedElectionTimeout = randomInteger(this.random, timeout, 2 * timeout);
    this.votes.clear();
    this.leadTransferee = noNode;
    this.lease = undefined;
    this.readOnly.clear();
    this.readsAwaitingCommit = [];
    this.appendBroadcastPending = false;
    this.commitBroadcastPending = false;
    this.heartbeatBroadcastPending = false;
    this.resetProgress();
  }

  private resetProgress(): void {
    this.progress.clear();
    this.syncProgressWithConfig();
  }

  /** Keeps one Progress per member of the newest configuration. */
  syncProgressWithConfig(): void {
    const { voters, learners } = this.configs.current();
    const members = new Set([...voters, ...learners]);
    for (const node of [...this.progress.keys()]) {
      if (!members.has(node)) this.progress.delete(node);
    }
    for (const node of members) {
      const isLearner = !voters.includes(node);
      const existing = this.progress.get(node);
      if (existing !== undefined) {
        existing.isLearner = isLearner;
        continue;
      }
      const progress = new Progress(this.log.lastIndex() + 1, isLearner, this.config.inflightAppendsMax);
      // Our own copy counts towards commit only where durable (§10.2.1, raw_node.ts).
      if (node === this.id) progress.match = this.mutations.countLeaderBeforePersist ? this.log.lastIndex() : this.log.persistedLastIndex();
      this.progress.set(node, progress);
    }
    if (this.leadTransferee !== noNode && !voters.includes(this.leadTransferee)) this.leadTransferee = noNode;
  }

  /** Appends to our own log (as leader or follower) and tracks config entries in it. */
  appendToLog(entries: Entry[]): void {
    if (entries.length === 0) return;
    this.log.append(entries);
    this.recordAppended(entries);
  }

  recordAppended(entries: Entry[]): void {
    if (entries.length === 0) return;
    const newestBefore = this.configs.newestIndex();
    this.configs.recordAppend(entries);
    if (this.configs.newestIndex() !== newestBefore || entries.some((entry) => entry.kind === "config")) {
      this.syncProgressWithConfig();
    }
  }

  /** Installs a snapshot from the leader; false when our log already covers it (§5.2). */
  restore(snapshot: Snapshot): boolean {
    const { index, term, confState } = snapshot.metadata;
    if (index <= this.log.committed) return false;
    if (this.log.matchTerm(index, term)) {
      this.log.commitTo(index);
      return false;
    }
    this.log.restore(snapshot);
    this.configs.reset(index, confState);
    this.syncProgressWithConfig();
    return true;
  }

  committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

}
