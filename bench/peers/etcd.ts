/**
 * etcd put latency, the replicated peer for FileStore's Raft benchmarks: a 3-member cluster
 * (etcd_cluster.ts), puts of the shared value size through etcd's HTTP/JSON gateway
 * (POST /v3/kv/put, fetch with keep-alive; etcd's own `benchmark` tool is not packaged in
 * Debian and there is no etcdctl here), at 1 and 64 clients, sent to the leader.
 */
import { isExecutableOnPath } from "../lib/child_process.ts";
import * as defaults from "../lib/defaults.ts";
import type { RunDurations } from "../lib/defaults.ts";
import { BenchError } from "../lib/errors.ts";
import type { RequestSender } from "../lib/load.ts";
import { measureClosedLoop } from "../lib/measure.ts";
import type { Measurement, SectionResult } from "../lib/result.ts";
import { etcdMembersCount, startEtcdCluster } from "./etcd_cluster.ts";

const quickDurations: RunDurations = { warmupMilliseconds: 100, measureMilliseconds: 500 };

export interface EtcdBenchOptions {
  quick?: boolean;
}

export async function runEtcdBench(options: EtcdBenchOptions = {}): Promise<SectionResult> {
  const section = `etcd: ${etcdMembersCount}-member cluster on 127.0.0.1, put through the JSON gateway`;
  if (!isExecutableOnPath("etcd")) {
    return { section, measurements: [], targets: [], notes: ["etcd skipped: etcd is not installed (apt-get install -y etcd-server)"] };
  }
  const durations = options.quick ? quickDurations : defaults.defaultDurations;
  const cluster = await startEtcdCluster();
  try {
    const measurements = await measureEtcdPuts(cluster.leaderUrl, durations);
    const notes = [
      "etcd: default durability (WAL fsync on every commit, on each member); client is Bun fetch with keep-alive over HTTP/1.1 JSON, not gRPC",
    ];
    return { section, measurements, targets: [], notes };
  } finally {
    await cluster.stop();
  }
}

export async function measureEtcdPuts(leaderUrl: string, durations: RunDurations): Promise<Measurement[]> {
  const label = { system: "etcd", operation: "put", valueSizeBytes: defaults.valueSizeBytes, note: "3 members" };
  const single = await measureClosedLoop(label, etcdPutSenders(leaderUrl, 1), 1, durations);
  const concurrent = await measureClosedLoop(label, etcdPutSenders(leaderUrl, defaults.concurrentWritersCount), 1, durations);
  return [single, concurrent];
}

/** One sender per client; each put is a JSON body with base64 key and value, as the gateway wants. */
export function etcdPutSenders(leaderUrl: string, clientsCount: number): RequestSender[] {
  const value = Buffer.from(defaults.benchValue()).toString("base64");
  const bodies = Array.from({ length: defaults.keyspaceCount }, (_, index) =>
    JSON.stringify({ key: Buffer.from(defaults.benchKey(index)).toString("base64"), value }));
  const url = `${leaderUrl}/v3/kv/put`;
  return Array.from({ length: clientsCount }, (_, clientIndex) => {
    let next = clientIndex * defaults.clientKeyStride;
    return async () => {
      const response = await fetch(url, { method: "POST", body: bodies[next % bodies.length], keepalive: true });
      next += 1;
      const reply = (await response.json()) as { header?: { revision?: string } };
      if (!response.ok || reply.header?.revision === undefined) {
        throw new BenchError(`etcd put failed with HTTP ${response.status}`);
      }
    };
  });
}
