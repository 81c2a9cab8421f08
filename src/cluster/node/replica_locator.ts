/**
 * Where every member of every group runs, for the group multiplexer (MemberLocator): the meta
 * group (group 0) names its members by node id; a shard's group by replica id, which the
 * coordinator gives once and never reuses, and a replica lives on one node for life. So a
 * replica's node, once learned from the coordinator's state, stays true forever: it is kept
 * here even after the replica leaves its shard, which lets the multiplexer tell a removed
 * replica's node so (a PeerRefusal naming that replica).
 */
import type { CoordinatorChange } from "../meta/coordinator_command.ts";
import type { CoordinatorMachine } from "../meta/coordinator_machine.ts";
import type { ShardRecord } from "../meta/coordinator_state.ts";
import type { NodeId } from "../raft/types.ts";
import type { MemberLocator } from "../transport/group_multiplexer.ts";
import type { GroupId } from "../transport/types.ts";

/** The coordinator's own group: its members are nodes, by node id. */
export const metaGroupId: GroupId = 0;

export class ReplicaLocator implements MemberLocator {
  private readonly nodeOfReplica = new Map<NodeId, NodeId>();
  /** `${group}/${node}` → the newest replica of the group on the node. */
  private readonly replicaOnNode = new Map<string, NodeId>();

  /** Learns every replica of the coordinator's shards (after a restart, a snapshot, a change). */
  learnAll(coordinator: CoordinatorMachine): void {
    for (const descriptor of coordinator.shardMap()?.shards ?? []) {
      const record = coordinator.shard(descriptor.id);
      if (record !== undefined) this.learn(record);
    }
  }

  /** Learns the replicas of the shards `change` names (every shard after a restore). */
  follow(coordinator: CoordinatorMachine, change: CoordinatorChange): void {
    if (change.restored) return this.learnAll(coordinator);
    for (const shard of change.shards) {
      const record = coordinator.shard(shard);
      if (record !== undefined) this.learn(record);
    }
  }

  private learn(shard: ShardRecord): void {
    for (const replica of shard.replicas) {
      this.nodeOfReplica.set(replica.replica, replica.node);
      const key = `${shard.id}/${replica.node}`;
      this.replicaOnNode.set(key, Math.max(this.replicaOnNode.get(key) ?? 0, replica.replica));
    }
  }

  nodeOf(group: GroupId, member: NodeId): NodeId | undefined {
    return group === metaGroupId ? member : this.nodeOfReplica.get(member);
  }

  memberOn(group: GroupId, node: NodeId): NodeId | undefined {
    return group === metaGroupId ? node : this.replicaOnNode.get(`${group}/${node}`);
  }
}
