/**
 * One process per data folder, with real processes: a second `serve` on a folder in use exits 5
 * at once with one line naming the folder and the holder's PID while the first keeps serving;
 * after `kill -9` of the holder the kernel has dropped the lock and a new node starts on the
 * folder; a replicated node locks its top folder (not raft/ or engine/ inside it).
 */
import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { findFreePort } from "../../bench/lib/free_port.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { dataFolderLockFileName } from "../../src/util/data_folder_lock.ts";
import {
  folderInUseLine, freshNodeArgs, nodesPerFile, runCommand, sourceProgram, type ServeProcess,
} from "./process_harness.ts";

const nodes = nodesPerFile("lock");
/** Starts and stops several nodes; generous for a loaded 2-core machine. */
const testTimeoutMs = 120_000;

/** Runs a CLI command against `node`'s client port. */
const against = (node: ServeProcess, args: string[]) =>
  runCommand(sourceProgram, [...args, "--server", node.clientAddress]);

/** `serve` with `args` must exit 5 at once, with one line naming `folder` and the PID of `holder`. */
async function expectRefused(args: string[], folder: string, holder: ServeProcess): Promise<void> {
  expect(await runCommand(sourceProgram, ["serve", ...args])).toMatchObject({
    exitCode: ExitCode.serveFailed,
    stdoutText: "",
    stderrText: folderInUseLine(folder, holder.process.pid),
  });
}

test(
  "a second serve on a folder in use exits 5 naming folder and PID; the first keeps serving",
  async () => {
    const folder = join(nodes.folder, "single");
    const first = await nodes.start(freshNodeArgs(folder));
    expect((await against(first, ["put", "k", "before"])).exitCode).toBe(ExitCode.ok);

    await expectRefused(freshNodeArgs(folder), folder, first);

    expect((await against(first, ["put", "k", "after"])).exitCode).toBe(ExitCode.ok);
    expect(await against(first, ["get", "k"])).toMatchObject({ exitCode: 0, stdoutText: "after" });
    expect(await first.stop("SIGTERM")).toBe(0);
  },
  testTimeoutMs,
);

test(
  "after kill -9 of the holder, a new node starts on the folder and has its data",
  async () => {
    const folder = join(nodes.folder, "killed");
    const first = await nodes.start(freshNodeArgs(folder));
    expect((await against(first, ["put", "k", "kept"])).exitCode).toBe(ExitCode.ok);
    expect(await first.stop("SIGKILL")).not.toBe(0);

    const next = await nodes.start(freshNodeArgs(folder));
    expect(await against(next, ["get", "k"])).toMatchObject({ exitCode: 0, stdoutText: "kept" });
    expect(await next.stop("SIGTERM")).toBe(0);
  },
  testTimeoutMs,
);

test(
  "a replicated node locks its top folder: a second one, replica or single node, is refused",
  async () => {
    const folder = join(nodes.folder, "replica");
    const peers = () => `n1=127.0.0.1:${findFreePort()}`;
    const replicaArgs = () => [...freshNodeArgs(folder), "--node-id", "n1", "--peers", peers()];
    const replica = await nodes.start(replicaArgs());
    expect(existsSync(join(folder, dataFolderLockFileName))).toBe(true);
    expect(existsSync(join(folder, "raft", dataFolderLockFileName))).toBe(false);

    await expectRefused(replicaArgs(), folder, replica);
    await expectRefused(freshNodeArgs(folder), folder, replica);
    expect(await replica.stop("SIGTERM")).toBe(0);
  },
  testTimeoutMs,
);
