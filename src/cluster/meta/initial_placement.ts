/**
 * Where a new cluster's replicas go (the bootstrap command): the one place placement is decided
 * for now, kept behind one function so the consistent-hash ring of the next step (ARCHITECTURE.md,
 * "Stage 3": the first RF distinct nodes clockwise) can replace it without touching the commands.
 *
 * Round robin over replica slots: slot k of shard i is the (i * RF + k)-th slot, on node
 * (i * RF + k) mod n of the nodes in ascending id order. A shard's RF slots are consecutive, so
 * its nodes are distinct (RF <= n); each node gets floor or ceil of shards * RF / n replicas.
 */
import { assert } from "../../util/assert.ts";
import type { NodeId } from "../raft/types.ts";

/** For each of `shardCount` shards, the nodes of its `replicationFactor` replicas. */
export function initialPlacement(shardCount: number, nodes: readonly NodeId[], replicationFactor: number): NodeId[][] {
  assert(replicationFactor >= 1 && replicationFactor <= nodes.length, "a shard's replicas fit on distinct nodes");
  const ordered = [...nodes].sort((a, b) => a - b);
  const placement: NodeId[][] = [];
  for (let shard = 0; shard < shardCount; shard++) {
    const replicas: NodeId[] = [];
    for (let slot = 0; slot < replicationFactor; slot++) {
      replicas.push(ordered[(shard * replicationFactor + slot) % ordered.length]!);
    }
    placement.push(replicas);
  }
  return placement;
}
