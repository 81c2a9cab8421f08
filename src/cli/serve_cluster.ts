/**
 * The replicated-node part of `filestore serve`: with `peers` set, the node runs as one
 * replica of a Raft group. Checks the settings that only matter then (node-id present, every
 * peer named and listed once, at most groupMembersMax of them, this node among them unless
 * peer-listen says where to listen).
 */
import type { FileStoreConfig } from "../config/settings.ts";
import type { ClusterNodeOptions } from "../cluster/cluster_node.ts";
import { formatNodeId, NodeIdError, parseNodeId } from "../cluster/node_id.ts";
import { groupMembersMax } from "../cluster/raft/conf_change.ts";
import type { HostPort } from "../config/address.ts";
import { ConfigError } from "../config/config_error.ts";

export type ClusterSettings = Pick<ClusterNodeOptions, "nodeId" | "peers" | "peerListen" | "snapshotEveryEntries"> & {
  /** 0: one Raft group; N: a sharded cluster of N shards. */
  shards: number;
};

/** null for a single node (no peers); the replica's settings otherwise; ConfigError naming the field when wrong. */
export function clusterSettings(config: FileStoreConfig, source: string): ClusterSettings | null {
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
    const reason = "joining a sharded cluster is not supported yet: start every node with the same peers";
    throw new ConfigError("join", source, reason);
  }
  const { peerListen, snapshotEveryEntries, shards } = config;
  return { nodeId, peers, peerListen, snapshotEveryEntries, shards };
}

function named<T>(field: string, source: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof NodeIdError) throw new ConfigError(field, source, error.message);
    throw error;
  }
}
