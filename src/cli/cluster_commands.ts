/**
 * `filestore status` and `filestore cluster add-node|remove-node|transfer-leader`: they talk to
 * the admin endpoint (HTTP + JSON, src/admin/cluster_routes.ts). status asks the given node for
 * the members, then each member for its own view, and prints one line per member with its lag
 * behind the leader. A change sent to a follower is sent again to the leader it names.
 */
import type { NodeClusterStatus } from "../cluster/cluster_status.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { writeStdout } from "./output.ts";
import { positiveIntegerOption } from "./parse.ts";
import { UsageError } from "./usage_error.ts";

const defaultAdminAddress = "127.0.0.1:7401";
/** A membership change waits for a learner to catch up: allow it more than a data request. */
const clusterTimeoutMsDefault = 30_000;
const clusterTimeoutMsMax = 3_600_000;
/** A follower names its leader; one more hop than that means leadership moved meanwhile: give up. */
const leaderRedirectsMax = 3;
/** While no leader is known (an election after a handover), ask again this often. */
const leaderUnknownRetryMs = 50;

export class ClusterCommandError extends Error {
  override name = "ClusterCommandError";
  constructor(message: string, readonly unreachable: boolean) {
    super(message);
  }
}

const actions: Record<string, string> = {
  "add-node": "/cluster/add-node",
  "remove-node": "/cluster/remove-node",
  "transfer-leader": "/cluster/transfer-leader",
};

export async function runClusterCommand(command: string, positionals: string[], options: Record<string, string | boolean | undefined>): Promise<ExitCodeValue> {
  const admin = (options.admin as string | undefined) ?? defaultAdminAddress;
  const timeoutMs = positiveIntegerOption(command, "timeout-ms", options["timeout-ms"] as string | undefined, clusterTimeoutMsMax) ?? clusterTimeoutMsDefault;
  if (command === "status") return printStatus(admin, timeoutMs);
  const [action, target] = positionals;
  const path = actions[action];
  if (path === undefined) throw new UsageError(`cluster: unknown action "${action}" (actions: ${Object.keys(actions).join(", ")})`, "cluster");
  const [node, peer] = action === "add-node" ? splitNamedAddress(target) : [target, ""];
  const query = new URLSearchParams({ node, ...(peer === "" ? {} : { peer }) });
  const status = await postToLeader(admin, `${path}?${query}`, timeoutMs);
  await writeStdout(formatStatus([status]));
  return ExitCode.ok;
}

function splitNamedAddress(text: string): [string, string] {
  const separator = text.indexOf("=");
  if (separator < 0) throw new UsageError(`cluster add-node: expected NAME=HOST:PORT (the new node's peer address), got "${text}"`, "cluster");
  return [text.slice(0, separator), text.slice(separator + 1)];
}

export async function postToLeader(admin: string, pathAndQuery: string, timeoutMs: number): Promise<NodeClusterStatus> {
  const deadline = performance.now() + timeoutMs;
  let target = admin;
  let redirects = 0;
  for (;;) {
    const response = await request(target, pathAndQuery, "POST", Math.max(1, deadline - performance.now()));
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status === 200) return body as unknown as NodeClusterStatus;
    const leaderAdmin = typeof body.leaderAdmin === "string" ? body.leaderAdmin : "";
    if (response.status === 421 && leaderAdmin !== "" && redirects < leaderRedirectsMax) {
      target = leaderAdmin;
      redirects++;
      continue;
    }
    // 421 with no leader named: an election is under way (a removed leader has just handed over).
    // Ask the same node again once it may know the new leader, while the deadline allows.
    if (response.status === 421 && leaderAdmin === "" && performance.now() + leaderUnknownRetryMs < deadline) {
      await Bun.sleep(leaderUnknownRetryMs);
      continue;
    }
    if (response.status === 421 && redirects >= leaderRedirectsMax) {
      throw new ClusterCommandError(`leadership kept moving after ${leaderRedirectsMax} redirects`, true);
    }
    throw new ClusterCommandError(`${target}: ${String(body.error ?? response.statusText)}`, response.status === 421 || response.status === 504);
  }
}

async function printStatus(admin: string, timeoutMs: number): Promise<ExitCodeValue> {
  const first = await getStatus(admin, timeoutMs);
  const views = await Promise.all(
    first.members.map(async (member) => {
      if (member.node === first.node) return first;
      if (member.adminAddress === "") return null;
      return getStatus(member.adminAddress, timeoutMs).catch(() => null);
    }),
  );
  const known = views.filter((view): view is NodeClusterStatus => view !== null);
  const unreachable = first.members.filter((_, index) => views[index] === null).map((member) => member.node);
  let text = formatStatus(known);
  if (unreachable.length > 0) text += `unreachable or address unknown: ${unreachable.join(" ")}\n`;
  await writeStdout(text);
  return ExitCode.ok;
}

async function getStatus(admin: string, timeoutMs: number): Promise<NodeClusterStatus> {
  const response = await request(admin, "/cluster/status", "GET", timeoutMs);
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== 200) throw new ClusterCommandError(`${admin}: ${String(body.error ?? response.statusText)}`, false);
  return body as unknown as NodeClusterStatus;
}

async function request(admin: string, pathAndQuery: string, method: string, timeoutMs: number): Promise<Response> {
  try {
    return await fetch(`http://${admin}${pathAndQuery}`, { method, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new ClusterCommandError(`admin endpoint ${admin}: ${(error as Error).message}`, true);
  }
}

/** One line per node: name, role, term, leader, commit, applied, lag behind the most advanced node. */
function formatStatus(views: NodeClusterStatus[]): string {
  const newest = Math.max(0, ...views.map((view) => view.lastIndex));
  const header = ["node", "role", "term", "leader", "commit", "applied", "lag"];
  const rows = views.map((view) => [view.node, view.role, String(view.term), view.leader || "-", String(view.commitIndex), String(view.appliedIndex), String(newest - view.appliedIndex)]);
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd();
  return `${[line(header), ...rows.map(line)].join("\n")}\n`;
}
