/**
 * Sharded FileStore (issue 16's benchmarks), in one run on this machine, every cluster 3 real
 * `filestore serve` processes on 127.0.0.1 with fsync always:
 * 1. puts at 64 clients with 1, 16 and 64 shards, and one unsharded group for reference:
 *    throughput, P50/P99/P99.9 and each node's fdatasyncs per second (sharded/shard_counts.ts);
 * 2. the 64-shard cluster against a 3-member etcd, puts at 1 and 64 clients (sharded/versus_etcd.ts);
 * 3. routing: the client's lookup in process, and 1-client gets routed vs direct (sharded/routing.ts);
 * 4. idle: 256 shards without clients, CPU per node and peer messages per second (sharded/idle.ts).
 * Each section prints its targets beside the measured numbers, and the machine's load average
 * before and after (the machine's 2 cores are shared: a busy one inflates tails for everyone). A
 * phase that fails is printed as a section saying why, the others still run, and the exit code is 1.
 * Usage: bun bench/sharded.ts [--json] [--quick] [--idle-seconds N]   (or bun bench/run.ts sharded)
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { BenchCluster } from "./lib/bench_cluster.ts";
import { isExecutableOnPath } from "./lib/child_process.ts";
import type { InterleaveSchedule } from "./lib/interleave.ts";
import type { SectionResult } from "./lib/result.ts";
import { formatSection } from "./lib/table.ts";
import { parseIdleSeconds } from "./run.ts";
import { startEtcdCluster } from "./peers/etcd_cluster.ts";
import { idleShardsCount, measureIdle, type IdleDurations } from "./sharded/idle.ts";
import { measureRouting } from "./sharded/routing.ts";
import { measureShardCounts } from "./sharded/shard_counts.ts";
import { measureVersusEtcd } from "./sharded/versus_etcd.ts";

/** The clusters of the put comparison: one group without shards (reference), then 1, 16 and 64 shards. */
const putShardCounts = [null, 1, 16, 64] as const;
/** The idle window of the issue. */
const idleSecondsDefault = 30;
const idleSecondsQuick = 3;

interface Schedules {
  shardCounts: InterleaveSchedule;
  versusEtcd: InterleaveSchedule;
  routing: InterleaveSchedule;
  idleSettleMilliseconds: number;
}

/**
 * Puts by shard count: a 15 s first warm-up per cluster, as in replicated.ts (three JIT-compiling
 * server processes on 2 cores take over 10 s to settle), then 2 s slices: at 64 clients a slice
 * holds thousands of puts. Against etcd: replicated.ts's schedule, so the two runs compare.
 * Gets: the cluster is warm by then; 3 s lets the get path compile. Idle: 5 s of rest after the
 * last write, so replication and compilation are over when the window opens.
 */
const fullSchedules: Schedules = {
  shardCounts: { rounds: 5, sliceMilliseconds: 2_000, firstWarmupMilliseconds: 15_000, sliceWarmupMilliseconds: 500 },
  versusEtcd: { rounds: 5, sliceMilliseconds: 1_000, firstWarmupMilliseconds: 15_000, sliceWarmupMilliseconds: 300 },
  routing: { rounds: 5, sliceMilliseconds: 1_000, firstWarmupMilliseconds: 3_000, sliceWarmupMilliseconds: 200 },
  idleSettleMilliseconds: 5_000,
};
const quickSchedules: Schedules = {
  shardCounts: { rounds: 1, sliceMilliseconds: 500, firstWarmupMilliseconds: 200, sliceWarmupMilliseconds: 200 },
  versusEtcd: { rounds: 1, sliceMilliseconds: 500, firstWarmupMilliseconds: 100, sliceWarmupMilliseconds: 100 },
  routing: { rounds: 1, sliceMilliseconds: 300, firstWarmupMilliseconds: 100, sliceWarmupMilliseconds: 50 },
  idleSettleMilliseconds: 1_000,
};

export interface ShardedBenchOptions {
  quick?: boolean;
  /** Length of the idle window, seconds (default 30; 3 in quick mode). */
  idleSeconds?: number;
}

export async function runShardedBench(options: ShardedBenchOptions = {}): Promise<SectionResult[]> {
  const schedules = options.quick ? quickSchedules : fullSchedules;
  const idle: IdleDurations = {
    settleMilliseconds: schedules.idleSettleMilliseconds,
    windowMilliseconds: (options.idleSeconds ?? (options.quick ? idleSecondsQuick : idleSecondsDefault)) * 1000,
  };
  const sections: SectionResult[] = [];
  const clusters: BenchCluster[] = [];
  try {
    for (const shards of putShardCounts) clusters.push(await startPopulated(shards));
    sections.push(await phase("puts by shard count", () => measureShardCounts(clusters, schedules.shardCounts)));
    const sharded = clusters.pop()!;
    await closeAll(clusters);
    clusters.push(sharded);
    sections.push(await phase("64 shards vs etcd", () => versusEtcd(sharded, schedules.versusEtcd)));
    sharded.resume();
    sections.push(await phase("routing", () => measureRouting(sharded, schedules.routing, options.quick ?? false)));
    await closeAll(clusters);
    sections.push(await phase("idle", async () => {
      const quiet = await startPopulated(idleShardsCount);
      clusters.push(quiet);
      quiet.resume();
      return measureIdle(quiet, idle);
    }));
  } finally {
    await closeAll(clusters);
  }
  // A failed phase is a section saying why, so the others still print; the run still fails.
  if (sections.some((section) => section.section.endsWith(failedSuffix))) process.exitCode = 1;
  return sections;
}

async function versusEtcd(sharded: BenchCluster, schedule: InterleaveSchedule): Promise<SectionResult> {
  if (!isExecutableOnPath("etcd")) {
    const notes = ["etcd skipped: etcd is not installed (apt-get install -y etcd-server)"];
    return { section: "sharded FileStore vs 3-member etcd", measurements: [], targets: [], notes };
  }
  const etcd = await startEtcdCluster();
  try {
    etcd.pause();
    return await measureVersusEtcd(sharded, etcd, schedule);
  } finally {
    await etcd.stop();
  }
}

/** A cluster started, every bench key written (so every shard has elected), then put to sleep. */
async function startPopulated(shards: number | null): Promise<BenchCluster> {
  const cluster = await BenchCluster.start(shards);
  try {
    await cluster.populate();
  } catch (error) {
    await cluster.close();
    throw error;
  }
  cluster.pause();
  return cluster;
}

async function closeAll(clusters: BenchCluster[]): Promise<void> {
  await Promise.all(clusters.splice(0).map((cluster) => cluster.close()));
}

const failedSuffix = ": FAILED";

/**
 * Runs one section and notes the machine's load average before and after it. A phase that throws
 * (a request failed, a cluster did not start) becomes a section saying so, and the next phases run.
 */
async function phase(name: string, run: () => Promise<SectionResult>): Promise<SectionResult> {
  const before = loadavg();
  let result: SectionResult;
  try {
    result = await run();
  } catch (error) {
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    result = { section: `${name}${failedSuffix}`, measurements: [], targets: [], notes: [reason] };
  }
  const format = (load: number[]) => load.map((value) => value.toFixed(2)).join(" / ");
  result.notes.push(`load average (1 / 5 / 15 min) before: ${format(before)}; after: ${format(loadavg())} (2 cores)`);
  return result;
}

if (import.meta.main) {
  const flags = {
    json: { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    "idle-seconds": { type: "string" },
  } as const;
  const { values } = parseArgs({ options: flags });
  const idleSeconds = parseIdleSeconds(values["idle-seconds"]);
  if (Number.isNaN(idleSeconds)) {
    console.error("usage: bun bench/sharded.ts [--json] [--quick] [--idle-seconds N (a positive number)]");
    process.exit(2);
  }
  const sections = await runShardedBench({ quick: values.quick, idleSeconds });
  console.log(values.json ? JSON.stringify(sections, null, 2) : sections.map(formatSection).join("\n\n"));
}
