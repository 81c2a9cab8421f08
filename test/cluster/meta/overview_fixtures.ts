/**
 * Helpers for the cluster view tests: local reports of the replicas a coordinator's machine
 * places (their real replica ids and roles), with figures chosen by the test.
 */
import type { LocalReplicaStats, NodeLocalReport } from "../../../src/cluster/meta/cluster_overview.ts";
import type { CoordinatorMachine } from "../../../src/cluster/meta/coordinator_machine.ts";
import type { NodeId } from "../../../src/cluster/raft/types.ts";

type Figures = Partial<Omit<LocalReplicaStats, "shard" | "node" | "replica">>;

/** The stats `node` would report of its replica of `shard`, as the machine places it. */
export function replicaStats(
  machine: CoordinatorMachine,
  shard: number,
  node: NodeId,
  figures: Figures = {},
): LocalReplicaStats {
  const listed = machine.shard(shard)?.replicas.find((replica) => replica.node === node);
  if (listed === undefined) throw new Error(`node ${node} holds no replica of shard ${shard}`);
  const defaults = { isLeader: false, term: 1, appliedIndex: 0, commitIndex: 0, keys: 0, bytes: 0 };
  return { shard, node, replica: listed.replica, role: listed.role, ...defaults, ...figures };
}

/** `node`'s report: its stats for each shard given, figures per shard. */
export function reportOf(machine: CoordinatorMachine, node: NodeId, shards: Record<number, Figures>): NodeLocalReport {
  const entries = Object.entries(shards);
  const replicas = entries.map(([shard, figures]) => replicaStats(machine, Number(shard), node, figures));
  return { node, replicas };
}
