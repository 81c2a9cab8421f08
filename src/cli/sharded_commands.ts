/**
 * `filestore cluster shards`, `cluster nodes` and `cluster locate KEY`: a sharded cluster as any
 * node's admin endpoint shows it (GET /cluster/shards and /cluster/nodes, src/admin/cluster_view_routes.ts),
 * printed by shard_output.ts. The node asked gathers every other node's figures itself, so one
 * address is enough. locate computes the key's partition key and hash here, with the placement
 * rules the routing client uses (src/cluster/placement/), against the shard map the node answers,
 * so it finds the shard exactly as routing does.
 * Exit codes: 0; 6 when a shard has no leader known (shards) or a node did not answer (nodes);
 * 3 when the admin endpoint cannot be reached or cannot answer yet (503); 4 when it refuses.
 */
import type { LocatedJson, NodeRowJson, ShardRowJson } from "../cluster/meta/cluster_overview.ts";
import { locatedToJson } from "../cluster/meta/cluster_overview.ts";
import { formatNodeId, NodeIdError, parseNodeId } from "../cluster/node_id.ts";
import { locate } from "../cluster/placement/locate.ts";
import { ShardMap } from "../cluster/placement/shard_map.ts";
import { ShardMapError } from "../cluster/placement/shard_map_error.ts";
import { shardDescriptorFromJson } from "../cluster/placement/shard_map_json.ts";
import { mapVersionHeader } from "../admin/cluster_view_routes.ts";
import { adminRequest } from "./admin_client.ts";
import { ClusterCommandError } from "./cluster_command_error.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { escapeForLine } from "./line_escape.ts";
import { writeStdout } from "./output.ts";
import { locationText, nodesReachable, nodesText, shardsLed, shardsText } from "./shard_output.ts";
import { UsageError } from "./usage_error.ts";

export const shardedViewActions = ["shards", "nodes", "locate"] as const;

interface ViewRequest {
  admin: string;
  timeoutMs: number;
  json: boolean;
  /** locate: KEY is written in hex. */
  hex: boolean;
}

export async function runShardedView(
  action: string,
  target: string | undefined,
  request: ViewRequest,
): Promise<ExitCodeValue> {
  if (action === "locate") {
    if (target === undefined) throw new UsageError("cluster locate: missing KEY", "cluster");
    return locateKey(keyBytes(target, request.hex), request);
  }
  if (target !== undefined) throw new UsageError(`cluster ${action}: takes no argument, got "${target}"`, "cluster");
  const { rows, version } = await fetchRows(request, `/cluster/${action}`);
  if (action === "shards") {
    const shards = rows as ShardRowJson[];
    await writeStdout(request.json ? `${JSON.stringify(shards)}\n` : shardsText(shards, version));
    return shardsLed(shards) ? ExitCode.ok : ExitCode.unhealthy;
  }
  const nodes = rows as NodeRowJson[];
  await writeStdout(request.json ? `${JSON.stringify(nodes)}\n` : nodesText(nodes));
  return nodesReachable(nodes) ? ExitCode.ok : ExitCode.unhealthy;
}

async function locateKey(key: Uint8Array, request: ViewRequest): Promise<ExitCodeValue> {
  const { rows, version } = await fetchRows(request, "/cluster/shards");
  let map: ShardMap;
  try {
    map = ShardMap.fromOutside(Number(version) || 1, rows.map((row) => shardDescriptorFromJson(row, parseNodeId)));
  } catch (error) {
    if (!(error instanceof ShardMapError) && !(error instanceof NodeIdError)) throw error;
    const why = `admin endpoint ${request.admin} answered a shard map that breaks its rules: ${error.message}`;
    throw new ClusterCommandError(why, false);
  }
  const location = locate(key, map);
  const json: LocatedJson = locatedToJson(location, formatNodeId);
  const text = locationText(json, escapeForLine(key), escapeForLine(location.partitionKey));
  await writeStdout(request.json ? `${JSON.stringify(json)}\n` : text);
  return ExitCode.ok;
}

function keyBytes(target: string, hex: boolean): Uint8Array {
  if (!hex) return new TextEncoder().encode(target);
  if (!/^([0-9a-fA-F]{2})+$/.test(target)) {
    const problem = `cluster locate: with --hex, KEY must be an even number of hex digits, got "${target}"`;
    throw new UsageError(problem, "cluster");
  }
  return Uint8Array.from(Buffer.from(target, "hex"));
}

/** The JSON array a view route answers, and the map version it was built from. */
async function fetchRows(request: ViewRequest, path: string): Promise<{ rows: unknown[]; version: string }> {
  const { status, body, headers } = await adminRequest(request.admin, path, "GET", request.timeoutMs);
  if (status === 200 && Array.isArray(body)) return { rows: body, version: headers.get(mapVersionHeader) ?? "?" };
  const why = status === 200 ? "an answer that is not a list" : String(body.error ?? `HTTP ${status}`);
  // 503: the node cannot answer yet (no coordinator copy); another node or a later try may.
  throw new ClusterCommandError(`${why} (admin endpoint ${request.admin})`, status === 503);
}
