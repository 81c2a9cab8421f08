/**
 * One shard's replica on a node of a sharded cluster, assembled: its group's storage in the
 * node's shared log (wal/), its engine in DATA/shards/s<shard>-r<replica>/engine (replica_folders.ts;
 * the engine runs without
 * fsync: the shared log is the write-ahead log, as for the single group, key_value_start.ts),
 * the key-value machine restored beside them, its view of the peer transport (the group id is
 * the shard id, the member id the replica id), and a replica driver ticked by the node's one
 * scheduler.
 *
 * A replica made for the first time starts from the membership the coordinator records for the
 * shard (replica ids of its voters and learners): at bootstrap every replica of a shard starts
 * with the same one; a learner added by a move starts with the membership that includes it, so
 * it accepts its leader's messages before the first snapshot reaches it.
 */
import { join } from "node:path";
import { Engine } from "../../engine/engine.ts";
import type { Logger } from "../../util/logger.ts";
import { restoreKeyValueMachine } from "../key_value_start.ts";
import type { KeyValueDriver } from "../key_value_replica.ts";
import type { ShardRecord } from "../meta/coordinator_state.ts";
import type { ConfState, NodeId } from "../raft/types.ts";
import { ReplicatedKeyValueService } from "../replicated_service.ts";
import { ReplicaDriver } from "../replica/replica_driver.ts";
import type { TickScheduler } from "../replica/tick_scheduler.ts";
import type { GroupMultiplexer } from "../transport/group_multiplexer.ts";
import type { SharedLog } from "../wal/shared_log.ts";
import { formatNodeId } from "../node_id.ts";
import { GroupPeerBook } from "./group_peer_book.ts";
import { createReplicaFolder, removeReplicaFolder } from "./replica_folders.ts";

export interface ShardReplicaContext {
  /** This node's id (its replicas' member ids are replica ids). */
  nodeId: NodeId;
  dataDir: string;
  sharedLog: SharedLog;
  multiplexer: GroupMultiplexer;
  ticks: TickScheduler;
  logger: Logger;
  /** The peer address of the node that runs `member` of `shard`, when known. */
  addressOf(shard: number, member: NodeId): string | undefined;
  /** The client address of the node that runs `member` of `shard` ("" when not known): NOT_LEADER hints. */
  clientAddressOf(shard: number, member: NodeId): string;
  snapshotEveryEntries?: number;
  onProposalApplied?: (seconds: number) => void;
  /** The replica's driver failed (its storage): the replica stops serving; the node goes on. */
  onFailure(shard: number, error: Error): void;
}

export class ShardReplica {
  private constructor(
    readonly shard: number,
    readonly replica: NodeId,
    readonly driver: KeyValueDriver,
    readonly engine: Engine,
    readonly peers: GroupPeerBook,
    /** The replica's reads and writes, as the client port serves them (once routed to this shard). */
    readonly service: ReplicatedKeyValueService,
  ) {}

  /**
   * Opens the replica `replica` of `shard`, or creates it with `membership` (recordedMembership)
   * when the shared log does not hold the group (for an existing one it is not read).
   */
  static async start(
    context: ShardReplicaContext, shard: number, replica: NodeId, membership: ConfState,
  ): Promise<ShardReplica> {
    const logger = context.logger.child({ shard });
    // The folder first: one left without its group is recreated empty; a group without its folder is dropped.
    const folder = await createReplicaFolder(context.dataDir, { shard, replica });
    const storage = await context.sharedLog.openGroup(shard, membership);
    const engine = await Engine.open({ dir: join(folder, "engine"), fsync: "unsafe-no-fsync", logger });
    const machine = await restoreKeyValueMachine(engine, storage, logger);
    const transport = context.multiplexer.open(shard, replica);
    const peers = new GroupPeerBook(replica, transport, (member) => context.addressOf(shard, member));
    const driver: KeyValueDriver = ReplicaDriver.start({
      nodeId: replica,
      storage,
      transport,
      machine,
      events: peers,
      ticks: context.ticks,
      liveness: context.multiplexer.livenessOf(shard),
      logger,
      snapshotEveryEntries: context.snapshotEveryEntries,
      onProposalApplied: context.onProposalApplied,
      onFailure: (error) => context.onFailure(shard, error),
    });
    const clientAddressOf = (member: NodeId) => context.clientAddressOf(shard, member);
    const selfName = `${formatNodeId(context.nodeId)}'s replica of shard ${shard}`;
    const service = new ReplicatedKeyValueService(driver, engine, clientAddressOf, selfName);
    return new ShardReplica(shard, replica, driver, engine, peers, service);
  }

  /** Stops the replica, keeping its data (shutdown). */
  async close(): Promise<void> {
    await this.driver.close();
    await this.engine.close();
  }

  /** Stops the replica and deletes its data: its folder (engine), then its group's records and snapshots. */
  async destroy(sharedLog: SharedLog, dataDir: string): Promise<void> {
    await this.close();
    await removeReplicaFolder(dataDir, { shard: this.shard, replica: this.replica });
    await sharedLog.removeGroup(this.shard);
  }
}

/** The shard's membership as the coordinator records it, by replica id. */
export function recordedMembership(record: ShardRecord): ConfState {
  const voters = record.replicas.filter((each) => each.role === "voter").map((each) => each.replica);
  const learners = record.replicas.filter((each) => each.role === "learner").map((each) => each.replica);
  return { voters, learners };
}
