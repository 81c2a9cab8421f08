/**
 * One simulated server: a RawNode over a MemoryStorage that stands for its disk. A crash
 * throws away the RawNode, the state machine and anything of the current Ready not yet
 * written; a restart rebuilds them from the storage alone (what was persisted).
 */
import { makeRaftConfig, type RaftConfig, type UnsafeMutations } from "../../src/cluster/raft/config.ts";
import { seededRandom } from "../../src/cluster/raft/random.ts";
import { type Ready, RawNode } from "../../src/cluster/raft/raw_node.ts";
import { MemoryStorage } from "../../src/cluster/raft/storage.ts";
import type { ConfState, Entry, Message, NodeId, ReadState } from "../../src/cluster/raft/types.ts";
import { KvMachine } from "./kv_machine.ts";

/** Where in Ready handling a crash strikes: each leaves a different prefix on disk. */
export type CrashPoint = "beforePersist" | "afterEntries" | "afterPersist" | "none";

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
  }

  crash(): void {
    this.raw = undefined;
    this.machine = undefined;
    this.pendingReads = [];
  }

  restart(): void {
    this.restarts++;
    this.start();
  }

  /** Persists and applies one Ready; returns the messages to send (none when it crashed). */
  handleReady(crashPointFor: (ready: Ready) => CrashPoint, observer: ReadyObserver): Message[] {
    const raw = this.node();
    if (!raw.hasReady()) return [];
    const ready = raw.ready();
    const crashPoint = crashPointFor(ready);
    const sentEarly = this.unsafeSendBeforePersist ? raw.advance(ready) : undefined;
    if (crashPoint === "beforePersist") return [...this.crashNow(observer), ...(sentEarly ?? [])];
    if (ready.snapshot !== undefined) this.storage.applySnapshot(ready.snapshot);
    observer.beforePersist(this, ready);
    this.storage.append(ready.entries);
    observer.persisted(this, ready);
    if (crashPoint === "afterEntries") return this.crashNow(observer);
    if (ready.hardState !== undefined) this.storage.setHardState(ready.hardState);
    if (crashPoint === "afterPersist") return this.crashNow(observer);
    const messages = sentEarly ?? raw.advance(ready);
    this.applyReady(ready, observer);
    return messages;
  }

  private crashNow(observer: ReadyObserver): Message[] {
    observer.crashing(this);
    this.crash();
    return [];
  }

  private applyReady(ready: Ready, observer: ReadyObserver): void {
    if (ready.snapshot !== undefined) this.machine = KvMachine.fromSnapshot(ready.snapshot.data);
    for (const entry of ready.committedEntries) observer.applied(this, entry);
    this.pendingReads.push(...ready.readStates);
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
