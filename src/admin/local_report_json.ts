/**
 * The JSON of GET /cluster/local-replicas: what one node reports of its own replicas
 * (NodeLocalReport, src/cluster/meta/cluster_overview.ts), read by the other nodes' admin
 * endpoints when they build a cluster view. Ids are numbers; `name` is for people:
 *
 *   { "node": 2, "name": "n2",
 *     "replicas": [{ "shard": 1, "replica": 2, "node": 2, "role": "voter" | "learner",
 *                    "isLeader": true, "term": 3, "appliedIndex": 41, "commitIndex": 41,
 *                    "keys": 5, "bytes": 120 }] }
 *
 * Validity rule (localReportFromJson, for an answer from another process): an object whose node
 * is a node id; at most shardsMax replicas (a node holds at most one replica per shard), no shard
 * twice; each replica of that same node, with positive shard and replica ids, a known role, a
 * boolean isLeader and non-negative integer figures. Anything else is refused whole with
 * LocalReportError: a view shows that node as unreachable rather than half a report.
 */
import type { LocalReplicaStats, NodeLocalReport } from "../cluster/meta/cluster_overview.ts";
import { nodeIdMax, shardsMax } from "../cluster/placement/placement_limits.ts";
import type { NodeId } from "../cluster/raft/types.ts";

export class LocalReportError extends Error {
  override name = "LocalReportError";
}

const figureFields = ["term", "appliedIndex", "commitIndex", "keys", "bytes"] as const;

export function localReportToJson(report: NodeLocalReport, name: string): unknown {
  return { node: report.node, name, replicas: report.replicas };
}

/** The report a JSON answer holds, checked (see the head comment); LocalReportError naming the first problem. */
export function localReportFromJson(value: unknown): NodeLocalReport {
  const json = value as { node?: unknown; replicas?: unknown } | null;
  if (typeof json !== "object" || json === null) throw new LocalReportError("not a JSON object");
  const node = json.node;
  if (!isId(node, nodeIdMax)) throw new LocalReportError(`node ${String(node)} is not a node id`);
  if (!Array.isArray(json.replicas) || json.replicas.length > shardsMax) {
    throw new LocalReportError(`replicas must be an array of at most ${shardsMax}`);
  }
  const shards = new Set<number>();
  const replicas = json.replicas.map((item: unknown) => {
    const stats = replicaFromJson(item, node);
    if (shards.has(stats.shard)) throw new LocalReportError(`shard ${stats.shard} is reported twice`);
    shards.add(stats.shard);
    return stats;
  });
  return { node, replicas };
}

function replicaFromJson(value: unknown, node: NodeId): LocalReplicaStats {
  const json = value as Partial<Record<keyof LocalReplicaStats, unknown>> | null;
  if (typeof json !== "object" || json === null) throw new LocalReportError("a replica is not a JSON object");
  const { shard, replica, role, isLeader } = json;
  if (!isId(shard, Number.MAX_SAFE_INTEGER) || !isId(replica, nodeIdMax)) {
    throw new LocalReportError("a replica's shard and replica ids must be positive integers");
  }
  if (json.node !== node) throw new LocalReportError(`shard ${shard}: a replica of node ${String(json.node)}`);
  if (role !== "voter" && role !== "learner") throw new LocalReportError(`shard ${shard}: role ${String(role)}`);
  if (typeof isLeader !== "boolean") throw new LocalReportError(`shard ${shard}: isLeader is not true or false`);
  for (const field of figureFields) {
    const figure = json[field];
    if (!Number.isSafeInteger(figure) || (figure as number) < 0) {
      throw new LocalReportError(`shard ${shard}: ${field} ${String(figure)} is not a non-negative integer`);
    }
  }
  const [term, appliedIndex, commitIndex, keys, bytes] = figureFields.map((field) => json[field] as number);
  return { shard, replica, node, role, isLeader, term, appliedIndex, commitIndex, keys, bytes };
}

function isId(value: unknown, max: number): value is number {
  return Number.isSafeInteger(value) && (value as number) > 0 && (value as number) <= max;
}
