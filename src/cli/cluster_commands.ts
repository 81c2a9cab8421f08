/**
 * `filestore status`, `filestore cluster members` and `filestore cluster add-node|remove-node|
 * transfer-leader`: they talk to the admin endpoint (HTTP + JSON, src/admin/cluster_routes.ts).
 * status and members ask the given node for the members, then each member for its own view
 * (group_view.ts), print a summary line and a row per member (group_output.ts), and exit 6 when
 * the group is not healthy. A change sent to a follower is sent again to the leader it names;
 * after it, the group is printed as status prints it. `cluster shards|nodes|locate` show a
 * sharded cluster (sharded_commands.ts).
 */
import type { NodeClusterStatus } from "../cluster/cluster_status.ts";
import { adminRequest } from "./admin_client.ts";
import { ClusterCommandError } from "./cluster_command_error.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { membersJson, membersText, singleJson, singleText, statusJson, statusText } from "./group_output.ts";
import { gatherGroup } from "./group_view.ts";
import { writeStdout } from "./output.ts";
import { positiveIntegerOption } from "./parse.ts";
import { runShardedView, shardedViewActions } from "./sharded_commands.ts";
import { UsageError } from "./usage_error.ts";
import { runMoveReplica } from "./move_replica_command.ts";

const defaultAdminAddress = "127.0.0.1:7401";
/** A membership change waits for a learner to catch up: allow it more than a data request. */
const clusterTimeoutMsDefault = 30_000;
const clusterTimeoutMsMax = 3_600_000;
/** A follower names its leader; one more hop than that means leadership moved meanwhile: give up. */
const leaderRedirectsMax = 3;
/** While no leader is known (an election after a handover), ask again this often. */
const leaderUnknownRetryMs = 50;

const actions: Record<string, string> = {
  "add-node": "/cluster/add-node",
  "remove-node": "/cluster/remove-node",
  "transfer-leader": "/cluster/transfer-leader",
};

type Shape = "status" | "members";
type Format = "table" | "json";

export async function runClusterCommand(command: string, positionals: string[], options: Record<string, string | boolean | undefined>): Promise<ExitCodeValue> {
  const admin = (options.admin as string | undefined) ?? defaultAdminAddress;
  const timeoutMs = positiveIntegerOption(command, "timeout-ms", options["timeout-ms"] as string | undefined, clusterTimeoutMsMax) ?? clusterTimeoutMsDefault;
  if (command === "status") return printGroup(admin, timeoutMs, "status", options.json === true ? "json" : "table");
  const format = options.json === true ? "json" : writeOutOption(options["write-out"] as string | undefined);
  const hex = options.hex === true;
  if (hex && positionals[0] !== "locate") throw new UsageError("cluster: --hex is for locate KEY only", "cluster");
  const [action, target] = positionals;
  if (action === "move-replica") return runMoveReplica(admin, target, options, timeoutMs);
  if (action === "members") {
    if (target !== undefined) throw new UsageError(`cluster members: takes no NODE, got "${target}"`, "cluster");
    return printGroup(admin, timeoutMs, "members", format);
  }
  if ((shardedViewActions as readonly string[]).includes(action)) {
    return runShardedView(action, target, { admin, timeoutMs, json: format === "json", hex });
  }
  const path = actions[action];
  if (path === undefined) {
    const known = ["members", ...shardedViewActions, ...Object.keys(actions)].join(", ");
    throw new UsageError(`cluster: unknown action "${action}" (actions: ${known})`, "cluster");
  }
  if (target === undefined) throw new UsageError(`cluster ${action}: missing NODE`, "cluster");
  const [node, peer] = action === "add-node" ? splitNamedAddress(target) : [target, ""];
  const query = new URLSearchParams({ node, ...(peer === "" ? {} : { peer }) });
  const { leaderAdmin } = await changeThroughLeader(admin, `${path}?${query}`, timeoutMs);
  // The change is done: the group is printed for the operator; its health does not change the exit code.
  await printGroup(leaderAdmin, timeoutMs, "status", format);
  return ExitCode.ok;
}

function writeOutOption(value: string | undefined): Format {
  if (value === undefined || value === "table" || value === "json") return value ?? "table";
  throw new UsageError(`cluster: --write-out must be table or json, got "${value}"`, "cluster");
}

/** Prints the group (or the single node) and returns 0 when healthy, 6 when not. */
async function printGroup(admin: string, timeoutMs: number, shape: Shape, format: Format): Promise<ExitCodeValue> {
  const group = await gatherGroup(admin, timeoutMs);
  let text: string;
  let healthy: boolean;
  if ("kind" in group) {
    healthy = group.health === "ok";
    text = format === "json" ? `${JSON.stringify(singleJson(group))}\n` : singleText(group);
  } else {
    healthy = group.healthy;
    if (format === "json") text = `${JSON.stringify(shape === "status" ? statusJson(group) : membersJson(group))}\n`;
    else text = shape === "status" ? statusText(group) : membersText(group);
  }
  await writeStdout(text);
  return healthy ? ExitCode.ok : ExitCode.unhealthy;
}

function splitNamedAddress(text: string): [string, string] {
  const separator = text.indexOf("=");
  if (separator < 0) throw new UsageError(`cluster add-node: expected NAME=HOST:PORT (the new node's peer address), got "${text}"`, "cluster");
  return [text.slice(0, separator), text.slice(separator + 1)];
}

/** Sends a change to `admin`, following redirects to the leader; the leader's answer. */
export async function postToLeader(admin: string, pathAndQuery: string, timeoutMs: number): Promise<NodeClusterStatus> {
  return (await changeThroughLeader(admin, pathAndQuery, timeoutMs)).status;
}

interface ChangeDone {
  status: NodeClusterStatus;
  /** The admin endpoint that made the change (the leader). */
  leaderAdmin: string;
}

async function changeThroughLeader(admin: string, pathAndQuery: string, timeoutMs: number): Promise<ChangeDone> {
  const deadline = performance.now() + timeoutMs;
  let target = admin;
  let redirects = 0;
  for (;;) {
    const response = await adminRequest(target, pathAndQuery, "POST", Math.max(1, deadline - performance.now()));
    const body = response.body;
    if (response.status === 200) return { status: body as unknown as NodeClusterStatus, leaderAdmin: target };
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
    const why = String(body.error ?? `HTTP ${response.status}`);
    const unreachable = response.status === 421 || response.status === 504;
    throw new ClusterCommandError(`${why} (admin endpoint ${target})`, unreachable);
  }
}

