/**
 * What one node knows of its Raft group, as plain data: for `filestore status` and
 * `filestore cluster members` (which ask every member for it) and the admin endpoint's
 * /cluster/status. A single node (no group) answers with SingleNodeStatus instead.
 */
import { formatNodeId } from "./node_id.ts";
import type { KeyValueDriver } from "./key_value_replica.ts";

export interface MemberStatus {
  node: string;
  role: "voter" | "learner";
  clientAddress: string;
  adminAddress: string;
  peerAddress: string;
}

/** What the node says of itself beside its Raft state (the admin endpoint knows it). */
export interface NodeReport {
  /** "ok" or "unavailable: REASON", as /healthz answers. */
  health: string;
  /** The FileStore package version this node runs. */
  version: string;
  /** Bytes of the engine's log: the stored data. */
  dataSizeBytes: number;
}

export interface SingleNodeStatus extends NodeReport {
  kind: "single";
  keys: number;
  revision: number;
}

export interface NodeClusterStatus extends NodeReport {
  kind: "replica";
  node: string;
  role: string;
  term: number;
  leader: string;
  commitIndex: number;
  appliedIndex: number;
  lastIndex: number;
  firstIndex: number;
  /** Milliseconds since this node last heard from its leader (0 on the leader itself). */
  sinceLeaderContactMs: number | null;
  members: MemberStatus[];
  counters: KeyValueDriver["counters"];
}

export function nodeClusterStatus(driver: KeyValueDriver, report: NodeReport): NodeClusterStatus {
  const status = driver.status();
  const addressesOf = (node: number) => driver.machine.members.get(node) ?? { clientAddress: "", adminAddress: "", peerAddress: "" };
  // Voters, then learners, each by name: the order an operator reads (ids are hashes of names).
  const byName = (left: MemberStatus, right: MemberStatus) => left.node.localeCompare(right.node);
  const member = (role: MemberStatus["role"]) => (node: number): MemberStatus => ({
    node: formatNodeId(node), role, ...addressesOf(node),
  });
  const members: MemberStatus[] = [
    ...status.confState.voters.map(member("voter")).sort(byName),
    ...status.confState.learners.map(member("learner")).sort(byName),
  ];
  const sinceContact = driver.clock.now() - driver.lastLeaderContactMs;
  return {
    kind: "replica",
    ...report,
    node: formatNodeId(status.id),
    role: status.softState.role,
    term: status.term,
    leader: status.softState.leader === 0 ? "" : formatNodeId(status.softState.leader),
    commitIndex: status.commit,
    appliedIndex: driver.machine.appliedIndex,
    lastIndex: status.lastIndex,
    firstIndex: status.firstIndex,
    sinceLeaderContactMs: driver.isLeader() ? 0 : Number.isFinite(sinceContact) ? Math.round(sinceContact) : null,
    members,
    counters: { ...driver.counters },
  };
}
