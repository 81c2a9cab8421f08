/**
 * /metrics of a sharded node (src/admin/shard_metrics.ts) through a real admin server: node
 * totals, the map's figures, gauges per shard held, and the bound on shard label values (all of
 * them up to shardSeriesReplicasMax replicas, none past it, only the totals).
 */
import { afterEach, expect, test } from "bun:test";
import { startAdminServer, type AdminServer } from "../../src/admin/admin_server.ts";
import { ServerMetrics } from "../../src/admin/server_metrics.ts";
import { shardSeriesReplicasMax } from "../../src/admin/shard_metrics.ts";
import type { NodeLocalReport } from "../../src/cluster/meta/cluster_overview.ts";
import { CoordinatorMachine } from "../../src/cluster/meta/coordinator_machine.ts";
import { accept, bootstrapped, spec } from "../cluster/meta/coordinator_fixtures.ts";
import { reportOf } from "../cluster/meta/overview_fixtures.ts";

let server: AdminServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function scrape(machine: CoordinatorMachine, report: NodeLocalReport): Promise<string> {
  server = startAdminServer({
    host: "127.0.0.1",
    port: 0,
    metrics: new ServerMetrics(),
    engineStats: () => null,
    isServing: () => true,
    clusterView: () => ({ nodeId: report.node, coordinator: machine, localReport: () => report }),
  });
  const response = await fetch(`http://127.0.0.1:${server.port}/metrics`);
  expect(response.status).toBe(200);
  return response.text();
}

/** The sample lines (not HELP/TYPE) of metrics whose name starts with `prefix`. */
function samples(text: string, prefix: string): string[] {
  return text.split("\n").filter((line) => line.startsWith(prefix));
}

test("node totals, map figures, nodes by state and a gauge per shard held", async () => {
  const machine = await bootstrapped(3, 3);
  await accept(machine, { kind: "addNode", node: spec(4) });
  const report = reportOf(machine, 2, {
    1: { isLeader: true, term: 3, appliedIndex: 10, commitIndex: 11, keys: 4, bytes: 400 },
    3: { term: 2, appliedIndex: 7, commitIndex: 7, keys: 1, bytes: 100 },
  });
  const text = await scrape(machine, report);
  expect(samples(text, "filestore_node_")).toEqual([
    "filestore_node_replicas 2",
    "filestore_node_leaders 1",
    "filestore_node_replica_keys 5",
    "filestore_node_replica_bytes 500",
    "filestore_node_shard_series_capped 0",
  ]);
  expect(samples(text, "filestore_cluster_")).toEqual([
    "filestore_cluster_shards 3",
    "filestore_cluster_map_version 1",
    'filestore_cluster_nodes{state="joining"} 1',
    'filestore_cluster_nodes{state="up"} 3',
    'filestore_cluster_nodes{state="draining"} 0',
    'filestore_cluster_nodes{state="removed"} 0',
  ]);
  expect(samples(text, "filestore_shard_")).toEqual([
    'filestore_shard_applied_index{shard="1"} 10',
    'filestore_shard_applied_index{shard="3"} 7',
    'filestore_shard_commit_index{shard="1"} 11',
    'filestore_shard_commit_index{shard="3"} 7',
    'filestore_shard_keys{shard="1"} 4',
    'filestore_shard_keys{shard="3"} 1',
    'filestore_shard_bytes{shard="1"} 400',
    'filestore_shard_bytes{shard="3"} 100',
    'filestore_shard_is_leader{shard="1"} 1',
    'filestore_shard_is_leader{shard="3"} 0',
    'filestore_shard_term{shard="1"} 3',
    'filestore_shard_term{shard="3"} 2',
  ]);
  const help = `Keys in this replica, by shard; only while this node holds at most ${shardSeriesReplicasMax} replicas.`;
  expect(text).toContain(`# HELP filestore_shard_keys ${help}`);
});

test("a coordinator copy not bootstrapped yet: the map figures are 0, the node's own figures show", async () => {
  const machine = await bootstrapped(1, 1);
  const text = await scrape(new CoordinatorMachine(), reportOf(machine, 1, { 1: { keys: 2 } }));
  expect(samples(text, "filestore_cluster_shards")).toEqual(["filestore_cluster_shards 0"]);
  expect(samples(text, "filestore_cluster_map_version")).toEqual(["filestore_cluster_map_version 0"]);
  expect(samples(text, "filestore_node_replica_keys")).toEqual(["filestore_node_replica_keys 2"]);
});

/** Shard label values of `text`'s per-shard samples, without repeats. */
function shardLabels(text: string): Set<string> {
  return new Set(samples(text, "filestore_shard_").map((line) => /shard="(\d+)"/.exec(line)![1]!));
}

test(`at most ${shardSeriesReplicasMax} shard label values: all up to the bound, none past it`, async () => {
  const all = (machine: CoordinatorMachine) => {
    const shards = machine.replicasOn(1).map((held) => [held.shard, { keys: 1 }]);
    return reportOf(machine, 1, Object.fromEntries(shards));
  };
  const atBound = await bootstrapped(1, shardSeriesReplicasMax);
  const atBoundText = await scrape(atBound, all(atBound));
  expect(shardLabels(atBoundText).size).toBe(shardSeriesReplicasMax);
  expect(samples(atBoundText, "filestore_shard_")).toHaveLength(6 * shardSeriesReplicasMax);
  expect(atBoundText).toContain("filestore_node_shard_series_capped 0\n");
  await server!.close();

  const past = await bootstrapped(1, shardSeriesReplicasMax + 1);
  const pastText = await scrape(past, all(past));
  expect(samples(pastText, "filestore_shard_")).toEqual([]);
  expect(pastText).toContain("filestore_node_shard_series_capped 1\n");
  expect(pastText).toContain(`filestore_node_replicas ${shardSeriesReplicasMax + 1}\n`);
  expect(pastText).toContain(`filestore_node_replica_keys ${shardSeriesReplicasMax + 1}\n`);
});

test("a node that is not sharded, or a sharded one still starting, exports none of these", async () => {
  for (const clusterView of [undefined, () => null]) {
    const options = { host: "127.0.0.1", port: 0, metrics: new ServerMetrics(), engineStats: () => null };
    server = startAdminServer({ ...options, isServing: () => true, clusterView });
    const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(samples(text, "filestore_node_")).toEqual([]);
    expect(samples(text, "filestore_shard_")).toEqual([]);
    expect(samples(text, "filestore_cluster_")).toEqual([]);
    await server.close();
  }
  server = undefined;
});
