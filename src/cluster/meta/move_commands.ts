/**
 * The steps of a replica move in the coordinator's state (docs/glossary.md, "move";
 * `filestore cluster move-replica SHARD --from n1 --to n4`):
 *   addLearner(shard, from, to)  a learner on `to`, with a new replica id; the move is recorded
 *   promote(shard, to)           the learner becomes a voter
 *   removeReplica(shard, from)   the source leaves the shard; the move ends
 * removeReplica(shard, to) while the target is still a learner cancels the move instead. Each step
 * bumps the shard's epoch and the map version. At most one move per shard runs: another
 * addLearner of the shard is refused until it ends. Only these steps add or remove replicas, so
 * a learner exists only as the target of a move in progress.
 *
 * These record the plan and its progress; the shard's own group changes its membership to match
 * (the node runtime drives both, one step at a time). Each step is checked against the state
 * first and refused with a typed outcome (command_result.ts) before anything changes.
 */
import { replicasPerShardMax } from "../placement/placement_limits.ts";
import type { ShardId } from "../placement/shard_map.ts";
import type { NodeId } from "../raft/types.ts";
import { refused, shardChanged, type Applied } from "./command_result.ts";
import { assert } from "../../util/assert.ts";
import { replicaIdMax } from "./coordinator_limits.ts";
import { replicaOn, type CoordinatorState, type ReplicaRecord, type ShardRecord } from "./coordinator_state.ts";

export function addLearner(state: CoordinatorState, shardId: ShardId, from: NodeId, to: NodeId): Applied {
  const shard = state.shards.get(shardId);
  if (shard === undefined) return refused("UNKNOWN_SHARD", `shard ${shardId} does not exist`);
  const [source, target] = [state.nodes.get(from), state.nodes.get(to)];
  if (source === undefined) return refused("UNKNOWN_NODE", `node ${from} is not in the cluster`);
  if (target === undefined) return refused("UNKNOWN_NODE", `node ${to} is not in the cluster`);
  const running = state.moves.get(shardId);
  if (running !== undefined) {
    const move = `from ${nameOf(state, running.from)} to ${nameOf(state, running.to)}`;
    return refused("MOVE_IN_PROGRESS", `shard ${shardId} is already moving a replica ${move}`);
  }
  if (from === to) return refused("INVALID_MOVE", "a move needs two different nodes");
  if (target.state === "removed") return refused("NODE_REMOVED", `node ${target.name} was removed`);
  if (target.state !== "up") return refused("NODE_NOT_UP", `node ${target.name} is ${target.state}, not up`);
  if (replicaOn(shard, from)?.role !== "voter") {
    return refused("INVALID_MOVE", `node ${source.name} holds no voter of shard ${shardId}`);
  }
  if (replicaOn(shard, to) !== undefined) {
    return refused("INVALID_MOVE", `node ${target.name} already holds a replica of shard ${shardId}`);
  }
  if (state.nextReplicaId > replicaIdMax) return refused("LIMIT_REACHED", "every replica id has been given");
  if (shard.replicas.length >= replicasPerShardMax) {
    return refused("LIMIT_REACHED", `shard ${shardId} has ${replicasPerShardMax} replicas, the most it may have`);
  }
  const learner: ReplicaRecord = { replica: state.nextReplicaId, node: to, role: "learner" };
  state.nextReplicaId++;
  state.moves.set(shardId, { shard: shardId, from, to });
  replaceShard(state, shard, [...shard.replicas, learner]);
  return shardChanged(shardId, learner.replica);
}

export function promote(state: CoordinatorState, shardId: ShardId, node: NodeId): Applied {
  const found = moveStepFor(state, shardId, node);
  if ("outcome" in found) return found;
  const { shard, replica } = found;
  if (found.move.to !== node || replica.role !== "learner") {
    return refused("NO_SUCH_MOVE_STEP", `${nameOf(state, node)} holds no learner of shard ${shardId}'s move`);
  }
  const replicas = shard.replicas.map((each) => (each === replica ? { ...each, role: "voter" as const } : each));
  replaceShard(state, shard, replicas);
  return shardChanged(shardId);
}

export function removeReplica(state: CoordinatorState, shardId: ShardId, node: NodeId): Applied {
  const found = moveStepFor(state, shardId, node);
  if ("outcome" in found) return found;
  const { shard, move, replica } = found;
  const targetRole = replicaOn(shard, move.to)!.role;
  const endsMove = node === move.from && targetRole === "voter";
  const cancelsMove = node === move.to && targetRole === "learner";
  if (!endsMove && !cancelsMove) {
    const next = targetRole === "learner" ? `promote ${nameOf(state, move.to)}` : `remove ${nameOf(state, move.from)}`;
    return refused("NO_SUCH_MOVE_STEP", `shard ${shardId}'s move is to ${next} next`);
  }
  state.moves.delete(shardId);
  replaceShard(state, shard, shard.replicas.filter((each) => each !== replica));
  return shardChanged(shardId);
}

type MoveStep = { shard: ShardRecord; move: { from: NodeId; to: NodeId }; replica: ReplicaRecord };

/** The shard, its running move and `node`'s replica of it, or the refusal saying which is missing. */
function moveStepFor(state: CoordinatorState, shardId: ShardId, node: NodeId): MoveStep | Applied {
  const shard = state.shards.get(shardId);
  if (shard === undefined) return refused("UNKNOWN_SHARD", `shard ${shardId} does not exist`);
  if (!state.nodes.has(node)) return refused("UNKNOWN_NODE", `node ${node} is not in the cluster`);
  const move = state.moves.get(shardId);
  if (move === undefined) return refused("NO_SUCH_MOVE_STEP", `no move of shard ${shardId} is in progress`);
  const replica = replicaOn(shard, node);
  if (replica === undefined) {
    return refused("NO_SUCH_MOVE_STEP", `${nameOf(state, node)} holds no replica of shard ${shardId}`);
  }
  return { shard, move, replica };
}

/** The shard with new replicas, its epoch bumped, and the map version bumped. */
function replaceShard(state: CoordinatorState, shard: ShardRecord, replicas: readonly ReplicaRecord[]): void {
  assert(replicas.some((replica) => replica.role === "voter"), "every step of a move leaves the shard a voter");
  state.shards.set(shard.id, { id: shard.id, range: shard.range, epoch: shard.epoch + 1, replicas });
  state.mapVersion++;
}

function nameOf(state: CoordinatorState, node: NodeId): string {
  return state.nodes.get(node)?.name ?? `node ${node}`;
}
