/**
 * Bounds of the coordinator's state (coordinator_state.ts), each with its unit last and why. The
 * commands that would pass one are refused (apply_command.ts); a snapshot that breaks one is
 * refused as malformed (coordinator_codec.ts). Shard counts and replicas per descriptor are
 * placement's (src/cluster/placement/placement_limits.ts).
 */
import { assert } from "../../util/assert.ts";
import { replicasPerShardMax } from "../placement/placement_limits.ts";

/**
 * Node records the coordinator keeps, removed nodes included (their records keep their ids and
 * names from being used again). Far above the tens of nodes this store is built for, and small
 * enough for every node and client to copy the list: about 200 bytes a record.
 */
export const nodesMax = 1024;

/**
 * A node's name (src/cluster/node_id.ts parses it): at most a DNS label's 63 characters, so a
 * host name can serve as a node name.
 */
export const nodeNameCharactersMax = 63;

/** A HOST:PORT address: a DNS name (253 characters), brackets, a colon and a port, rounded up. */
export const addressCharactersMax = 272;

/** The cluster id stamped at bootstrap: room for a UUID or a readable name, short enough to log everywhere. */
export const clusterIdCharactersMax = 64;

/**
 * Voters per shard: 7 survive 3 failures; every one of them is in each commit's quorum, so more
 * would only slow writes. One more replica (a move's learner) must fit a shard descriptor.
 */
export const replicationFactorMax = 7;

/** Replication factor of a new cluster: 3 voters survive one failure (fewer when fewer nodes start it). */
export const replicationFactorDefault = 3;

/** Voters of the coordinator's own group (issue 16: up to 5): they survive 2 failures. */
export const metaVotersMax = 5;

/**
 * Replica ids are Raft member ids of their shard's group, which the Raft core keeps as u32
 * (src/cluster/raft/conf_change.ts); ids are never reused, so the counter stops here.
 */
export const replicaIdMax = 0xffffffff;

assert(replicationFactorMax + 1 <= replicasPerShardMax, "a move's learner fits a descriptor of the largest factor");
assert(replicationFactorDefault <= replicationFactorMax, "the default replication factor lies within its bound");
