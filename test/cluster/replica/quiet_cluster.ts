/**
 * An in-process cluster of nodes each running many groups as a node runtime does: per node one
 * SharedTickScheduler, one NodeLiveness, one GroupMultiplexer over one node transport of a
 * MemoryPeerNetwork, and a replica driver (the counter machine) per group, on one SimulatedClock.
 * Time moves only by tick(): the clock advances one tick interval, then the drivers' loop turns and
 * the network's deliveries run until they settle, so tests count ticks, never wait on a timer.
 * Each node's transport counts what it sends (group messages by kind, node heartbeats), and each
 * node's disk can stall: persists of its groups then do not finish until released, and the node's
 * liveness is told when its oldest unfinished write started (the hook a node runtime wires to
 * SharedLog.unfinishedWriteSinceMs).
 */
import { NodeLiveness } from "../../../src/cluster/health/node_liveness.ts";
import type { ConfState, NodeId } from "../../../src/cluster/raft/types.ts";
import {
  ReplicaDriver, type GroupMembership, type ReplicaDriverOptions,
} from "../../../src/cluster/replica/replica_driver.ts";
import { SharedTickScheduler } from "../../../src/cluster/replica/tick_scheduler.ts";
import { MemoryRaftStorage } from "../../../src/cluster/storage/memory_raft_storage.ts";
import type { DurableRaftStorage } from "../../../src/cluster/storage/types.ts";
import { WriteWrappedStorage } from "../storage/write_wrapped_storage.ts";
import { GroupMultiplexer, type MemberLocator } from "../../../src/cluster/transport/group_multiplexer.ts";
import { MemoryPeerNetwork } from "../../../src/cluster/transport/memory_peer_transport.ts";
import type { GroupId, NodeTransport } from "../../../src/cluster/transport/types.ts";
import { SimulatedClock } from "../../../src/util/simulated_clock.ts";
import { CounterMachine } from "./counter_machine.ts";

export const tickIntervalMs = 10;
/** Rounds of "run the queued loop turns, let the in-memory network deliver" per tick: a whole election fits. */
const settleRounds = 30;
/** Member ids: group × membersPerGroupMax + the node's id (1..9); group 7's members are 71, 72, 73. */
const membersPerGroupMax = 10;

export const memberOf = (group: GroupId, node: NodeId): NodeId => group * membersPerGroupMax + node;
export const nodeOfMember = (member: NodeId): NodeId => member % membersPerGroupMax;
const locator: MemberLocator = { nodeOf: (_group, member) => nodeOfMember(member), memberOn: memberOf };

type CounterDriver = ReplicaDriver<number, CounterMachine>;

/** What a node's transport sent. */
export interface SendCounts {
  /** Raft messages of any group. */
  groupMessages: number;
  /** Of those, heartbeats (quiesce ones included). */
  groupHeartbeats: number;
  nodeHeartbeats: number;
}

export interface QuietClusterOptions {
  nodes: number;
  groups: number;
  /** Whether groups may go quiet (node liveness given to the drivers); true by default. */
  quiescence?: boolean;
  /** Deliberate bugs of the drivers (ReplicaDriverOptions.unsafe). */
  unsafe?: ReplicaDriverOptions<CounterMachine>["unsafe"];
}

/** Holds a node's writes while stalled: persists take effect (reads see them) but do not finish. */
export class StallableDisk {
  stalled = false;
  private held: Array<{ sinceMs: number; release: () => void }> = [];

  constructor(private readonly clock: SimulatedClock) {}

  /** clock.now() when the oldest unfinished write started; null when none is unfinished. */
  unfinishedWriteSinceMs(): number | null {
    return this.held[0]?.sinceMs ?? null;
  }

  /** Finishes every held write; new ones finish again. */
  release(): void {
    this.stalled = false;
    for (const write of this.held.splice(0)) write.release();
  }

  /** `done` (a write's completion), held while the disk is stalled. */
  hold(done: Promise<void>): Promise<void> {
    if (!this.stalled) return done;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.held.push({ sinceMs: this.clock.now(), release: resolve });
    return Promise.all([done, promise]).then(() => {});
  }
}

/** A group's storage on a node's stallable disk: a write that writes something waits while it is stalled. */
function stallableStorage(inner: MemoryRaftStorage, disk: StallableDisk): DurableRaftStorage {
  return new WriteWrappedStorage(inner, (write, batch) => {
    const done = write();
    const writes = batch === undefined || batch.entries.length > 0 || batch.snapshot !== undefined
      || batch.hardState !== undefined;
    return writes ? disk.hold(done) : done;
  });
}

export interface QuietNode {
  id: NodeId;
  transport: NodeTransport;
  counts: SendCounts;
  ticks: SharedTickScheduler;
  liveness: NodeLiveness;
  multiplexer: GroupMultiplexer;
  disk: StallableDisk;
  drivers: Map<GroupId, CounterDriver>;
  /** Its transport was closed: it neither sends nor receives (a dead or cut-off process). */
  dead: boolean;
}

/** `transport`, counting what it sends into `counts`. */
function counting(transport: NodeTransport, counts: SendCounts): NodeTransport {
  return {
    nodeId: transport.nodeId,
    send(to, outbound) {
      counts.groupMessages++;
      if (outbound.message.type === "heartbeat") counts.groupHeartbeats++;
      transport.send(to, outbound);
    },
    sendHeartbeat(to, heartbeat) {
      counts.nodeHeartbeats++;
      transport.sendHeartbeat(to, heartbeat);
    },
    setNodes: (nodes) => transport.setNodes(nodes),
    refuse: (to, refusal) => transport.refuse(to, refusal),
    attach: (receiver) => transport.attach(receiver),
    close: () => transport.close(),
    stats: () => transport.stats(),
  };
}

export class QuietCluster {
  readonly clock = new SimulatedClock();
  readonly network = new MemoryPeerNetwork();
  readonly nodes: QuietNode[] = [];
  readonly groups: GroupId[];
  ticks = 0;

  constructor(readonly options: QuietClusterOptions) {
    this.groups = Array.from({ length: options.groups }, (_, index) => index + 1);
    for (let id = 1; id <= options.nodes; id++) this.nodes.push(this.startNode(id));
    for (const node of this.nodes) for (const group of this.groups) this.startReplica(node, group);
  }

  node(id: NodeId): QuietNode {
    return this.nodes[id - 1]!;
  }

  /** Advances the clock by `count` ticks, letting everything settle after each. */
  async tick(count = 1): Promise<void> {
    for (let tick = 0; tick < count; tick++) {
      this.clock.advance(tickIntervalMs);
      this.ticks++;
      await this.settle();
    }
  }

  async settle(): Promise<void> {
    for (let round = 0; round < settleRounds; round++) {
      this.clock.runSoon();
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Ticks until `done()` holds, at most `ticksMax` ticks; returns the ticks taken, or null if it never held. */
  async tickUntil(done: () => boolean, ticksMax: number): Promise<number | null> {
    for (let tick = 0; tick <= ticksMax; tick++) {
      if (done()) return tick;
      await this.tick();
    }
    return null;
  }

  /** The leader of `group` every live replica follows, or null while there is none. */
  leaderOf(group: GroupId): CounterDriver | null {
    const live = this.nodes.filter((node) => !node.dead).map((node) => node.drivers.get(group)!);
    const leaders = live.filter((driver) => driver.isLeader());
    if (leaders.length !== 1) return null;
    const leader = leaders[0]!;
    return live.every((driver) => driver.status().softState.leader === leader.nodeId) ? leader : null;
  }

  everyGroupLed(): boolean {
    return this.groups.every((group) => this.leaderOf(group) !== null);
  }

  /** Every group quiet on every live node. */
  allQuiet(): boolean {
    return this.nodes.every((node) => node.dead || [...node.drivers.values()].every((driver) => driver.isQuiesced()));
  }

  /** What every node's transport sent so far, summed. */
  sent(): SendCounts {
    const total: SendCounts = { groupMessages: 0, groupHeartbeats: 0, nodeHeartbeats: 0 };
    for (const node of this.nodes) {
      total.groupMessages += node.counts.groupMessages;
      total.groupHeartbeats += node.counts.groupHeartbeats;
      total.nodeHeartbeats += node.counts.nodeHeartbeats;
    }
    return total;
  }

  /** Node `id`'s process is gone to the others: its transport and liveness closed, its drivers left as they are. */
  async kill(id: NodeId): Promise<void> {
    const node = this.node(id);
    node.dead = true;
    node.liveness.close();
    await node.transport.close();
  }

  async close(): Promise<void> {
    for (const node of this.nodes) {
      node.disk.release();
      for (const driver of node.drivers.values()) await driver.close();
      node.liveness.close();
      await node.multiplexer.close();
    }
  }

  private startNode(id: NodeId): QuietNode {
    const counts: SendCounts = { groupMessages: 0, groupHeartbeats: 0, nodeHeartbeats: 0 };
    const transport = counting(this.network.joinNode(id), counts);
    const ticks = new SharedTickScheduler(this.clock, tickIntervalMs);
    const disk = new StallableDisk(this.clock);
    const liveness = new NodeLiveness({
      nodeId: id, clock: this.clock, ticks, send: (to, heartbeat) => transport.sendHeartbeat(to, heartbeat),
      diskStalledSinceMs: () => disk.unfinishedWriteSinceMs(),
    });
    const multiplexer = new GroupMultiplexer(transport, locator, liveness);
    return { id, transport, counts, ticks, liveness, multiplexer, disk, drivers: new Map(), dead: false };
  }

  private startReplica(node: QuietNode, group: GroupId): void {
    const member = memberOf(group, node.id);
    const view = node.multiplexer.open(group, member);
    const voters = this.nodes.map((peer) => memberOf(group, peer.id));
    const storage = stallableStorage(new MemoryRaftStorage({ voters, learners: [] }), node.disk);
    const membershipChanged = (membership: GroupMembership): void => {
      view.setPeers(peersOf(membership), membership.appliedIndex);
    };
    const driver = ReplicaDriver.start<number, CounterMachine>({
      nodeId: member,
      storage,
      transport: view,
      events: { membershipChanged, becameLeader: () => {} },
      machine: new CounterMachine(storage.snapshot()),
      clock: this.clock,
      ticks: node.ticks,
      randomSeed: member * 7919,
      liveness: this.options.quiescence === false ? undefined : node.multiplexer.livenessOf(group),
      unsafe: this.options.unsafe,
    });
    node.drivers.set(group, driver);
  }
}

/** The members of both memberships, at their nodes' addresses (memory:<node>). */
function peersOf({ newest, applied }: { newest: ConfState; applied: ConfState }): Map<NodeId, string> {
  const members = new Set([...newest.voters, ...newest.learners, ...applied.voters, ...applied.learners]);
  return new Map([...members].map((member) => [member, `memory:${nodeOfMember(member)}`]));
}
