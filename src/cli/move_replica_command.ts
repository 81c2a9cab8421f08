/**
 * `filestore cluster move-replica SHARD --from n1 --to n4 [--admin HOST:PORT]`: asks the
 * coordinator to move shard SHARD's replica (POST /cluster/move-replica to any node, following
 * the 421 redirect to the coordinator's leader; src/admin/sharded_routes.ts), then follows the
 * move on that node (GET /cluster/move) and prints each step until it has ended:
 *   move started: shard 5 from n1 to n4 (replica 52)
 *   shard 5: catching up
 *   shard 5: removing the source
 *   moved: shard 5 is on n2, n3, n4 (epoch 4)
 * A refusal (unknown shard or node, a move of the shard already running, a target that holds the
 * shard already) is printed with its code and exits 4, nothing changed; no answer exits 3.
 */
import { adminRequest } from "./admin_client.ts";
import { ClusterCommandError } from "./cluster_command_error.ts";
import { ExitCode, type ExitCodeValue } from "./exit_codes.ts";
import { writeStdout } from "./output.ts";
import { UsageError } from "./usage_error.ts";

/** A follower names its leader; one more hop than that means leadership moved meanwhile. */
const leaderRedirectsMax = 3;
/** While no leader is known, or between looks at a running move. */
const pollIntervalMs = 50;

interface MoveStatus {
  move: { from: string; to: string; step: string } | null;
  epoch: number;
  replicas: Array<{ node: string; role: string }>;
}

export async function runMoveReplica(
  admin: string,
  shardText: string | undefined,
  options: Record<string, string | boolean | undefined>,
  timeoutMs: number,
): Promise<ExitCodeValue> {
  const shard = Number(shardText);
  if (shardText === undefined || !Number.isSafeInteger(shard) || shard < 1) {
    const given = shardText ?? "";
    throw new UsageError(`cluster move-replica: SHARD must be a shard id (1, 2, ...), got "${given}"`, "cluster");
  }
  const [from, to] = [options.from, options.to];
  if (typeof from !== "string" || typeof to !== "string") {
    throw new UsageError("cluster move-replica: give --from NODE and --to NODE", "cluster");
  }
  const deadline = performance.now() + timeoutMs;
  const query = new URLSearchParams({ shard: String(shard), from, to });
  const { leaderAdmin, body } = await postToCoordinator(admin, `/cluster/move-replica?${query}`, deadline);
  await writeStdout(`move started: shard ${shard} from ${from} to ${to} (replica ${String(body.replica)})\n`);
  let lastStep = "";
  for (;;) {
    const status = await moveStatus(leaderAdmin, shard, deadline);
    if (status.move === null) {
      const holders = status.replicas.map((replica) => replica.node).join(", ");
      await writeStdout(`moved: shard ${shard} is on ${holders} (epoch ${status.epoch})\n`);
      return ExitCode.ok;
    }
    if (status.move.step !== lastStep) {
      lastStep = status.move.step;
      await writeStdout(`shard ${shard}: ${lastStep}\n`);
    }
    if (performance.now() + pollIntervalMs >= deadline) {
      throw new ClusterCommandError(`the move of shard ${shard} did not end within ${timeoutMs} ms (it goes on)`, true);
    }
    await Bun.sleep(pollIntervalMs);
  }
}

async function postToCoordinator(admin: string, pathAndQuery: string, deadline: number) {
  let target = admin;
  for (let redirects = 0; ; ) {
    const remainingMs = Math.max(1, deadline - performance.now());
    const { status, body } = await adminRequest(target, pathAndQuery, "POST", remainingMs);
    if (status === 200) return { leaderAdmin: target, body };
    const leaderAdmin = typeof body.leaderAdmin === "string" ? body.leaderAdmin : "";
    if (status === 421 && leaderAdmin !== "" && redirects < leaderRedirectsMax) {
      target = leaderAdmin;
      redirects++;
      continue;
    }
    if (status === 421 && performance.now() + pollIntervalMs < deadline) {
      await Bun.sleep(pollIntervalMs);
      continue;
    }
    const code = typeof body.code === "string" ? `${body.code}: ` : "";
    const error = String(body.error ?? `HTTP ${status}`);
    throw new ClusterCommandError(`${code}${error} (admin endpoint ${target})`, status === 421);
  }
}

async function moveStatus(admin: string, shard: number, deadline: number): Promise<MoveStatus> {
  const remainingMs = Math.max(1, deadline - performance.now());
  const { status, body } = await adminRequest(admin, `/cluster/move?shard=${shard}`, "GET", remainingMs);
  if (status !== 200) {
    throw new ClusterCommandError(`${String(body.error ?? `HTTP ${status}`)} (admin endpoint ${admin})`, false);
  }
  return body as unknown as MoveStatus;
}
