/**
 * What one node knows of its Raft group, as plain data: for `filestore status` (which asks
 * every member for it and computes lag) and the admin endpoint's /cluster/status.
 */
import { formatNodeId } from "./node_id.ts";
import type { RaftDriver } from "./raft_driver.ts";

interface MemberStatus {
  node: string;
  role: "voter" | "learner";
  clientAddress: string;
  adminAddress: string;
  peerAddress: string;
}

export interface NodeClusterStatus {
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
  counters: RaftDriver["counters"];
}

export function nodeClusterStatus(driver: RaftDriver): NodeClusterStatus {
  const status = driver.status();
  const addressesOf = (node: number) => driver.machine.members.get(node) ?? { clientAddress: "", adminAddress: "", peerAddress: "" };
  const members: MemberStatus[] = [
    ...status.confState.voters.map((node) => ({ node: formatNodeId(node), role: "voter" as const, ...addressesOf(node) })),
    ...status.confState.learners.map((node) => ({ node: formatNodeId(node), role: "learner" as const, ...addressesOf(node) })),
  ];
  const sinceContact = performance.now() - driver.lastLeaderContactMs;
  return {
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
