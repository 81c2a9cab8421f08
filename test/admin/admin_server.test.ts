/**
 * The admin HTTP endpoint on 127.0.0.1: /healthz following the serving state, /metrics as
 * Prometheus text, 404 for unknown paths and 405 for other methods.
 */
import { afterEach, expect, test } from "bun:test";
import { startAdminServer, type AdminServer } from "../../src/admin/admin_server.ts";
import { ServerMetrics } from "../../src/admin/server_metrics.ts";
import type { EngineStats } from "../../src/engine/types.ts";

let server: AdminServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

function start(state: { serving: boolean; stats: EngineStats | null }, metrics = new ServerMetrics()): string {
  server = startAdminServer({
    host: "127.0.0.1",
    port: 0,
    metrics,
    engineStats: () => state.stats,
    isServing: () => state.serving,
  });
  expect(server.port).toBeGreaterThan(0);
  return `http://127.0.0.1:${server.port}`;
}

test("/healthz follows the serving state: 503, then 200, then 503", async () => {
  const state = { serving: false, stats: null };
  const base = start(state);
  let response = await fetch(`${base}/healthz`);
  expect(response.status).toBe(503);
  expect(await response.text()).toBe("unavailable\n");
  state.serving = true;
  response = await fetch(`${base}/healthz`);
  expect(response.status).toBe(200);
  expect(await response.text()).toBe("ok\n");
  state.serving = false;
  expect((await fetch(`${base}/healthz`)).status).toBe(503);
});

test("/metrics is Prometheus text with request and engine metrics", async () => {
  const metrics = new ServerMetrics();
  metrics.requestCompleted("get", "OK", 25e-6);
  const stats = { keys: 1, revision: 2, logBytes: 3, liveValueBytes: 4, indexBytesEstimate: 5 };
  const base = start({ serving: true, stats }, metrics);
  const response = await fetch(`${base}/metrics`);
  expect(response.status).toBe(200);
  expect(response.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  const text = await response.text();
  expect(text).toContain('filestore_requests_total{op="get",status="OK"} 1\n');
  expect(text).toContain("# TYPE filestore_request_duration_seconds histogram\n");
  expect(text).toContain("filestore_log_size_bytes 3\n");
  expect(text).toContain("filestore_index_size_bytes 5\n");
});

test("unknown paths get 404 and other methods 405", async () => {
  const base = start({ serving: true, stats: null });
  const missing = await fetch(`${base}/nope`);
  expect(missing.status).toBe(404);
  const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
  expect(post.status).toBe(405);
  expect(post.headers.get("allow")).toBe("GET, HEAD");
});
