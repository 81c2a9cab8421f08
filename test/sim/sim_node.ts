/**
 * One simulated server: a RawNode over a MemoryStorage that stands for its disk. Like the
 * real driver, it sends a leader's early messages (Ready.messagesBeforePersist) before
 * writing, and a write may be slow: the node keeps stepping while it is under way. A crash
 * throws away the RawNode, the state machine and anything of the current Ready not yet
 * written; a restart rebuilds them from the storage alone (what was persisted).
 */
import { makeRaftConfig, type RaftConfig, type UnsafeMutations } from "../../src/cluster/raft/config.ts";
import { seededRandom } from "../../src/cluster/raft/random.ts";
import { committedDurableCount, type Ready, RawNode } from "../../src/cluster/raft/raw_node.ts";
import { MemoryStorage } from "../../src/cluster/raft/storage.ts";
import type { ConfState, Entry, Message, NodeId, ReadState } from "../../src/cluster/raft/types.ts";
import { KvMachine } from "./kv_machine.ts";

/** Where in Ready handling a crash strikes: each leaves a different prefix on disk. */
export type CrashPoint = "beforePersist" | "afterEntries" | "afterPersist" | "none";

/**
 * A crash, and whether the messages sent before persisting died with the process (still in
 * its send buffers) or reached the network: peers may hold entries the leader lost, or the
 * leader may hold entries nobody else saw (the Figure 3.7 set-up).
 */
export interface CrashPlan {
  point: CrashPoint;
  earlyMessagesLost: boolean;
  /**
   * With no crash: the write is slow. The Ready stays outstanding over later steps while the
   * node keeps stepping messages and ticks (as the real driver does during an fsync); a crash
   * meanwhile loses the whole write after its early messages left.
   */
  holdWrite: boolean;
}

export interface ReadyObserver {
  /** Called before the Ready's entries replace the tail of the node's log. */
  beforePersist(node: SimNode, ready: Ready): void;
  /** Called after the Ready's entries are on disk (the node's log holds them). */
  persisted(node: SimNode, ready: Ready): void;
  applied(node: SimNode, entry: Entry): void;
  /** Called just before a crash, while the node's memory still shows what it knew. */
  crashing(node: SimNode): void;
}

export class SimNode {
  raw: RawNode | undefined;
  machine: KvMachine | undefined;
  readonly storage: MemoryStorage;
  /** Answers to readIndex() waiting for the applied index to reach them. */
  pendingReads: ReadState[] = [];
  /** Ticks per step, in (0, 1]: nodes run at uneven speeds. */
  tickRate = 1;
  /** Fraction of a tick carried to the next step when ticks are spread evenly. */
  tickCarry = 0;
  removed = false;
  /**
   * Deliberate driver bug for a mutation check: send a Ready's messages before persisting
   * it (advance() first), so a crash can lose what peers were told is durable.
   */
  unsafeSendBeforePersist = false;
  restarts = 0;
  /** A Ready whose write is still under way (CrashPlan.holdWrite); lost on a crash. */
  private heldWrite: Ready | undefined = undefined;
  /** The last index applied to `machine` (its snapshot's index after a start or an install). */
  appliedThrough = 0;
  /** How many of the outstanding Ready's committed entries were applied before its write. */
  private appliedEarly = 0;
  /** Entries applied while their own write was still held (applyCommittedDuringWrite). */
  appliedDuringWrite = 0;

  constructor(
    readonly id: NodeId,
    initialConf: ConfState,
    private readonly raftOverrides: Partial<Omit<RaftConfig, "id">>,
    private readonly seed: number,
    private readonly mutations: UnsafeMutations,
  ) {
    this.storage = new MemoryStorage(initialConf);
    this.start();
  }

  get up(): boolean {
    return this.raw !== undefined;
  }

  node(): RawNode {
    if (this.raw === undefined) throw new Error(`node ${this.id} is down`);
    return this.raw;
  }

  private start(): void {
    const config = makeRaftConfig(this.id, this.raftOverrides);
    const random = seededRandom((this.seed * 31 + this.id * 1009 + this.restarts * 7) >>> 0);
    this.raw = new RawNode(config, this.storage, random, this.mutations);
    this.machine = KvMachine.fromSnapshot(this.storage.snapshot().data);
    this.appliedThrough = this.storage.snapshot().metadata.index;
  }

  get writeHeld(): boolean {
    return this.heldWrite !== undefined;
  }

  crash(): void {
    this.heldWrite = undefined;
    this.appliedEarly = 0;
    this.raw = undefined;
    this.machine = undefined;
    this.pendingReads = [];
  }

  restart(): void {
    this.restarts++;
    this.start();
  }

  /**
   * Persists and applies one Ready; returns the messages to send: when it crashed, only those
   * already sent before persisting (a leader's appends and heartbeats).
   */
  handleReady(crashPlanFor: (ready: Ready) => CrashPlan, observer: ReadyObserver): Message[] {
    const raw = this.node();
    if (this.heldWrite !== undefined || !raw.hasReady()) return [];
    const ready = raw.ready();
    const { point: crashPoint, earlyMessagesLost, holdWrite } = crashPlanFor(ready);
    if (this.unsafeSendBeforePersist) return this.handleReadySendingFirst(raw, ready, crashPoint, observer);
    // A leader's appends and heartbeats leave before its own write (§10.2.1).
    const sentEarly = [...ready.messagesBeforePersist];
    // As the driver does: committed entries already durable here are applied before the write.
    this.applyDurableCommitted(ready, observer);
    if (holdWrite && crashPoint === "none") {
      this.heldWrite = ready;
      return sentEarly;
    }
    const survivingEarly = earlyMessagesLost ? [] : sentEarly;
    if (crashPoint === "beforePersist") return [...this.crashNow(observer), ...survivingEarly];
    this.persist(ready, observer);
    if (crashPoint === "afterEntries") return [...this.crashNow(observer), ...survivingEarly];
    if (ready.hardState !== undefined) this.storage.setHardState(ready.hardState);
    if (crashPoint === "afterPersist") return [...this.crashNow(observer), ...survivingEarly];
    const messages = [...sentEarly, ...raw.advance(ready)];
    this.applyReady(ready, observer);
    return messages;
  }

  /**
   * While a write is held (slow): as the driver does (applyCommittedMeanwhile), entries that
   * committed since the Ready was made are applied at once, after the Ready's own committed entries.
   */
  applyCommittedDuringWrite(observer: ReadyObserver): void {
    const ready = this.heldWrite;
    if (ready === undefined) return;
    const taken = this.node().takeCommittedEntries();
    if (taken.length === 0) return;
    for (const entry of ready.committedEntries.slice(this.appliedEarly)) observer.applied(this, entry);
    this.appliedEarly = ready.committedEntries.length;
    for (const entry of taken) observer.applied(this, entry);
    this.appliedDuringWrite += taken.length;
  }

  /** The slow write finishes: persists the held Ready, applies it; returns the messages that waited. */
  finishHeldWrite(observer: ReadyObserver): Message[] {
    const ready = this.heldWrite;
    if (ready === undefined) return [];
    this.heldWrite = undefined;
    this.persist(ready, observer);
    if (ready.hardState !== undefined) this.storage.setHardState(ready.hardState);
    const messages = this.node().advance(ready);
    this.applyReady(ready, observer);
    return messages;
  }

  /** Writes the Ready's snapshot and entries (the hard state is the caller's next step). */
  private persist(ready: Ready, observer: ReadyObserver): void {
    if (ready.snapshot !== undefined) this.storage.applySnapshot(ready.snapshot);
    observer.beforePersist(this, ready);
    this.storage.append(ready.entries);
    observer.persisted(this, ready);
  }

  /** The deliberate driver bug: every message (votes, acknowledgements) leaves before persisting. */
  private handleReadySendingFirst(raw: RawNode, ready: Ready, crashPoint: CrashPoint, observer: ReadyObserver): Message[] {
    const sentEarly = [...ready.messagesBeforePersist, ...raw.advance(ready)];
    if (crashPoint === "beforePersist") return [...this.crashNow(observer), ...sentEarly];
    this.persist(ready, observer);
    if (crashPoint === "afterEntries") return this.crashNow(observer);
    if (ready.hardState !== undefined) this.storage.setHardState(ready.hardState);
    if (crashPoint === "afterPersist") return this.crashNow(observer);
    const messages = sentEarly;
    this.applyReady(ready, observer);
    return messages;
  }

  private crashNow(observer: ReadyObserver): Message[] {
    observer.crashing(this);
    this.crash();
    return [];
  }

  private applyReady(ready: Ready, observer: ReadyObserver): void {
    if (ready.snapshot !== undefined) {
      this.machine = KvMachine.fromSnapshot(ready.snapshot.data);
      this.appliedThrough = ready.snapshot.metadata.index;
    }
    for (const entry of ready.committedEntries.slice(this.appliedEarly)) observer.applied(this, entry);
    this.appliedEarly = 0;
    this.pendingReads.push(...ready.readStates);
  }

  /** Applies the committed entries of `ready` that are durable before it is persisted. */
  private applyDurableCommitted(ready: Ready, observer: ReadyObserver): void {
    this.appliedEarly = committedDurableCount(ready, this.storage.lastIndex());
    for (const entry of ready.committedEntries.slice(0, this.appliedEarly)) observer.applied(this, entry);
  }

  /** Takes a state-machine snapshot at the applied index and compacts the log up to it (§5.1). */
  compact(entriesKept: number): void {
    const raw = this.node();
    const applied = raw.status().applied;
    if (applied <= this.storage.snapshot().metadata.index || applied > this.storage.lastIndex()) return;
    const machine = this.machine as KvMachine;
    this.storage.createSnapshot(applied, raw.confStateAt(applied), machine.snapshot());
    const compactTo = applied - entriesKept;
    if (compactTo >= this.storage.firstIndex()) this.storage.compact(compactTo);
  }
}
