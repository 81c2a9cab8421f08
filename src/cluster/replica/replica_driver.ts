/**
 * The replica driver: does the I/O for this node's replica of one Raft group around the pure
 * core (src/cluster/raft/), for any replicated state machine (replicated_machine.ts: the
 * key-value machine of a shard, the coordinator's machine). Time comes from the injected Clock
 * (src/util/clock.ts). Ticks (one scheduler for every replica of a process: tick_scheduler.ts)
 * drive elections and heartbeats; one loop handles Ready
 * batches, one at a time, in the order the core requires (raw_node.ts), at its own pace
 * (STYLE.md point 9):
 *
 *   1. hand the core every write queued since the last turn as one proposeBatch, and every
 *      strong read queued as one ReadIndex request;
 *   2. ready(); send ready.messagesBeforePersist (a leader's appends and heartbeats, which
 *      followers write while the leader writes too, §10.2.1); await storage.persist(ready)
 *      (snapshot, entries, hard state: one group commit);
 *   3. install a snapshot received from the leader into the state machine;
 *   4. advance() → send the other messages (only now: they may depend on what was just persisted);
 *   5. apply committed entries to the state machine, resolve their proposals with the results
 *      (entries that commit while the write runs, by acknowledgements stepped meanwhile, are
 *      applied at once instead: applyCommittedMeanwhile);
 *   6. serve strong reads whose index is applied; every `snapshotEveryEntries` applied entries,
 *      take a state-machine snapshot and compact the Raft log behind it (snapshot_scheduler.ts).
 * Messages and ticks arriving while a turn awaits the disk are stepped at once; what they
 * produce goes into the next Ready.
 *
 * A node that learns it was removed from the group (node_removal.ts: a peer refused it as a
 * non-member) stops ticking and stepping, refuses every request with UNAVAILABLE naming the
 * removal, and calls onRemoved once.
 *
 * The driver knows no entry's meaning and no member's address: proposals are bytes, outcomes are
 * the machine's, and which peers the transport reaches is the machine side's business (told of
 * membership changes and of this node's leadership through ReplicaEvents).
 */
import * as limits from "../cluster_limits.ts";
import { ContactTracker, judgeHealth, type Health } from "./group_health.ts";
import { removalClientMessage, removalShownByRefusal, type NodeRemoval } from "../node_removal.ts";
import { ProposalTracker, type ProposalWaiter } from "./proposal_tracker.ts";
import { makeRaftConfig, type RaftConfig, type UnsafeMutations } from "../raft/config.ts";
import { InvalidMessageError } from "../raft/errors.ts";
import { seededRandom } from "../raft/random.ts";
import { committedDurableCount, RawNode, type NodeStatus, type Ready } from "../raft/raw_node.ts";
import type { ConfChange, ConfState, Entry, Message, NodeId, SoftState } from "../raft/types.ts";
import { ReadTracker } from "./read_tracker.ts";
import { fromRaftError, ReplicationError } from "../replication_error.ts";
import { ProposalQueue } from "./proposal_queue.ts";
import { RaftEventLog } from "./raft_event_log.ts";
import { realClock, type Clock, type Timer } from "../../util/clock.ts";
import { assert } from "../../util/assert.ts";
import { silentLogger, type Logger } from "../../util/logger.ts";
import type { ReplicatedMachine } from "./replicated_machine.ts";
import { SnapshotScheduler } from "./snapshot_scheduler.ts";
import { ownTickScheduler, type TickScheduler } from "./tick_scheduler.ts";
import type { DurableRaftStorage } from "../storage/types.ts";
import type { PeerRefusal, PeerTransport } from "../transport/types.ts";

export interface ReplicaDriverOptions<Machine> {
  nodeId: NodeId;
  storage: DurableRaftStorage;
  transport: PeerTransport;
  /** The group's state machine, at the index of the storage's snapshot (replicated_machine.ts). */
  machine: Machine;
  /** The machine side's view of membership and leadership; nothing is told when absent. */
  events?: ReplicaEvents;
  raft?: Partial<Omit<RaftConfig, "id">>;
  /** Where time comes from: ticks, deadlines, contact times, the loop's turns (realClock when absent). */
  clock?: Clock;
  tickIntervalMs?: number;
  /** Ticks this replica with every other replica of the process (tick_scheduler.ts); its own timer when absent. */
  ticks?: TickScheduler;
  snapshotEveryEntries?: number;
  entriesKeptAfterSnapshot?: number;
  /** Seeds the election-timeout randomness; a random seed when absent. */
  randomSeed?: number;
  /** Called with the seconds from proposal to applied, for each committed write of this leader. */
  onProposalApplied?: (seconds: number) => void;
  /** Called when the loop fails (a storage or state-machine failure): the node must stop serving. */
  onFailure?: (error: Error) => void;
  /** Where elections, leader and membership changes, snapshots and failures are logged (raft_event_log.ts). */
  logger?: Logger;
  /** Called once when this node learns it was removed from the group; it has stopped taking part. */
  onRemoved?: (removal: NodeRemoval) => void;
  /**
   * Deliberate bugs the simulator must catch (test/sim/), never set outside tests: the core's
   * UnsafeMutations, and sendBeforePersist (every message of a Ready, votes and acknowledgements
   * included, leaves before the Ready is persisted).
   */
  unsafe?: { mutations?: UnsafeMutations; sendBeforePersist?: boolean };
}

/** What the machine's side of a replica hears from its driver (key-value: member_address_book.ts). */
export interface ReplicaEvents {
  /**
   * The group's membership may have changed: at start, after a config entry or a snapshot was
   * applied. The transport should reach the members of both memberships.
   */
  membershipChanged(membership: GroupMembership): void;
  /** This node became the group's leader. */
  becameLeader(): void;
}

export interface GroupMembership {
  /** The newest membership: a config entry takes effect once appended (§4.1). */
  newest: ConfState;
  /** The membership as of the applied index, where it is exactly that on every replica. */
  applied: ConfState;
  appliedIndex: number;
}

interface DriverCounters {
  /** Times this node became leader. */
  leadershipsWon: number;
  /** Terms this node has seen change. */
  termChanges: number;
  snapshotChunksSent: number;
  snapshotsTaken: number;
  snapshotsInstalled: number;
  entriesApplied: number;
  /** Of those, entries that committed and were applied while this node's own write of them ran. */
  entriesAppliedDuringWrite: number;
  /** Peer messages the core refused as malformed (InvalidMessageError): dropped, nothing changed. */
  messagesRefused: number;
}

export class ReplicaDriver<Outcome, Machine extends ReplicatedMachine<Outcome> = ReplicatedMachine<Outcome>> {
  readonly nodeId: NodeId;
  readonly counters: DriverCounters = { leadershipsWon: 0, termChanges: 0, snapshotChunksSent: 0, snapshotsTaken: 0, snapshotsInstalled: 0, entriesApplied: 0, entriesAppliedDuringWrite: 0, messagesRefused: 0 };
  /** The driver's time: deadlines given to it and times it reports (lastLeaderContactMs) are on this clock. */
  readonly clock: Clock;
  /** clock.now() of the last message from the current leader (this node's own time when it leads). */
  lastLeaderContactMs = -Infinity;
  /** Highest index each peer acknowledged holding (from its append replies): follower lag, as a leader sees it. */
  readonly peerMatchIndex = new Map<NodeId, number>();
  private readonly proposals = new ProposalTracker<Outcome>();
  private readonly reads = new ReadTracker();
  private readonly queuedProposals = new ProposalQueue<Outcome>(limits.proposalsPerTurnMax);
  private softState: SoftState = { leader: 0, role: "follower" };
  private lastTerm = 0;
  private readonly snapshots: SnapshotScheduler;
  private readonly events: RaftEventLog;
  private loopRunning = false;
  private turnWanted = false;
  private closed = false;
  private failure: Error | null = null;
  private removal: NodeRemoval | null = null;
  /** When peers and leaders were last heard from: what health() judges by. */
  private readonly contact: ContactTracker;
  private readonly tickTimer: Timer;
  private loopDone: Promise<void> = Promise.resolve();
  /**
   * While a Ready's write runs: its committed entries not applied yet (they go first when
   * entries commit meanwhile); null when no Ready is outstanding.
   */
  private unappliedOfReady: Entry[] | null = null;

  readonly machine: Machine;

  private constructor(
    private readonly options: ReplicaDriverOptions<Machine>,
    private readonly node: RawNode,
  ) {
    this.nodeId = options.nodeId;
    this.machine = options.machine;
    this.clock = options.clock ?? realClock;
    this.contact = new ContactTracker(this.clock.now());
    this.machine.onFatal = (error) => this.fail(error);
    this.events = new RaftEventLog(options.logger ?? silentLogger, options.nodeId, node.status().term);
    this.snapshots = new SnapshotScheduler(
      this.machine,
      options.storage,
      options.snapshotEveryEntries ?? limits.snapshotEveryEntries,
      options.entriesKeptAfterSnapshot ?? limits.entriesKeptAfterSnapshot,
      (error) => this.events.snapshotFailed(error),
    );
    this.lastTerm = node.status().term;
    options.transport.onMessage((message) => this.receive(message));
    options.transport.onRefused((refusal) => this.refused(refusal));
    this.events.membership(node.confStateAt(this.machine.appliedIndex));
    this.tellMembership();
    const { ticks: given, tickIntervalMs } = options;
    const oneInterval = given === undefined || tickIntervalMs === undefined || given.intervalMs === tickIntervalMs;
    assert(oneInterval, "one tick interval");
    const ticks = options.ticks ?? ownTickScheduler(this.clock, options.tickIntervalMs ?? limits.tickIntervalMs);
    this.tickTimer = ticks.register(() => this.tick());
    this.kick();
  }

  static start<Outcome, Machine extends ReplicatedMachine<Outcome>>(
    options: ReplicaDriverOptions<Machine>,
  ): ReplicaDriver<Outcome, Machine> {
    const snapshotIndex = options.storage.snapshot().metadata.index;
    assert(options.machine.appliedIndex === snapshotIndex, "a replica starts from a machine at its storage's snapshot");
    const raftConfig = makeRaftConfig(options.nodeId, {
      electionTimeoutTicks: limits.electionTimeoutTicks,
      heartbeatIntervalTicks: limits.heartbeatIntervalTicks,
      ...limits.raftMessageSizes,
      ...options.raft,
    });
    const seed = options.randomSeed ?? crypto.getRandomValues(new Uint32Array(1))[0];
    const node = new RawNode(raftConfig, options.storage, seededRandom(seed), options.unsafe?.mutations);
    return new ReplicaDriver<Outcome, Machine>(options, node);
  }

  /** Replicates an entry's data; resolves with the machine's outcome of it once applied here. */
  propose(data: Uint8Array, deadlineAtMs: number): Promise<Outcome | undefined> {
    const unavailable = this.refusal();
    if (unavailable !== null) return Promise.reject(unavailable);
    if (this.queuedProposals.size + this.proposals.size >= limits.pendingProposalsMax) {
      return Promise.reject(new ReplicationError("OVERLOADED", `${limits.pendingProposalsMax} writes already wait for replication`));
    }
    return new Promise((resolve, reject) => {
      this.queuedProposals.push({ data, term: 0, deadlineAtMs, proposedAtMs: this.clock.now(), resolve, reject });
      this.kick();
    });
  }

  /** Resolves once this node may serve a linearizable read (it leads, confirmed, and applied that far). */
  readBarrier(deadlineAtMs: number): Promise<void> {
    const unavailable = this.refusal();
    if (unavailable !== null) return Promise.reject(unavailable);
    if (this.reads.size >= limits.pendingReadsMax) {
      return Promise.reject(new ReplicationError("OVERLOADED", `${limits.pendingReadsMax} reads already wait for a ReadIndex round`));
    }
    return new Promise((resolve, reject) => {
      this.reads.enqueue({ deadlineAtMs, resolve, reject });
      this.kick();
    });
  }

  /** Proposes a membership change; resolves once it is applied here. */
  changeMembership(change: ConfChange, deadlineAtMs: number): Promise<void> {
    const unavailable = this.refusal();
    if (unavailable !== null) return Promise.reject(unavailable);
    let placement;
    try {
      placement = this.node.proposeConfChange(change);
    } catch (error) {
      return Promise.reject(this.translate(error));
    }
    this.kick();
    return new Promise((resolve, reject) => {
      this.proposals.add(placement.lastIndex, { term: placement.term, deadlineAtMs, proposedAtMs: this.clock.now(), resolve: () => resolve(), reject });
    });
  }

  /** Starts a leadership transfer (§3.10); the caller watches status() for the new leader. */
  transferLeadership(to: NodeId): void {
    const unavailable = this.refusal();
    if (unavailable !== null) throw unavailable;
    try {
      this.node.transferLeadership(to);
    } catch (error) {
      throw this.translate(error);
    }
    this.events.transferStarted(to);
    this.kick();
  }

  status(): NodeStatus {
    return this.node.status();
  }

  /** The term of the entry at `index` in this replica's log, unpersisted entries included; undefined when not held. */
  termAt(index: number): number | undefined {
    return this.node.termAt(index);
  }

  isLeader(): boolean {
    return this.softState.role === "leader";
  }

  leaderId(): NodeId {
    return this.softState.leader;
  }

  /** Stops ticking and stepping, waits for the current turn, fails what still waits. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tickTimer.cancel();
    this.options.transport.onMessage(() => {});
    await this.loopDone;
    await this.snapshots.drain();
    const error = new ReplicationError("UNAVAILABLE", "the node is shutting down");
    this.failWaiting(error);
  }

  /** Whether this node may serve now, and why not (group_health.ts): for /healthz. */
  health(): Health {
    const status = this.node.status();
    return judgeHealth({
      nowMs: this.clock.now(),
      self: this.nodeId,
      role: status.softState.role,
      voters: status.confState.voters,
      lastLeaderContactMs: this.lastLeaderContactMs,
      contact: this.contact,
      removed: this.removal !== null,
      failure: this.failure?.message ?? null,
    });
  }

  /** Set once this node learned it was removed from the group. */
  get removed(): NodeRemoval | null {
    return this.removal;
  }

  private refusal(): ReplicationError | null {
    if (this.removal !== null) return new ReplicationError("UNAVAILABLE", removalClientMessage(this.removal));
    if (this.closed) return new ReplicationError("UNAVAILABLE", "the node is shutting down");
    if (this.failure !== null) return new ReplicationError("UNAVAILABLE", `the node failed: ${this.failure.message}`);
    return null;
  }

  private tick(): void {
    this.node.tick();
    this.observeRoleChangeOfTick();
    const now = this.clock.now();
    this.proposals.expire(now);
    this.reads.expire(now);
    this.queuedProposals.expire(now);
    this.kick();
  }

  private receive(message: Message): void {
    if (this.closed) return;
    try {
      this.node.step(message);
    } catch (error) {
      // A peer's malformed message gets refused and counted; it must not stop this node.
      if (!(error instanceof InvalidMessageError)) throw error;
      this.counters.messagesRefused++;
      return;
    }
    const now = this.clock.now();
    this.contact.heard(message.from, now);
    const fromLeader = message.type === "append" || message.type === "heartbeat" || message.type === "snapshot";
    if (fromLeader && message.term >= this.lastTerm) {
      this.lastLeaderContactMs = now;
      this.contact.heardFromLeader();
    }
    if (message.type === "appendResponse" && !message.reject) {
      this.peerMatchIndex.set(message.from, Math.max(this.peerMatchIndex.get(message.from) ?? 0, message.index));
    }
    try {
      this.applyCommittedMeanwhile();
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    this.kick();
  }

  /**
   * During a Ready's write: applies what committed since (RawNode.takeCommittedEntries), after
   * the Ready's own committed entries. On a leader whose own fdatasync is slow, a write is then
   * answered once both followers have it, without waiting for the local disk (§10.2.1).
   */
  private applyCommittedMeanwhile(): void {
    if (this.unappliedOfReady === null || this.failure !== null || this.closed) return;
    const taken = this.node.takeCommittedEntries();
    if (taken.length === 0) return;
    this.applyCommitted(this.unappliedOfReady);
    this.unappliedOfReady = [];
    this.applyCommitted(taken);
    this.counters.entriesAppliedDuringWrite += taken.length;
  }

  /** Asks for a loop turn; at most one runs, and it runs again while work keeps arriving. */
  private kick(): void {
    this.turnWanted = true;
    if (this.loopRunning || this.closed || this.failure !== null || this.removal !== null) return;
    this.loopRunning = true;
    this.clock.soon(this.startLoop);
  }

  /** Made once: kick() runs several times per write, a closure and promise each time add up. */
  private readonly startLoop = (): void => {
    this.loopDone = this.loop();
  };

  private async loop(): Promise<void> {
    try {
      while (this.turnWanted && !this.closed) {
        this.turnWanted = false;
        // Most turns find nothing to do: checked here, so only a turn with a Ready is an async call.
        this.submitProposals();
        this.submitReads();
        if (this.node.hasReady()) await this.turn();
      }
    } catch (error) {
      this.fail(error instanceof Error ? error : new Error(String(error)));
    } finally {
      this.loopRunning = false;
    }
  }

  /** Handles one Ready (the caller found one). */
  private async turn(): Promise<void> {
    this.turnWanted = true;
    const ready = this.node.ready();
    this.observeSoftState(ready.softState);
    if (this.options.unsafe?.sendBeforePersist === true) await this.sendBeforePersisting(ready);
    else await this.persistThenSend(ready);
    for (const state of ready.readStates) this.reads.confirm(state);
    this.reads.serveUpTo(this.machine.appliedIndex);
    if (await this.snapshots.onTurn(this.node)) {
      this.counters.snapshotsTaken++;
      this.events.snapshotTaken(this.options.storage.snapshot().metadata);
    }
  }

  /** The Ready contract (raw_node.ts): persist, then send what depends on it, applying as early as allowed. */
  private async persistThenSend(ready: Ready): Promise<void> {
    // A leader's appends and heartbeats go out while its own write runs (§10.2.1, raw_node.ts).
    this.send(ready.messagesBeforePersist);
    // Committed entries already durable here need not wait for this Ready's write: applying
    // them first answers their clients one fdatasync sooner (a leader's acknowledgements arrive
    // while it writes the next batch, so nearly all its committed entries are such).
    const durableCount = committedDurableCount(ready, this.options.storage.lastIndex());
    this.applyCommitted(ready.committedEntries.slice(0, durableCount));
    this.unappliedOfReady = ready.committedEntries.slice(durableCount);
    await this.options.storage.persist(ready);
    if (ready.snapshot !== undefined) await this.installSnapshot(ready);
    // What was not applied meanwhile (none, once anything committed during the write).
    const unapplied = this.unappliedOfReady;
    this.unappliedOfReady = null;
    const messages = this.node.advance(ready);
    this.send(messages);
    this.applyCommitted(unapplied);
  }

  /** The deliberate bug of options.unsafe.sendBeforePersist: a crash can lose what peers were told is durable. */
  private async sendBeforePersisting(ready: Ready): Promise<void> {
    this.send(ready.messagesBeforePersist);
    this.send(this.node.advance(ready));
    await this.options.storage.persist(ready);
    if (ready.snapshot !== undefined) await this.installSnapshot(ready);
    this.applyCommitted(ready.committedEntries);
  }

  private submitProposals(): void {
    if (this.queuedProposals.submit(this.node, this.proposals, (error) => this.translate(error))) this.turnWanted = true;
  }

  private submitReads(): void {
    const taken = this.reads.takeQueued();
    if (taken === null) return;
    try {
      this.node.readIndex(taken.context);
    } catch (error) {
      const refusal = this.translate(error);
      for (const waiter of taken.waiters) waiter.reject(refusal);
      return;
    }
    this.reads.markIssued(taken.context, taken.waiters);
  }

  /**
   * A leader that steps down on its own (check-quorum: no majority heard within an election
   * timeout) does so inside tick() and has nothing to persist or send, so no Ready reports it:
   * noticed here, so reads waiting on its leadership fail now and the change is logged now.
   */
  private observeRoleChangeOfTick(): void {
    const softState = this.node.softState();
    if (softState.role !== this.softState.role || softState.leader !== this.softState.leader) {
      this.observeSoftState(softState);
    }
  }

  private observeSoftState(softState: SoftState): void {
    const status = this.node.status();
    this.events.observe(softState, status.term);
    if (status.term !== this.lastTerm) {
      this.lastTerm = status.term;
      this.counters.termChanges++;
    }
    const wasLeader = this.softState.role === "leader";
    this.softState = softState;
    if (softState.role === "leader") this.lastLeaderContactMs = this.clock.now();
    if (wasLeader && softState.role !== "leader") {
      this.contact.steppedDown(this.nodeId, status.confState.voters, this.clock.now());
      this.reads.rejectUnconfirmed(new ReplicationError("NOT_LEADER", "leadership was lost", softState.leader));
    }
    if (!wasLeader && softState.role === "leader") {
      this.counters.leadershipsWon++;
      this.options.events?.becameLeader();
    }
  }

  private send(messages: readonly Message[]): void {
    for (const message of messages) if (message.type === "snapshot") this.counters.snapshotChunksSent++;
    this.options.transport.send(messages);
  }

  /** Made once rather than per applied entry. */
  private readonly reportProposalApplied = (waiter: ProposalWaiter<Outcome>): void => {
    this.options.onProposalApplied?.((this.clock.now() - waiter.proposedAtMs) / 1000);
  };

  private applyCommitted(entries: Entry[]): void {
    let membershipChanged = false;
    for (const entry of entries) {
      assert(entry.index === this.machine.appliedIndex + 1, "committed entries are applied in order, once each");
      const outcome = this.machine.apply(entry);
      this.counters.entriesApplied++;
      this.proposals.applied(entry, outcome, this.reportProposalApplied);
      if (entry.kind === "config") {
        // Logged as each change applies, so every member logs every change once.
        this.events.membership(this.node.confStateAt(entry.index));
        membershipChanged = true;
      }
    }
    if (membershipChanged) this.tellMembership();
  }

  private async installSnapshot(ready: Ready): Promise<void> {
    const snapshot = ready.snapshot!;
    await this.machine.restore(snapshot.data, snapshot.metadata.index);
    this.proposals.droppedThrough(snapshot.metadata.index);
    this.snapshots.installed(snapshot.metadata.index);
    this.counters.snapshotsInstalled++;
    this.events.snapshotInstalled(snapshot.metadata);
    this.events.membership(snapshot.metadata.confState);
    this.tellMembership();
  }

  /** Tells the machine's side (ReplicaEvents) the membership, which may have changed. */
  private tellMembership(): void {
    const appliedIndex = this.machine.appliedIndex;
    const newest = this.node.status().confState;
    this.options.events?.membershipChanged({ newest, applied: this.node.confStateAt(appliedIndex), appliedIndex });
  }

  /** A peer refused this node as a non-member: a removal when node_removal.ts says it proves one. */
  private refused(refusal: PeerRefusal): void {
    if (this.closed || this.removal !== null || this.failure !== null) return;
    const applied = this.machine.appliedIndex;
    const removal = removalShownByRefusal(this.nodeId, applied, this.node.confStateAt(applied), refusal);
    if (removal !== null) this.learnRemoval(removal);
  }

  /** Stops taking part (no ticks, no messages, no loop turns); every request is refused from now on. */
  private learnRemoval(removal: NodeRemoval): void {
    if (this.removal !== null) return;
    this.removal = removal;
    this.tickTimer.cancel();
    this.options.transport.onMessage(() => {});
    this.failWaiting(new ReplicationError("UNAVAILABLE", removalClientMessage(removal)));
    this.options.onRemoved?.(removal);
  }

  private translate(error: unknown): ReplicationError {
    return fromRaftError(error, this.nodeId, this.softState.leader);
  }

  private fail(error: Error): void {
    if (this.failure !== null) return;
    this.failure = error;
    this.events.failed(error);
    this.tickTimer.cancel();
    this.failWaiting(new ReplicationError("UNAVAILABLE", `the node failed: ${error.message}`));
    this.options.onFailure?.(error);
  }

  private failWaiting(error: ReplicationError): void {
    this.queuedProposals.rejectAll(error);
    this.proposals.rejectAll(error);
    this.reads.rejectAll(error);
  }
}
