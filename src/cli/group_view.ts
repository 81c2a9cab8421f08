/**
 * What `filestore status` and `filestore cluster members` show: the group as its members answer
 * for themselves. The node asked first names the members; each is then asked for its own view.
 * Right after a start, followers' addresses reach the log only once they know their leader (they
 * announce them through it), so the first node is asked again, within a bound, until every member
 * has an address and a leader is known; a member still without one is "not yet known".
 * The summary says in words whether the group is healthy: every member answered and can serve,
 * and a leader serves.
 */
import type { MemberStatus, NodeClusterStatus, SingleNodeStatus } from "../cluster/cluster_status.ts";
import { getNodeStatus } from "./admin_client.ts";

/** How long the first node is asked again for missing addresses or leader: announcements and an election take less. */
const settleWaitMsMax = 2000;
/** Between those asks. */
const settlePollMs = 50;

/** A member with its own answer, or why there is none. */
export type MemberView =
  | { member: MemberStatus; view: NodeClusterStatus }
  | { member: MemberStatus; problem: "unreachable" | "not yet known"; detail: string };

export interface GroupView {
  members: MemberView[];
  healthy: boolean;
  /** The member that leads and serves; "" when none. */
  leader: string;
  votersUp: number;
  voters: number;
  /** One line, e.g. "group unhealthy: n3 unreachable; 2 of 3 voters up, leader n1". */
  summary: string;
}

/** The group as seen from `admin`, or the single node's state when it is not part of a group. */
export async function gatherGroup(admin: string, timeoutMs: number): Promise<GroupView | SingleNodeStatus> {
  const first = await settledStatus(admin, timeoutMs);
  if (first.kind === "single") return first;
  const members = await Promise.all(first.members.map((member) => viewOf(member, first, timeoutMs)));
  return summarizeGroup(members);
}

async function settledStatus(admin: string, timeoutMs: number): Promise<NodeClusterStatus | SingleNodeStatus> {
  const settleUntil = performance.now() + Math.min(timeoutMs, settleWaitMsMax);
  for (;;) {
    const status = await getNodeStatus(admin, timeoutMs);
    if (status.kind === "single" || isSettled(status) || performance.now() + settlePollMs > settleUntil) return status;
    await Bun.sleep(settlePollMs);
  }
}

function isSettled(status: NodeClusterStatus): boolean {
  const addressed = status.members.every((member) => member.node === status.node || member.adminAddress !== "");
  return status.leader !== "" && addressed;
}

async function viewOf(member: MemberStatus, first: NodeClusterStatus, timeoutMs: number): Promise<MemberView> {
  if (member.node === first.node) return { member, view: first };
  if (member.adminAddress === "") {
    return { member, problem: "not yet known", detail: "its addresses have not been announced" };
  }
  try {
    const view = await getNodeStatus(member.adminAddress, timeoutMs);
    if (view.kind === "replica") return { member, view };
    return { member, problem: "unreachable", detail: `${member.adminAddress} answers as a single node` };
  } catch (error) {
    return { member, problem: "unreachable", detail: (error as Error).message };
  }
}

function summarizeGroup(members: MemberView[]): GroupView {
  const problems: string[] = [];
  let votersUp = 0;
  let leader = "";
  for (const entry of members) {
    if ("problem" in entry) {
      problems.push(`${entry.member.node} ${entry.problem}`);
      continue;
    }
    if (entry.member.role === "voter") votersUp++;
    if (entry.view.health !== "ok") problems.push(`${entry.member.node} ${entry.view.health}`);
    else if (entry.view.role === "leader") leader = entry.view.node;
  }
  const voters = members.filter((entry) => entry.member.role === "voter").length;
  const healthy = problems.length === 0 && leader !== "";
  const state = `${votersUp} of ${voters} voters up, ${leader === "" ? "no leader" : `leader ${leader}`}`;
  const facts = problems.length === 0 ? state : `${problems.join(", ")}; ${state}`;
  const summary = `group ${healthy ? "healthy" : "unhealthy"}: ${facts}`;
  return { members, healthy, leader, votersUp, voters, summary };
}
