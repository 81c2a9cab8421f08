/**
 * Admin routes of a node of a sharded cluster (beside cluster_routes.ts, the single group's):
 *   POST /cluster/meta/command   body: one coordinator command (coordinator_codec.ts). The meta
 *                                group's leader proposes it and answers 200 {"outcome": ...}
 *                                (a typed refusal is an outcome); any other node answers 421
 *                                {"error", "leaderAdmin"} naming the leader's admin address
 *                                when known. How a node forwards its own commands
 *                                (meta_proposer.ts), and how `cluster` commands reach the leader.
 */
import type { ShardedNode } from "../cluster/node/sharded_node.ts";
import { metaCommandPath } from "../cluster/node/meta_proposer.ts";
import { ReplicationError } from "../cluster/replication_error.ts";

/** A coordinator command is small (a node spec, a shard id): anything bigger is not one. */
const metaCommandBytesMax = 64 * 1024;

/** The response to a sharded route, or null when `path` is not one. */
export function routeSharded(request: Request, path: string, node: ShardedNode): Promise<Response> | null {
  if (path === metaCommandPath) return metaCommand(request, node);
  return null;
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
