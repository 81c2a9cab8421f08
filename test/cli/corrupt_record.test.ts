/**
 * What a corrupt record in the middle of the log does to `serve`, as the README states it, with
 * real processes: when start-up must replay it (no checkpoint covers it) the node refuses to
 * start, exit 5, naming file, offset and record and pointing at `filestore check`; when the
 * checkpoint already covers it the node starts, every other key is served, and a read of the key
 * whose value sits in that record fails with INTERNAL (the damaged bytes are never served); a
 * replica whose Raft log holds a corrupt record refuses to start the same way.
 */
import { expect, test } from "bun:test";
import { join } from "node:path";
import { findFreePort } from "../../bench/lib/free_port.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { damageMiddleRecord, segmentPaths, type RecordPlace } from "./damage.ts";
import { errorLines, freshNodeArgs, nodesPerFile, runCommand, sourceProgram } from "./process_harness.ts";

const nodes = nodesPerFile("corrupt-record");

/** The `filestore: ` lines of a failed start (its log lines come before them), each with its newline. */
function errorLinesOf(result: { stderrText: string }): string {
  return errorLines(result.stderrText).map((line) => `${line}\n`).join("");
}
/** Keys written one put each, so record i of a fresh single node's log holds key/i. */
const keyCount = 20;
/** Starts, writes, stops and restarts nodes; generous for a loaded 2-core machine. */
const testTimeoutMs = 120_000;

/**
 * A node on `folder` that took keyCount puts, stopped by `signal` (SIGTERM writes a checkpoint, SIGKILL does not);
 * then the middle record of the first segment in its log folder `log` (under `folder`) is damaged.
 */
async function damagedAfterWrites(
  folder: string,
  signal: "SIGTERM" | "SIGKILL",
  log: string,
  extraArgs: string[] = [],
): Promise<{ segment: string; record: RecordPlace }> {
  const node = await nodes.start([...freshNodeArgs(folder), ...extraArgs]);
  for (let key = 1; key <= keyCount; key++) {
    expect(
      (await runCommand(sourceProgram, ["put", `key/${key}`, `value ${key}`, "--server", node.clientAddress])).exitCode,
    ).toBe(0);
  }
  await node.stop(signal);
  const segment = segmentPaths(join(folder, log))[0];
  return { segment, record: damageMiddleRecord(segment) };
}

function damageLine(step: string, folder: string, segment: string, offset: number, index: number): string {
  return (
    `filestore: ${step}: corrupt record in ${segment} at offset ${offset} (index ${index}): ` +
    "record checksum mismatch; " +
    `run \`filestore check --data ${folder}\` to list all damage\n`
  );
}

test(
  "a corrupt record that start-up must replay: the node refuses to start, exit 5, naming file, offset and record",
  async () => {
    const folder = join(nodes.folder, "replayed");
    const { segment, record } = await damagedAfterWrites(folder, "SIGKILL", "log");
    const result = await runCommand(sourceProgram, ["serve", ...freshNodeArgs(folder)]);
    expect(result).toMatchObject({ exitCode: ExitCode.serveFailed, stdoutText: "" });
    const expected = damageLine(`data folder ${folder}`, folder, segment, record.offset, record.index);
    expect(errorLinesOf(result)).toBe(expected);
  },
  testTimeoutMs,
);

test(
  "a corrupt record the checkpoint covers: the node serves, and only that record's key fails with INTERNAL",
  async () => {
    const folder = join(nodes.folder, "checkpointed");
    const { segment, record } = await damagedAfterWrites(folder, "SIGTERM", "log");
    const node = await nodes.start(freshNodeArgs(folder));
    const get = (key: number) => runCommand(sourceProgram, ["get", `key/${key}`, "--server", node.clientAddress]);
    const damaged = await get(record.index);
    expect(damaged).toMatchObject({ exitCode: ExitCode.requestFailed, stdoutText: "" });
    expect(damaged.stderrText).toStartWith("filestore: INTERNAL");
    for (const key of [1, record.index - 1, record.index + 1, keyCount]) {
      expect(await get(key)).toMatchObject({ exitCode: ExitCode.ok, stdoutText: `value ${key}` });
    }
    expect(await node.stop("SIGTERM")).toBe(0);
    const check = await runCommand(sourceProgram, ["check", "--data", folder]);
    expect(check.exitCode).toBe(ExitCode.damaged);
    expect(check.stdoutText).toContain(
      `DAMAGED  ${segment} offset ${record.offset} record ${record.index}: record checksum mismatch\n`,
    );
  },
  testTimeoutMs,
);

test(
  "a replica with a corrupt record in its Raft log refuses to start, exit 5",
  async () => {
    const folder = join(nodes.folder, "replica");
    const replicaArgs = ["--node-id", "n1", "--peers", `n1=127.0.0.1:${findFreePort()}`];
    const { segment, record } = await damagedAfterWrites(folder, "SIGTERM", join("raft", "log"), replicaArgs);
    const result = await runCommand(sourceProgram, ["serve", ...freshNodeArgs(folder), ...replicaArgs]);
    expect(result.exitCode).toBe(ExitCode.serveFailed);
    const expected = damageLine(`replica n1 in ${folder}`, folder, segment, record.offset, record.index);
    expect(errorLinesOf(result)).toBe(expected);
  },
  testTimeoutMs,
);
