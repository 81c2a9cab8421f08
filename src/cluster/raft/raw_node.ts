/**
 * The driver's handle on a Raft node: the face of the Raft core. A driver (src/cluster/) owns
 * the I/O:
 *
 *   const node = new RawNode(makeRaftConfig(id), storage, seededRandom(seed));
 *   every tick interval: node.tick();
 *   on a peer message:   node.step(message);
 *   on a client write:   node.propose(data) / proposeBatch(list)  (leader only: NotLeaderError)
 *   on a linearizable read: node.readIndex(context), then serve it when applied >= readState.index
 *   each loop turn, while node.hasReady(): the Ready contract below.
 *
 * Design choices, each explained where it lives: single-server membership changes
 * (conf_change.ts), configuration = newest config entry in the log (config_history.ts),
 * messages released only by advance() (here), pre-vote + check-quorum + leader stickiness
 * (roles.ts), optional lease reads under a stated clock-drift bound (leader_lease.ts; off by
 * default: ReadIndex needs no clock assumption), quiescence of an idle group (quiescence.ts:
 * quiesce(), wake(); off unless the driver asks).
 *
 * The Ready contract:
 *
 *   const ready = node.ready();          // what this turn produced
 *   send ready.messagesBeforePersist;     // may leave at once (see below)
 *   persist ready.snapshot, ready.entries, then ready.hardState (in that order, durably);
 *   const messages = node.advance(ready); // only now: the other messages
 *   send messages; apply ready.committedEntries; serve ready.readStates.
 *
 * Committed entries already durable locally (committedDurableCount) may be applied before
 * the persist step. While the write runs, takeCommittedEntries() hands out entries that
 * commit meanwhile (a leader's followers acknowledged them), to apply at once, after all of
 * the outstanding Ready's committedEntries.
 *
 * Messages that depend on local durability are not on the Ready: advance() hands them
 * out, so a driver cannot send a vote or an acknowledgement before the state it depends on
 * is durable (§3.8). One Ready is outstanding at a time; the node may keep stepping
 * meanwhile (for an asynchronous fsync), and what it produces goes into the next Ready.
 *
 * The exception, `messagesBeforePersist` (§10.2.1, "the leader can write to its disk in
 * parallel"): a leader's appends and heartbeats in a Ready that persists no new term or vote.
 * The leader's own log copy then counts towards commit only once persisted (its progress moves
 * in advance(), see persistedLastIndex), so such a message carries entries that are merely in
 * the leader's memory and a commit index made of durable copies only: a crash before the
 * local write loses the entries on this node, which is as harmless as losing them in transit.
 * Everything else waits for persistence: votes and vote answers (a vote must be durable
 * before anyone relies on it), append and snapshot answers (they claim durable entries),
 * anything sent in a Ready whose term or vote is not yet durable (peers would learn a term
 * this node could forget), snapshot chunks and TimeoutNow (rare: no latency to gain).
 */
import { assert } from "../../util/assert.ts";
import type { RaftConfig, UnsafeMutations } from "./config.ts";
import { validateRaftConfig } from "./config.ts";
import { lastEntry } from "./entries.ts";
import * as leaderApi from "./leader_api.ts";
import type { RandomSource } from "./random.ts";
import type { Raft } from "./raft.ts";
import { checkMessage } from "./message_check.ts";
import { membersBehind, quiesce, stepQuiet, wake, type MemberAlive } from "./quiescence.ts";
import { flushBroadcasts, maybeCommit } from "./role_leader.ts";
import { startRaft, stepMessage } from "./roles.ts";
import type { Storage } from "./storage.ts";
import type { ConfChange, ConfState, Entry, HardState, Message, NodeId, ReadState, Snapshot, SoftState } from "./types.ts";
import { hardStatesEqual } from "./types.ts";

export interface Ready {
  /** Sequence number: advance() must receive the Ready most recently returned. */
  readonly sequence: number;
  readonly softState: SoftState;
  /** Present when term, vote or commit changed since the last persisted hard state. */
  readonly hardState: HardState | undefined;
  /** Entries to append to storage (replacing any stored from entries[0].index on). */
  readonly entries: Entry[];
  /** A snapshot from the leader to install, in storage and in the state machine. */
  readonly snapshot: Snapshot | undefined;
  /** Entries known committed, to apply in order after persisting this Ready. */
  readonly committedEntries: Entry[];
  /** Answers to readIndex(): serve each once the applied index reaches it. */
  readonly readStates: ReadState[];
  /** A leader's appends and heartbeats: the driver may send them before persisting (see above). */
  readonly messagesBeforePersist: readonly Message[];
}

interface OutstandingReady {
  ready: Ready;
  messages: Message[];
}

export interface NodeStatus {
  id: NodeId;
  term: number;
  vote: NodeId;
  commit: number;
  applied: number;
  lastIndex: number;
  firstIndex: number;
  softState: SoftState;
  confState: ConfState;
  leadTransferee: NodeId;
}

export class RawNode {
  private readonly raft: Raft;
  private persistedHardState: HardState;
  private outstanding: OutstandingReady | undefined = undefined;
  private sequence = 0;
  /** Last index handed to the driver to apply: by the outstanding Ready or by takeCommittedEntries(). */
  private handedOutThrough = 0;

  constructor(config: RaftConfig, storage: Storage, random: RandomSource, unsafeMutations?: UnsafeMutations) {
    validateRaftConfig(config);
    this.raft = startRaft({ config, storage, random, unsafeMutations });
    this.persistedHardState = storage.initialState().hardState;
  }

  /** A quiet node's time stands still (quiescence.ts): its ticks do nothing. */
  tick(): void {
    if (this.raft.quiesced) return;
    this.raft.tickRole();
  }

  /**
   * Feeds a peer's message; a malformed one throws InvalidMessageError and changes nothing. A
   * quiet node wakes for it, or drops it (quiescence.ts, stepQuiet).
   */
  step(message: Message): void {
    checkMessage(message, this.raft.id);
    if (!stepQuiet(this.raft, message)) return;
    stepMessage(this.raft, message);
  }

  propose(data: Uint8Array): leaderApi.ProposalPlacement {
    this.wakeLeader();
    return leaderApi.propose(this.raft, [data]);
  }

  /** Several proposals as consecutive entries: one append message per follower carries them. */
  proposeBatch(batch: Uint8Array[]): leaderApi.ProposalPlacement {
    this.wakeLeader();
    return leaderApi.propose(this.raft, batch);
  }

  /**
   * The largest proposal propose() and proposeBatch() take; a larger one refuses the whole
   * batch, so a driver leaves such a write out of a batch and refuses it alone.
   */
  get proposalBytesMax(): number {
    return this.raft.config.proposalBytesMax;
  }

  readIndex(context: Uint8Array): void {
    this.wakeLeader();
    leaderApi.readIndex(this.raft, context);
  }

  proposeConfChange(change: ConfChange): leaderApi.ProposalPlacement {
    this.wakeLeader();
    return leaderApi.proposeConfChange(this.raft, change);
  }

  transferLeadership(to: NodeId): void {
    this.wakeLeader();
    leaderApi.transferLeadership(this.raft, to);
  }

  /**
   * The leader goes quiet if nothing is in flight and every member on a live node holds its whole
   * log (quiescence.ts); the quiesce heartbeats are in the next Ready. Returns whether it did.
   */
  quiesce(isAlive: MemberAlive): boolean {
    return quiesce(this.raft, isAlive);
  }

  isQuiesced(): boolean {
    return this.raft.quiesced;
  }

  /** A leader's members that do not hold its whole log (a quiet leader's: those on nodes not alive). */
  membersBehind(): NodeId[] {
    return membersBehind(this.raft);
  }

  /**
   * Wakes a quiet node (quiescence.ts). A follower's election timer resumes at
   * `ticksSinceLeaderHeard`, which must not exceed the ticks since it last heard its leader or
   * its leader's node, and a follower woken by `cause`, a message about to be stepped that is not
   * from its leader, wakes its leader; a leader heartbeats at once.
   */
  wake(ticksSinceLeaderHeard: number, cause?: Message): void {
    wake(this.raft, ticksSinceLeaderHeard, cause);
  }

  /**
   * A leader steps down in its term, handing over to a caught-up voter on a live node if there is
   * one (leader_api.ts stepDown). For a node whose disk is stalled (it could not commit: its loop
   * waits for the write, and its heartbeats would keep its followers from electing a leader that
   * can) or whose replica of the group failed while the node lives on.
   */
  stepDown(isAlive: MemberAlive): void {
    leaderApi.stepDown(this.raft, isAlive);
  }

  /** A request at a quiet leader wakes it; at a follower it is refused as before. */
  private wakeLeader(): void {
    if (this.raft.role === "leader") wake(this.raft, 0);
  }

  /** Role and known leader now: a role change inside tick() (check-quorum) brings no Ready of its own. */
  softState(): SoftState {
    return { leader: this.raft.leader, role: this.raft.role };
  }

  /** Membership in force at an index in [snapshot index, last index]: for state-machine snapshots. */
  confStateAt(index: number): ConfState {
    return this.raft.configs.at(index);
  }

  status(): NodeStatus {
    const raft = this.raft;
    return {
      id: raft.id,
      term: raft.term,
      vote: raft.vote,
      commit: raft.log.committed,
      applied: raft.log.applied,
      lastIndex: raft.log.lastIndex(),
      firstIndex: raft.log.firstIndex(),
      softState: { leader: raft.leader, role: raft.role },
      confState: raft.confState(),
      leadTransferee: raft.leadTransferee,
    };
  }

  /** Term of the entry at `index` in this node's log (persisted or not), if held. */
  termAt(index: number): number | undefined {
    return this.raft.log.term(index);
  }

  hasReady(): boolean {
    const raft = this.raft;
    if (this.outstanding !== undefined) return false;
    if (raft.appendBroadcastPending || raft.commitBroadcastPending || raft.heartbeatBroadcastPending) return true;
    return (
      raft.outbox.length > 0 ||
      raft.readStates.length > 0 ||
      raft.log.unstable.entries.length > 0 ||
      raft.log.unstable.snapshot !== undefined ||
      raft.log.hasNextCommittedEntries() ||
      raft.term !== this.persistedHardState.term ||
      raft.vote !== this.persistedHardState.vote ||
      raft.log.committed !== this.persistedHardState.commit
    );
  }

  private currentHardState(): HardState {
    return { term: this.raft.term, vote: this.raft.vote, commit: this.raft.log.committed };
  }

  ready(): Ready {
    assert(this.outstanding === undefined, "ready() while the previous Ready is not advanced");
    const raft = this.raft;
    flushBroadcasts(raft);
    const current = this.currentHardState();
    const hardState = hardStatesEqual(current, this.persistedHardState) ? undefined : current;
    const snapshot = raft.log.unstable.snapshot;
    const { early, afterPersist } = splitOutbox(raft.outbox, hardState, this.persistedHardState);
    const ready: Ready = {
      sequence: ++this.sequence,
      softState: { leader: raft.leader, role: raft.role },
      hardState,
      entries: [...raft.log.unstable.entries],
      snapshot,
      committedEntries: snapshot === undefined ? raft.log.nextCommittedEntries(raft.config.committedEntriesBytesMax) : [],
      readStates: raft.readStates,
      messagesBeforePersist: early,
    };
    this.outstanding = { ready, messages: afterPersist };
    this.handedOutThrough = lastEntry(ready.committedEntries)?.index ?? raft.log.applied;
    raft.outbox = [];
    raft.readStates = [];
    return ready;
  }

  /**
   * While a Ready is outstanding (its write under way): the entries committed since it, or since
   * the last call, for the driver to apply now, after every entry of the Ready's own
   * committedEntries. They are committed, so a majority holds them durably: applying them before
   * this node's copy is durable is safe (a crash loses the local copy at most, and the leader
   * sends it again; the state machine skips what it already holds, key_value_start.ts). This is
   * what lets a leader answer once both followers acknowledged, while its own fdatasync is slow
   * (§10.2.1). None while a snapshot is outstanding or arrived meanwhile.
   */
  takeCommittedEntries(): Entry[] {
    const outstanding = this.outstanding;
    assert(outstanding !== undefined, "takeCommittedEntries() without an outstanding Ready");
    const log = this.raft.log;
    if (outstanding.ready.snapshot !== undefined || log.unstable.snapshot !== undefined) return [];
    const from = this.handedOutThrough + 1;
    if (log.committed < from || from < log.firstIndex()) return [];
    const entries = log.slice(from, log.committed + 1, this.raft.config.committedEntriesBytesMax);
    const last = lastEntry(entries);
    if (last !== undefined) this.handedOutThrough = last.index;
    return entries;
  }

  /** The driver persisted `ready`; returns the messages that may now be sent. */
  advance(ready: Ready): Message[] {
    const outstanding = this.outstanding;
    assert(outstanding !== undefined && outstanding.ready.sequence === ready.sequence, "advance() of a Ready not outstanding");
    this.outstanding = undefined;
    const log = this.raft.log;
    if (ready.snapshot !== undefined) {
      log.unstable.stableSnapshotTo(ready.snapshot.metadata.index);
      log.applied = Math.max(log.applied, ready.snapshot.metadata.index);
    }
    log.stableTo(ready.entries);
    if (ready.snapshot === undefined && this.handedOutThrough > log.applied) log.appliedTo(this.handedOutThrough);
    if (ready.hardState !== undefined) this.persistedHardState = ready.hardState;
    countOwnPersistedEntries(this.raft);
    // Keeps the config history as short as the log: older configurations are never asked for.
    this.raft.configs.forgetBefore(Math.min(log.applied, log.firstIndex() - 1));
    return outstanding.messages;
  }
}

/**
 * How many of `ready.committedEntries` (from the first) are already durable in local storage,
 * so a driver may apply them before persisting `ready` (they are committed, and a crash cannot
 * take them from this node either): those up to `storedLastIndex`, the last index the storage
 * holds durably (everything before this Ready), and below the first entry `ready` writes (it
 * may replace a stale suffix whose indexes the storage still holds). None with a snapshot.
 */
export function committedDurableCount(ready: Ready, storedLastIndex: number): number {
  if (ready.snapshot !== undefined) return 0;
  const firstWritten = ready.entries.length > 0 ? ready.entries[0]!.index : Infinity;
  const durableThrough = Math.min(storedLastIndex, firstWritten - 1);
  let count = 0;
  while (count < ready.committedEntries.length && ready.committedEntries[count]!.index <= durableThrough) count++;
  return count;
}

/**
 * Message types a leader may send before its own write is durable (§10.2.1). Only a leader
 * sends them (role_leader.ts); one that stepped down in the same term (check-quorum) sent
 * them as leader of a term already durable, so they may still leave early.
 */
const sendableBeforePersist: ReadonlySet<Message["type"]> = new Set(["append", "heartbeat"]);

/** Parts the outbox into messages that may leave at once and those that wait for persistence. */
function splitOutbox(
  outbox: Message[],
  hardState: HardState | undefined,
  persistedHardState: HardState,
): { early: Message[]; afterPersist: Message[] } {
  const termOrVoteChanges = hardState !== undefined && (hardState.term !== persistedHardState.term || hardState.vote !== persistedHardState.vote);
  if (termOrVoteChanges) return { early: [], afterPersist: outbox };
  const early: Message[] = [];
  const afterPersist: Message[] = [];
  for (const message of outbox) {
    if (sendableBeforePersist.has(message.type)) early.push(message);
    else afterPersist.push(message);
  }
  return { early, afterPersist };
}

/** The leader's own copy counts towards commit only once durable: after a Ready is persisted. */
function countOwnPersistedEntries(raft: Raft): void {
  if (raft.role !== "leader" || raft.mutations.countLeaderBeforePersist) return;
  const own = raft.progress.get(raft.id);
  // Followers learn a commit this makes from the next append or heartbeat (announceCommit).
  if (own !== undefined && own.maybeUpdate(raft.log.persistedLastIndex())) maybeCommit(raft);
}
