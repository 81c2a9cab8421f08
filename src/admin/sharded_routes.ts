/**
 * Admin routes of a node of a sharded cluster (beside cluster_routes.ts, the single group's):
 *   POST /cluster/meta/command   body: one coordinator command (coordinator_codec.ts). The meta
 *                                group's leader proposes it and answers 200 {"outcome": ...}
 *                                (a typed refusal is an outcome); any other node answers 421
 *                                {"error", "leaderAdmin"} naming the leader's admin address
 *                                when known. How a node forwards its own commands
 *                                (meta_proposer.ts), and how `cluster` commands reach the leader.
 *   POST /cluster/move-replica?shard=5&from=n1&to=n4
 *                                starts a move (move_driver.ts): on the meta leader, 200
 *                                {"replica"} (the target's new replica id); a refusal is 409
 *                                {"error", "code"} (UNKNOWN_SHARD, UNKNOWN_NODE, MOVE_IN_PROGRESS,
 *                                INVALID_MOVE, NODE_NOT_UP, ...), nothing changed; 421 elsewhere.
 *   GET  /cluster/move?shard=5   this node's copy of the coordinator: the move of the shard if one
 *                                runs ({"move": {"from", "to", "step"}} or {"move": null}) and the
 *                                shard's replicas and epoch.
 */
import type { ShardedNode } from "../cluster/node/sharded_node.ts";
import { metaCommandPath } from "../cluster/node/meta_proposer.ts";
import { ReplicationError } from "../cluster/replication_error.ts";
import { encodeCommand } from "../cluster/meta/coordinator_codec.ts";
import { replicaOn } from "../cluster/meta/coordinator_state.ts";
import { formatNodeId, NodeIdError, parseNodeId } from "../cluster/node_id.ts";

/** A coordinator command is small (a node spec, a shard id): anything bigger is not one. */
const metaCommandBytesMax = 64 * 1024;

/** The response to a sharded route, or null when `path` is not one. */
export function routeSharded(request: Request, path: string, node: ShardedNode): Promise<Response> | null {
  if (path === metaCommandPath) return metaCommand(request, node);
  if (path === "/cluster/move-replica") return moveReplica(request, node);
  if (path === "/cluster/move") return Promise.resolve(moveStatus(request, node));
  return null;
}

async function moveReplica(request: Request, node: ShardedNode): Promise<Response> {
  if (request.method !== "POST") return json(405, { error: "POST /cluster/move-replica?shard=N&from=NODE&to=NODE" });
  const query = new URL(request.url).searchParams;
  const shard = Number(query.get("shard"));
  if (!Number.isSafeInteger(shard) || shard < 1) {
    return json(400, { error: `shard must be a shard id, got "${query.get("shard")}"` });
  }
  const ends: number[] = [];
  for (const name of ["from", "to"]) {
    try {
      ends.push(parseNodeId(query.get(name) ?? ""));
    } catch (error) {
      if (!(error instanceof NodeIdError)) throw error;
      return json(400, { error: `${name}: ${error.message}` });
    }
  }
  if (!node.meta.isLeader()) return notLeader(node);
  const command = { kind: "addLearner" as const, shard, from: ends[0]!, to: ends[1]! };
  try {
    const outcome = await node.proposer.proposeHere(encodeCommand(command));
    if (!outcome.ok) return json(409, { error: outcome.message, code: outcome.code });
    return json(200, { replica: outcome.replica ?? null });
  } catch (error) {
    if (error instanceof ReplicationError && error.code === "NOT_LEADER") return notLeader(node);
    return json(503, { error: error instanceof Error ? error.message : String(error) });
  }
}

function moveStatus(request: Request, node: ShardedNode): Response {
  const shardId = Number(new URL(request.url).searchParams.get("shard"));
  const coordinator = node.coordinator;
  const shard = coordinator.shard(shardId);
  if (shard === undefined) return json(404, { error: `shard ${shardId} does not exist`, code: "UNKNOWN_SHARD" });
  const nameOf = (id: number) => coordinator.node(id)?.name ?? formatNodeId(id);
  const running = coordinator.move(shardId);
  const targetRole = running === undefined ? undefined : replicaOn(shard, running.to)?.role;
  const step = running === undefined ? null : targetRole === "learner" ? "catching up" : "removing the source";
  const move = running === undefined ? null : { from: nameOf(running.from), to: nameOf(running.to), step };
  const replicas = shard.replicas.map(({ node: id, role, replica }) => ({ node: nameOf(id), role, replica }));
  return json(200, { shard: shardId, epoch: shard.epoch, move, replicas });
}

async function metaCommand(request: Request, node: ShardedNode): Promise<Response> {
  if (request.method !== "POST") return json(405, { error: "POST a coordinator command" });
  const body = new Uint8Array(await request.arrayBuffer());
  if (body.length === 0 || body.length > metaCommandBytesMax) {
    return json(400, { error: `a coordinator command is 1..${metaCommandBytesMax} bytes, got ${body.length}` });
  }
  if (!node.meta.isLeader()) return notLeader(node);
  try {
    return json(200, { outcome: await node.proposer.proposeHere(body) });
  } catch (error) {
    if (error instanceof ReplicationError && error.code === "NOT_LEADER") return notLeader(node);
    const message = error instanceof Error ? error.message : String(error);
    return json(503, { error: message });
  }
}

function notLeader(node: ShardedNode): Response {
  const leader = node.meta.leaderId();
  const leaderAdmin = leader === 0 ? "" : (node.coordinator.node(leader)?.addresses.adminAddress ?? "");
  return json(421, { error: "this node does not lead the coordinator", leaderAdmin });
}

function json(status: number, body: unknown): Response {
  return new Response(`${JSON.stringify(body)}\n`, { status, headers: { "content-type": "application/json" } });
}
