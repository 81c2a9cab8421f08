/**
 * The admin HTTP endpoint on 127.0.0.1: /healthz following the serving state, /metrics as
 * Prometheus text, 404 for unknown paths and 405 for other methods.
 */
import { afterEach, expect, test } from "bun:test";
import { startAdminServer, type AdminServer } from "../../src/admin/admin_server.ts";
import { ServerMetrics } from "../../src/admin/server_metrics.ts";
import type { PeerTransportStats } from "../../src/cluster/transport/types.ts";
import type { EngineStats } from "../../src/engine/types.ts";

let server: AdminServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

interface NodeState {
  serving: boolean;
  stopping?: boolean;
  stats: EngineStats | null;
}

function start(state: NodeState, metrics = new ServerMetrics()): string {
  server = startAdminServer({
    host: "127.0.0.1",
    port: 0,
    metrics,
    engineStats: () => state.stats,
    isServing: () => state.serving,
    isStopping: () => state.stopping === true,
  });
  expect(server.port).toBeGreaterThan(0);
  return `http://127.0.0.1:${server.port}`;
}

test("/healthz and /readyz say starting, ok, then shutting down; /livez stays 200", async () => {
  const state = { serving: false, stopping: false, stats: null };
  const base = start(state);
  const probe = async (path: string) => {
    const response = await fetch(`${base}${path}`);
    return `${response.status} ${await response.text()}`;
  };
  expect(await probe("/healthz")).toBe("503 unavailable: starting\n");
  expect(await probe("/readyz")).toBe("503 unavailable: starting\n");
  expect(await probe("/livez")).toBe("200 ok\n");
  state.serving = true;
  expect(await probe("/healthz")).toBe("200 ok\n");
  expect(await probe("/readyz")).toBe("200 ok\n");
  state.serving = false;
  state.stopping = true;
  expect(await probe("/healthz")).toBe("503 unavailable: shutting down\n");
  expect(await probe("/livez")).toBe("200 ok\n");
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

test("/metrics counts peer messages of a node with peers and no single group's driver (a sharded node)", async () => {
  const stats: PeerTransportStats = {
    messagesSent: 7, messagesReceived: 11, messagesDroppedQueueFull: 0, messagesDroppedUnknownPeer: 0,
    messagesDroppedTooLarge: 0, queuedMessagesByPeer: {}, connectionsOpened: 2,
    nodeHeartbeatsSent: 0, nodeHeartbeatsReceived: 0,
    rejected: {
      unknownNode: 0, wrongClusterId: 0, clientProtocol: 0, malformedFrame: 0, misaddressed: 0,
      protocolVersion: 0, unknownGroup: 0, notMember: 0,
    },
  };
  server = startAdminServer({
    host: "127.0.0.1", port: 0, metrics: new ServerMetrics(), engineStats: () => null,
    isServing: () => true, cluster: () => null, peerStats: () => stats,
  });
  const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
  for (const [direction, count] of [["sent", 7], ["received", 11]] as const) {
    const name = `filestore_peer_messages_${direction}_total`;
    expect(text).toContain(`# TYPE ${name} counter\n${name} ${count}\n`);
  }
  expect(text).toContain("filestore_fsync_duration_seconds_count 0\n");
});

test("unknown paths get 404 and other methods 405", async () => {
  const base = start({ serving: true, stats: null });
  const missing = await fetch(`${base}/nope`);
  expect(missing.status).toBe(404);
  const post = await fetch(`${base}/metrics`, { method: "POST", body: "x" });
  expect(post.status).toBe(405);
  expect(post.headers.get("allow")).toBe("GET, HEAD");
});
