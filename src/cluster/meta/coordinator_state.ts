/**
 * The coordinator's state (docs/glossary.md, "coordinator"): what the meta group replicates and
 * every node keeps a copy of. Commands change it (coordinator_command.ts, apply_command.ts), the
 * same way on every replica; coordinator_codec.ts snapshots it; state_check.ts states its
 * invariants. It holds:
 * - the cluster's settings (cluster_settings.ts), null until the cluster is bootstrapped;
 * - the node list: id, name, addresses and state of every node ever added. A removed node keeps
 *   its record, so its id and its name are never given to another node;
 * - the shards: id, range, epoch and replicas. Each replica has a replica id, given by the
 *   coordinator from a counter and never reused, so a replica added again is a new member of its
 *   group and cannot carry an old member's votes (the id the shard's Raft group knows it by);
 * - the moves in progress, at most one per shard (a move of a replica from one node to another:
 *   add a learner, promote it, remove the source); its step shows in the target's role;
 * - the map version, bumped with every change of the shard map, and the counters of shard and
 *   replica ids (the next to give; below them, every id was given once).
 *
 * Leaders are not part of it: they change too often to go through the log. Nodes report them
 * best-effort beside it (leader_hints.ts), and the shard map a node reads combines both.
 *
 * Records are never changed in place: a command replaces a record with a new one, so a record a
 * reader holds stays as it was read.
 */
import type { MemberAddresses } from "../entry_payload_codec.ts";
import { compareHashes } from "../placement/partition_hash.ts";
import type { ShardDescriptor, ShardId, ShardReplica } from "../placement/shard_map.ts";
import type { NodeId } from "../raft/types.ts";
import type { ClusterSettings } from "./cluster_settings.ts";

/** A replica's id: the id its shard's Raft group knows it by; given once, never reused. */
export type ReplicaId = number;

/**
 * joining: added (`serve --join`), not yet holding anything; up: serving, replicas may be placed
 * on it; draining: serving, but no new replicas go to it (its replicas are to move away);
 * removed: gone for good (its record stays, see the head comment).
 */
export type NodeState = "joining" | "up" | "draining" | "removed";

export interface NodeRecord {
  readonly id: NodeId;
  /** As written by operators (src/cluster/node_id.ts); the id is the proposer's parse of it. */
  readonly name: string;
  readonly addresses: Readonly<MemberAddresses>;
  readonly state: NodeState;
}

export interface ReplicaRecord extends ShardReplica {
  readonly replica: ReplicaId;
}

/** A shard descriptor as replicated: never a leader (see the head comment); replicas with their ids. */
export interface ShardRecord extends ShardDescriptor {
  readonly replicas: readonly ReplicaRecord[];
  readonly leader?: undefined;
}

/**
 * A replica moving from one node to another. Its step is the target's role in the shard: a
 * learner is to be promoted; a voter means the source is to be removed, which ends the move.
 */
export interface MoveRecord {
  readonly shard: ShardId;
  readonly from: NodeId;
  readonly to: NodeId;
}

export interface CoordinatorState {
  settings: ClusterSettings | null;
  readonly nodes: Map<NodeId, NodeRecord>;
  readonly shards: Map<ShardId, ShardRecord>;
  readonly moves: Map<ShardId, MoveRecord>;
  /** 0 before bootstrap, 1 after it; bumped by every change of any shard's range or replicas. */
  mapVersion: number;
  /** The next shard id to give; every id below it was given once. */
  nextShardId: ShardId;
  /** The next replica id to give; every id below it was given once. */
  nextReplicaId: ReplicaId;
}

/** The state of a meta group before its first entry: not bootstrapped, nothing given yet. */
export function emptyCoordinatorState(): CoordinatorState {
  const counters = { mapVersion: 0, nextShardId: 1, nextReplicaId: 1 };
  return { settings: null, nodes: new Map(), shards: new Map(), moves: new Map(), ...counters };
}

/** The replica `node` holds of `shard`, if any. */
export function replicaOn(shard: ShardRecord, node: NodeId): ReplicaRecord | undefined {
  return shard.replicas.find((replica) => replica.node === node);
}

/** Whether any shard has a replica on `node`. */
export function holdsReplicas(state: CoordinatorState, node: NodeId): boolean {
  for (const shard of state.shards.values()) if (replicaOn(shard, node) !== undefined) return true;
  return false;
}

/** Orders shards by the start of their ranges, as a shard map lists them. */
export function compareByRange(a: ShardDescriptor, b: ShardDescriptor): number {
  return compareHashes(a.range.start, b.range.start);
}
