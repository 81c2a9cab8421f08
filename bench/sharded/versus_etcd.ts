/**
 * The replicated put comparison of bench/replicated.ts, now with the sharded FileStore: a 3-node
 * cluster of 64 shards (fsync always, the routing client) against a 3-member etcd (its JSON
 * gateway, to its leader), put P50/P99/P99.9 at 1 and 64 clients, closed loop. The two take turns
 * in slices as in replicated.ts, each asleep (SIGSTOP) outside its own: an idle node of 64 shards
 * still sends every group's heartbeats, which would otherwise run beside etcd's slices.
 */
import type { FileStore } from "../../src/client/index.ts";
import type { BenchCluster } from "../lib/bench_cluster.ts";
import * as defaults from "../lib/defaults.ts";
import { fileStorePutSenders } from "../lib/filestore_senders.ts";
import { runInterleaved, type InterleaveSchedule } from "../lib/interleave.ts";
import { pausedClosedLoopContender, sleepingScheduleNote } from "../lib/paused_contender.ts";
import { checkTarget, type Measurement, type SectionResult, type TargetCheck } from "../lib/result.ts";
import { etcdPutSenders } from "../peers/etcd.ts";
import type { EtcdCluster } from "../peers/etcd_cluster.ts";

const clientCounts = [1, defaults.concurrentWritersCount];

export async function measureVersusEtcd(
  cluster: BenchCluster, etcd: EtcdCluster, schedule: InterleaveSchedule,
): Promise<SectionResult> {
  const measurements: Measurement[] = [];
  const etcdSystem = { pause: () => etcd.pause(), resume: () => etcd.resume(), readCounters: async () => [] };
  const fileStoreLabel = {
    system: "filestore", operation: `put, ${cluster.label}`, valueSizeBytes: defaults.valueSizeBytes,
    note: "3 nodes, fsync always",
  };
  const etcdLabel = { system: "etcd", operation: "put", valueSizeBytes: defaults.valueSizeBytes, note: "3 members" };
  for (const clients of clientCounts) {
    cluster.resume();
    let stores: FileStore[] = [];
    try {
      stores = await cluster.openStores(clients);
      cluster.pause();
      const contenders = [
        pausedClosedLoopContender(fileStoreLabel, fileStorePutSenders(stores), cluster),
        pausedClosedLoopContender(etcdLabel, etcdPutSenders(etcd.leaderUrl, clients), etcdSystem),
      ];
      measurements.push(...(await runInterleaved(contenders, schedule)));
    } finally {
      cluster.resume();
      await Promise.all(stores.map((store) => store.close()));
      cluster.pause();
    }
  }
  return {
    section: `sharded FileStore (${cluster.label}, 3 nodes) vs 3-member etcd: replicated put on 127.0.0.1`,
    measurements,
    targets: targets(measurements),
    notes: [
      "FileStore: the routing client, fsync always on every node; etcd: default durability (WAL fsync per "
        + "commit on each member), HTTP/1.1 JSON gateway with keep-alive, not gRPC",
      sleepingScheduleNote("FileStore and etcd", schedule),
    ],
  };
}

function targets(measurements: Measurement[]): TargetCheck[] {
  const found: TargetCheck[] = [];
  for (const clients of clientCounts) {
    const ours = measurements.find((m) => m.system === "filestore" && m.shape.clients === clients);
    const theirs = measurements.find((m) => m.system === "etcd" && m.shape.clients === clients);
    if (ours === undefined || theirs === undefined) continue;
    const description = `sharded put P99 at ${clients} client(s) vs etcd's`;
    found.push(checkTarget(description, ours.latency.p99Microseconds, theirs.latency.p99Microseconds, "<=", 1, "µs"));
  }
  return found;
}
