/**
 * One data folder, one kind of node: `serve --shards` refuses a folder holding a single Raft
 * group's log (raft/), and `serve --peers` without shards refuses one holding a sharded node's
 * shared log (wal/), each with exit 5 and one line saying what to do, before writing anything.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { findFreePort } from "../../bench/lib/free_port.ts";
import { errorLines, freshNodeArgs, makeTempDir, runCommand, sourceProgram } from "./process_harness.ts";

const dirs: Array<{ remove(): void }> = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

function folderWith(part: string): string {
  const dir = makeTempDir("layout");
  dirs.push(dir);
  mkdirSync(join(dir.path, part));
  return dir.path;
}

function peerArgs(): string[] {
  return ["--node-id", "n1", "--peers", `n1=127.0.0.1:${findFreePort()}`];
}

test("serve --shards on a single group's folder: exit 5, one line, nothing written", async () => {
  const data = folderWith("raft");
  const serve = await runCommand(sourceProgram, ["serve", ...freshNodeArgs(data), ...peerArgs(), "--shards", "4"]);
  expect(serve.exitCode).toBe(ExitCode.serveFailed);
  const advice = "start it without --shards, or use another --data";
  expect(errorLines(serve.stderrText)).toEqual([
    `filestore: data folder ${data} holds a single Raft group's log (raft/): ${advice}`,
  ]);
  expect(readdirSync(data).filter((name) => name !== "filestore.lock").sort()).toEqual(["raft"]);
});

test("serve --peers without shards on a sharded node's folder: exit 5, one line, nothing written", async () => {
  const data = folderWith("wal");
  const serve = await runCommand(sourceProgram, ["serve", ...freshNodeArgs(data), ...peerArgs()]);
  expect(serve.exitCode).toBe(ExitCode.serveFailed);
  const advice = "start it with --shards (or --join HOST:PORT), or use another --data";
  expect(errorLines(serve.stderrText)).toEqual([
    `filestore: data folder ${data} holds a sharded node's shared log (wal/): ${advice}`,
  ]);
  expect(readdirSync(data).filter((name) => name !== "filestore.lock").sort()).toEqual(["wal"]);
});
