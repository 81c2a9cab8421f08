/**
 * `filestore check` on a replica's folder (raft/ and engine/ inside), written by a real
 * replicated `serve`: refused with exit 5 while the node runs; clean after it stops; then a
 * flipped byte in a Raft log record, in a hard-state record and in the snapshot file are each
 * damage (exit 7) naming the file.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import fs from "node:fs";
import { join } from "node:path";
import { findFreePort } from "../../bench/lib/free_port.ts";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { damageMiddleRecord, flipByte, segmentPaths } from "./damage.ts";
import {
  folderInUseLine, freshNodeArgs, makeTempDir, runCommand, sourceProgram, startServe,
} from "./process_harness.ts";

const workDir = makeTempDir("check-replica");
const folder = join(workDir.path, "replica");
const check = () => runCommand(sourceProgram, ["check", "--data", folder]);
/** Copies of the clean folder's files, restored before each damage so each test sees one fault. */
let cleanFiles = new Map<string, Buffer>();
/** Writes through the group, so the Raft log and the engine both hold records. */
const writeCount = 30;
/** Starting a replica, writing and stopping it; generous for a loaded 2-core machine. */
const setupTimeoutMs = 60_000;

beforeAll(async () => {
  const node = await startServe(sourceProgram, [
    ...freshNodeArgs(folder),
    "--node-id",
    "n1",
    "--peers",
    `n1=127.0.0.1:${findFreePort()}`,
  ]);
  try {
    for (let write = 0; write < writeCount; write++) {
      const put = await runCommand(sourceProgram, [
        "put",
        `key/${write}`,
        `value ${write}`,
        "--server",
        node.clientAddress,
      ]);
      expect(put.exitCode).toBe(ExitCode.ok);
    }
    const whileRunning = await check();
    expect(whileRunning).toMatchObject({
      exitCode: ExitCode.serveFailed,
      stdoutText: "",
      stderrText: folderInUseLine(folder, node.process.pid),
    });
  } finally {
    expect(await node.stop("SIGTERM")).toBe(0);
  }
  for (const name of fs.readdirSync(folder, { recursive: true }) as string[]) {
    const file = join(folder, name);
    if (fs.statSync(file).isFile()) cleanFiles.set(file, fs.readFileSync(file));
  }
}, setupTimeoutMs);

afterAll(() => {
  cleanFiles = new Map();
  workDir.remove();
});

function restoreCleanFiles(): void {
  for (const [file, bytes] of cleanFiles) fs.writeFileSync(file, bytes);
}

/** Restores the clean folder, applies `damage` to it, and checks it: damage found, exit 7; gives what `damage` gave. */
async function checkAfter<T>(damage: () => T): Promise<{ damaged: T; report: string }> {
  restoreCleanFiles();
  const damaged = damage();
  const result = await check();
  expect(result.exitCode).toBe(ExitCode.damaged);
  return { damaged, report: result.stdoutText };
}

test("a stopped replica's folder is clean: Raft log, hard state, snapshot and engine files get a line", async () => {
  restoreCleanFiles();
  const result = await check();
  expect(result).toMatchObject({ exitCode: ExitCode.ok, stderrText: "" });
  const checked = result.stdoutText
    .split("\n")
    .filter((line) => line.startsWith("checked  "))
    .map((line) => line.split(": ")[0]);
  const expected = [
    ...segmentPaths(join(folder, "raft", "log")),
    join(folder, "raft", "hard_state"),
    join(folder, "raft", "snapshot"),
    ...segmentPaths(join(folder, "engine", "log")),
  ].map((file) => `checked  ${file}`);
  expect(checked.slice(0, expected.length)).toEqual(expected);
  expect(result.stdoutText).toMatch(
    new RegExp(`\nclean: ${folder} \\(replicated\\): \\d+ files checked, 0 problems, 0 notes\n$`),
  );
});

test("a flipped byte in a Raft log record: file, offset and record index; exit 7", async () => {
  const segment = segmentPaths(join(folder, "raft", "log"))[0];
  const { damaged: record, report } = await checkAfter(() => damageMiddleRecord(segment));
  expect(report).toContain(
    `\nDAMAGED  ${segment} offset ${record.offset} record ${record.index}: record checksum mismatch\n`,
  );
});

test("a flipped byte in a hard-state record: exit 7 naming the record", async () => {
  const hardState = join(folder, "raft", "hard_state");
  const { report } = await checkAfter(() => flipByte(hardState, 10));
  expect(report).toContain(`\nDAMAGED  ${hardState} offset 0 record 0: hard-state record checksum mismatch\n`);
});

test("a flipped byte in the snapshot file: exit 7", async () => {
  const snapshot = join(folder, "raft", "snapshot");
  const { report } = await checkAfter(() => flipByte(snapshot, 9));
  expect(report).toContain(`\nDAMAGED  ${snapshot}: checksum mismatch\n`);
});
