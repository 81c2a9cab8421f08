/**
 * HTTP requests from the CLI to a node's admin endpoint (src/admin/), with failures said in
 * words: `admin endpoint 127.0.0.1:7401: connection refused`, `... no answer within 5000 ms`,
 * `... did not answer with FileStore's JSON (HTTP 404)`, never the HTTP library's own text.
 */
import type { NodeClusterStatus, SingleNodeStatus } from "../cluster/cluster_status.ts";
import { ClusterCommandError } from "./cluster_command_error.ts";

interface AdminAnswer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** One request; ClusterCommandError (unreachable) when no JSON answer came. */
export async function adminRequest(admin: string, path: string, method: "GET" | "POST", timeoutMs: number) {
  let response: Response;
  let body: unknown;
  try {
    response = await fetch(`http://${admin}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new ClusterCommandError(`admin endpoint ${admin}: ${describeFetchFailure(error, timeoutMs)}`, true);
  }
  try {
    body = await response.json();
  } catch {
    // Not JSON: said below.
  }
  if (typeof body === "object" && body !== null) {
    const { status, headers } = response;
    const answer: AdminAnswer = { status, body: body as AdminAnswer["body"], headers };
    return answer;
  }
  const why = `did not answer with FileStore's JSON (HTTP ${response.status}); is it an admin address?`;
  throw new ClusterCommandError(`admin endpoint ${admin}: ${why}`, true);
}

/** The node's /cluster/status: a replica's view of its group, or a single node's own state. */
export async function getNodeStatus(admin: string, timeoutMs: number): Promise<NodeClusterStatus | SingleNodeStatus> {
  const { status, body } = await adminRequest(admin, "/cluster/status", "GET", timeoutMs);
  if (status !== 200) {
    throw new ClusterCommandError(`admin endpoint ${admin}: ${String(body.error ?? `HTTP ${status}`)}`, false);
  }
  return body as unknown as NodeClusterStatus | SingleNodeStatus;
}

/** Why a fetch failed, in words (Bun's messages suggest checking the computer's network). */
function describeFetchFailure(error: unknown, timeoutMs: number): string {
  const { name, code } = error as { name?: unknown; code?: unknown };
  if (name === "TimeoutError" || name === "AbortError") return `no answer within ${timeoutMs} ms`;
  switch (code) {
    case "ECONNREFUSED":
      return "connection refused";
    case "ECONNRESET":
      return "connection reset";
    case "ENOTFOUND":
      return "host not found";
    case "ETIMEDOUT":
      return "connection timed out";
    default:
      return typeof code === "string" && code !== "" ? `connection failed (${code})` : "connection failed";
  }
}
