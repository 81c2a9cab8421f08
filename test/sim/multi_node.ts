/**
 * One simulated node of the many-group world (multi_world.ts), built as a FileStore node runs
 * its replicas: one process holding a replica of each of its groups, with one real shared log
 * (src/cluster/wal/shared_log.ts) on the node's simulated disk (simulated_wal_disk.ts, through
 * simulated_record_log.ts), one SharedTickScheduler ticking every replica on the process's
 * simulated clock, one real GroupMultiplexer over the node's simulated node transport
 * (sim_node_transport.ts), and per group the real ReplicaDriver with the simulator's key-value
 * machine (kv_machine.ts), on the group's view of the shared log and of the transport.
 *
 * A crash is the node's power loss: the process is abandoned mid-flight (its promises never
 * settle) and the disk keeps what simulated_wal_disk.ts says, for every group at once. A restart
 * is a new process that opens the shared log from that disk alone: the real recovery (torn tail
 * cut, every record replayed), then every group's view, each checked against what the disk
 * held durably for it (a difference fails the seed: "Recovery"), then every driver.
 *
 * Member ids: group 0 uses node ids (nodeIdsAsMemberIds), every other group replica ids unique
 * in the cluster (the group times replicaIdsPerGroup plus the node), located by a MemberLocator
 * as the coordinator's shard map would; memberIds "node" gives every group node ids.
 */
import type { RaftConfig } from "../../src/cluster/raft/config.ts";
import type { Entry, NodeId } from "../../src/cluster/raft/types.ts";
import { ReplicaDriver } from "../../src/cluster/replica/replica_driver.ts";
import { SharedTickScheduler } from "../../src/cluster/replica/tick_scheduler.ts";
import {
  GroupMultiplexer, type MemberLocator, nodeIdsAsMemberIds,
} from "../../src/cluster/transport/group_multiplexer.ts";
import type { GroupId } from "../../src/cluster/transport/types.ts";
import type { GroupStorage } from "../../src/cluster/wal/group_storage.ts";
import { SharedLog } from "../../src/cluster/wal/shared_log.ts";
import { SnapshotStore } from "../../src/cluster/wal/snapshot_store.ts";
import type { RandomSource } from "../../src/cluster/raft/random.ts";
import { SimulatedClock } from "../../src/util/simulated_clock.ts";
import type { KvOutput } from "../lincheck/kv_model.ts";
import type { PersistedLog } from "./durable_groups.ts";
import { KvMachine } from "./kv_machine.ts";
import { SafetyViolation, type MonitoredReplica } from "./safety_monitor.ts";
import { simTickIntervalMs } from "./sim_node.ts";
import { SimNodeTransport } from "./sim_node_transport.ts";
import { type CrashTear, type RecordLogFaults, SimulatedRecordLog } from "./simulated_record_log.ts";
import { SimulatedWalDisk } from "./simulated_wal_disk.ts";
import type { ClientTarget } from "./workload.ts";

/** Replica ids of groups but 0 are the group times this plus the node: unique in the cluster. */
const replicaIdsPerGroup = 1000;

export type MemberIds = "replica" | "node";

export function memberIdOf(memberIds: MemberIds, group: GroupId, node: NodeId): NodeId {
  return memberIds === "node" || group === 0 ? node : group * replicaIdsPerGroup + node;
}

/** Where each group's members run, as the node runtime's locator would say from the shard map. */
export function memberLocator(memberIds: MemberIds): MemberLocator {
  if (memberIds === "node") return nodeIdsAsMemberIds;
  return {
    nodeOf: (group, member) => {
      if (group === 0) return member;
      return Math.floor(member / replicaIdsPerGroup) === group ? member % replicaIdsPerGroup : undefined;
    },
    memberOn: (group, node) => memberIdOf(memberIds, group, node),
  };
}

/** What every node of a world shares: the layout, settings, faults and the world's hooks. */
export interface MultiNodeSetup {
  memberIds: MemberIds;
  /** The nodes holding each group's replicas. */
  placement: ReadonlyMap<GroupId, readonly NodeId[]>;
  raft: Partial<Omit<RaftConfig, "id">>;
  seed: number;
  segmentSizeBytes: number;
  snapshotEveryEntries: number;
  entriesKeptAfterSnapshot(): number;
  recordLogFaults: RecordLogFaults;
  /** The group an arrival of `group` is handed to the multiplexer as (identity but for a planted bug). */
  routeArrival(group: GroupId): GroupId;
  applying(replica: GroupReplica, entry: Entry): void;
  /** Entries of a replica reaching its node's disk durably (durable_groups.ts), before and after. */
  observer: {
    beforeDurable(replica: GroupReplica, entries: Entry[]): void;
    durable(replica: GroupReplica, entries: Entry[]): void;
  };
  /** A driver's loop, the recovery or a compaction failed: the seed fails with it. */
  failed(error: Error): void;
}

type SimDriver = ReplicaDriver<KvOutput, KvMachine>;

/** One group's replica on a node: what its group's safety monitor and clients see of it. */
export class GroupReplica implements MonitoredReplica, ClientTarget {
  driver: SimDriver | undefined = undefined;
  machine: KvMachine | undefined = undefined;
  appliedThrough = 0;
  readonly storage: PersistedLog;

  constructor(
    readonly node: MultiNode,
    readonly group: GroupId,
    readonly id: NodeId,
  ) {
    this.storage = node.disk.durable.view(group);
  }

  get up(): boolean {
    return this.driver !== undefined;
  }

  get clock(): SimulatedClock {
    return this.node.clock;
  }

  replica(): SimDriver {
    if (this.driver === undefined) throw new Error(`replica ${this.id} of group ${this.group} is down`);
    return this.driver;
  }
}

interface NodeProcess {
  log: SimulatedRecordLog;
  sharedLog: SharedLog;
  transport: SimNodeTransport;
  multiplexer: GroupMultiplexer;
}

export class MultiNode {
  readonly disk: SimulatedWalDisk;
  readonly replicas = new Map<GroupId, GroupReplica>();
  clock = new SimulatedClock();
  private process: NodeProcess | undefined = undefined;
  /** Ticks per step, in (0, 1]: nodes run at uneven speeds. */
  tickRate = 1;
  /** Steps left of a pause (SIGSTOP): no ticks, no deliveries, no loop turns, no disk completions. */
  pausedSteps = 0;
  /** Time that passed during the pause: the clock jumps by it when the process runs again. */
  pausedMs = 0;
  restarts = 0;
  /** Torn tails the recovery of this node's processes cut. */
  tornTailsCut = 0;
  /** Most groups whose records went out in one write (one fdatasync), over this node's processes. */
  groupsPerWriteMax = 0;
  /** Counters of the processes before the current one, summed at each crash. */
  readonly pastCounters = {
    snapshotsTaken: 0, fdatasyncs: 0, writes: 0, segmentsDropped: 0, groupsRewritten: 0, misaddressed: 0,
  };

  constructor(
    readonly id: NodeId,
    private readonly setup: MultiNodeSetup,
  ) {
    this.disk = new SimulatedWalDisk(`n${id}`, {
      beforeDurable: (group, entries) => this.setup.observer.beforeDurable(this.replicaOf(group), entries),
      durable: (group, entries) => this.setup.observer.durable(this.replicaOf(group), entries),
    });
    for (const [group, nodes] of setup.placement) {
      if (!nodes.includes(id)) continue;
      this.replicas.set(group, new GroupReplica(this, group, memberIdOf(setup.memberIds, group, id)));
    }
  }

  get up(): boolean {
    return this.process !== undefined;
  }

  get segmentSizeBytes(): number {
    return this.setup.segmentSizeBytes;
  }

  get paused(): boolean {
    return this.pausedSteps > 0;
  }

  /** The running process's record log (the world drives its group commit). */
  recordLog(): SimulatedRecordLog | undefined {
    return this.process?.log;
  }

  transport(): SimNodeTransport | undefined {
    return this.process?.transport;
  }

  /** Starts a new process on this node's disk; its groups open one after another (see the head comment). */
  start(): void {
    // A new process: a new clock (its timers only), continuing from the old one's time.
    this.clock = new SimulatedClock(this.clock.now());
    let log: SimulatedRecordLog;
    let sharedLog: SharedLog;
    try {
      log = SimulatedRecordLog.open(this.disk, this.setup.segmentSizeBytes, this.setup.recordLogFaults);
      sharedLog = SharedLog.openOn(log, new SnapshotStore(this.disk.snapshotFiles), this.disk.name);
    } catch (error) {
      const refusal = `Recovery: node ${this.id} refused to open its shared log: ${String(error)}`;
      this.setup.failed(new SafetyViolation(refusal));
      return;
    }
    if (log.recovery.tornTail !== null) this.tornTailsCut++;
    const transport = new SimNodeTransport(this.id, (group) => this.setup.routeArrival(group));
    const multiplexer = new GroupMultiplexer(transport, memberLocator(this.setup.memberIds));
    const process: NodeProcess = { log, sharedLog, transport, multiplexer };
    this.process = process;
    const ticks = new SharedTickScheduler(this.clock, simTickIntervalMs);
    this.openGroups(process, ticks).catch((error: unknown) => {
      if (this.process === process) this.setup.failed(asError(error));
    });
  }

  /** The node loses power (simulated_wal_disk.ts); returns what it did to the unsynced tail. */
  crash(random: RandomSource): CrashTear {
    const process = this.process;
    if (process === undefined) throw new Error(`node ${this.id} is down`);
    this.countPast(process);
    this.stop(process);
    return process.log.crash(random);
  }

  restart(): void {
    this.restarts++;
    this.start();
  }

  /** Starts a compaction of the shared log (rewrites, segment drops); a failure fails the seed. */
  compactSharedLog(): void {
    const process = this.process;
    if (process === undefined) return;
    process.sharedLog.compactSegments().catch((error: unknown) => {
      // A process that lost power fails what it still had in flight; only a running one's failure counts.
      if (this.process === process) this.setup.failed(asError(error));
    });
  }

  /** This node's counters over all its processes so far. */
  counters(): MultiNode["pastCounters"] {
    const total = { ...this.pastCounters };
    if (this.process !== undefined) addCounters(total, this.processCounters(this.process));
    return total;
  }

  /** Notes how many groups the records of the write about to go out belong to. */
  noteWrite(groups: number): void {
    this.groupsPerWriteMax = Math.max(this.groupsPerWriteMax, groups);
  }

  private async openGroups(process: NodeProcess, ticks: SharedTickScheduler): Promise<void> {
    // Checked before any group opens: opening a group the log lacks writes its first record.
    const recovered = new Set(process.sharedLog.groupIds());
    for (const group of this.replicas.keys()) {
      if (this.disk.durable.holds(group) && !recovered.has(group)) {
        const held = this.disk.durable.view(group).initialState().hardState;
        const detail = `lost group ${group}; its disk held term ${held.term}, vote ${held.vote}, commit ${held.commit}`;
        throw new SafetyViolation(`Recovery: node ${this.id} (restart ${this.restarts}) ${detail}`);
      }
    }
    for (const replica of this.replicas.values()) {
      const confState = { voters: this.membersOf(replica.group), learners: [] };
      const storage = await process.sharedLog.openGroup(replica.group, confState);
      if (this.process !== process) return;
      // A group the log lacked was created just now: nothing was recovered to compare.
      const difference = recovered.has(replica.group) ? this.disk.durable.differences(replica.group, storage) : null;
      if (difference !== null) {
        throw new SafetyViolation(`Recovery: node ${this.id} (restart ${this.restarts}): ${difference}`);
      }
      this.startReplica(process, replica, storage, ticks);
    }
  }

  private startReplica(
    process: NodeProcess,
    replica: GroupReplica,
    storage: GroupStorage,
    ticks: SharedTickScheduler,
  ): void {
    const snapshot = storage.snapshot();
    // A process that lost power runs nothing more: what its driver still had in flight is ignored.
    const machine: KvMachine = new KvMachine(snapshot, {
      applying: (entry) => {
        if (replica.machine === machine) this.setup.applying(replica, entry);
      },
      restored: (index) => {
        if (replica.machine === machine) replica.appliedThrough = index;
      },
    });
    replica.machine = machine;
    replica.appliedThrough = snapshot.metadata.index;
    const transport = process.multiplexer.open(replica.group, replica.id);
    const peers = new Map(this.membersOf(replica.group).map((member) => [member, `member-${member}`] as const));
    transport.setPeers(peers);
    const driver: SimDriver = ReplicaDriver.start({
      nodeId: replica.id,
      storage,
      transport,
      machine,
      raft: this.setup.raft,
      clock: this.clock,
      tickIntervalMs: simTickIntervalMs,
      ticks,
      snapshotEveryEntries: this.setup.snapshotEveryEntries,
      entriesKeptAfterSnapshot: this.setup.entriesKeptAfterSnapshot(),
      randomSeed: (this.setup.seed * 31 + replica.id * 1009 + this.restarts * 7) >>> 0,
      onFailure: (error) => {
        if (replica.driver === driver) this.setup.failed(error);
      },
    });
    replica.driver = driver;
  }

  private membersOf(group: GroupId): NodeId[] {
    return this.setup.placement.get(group)!.map((node) => memberIdOf(this.setup.memberIds, group, node));
  }

  private replicaOf(group: GroupId): GroupReplica {
    const replica = this.replicas.get(group);
    if (replica === undefined) throw new Error(`node ${this.id} holds no replica of group ${group}`);
    return replica;
  }

  private stop(process: NodeProcess): void {
    this.process = undefined;
    this.pausedSteps = 0;
    this.pausedMs = 0;
    process.transport.kill();
    for (const replica of this.replicas.values()) {
      replica.driver = undefined;
      replica.machine = undefined;
    }
  }

  private processCounters(process: NodeProcess): MultiNode["pastCounters"] {
    let snapshotsTaken = 0;
    for (const replica of this.replicas.values()) snapshotsTaken += replica.driver?.counters.snapshotsTaken ?? 0;
    const log = process.log.stats();
    const shared = process.sharedLog.stats();
    return {
      snapshotsTaken, fdatasyncs: log.fdatasyncCount, writes: log.writeCount,
      segmentsDropped: shared.segmentsDropped, groupsRewritten: shared.groupsRewritten,
      misaddressed: process.transport.stats().rejected.misaddressed,
    };
  }

  private countPast(process: NodeProcess): void {
    addCounters(this.pastCounters, this.processCounters(process));
  }
}

function addCounters(total: MultiNode["pastCounters"], more: MultiNode["pastCounters"]): void {
  for (const key of Object.keys(total) as (keyof MultiNode["pastCounters"])[]) total[key] += more[key];
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
