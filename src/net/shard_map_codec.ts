/**
 * Shard descriptors and nodes on the wire (schemas/filestore.fbs: ShardDescriptor, ShardReplica,
 * ClusterNode), for the two replies that carry them: ShardMapResult and WrongShardResult. The
 * range travels as [start, last] with `last` inclusive, each bound two u32 halves; in memory it
 * is [start, end) as in src/cluster/placement/hash_range.ts, end = last + 1, so the end of the
 * space (2^64) is { high: 2^32, low: 0 } there and { high: 2^32 - 1, low: 2^32 - 1 } here.
 *
 * Decoding takes what the verifier let through (every table and vector inside the frame) and
 * reads it as it is: whether the descriptors make sense (ids, epochs, roles, leaders, ranges that
 * cover the space) is for the receiver to check, as for any placement data from outside
 * (ShardMap.fromOutside). A replica role this build does not know and a node without a client
 * address make the reply malformed (an Error, as for any reply that breaks the schema).
 */
import type * as flatbuffers from "flatbuffers";
import {
  ClusterNode, ReplicaRole, ShardDescriptor, ShardMapResult, ShardReplica, WrongShardResult,
} from "../../schemas/generated/filestore_generated";
import type { ClusterNodeValue, HashPoint, ReplicaRoleName, ShardDescriptorValue, ShardMapValue } from "./messages";

const halfMax = 0xffffffff;

/** What both results carry: descriptors and the nodes they name. */
interface ShardLists {
  readonly shards: readonly ShardDescriptorValue[];
  readonly nodes: readonly ClusterNodeValue[];
}

const roleByName: Record<ReplicaRoleName, ReplicaRole> = { voter: ReplicaRole.Voter, learner: ReplicaRole.Learner };

/** The last hash of a range ending at `end` (end - 1; end > 0). */
function lastOf(end: HashPoint): HashPoint {
  return end.low === 0 ? { high: end.high - 1, low: halfMax } : { high: end.high, low: end.low - 1 };
}

/** The end of a range whose last hash is `last` (last + 1, which may be 2^64). */
function endAfter(high: number, low: number): HashPoint {
  return low === halfMax ? { high: high + 1, low: 0 } : { high, low: low + 1 };
}

function encodeDescriptor(builder: flatbuffers.Builder, shard: ShardDescriptorValue): number {
  const replicas = shard.replicas.map((replica) =>
    ShardReplica.createShardReplica(builder, replica.node, roleByName[replica.role]));
  const replicaVector = ShardDescriptor.createReplicasVector(builder, replicas);
  const last = lastOf(shard.range.end);
  ShardDescriptor.startShardDescriptor(builder);
  ShardDescriptor.addId(builder, shard.id);
  ShardDescriptor.addEpoch(builder, shard.epoch);
  ShardDescriptor.addStartHigh(builder, shard.range.start.high);
  ShardDescriptor.addStartLow(builder, shard.range.start.low);
  ShardDescriptor.addLastHigh(builder, last.high);
  ShardDescriptor.addLastLow(builder, last.low);
  ShardDescriptor.addReplicas(builder, replicaVector);
  ShardDescriptor.addLeader(builder, shard.leader ?? 0);
  return ShardDescriptor.endShardDescriptor(builder);
}

function encodeNode(builder: flatbuffers.Builder, node: ClusterNodeValue): number {
  const name = builder.createString(node.name);
  const address = builder.createString(node.clientAddress);
  return ClusterNode.createClusterNode(builder, node.id, name, address);
}

/**
 * The vectors of descriptors and nodes, as [shards, nodes] offsets (0 for an empty list): vectors
 * of table offsets, the same bytes in both results, so ShardMapResult's builders serve both.
 */
function encodeLists(builder: flatbuffers.Builder, { shards, nodes }: ShardLists): [number, number] {
  const shardOffsets = shards.map((shard) => encodeDescriptor(builder, shard));
  const nodeOffsets = nodes.map((node) => encodeNode(builder, node));
  return [
    shardOffsets.length === 0 ? 0 : ShardMapResult.createShardsVector(builder, shardOffsets),
    nodeOffsets.length === 0 ? 0 : ShardMapResult.createNodesVector(builder, nodeOffsets),
  ];
}

/** A ShardMapResult table: the map, or version 0 and nothing else for a node that is not sharded. */
export function encodeShardMapResult(builder: flatbuffers.Builder, map: ShardMapValue | null): number {
  if (map === null) return ShardMapResult.createShardMapResult(builder, 0, 0, 0);
  const [shards, nodes] = encodeLists(builder, map);
  return ShardMapResult.createShardMapResult(builder, map.version, shards, nodes);
}

export function encodeWrongShardResult(builder: flatbuffers.Builder, lists: ShardLists): number {
  const [shardVector, nodeVector] = encodeLists(builder, lists);
  return WrongShardResult.createWrongShardResult(builder, shardVector, nodeVector);
}

function decodeDescriptor(shard: ShardDescriptor): ShardDescriptorValue {
  const replicas: Array<{ node: number; role: ReplicaRoleName }> = [];
  const replica = new ShardReplica();
  for (let index = 0; index < shard.replicasLength(); index++) {
    shard.replicas(index, replica);
    const role = replica.role();
    if (role !== ReplicaRole.Voter && role !== ReplicaRole.Learner) {
      throw new Error(`shard ${shard.id()} has a replica of unknown role ${role}`);
    }
    replicas.push({ node: replica.node(), role: role === ReplicaRole.Voter ? "voter" : "learner" });
  }
  const leader = shard.leader();
  return {
    id: shard.id(),
    range: {
      start: { high: shard.startHigh(), low: shard.startLow() },
      end: endAfter(shard.lastHigh(), shard.lastLow()),
    },
    epoch: shard.epoch(),
    replicas,
    ...(leader === 0 ? {} : { leader }),
  };
}

function decodeNode(node: ClusterNode): ClusterNodeValue {
  return { id: node.id(), name: node.name() ?? "", clientAddress: node.clientAddress()! };
}

/** Reads the descriptors and nodes of either result (both keep them as `shards(i)` and `nodes(i)`). */
function decodeLists(result: ShardMapResult | WrongShardResult): ShardLists {
  const shards: ShardDescriptorValue[] = [];
  for (let index = 0; index < result.shardsLength(); index++) shards.push(decodeDescriptor(result.shards(index)!));
  const nodes: ClusterNodeValue[] = [];
  for (let index = 0; index < result.nodesLength(); index++) nodes.push(decodeNode(result.nodes(index)!));
  return { shards, nodes };
}

/** The map a ShardMapResult carries; null when its version is 0 (the node is not sharded). */
export function decodeShardMapResult(result: ShardMapResult): ShardMapValue | null {
  const version = result.version();
  if (version === 0) return null;
  return { version, ...decodeLists(result) };
}

export function decodeWrongShardResult(result: WrongShardResult): ShardLists {
  return decodeLists(result);
}

