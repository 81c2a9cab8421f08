/**
 * A seeded world of simulated servers, each running the real replica driver (sim_node.ts):
 * network faults, partitions (symmetric, asymmetric, isolated leader), crashes at any point of
 * a write and restarts, uneven clocks, a client workload, membership changes and leadership
 * transfers, the driver's own snapshots and log compaction, and (on half the seeds) lease reads,
 * with the safety monitor run after every step. Everything random comes from one seed and
 * simulated time only, so a failing seed replays exactly.
 *
 * One step: each live node's clock moves by its rate (the driver's tick timer fires on it), due
 * messages are delivered to the drivers, clients act, faults strike (chaos phase only), every
 * driver runs its loop turns until each waits for its disk, the disks complete, hold (a slow
 * write) or crash inside each pending write, the drivers run on (send, apply, serve reads, take
 * snapshots), what they sent goes to the network, then the safety monitor checks everything.
 *
 * With quiescence on, each process also runs node liveness (sim_liveness.ts) and its group goes
 * quiet when idle; heartbeats of nodes travel on the same links as the Raft messages.
 */
import type { UnsafeMutations } from "../../src/cluster/raft/config.ts";
import { randomInteger, seededRandom, type RandomSource } from "../../src/cluster/raft/random.ts";
import type { ConfChange, HardState, NodeId } from "../../src/cluster/raft/types.ts";
import { ReplicationError } from "../../src/cluster/replication_error.ts";
import type { PersistBatch } from "../../src/cluster/storage/types.ts";
import { reliableNetwork, SimNetwork } from "./network.ts";
import { SafetyMonitor } from "./safety_monitor.ts";
import { SimLiveness } from "./sim_liveness.ts";
import { simTickIntervalMs, SimNode, type SimNodeSetup } from "./sim_node.ts";
import type { CrashPoint, WritePlan } from "./simulated_disk.ts";
import { Workload } from "./workload.ts";

export interface WorldOptions {
  seed: number;
  nodes: 3 | 5;
  unsafeMutations: UnsafeMutations;
  /** Per-step probabilities of fault events during the chaos phase. */
  crashProbability: number;
  restartProbability: number;
  partitionProbability: number;
  healProbability: number;
  membershipChangeProbability: number;
  transferProbability: number;
  /** Chance that a leader crashes right after its commit index moved or right after winning (messages lost). */
  leaderCommitCrashProbability: number;
  /**
   * Chance that a node whose write records a new vote crashes right after its answer left (at
   * the end of the step): the vote must survive the restart (§3.8), or it can vote twice.
   */
  voterCrashProbability: number;
  /** Mutation check of the client side: gets skip ReadIndex (see WorkloadShape). */
  unsafeLocalReads: boolean;
  /** Mutation check of the driver: messages leave before the Ready is persisted (the driver's options.unsafe). */
  unsafeSendBeforePersist: boolean;
  /** Node liveness on, so idle groups go quiet (sim_liveness.ts). */
  quiescence: boolean;
  /** Mutation check of quiescence: quiet followers ignore their leader's node lapsing (the driver's options.unsafe). */
  unsafeIgnoreLivenessLapses: boolean;
  /**
   * Share of seeds whose nodes serve reads from a leader lease (leader_lease.ts). Those
   * seeds keep every clock within the stated drift: tick rates in [leaseTickRateMin, 1],
   * spread evenly (no random bursts), and clockDriftPercentMax set to match.
   */
  leaseReadSeedShare: number;
  /**
   * Chance that a write is slow: it stays pending for a few steps while the driver keeps
   * stepping (and a leader's early appends are already out), as during a real fsync.
   */
  slowWriteProbability: number;
  /** The drivers snapshot and compact their logs every this many applied entries. */
  compactAfterEntries: number;
  /**
   * Swarm testing: scale each fault probability per seed by a random factor in [0, 3], so
   * some seeds hammer one kind of fault and nearly leave out others (finds more bugs per
   * seed than one fixed mix); leader crashes at commit are left out entirely on some seeds.
   */
  swarm: boolean;
}

const swarmScaleMax = 3;
/**
 * Share of seeds without leader crashes at commit: that fault stalls the workload, so
 * these seeds check longer client histories.
 */
const swarmFaultOffShare = 0.4;
/** Per-step chance that the network's drop/duplicate/delay profile changes: weather, not noise. */
const networkWeatherChangeProbability = 0.01;
/** Per-step chance that one node's tick rate changes (a slow or paused process). */
const tickRateChangeProbability = 0.01;
/** Tick rates (ticks per step) are drawn in [min, 1]: nodes' clocks run unevenly. */
const initialTickRateMin = 0.5;
const changedTickRateMin = 0.2;
/** Network weather bounds: up to 15% drops, 10% duplicates, 8 steps of delay (reordering). */
const dropProbabilityMax = 0.15;
const duplicateProbabilityMax = 0.1;
const delayStepsMax = 8;
/** Partition kinds: this share isolates the leader, the next share cuts links one way only. */
const isolateLeaderShare = 0.3;
const asymmetricShare = 0.3;
/** In lease seeds clocks run at 80-100% speed, evenly: one is at most 25% faster than another. */
const leaseTickRateMin = 0.8;
const leaseClockDriftPercentMax = 25;
/** Share of crashes inside a write that also lose the messages sent before it (still in send buffers). */
const earlyMessagesLostShare = 0.5;
/** Per-step chance that a slow write (WorldOptions.slowWriteProbability) finishes: a few steps on average. */
const slowWriteFinishProbability = 0.4;
/** Share of seeds whose append messages carry one entry each (batches split between entries). */
const oneEntryAppendSeedShare = 0.5;

function swarmOptions(options: WorldOptions, random: RandomSource): WorldOptions {
  const scale = (probability: number) => probability * random() * swarmScaleMax;
  const scaleOrOmit = (probability: number) => (random() < swarmFaultOffShare ? 0 : scale(probability));
  return {
    ...options,
    crashProbability: scale(options.crashProbability),
    restartProbability: scale(options.restartProbability),
    partitionProbability: scale(options.partitionProbability),
    healProbability: scale(options.healProbability),
    membershipChangeProbability: scale(options.membershipChangeProbability),
    transferProbability: scale(options.transferProbability),
    leaderCommitCrashProbability: scaleOrOmit(options.leaderCommitCrashProbability),
    voterCrashProbability: scaleOrOmit(options.voterCrashProbability),
  };
}

export const defaultWorldOptions: Omit<WorldOptions, "seed"> = {
  nodes: 3,
  unsafeMutations: {},
  crashProbability: 0.01,
  restartProbability: 0.15,
  partitionProbability: 0.01,
  healProbability: 0.02,
  membershipChangeProbability: 0.005,
  transferProbability: 0.004,
  leaderCommitCrashProbability: 0.4,
  voterCrashProbability: 0.2,
  unsafeLocalReads: false,
  unsafeSendBeforePersist: false,
  quiescence: false,
  unsafeIgnoreLivenessLapses: false,
  leaseReadSeedShare: 0.5,
  slowWriteProbability: 0.2,
  compactAfterEntries: 20,
  swarm: true,
};

/** The simulator's Raft timing (simRaftConfig), which node liveness follows when quiescence is on. */
const simElectionTimeoutTicks = 10;
const simHeartbeatIntervalTicks = 2;

/** Three clients on three keys keep per-key histories contended yet cheap to check. */
const workloadShape = { clients: 3, keys: 3, requestProbability: 0.2, retryAfterSteps: 40 };

/**
 * Sim tunables: short timeouts keep seeds fast; small chunks make a snapshot take several
 * messages; a small append size (drawn per seed) splits batches, so a follower can hold an
 * old-term entry without the new leader's no-op after it (the Figure 3.7 situation).
 */
function simRaftConfig(random: RandomSource, leaseReads: boolean) {
  return {
    leaseReads,
    clockDriftPercentMax: leaseClockDriftPercentMax,
    electionTimeoutTicks: simElectionTimeoutTicks,
    heartbeatIntervalTicks: simHeartbeatIntervalTicks,
    inflightAppendsMax: randomInteger(random, 1, 9),
    // Snapshots here are a few hundred bytes: small chunks make each take several messages.
    snapshotChunkBytes: randomInteger(random, 16, 128),
    learnerPromotionLagEntriesMax: 20,
    proposalBytesMax: 128,
    appendEntriesBytesMax: randomInteger(random, 128, 4096),
    // Half the seeds carry one entry per append message, so batches split between entries.
    appendEntriesCountMax: random() < oneEntryAppendSeedShare ? 1 : 4096,
  };
}

/** Entries kept behind a snapshot are drawn per process in [0, this). */
const entriesKeptAfterSnapshotMax = 11;
/** Rounds of "run queued loop turns, let promises settle" per phase of a step; a loop needing more never settles. */
const turnRoundsMax = 1000;
const completeAtOnce: WritePlan = { point: "none", earlyMessagesLost: false, holdWrite: false, crashAfterSend: false };

/**
 * Lets every promise settle: resolves once the microtask queue is empty. Nothing else in a
 * simulation schedules macrotasks (its time is simulated), so this is deterministic.
 */
function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export class World {
  readonly random: RandomSource;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly network: SimNetwork;
  readonly monitor = new SafetyMonitor();
  readonly workload: Workload;
  /** Node liveness of every node, when quiescence is on. */
  readonly liveness: SimLiveness | undefined;
  now = 0;
  private nextNodeId: number;
  private removal: { node: NodeId; index: number; term: number } | undefined = undefined;
  readonly leaseReads: boolean;
  /** What happened in the run; stepsToSettle: steps from healing to a leader and no pending request. */
  readonly stats = { crashes: 0, partitions: 0, transfers: 0, membershipChanges: 0, slowWrites: 0, stepsToSettle: 0 };
  readonly options: WorldOptions;
  private readonly setup: SimNodeSetup;
  /** Whether faults strike in the current step (writes planned now may crash or be slow). */
  private chaos = false;
  /** Nodes to crash at the end of this step, once what they sent has left (WritePlan.crashAfterSend). */
  private readonly crashAfterSend = new Set<SimNode>();
  /** Failures of a driver's loop (an assertion inside it): the seed fails with the first. */
  private readonly failures: Error[] = [];

  constructor(requested: WorldOptions) {
    this.random = seededRandom(requested.seed);
    this.options = requested.swarm ? swarmOptions(requested, this.random) : requested;
    const options = this.options;
    this.network = new SimNetwork(seededRandom(options.seed ^ 0x5bd1e995));
    this.leaseReads = this.random() < options.leaseReadSeedShare;
    this.liveness = options.quiescence ? this.startLiveness() : undefined;
    this.setup = {
      raft: simRaftConfig(this.random, this.leaseReads),
      seed: options.seed,
      unsafe: {
        mutations: options.unsafeMutations,
        sendBeforePersist: options.unsafeSendBeforePersist,
        ignoreLivenessLapses: options.unsafeIgnoreLivenessLapses,
      },
      liveness: this.livenessJoin(),
      snapshotEveryEntries: options.compactAfterEntries,
      entriesKeptAfterSnapshot: () => randomInteger(this.random, 0, entriesKeptAfterSnapshotMax),
      planWrite: (node, batch, previous) => this.planWrite(node, batch, previous),
      applying: (node, entry) => this.monitor.onApplied(node, entry),
      beforePersist: (node, batch) => this.monitor.beforePersist(node, batch),
      persisted: (node, batch) => this.monitor.onPersisted(node, batch),
      failed: (_node, error) => this.failures.push(error),
    };
    const voters = Array.from({ length: options.nodes }, (_, i) => i + 1);
    for (const id of voters) this.addNode(id, { voters, learners: [] });
    this.nextNodeId = options.nodes + 1;
    const shape = { ...workloadShape, unsafeLocalReads: options.unsafeLocalReads };
    this.workload = new Workload(shape, seededRandom(options.seed ^ 0x27d4eb2f));
  }

  private addNode(id: NodeId, conf: { voters: NodeId[]; learners: NodeId[] }): SimNode {
    const node = new SimNode(id, conf, this.setup);
    node.tickRate = this.randomTickRate(initialTickRateMin);
    this.nodes.set(id, node);
    this.liveness?.nodesChanged();
    return node;
  }

  /** How a new process joins node liveness, when quiescence is on. */
  private livenessJoin(): SimNodeSetup["liveness"] {
    const liveness = this.liveness;
    if (liveness === undefined) return undefined;
    return (node, clock, ticks) => liveness.join(node.id, clock, ticks);
  }

  private startLiveness(): SimLiveness {
    const world = {
      network: this.network,
      nodeIds: () => [...this.nodes.keys()],
      isUp: (node: NodeId) => this.nodes.get(node)?.up === true,
    };
    const timing = { heartbeatIntervalTicks: simHeartbeatIntervalTicks, lapseTicks: simElectionTimeoutTicks };
    return new SimLiveness(world, seededRandom(this.options.seed ^ 0x1b873593), timing);
  }

  liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((node) => node.up);
  }

  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.liveNodes()) {
      const status = node.replica().status();
      if (status.softState.role !== "leader") continue;
      if (best === undefined || status.term > best.replica().status().term) best = node;
    }
    return best;
  }

  /** Snapshots taken and entries applied during their own slow write, over every node and process. */
  driverCounts(): { snapshotsTaken: number; entriesAppliedDuringWrite: number } {
    const total = { snapshotsTaken: 0, entriesAppliedDuringWrite: 0 };
    for (const node of this.nodes.values()) {
      const counts = node.counters();
      total.snapshotsTaken += counts.snapshotsTaken;
      total.entriesAppliedDuringWrite += counts.entriesAppliedDuringWrite;
    }
    return total;
  }

  /** One step (see the head comment). */
  async step(chaos: boolean): Promise<void> {
    this.now++;
    this.chaos = chaos;
    for (const node of this.liveNodes()) this.tickNode(node);
    for (const message of this.network.due(this.now)) {
      const target = this.nodes.get(message.to);
      if (target?.up) target.transport!.deliver(message);
    }
    this.workload.act(this.now, [...this.nodes.values()].filter((node) => !node.removed), () => this.leader());
    if (chaos) this.injectFaults();
    await this.runTurns();
    for (const node of this.liveNodes()) this.handleDisk(node, chaos);
    await this.runTurns();
    for (const node of this.liveNodes()) node.transport!.flush(this.network, this.now);
    for (const node of this.crashAfterSend) if (node.up) this.crashNode(node, "beforePersist", true);
    this.crashAfterSend.clear();
    if (this.failures.length > 0) throw this.failures[0];
    this.monitor.checkStep(this.nodes.values());
    this.retireRemovedNode();
  }

  /** Runs the drivers' queued loop turns, and what those queue, until every promise has settled. */
  private async runTurns(): Promise<void> {
    for (let round = 0; round < turnRoundsMax; round++) {
      for (const node of this.liveNodes()) node.clock.runSoon();
      await settleMicrotasks();
      if (this.liveNodes().every((node) => node.clock.soonCount === 0)) return;
    }
    throw new Error(`the drivers still asked for loop turns after ${turnRoundsMax} rounds`);
  }

  /**
   * Decides a write's fate as the driver makes it: crashes strike at random points inside
   * writes, the messages sent before the write either lost with the process or already out;
   * a leader is also struck right after its commit index moved, before it can tell anyone (the
   * moment commit rules matter most), and right after winning, before its no-op leaves.
   */
  private planWrite(node: SimNode, batch: PersistBatch, previous: HardState): WritePlan {
    if (!this.chaos) return completeAtOnce;
    const crashAt = (point: CrashPoint, earlyMessagesLost: boolean): WritePlan => ({ ...completeAtOnce, point, earlyMessagesLost });
    if (this.random() < this.options.crashProbability / 4) return crashAt(this.pickCrashPoint(), this.random() < earlyMessagesLostShare);
    const leader = node.replica().isLeader();
    const leaderCommitted = leader && batch.hardState !== undefined && batch.hardState.commit > previous.commit;
    if (leaderCommitted && this.random() < this.options.leaderCommitCrashProbability) return crashAt("afterPersist", true);
    // A new leader's first write holds its no-op; dying before sending it leaves a lone entry of its term.
    const newLeader = leader && batch.entries.some((entry) => entry.data.length === 0 && entry.kind === "normal");
    if (newLeader && this.random() < this.options.leaderCommitCrashProbability) return crashAt("afterPersist", true);
    const voted = batch.hardState !== undefined && batch.hardState.vote !== 0 && batch.hardState.vote !== node.id
      && (batch.hardState.vote !== previous.vote || batch.hardState.term !== previous.term);
    if (voted && this.random() < this.options.voterCrashProbability) return { ...completeAtOnce, crashAfterSend: true };
    return { ...completeAtOnce, holdWrite: this.random() < this.options.slowWriteProbability };
  }

  /** Completes, holds or crashes inside the node's oldest pending write, as planned when it was made. */
  private handleDisk(node: SimNode, chaos: boolean): void {
    const write = node.disk.firstPending();
    if (write === undefined) return;
    if (write.held) {
      if (!chaos || this.random() < slowWriteFinishProbability) node.disk.completeAll();
      return;
    }
    const plan = chaos ? write.plan : completeAtOnce;
    if (plan.point !== "none") {
      this.crashNode(node, plan.point, plan.earlyMessagesLost);
    } else if (plan.crashAfterSend) {
      node.disk.completeAll();
      this.crashAfterSend.add(node);
    } else if (plan.holdWrite) {
      node.disk.hold();
      this.stats.slowWrites++;
    } else {
      node.disk.completeAll();
    }
  }

  private crashNode(node: SimNode, point: CrashPoint, earlyMessagesLost: boolean): void {
    // What it knew was committed was committed: recorded while its memory still shows it.
    this.monitor.recordCommitted(node);
    if (!earlyMessagesLost) node.transport!.flush(this.network, this.now);
    node.crash(point);
    this.stats.crashes++;
  }

  private pickCrashPoint(): CrashPoint {
    const points: CrashPoint[] = ["beforePersist", "afterEntries", "afterPersist"];
    return points[randomInteger(this.random, 0, points.length)];
  }

  private injectFaults(): void {
    const options = this.options;
    if (this.random() < options.crashProbability) this.crashRandomNode();
    if (this.random() < options.restartProbability) this.restartRandomNode();
    if (this.random() < options.partitionProbability) this.partitionRandomly();
    if (this.random() < options.healProbability) this.network.healAll();
    if (this.random() < options.membershipChangeProbability) this.changeMembership();
    if (this.random() < options.transferProbability) this.transferLeadership();
    if (this.random() < networkWeatherChangeProbability) this.network.faults = this.randomNetworkFaults();
    if (this.random() < tickRateChangeProbability) {
      const nodes = [...this.nodes.values()];
      nodes[randomInteger(this.random, 0, nodes.length)].tickRate = this.randomTickRate(changedTickRateMin);
    }
  }

  private randomTickRate(minimum: number): number {
    const low = this.leaseReads ? Math.max(minimum, leaseTickRateMin) : minimum;
    return low + this.random() * (1 - low);
  }

  /**
   * Moves the node's clock (its driver ticks each time it passes a tick interval): evenly by
   * its rate in lease seeds (a fractional tick carries over), a whole tick or none at random
   * (Bernoulli per step) in others.
   */
  private tickNode(node: SimNode): void {
    if (this.leaseReads) {
      node.clock.advance(node.tickRate * simTickIntervalMs);
      return;
    }
    if (this.random() < node.tickRate) node.clock.advance(simTickIntervalMs);
  }

  randomNetworkFaults() {
    return {
      dropProbability: this.random() * dropProbabilityMax,
      duplicateProbability: this.random() * duplicateProbabilityMax,
      delayStepsMax: randomInteger(this.random, 1, delayStepsMax + 1),
    };
  }

  private crashRandomNode(): void {
    const live = this.liveNodes();
    if (live.length === 0) return;
    this.crashNode(live[randomInteger(this.random, 0, live.length)], "beforePersist", true);
  }

  private restartRandomNode(): void {
    const down = [...this.nodes.values()].filter((node) => !node.up && !node.removed);
    if (down.length === 0) return;
    this.restart(down[randomInteger(this.random, 0, down.length)]);
  }

  restart(node: SimNode): void {
    node.restart();
    this.monitor.onRestart(node);
  }

  private partitionRandomly(): void {
    this.stats.partitions++;
    const ids = [...this.nodes.values()].filter((node) => !node.removed).map((node) => node.id);
    const roll = this.random();
    const leader = this.leader();
    if (roll < isolateLeaderShare && leader !== undefined) {
      // The leader alone on one side.
      this.network.partition([leader.id], ids.filter((id) => id !== leader.id));
    } else if (roll < isolateLeaderShare + asymmetricShare) {
      // Asymmetric: some links lose messages one way only.
      for (let i = 0; i < 2; i++) {
        const from = ids[randomInteger(this.random, 0, ids.length)];
        const to = ids[randomInteger(this.random, 0, ids.length)];
        if (from !== to) this.network.block(from, to);
      }
    } else {
      const sideA = ids.filter(() => this.random() < 0.5);
      this.network.partition(sideA, ids.filter((id) => !sideA.includes(id)));
    }
  }

  private transferLeadership(): void {
    const leader = this.leader();
    if (leader === undefined) return;
    const voters = leader.replica().status().confState.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    try {
      leader.replica().transferLeadership(voters[randomInteger(this.random, 0, voters.length)]);
      this.stats.transfers++;
    } catch (error) {
      if (!(error instanceof ReplicationError)) throw error;
    }
  }

  /** Cycles membership one server at a time through the leader's driver: remove a voter, add a learner, promote it. */
  private changeMembership(): void {
    const leader = this.leader();
    if (leader === undefined || this.removal !== undefined) return;
    const driver = leader.replica();
    const { voters, learners } = driver.status().confState;
    let change: ConfChange;
    if (learners.length > 0) {
      change = { kind: "promoteLearner", node: learners[0] };
    } else if (voters.length < this.options.nodes) {
      change = { kind: "addLearner", node: this.nextNodeId };
    } else {
      const candidates = voters.filter((id) => id !== leader.id);
      change = { kind: "removeNode", node: candidates[randomInteger(this.random, 0, candidates.length)] };
    }
    const lastIndexBefore = driver.status().lastIndex;
    // Refused changes reject; placed ones are watched through the log (retireRemovedNode), not this promise.
    driver.changeMembership(change, Infinity).catch(() => {});
    const placed = driver.status();
    if (placed.lastIndex === lastIndexBefore) return;
    this.stats.membershipChanges++;
    if (change.kind === "addLearner") {
      this.nextNodeId++;
      this.addNode(change.node, { voters: [], learners: [] });
    } else if (change.kind === "removeNode") {
      this.removal = { node: change.node, index: placed.lastIndex, term: placed.term };
    }
  }

  /** Once a removal is committed the removed server is shut down for good. */
  private retireRemovedNode(): void {
    const removal = this.removal;
    if (removal === undefined) return;
    const committedAs = this.monitor.committed.get(removal.index);
    if (committedAs === undefined) return;
    this.removal = undefined;
    // Another entry committed at that index: the removal was lost with its leader.
    if (!committedAs.startsWith(`${removal.term}/config:`)) return;
    const node = this.nodes.get(removal.node);
    if (node === undefined) return;
    node.crash();
    node.removed = true;
  }

  /** Ends the chaos: heals the network, restarts every member, sets a reliable network. */
  heal(): void {
    this.network.healAll();
    this.network.faults = reliableNetwork;
    for (const node of this.nodes.values()) if (!node.up && !node.removed) this.restart(node);
    for (const node of this.nodes.values()) node.tickRate = 1;
  }
}
