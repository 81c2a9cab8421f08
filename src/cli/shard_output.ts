/**
 * How `filestore cluster shards`, `cluster nodes` and `cluster locate` print (sharded_commands.ts):
 * a summary line saying whether anything needs a look, then one aligned row per shard or node; or,
 * with --json, the admin endpoint's JSON as it is (its shape is the interface, README).
 */
import type { LocatedJson, NodeRowJson, ShardRowJson } from "../cluster/meta/cluster_overview.ts";
import { formatBytes, table } from "./text_table.ts";

/** Whether every shard has a leader known: `cluster shards` exits 6 when not. */
export function shardsLed(rows: ShardRowJson[]): boolean {
  return rows.every((row) => row.leader !== null);
}

/** Whether every node asked answered: `cluster nodes` exits 6 when not. */
export function nodesReachable(rows: NodeRowJson[]): boolean {
  return rows.every((row) => row.reachable !== false);
}

export function shardsText(rows: ShardRowJson[], mapVersion: string): string {
  const leaderless = rows.filter((row) => row.leader === null).map((row) => String(row.id));
  const facts = leaderless.length === 0 ? "every shard has a leader"
    : `no leader known for shard ${leaderless.join(", ")}`;
  const summary = `${rows.length} shards (map version ${mapVersion}): ${facts}`;
  const cells = rows.map((row) => {
    const replicas = row.replicas.map(({ node, role }) => (role === "learner" ? `${node}(learner)` : node)).join(",");
    const known = row.statsFrom !== null;
    const move = row.moving === null ? "-" : `${row.moving.from}->${row.moving.to}`;
    return [
      String(row.id), row.range.join("-"), String(row.epoch), row.leader ?? "-", replicas,
      row.appliedIndex === null ? "-" : String(row.appliedIndex),
      known ? String(row.keys) : "-", known ? formatBytes(row.bytes) : "-", move,
    ];
  });
  const header = ["shard", "range", "epoch", "leader", "replicas", "applied", "keys", "bytes", "move"];
  return `${summary}\n${table(header, cells)}`;
}

export function nodesText(rows: NodeRowJson[]): string {
  const problems = rows.filter((row) => row.problem !== null).map((row) => `${row.id} unreachable (${row.problem})`);
  const summary = `${rows.length} nodes: ${problems.length === 0 ? "every node answered" : problems.join("; ")}`;
  const cells = rows.map((row) => {
    const known = (address: string) => address || "-";
    const addresses = [known(row.client), known(row.peer), known(row.admin)];
    return [row.id, row.state, ...addresses, String(row.replicas), String(row.leaders)];
  });
  return `${summary}\n${table(["node", "state", "client", "peer", "admin", "replicas", "leaders"], cells)}`;
}

/** `key` and `partition` already escaped for one line (line_escape.ts). */
export function locationText(location: LocatedJson, key: string, partition: string): string {
  const replicas = location.replicas.map(({ node, role }) => `${node} (${role})`).join(", ");
  const rows = [
    ["key", key],
    ["partition", partition],
    ["hash", location.hash],
    ["shard", String(location.shard)],
    ["range", location.range.join("-")],
    ["epoch", String(location.epoch)],
    ["leader", location.leader ?? "-"],
    ["replicas", replicas],
  ];
  return rows.map(([name, value]) => `${name.padEnd(9)}  ${value}`).join("\n") + "\n";
}
