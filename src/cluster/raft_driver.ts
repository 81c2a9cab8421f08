/**
 * The Raft driver: does the I/O for one Raft group around the pure core (src/cluster/raft/).
 * A tick timer drives elections and heartbeats; one loop handles Ready batches, one at a time,
 * in the order the core requires (raw_node.ts), at its own pace (STYLE.md point 9):
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
 */
import type { Engine } from "../engine/engine.ts";
import * as limits from "./cluster_limits.ts";
import { restoreAtStart } from "./driver_start.ts";
import { encodeEntryPayload, type EntryPayload, type MemberAddresses } from "./entry_payload_codec.ts";
import { ContactTracker, judgeHealth, type Health } from "./group_health.ts";
import { removalClientMessage, removalShownByRefusal, type NodeRemoval } from "./node_removal.ts";
import { ProposalTracker, type ProposalWaiter } from "./proposal_tracker.ts";
import { makeRaftConfig, type RaftConfig } from "./raft/config.ts";
import { InvalidMessageError } from "./raft/errors.ts";
import { seededRandom } from "./raft/random.ts";
import { committedDurableCount, RawNode, type NodeStatus, type Ready } from "./raft/raw_node.ts";
import type { ConfChange, Entry, Message, NodeId, SoftState } from "./raft/types.ts";
import { ReadTracker } from "./read_tracker.ts";
import { fromRaftError, ReplicationError } from "./replication_error.ts";
import { ProposalQueue } from "./proposal_queue.ts";
import { RaftEventLog } from "./raft_event_log.ts";
import { realClock, type Clock, type Timer } from "../util/clock.ts";
import { silentLogger, type Logger } from "../util/logger.ts";
import type { ReplicatedStateMachine, WriteOutcome } from "./state_machine.ts";
import { installStateMachineSnapshot } from "./state_machine_snapshot.ts";
import { SnapshotScheduler } from "./snapshot_scheduler.ts";
import type { DurableRaftStorage } from "./storage/types.ts";
import type { PeerRefusal, PeerTransport } from "./transport/types.ts";

export interface RaftDriverOptions {
  nodeId: NodeId;
  storage: DurableRaftStorage;
  transport: PeerTransport;
  engine: Engine;
  /** Peer addresses known from the start (--peers), by node id; this node's own is allowed. */
  peers: ReadonlyMap<NodeId, string>;
  /** Where this node is reached; a leader announces them in the log (entry_payload_codec.ts). See setSelfAddresses. */
  self: MemberAddresses;
  raft?: Partial<Omit<RaftConfig, "id">>;
  /** Where time comes from: ticks, deadlines, contact times, the loop's turns (realClock when absent). */
  clock?: Clock;
  tickIntervalMs?: number;
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

export class RaftDriver {
  readonly nodeId: NodeId;
  readonly counters: DriverCounters = { leadershipsWon: 0, termChanges: 0, snapshotChunksSent: 0, snapshotsTaken: 0, snapshotsInstalled: 0, entriesApplied: 0, entriesAppliedDuringWrite: 0, messagesRefused: 0 };
  /** The driver's time: deadlines given to it and times it reports (lastLeaderContactMs) are on this clock. */
  readonly clock: Clock;
  /** clock.now() of the last message from the current leader (this node's own time when it leads). */
  lastLeaderContactMs = -Infinity;
  /** Highest index each peer acknowledged holding (from its append replies): follower lag, as a leader sees it. */
  readonly peerMatchIndex = new Map<NodeId, number>();
  private readonly proposals = new ProposalTracker();
  private readonly reads = new ReadTracker();
  private readonly queuedProposals = new ProposalQueue(limits.proposalsPerTurnMax);
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
  private self: MemberAddresses;
  /**
   * While a Ready's write runs: its committed entries not applied yet (they go first when
   * entries commit meanwhile); null when no Ready is outstanding.
   */
  private unappliedOfReady: Entry[] | null = null;

  private constructor(
    private readonly options: RaftDriverOptions,
    private readonly node: RawNode,
    readonly machine: ReplicatedStateMachine,
  ) {
    this.nodeId = options.nodeId;
    this.clock = options.clock ?? realClock;
    this.contact = new ContactTracker(this.clock.now());
    machine.onFatal = (error) => this.fail(error);
    this.self = { ...options.self };
    this.events = new RaftEventLog(options.logger ?? silentLogger, options.nodeId, node.status().term);
    this.snapshots = new SnapshotScheduler(
      machine,
      options.storage,
      options.snapshotEveryEntries ?? limits.snapshotEveryEntries,
      options.entriesKeptAfterSnapshot ?? limits.entriesKeptAfterSnapshot,
      (error) => this.events.snapshotFailed(error),
    );
    this.lastTerm = node.status().term;
    options.transport.onMessage((message) => this.receive(message));
    options.transport.onRefused((refusal) => this.refused(refusal));
    this.refreshPeers();
    this.tickTimer = this.clock.every(options.tickIntervalMs ?? limits.tickIntervalMs, () => this.tick());
    this.kick();
  }

  static async start(options: RaftDriverOptions): Promise<RaftDriver> {
    const raftConfig = makeRaftConfig(options.nodeId, {
      electionTimeoutTicks: limits.electionTimeoutTicks,
      heartbeatIntervalTicks: limits.heartbeatIntervalTicks,
      proposalBytesMax: limits.proposalBytesMax,
      appendEntriesBytesMax: limits.proposalBytesMax,
      ...options.raft,
    });
    const machine = await restoreAtStart(options.engine, options.storage, options.logger ?? silentLogger);
    const seed = options.randomSeed ?? crypto.getRandomValues(new Uint32Array(1))[0];
    const node = new RawNode(raftConfig, options.storage, seededRandom(seed));
    return new RaftDriver(options, node, machine);
  }

  /** Replicates a write (or a member announcement); resolves with its outcome once applied here. */
  propose(payload: EntryPayload, deadlineAtMs: number): Promise<WriteOutcome | undefined> {
    const unavailable = this.refusal();
    if (unavailable !== null) return Promise.reject(unavailable);
    if (this.queuedProposals.size + this.proposals.size >= limits.pendingProposalsMax) {
      return Promise.reject(new ReplicationError("OVERLOADED", `${limits.pendingProposalsMax} writes already wait for replication`));
    }
    const data = encodeEntryPayload(payload);
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

  /** This node's addresses once known (ports chosen at bind time); a leader announces the change. */
  setSelfAddresses(addresses: MemberAddresses): void {
    this.self = { ...addresses };
    if (this.isLeader()) {
      this.announceSelf();
      this.kick();
    }
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
    for (const state of ready.readStates) this.reads.confirm(state);
    this.reads.serveUpTo(this.machine.appliedIndex);
    if (await this.snapshots.onTurn(this.node)) {
      this.counters.snapshotsTaken++;
      this.events.snapshotTaken(this.options.storage.snapshot().metadata);
    }
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
      this.announceSelf();
    }
  }

  /** A new leader writes its addresses to the log, so every replica can point clients to it. */
  private announceSelf(): void {
    const known = this.machine.members.get(this.nodeId);
    const self = this.self;
    if (known !== undefined && known.clientAddress === self.clientAddress && known.adminAddress === self.adminAddress && known.peerAddress === self.peerAddress) return;
    const payload: EntryPayload = { kind: "member", node: this.nodeId, addresses: self };
    this.queuedProposals.push({
      data: encodeEntryPayload(payload),
      term: 0,
      deadlineAtMs: Infinity,
      proposedAtMs: this.clock.now(),
      resolve: () => {},
      reject: () => {},
    });
  }

  private send(messages: readonly Message[]): void {
    for (const message of messages) if (message.type === "snapshot") this.counters.snapshotChunksSent++;
    this.options.transport.send(messages);
  }

  /** Made once rather than per applied entry. */
  private readonly reportProposalApplied = (waiter: ProposalWaiter): void => {
    this.options.onProposalApplied?.((this.clock.now() - waiter.proposedAtMs) / 1000);
  };

  private applyCommitted(entries: Entry[]): void {
    let membershipChanged = false;
    for (const entry of entries) {
      const outcome = this.machine.applyEntry(entry);
      this.counters.entriesApplied++;
      this.proposals.applied(entry, outcome, this.reportProposalApplied);
      if (entry.kind === "config" || (entry.data.length > 0 && outcome === undefined)) membershipChanged = true;
    }
    if (membershipChanged) this.refreshPeers();
  }

  private async installSnapshot(ready: Ready): Promise<void> {
    const snapshot = ready.snapshot!;
    await installStateMachineSnapshot(this.machine, snapshot.data);
    this.proposals.droppedThrough(snapshot.metadata.index);
    this.snapshots.installed(snapshot.metadata.index);
    this.counters.snapshotsInstalled++;
    this.events.snapshotInstalled(snapshot.metadata);
    this.refreshPeers();
  }

  /**
   * The transport reaches the members of the newest and of the applied membership, at the
   * addresses announced in the log or else given at start (all peers given at start while this
   * node knows no membership: it is joining). Any other node is told it is not a member as of
   * the applied index (node_removal.ts).
   */
  private refreshPeers(): void {
    const applied = this.machine.appliedIndex;
    const appliedConf = this.node.confStateAt(applied);
    const { voters, learners } = this.node.status().confState;
    this.events.membership({ voters, learners });
    const members = new Set([...voters, ...learners, ...appliedConf.voters, ...appliedConf.learners]);
    const peers = new Map(members.size === 0 ? this.options.peers : []);
    for (const member of members) {
      const address = this.machine.members.get(member)?.peerAddress || this.options.peers.get(member) || "";
      if (address !== "") peers.set(member, address);
    }
    peers.delete(this.nodeId);
    this.options.transport.setPeers(peers, members.size === 0 ? undefined : applied);
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
