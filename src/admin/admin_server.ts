/**
 * The HTTP admin endpoint (Bun.serve): GET /healthz answers 200 while the node serves clients
 * and 503 otherwise (starting, shutting down); GET /metrics is the Prometheus text exposition.
 * It runs beside the client port so a stuck or flooded client port stays observable.
 */
import type { RaftDriver } from "../cluster/raft_driver.ts";
import type { EngineStats } from "../engine/types.ts";
import { routeCluster } from "./cluster_routes.ts";
import { renderRaftMetrics } from "./raft_metrics.ts";
import type { ServerMetrics } from "./server_metrics.ts";

interface AdminServerOptions {
  host: string;
  /** 0 picks a free port; the bound port is in the returned handle. */
  port: number;
  metrics: ServerMetrics;
  /** Engine stats at scrape time; null while no engine is open. */
  engineStats: () => EngineStats | null;
  /** True while the client port accepts and serves requests. */
  isServing: () => boolean;
  /** The Raft driver of a replicated node (null otherwise, or while starting): Raft metrics and /cluster/*. */
  cluster?: () => RaftDriver | null;
}

export interface AdminServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

export function startAdminServer(options: AdminServerOptions): AdminServer {
  const server = Bun.serve({
    hostname: options.host,
    port: options.port,
    fetch: (request) => route(request, options),
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

function route(request: Request, options: AdminServerOptions): Response | Promise<Response> {
  const path = new URL(request.url).pathname;
  if (path.startsWith("/cluster/")) return routeCluster(request, path, options.cluster?.() ?? null);
  if (path !== "/healthz" && path !== "/metrics") return textResponse(404, "not found: try /healthz or /metrics\n");
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405, headers: { allow: "GET, HEAD" } });
  }
  if (path === "/healthz") {
    return options.isServing() ? textResponse(200, "ok\n") : textResponse(503, "unavailable\n");
  }
  let body = options.metrics.render(options.engineStats());
  const driver = options.cluster?.() ?? null;
  if (driver !== null) {
    const lines: string[] = [];
    renderRaftMetrics(lines, driver);
    body += `${lines.join("\n")}\n`;
  }
  return new Response(body, { status: 200, headers: { "content-type": prometheusContentType } });
}

function textResponse(status: number, body: string): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } });
}
