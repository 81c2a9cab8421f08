/**
 * The many-group world: 3 or 5 simulated nodes (multi_node.ts), each a process holding replicas
 * of many Raft groups over one real shared log on its simulated disk, one tick scheduler and one
 * group multiplexer, all groups' messages between two nodes on one simulated link. Faults strike
 * nodes, never single groups: power loss (every group on the node loses its unsynced tail at
 * once, at any point of a group commit: before its write, during its fdatasync, after its
 * messages left), restarts (every group recovered from the shared log), pauses (SIGSTOP: nothing
 * runs, messages wait), partitions and message faults per node pair, uneven clocks, slow disks;
 * and leadership transfers per group. Clients write, compare-and-set and read (ReadIndex or lease)
 * keys of every group; one safety monitor per group checks it after every step. Everything
 * random comes from one seed and simulated time, so a failing seed replays exactly.
 *
 * One step: each running, unpaused node's clock moves by its rate (the tick scheduler ticks every
 * replica; fdatasyncs due complete), due packets are delivered (a paused node's wait for it),
 * clients act, faults strike (chaos phase only), every process runs its loop turns until each
 * waits for its disk, then each node's disk phase writes the turn's records of all its groups in
 * one write and starts its one fdatasync with a drawn latency (or the node loses power inside that
 * group commit), the processes run on, what they sent goes to the network, a node whose
 * fdatasync still runs may lose power now that its messages are out, and every group's monitor
 * checks its replicas.
 */
import type { RandomSource } from "../../src/cluster/raft/random.ts";
import { randomInteger, seededRandom } from "../../src/cluster/raft/random.ts";
import type { NodeId } from "../../src/cluster/raft/types.ts";
import { ReplicationError } from "../../src/cluster/replication_error.ts";
import type { GroupId } from "../../src/cluster/transport/types.ts";
import { type GroupReplica, type MemberIds, MultiNode, type MultiNodeSetup } from "./multi_node.ts";
import { type NetworkFaults, reliableNetwork, SimNetwork } from "./network.ts";
import { SafetyMonitor } from "./safety_monitor.ts";
import { simTickIntervalMs } from "./sim_node.ts";
import type { NodePacket } from "./sim_node_transport.ts";
import { dropGroupRecords } from "./simulated_wal_disk.ts";
import { Workload } from "./workload.ts";

/** Deliberate bugs the simulator must catch (multi_sim.test.ts). */
export type MultiMutation = "acknowledgeBeforeSync" | "recoveryDropsGroup" | "misrouteGroups";

export interface MultiWorldOptions {
  seed: number;
  nodes: 3 | 5;
  /** Groups in the cluster, ids 0..groups-1; each has three replicas, placed round the nodes. */
  groups: number;
  memberIds: MemberIds;
  /** Per-step chance that a running node loses power. */
  crashProbability: number;
  /** Per group commit (and per step of a running fdatasync): chance the node loses power inside it. */
  crashInGroupCommitProbability: number;
  restartProbability: number;
  /** Per-step chance that a running node is paused for a few steps. */
  pauseProbability: number;
  partitionProbability: number;
  healProbability: number;
  /** Per-step chance that one group's leader hands over leadership. */
  transferProbability: number;
  /** Per-step chance that a node's disk turns slow for a while. */
  slowDiskProbability: number;
  /** Share of seeds whose groups serve reads from a leader lease, with clocks kept within the drift. */
  leaseReadSeedShare: number;
  /** The drivers snapshot and compact their logs every this many applied entries. */
  compactAfterEntries: number;
  /** Per-step chance that a node compacts its shared log (rewrites, segment drops). */
  compactSharedLogProbability: number;
  /** Swarm testing: each fault probability scaled per seed by a random factor in [0, 3]. */
  swarm: boolean;
  mutation: MultiMutation | null;
}

export const defaultMultiWorldOptions: Omit<MultiWorldOptions, "seed"> = {
  nodes: 3,
  groups: 4,
  memberIds: "replica",
  crashProbability: 0.006,
  crashInGroupCommitProbability: 0.004,
  restartProbability: 0.15,
  pauseProbability: 0.005,
  partitionProbability: 0.01,
  healProbability: 0.02,
  transferProbability: 0.004,
  slowDiskProbability: 0.01,
  leaseReadSeedShare: 0.5,
  compactAfterEntries: 20,
  compactSharedLogProbability: 0.05,
  swarm: true,
  mutation: null,
};

const swarmScaleMax = 3;
const restartScaleMin = 0.3;
/** Replicas of each group: three, as a shard's default replication factor. */
const replicasPerGroup = 3;
/** Per-step chance that the network's drop/duplicate/delay profile changes: weather, not noise. */
const networkWeatherChangeProbability = 0.01;
/** Per-step chance that one node's tick rate changes (a slow process). */
const tickRateChangeProbability = 0.01;
const initialTickRateMin = 0.5;
const changedTickRateMin = 0.2;
/** In lease seeds clocks run at 80-100% speed, evenly: one is at most 25% faster than another. */
const leaseTickRateMin = 0.8;
const leaseClockDriftPercentMax = 25;
/** Network weather bounds: up to 15% drops, 10% duplicates, 8 steps of delay (reordering). */
const dropProbabilityMax = 0.15;
const duplicateProbabilityMax = 0.1;
const delayStepsMax = 8;
/** Partition kinds: this share isolates one node, the next share cuts links one way only. */
const isolateNodeShare = 0.3;
const asymmetricShare = 0.3;
/** A pause lasts 1..this many steps: up to a few election timeouts. */
const pauseStepsMax = 40;
/** fdatasync latency: a fast disk completes half its fdatasyncs at once, the rest within 2.5 ticks. */
const fastDiskInstantShare = 0.5;
const fastDiskLatencyMsMax = 25;
/**
 * A slow disk takes 2 to 8 ticks per fdatasync (an overloaded disk), for 10 to 100 steps: up
 * to most of an election timeout per write, so its node's elections and acknowledgements crawl.
 */
const slowDiskLatencyMsMin = 20;
const slowDiskLatencyMsMax = 80;
const slowDiskStepsMin = 10;
const slowDiskStepsMax = 100;
/** Share of power losses inside a group commit that strike before its write (the rest: after). */
const crashBeforeWriteShare = 0.5;
/** Share of power losses at which what the node sent this step was already out. */
const messagesOutAtCrashShare = 0.5;
/** The planted misrouting hands this share of arrivals to the next group. */
const misrouteShare = 0.05;
/**
 * Segment size per seed, in [min, max]: a few to a few dozen turns of records per segment, so
 * segments roll, small groups are rewritten and segments dropped many times in a seed.
 */
const segmentSizeBytesMin = 2048;
const segmentSizeBytesMax = 16_384;
/** Entries kept behind a snapshot are drawn per process in [0, this). */
const entriesKeptAfterSnapshotMax = 11;
/** Two clients on two keys per group: contended per-key histories that stay cheap to check. */
const workloadShapePerGroup = {
  clients: 2, keys: 2, requestProbability: 0.15, retryAfterSteps: 40, unsafeLocalReads: false,
};
/** Rounds of "run queued loop turns, let promises settle" per phase of a step. */
const turnRoundsMax = 1000;

/** Sim tunables, as world.ts: short timeouts, small appends and snapshot chunks, drawn per seed. */
function simRaftConfig(random: RandomSource, leaseReads: boolean) {
  return {
    leaseReads,
    clockDriftPercentMax: leaseClockDriftPercentMax,
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 2,
    inflightAppendsMax: randomInteger(random, 1, 9),
    snapshotChunkBytes: randomInteger(random, 16, 128),
    proposalBytesMax: 128,
    appendEntriesBytesMax: randomInteger(random, 128, 4096),
    appendEntriesCountMax: random() < 0.5 ? 1 : 4096,
  };
}

function swarmOptions(options: MultiWorldOptions, random: RandomSource): MultiWorldOptions {
  const scale = (probability: number) => probability * random() * swarmScaleMax;
  return {
    ...options,
    crashProbability: scale(options.crashProbability),
    crashInGroupCommitProbability: scale(options.crashInGroupCommitProbability),
    // Restarts are repair, not a fault: never scaled near zero, or a seed sits out with every node down.
    restartProbability: options.restartProbability * (restartScaleMin + random() * (swarmScaleMax - restartScaleMin)),
    pauseProbability: scale(options.pauseProbability),
    partitionProbability: scale(options.partitionProbability),
    healProbability: scale(options.healProbability),
    transferProbability: scale(options.transferProbability),
    slowDiskProbability: scale(options.slowDiskProbability),
  };
}

/** Group g's replicas: all nodes of a 3-node world, three consecutive nodes (from g) of a larger one. */
function placeGroups(nodes: number, groups: number): Map<GroupId, NodeId[]> {
  const placement = new Map<GroupId, NodeId[]>();
  for (let group = 0; group < groups; group++) {
    const replicas = Math.min(replicasPerGroup, nodes);
    placement.set(group, Array.from({ length: replicas }, (_, i) => ((group + i) % nodes) + 1));
  }
  return placement;
}

/** Lets every promise settle (nothing in a simulation schedules macrotasks: deterministic). */
function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class MultiWorld {
  readonly random: RandomSource;
  readonly options: MultiWorldOptions;
  readonly nodes = new Map<NodeId, MultiNode>();
  readonly network: SimNetwork<NodePacket>;
  readonly monitors = new Map<GroupId, SafetyMonitor>();
  readonly workloads = new Map<GroupId, Workload>();
  readonly placement: Map<GroupId, NodeId[]>;
  readonly leaseReads: boolean;
  now = 0;
  readonly stats = {
    crashes: 0, crashesInGroupCommit: 0, crashesLosingSeveralGroups: 0, recordsLostInCrashes: 0,
    restarts: 0, pauses: 0, partitions: 0, transfers: 0, slowDiskSpells: 0, stepsToSettle: 0, groupsDropped: 0,
  };
  private chaos = false;
  /** Nodes whose disk is slow, with the steps it stays so. */
  private readonly slowDisks = new Map<NodeId, number>();
  /** Packets that reached a paused node: they wait in its socket buffers until it resumes. */
  private readonly held = new Map<NodeId, NodePacket[]>();
  private readonly failures: Error[] = [];

  constructor(requested: MultiWorldOptions) {
    this.random = seededRandom(requested.seed);
    this.options = requested.swarm ? swarmOptions(requested, this.random) : requested;
    const options = this.options;
    this.network = new SimNetwork<NodePacket>(seededRandom(options.seed ^ 0x5bd1e995));
    this.leaseReads = this.random() < options.leaseReadSeedShare;
    this.placement = placeGroups(options.nodes, options.groups);
    const setup = this.nodeSetup();
    for (let id = 1; id <= options.nodes; id++) {
      const node = new MultiNode(id, setup);
      node.tickRate = this.randomTickRate(initialTickRateMin);
      this.nodes.set(id, node);
    }
    for (const group of this.placement.keys()) {
      this.monitors.set(group, new SafetyMonitor());
      const random = seededRandom((options.seed ^ 0x27d4eb2f) + group * 7919);
      this.workloads.set(group, new Workload(workloadShapePerGroup, random));
    }
  }

  private nodeSetup(): MultiNodeSetup {
    const options = this.options;
    const misroute = options.mutation === "misrouteGroups";
    return {
      memberIds: options.memberIds,
      placement: this.placement,
      raft: simRaftConfig(this.random, this.leaseReads),
      seed: options.seed,
      segmentSizeBytes: randomInteger(this.random, segmentSizeBytesMin, segmentSizeBytesMax + 1),
      snapshotEveryEntries: options.compactAfterEntries,
      entriesKeptAfterSnapshot: () => randomInteger(this.random, 0, entriesKeptAfterSnapshotMax),
      recordLogFaults: { acknowledgeBeforeSync: options.mutation === "acknowledgeBeforeSync" },
      routeArrival: (group) => (misroute && this.random() < misrouteShare ? (group + 1) % options.groups : group),
      applying: (replica, entry) => this.monitor(replica.group).onApplied(replica, entry),
      observer: {
        beforeDurable: (replica, entries) => this.monitor(replica.group).beforePersist(replica, { entries }),
        durable: (replica, entries) => this.monitor(replica.group).onPersisted(replica, { entries }),
      },
      failed: (error) => this.failures.push(error),
    };
  }

  /** Starts every node and steps, without faults, until every replica of every group runs. */
  async start(stepsMax: number): Promise<void> {
    for (const node of this.nodes.values()) node.start();
    for (let step = 0; step < stepsMax; step++) {
      if (this.allReplicas().every((replica) => replica.up)) return;
      await this.step(false);
    }
    throw new Error(`the groups did not all open within ${stepsMax} steps`);
  }

  monitor(group: GroupId): SafetyMonitor {
    return this.monitors.get(group)!;
  }

  replicasOf(group: GroupId): GroupReplica[] {
    return this.placement.get(group)!.map((node) => this.nodes.get(node)!.replicas.get(group)!);
  }

  allReplicas(): GroupReplica[] {
    return [...this.nodes.values()].flatMap((node) => [...node.replicas.values()]);
  }

  runningNodes(): MultiNode[] {
    return [...this.nodes.values()].filter((node) => node.up && !node.paused);
  }

  /** The replica leading `group` in the highest term, among running ones. */
  leader(group: GroupId): GroupReplica | undefined {
    let best: GroupReplica | undefined;
    for (const replica of this.replicasOf(group)) {
      if (!replica.up || replica.node.paused) continue;
      const status = replica.replica().status();
      if (status.softState.role !== "leader") continue;
      if (best === undefined || status.term > best.replica().status().term) best = replica;
    }
    return best;
  }

  /** One step (see the head comment). */
  async step(chaos: boolean): Promise<void> {
    this.now++;
    this.chaos = chaos;
    for (const node of this.nodes.values()) {
      if (!node.paused) continue;
      node.pausedMs += this.elapsedMs(node);
      if (--node.pausedSteps === 0) this.resume(node);
    }
    for (const [node, steps] of this.slowDisks) {
      if (steps <= 1) this.slowDisks.delete(node);
      else this.slowDisks.set(node, steps - 1);
    }
    for (const node of this.runningNodes()) this.tickNode(node);
    this.deliver();
    for (const [group, workload] of this.workloads) {
      workload.act(this.now, this.replicasOf(group), () => this.leader(group));
    }
    if (chaos) this.injectFaults();
    for (const node of this.runningNodes()) {
      if (this.random() < this.options.compactSharedLogProbability) node.compactSharedLog();
    }
    await this.runTurns();
    for (const node of this.runningNodes()) this.diskPhase(node);
    await this.runTurns();
    for (const node of this.runningNodes()) node.transport()!.flush(this.network, this.now);
    if (chaos) this.crashWhileSyncing();
    if (this.failures.length > 0) throw this.failures[0];
    for (const [group, monitor] of this.monitors) monitor.checkStep(this.replicasOf(group));
  }

  /**
   * Runs the processes' queued loop turns, and what those queue, until every promise has settled;
   * first each hears of the fdatasyncs that completed since it last ran.
   */
  private async runTurns(): Promise<void> {
    // Nothing in a round starts, stops or pauses a node: one list serves every round.
    const running = this.runningNodes();
    for (const node of running) node.recordLog()?.announceCompletions();
    for (let round = 0; round < turnRoundsMax; round++) {
      for (const node of running) if (node.up) node.clock.runSoon();
      await settleMicrotasks();
      if (running.every((node) => !node.up || node.clock.soonCount === 0)) return;
    }
    throw new Error(`the drivers still asked for loop turns after ${turnRoundsMax} rounds`);
  }

  private deliver(): void {
    for (const packet of this.network.due(this.now)) {
      const target = this.nodes.get(packet.to);
      if (target === undefined || !target.up) continue;
      if (target.paused) {
        const held = this.held.get(target.id) ?? [];
        held.push(packet);
        this.held.set(target.id, held);
      } else {
        target.transport()!.deliver(packet);
      }
    }
  }

  /**
   * A node's group commit: the records every group appended since the last flush go out in one
   * write and one fdatasync of drawn latency, or the node loses power before the write or after it.
   */
  private diskPhase(node: MultiNode): void {
    const log = node.recordLog()!;
    if (!log.wantsFlush()) return;
    if (this.chaos && this.random() < this.options.crashInGroupCommitProbability) {
      if (this.random() >= crashBeforeWriteShare) node.noteWrite(log.write());
      this.stats.crashesInGroupCommit++;
      this.crashNode(node);
      return;
    }
    node.noteWrite(log.write());
    log.startSync(this.fsyncLatencyMs(node), node.clock);
  }

  private fsyncLatencyMs(node: MultiNode): number {
    if (this.slowDisks.has(node.id)) return randomInteger(this.random, slowDiskLatencyMsMin, slowDiskLatencyMsMax + 1);
    return this.random() < fastDiskInstantShare ? 0 : randomInteger(this.random, 1, fastDiskLatencyMsMax + 1);
  }

  /** Power loss of a node whose fdatasync runs, after what it sent this step has left. */
  private crashWhileSyncing(): void {
    for (const node of this.runningNodes()) {
      if (!node.recordLog()!.syncing() || this.random() >= this.options.crashInGroupCommitProbability) continue;
      this.stats.crashesInGroupCommit++;
      this.crashNode(node);
    }
  }

  private crashNode(node: MultiNode): void {
    // What its replicas knew was committed was committed: recorded while their memory shows it.
    for (const replica of node.replicas.values()) if (replica.up) this.monitor(replica.group).recordCommitted(replica);
    if (this.random() < messagesOutAtCrashShare) node.transport()!.flush(this.network, this.now);
    const tear = node.crash(this.random);
    this.held.delete(node.id);
    this.stats.crashes++;
    this.stats.recordsLostInCrashes += tear.recordsLost;
    if (tear.groupsLosingRecords.length >= 2) this.stats.crashesLosingSeveralGroups++;
    if (this.options.mutation === "recoveryDropsGroup") {
      const dropped = dropGroupRecords(node.disk, node.segmentSizeBytes);
      if (dropped.group !== null) this.stats.groupsDropped++;
      node.disk.durable.continueAfter(dropped.last);
    }
  }

  /**
   * A paused process runs again: its clock jumps by the time that passed (time never stops for a
   * stopped process; its overdue timers fire now), then what waited in its socket buffers arrives.
   */
  private resume(node: MultiNode): void {
    node.clock.advance(node.pausedMs);
    node.pausedMs = 0;
    const held = this.held.get(node.id) ?? [];
    this.held.delete(node.id);
    if (node.up) for (const packet of held) node.transport()!.deliver(packet);
  }

  private injectFaults(): void {
    const options = this.options;
    if (this.random() < options.crashProbability) this.crashRandomNode();
    if (this.random() < options.restartProbability) this.restartRandomNode();
    if (this.random() < options.pauseProbability) this.pauseRandomNode();
    if (this.random() < options.partitionProbability) this.partitionRandomly();
    if (this.random() < options.healProbability) this.network.healAll();
    if (this.random() < options.transferProbability) this.transferLeadership();
    if (this.random() < options.slowDiskProbability) this.slowDownRandomDisk();
    if (this.random() < networkWeatherChangeProbability) this.network.faults = this.randomNetworkFaults();
    if (this.random() < tickRateChangeProbability) {
      const nodes = [...this.nodes.values()];
      nodes[randomInteger(this.random, 0, nodes.length)].tickRate = this.randomTickRate(changedTickRateMin);
    }
  }

  private pick<T>(items: T[]): T | undefined {
    return items.length === 0 ? undefined : items[randomInteger(this.random, 0, items.length)];
  }

  private crashRandomNode(): void {
    const node = this.pick([...this.nodes.values()].filter((candidate) => candidate.up));
    if (node !== undefined) this.crashNode(node);
  }

  private restartRandomNode(): void {
    const node = this.pick([...this.nodes.values()].filter((candidate) => !candidate.up));
    if (node !== undefined) this.restart(node);
  }

  private restart(node: MultiNode): void {
    node.restart();
    this.stats.restarts++;
    for (const replica of node.replicas.values()) this.monitor(replica.group).onRestart(replica);
  }

  private pauseRandomNode(): void {
    const node = this.pick(this.runningNodes());
    if (node === undefined) return;
    node.pausedSteps = randomInteger(this.random, 1, pauseStepsMax + 1);
    this.stats.pauses++;
  }

  private slowDownRandomDisk(): void {
    const node = this.pick([...this.nodes.values()])!;
    this.slowDisks.set(node.id, randomInteger(this.random, slowDiskStepsMin, slowDiskStepsMax + 1));
    this.stats.slowDiskSpells++;
  }

  private partitionRandomly(): void {
    this.stats.partitions++;
    const ids = [...this.nodes.keys()];
    const roll = this.random();
    if (roll < isolateNodeShare) {
      const alone = this.pick(ids)!;
      this.network.partition([alone], ids.filter((id) => id !== alone));
    } else if (roll < isolateNodeShare + asymmetricShare) {
      for (let i = 0; i < 2; i++) {
        const from = this.pick(ids)!;
        const to = this.pick(ids)!;
        if (from !== to) this.network.block(from, to);
      }
    } else {
      const sideA = ids.filter(() => this.random() < 0.5);
      this.network.partition(sideA, ids.filter((id) => !sideA.includes(id)));
    }
  }

  private transferLeadership(): void {
    const group = randomInteger(this.random, 0, this.options.groups);
    const leader = this.leader(group);
    if (leader === undefined) return;
    const voters = leader.replica().status().confState.voters.filter((id) => id !== leader.id);
    const target = this.pick(voters);
    if (target === undefined) return;
    try {
      leader.replica().transferLeadership(target);
      this.stats.transfers++;
    } catch (error) {
      if (!(error instanceof ReplicationError)) throw error;
    }
  }

  private randomTickRate(minimum: number): number {
    const low = this.leaseReads ? Math.max(minimum, leaseTickRateMin) : minimum;
    return low + this.random() * (1 - low);
  }

  /** Moves the node's clock by one step's time (elapsedMs); its due timers fire. */
  private tickNode(node: MultiNode): void {
    const elapsed = this.elapsedMs(node);
    if (elapsed > 0) node.clock.advance(elapsed);
  }

  /** One step's time on the node's clock: its rate of a tick in lease seeds (even clocks), else a tick or none. */
  private elapsedMs(node: MultiNode): number {
    if (this.leaseReads) return node.tickRate * simTickIntervalMs;
    return this.random() < node.tickRate ? simTickIntervalMs : 0;
  }

  randomNetworkFaults(): NetworkFaults {
    return {
      dropProbability: this.random() * dropProbabilityMax,
      duplicateProbability: this.random() * duplicateProbabilityMax,
      delayStepsMax: randomInteger(this.random, 1, delayStepsMax + 1),
    };
  }

  /** Ends the chaos: heals the network, resumes and restarts every node, fast disks, even clocks. */
  heal(): void {
    this.network.healAll();
    this.network.faults = reliableNetwork;
    this.slowDisks.clear();
    for (const node of this.nodes.values()) {
      if (node.paused) {
        node.pausedSteps = 0;
        this.resume(node);
      }
      if (!node.up) this.restart(node);
      node.tickRate = 1;
    }
  }
}
