/**
 * The replicated-node part of `filestore serve`: with `peers` set, the node runs as one
 * replica of a Raft group (or, with `shards`, as a node of a new sharded cluster). Checks the
 * settings that only matter then (node-id present, every peer named and listed once, at most
 * groupMembersMax of them, this node among them unless peer-listen says where to listen).
 * With `join` set to an address instead, the node joins a running sharded cluster through that
 * member: node-id and peer-listen are needed, peers and shards are not (the coordinator has both).
 */
import type { FileStoreConfig } from "../config/settings.ts";
import type { ClusterNodeOptions } from "../cluster/cluster_node.ts";
import { formatNodeId, NodeIdError, parseNodeId } from "../cluster/node_id.ts";
import { groupMembersMax } from "../cluster/raft/conf_change.ts";
import type { HostPort } from "../config/address.ts";
import { ConfigError } from "../config/config_error.ts";

export type ClusterSettings = Pick<ClusterNodeOptions, "nodeId" | "peers" | "peerListen" | "snapshotEveryEntries"> & {
  /** 0: one Raft group, or a node joining a sharded cluster (joinThrough); N: a new sharded cluster of N shards. */
  shards: number;
  /** A node joining a running sharded cluster: the peer address of the member it asks (--join HOST:PORT). */
  joinThrough?: HostPort;
};

/** null for a single node (no peers); the replica's settings otherwise; ConfigError naming the field when wrong. */
export function clusterSettings(config: FileStoreConfig, source: string): ClusterSettings | null {
  if (typeof config.join === "object") return joiningSettings(config, config.join, source);
  if (config.peers.length === 0) {
    const reason = "joining a group needs peers: every current member and this node";
    if (config.join) throw new ConfigError("join", source, reason);
    return null;
  }
  const nodeId = named("node-id", source, () => parseNodeId(config.nodeId));
  if (config.peers.length > groupMembersMax) {
    throw new ConfigError("peers", source, `a group has at most ${groupMembersMax} nodes, got ${config.peers.length}`);
  }
  const peers = new Map<number, HostPort>();
  for (const peer of config.peers) {
    if (peer.name === undefined) throw new ConfigError("peers", source, `every peer must be named NAME=HOST:PORT, got ${peer.host}:${peer.port}`);
    const id = named("peers", source, () => parseNodeId(peer.name!));
    if (peers.has(id)) throw new ConfigError("peers", source, `${formatNodeId(id)} is listed twice`);
    peers.set(id, { host: peer.host, port: peer.port });
  }
  if (!peers.has(nodeId) && config.peerListen === undefined) {
    throw new ConfigError("peers", source, `this node (${formatNodeId(nodeId)}) is not in peers; list it or give peer-listen`);
  }
  if (config.shards > 0 && config.join) {
    const reason = "a sharded cluster is joined through the peer address of any member: "
      + "join = HOST:PORT, no peers or shards";
    throw new ConfigError("join", source, reason);
  }
  const { peerListen, snapshotEveryEntries, shards } = config;
  return { nodeId, peers, peerListen, snapshotEveryEntries, shards };
}

/** A node joining a running sharded cluster through `through` (a member's peer port). */
function joiningSettings(config: FileStoreConfig, through: HostPort, source: string): ClusterSettings {
  const nodeId = named("node-id", source, () => parseNodeId(config.nodeId));
  const joining = "a node joining a sharded cluster (join = HOST:PORT)";
  if (config.peers.length > 0) {
    throw new ConfigError("peers", source, `${joining} learns its peers from the cluster; leave peers out`);
  }
  if (config.shards > 0) {
    throw new ConfigError("shards", source, `${joining} takes the cluster's shards; leave shards out`);
  }
  if (config.peerListen === undefined) {
    throw new ConfigError("peer-listen", source, `${joining} needs peer-listen: where the other nodes reach it`);
  }
  const { peerListen, snapshotEveryEntries } = config;
  return { nodeId, peers: new Map(), peerListen, snapshotEveryEntries, shards: 0, joinThrough: through };
}

function named<T>(field: string, source: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof NodeIdError) throw new ConfigError(field, source, error.message);
    throw error;
  }
}
