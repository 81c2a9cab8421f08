/**
 * Bounds of placement, each with its unit last and why. The server's `--shards` setting and
 * the checks of a shard map received from outside (shard_map.ts) take their limits from here.
 */
import { assert } from "../../util/assert.ts";

/** Shards of a new cluster when `--shards` is not given: room to spread over a handful of nodes. */
export const shardsDefault = 16;

/** A cluster has at least one shard: the whole hash space in one range, as before sharding. */
export const shardsMin = 1;

/**
 * The most shards a map may hold. Every client fetches the whole map and every node keeps a copy,
 * so it must stay small: 4096 descriptors of three replicas are a few hundred KiB. It is also 16x
 * the largest count the benchmarks run (256 shards), and bounds the per-shard metrics labels.
 */
export const shardsMax = 4096;

/**
 * Replicas one shard descriptor may list: far above any replication factor (3 or 5 voters, plus a
 * learner or two while a move runs), low enough that a descriptor received from outside stays small.
 */
export const replicasPerShardMax = 16;

/** Node ids are u32 (src/cluster/raft/config_entry.ts stores them so); 0 means nobody. */
export const nodeIdMax = 0xffffffff;

assert(shardsMin <= shardsDefault && shardsDefault <= shardsMax, "the default shard count lies within its bounds");
