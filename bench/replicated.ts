/**
 * Replicated FileStore: a 3-node Raft group of real `filestore serve` processes on 127.0.0.1
 * (Raft log fsync always), beside a 3-member etcd cluster in the same run.
 * - put P50/P99/P99.9 at 1 and 64 clients (closed loop, one request in flight per client),
 *   FileStore through its binary client to the leader, etcd through its JSON gateway;
 * - get at 1 client: strong (ReadIndex on the leader) vs eventual (a follower, local read);
 * - failover RTO: time from SIGKILL of the leader to the first write acknowledged afterwards
 *   (by the new leader), P50 over several runs, with the default election timeouts.
 * Usage: bun bench/replicated.ts [--json] [--quick]   (or bun bench/run.ts replicated)
 */
import { parseArgs } from "node:util";
import { connect, type FileStore } from "../src/client/index.ts";
import { ProcessCluster } from "../test/cluster/process_cluster.ts";
import { isExecutableOnPath } from "./lib/child_process.ts";
import * as defaults from "./lib/defaults.ts";
import type { RunDurations } from "./lib/defaults.ts";
import type { RequestSender } from "./lib/load.ts";
import { measureClosedLoop } from "./lib/measure.ts";
import { checkTarget, type Measurement, type SectionResult, type TargetCheck } from "./lib/result.ts";
import { formatSection } from "./lib/table.ts";
import { measureEtcdPuts } from "./peers/etcd.ts";
import { startEtcdCluster } from "./peers/etcd_cluster.ts";

const quickDurations: RunDurations = { warmupMilliseconds: 100, measureMilliseconds: 500 };
/**
 * Warm-up of each replicated run, for both systems alike: three server processes compile their
 * hot paths (JIT) while sharing the 2 cores with the load, and on this machine a 3-node
 * FileStore's 64-client throughput kept rising for several seconds after start; half a second
 * measured the compiler, not the store.
 */
const clusterDurations: RunDurations = { warmupMilliseconds: 3_000, measureMilliseconds: defaults.measureMilliseconds };
/** Failover runs: enough for a median; each costs an election and a restart. */
const failoverRunsCount = 5;
const failoverRunsCountQuick = 2;
/** A write during failover waits at most this long; the client retries through the election meanwhile. */
const failoverWriteTimeoutMs = 5000;
/** The failover target with default timeouts. */
const failoverTargetMilliseconds = 1000;

export interface ReplicatedBenchOptions {
  quick?: boolean;
}

export async function runReplicatedBench(options: ReplicatedBenchOptions = {}): Promise<SectionResult> {
  const durations = options.quick ? quickDurations : clusterDurations;
  const measurements: Measurement[] = [];
  const targets: TargetCheck[] = [];
  const notes: string[] = [
    "FileStore: 3 processes, Raft log fsync always on every node, binary client to the leader; engine log unsynced (the Raft log is the WAL)",
    `each run, both systems: ${durations.warmupMilliseconds} ms of the same load unmeasured (warm-up), then ${durations.measureMilliseconds} ms measured`,
  ];
  const cluster = await ProcessCluster.start({ nodes: 3, fsync: "always" });
  let failoverMilliseconds: number[] = [];
  try {
    measurements.push(...(await measureFileStore(cluster, durations)));
    failoverMilliseconds = await measureFailovers(cluster, options.quick ? failoverRunsCountQuick : failoverRunsCount);
  } finally {
    await cluster.close();
  }
  const etcd = await measureEtcd(durations, notes);
  measurements.push(...etcd);
  addTargets(measurements, etcd, failoverMilliseconds, targets, notes);
  return { section: "replicated: 3-node FileStore (Raft) vs 3-member etcd on 127.0.0.1", measurements, targets, notes };
}

async function measureFileStore(cluster: ProcessCluster, durations: RunDurations): Promise<Measurement[]> {
  const leader = await cluster.leader();
  const leaderAddress = cluster.nodes.get(leader)!.clientAddress;
  const followerAddress = [...cluster.nodes.values()].find((node) => node.id !== leader)!.clientAddress;
  const label = { system: "filestore", valueSizeBytes: defaults.valueSizeBytes, note: "3 nodes, fsync always" };
  const results: Measurement[] = [];
  for (const clients of [1, defaults.concurrentWritersCount]) {
    const stores = await openStores(leaderAddress, clients);
    results.push(await measureClosedLoop({ ...label, operation: "put" }, stores.map(putSender), 1, durations));
    await Promise.all(stores.map((store) => store.close()));
  }
  const [leaderStore] = await openStores(leaderAddress, 1);
  const [followerStore] = await openStores(followerAddress, 1);
  results.push(await measureClosedLoop({ ...label, operation: "get strong (leader)" }, [getSender(leaderStore, "strong")], 1, durations));
  results.push(await measureClosedLoop({ ...label, operation: "get eventual (follower)" }, [getSender(followerStore, "eventual")], 1, durations));
  await leaderStore.close();
  await followerStore.close();
  return results;
}

function openStores(address: string, count: number): Promise<FileStore[]> {
  return Promise.all(Array.from({ length: count }, () => connect(address, { timeoutMs: 10_000 })));
}

function putSender(store: FileStore, clientIndex: number): RequestSender {
  const value = defaults.benchValue();
  let next = clientIndex * defaults.clientKeyStride;
  return () => store.put(defaults.benchKey(next++ % defaults.keyspaceCount), value);
}

function getSender(store: FileStore, consistency: "strong" | "eventual"): RequestSender {
  let next = 0;
  return () => store.get(defaults.benchKey(next++ % defaults.keyspaceCount), { consistency });
}

/** Each run: SIGKILL the leader while one client writes in a loop; RTO = kill → first write sent after it and acknowledged. */
async function measureFailovers(cluster: ProcessCluster, runs: number): Promise<number[]> {
  const store = await connect(cluster.clientAddresses(), { cluster: true, timeoutMs: failoverWriteTimeoutMs });
  const results: number[] = [];
  try {
    for (let run = 0; run < runs; run++) {
      const leader = await cluster.leader();
      await store.put("failover/warm", `${run}`);
      const killedAtMs = performance.now();
      await cluster.kill(leader);
      for (;;) {
        const sentAtMs = performance.now();
        const acknowledged = await store.put("failover/probe", `${run}`).then(() => true, () => false);
        if (acknowledged && sentAtMs >= killedAtMs) break;
      }
      results.push(performance.now() - killedAtMs);
      await cluster.launch(leader, []);
    }
  } finally {
    await store.close();
  }
  return results;
}

async function measureEtcd(durations: RunDurations, notes: string[]): Promise<Measurement[]> {
  if (!isExecutableOnPath("etcd")) {
    notes.push("etcd skipped: etcd is not installed (apt-get install -y etcd-server)");
    return [];
  }
  const etcd = await startEtcdCluster();
  try {
    notes.push("etcd: default durability (WAL fsync per commit on each member), HTTP/1.1 JSON gateway with keep-alive, not gRPC");
    return await measureEtcdPuts(etcd.leaderUrl, durations);
  } finally {
    await etcd.stop();
  }
}

function addTargets(measurements: Measurement[], etcd: Measurement[], failoverMilliseconds: number[], targets: TargetCheck[], notes: string[]): void {
  for (const clients of [1, defaults.concurrentWritersCount]) {
    const ours = measurements.find((m) => m.system === "filestore" && m.operation === "put" && m.shape.clients === clients);
    const theirs = etcd.find((m) => m.shape.clients === clients);
    if (ours && theirs) {
      targets.push(checkTarget(`replicated put P99 at ${clients} client(s) vs etcd`, ours.latency.p99Microseconds, theirs.latency.p99Microseconds, "<=", 1, "µs"));
    }
  }
  if (failoverMilliseconds.length > 0) {
    const sorted = [...failoverMilliseconds].sort((left, right) => left - right);
    const median = sorted[Math.floor((sorted.length - 1) / 2)];
    targets.push(checkTarget(`failover RTO P50 over ${sorted.length} runs`, median, failoverTargetMilliseconds, "<=", 1, "ms"));
    notes.push(`failover RTO per run (ms): ${failoverMilliseconds.map((ms) => ms.toFixed(0)).join(", ")}`);
  }
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { json: { type: "boolean", default: false }, quick: { type: "boolean", default: false } } });
  const result = await runReplicatedBench({ quick: values.quick });
  console.log(values.json ? JSON.stringify(result, null, 2) : formatSection(result));
}
