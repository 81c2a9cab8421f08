/**
 * Where a key lives: key → partition key → hash → shard (ARCHITECTURE.md, Stage 3). shardOfKey is
 * the client's routing of every request and allocates nothing; locate also returns the steps
 * between, for `filestore cluster locate KEY` and for tests.
 */
import { partitionKeyLength, partitionKeyOf } from "./partition_key.ts";
import { hashPartitionKey, partitionHashOf, type PartitionHash } from "./partition_hash.ts";
import type { ShardDescriptor, ShardMap } from "./shard_map.ts";

export interface Location {
  /** A view of the key's bytes (not a copy). */
  readonly partitionKey: Uint8Array;
  readonly hash: PartitionHash;
  readonly shard: ShardDescriptor;
}

// The hash of the key being routed, reused by every call: routing runs on every request and
// JavaScript runs one call at a time, so one scratch value serves them all.
const scratchHash: PartitionHash = { high: 0, low: 0 };

/** The shard of `map` that holds `key`; allocates nothing. */
export function shardOfKey(key: Uint8Array, map: ShardMap): ShardDescriptor {
  return map.lookup(hashPartitionKey(key, 0, partitionKeyLength(key), scratchHash));
}

/** The shard of `map` that holds `key`, with the partition key and hash that lead there. */
export function locate(key: Uint8Array, map: ShardMap): Location {
  const partitionKey = partitionKeyOf(key);
  const hash = partitionHashOf(partitionKey);
  return { partitionKey, hash, shard: map.lookup(hash) };
}
