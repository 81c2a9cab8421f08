/**
 * /metrics of a node of a sharded cluster: totals for the node (replicas and leaders it holds,
 * keys and bytes over its replicas, shards and map version of its copy of the shard map, nodes by
 * state) and gauges per shard it holds, labelled `shard` (applied and commit index, keys, bytes,
 * whether it leads, term).
 *
 * Label cardinality is bounded: every label value is a series of its own in Prometheus, for each
 * of the six per-shard gauges, on every node. A node holding at most shardSeriesReplicasMax
 * replicas exports the per-shard gauges for all of them; a node holding more exports none, only
 * the totals, and says so (filestore_node_shard_series_capped 1). All or none, not "the first
 * 64": a subset would change as replicas move, and sums over it would silently mean something
 * else from one scrape to the next. Per-shard figures of any size of cluster stay available from
 * GET /cluster/shards.
 */
import type { LocalReplicaStats, NodeLocalReport, ShardedClusterSource } from "../cluster/meta/cluster_overview.ts";
import type { CoordinatorMachine } from "../cluster/meta/coordinator_machine.ts";
import type { NodeState } from "../cluster/meta/coordinator_state.ts";
import { writeHeader, writeSample } from "./prometheus_text.ts";

/**
 * The most replicas a node exports per-shard series for: 64 x 6 gauges is under 400 series per
 * node, well inside what one scrape target should carry, and it covers the clusters of up to 64
 * shards per node (the benchmarks' 3 nodes x 64 shards; 16 shards by default).
 */
export const shardSeriesReplicasMax = 64;

const nodeStates: readonly NodeState[] = ["joining", "up", "draining", "removed"];

type Gauge = [name: string, help: string, value: number];

export function renderShardMetrics(lines: string[], source: ShardedClusterSource): void {
  const report = source.localReport();
  renderNodeTotals(lines, report);
  renderMapFigures(lines, source.coordinator);
  const capped = report.replicas.length > shardSeriesReplicasMax;
  const cappedHelp = `1 when this node holds more than ${shardSeriesReplicasMax} replicas and so exports no `
    + "per-shard series (filestore_shard_*), only the filestore_node_* totals: the bound on label cardinality.";
  writeGauges(lines, [["node_shard_series_capped", cappedHelp, capped ? 1 : 0]]);
  if (!capped) renderPerShard(lines, report);
}

function renderNodeTotals(lines: string[], report: NodeLocalReport): void {
  let leaders = 0;
  let keys = 0;
  let bytes = 0;
  for (const replica of report.replicas) {
    if (replica.isLeader) leaders++;
    keys += replica.keys;
    bytes += replica.bytes;
  }
  writeGauges(lines, [
    ["node_replicas", "Replicas this node holds (one per shard it holds).", report.replicas.length],
    ["node_leaders", "Replicas of this node that lead their shard's group.", leaders],
    ["node_replica_keys", "Keys over every replica this node holds.", keys],
    ["node_replica_bytes", "Bytes of values over every replica this node holds.", bytes],
  ]);
}

function renderMapFigures(lines: string[], machine: CoordinatorMachine): void {
  const map = machine.shardMap();
  writeGauges(lines, [
    ["cluster_shards", "Shards in this node's copy of the shard map (0 before it has one).", map?.shards.length ?? 0],
    ["cluster_map_version", "Version of this node's copy of the shard map (0 before it has one).", map?.version ?? 0],
  ]);
  const name = "filestore_cluster_nodes";
  writeHeader(lines, name, "gauge", "Nodes in this node's copy of the coordinator's node list, by state.");
  const nodes = machine.nodes();
  for (const state of nodeStates) {
    writeSample(lines, name, { state }, nodes.filter((node) => node.state === state).length);
  }
}

function renderPerShard(lines: string[], report: NodeLocalReport): void {
  const bound = `only while this node holds at most ${shardSeriesReplicasMax} replicas`;
  const series: Array<[string, string, (replica: LocalReplicaStats) => number]> = [
    ["shard_applied_index", "Highest log index this replica applied", (replica) => replica.appliedIndex],
    ["shard_commit_index", "Highest log index this replica knows committed", (replica) => replica.commitIndex],
    ["shard_keys", "Keys in this replica", (replica) => replica.keys],
    ["shard_bytes", "Bytes of values in this replica", (replica) => replica.bytes],
    ["shard_is_leader", "1 when this replica leads its shard's group", (replica) => (replica.isLeader ? 1 : 0)],
    ["shard_term", "Raft term of this replica's group", (replica) => replica.term],
  ];
  for (const [name, help, value] of series) {
    writeHeader(lines, `filestore_${name}`, "gauge", `${help}, by shard; ${bound}.`);
    for (const replica of report.replicas) {
      writeSample(lines, `filestore_${name}`, { shard: String(replica.shard) }, value(replica));
    }
  }
}

function writeGauges(lines: string[], gauges: Gauge[]): void {
  for (const [name, help, value] of gauges) {
    writeHeader(lines, `filestore_${name}`, "gauge", help);
    writeSample(lines, `filestore_${name}`, {}, value);
  }
}
