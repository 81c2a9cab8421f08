/**
 * One simulated server: the real replica driver (src/cluster/replica/replica_driver.ts) with the
 * simulator's state machine (kv_machine.ts), on a simulated clock (src/util/simulated_clock.ts,
 * moved by the world as the node's ticks come), a simulated disk (simulated_disk.ts) and the
 * simulated network (sim_transport.ts). A crash abandons the process: the driver, its machine,
 * its clock and its transport are dropped mid-flight (their promises never settle), and the disk
 * keeps only what was durable. A restart builds a new process from that disk alone, as a real
 * restart does.
 */
import type { RaftConfig, UnsafeMutations } from "../../src/cluster/raft/config.ts";
import type { MemoryStorage } from "../../src/cluster/raft/storage.ts";
import type { ConfState, Entry, HardState, NodeId } from "../../src/cluster/raft/types.ts";
import type { GroupLiveness } from "../../src/cluster/replica/group_quiescence.ts";
import { ReplicaDriver, type ReplicaDriverOptions } from "../../src/cluster/replica/replica_driver.ts";
import { SharedTickScheduler, type TickScheduler } from "../../src/cluster/replica/tick_scheduler.ts";
import type { PersistBatch } from "../../src/cluster/storage/types.ts";
import { SimulatedClock } from "../../src/util/simulated_clock.ts";
import type { KvOutput } from "../lincheck/kv_model.ts";
import { KvMachine } from "./kv_machine.ts";
import { type CrashPoint, SimulatedDisk, type WritePlan } from "./simulated_disk.ts";
import { SimTransport } from "./sim_transport.ts";

/** Simulated milliseconds per tick: the driver's tick timer fires each time the world moves a node's clock this far. */
export const simTickIntervalMs = 10;

/** What every node of a world shares: its Raft settings and the world's hooks. */
export interface SimNodeSetup {
  raft: Partial<Omit<RaftConfig, "id">>;
  seed: number;
  unsafe: ReplicaDriverOptions<KvMachine>["unsafe"] & { mutations?: UnsafeMutations };
  /** With quiescence on (sim_liveness.ts): the node liveness of a new process, on its clock and ticks. */
  liveness?(node: SimNode, clock: SimulatedClock, ticks: TickScheduler): GroupLiveness;
  /** Applied entries between the driver's snapshots. */
  snapshotEveryEntries: number;
  /** Entries kept behind a snapshot, drawn for each process. */
  entriesKeptAfterSnapshot(): number;
  planWrite(node: SimNode, batch: PersistBatch, previous: HardState): WritePlan;
  applying(node: SimNode, entry: Entry): void;
  beforePersist(node: SimNode, batch: PersistBatch): void;
  persisted(node: SimNode, batch: PersistBatch): void;
  /** The driver's loop failed (an assertion or a storage failure): the seed fails with it. */
  failed(node: SimNode, error: Error): void;
}

type SimDriver = ReplicaDriver<KvOutput, KvMachine>;

export class SimNode {
  readonly disk: SimulatedDisk;
  private driver: SimDriver | undefined;
  machine: KvMachine | undefined;
  transport: SimTransport | undefined;
  clock: SimulatedClock;
  /** Ticks per step, in (0, 1]: nodes run at uneven speeds. */
  tickRate = 1;
  removed = false;
  restarts = 0;
  /** The last index applied to `machine` (its snapshot's index after a start or an install). */
  appliedThrough = 0;
  /** Counters of the drivers of earlier processes of this node, summed at each crash. */
  readonly pastCounters = { snapshotsTaken: 0, entriesAppliedDuringWrite: 0 };

  constructor(
    readonly id: NodeId,
    initialConf: ConfState,
    private readonly setup: SimNodeSetup,
  ) {
    this.disk = new SimulatedDisk(initialConf, {
      beforePersist: (batch) => setup.beforePersist(this, batch),
      persisted: (batch) => setup.persisted(this, batch),
    });
    this.disk.planWrite = (batch, previous) => setup.planWrite(this, batch, previous);
    this.clock = new SimulatedClock();
    this.start();
  }

  get up(): boolean {
    return this.driver !== undefined;
  }

  /** What a crash keeps: the safety monitor's view of this node's log. */
  get storage(): MemoryStorage {
    return this.disk.durable;
  }

  replica(): SimDriver {
    if (this.driver === undefined) throw new Error(`node ${this.id} is down`);
    return this.driver;
  }

  private start(): void {
    // A new process: a new clock (its timers only), continuing from the old one's time.
    this.clock = new SimulatedClock(this.clock.now());
    this.transport = new SimTransport(this.id);
    const snapshot = this.disk.snapshot();
    const machine = new KvMachine(snapshot, {
      applying: (entry) => this.setup.applying(this, entry),
      restored: (index) => (this.appliedThrough = index),
    });
    this.machine = machine;
    this.appliedThrough = snapshot.metadata.index;
    // One tick scheduler per process, as on a real node: the driver and node liveness tick on it.
    const ticks = new SharedTickScheduler(this.clock, simTickIntervalMs);
    const liveness = this.setup.liveness?.(this, this.clock, ticks);
    const driver: SimDriver = ReplicaDriver.start({
      nodeId: this.id,
      storage: this.disk,
      transport: this.transport,
      machine,
      raft: this.setup.raft,
      clock: this.clock,
      ticks,
      liveness,
      snapshotEveryEntries: this.setup.snapshotEveryEntries,
      entriesKeptAfterSnapshot: this.setup.entriesKeptAfterSnapshot(),
      randomSeed: (this.setup.seed * 31 + this.id * 1009 + this.restarts * 7) >>> 0,
      onFailure: (error) => {
        if (this.driver === driver) this.setup.failed(this, error);
      },
      unsafe: this.setup.unsafe,
    });
    this.driver = driver;
  }

  /** The process dies at `point` of its oldest pending write (nothing pending: just dies). */
  crash(point: CrashPoint = "beforePersist"): void {
    const driver = this.driver;
    if (driver === undefined) return;
    this.pastCounters.snapshotsTaken += driver.counters.snapshotsTaken;
    this.pastCounters.entriesAppliedDuringWrite += driver.counters.entriesAppliedDuringWrite;
    this.driver = undefined;
    this.machine = undefined;
    this.transport?.kill();
    this.transport = undefined;
    this.disk.crash(point);
  }

  restart(): void {
    this.restarts++;
    this.start();
  }

  /** This node's counters over all its processes so far. */
  counters(): { snapshotsTaken: number; entriesAppliedDuringWrite: number } {
    const current = this.driver?.counters;
    return {
      snapshotsTaken: this.pastCounters.snapshotsTaken + (current?.snapshotsTaken ?? 0),
      entriesAppliedDuringWrite: this.pastCounters.entriesAppliedDuringWrite + (current?.entriesAppliedDuringWrite ?? 0),
    };
  }
}
