/**
 * One node of a sharded cluster, assembled (ARCHITECTURE.md, "Stage 3"): in one process,
 * - one shared log (DATA/wal) holding every group's Raft log, with group commit across groups;
 * - one peer port: one TCP node transport, one group multiplexer giving each group its view;
 * - one tick scheduler for every replica;
 * - the meta group's replica (group 0, members by node id; its state machine is the
 *   coordinator's, of which every node so keeps an up-to-date copy);
 * - a key-value replica of every shard the coordinator places here (shard_replica_set.ts);
 * - the client port's service (sharded_service.ts), the coordinator duties (meta_duties.ts) and
 *   the replica moves of shards led here (move_driver.ts).
 *
 * A new cluster: every node is started with the same --peers (and --shards); the meta group's
 * first membership is the lowest-numbered min(5, n) nodes as voters, the others learners, and
 * its first leader proposes the bootstrap command, which places the shards.
 *
 * A node joining a running cluster (--join HOST:PORT, a member's peer address) on a data folder
 * whose meta group holds nothing yet first asks to join (cluster_join.ts; the peer port already
 * listens, so the leader can reach it once it says yes): the coordinator records it as joining
 * and its group takes it as a learner. It then starts its meta replica with no membership,
 * reaching the coordinator's voters the answer named, and learns everything else from the
 * leader's snapshot and log; once its copy shows its own record it asks to be marked up
 * (meta_duties.ts). A data folder whose meta group holds something is started from it, with no
 * join exchange. Every node answers join requests (join_handler.ts).
 */
import { join } from "node:path";
import type { HostPort } from "../../config/address.ts";
import { formatHostPort } from "../../config/address.ts";
import type { FsyncMode } from "../../log/types.ts";
import type { KeyValueService } from "../../net/key_value_service.ts";
import { realClock, type Timer } from "../../util/clock.ts";
import { assert } from "../../util/assert.ts";
import { errorText, silentLogger, type Logger } from "../../util/logger.ts";
import { tickIntervalMs } from "../cluster_limits.ts";
import { refuseOtherLayout } from "../data_layout.ts";
import { defaultMetaVoters, defaultReplicationFactor } from "../meta/cluster_settings.ts";
import type { CoordinatorCommand, CoordinatorChange } from "../meta/coordinator_command.ts";
import { CoordinatorMachine } from "../meta/coordinator_machine.ts";
import { metaVotersMax } from "../meta/coordinator_limits.ts";
import { formatNodeId } from "../node_id.ts";
import type { ConfState, NodeId } from "../raft/types.ts";
import type { Health } from "../replica/group_health.ts";
import type { LocalReplicaStats, NodeLocalReport } from "../meta/cluster_overview.ts";
import { ReplicaDriver } from "../replica/replica_driver.ts";
import { SharedTickScheduler } from "../replica/tick_scheduler.ts";
import { NodeLiveness } from "../health/node_liveness.ts";
import { GroupMultiplexer } from "../transport/group_multiplexer.ts";
import { peerProtocolVersion } from "../transport/peer_codec.ts";
import { startTcpNodeTransport } from "../transport/tcp_peer_transport.ts";
import type { TcpNodeTransport } from "../transport/types.ts";
import { SharedLog } from "../wal/shared_log.ts";
import type { GroupStorage } from "../wal/group_storage.ts";
import { joinCluster } from "./cluster_join.ts";
import { GroupPeerBook } from "./group_peer_book.ts";
import { JoinDecider } from "./join_handler.ts";
import { MetaDuties } from "./meta_duties.ts";
import { MoveDriver } from "./move_driver.ts";
import { MetaProposer, type MetaDriver } from "./meta_proposer.ts";
import { metaGroupId, ReplicaLocator } from "./replica_locator.ts";
import { ShardedKeyValueService } from "./sharded_service.ts";
import { ShardReplicaSet } from "./shard_replica_set.ts";

/** Every node of a cluster shares it; a node of another FileStore cluster is refused at the peer handshake. */
const clusterIdDefault = "filestore";
/** How often the shared log drops segments every group is past (and rewrites small groups forward). */
const logCompactionIntervalMs = 10_000;

export interface ShardedNodeOptions {
  nodeId: NodeId;
  /** Every node of a new cluster with its peer address, this one included (the bootstrap list); none when joining. */
  peers: ReadonlyMap<NodeId, HostPort>;
  /** Joining a running cluster: the peer address of any member (asked when the data folder holds no meta group yet). */
  join?: HostPort;
  /** Where peers connect; default: this node's entry in `peers`. */
  peerListen?: HostPort;
  dataDir: string;
  /** fsync mode of the shared log (the write-ahead log of every group). */
  fsync: FsyncMode;
  /** Shards of a new cluster (unused when joining: the cluster has its own). */
  shards: number;
  /** Every replica's, the meta group's included. */
  snapshotEveryEntries?: number;
  /** Entries the meta group keeps behind a snapshot (cluster_limits.ts); tests use none, to join by snapshot. */
  metaEntriesKeptAfterSnapshot?: number;
  onFsync?: (durationSeconds: number) => void;
  onProposalApplied?: (seconds: number) => void;
  logger?: Logger;
}

export class ShardedNode {
  readonly service: KeyValueService;
  private readonly compactionTimer: Timer;
  private readonly moves: MoveDriver;
  private readonly stopFollowing: () => void;

  private constructor(
    readonly nodeId: NodeId,
    readonly sharedLog: SharedLog,
    readonly transport: TcpNodeTransport,
    private readonly multiplexer: GroupMultiplexer,
    private readonly liveness: NodeLiveness,
    readonly meta: MetaDriver,
    private readonly metaPeers: GroupPeerBook,
    readonly replicas: ShardReplicaSet,
    readonly proposer: MetaProposer,
    private readonly duties: MetaDuties,
    private readonly locator: ReplicaLocator,
    private readonly logger: Logger,
  ) {
    this.service = new ShardedKeyValueService({
      coordinator: meta.machine,
      replica: (shard) => replicas.get(shard),
      reportLeaders: () => this.reportLeaders(),
    });
    this.stopFollowing = meta.machine.subscribe((change) => this.coordinatorChanged(change));
    // Changes applied before this subscription (the meta log replayed while replicas started):
    // the locator followed them (see start); the views' peers are set again from it now.
    this.refreshPeers();
    this.compactionTimer = realClock.every(logCompactionIntervalMs, () => this.compactLog());
    this.moves = new MoveDriver(meta.machine, (shard) => replicas.get(shard), proposer, realClock, logger);
  }

  static async start(options: ShardedNodeOptions): Promise<ShardedNode> {
    const listen = options.peerListen ?? options.peers.get(options.nodeId);
    if (listen === undefined) {
      throw new Error(`peers must list this node (${formatNodeId(options.nodeId)}) or peer-listen must be given`);
    }
    assert((options.join === undefined) === (options.peers.size > 0), "a node founds a cluster (peers) or joins one");
    refuseOtherLayout(options.dataDir, "sharded");
    const logger = options.logger ?? silentLogger;
    const { fsync, onFsync } = options;
    const sharedLog = await SharedLog.open({ dir: join(options.dataDir, "wal"), fsync, onFsync, logger });
    const transport = await startTcpNodeTransport({
      nodeId: options.nodeId, clusterId: clusterIdDefault, listen, peers: new Map(), logger,
    });
    // Until the meta replica runs (replicas on disk may take a while to start), a node asking to
    // join is told to ask again, not refused as if this were no sharded cluster's node.
    transport.acceptJoins(async () => ({ kind: "notReady", reason: "this node is starting" }));
    let metaStart: MetaStart;
    try {
      metaStart = await openMetaGroup(options, sharedLog, transport, logger);
    } catch (error) {
      await transport.close();
      await sharedLog.close();
      throw error;
    }
    return ShardedNode.assemble(options, sharedLog, transport, metaStart, logger);
  }

  /** The node around its shared log, peer port and meta group's storage. */
  private static async assemble(
    options: ShardedNodeOptions,
    sharedLog: SharedLog,
    transport: TcpNodeTransport,
    metaStart: MetaStart,
    logger: Logger,
  ): Promise<ShardedNode> {
    const locator = new ReplicaLocator();
    const ticks = new SharedTickScheduler(realClock, tickIntervalMs);
    // One heartbeat per node pair judges whether nodes are up, so idle groups can go quiet.
    const liveness = new NodeLiveness({
      nodeId: options.nodeId, clock: realClock, ticks, logger,
      send: (to, heartbeat) => transport.sendHeartbeat(to, heartbeat),
      diskStalledSinceMs: () => sharedLog.unfinishedWriteSinceMs(),
    });
    const multiplexer = new GroupMultiplexer(transport, locator, liveness);
    const coordinator = CoordinatorMachine.fromSnapshot(metaStart.storage.snapshot());
    locator.learnAll(coordinator);
    // From the first entry the meta replica replays: its replicas' locations, never missed.
    coordinator.subscribe((change) => locator.follow(coordinator, change));
    const { contacts } = metaStart;
    const metaView = multiplexer.open(metaGroupId, options.nodeId);
    const peerAddressOf = (node: NodeId): string | undefined =>
      coordinator.node(node)?.addresses.peerAddress ?? contacts.get(node);
    const metaPeers = new GroupPeerBook(options.nodeId, metaView, peerAddressOf, undefined, [...contacts.keys()]);
    const meta: MetaDriver = ReplicaDriver.start({
      nodeId: options.nodeId, storage: metaStart.storage, transport: metaView, machine: coordinator, events: metaPeers,
      ticks, liveness: multiplexer.livenessOf(metaGroupId), logger: logger.child({ group: "meta" }),
      snapshotEveryEntries: options.snapshotEveryEntries,
      entriesKeptAfterSnapshot: options.metaEntriesKeptAfterSnapshot,
    });
    const replicas = new ShardReplicaSet({
      nodeId: options.nodeId, dataDir: options.dataDir, sharedLog, multiplexer, ticks, logger,
      addressOf: (shard, member) => {
        const node = locator.nodeOf(shard, member);
        return node === undefined ? undefined : peerAddressOf(node);
      },
      clientAddressOf: (shard, member) => {
        const node = locator.nodeOf(shard, member);
        return node === undefined ? "" : (coordinator.node(node)?.addresses.clientAddress ?? "");
      },
      snapshotEveryEntries: options.snapshotEveryEntries,
      onProposalApplied: options.onProposalApplied,
      onFailure: (shard, error) => {
        logger.error("shard replica failed; it serves no more", { shard, error: errorText(error) });
      },
    }, coordinator, options.nodeId, logger);
    await replicas.startFromDisk();
    const proposer = new MetaProposer(meta, options.nodeId);
    const joins = new JoinDecider(meta, proposer);
    transport.acceptJoins((request) => joins.decide(request));
    const self = { id: options.nodeId, name: formatNodeId(options.nodeId) };
    const bootstrap = options.join === undefined ? bootstrapCommand(options) : null;
    const duties = new MetaDuties(meta, proposer, self, bootstrap, realClock, logger);
    const node = new ShardedNode(
      options.nodeId, sharedLog, transport, multiplexer, liveness, meta, metaPeers, replicas, proposer, duties, locator,
      logger,
    );
    void replicas.reconcile();
    return node;
  }

  /** Once the client port and admin endpoint are bound: recorded in the coordinator's node list. */
  setAddresses(clientAddress: string, adminAddress: string): void {
    const peerAddress = formatHostPort(this.transport.listenAddress);
    this.duties.setAddresses({ clientAddress, adminAddress, peerAddress });
  }

  get coordinator(): CoordinatorMachine {
    return this.meta.machine;
  }

  /** This node's replicas now, for the cluster view (ShardedClusterSource, cluster_overview.ts); cheap. */
  localReport(): NodeLocalReport {
    const replicas = this.replicas.all().map((each): LocalReplicaStats => {
      const status = each.driver.status();
      const { keys, liveValueBytes } = each.engine.stats();
      return {
        shard: each.shard,
        replica: each.replica,
        node: this.nodeId,
        role: status.confState.learners.includes(each.replica) ? "learner" : "voter",
        isLeader: each.driver.isLeader(),
        term: status.term,
        appliedIndex: each.driver.machine.appliedIndex,
        commitIndex: status.commit,
        keys,
        bytes: liveValueBytes,
      };
    });
    return { node: this.nodeId, replicas };
  }

  /**
   * Whether this node can serve now (/healthz): its coordinator replica and every shard replica
   * it holds; the first that cannot is named, e.g. "shard 5: no quorum (heard from 1 of 3 voters)".
   * A failed replica (its storage) is fatal: a restart is the remedy (/livez).
   */
  health(): Health {
    const meta = this.meta.health();
    if (!meta.ok) return { ...meta, reason: `coordinator: ${meta.reason}` };
    for (const replica of this.replicas.all()) {
      const health = replica.driver.health();
      if (!health.ok) return { ...health, reason: `shard ${replica.shard}: ${health.reason}` };
    }
    return { ok: true };
  }

  /** Stops the duties, every replica, the meta replica, the peer port, then closes the shared log. */
  async close(): Promise<void> {
    this.duties.close();
    this.moves.close();
    this.compactionTimer.cancel();
    this.stopFollowing();
    await this.replicas.close();
    await this.meta.close();
    this.liveness.close();
    await this.multiplexer.close();
    await this.sharedLog.close();
  }

  /** Records who leads each shard this node holds a replica of (leader hints, leader_hints.ts). */
  private reportLeaders(): void {
    for (const replica of this.replicas.all()) {
      const status = replica.driver.status();
      const leaderMember = replica.driver.leaderId();
      const leader = leaderMember === 0 ? 0 : (this.locator.nodeOf(replica.shard, leaderMember) ?? 0);
      this.coordinator.reportLeader(replica.shard, leader, status.term);
    }
  }

  private refreshPeers(): void {
    this.metaPeers.refresh();
    for (const replica of this.replicas.all()) replica.peers.refresh();
  }

  private coordinatorChanged(change: CoordinatorChange): void {
    // New addresses (or a whole new state) concern every view; a shard's change, its own view.
    if (change.nodes.length > 0 || change.restored) this.refreshPeers();
    else for (const shard of change.shards) this.replicas.get(shard)?.peers.refresh();
    if (change.shards.length > 0 || change.restored) void this.replicas.reconcile();
  }

  private compactLog(): void {
    this.sharedLog.compactSegments().catch((error: unknown) => {
      this.logger.warn("shared log compaction failed; retrying later", { error: errorText(error) });
    });
  }
}

/**
 * The meta group's storage, and the nodes its replica reaches before the coordinator's node list
 * knows them (node id → peer address): the bootstrap list of a new cluster, or the coordinator's
 * voters a join answer named (also reached while the group's membership lists nobody).
 */
interface MetaStart {
  storage: GroupStorage;
  contacts: ReadonlyMap<NodeId, string>;
}

/**
 * Opens the meta group: a founding node's with its first membership; a joining node's after a
 * join exchange when the group is new here or holds nothing yet (accepted before, stopped before
 * the leader reached it), so a failed join leaves no meta group behind in a new data folder.
 */
async function openMetaGroup(
  options: ShardedNodeOptions, sharedLog: SharedLog, transport: TcpNodeTransport, logger: Logger,
): Promise<MetaStart> {
  if (options.join === undefined) {
    const storage = await sharedLog.openGroup(metaGroupId, initialMetaMembership([...options.peers.keys()]));
    const contacts = new Map([...options.peers].map(([id, address]) => [id, formatHostPort(address)] as const));
    return { storage, contacts };
  }
  const through = options.join;
  const askToJoin = async (): Promise<Map<NodeId, string>> => {
    const request = {
      protocolVersion: peerProtocolVersion, clusterId: clusterIdDefault, nodeId: options.nodeId,
      name: formatNodeId(options.nodeId), peerAddress: formatHostPort(transport.listenAddress),
    };
    const voters = await joinCluster({ address: through, request, clock: realClock, logger });
    const voterAddresses = voters.map((voter) => voter.peerAddress).join(",");
    logger.info("joined the cluster", { through: formatHostPort(through), voters: voterAddresses });
    return new Map(voters.map((voter) => [voter.nodeId, voter.peerAddress] as const));
  };
  if (!sharedLog.groupIds().includes(metaGroupId)) {
    const contacts = await askToJoin();
    return { storage: await sharedLog.openGroup(metaGroupId), contacts };
  }
  const storage = await sharedLog.openGroup(metaGroupId);
  const holdsNothing = storage.lastIndex() === 0;
  return { storage, contacts: holdsNothing ? await askToJoin() : new Map() };
}

/** The meta group's first membership: the lowest-numbered nodes as voters (at most metaVotersMax), others learners. */
function initialMetaMembership(nodes: readonly NodeId[]): ConfState {
  const ordered = [...nodes].sort((a, b) => a - b);
  const voterCount = defaultMetaVoters(ordered.length);
  return { voters: ordered.slice(0, voterCount), learners: ordered.slice(voterCount) };
}

function bootstrapCommand(options: ShardedNodeOptions): Extract<CoordinatorCommand, { kind: "bootstrap" }> {
  const ids = [...options.peers.keys()].sort((a, b) => a - b);
  return {
    kind: "bootstrap",
    clusterId: clusterIdDefault,
    shardCount: options.shards,
    replicationFactor: defaultReplicationFactor(ids.length),
    metaVoters: Math.min(metaVotersMax, defaultMetaVoters(ids.length)),
    nodes: ids.map((id) => ({
      id,
      name: formatNodeId(id),
      addresses: { peerAddress: formatHostPort(options.peers.get(id)!), clientAddress: "", adminAddress: "" },
    })),
  };
}

