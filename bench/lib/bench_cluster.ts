/**
 * A 3-node FileStore cluster of real `filestore serve` processes on 127.0.0.1 with the Raft log
 * fsynced on every node (fsync always), for the sharded benchmarks: a sharded cluster
 * (`--shards N`: the meta group and N shard groups sharing each node's one log) or, with no shard
 * count, one replicated group (today's path, as bench/replicated.ts measures it). Started through
 * test/cluster/process_cluster.ts; clients come from the public client (src/client/index.ts),
 * whose connect() finds out which of the two it talks to.
 * It sleeps whole (SIGSTOP every node) while another system is measured, and reads its nodes'
 * counters from /metrics and their CPU time from /proc.
 */
import { connect, type FileStore } from "../../src/client/index.ts";
import { ProcessCluster } from "../../test/cluster/process_cluster.ts";
import * as defaults from "./defaults.ts";
import { BenchError } from "./errors.ts";
import { metricTotal, scrapeMetrics } from "./node_metrics.ts";
import type { SleepingSystem } from "./paused_contender.ts";
import { processCpuSeconds } from "./process_cpu.ts";

/** Nodes of every benchmark cluster: the smallest that tolerates a failure, as etcd's 3 members. */
export const clusterNodesCount = 3;
/**
 * Deadline of the populating writes: a new cluster first bootstraps (the meta group elects, its
 * leader places the shards) and each shard elects, 256 of them at once on a loaded 2-core machine.
 */
const populateTimeoutMilliseconds = 120_000;
/** Deadline of each benchmark request: far above any healthy latency, so only a stuck cluster trips it. */
const requestTimeoutMilliseconds = 10_000;

const fsyncCountMetric = "filestore_fsync_duration_seconds_count";
export const peerMessagesSentMetric = "filestore_peer_messages_sent_total";

export class BenchCluster implements SleepingSystem {
  private constructor(
    /** Shards of the cluster; null for one replicated group (no --shards). */
    readonly shards: number | null,
    private readonly cluster: ProcessCluster,
  ) {}

  static async start(shards: number | null): Promise<BenchCluster> {
    const extraFlags = shards === null ? [] : ["--shards", String(shards)];
    const cluster = await ProcessCluster.start({ nodes: clusterNodesCount, fsync: "always", extraFlags });
    return new BenchCluster(shards, cluster);
  }

  /** "64 shards", or "single group" for the unsharded cluster. */
  get label(): string {
    if (this.shards === null) return "single group";
    return `${this.shards} shard${this.shards === 1 ? "" : "s"}`;
  }

  addresses(): string[] {
    return this.cluster.clientAddresses();
  }

  /** `count` clients, each with its own connections: the routing client (sharded), or to the group's leader. */
  openStores(count: number): Promise<FileStore[]> {
    const addresses = this.addresses();
    const options = { timeoutMs: requestTimeoutMilliseconds };
    return Promise.all(Array.from({ length: count }, () => connect(addresses, options)));
  }

  /**
   * Writes every bench key once: the cluster is then serving (every shard has a leader, since
   * the keys fall in all of them) and gets find values.
   */
  async populate(): Promise<void> {
    const store = await connect(this.addresses(), { timeoutMs: populateTimeoutMilliseconds });
    try {
      const value = defaults.benchValue();
      for (let start = 0; start < defaults.keyspaceCount; start += defaults.populateBatchCount) {
        const end = Math.min(defaults.keyspaceCount, start + defaults.populateBatchCount);
        const writes: Promise<unknown>[] = [];
        for (let index = start; index < end; index++) writes.push(store.put(defaults.benchKey(index), value));
        await Promise.all(writes);
      }
    } finally {
      await store.close();
    }
  }

  pause(): void {
    for (const id of this.cluster.nodes.keys()) this.cluster.pause(id);
  }

  resume(): void {
    for (const id of this.cluster.nodes.keys()) this.cluster.resume(id);
  }

  /** Each node's fdatasyncs so far (the fsync histogram's count on its /metrics), node by node. */
  readCounters(): Promise<number[]> {
    return this.nodeMetric(fsyncCountMetric);
  }

  /** `name`'s total on each node's /metrics, node by node. */
  nodeMetric(name: string): Promise<number[]> {
    const nodes = [...this.cluster.nodes.values()];
    return Promise.all(nodes.map(async (node) => metricTotal(await scrapeMetrics(node.adminAddress), name)));
  }

  /** CPU seconds each node's process has used so far, node by node. */
  cpuSeconds(): number[] {
    return [...this.cluster.nodes.values()].map((node) => {
      if (node.process === null) throw new BenchError(`node n${node.id} is not running`);
      return processCpuSeconds(node.process.pid);
    });
  }

  close(): Promise<void> {
    return this.cluster.close();
  }
}
