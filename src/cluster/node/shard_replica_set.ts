/**
 * The shard replicas a node runs, kept in step with the coordinator's state: every replica the
 * coordinator places on this node runs here, and a replica the coordinator took away is stopped
 * and its data deleted.
 *
 * At start, before the coordinator's state is caught up (its group may not even have a quorum
 * yet), the replicas found on disk (replica_folders.ts) start at once, so a restarted node
 * serves its shards without waiting for the meta group. Deleting, by contrast, waits for proof:
 * a replica is only destroyed when the coordinator's state has given its id (nextReplicaId is
 * past it) and no longer lists it. A state that is merely behind (a restart replaying an old
 * snapshot) has not given the id yet and destroys nothing.
 *
 * Changes are applied one pass at a time (reconcile); a change arriving during a pass makes
 * one more pass.
 */
import type { Logger } from "../../util/logger.ts";
import { errorText } from "../../util/logger.ts";
import type { CoordinatorMachine } from "../meta/coordinator_machine.ts";
import type { NodeId } from "../raft/types.ts";
import type { SharedLog } from "../wal/shared_log.ts";
import { metaGroupId } from "./replica_locator.ts";
import { listReplicaFolders } from "./replica_folders.ts";
import { recordedMembership, ShardReplica, type ShardReplicaContext } from "./shard_replica.ts";

export class ShardReplicaSet {
  private readonly running = new Map<number, ShardReplica>();
  private pass: Promise<void> | null = null;
  private passWanted = false;
  private closed = false;

  constructor(
    private readonly context: ShardReplicaContext & { sharedLog: SharedLog },
    private readonly coordinator: CoordinatorMachine,
    private readonly selfNode: NodeId,
    private readonly logger: Logger,
  ) {}

  /** Starts the replicas on disk; drops groups of the shared log whose folder is gone (a removal cut short). */
  async startFromDisk(): Promise<void> {
    const { folders, strays } = await listReplicaFolders(this.context.dataDir);
    for (const stray of strays) this.logger.warn("ignoring a folder that is not a replica's", { folder: stray });
    const held = new Set(this.context.sharedLog.groupIds());
    const withFolder = new Set(folders.map((folder) => folder.shard));
    for (const group of held) {
      if (group === metaGroupId || withFolder.has(group)) continue;
      this.logger.info("dropping the records of a replica whose removal was cut short", { shard: group });
      await this.context.sharedLog.removeGroup(group);
    }
    for (const folder of folders) {
      // A folder whose group was never created waits for the coordinator's membership (reconcile).
      if (!held.has(folder.shard)) continue;
      const unread = { voters: [], learners: [] };
      const replica = await ShardReplica.start(this.context, folder.shard, folder.replica, unread);
      this.running.set(folder.shard, replica);
    }
  }

  get(shard: number): ShardReplica | undefined {
    return this.running.get(shard);
  }

  all(): ShardReplica[] {
    return [...this.running.values()].sort((a, b) => a.shard - b.shard);
  }

  /** Brings the running replicas in step with the coordinator's state; resolves after a pass saw the latest. */
  reconcile(): Promise<void> {
    this.passWanted = true;
    this.pass ??= this.runPasses().finally(() => {
      this.pass = null;
    });
    return this.pass;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pass?.catch(() => {});
    for (const replica of this.running.values()) await replica.close();
    this.running.clear();
  }

  private async runPasses(): Promise<void> {
    while (this.passWanted && !this.closed) {
      this.passWanted = false;
      try {
        await this.reconcileOnce();
      } catch (error) {
        this.logger.error("placing replicas failed; retrying on the next change", { error: errorText(error) });
      }
    }
  }

  private async reconcileOnce(): Promise<void> {
    if (!this.coordinator.bootstrapped) return;
    const wanted = new Map(this.coordinator.replicasOn(this.selfNode).map((held) => [held.shard, held.replica]));
    for (const [shard, replica] of [...this.running]) {
      if (wanted.get(shard) === replica.replica || this.closed) continue;
      if (replica.replica >= this.coordinator.nextReplicaId) continue;
      this.running.delete(shard);
      this.logger.info("removing a replica the coordinator moved away", { shard, replica: replica.replica });
      await replica.destroy(this.context.sharedLog, this.context.dataDir);
    }
    for (const [shard, replica] of wanted) {
      if (this.running.has(shard) || this.closed) continue;
      const record = this.coordinator.shard(shard)!;
      this.logger.info("starting a replica the coordinator placed here", { shard, replica });
      this.running.set(shard, await ShardReplica.start(this.context, shard, replica, recordedMembership(record)));
    }
  }
}
