/**
 * How `filestore status` and `filestore cluster members` print a group (group_view.ts): the
 * summary line first, then one aligned row per member; or JSON with the same facts, for scripts.
 * A member that did not answer keeps its row, with why in place of its state.
 */
import type { SingleNodeStatus } from "../cluster/cluster_status.ts";
import type { GroupView, MemberView } from "./group_view.ts";
import { formatBytes, table } from "./text_table.ts";

/** status: node, role, term, leader, commit and applied index, lag behind the newest log, health. */
export function statusText(group: GroupView): string {
  const newest = newestIndex(group.members);
  const rows = group.members.map((entry) => {
    if ("problem" in entry) return [entry.member.node, entry.problem, "-", "-", "-", "-", "-", entry.detail];
    const view = entry.view;
    const indexes = [String(view.commitIndex), String(view.appliedIndex), String(newest - view.appliedIndex)];
    return [view.node, view.role, String(view.term), view.leader || "-", ...indexes, view.health];
  });
  return `${group.summary}\n${table(["node", "role", "term", "leader", "commit", "applied", "lag", "health"], rows)}`;
}

export function statusJson(group: GroupView): unknown {
  const newest = newestIndex(group.members);
  return {
    ...groupFacts(group),
    members: group.members.map((entry) => {
      const base = { node: entry.member.node, membership: entry.member.role };
      if ("problem" in entry) return { ...base, reachable: false, problem: entry.problem, detail: entry.detail };
      const { role, term, leader, commitIndex, appliedIndex, health } = entry.view;
      const lag = newest - appliedIndex;
      return { ...base, reachable: true, health, role, term, leader: leader || null, commitIndex, appliedIndex, lag };
    }),
  };
}

/** cluster members, as etcdctl's `member list`: membership, role, term, applied, addresses, data size, version. */
export function membersText(group: GroupView): string {
  const rows = group.members.map((entry) => {
    const { node, role: membership, clientAddress, peerAddress, adminAddress } = entry.member;
    const known = (address: string) => address || "-";
    const addresses = [known(clientAddress), known(peerAddress), known(adminAddress)];
    if ("problem" in entry) return [node, membership, entry.problem, "-", "-", ...addresses, "-", "-"];
    const view = entry.view;
    const state = [view.role, String(view.term), String(view.appliedIndex)];
    return [node, membership, ...state, ...addresses, formatBytes(view.dataSizeBytes), view.version];
  });
  const header = ["id", "membership", "role", "term", "applied", "client", "peer", "admin", "data", "version"];
  return `${group.summary}\n${table(header, rows)}`;
}

export function membersJson(group: GroupView): unknown {
  return {
    ...groupFacts(group),
    members: group.members.map((entry) => {
      const { node, role: membership, clientAddress, peerAddress, adminAddress } = entry.member;
      const base = { id: node, membership, clientAddress, peerAddress, adminAddress };
      if ("problem" in entry) return { ...base, reachable: false, problem: entry.problem, detail: entry.detail };
      const { role, term, appliedIndex, dataSizeBytes, version, health } = entry.view;
      return { ...base, reachable: true, health, role, term, appliedIndex, dataSizeBytes, version };
    }),
  };
}

/** A node that is not part of a group: its health and what it stores. */
export function singleText(single: SingleNodeStatus): string {
  const { health, keys, revision, dataSizeBytes, version } = single;
  const rows = [[health, String(keys), String(revision), formatBytes(dataSizeBytes), version]];
  return `single node (not part of a replicated group): ${health === "ok" ? "healthy" : "unhealthy"}\n` +
    table(["health", "keys", "revision", "data", "version"], rows);
}

export function singleJson(single: SingleNodeStatus): unknown {
  const { health, keys, revision, dataSizeBytes, version } = single;
  return { single: true, healthy: health === "ok", health, keys, revision, dataSizeBytes, version };
}

function groupFacts(group: GroupView): Record<string, unknown> {
  const { healthy, summary, leader, votersUp, voters } = group;
  return { healthy, summary, leader: leader || null, votersUp, voters };
}

function newestIndex(members: MemberView[]): number {
  return Math.max(0, ...members.map((entry) => ("view" in entry ? entry.view.lastIndex : 0)));
}
