/**
 * The HTTP admin endpoint (Bun.serve), beside the client port so a stuck or flooded client port
 * stays observable:
 *   GET /healthz, /readyz  200 `ok` while the node can serve; otherwise 503 `unavailable: REASON`
 *                          (starting, shutting down, removed from the group, no quorum, no leader
 *                          known for too long, replication stopped: group_health.ts)
 *   GET /livez             200 `ok` while the process runs and can recover by itself; 503 only
 *                          when a restart is the remedy (its replication failed). A node without
 *                          quorum stays live: restarting it would not bring the quorum back.
 *   GET /metrics           the Prometheus text exposition.
 *   /cluster/*             a single group's status and membership changes (cluster_routes.ts);
 *                          a sharded cluster's shards, nodes and key locations (cluster_view_routes.ts).
 */
import packageJson from "../../package.json";
import type { NodeReport, SingleNodeStatus } from "../cluster/cluster_status.ts";
import type { Health } from "../cluster/replica/group_health.ts";
import type { KeyValueDriver } from "../cluster/key_value_replica.ts";
import type { PeerTransportStats } from "../cluster/transport/types.ts";
import type { ShardedClusterSource } from "../cluster/meta/cluster_overview.ts";
import type { EngineStats } from "../engine/types.ts";
import { routeCluster } from "./cluster_routes.ts";
import type { ShardedNode } from "../cluster/node/sharded_node.ts";
import { routeSharded } from "./sharded_routes.ts";
import { renderPeerTraffic } from "./peer_metrics.ts";
import { renderRaftMetrics } from "./raft_metrics.ts";
import type { ServerMetrics } from "./server_metrics.ts";
import { renderShardMetrics } from "./shard_metrics.ts";
import { ClusterViewRoutes, isClusterViewPath } from "./cluster_view_routes.ts";

interface AdminServerOptions {
  host: string;
  /** 0 picks a free port; the bound port is in the returned handle. */
  port: number;
  metrics: ServerMetrics;
  /** Engine stats at scrape time; null while no engine is open. */
  engineStats: () => EngineStats | null;
  /** True while the client port accepts and serves requests. */
  isServing: () => boolean;
  /** True once shutdown began: a node not serving is then "shutting down" rather than "starting". */
  isStopping?: () => boolean;
  /** The Raft driver of a replicated node (null otherwise, or while starting): Raft metrics and /cluster/*. */
  cluster?: () => KeyValueDriver | null;
  /**
   * A node of a sharded cluster (null while it starts): /cluster/shards, /nodes, /locate,
   * /local-replicas (cluster_view_routes.ts) and per-shard metrics (shard_metrics.ts).
   */
  clusterView?: () => ShardedClusterSource | null;
  /** Peer transport counters (a replica or a sharded node): messages sent and received; a replica also its refusals. */
  peerStats?: () => PeerTransportStats | null;
  /** The node of a sharded cluster (null otherwise, or while starting): its /cluster/* routes (sharded_routes.ts). */
  sharded?: () => ShardedNode | null;
}

export interface AdminServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
const probePaths = new Set(["/healthz", "/readyz", "/livez"]);

export function startAdminServer(options: AdminServerOptions): AdminServer {
  const clusterViews = new ClusterViewRoutes();
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    fetch: (request) => route(request, options, clusterViews),
    error: (error) => textResponse(500, `internal error: ${error.message}\n`),
  });
  return {
    host: options.host,
    port: server.port ?? options.port,
    close: async () => {
      await server.stop(true);
    },
  };
}

function route(
  request: Request,
  options: AdminServerOptions,
  clusterViews: ClusterViewRoutes,
): Response | Promise<Response> {
  const path = new URL(request.url).pathname;
  const sharded = options.sharded?.() ?? null;
  if (sharded !== null) {
    const response = routeSharded(request, path, sharded);
    if (response !== null) return response;
  }
  if (path.startsWith("/cluster/")) {
    if (isClusterViewPath(path)) return clusterViews.route(request, path, options.clusterView?.());
    const reports = { report: () => nodeReport(options), single: () => singleNodeStatus(options) };
    return routeCluster(request, path, options.cluster?.() ?? null, reports);
  }
  if (!probePaths.has(path) && path !== "/metrics") {
    return textResponse(404, "not found: try /healthz, /readyz, /livez or /metrics\n");
  }
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  if (probePaths.has(path)) {
    const health = path === "/livez" ? liveness(options) : readiness(options);
    return health.ok ? textResponse(200, "ok\n") : textResponse(503, `unavailable: ${health.reason}\n`);
  }
  let body = options.metrics.render(options.engineStats());
  const lines: string[] = [];
  const driver = options.cluster?.() ?? null;
  const peerStats = options.peerStats?.() ?? null;
  if (driver !== null) renderRaftMetrics(lines, driver, peerStats);
  if (peerStats !== null) renderPeerTraffic(lines, peerStats);
  const clusterView = options.clusterView?.() ?? null;
  if (clusterView !== null) renderShardMetrics(lines, clusterView);
  if (lines.length > 0) body += `${lines.join("\n")}\n`;
  return new Response(body, { status: 200, headers: { "content-type": prometheusContentType } });
}

/** Whether the node can serve now (/healthz, /readyz). */
function readiness(options: AdminServerOptions): Health {
  const driver = options.cluster?.() ?? null;
  if (driver?.removed) return { ok: false, reason: "removed from the group" };
  if (!options.isServing()) return { ok: false, reason: options.isStopping?.() ? "shutting down" : "starting" };
  const sharded = options.sharded?.() ?? null;
  if (sharded !== null) return sharded.health();
  return driver === null ? { ok: true } : driver.health();
}

function nodeReport(options: AdminServerOptions): NodeReport {
  const health = readiness(options);
  return {
    health: health.ok ? "ok" : `unavailable: ${health.reason}`,
    version: packageJson.version,
    dataSizeBytes: options.engineStats()?.logBytes ?? 0,
  };
}

function singleNodeStatus(options: AdminServerOptions): SingleNodeStatus {
  const stats = options.engineStats();
  return { kind: "single", ...nodeReport(options), keys: stats?.keys ?? 0, revision: stats?.revision ?? 0 };
}

/** Whether the process is alive and able to recover by itself (/livez). */
function liveness(options: AdminServerOptions): Health {
  const health = options.cluster?.()?.health() ?? options.sharded?.()?.health();
  return health !== undefined && !health.ok && health.fatal === true ? health : { ok: true };
}

function textResponse(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
