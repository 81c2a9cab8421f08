/**
 * Put throughput and latency of a 3-node cluster by shard count: 64 clients (closed loop, one put
 * in flight each, keys spread over every shard), fsync always, against clusters of 1, 16 and 64
 * shards (all three through the sharded node's code path: --shards 1 is the meta group plus one
 * shard group) and, for reference, one replicated group without shards (today's path). The
 * clusters run side by side and take turns in slices (lib/interleave.ts), each asleep (SIGSTOP)
 * outside its own, and each node's fdatasyncs are counted from its /metrics around every measured
 * window: group commit across groups should keep them per node about the same whatever the
 * number of shards.
 */
import type { FileStore } from "../../src/client/index.ts";
import { shardOfKey } from "../../src/cluster/placement/locate.ts";
import { equalRanges } from "../../src/cluster/placement/hash_range.ts";
import { ShardMap } from "../../src/cluster/placement/shard_map.ts";
import type { BenchCluster } from "../lib/bench_cluster.ts";
import * as defaults from "../lib/defaults.ts";
import { fileStorePutSenders } from "../lib/filestore_senders.ts";
import { runInterleaved, type InterleaveSchedule } from "../lib/interleave.ts";
import { pausedClosedLoopContender, sleepingScheduleNote, type CountedContender } from "../lib/paused_contender.ts";
import { checkTarget, type FigureTable, type Measurement, type SectionResult } from "../lib/result.ts";
import type { TargetCheck } from "../lib/result.ts";
import { formatNumber } from "../lib/table.ts";

/** The targets, 64 shards against 1 shard. */
const throughputRatioMin = 0.9;
const p99RatioMax = 1.25;
const fsyncRateRatioMin = 0.8;
const fsyncRateRatioMax = 1.2;

export async function measureShardCounts(
  clusters: BenchCluster[], schedule: InterleaveSchedule,
): Promise<SectionResult> {
  const clients = defaults.concurrentWritersCount;
  const opened: FileStore[][] = [];
  const contenders: CountedContender[] = [];
  try {
    for (const cluster of clusters) {
      cluster.resume();
      const stores = await cluster.openStores(clients);
      cluster.pause();
      opened.push(stores);
      const label = {
        system: "filestore", operation: `put, ${cluster.label}`, valueSizeBytes: defaults.valueSizeBytes,
        note: "3 nodes, fsync always",
      };
      contenders.push(pausedClosedLoopContender(label, fileStorePutSenders(stores), cluster));
    }
    const measurements = await runInterleaved(contenders, schedule);
    const fsyncRates = contenders.map((contender) => contender.counterRatesPerSecond());
    return {
      section: `sharded puts: 3 nodes, ${clients} clients, fsync always, by shard count`,
      measurements,
      targets: targets(clusters, measurements, fsyncRates),
      tables: [fsyncTable(clusters, measurements, fsyncRates)],
      notes: notes(clusters, schedule),
    };
  } finally {
    for (const [index, stores] of opened.entries()) {
      clusters[index]!.resume();
      await Promise.all(stores.map((store) => store.close()));
      clusters[index]!.pause();
    }
  }
}

function targets(clusters: BenchCluster[], measurements: Measurement[], fsyncRates: number[][]): TargetCheck[] {
  const one = clusters.findIndex((cluster) => cluster.shards === 1);
  const many = clusters.findIndex((cluster) => cluster.shards === 64);
  if (one < 0 || many < 0) return [];
  const [base, sharded] = [measurements[one]!, measurements[many]!];
  const [baseFsync, shardedFsync] = [mean(fsyncRates[one]!), mean(fsyncRates[many]!)];
  const fsyncs = "fdatasyncs/s per node (mean), 64 vs 1 shard";
  return [
    checkTarget("put throughput, 64 shards vs 1 shard", sharded.throughputPerSecond, base.throughputPerSecond,
      ">=", throughputRatioMin, "ops/s"),
    checkTarget("put P99, 64 shards vs 1 shard", sharded.latency.p99Microseconds, base.latency.p99Microseconds,
      "<=", p99RatioMax, "µs"),
    checkTarget(`${fsyncs}, floor`, shardedFsync, baseFsync, ">=", fsyncRateRatioMin, "/s"),
    checkTarget(`${fsyncs}, ceiling`, shardedFsync, baseFsync, "<=", fsyncRateRatioMax, "/s"),
  ];
}

/** Each node's fdatasyncs per second during the measured windows, and puts per fdatasync of the busiest node. */
function fsyncTable(clusters: BenchCluster[], measurements: Measurement[], fsyncRates: number[][]): FigureTable {
  const rows = clusters.map((cluster, index) => {
    const rates = fsyncRates[index]!;
    const putsPerFsync = measurements[index]!.throughputPerSecond / Math.max(...rates);
    return [cluster.label, ...rates.map(formatNumber), formatNumber(mean(rates)), formatNumber(putsPerFsync)];
  });
  const header = ["cluster", "n1 fsync/s", "n2 fsync/s", "n3 fsync/s", "mean /s", "puts per fsync (busiest node)"];
  return { title: "fdatasyncs per node during the measured windows (counted on each node's /metrics)", header, rows };
}

function notes(clusters: BenchCluster[], schedule: InterleaveSchedule): string[] {
  const spread = clusters.filter((cluster) => cluster.shards !== null && cluster.shards > 1).map((cluster) => {
    const [least, most] = keysPerShard(cluster.shards!);
    return `${cluster.shards} shards hold ${least}..${most} of them each`;
  });
  return [
    `keys: ${defaults.keyspaceCount} (${defaults.keySizeBytes} B, no "/": the whole key is the partition key), `
      + `each client walking them from its own offset; ${spread.join(", ")}`,
    "clients: the routing client (connect() with every node's address), straight to each shard's leader; "
      + "for the single group, to its leader",
    sleepingScheduleNote("the clusters", schedule),
  ];
}

/** Fewest and most bench keys in one shard of an evenly split map of `count` shards (the bootstrap's split). */
function keysPerShard(count: number): [number, number] {
  const replicas = [{ node: 1, role: "voter" as const }];
  const shards = equalRanges(count).map((range, index) => ({ id: index + 1, range, epoch: 1, replicas }));
  const map = new ShardMap(1, shards);
  const counts = new Map<number, number>();
  const encoder = new TextEncoder();
  for (let index = 0; index < defaults.keyspaceCount; index++) {
    const shard = shardOfKey(encoder.encode(defaults.benchKey(index)), map).id;
    counts.set(shard, (counts.get(shard) ?? 0) + 1);
  }
  const values = [...counts.values()];
  return [counts.size < count ? 0 : Math.min(...values), Math.max(...values)];
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}
