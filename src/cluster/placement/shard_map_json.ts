/**
 * The plain-object JSON forms of placement data, part of the operator interface (README):
 *
 *   shard descriptor (`filestore cluster shards --json`, GET /cluster/shards, one per shard;
 *   the admin side adds its own fields, such as keys and bytes):
 *     { "id": 3, "range": ["4000000000000000", "6000000000000000"], "epoch": 1,
 *       "leader": "n1" | null, "replicas": [{ "node": "n1", "role": "voter" | "learner" }] }
 *   location (`filestore cluster locate KEY --json`):
 *     { "partition": "orders/u123", "hash": "09af411bd685f46d", "shard": 3,
 *       "replicas": [...], "leader": "n1" | null }
 *
 * Ranges and hashes print as in hash_range.ts and partition_hash.ts (16 hex digits; the end of
 * space as 10000000000000000). `partition` is the partition key's bytes read as UTF-8 (bytes
 * that are not UTF-8 print as U+FFFD; `hash` is what routing uses). Nodes appear by name: this
 * folder is pure and names live in src/cluster/node_id.ts, so the caller passes the conversions
 * (formatNodeId, parseNodeId). These forms are for people and scripts; the wire and the
 * coordinator's state get their own encodings.
 */
import type { NodeId } from "../raft/types.ts";
import { formatRange, parseBound } from "./hash_range.ts";
import { formatHash } from "./partition_hash.ts";
import { replicasPerShardMax } from "./placement_limits.ts";
import type { Location } from "./locate.ts";
import { checkedDescriptor, type ReplicaRole, type ShardDescriptor, type ShardReplica } from "./shard_map.ts";
import { ShardMapError } from "./shard_map_error.ts";

export interface ReplicaJson {
  node: string;
  role: ReplicaRole;
}

export interface ShardDescriptorJson {
  id: number;
  range: [string, string];
  epoch: number;
  leader: string | null;
  replicas: ReplicaJson[];
}

export interface LocationJson {
  partition: string;
  hash: string;
  shard: number;
  replicas: ReplicaJson[];
  leader: string | null;
}

type NameOf = (node: NodeId) => string;
type IdOf = (name: string) => NodeId;

export function shardDescriptorToJson(shard: ShardDescriptor, nameOf: NameOf): ShardDescriptorJson {
  return {
    id: shard.id,
    range: formatRange(shard.range),
    epoch: shard.epoch,
    leader: shard.leader === undefined ? null : nameOf(shard.leader),
    replicas: replicasToJson(shard.replicas, nameOf),
  };
}

/**
 * The descriptor a JSON document describes, checked as ShardMap checks descriptors from outside;
 * ShardMapError naming what is wrong. `idOf` may throw its own typed error for a bad name.
 */
export function shardDescriptorFromJson(value: unknown, idOf: IdOf): ShardDescriptor {
  const json = value as Partial<Record<keyof ShardDescriptorJson, unknown>>;
  const refuse = (what: string): never => {
    throw new ShardMapError(`shard descriptor JSON: ${what}`);
  };
  if (typeof value !== "object" || value === null) refuse("not an object");
  if (typeof json.id !== "number" || typeof json.epoch !== "number") refuse("id and epoch must be numbers");
  const range = json.range;
  if (!Array.isArray(range) || range.length !== 2 || !range.every((bound) => typeof bound === "string")) {
    refuse("range must be [startHex, endHex]");
  }
  const [startText, endText] = range as [string, string];
  const start = parseBound(startText, false);
  const end = parseBound(endText, true);
  if (start === null || end === null) refuse(`range [${startText}, ${endText}] is not two hash bounds in hex`);
  const replicas = json.replicas;
  if (!Array.isArray(replicas) || replicas.length > replicasPerShardMax) {
    refuse(`replicas must be an array of at most ${replicasPerShardMax}`);
  }
  const leader = json.leader;
  if (leader !== undefined && leader !== null && typeof leader !== "string") refuse("leader must be a name or null");
  return checkedDescriptor({
    id: json.id as number,
    range: { start: start!, end: end! },
    epoch: json.epoch as number,
    replicas: (replicas as unknown[]).map((replica) => replicaFromJson(replica, idOf, refuse)),
    ...(typeof leader === "string" ? { leader: idOf(leader) } : {}),
  });
}

export function locationToJson(location: Location, nameOf: NameOf): LocationJson {
  return {
    partition: new TextDecoder().decode(location.partitionKey),
    hash: formatHash(location.hash),
    shard: location.shard.id,
    replicas: replicasToJson(location.shard.replicas, nameOf),
    leader: location.shard.leader === undefined ? null : nameOf(location.shard.leader),
  };
}

function replicasToJson(replicas: readonly ShardReplica[], nameOf: NameOf): ReplicaJson[] {
  return replicas.map((replica) => ({ node: nameOf(replica.node), role: replica.role }));
}

function replicaFromJson(value: unknown, idOf: IdOf, refuse: (what: string) => never): ShardReplica {
  const json = value as Partial<Record<keyof ReplicaJson, unknown>>;
  if (typeof value !== "object" || value === null || typeof json.node !== "string") {
    refuse("a replica needs a node name");
  }
  if (json.role !== "voter" && json.role !== "learner") refuse(`role ${String(json.role)} is not voter or learner`);
  return { node: idOf(json.node as string), role: json.role as ReplicaRole };
}
