/**
 * The invariants of the coordinator's state (coordinator_state.ts), as one check: a snapshot must
 * pass it to be restored (coordinator_codec.ts), and the tests check it after every command.
 *
 * Before bootstrap: no settings, nodes, shards or moves; map version 0; both counters at 1.
 * After it:
 * - the settings keep their rules (cluster_settings.ts); the map version is at least 1;
 * - nodes: at most nodesMax; each keyed by its id and valid on its own (node_commands.ts);
 *   names unique; no two nodes that are not removed share a peer address;
 * - shards: a shard map's invariants (placement/shard_map.ts: they cover the hash space exactly,
 *   ids unique, each with 1..replicasPerShardMax replicas on distinct nodes, a voter among them);
 *   each keyed by its id, below nextShardId, with no leader; every replica on a node that is in
 *   the list and not removed; replica ids unique across shards, positive, below nextReplicaId
 *   (so a counter never gives an id twice);
 * - moves: keyed by a shard that exists; from ≠ to; `from` holds a voter of the shard and `to` a
 *   replica; and every learner is the target of its shard's move.
 */
import { ShardMap } from "../placement/shard_map.ts";
import { ShardMapError } from "../placement/shard_map_error.ts";
import { settingsProblem } from "./cluster_settings.ts";
import { nodesMax, replicaIdMax } from "./coordinator_limits.ts";
import { replicaOn, type CoordinatorState } from "./coordinator_state.ts";
import { nodeSpecProblem } from "./node_commands.ts";

/** The first invariant `state` breaks, or null. */
export function coordinatorStateProblem(state: CoordinatorState): string | null {
  if (state.settings === null) return emptyStateProblem(state);
  if (!Number.isSafeInteger(state.mapVersion) || state.mapVersion < 1) return `map version ${state.mapVersion}`;
  return settingsProblem(state.settings) ?? nodesProblem(state) ?? shardsProblem(state) ?? movesProblem(state);
}

function emptyStateProblem(state: CoordinatorState): string | null {
  const empty = state.nodes.size === 0 && state.shards.size === 0 && state.moves.size === 0;
  const fresh = state.mapVersion === 0 && state.nextShardId === 1 && state.nextReplicaId === 1;
  return empty && fresh ? null : "a state without settings holds something";
}

function nodesProblem(state: CoordinatorState): string | null {
  if (state.nodes.size > nodesMax) return `${state.nodes.size} nodes, over ${nodesMax}`;
  const names = new Set<string>();
  const peerAddresses = new Set<string>();
  for (const [id, node] of state.nodes) {
    const problem = id === node.id ? nodeSpecProblem(node) : `node ${node.id} is listed under id ${id}`;
    if (problem !== null) return problem;
    if (!["joining", "up", "draining", "removed"].includes(node.state)) return `node ${node.name}: unknown state`;
    if (names.has(node.name)) return `two nodes are named ${node.name}`;
    names.add(node.name);
    if (node.state === "removed") continue;
    if (peerAddresses.has(node.addresses.peerAddress)) return `two nodes listen on ${node.addresses.peerAddress}`;
    peerAddresses.add(node.addresses.peerAddress);
  }
  return null;
}

function shardsProblem(state: CoordinatorState): string | null {
  try {
    ShardMap.fromOutside(state.mapVersion, [...state.shards.values()]);
  } catch (error) {
    if (!(error instanceof ShardMapError)) throw error;
    return error.message;
  }
  if (!Number.isSafeInteger(state.nextShardId) || !Number.isSafeInteger(state.nextReplicaId)) {
    return "a counter is not an integer";
  }
  if (state.nextReplicaId > replicaIdMax + 1) return `next replica id ${state.nextReplicaId} is past the last`;
  const replicaIds = new Set<number>();
  for (const [id, shard] of state.shards) {
    if (id !== shard.id || id >= state.nextShardId) {
      return `shard ${shard.id} is listed under ${id} or not below the next id ${state.nextShardId}`;
    }
    if (shard.leader !== undefined) return `shard ${id} has a replicated leader`;
    for (const { replica, node } of shard.replicas) {
      if (state.nodes.get(node) === undefined || state.nodes.get(node)!.state === "removed") {
        return `shard ${id} has a replica on node ${node}, which is not in the cluster`;
      }
      if (!Number.isSafeInteger(replica) || replica < 1 || replica >= state.nextReplicaId || replicaIds.has(replica)) {
        return `shard ${id}: replica id ${replica} is not a fresh id below ${state.nextReplicaId}`;
      }
      replicaIds.add(replica);
    }
  }
  return null;
}

function movesProblem(state: CoordinatorState): string | null {
  for (const [id, move] of state.moves) {
    const shard = state.shards.get(id);
    if (shard === undefined || move.shard !== id) return `a move of shard ${id}, which does not exist`;
    if (move.from === move.to) return `shard ${id}'s move goes nowhere`;
    if (replicaOn(shard, move.from)?.role !== "voter") return `shard ${id}'s move has no voter at its source`;
    if (replicaOn(shard, move.to) === undefined) return `shard ${id}'s move has no replica at its target`;
  }
  for (const shard of state.shards.values()) {
    for (const replica of shard.replicas) {
      if (replica.role === "learner" && state.moves.get(shard.id)?.to !== replica.node) {
        return `shard ${shard.id} has a learner on node ${replica.node} that no move brings`;
      }
    }
  }
  return null;
}
