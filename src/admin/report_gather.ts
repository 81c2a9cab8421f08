/**
 * Gathers the local reports a cluster view needs (src/cluster/meta/cluster_overview.ts): this
 * node's own, and every other node's that is not removed, from GET /cluster/local-replicas on
 * its admin address as the coordinator lists it. All nodes are asked at once, each with its own
 * short timeout, so one slow or dead node costs a view that timeout, not the sum; a node that
 * does not answer in time, answers with an error, too much or something that is not its own
 * report (local_report_json.ts) is set down as unreachable, with why, and the view goes on
 * without it.
 */
import type { GatheredReports, NodeLocalReport } from "../cluster/meta/cluster_overview.ts";
import { nodesToAsk } from "../cluster/meta/cluster_overview.ts";
import type { CoordinatorMachine } from "../cluster/meta/coordinator_machine.ts";
import type { NodeRecord } from "../cluster/meta/coordinator_state.ts";
import type { NodeId } from "../cluster/raft/types.ts";
import { LocalReportError, localReportFromJson } from "./local_report_json.ts";

/**
 * How long a view waits for one node's report. A healthy node answers from memory in a
 * millisecond or two; a second leaves room for a loaded machine while an operator's command
 * still answers at once when a node is down or hung.
 */
export const localReportTimeoutMs = 1000;

/** The largest report accepted: 4096 replicas (shardsMax, one per shard) of about 200 bytes of JSON, doubled. */
const localReportBytesMax = 2 * 1024 * 1024;

export const localReportPath = "/cluster/local-replicas";

/** Every reachable node's report (`own` for this node) and why each other node gave none. */
export async function gatherReports(machine: CoordinatorMachine, own: NodeLocalReport): Promise<GatheredReports> {
  const reports = new Map<NodeId, NodeLocalReport>([[own.node, own]]);
  const unreachable = new Map<NodeId, string>();
  const asked = nodesToAsk(machine, own.node);
  const answers = await Promise.all(asked.map((node) => reportOf(node)));
  asked.forEach((node, index) => {
    const answer = answers[index]!;
    if (typeof answer === "string") unreachable.set(node.id, answer);
    else reports.set(node.id, answer);
  });
  return { reports, unreachable };
}

/** The node's report, or why there is none. */
async function reportOf(node: NodeRecord): Promise<NodeLocalReport | string> {
  const admin = node.addresses.adminAddress;
  if (admin === "") return "no admin address known";
  let response: Response;
  try {
    response = await fetch(`http://${admin}${localReportPath}`, { signal: AbortSignal.timeout(localReportTimeoutMs) });
  } catch (error) {
    return `admin endpoint ${admin}: ${fetchFailure(error)}`;
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    return `admin endpoint ${admin}: HTTP ${response.status}`;
  }
  try {
    const report = localReportFromJson(JSON.parse(await boundedText(response)));
    if (report.node !== node.id) return `admin endpoint ${admin}: answers for node ${report.node}`;
    return report;
  } catch (error) {
    const malformed = error instanceof LocalReportError || error instanceof SyntaxError;
    if (malformed) return `admin endpoint ${admin}: ${error.message}`;
    return `admin endpoint ${admin}: ${fetchFailure(error)}`;
  }
}

/** The body as text; LocalReportError past localReportBytesMax (what was read is dropped). */
async function boundedText(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (reader === undefined) return "";
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    if (length > localReportBytesMax) {
      await reader.cancel();
      throw new LocalReportError(`a report over ${localReportBytesMax} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Why a request failed, in words. */
function fetchFailure(error: unknown): string {
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (name === "TimeoutError" || name === "AbortError") return `no answer within ${localReportTimeoutMs} ms`;
  if (code === "ECONNREFUSED") return "connection refused";
  return typeof code === "string" && code !== "" ? `connection failed (${code})` : "connection failed";
}
