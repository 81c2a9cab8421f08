/**
 * Cluster operations on the admin endpoint (HTTP + JSON), for `filestore status` and
 * `filestore cluster ...`. They live here rather than on the client port because they are
 * operator actions, rare and off the request path: curl can drive them, and the binary client
 * protocol keeps only data operations.
 *   GET  /cluster/status                      this node's view (cluster_status.ts); a single node's own state
 *   POST /cluster/add-node?node=n4&peer=H:P   learner, then voter once caught up
 *   POST /cluster/remove-node?node=n2
 *   POST /cluster/transfer-leader?node=n2
 *   POST /cluster/announce?node=n2&client=H:P&admin=H:P&peer=H:P   a member's own addresses (self_announcer.ts)
 * A change sent to a follower is answered 421 with the leader's admin address in
 * {"error", "leaderAdmin"}; the CLI follows it. A change naming a node that is not a member is
 * answered 400 "no member n9".
 */
import { encodeEntryPayload } from "../cluster/entry_payload_codec.ts";
import { nodeClusterStatus, type NodeReport, type SingleNodeStatus } from "../cluster/cluster_status.ts";
import { addNode, removeNode, transferLeader } from "../cluster/membership.ts";
import { formatNodeId, NodeIdError, parseNodeId, parsePeer } from "../cluster/node_id.ts";
import type { KeyValueDriver } from "../cluster/key_value_replica.ts";
import { ReplicationError } from "../cluster/replication_error.ts";
import { formatHostPort } from "../config/address.ts";

/** A membership change or transfer gives up after this: catching up a learner may take a while. */
const changeTimeoutMs = 30_000;

/** What the admin endpoint knows of the node beside its Raft group. */
interface NodeReports {
  report(): NodeReport;
  single(): SingleNodeStatus;
}

export async function routeCluster(
  request: Request,
  path: string,
  driver: KeyValueDriver | null,
  reports: NodeReports,
): Promise<Response> {
  if (driver === null && path === "/cluster/status") return json(200, reports.single());
  if (driver === null) return json(404, { error: "this node is not part of a replicated group" });
  if (path === "/cluster/status") return json(200, nodeClusterStatus(driver, reports.report()));
  if (request.method !== "POST") return json(405, { error: "cluster changes are POST requests" });
  if (!driver.isLeader()) return notLeader(driver);
  const query = new URL(request.url).searchParams;
  const deadline = driver.clock.now() + changeTimeoutMs;
  try {
    const node = parseNodeId(query.get("node") ?? "");
    if (path === "/cluster/remove-node" || path === "/cluster/transfer-leader") requireMember(driver, node, path);
    if (path === "/cluster/add-node") {
      const [, address] = parsePeer(`${formatNodeId(node)}=${query.get("peer") ?? ""}`);
      await addNode(driver, node, formatHostPort(address), deadline);
    } else if (path === "/cluster/remove-node") {
      // The core refuses to remove its own leader: hand leadership over, then send the client there.
      if (node === driver.nodeId) {
        await transferLeader(driver, successorOf(driver), deadline);
        return notLeader(driver);
      }
      await removeNode(driver, node, deadline);
    } else if (path === "/cluster/transfer-leader") {
      await transferLeader(driver, node, deadline);
    } else if (path === "/cluster/announce") {
      await announceMember(driver, node, query, deadline);
    } else {
      return json(404, { error: `unknown cluster operation ${path}` });
    }
    return json(200, nodeClusterStatus(driver, reports.report()));
  } catch (error) {
    if (error instanceof NodeIdError) return json(400, { error: error.message });
    if (error instanceof ReplicationError) return json(error.code === "TIMEOUT" ? 504 : 409, { error: error.message, code: error.code });
    throw error;
  }
}

/** A removal or transfer names a member (a transfer, a voter): said in words, not as the core's numeric refusal. */
function requireMember(driver: KeyValueDriver, node: number, path: string): void {
  const { voters, learners } = driver.status().confState;
  if (learners.includes(node) && path === "/cluster/transfer-leader") {
    throw new NodeIdError(`${formatNodeId(node)} is a learner; only a voter can lead`);
  }
  if (!voters.includes(node) && !learners.includes(node)) throw new NodeIdError(`no member ${formatNodeId(node)}`);
}

function notLeader(driver: KeyValueDriver): Response {
  const leader = driver.leaderId();
  const leaderAdmin = driver.machine.members.get(leader)?.adminAddress ?? "";
  return json(421, { error: `${formatNodeId(driver.nodeId)} is not the leader`, leader: leader === 0 ? "" : formatNodeId(leader), leaderAdmin });
}

/** The voter most caught up with this leader (the quickest transfer). */
function successorOf(driver: KeyValueDriver): number {
  const others = driver.status().confState.voters.filter((voter) => voter !== driver.nodeId);
  if (others.length === 0) throw new ReplicationError("UNAVAILABLE", "the only voter cannot be removed");
  return others.reduce((best, voter) => ((driver.peerMatchIndex.get(voter) ?? 0) > (driver.peerMatchIndex.get(best) ?? 0) ? voter : best));
}

/** Writes a member's addresses to the log; each must be HOST:PORT and the node a member. */
async function announceMember(driver: KeyValueDriver, node: number, query: URLSearchParams, deadlineAtMs: number): Promise<void> {
  const { voters, learners } = driver.status().confState;
  if (![...voters, ...learners].includes(node)) throw new NodeIdError(`${formatNodeId(node)} is not a member`);
  const address = (name: string) => formatHostPort(parsePeer(`${formatNodeId(node)}=${query.get(name) ?? ""}`)[1]);
  const addresses = { clientAddress: address("client"), adminAddress: address("admin"), peerAddress: address("peer") };
  await driver.propose(encodeEntryPayload({ kind: "member", node, addresses }), deadlineAtMs);
}

function json(status: number, body: unknown): Response {
  return new Response(`${JSON.stringify(body)}\n`, { status, headers: { "content-type": "application/json" } });
}
