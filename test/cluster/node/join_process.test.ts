/**
 * Real processes: a fourth `filestore serve --join HOST:PORT` joins a running 3-node, 4-shard
 * cluster through a member's peer port, and `filestore cluster move-replica` moves a shard's
 * replica onto it while a client keeps writing; the new node then holds the shard and serves it,
 * and after a SIGKILL it starts again from its data (no second join) and still serves. A join
 * through an address where no member listens exits 5 with one line saying why, and leaves the
 * data folder fit for a later join.
 */
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { ExitCode } from "../../../src/cli/exit_codes.ts";
import { connect, type FileStore } from "../../../src/client/index.ts";
import { SharedLog } from "../../../src/cluster/wal/shared_log.ts";
import { makeTempDir, runCommand, sourceProgram, type CommandResult } from "../../cli/process_harness.ts";
import { findFreePort, ProcessCluster } from "../process_cluster.ts";
import { waitFor } from "../../support/wait_for.ts";

/** A first write may wait for the coordinator's bootstrap and every shard's first election. */
const requestTimeoutMs = 30_000;
/** Between tries of the move while the new node is not up yet (each try is a process start). */
const moveRetryIntervalMs = 100;
/** Tries of the move: at least 30 s with the interval, time for the new node to catch up and be marked up. */
const moveAttemptsMax = 300;

let cluster: ProcessCluster | undefined;
const workDir = makeTempDir("join-process");
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

/** Keys written one after another, until stopped. */
function keepWriting(store: FileStore): { acknowledged: string[]; stop: () => Promise<void> } {
  const acknowledged: string[] = [];
  let writing = true;
  const writer = (async () => {
    for (let index = 0; writing; index++) {
      const key = `joined/k${index}`;
      await store.put(key, key).then(() => acknowledged.push(key), () => {});
    }
  })();
  return {
    acknowledged,
    stop: async () => {
      writing = false;
      await writer;
    },
  };
}

/** `filestore cluster move-replica` of shard 1 from n1 to n4, tried again while n4 is not up yet. */
async function moveShardOneToNewNode(admin: string): Promise<CommandResult> {
  const args = ["cluster", "move-replica", "1", "--from", "n1", "--to", "n4", "--admin", admin];
  return waitFor(async () => {
    const result = await runCommand(sourceProgram, args);
    if (result.exitCode === ExitCode.ok) return result;
    if (result.stderrText.includes("NODE_NOT_UP")) return null;
    throw new Error(`move-replica exited ${result.exitCode}: ${result.stderrText}`);
  }, "the move onto n4 once it is up", { intervalMs: moveRetryIntervalMs, attemptsMax: moveAttemptsMax });
}

async function expectReadable(addresses: string[], keys: readonly string[]): Promise<void> {
  const store = await connect(addresses, { timeoutMs: requestTimeoutMs });
  try {
    for (const key of keys) expect(new TextDecoder().decode((await store.get(key))!)).toBe(key);
  } finally {
    await store.close();
  }
}

test("serve --join adds a fourth node; cluster move-replica moves a replica onto it while writes go on", async () => {
  cluster = await ProcessCluster.start({ nodes: 3, extraFlags: ["--shards", "4"] });
  const running = cluster;
  const store = await connect(running.clientAddresses(), { timeoutMs: requestTimeoutMs });
  try {
    await store.put("probe/ready", "1");
    await running.launchJoining(4, 2);
    expect(running.nodes.get(4)!.logLines.some((line) => line.includes("joined the cluster"))).toBe(true);
    const writes = keepWriting(store);
    await waitFor(() => writes.acknowledged.length >= 20, "writes before the move");
    const moved = await moveShardOneToNewNode(running.nodes.get(1)!.adminAddress);
    expect(moved.stdoutText).toMatch(/^move started: shard 1 from n1 to n4 \(replica \d+\)\n/);
    expect(moved.stdoutText).toMatch(/moved: shard 1 is on n2, n3, n4 \(epoch \d+\)\n$/);
    await waitFor(() => writes.acknowledged.length >= 40, "writes after the move");
    await writes.stop();
    const newNode = [running.nodes.get(4)!.clientAddress];
    await expectReadable(newNode, writes.acknowledged);
    await running.kill(4);
    await running.launch(4, []);
    expect(running.nodes.get(4)!.logLines.some((line) => line.includes("joined the cluster"))).toBe(false);
    await expectReadable(newNode, writes.acknowledged);
  } finally {
    await store.close();
  }
}, 180_000);

test("serve --join where no member listens exits 5 in one line; the data folder stays fit to join", async () => {
  const data = join(workDir.path, "lonely");
  const nowhere = `127.0.0.1:${findFreePort()}`;
  const args = [
    "serve", "--node-id", "n9", "--join", nowhere, "--peer-listen", `127.0.0.1:${findFreePort()}`,
    "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--data", data,
  ];
  const result = await runCommand(sourceProgram, args);
  expect(result.exitCode).toBe(ExitCode.serveFailed);
  const reason = `cannot join through ${nowhere}: cannot reach ${nowhere}: connection refused (nothing listens there)`;
  expect(result.stderrText.trim().split("\n").at(-1)).toBe(`filestore: ${reason}`);
  // What is left is the data folder's lock file and a shared log holding no group, no meta group
  // a later start would take for a join done.
  const log = await SharedLog.open({ dir: join(data, "wal"), fsync: "unsafe-no-fsync" });
  expect(log.groupIds()).toEqual([]);
  await log.close();
  workDir.remove();
}, 60_000);
