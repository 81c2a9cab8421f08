/**
 * A seeded world of simulated Raft servers: network faults, partitions (symmetric,
 * asymmetric, isolated leader), crashes at any point of Ready handling and restarts,
 * uneven ticks, a client workload, membership changes and leadership transfers, log
 * compaction with snapshots, and (on half the seeds) lease reads, with the safety monitor
 * run after every step. Everything random comes from one seed, so a failing seed replays
 * exactly.
 *
 * One step: each live node ticks (per its rate), due messages are delivered, clients act,
 * faults strike (chaos phase only), every node handles its Ready (persist, send, apply),
 * reads whose index is applied are served, then the safety monitor checks everything.
 */
import type { UnsafeMutations } from "../../src/cluster/raft/config.ts";
import { RaftError } from "../../src/cluster/raft/errors.ts";
import { randomInteger, seededRandom, type RandomSource } from "../../src/cluster/raft/random.ts";
import type { Ready } from "../../src/cluster/raft/raw_node.ts";
import type { Entry, NodeId } from "../../src/cluster/raft/types.ts";
import { decodeCommand } from "./kv_machine.ts";
import { reliableNetwork, SimNetwork } from "./network.ts";
import { SafetyMonitor } from "./safety_monitor.ts";
import { type CrashPlan, type CrashPoint, SimNode } from "./sim_node.ts";
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
  /** Mutation check of the client side: gets skip ReadIndex (see WorkloadShape). */
  unsafeLocalReads: boolean;
  /** Mutation check of the driver: messages leave before the Ready is persisted (see SimNode). */
  unsafeSendBeforePersist: boolean;
  /**
   * Share of seeds whose nodes serve reads from a leader lease (leader_lease.ts). Those
   * seeds keep every clock within the stated drift: tick rates in [leaseTickRateMin, 1],
   * spread evenly (no random bursts), and clockDriftPercentMax set to match.
   */
  leaseReadSeedShare: number;
  /**
   * Chance that a Ready's write is slow: it stays outstanding for a few steps while the node
   * keeps stepping (and a leader's early appends are already out), as during a real fsync.
   */
  slowWriteProbability: number;
  /** Compact a node's log once it has applied this many entries past its snapshot. */
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
/** In lease seeds clocks run at 80-100% speed: one is at most 25% faster than another. */
const leaseTickRateMin = 0.8;
const leaseClockDriftPercentMax = 25;
/** Share of crashes in Ready handling that also lose the messages sent before persisting. */
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
  unsafeLocalReads: false,
  unsafeSendBeforePersist: false,
  leaseReadSeedShare: 0.5,
  slowWriteProbability: 0.2,
  compactAfterEntries: 20,
  swarm: true,
};

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
    electionTimeoutTicks: 10,
    heartbeatIntervalTicks: 2,
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

export class World {
  readonly random: RandomSource;
  readonly nodes = new Map<NodeId, SimNode>();
  readonly network: SimNetwork;
  readonly monitor = new SafetyMonitor();
  readonly workload: Workload;
  now = 0;
  private nextNodeId: number;
  private removal: { node: NodeId; index: number; term: number } | undefined = undefined;
  private readonly raftOverrides: ReturnType<typeof simRaftConfig>;
  readonly leaseReads: boolean;
  /** What happened in the run; stepsToSettle: steps from healing to a leader and no pending request. */
  readonly stats = { crashes: 0, partitions: 0, transfers: 0, membershipChanges: 0, snapshotsTaken: 0, slowWrites: 0, entriesAppliedDuringWrite: 0, stepsToSettle: 0 };

  readonly options: WorldOptions;

  constructor(requested: WorldOptions) {
    this.random = seededRandom(requested.seed);
    this.options = requested.swarm ? swarmOptions(requested, this.random) : requested;
    const options = this.options;
    this.network = new SimNetwork(seededRandom(options.seed ^ 0x5bd1e995));
    this.leaseReads = this.random() < options.leaseReadSeedShare;
    this.raftOverrides = simRaftConfig(this.random, this.leaseReads);
    const voters = Array.from({ length: options.nodes }, (_, i) => i + 1);
    for (const id of voters) this.addNode(id, { voters, learners: [] });
    this.nextNodeId = options.nodes + 1;
    this.workload = new Workload({ ...workloadShape, unsafeLocalReads: options.unsafeLocalReads }, seededRandom(options.seed ^ 0x27d4eb2f));
  }

  private addNode(id: NodeId, conf: { voters: NodeId[]; learners: NodeId[] }): SimNode {
    const node = new SimNode(id, conf, this.raftOverrides, this.options.seed, this.options.unsafeMutations);
    node.tickRate = this.randomTickRate(initialTickRateMin);
    node.unsafeSendBeforePersist = this.options.unsafeSendBeforePersist;
    this.nodes.set(id, node);
    return node;
  }

  liveNodes(): SimNode[] {
    return [...this.nodes.values()].filter((node) => node.up);
  }

  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const node of this.liveNodes()) {
      const status = node.node().status();
      if (status.softState.role !== "leader") continue;
      if (best === undefined || status.term > best.node().status().term) best = node;
    }
    return best;
  }

  /** One step: ticks, deliveries, client requests, faults (when `chaos`), Readies, checks. */
  step(chaos: boolean): void {
    this.now++;
    for (const node of this.liveNodes()) this.tickNode(node);
    for (const message of this.network.due(this.now)) {
      const target = this.nodes.get(message.to);
      if (target?.up) target.node().step(message);
    }
    this.workload.act(this.now, [...this.nodes.values()].filter((node) => !node.removed), () => this.leader());
    if (chaos) this.injectFaults();
    for (const node of this.liveNodes()) this.processReady(node, chaos);
    for (const node of this.liveNodes()) this.workload.serveReads(node, this.now);
    this.monitor.checkStep(this.nodes.values());
    this.retireRemovedNode();
  }

  /**
   * Crashes strike at random points of Ready handling, the messages a leader sent before
   * persisting either lost with the process or already out; a leader is also struck right
   * after its commit index moved, before it can tell anyone (the moment commit rules matter most).
   */
  private crashPlanFor(ready: Ready, chaos: boolean): CrashPlan {
    if (!chaos) return { point: "none", earlyMessagesLost: false, holdWrite: false };
    const crashAt = (point: CrashPoint, earlyMessagesLost: boolean): CrashPlan => ({ point, earlyMessagesLost, holdWrite: false });
    if (this.random() < this.options.crashProbability / 4) return crashAt(this.pickCrashPoint(), this.random() < earlyMessagesLostShare);
    const leaderCommitted = ready.softState.role === "leader" && ready.hardState !== undefined && ready.committedEntries.length > 0;
    if (leaderCommitted && this.random() < this.options.leaderCommitCrashProbability) return crashAt("afterPersist", true);
    // A new leader's first Ready holds its no-op; dying before sending it leaves a lone entry of its term.
    const newLeader = ready.softState.role === "leader" && ready.entries.some((entry) => entry.data.length === 0 && entry.kind === "normal");
    if (newLeader && this.random() < this.options.leaderCommitCrashProbability) return crashAt("afterPersist", true);
    return { point: "none", earlyMessagesLost: false, holdWrite: this.random() < this.options.slowWriteProbability };
  }

  private processReady(node: SimNode, chaos: boolean): void {
    let crashPoint: CrashPoint = "none";
    const observer = {
      crashing: (owner: SimNode) => this.monitor.recordCommitted(owner),
      beforePersist: (owner: SimNode, ready: Ready) => this.monitor.beforePersist(owner, ready),
      persisted: (owner: SimNode, ready: Ready) => this.monitor.onPersisted(owner, ready),
      applied: (owner: SimNode, entry: Entry) => this.onApplied(owner, entry),
    };
    if (node.writeHeld) {
      const appliedBefore = node.appliedDuringWrite;
      node.applyCommittedDuringWrite(observer);
      this.stats.entriesAppliedDuringWrite += node.appliedDuringWrite - appliedBefore;
      if (chaos && this.random() >= slowWriteFinishProbability) return;
      for (const message of node.finishHeldWrite(observer)) this.network.send(message, this.now);
      return;
    }
    const messages = node.handleReady((ready) => {
      const plan = this.crashPlanFor(ready, chaos);
      crashPoint = plan.point;
      if (plan.holdWrite) this.stats.slowWrites++;
      return plan;
    }, observer);
    if (crashPoint !== "none") this.stats.crashes++;
    for (const message of messages) this.network.send(message, this.now);
    if (node.up && !node.writeHeld && node.node().status().applied - node.storage.snapshot().metadata.index >= this.options.compactAfterEntries) {
      node.compact(randomInteger(this.random, 0, 10));
      this.stats.snapshotsTaken++;
    }
  }

  private pickCrashPoint(): CrashPoint {
    const points: CrashPoint[] = ["beforePersist", "afterEntries", "afterPersist"];
    return points[randomInteger(this.random, 0, points.length)];
  }

  private onApplied(node: SimNode, entry: Entry): void {
    this.monitor.onApplied(node, entry);
    if (entry.kind !== "normal" || entry.data.length === 0) return;
    const command = decodeCommand(entry.data);
    const output = node.machine?.apply(command);
    if (output !== undefined) this.workload.onWriteApplied(node, command.client, command.sequence, output, this.now);
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

  /** Lease seeds tick evenly (a fractional carry), others at random (Bernoulli per step). */
  private tickNode(node: SimNode): void {
    if (!this.leaseReads) {
      if (this.random() < node.tickRate) node.node().tick();
      return;
    }
    node.tickCarry += node.tickRate;
    while (node.tickCarry >= 1) {
      node.tickCarry -= 1;
      node.node().tick();
    }
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
    live[randomInteger(this.random, 0, live.length)].crash();
    this.stats.crashes++;
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
    const voters = leader.node().status().confState.voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    try {
      leader.node().transferLeadership(voters[randomInteger(this.random, 0, voters.length)]);
      this.stats.transfers++;
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
    }
  }

  /** Cycles membership one server at a time: remove a voter, add a learner, promote it. */
  private changeMembership(): void {
    const leader = this.leader();
    if (leader === undefined || this.removal !== undefined) return;
    const { voters, learners } = leader.node().status().confState;
    try {
      if (learners.length > 0) {
        leader.node().proposeConfChange({ kind: "promoteLearner", node: learners[0] });
      } else if (voters.length < this.options.nodes) {
        const id = this.nextNodeId;
        leader.node().proposeConfChange({ kind: "addLearner", node: id });
        this.nextNodeId++;
        this.addNode(id, { voters: [], learners: [] });
      } else {
        const candidates = voters.filter((id) => id !== leader.id);
        const victim = candidates[randomInteger(this.random, 0, candidates.length)];
        const placed = leader.node().proposeConfChange({ kind: "removeNode", node: victim });
        this.removal = { node: victim, index: placed.lastIndex, term: placed.term };
      }
      this.stats.membershipChanges++;
    } catch (error) {
      if (!(error instanceof RaftError)) throw error;
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
