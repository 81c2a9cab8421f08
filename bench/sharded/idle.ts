/**
 * The idle cost of many groups: a 3-node cluster of 256 shards (each replicated on all 3 nodes,
 * so 256 groups plus the meta group), populated and then left without any client for a window
 * (30 s by default): CPU per node (user + system time from /proc/PID/stat) and peer messages per
 * second (each node's `filestore_peer_messages_sent_total` on /metrics). The reference for the
 * messages is what per-group heartbeats alone would send: every group's leader sends each of its
 * 2 followers a heartbeat every heartbeat interval and each answers, 256 x 2 x 2 per interval.
 * Targets: at most 2% of one core per node, at most a tenth of that heartbeat rate.
 */
import { heartbeatIntervalTicks, tickIntervalMs } from "../../src/cluster/cluster_limits.ts";
import { clusterNodesCount, peerMessagesSentMetric, type BenchCluster } from "../lib/bench_cluster.ts";
import { sleepMilliseconds } from "../lib/clock.ts";
import { checkTarget, type SectionResult, type TargetCheck } from "../lib/result.ts";
import { formatNumber } from "../lib/table.ts";

export const idleShardsCount = 256;
/** The targets. */
const cpuPercentOfCoreMax = 2;
const heartbeatRateFractionMax = 0.1;

export interface IdleDurations {
  /** After the populating writes and before the window: the nodes settle (replication done, JIT idle). */
  settleMilliseconds: number;
  windowMilliseconds: number;
}

/** Messages per second that per-group heartbeats and their answers alone would cost the cluster. */
export function perGroupHeartbeatRate(groups: number, replicas: number): number {
  const heartbeatIntervalSeconds = (heartbeatIntervalTicks * tickIntervalMs) / 1000;
  return (groups * (replicas - 1) * 2) / heartbeatIntervalSeconds;
}

/** `cluster` is populated, with no client connected. */
export async function measureIdle(cluster: BenchCluster, durations: IdleDurations): Promise<SectionResult> {
  await sleepMilliseconds(durations.settleMilliseconds);
  const cpuBefore = cluster.cpuSeconds();
  const sentBefore = await cluster.nodeMetric(peerMessagesSentMetric);
  const startedMilliseconds = performance.now();
  await sleepMilliseconds(durations.windowMilliseconds);
  const cpuAfter = cluster.cpuSeconds();
  const sentAfter = await cluster.nodeMetric(peerMessagesSentMetric);
  const seconds = (performance.now() - startedMilliseconds) / 1000;
  const cpuPercents = cpuAfter.map((after, index) => ((after - cpuBefore[index]!) / seconds) * 100);
  const sentRates = sentAfter.map((after, index) => (after - sentBefore[index]!) / seconds);
  const totalRate = sentRates.reduce((sum, rate) => sum + rate, 0);
  const reference = perGroupHeartbeatRate(cluster.shards ?? 1, clusterNodesCount);
  const targets: TargetCheck[] = cpuPercents.map((percent, index) =>
    checkTarget(`idle CPU of n${index + 1}, % of one core`, percent, cpuPercentOfCoreMax, "<=", 1, "%"));
  const description = "idle peer messages/s, all nodes, vs per-group heartbeats";
  targets.push(checkTarget(description, totalRate, reference, "<=", heartbeatRateFractionMax, "msg/s"));
  const rows = cpuPercents.map((percent, index) =>
    [`n${index + 1}`, percent.toFixed(2), formatNumber(sentRates[index]!)]);
  rows.push(["all", cpuPercents.reduce((sum, value) => sum + value, 0).toFixed(2), formatNumber(totalRate)]);
  const header = ["node", "CPU % of one core", "peer messages sent/s"];
  const windowSeconds = (durations.windowMilliseconds / 1000).toFixed(0);
  return {
    section: `idle: 3 nodes, ${cluster.label} (each on all 3 nodes), no client, ${windowSeconds} s`,
    measurements: [],
    targets,
    tables: [{ title: "per node over the idle window", header, rows }],
    notes: [
      `reference: ${cluster.shards} groups x 2 followers x 2 directions every `
        + `${heartbeatIntervalTicks * tickIntervalMs} ms (the heartbeat interval) = ${formatNumber(reference)} msg/s; `
        + `target: at most ${formatNumber(reference * heartbeatRateFractionMax)} msg/s; `
        + "the meta group's messages count in the measured rate",
      `window: ${seconds.toFixed(1)} s, after ${durations.settleMilliseconds} ms of rest once every key was written `
        + "(so every shard had elected and replicated)",
    ],
  };
}
