/**
 * `join` is a setting like any other: `--join` on the command line or `join = true` in the TOML
 * file makes a new replica start with no members (it waits for `filestore cluster add-node`);
 * without it the replica founds a group of its peers. Joining without peers is a config error.
 */
import { afterAll, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { ExitCode } from "../../src/cli/exit_codes.ts";
import { makeTempDir, runCommand, sourceProgram, startServe } from "./process_harness.ts";

const workDir = makeTempDir("join");
afterAll(() => workDir.remove());

/** A replica whose only peer is itself, on free ports, configured by a TOML file. */
function replicaToml(name: string, joinLine: string): string {
  const path = join(workDir.path, `${name}.toml`);
  const lines = ['node-id = "n1"', 'peers = ["n1=127.0.0.1:0"]', 'listen = "127.0.0.1:0"', 'admin = "127.0.0.1:0"'];
  writeFileSync(path, [...lines, `data = "${join(workDir.path, name)}"`, joinLine, ""].join("\n"));
  return path;
}

/** Members of the group as the node sees them right after its ready line. */
async function membersAtStart(args: string[]): Promise<string[]> {
  const node = await startServe(sourceProgram, args);
  const response = await fetch(`${node.adminUrl}/cluster/status`);
  const status = (await response.json()) as { members: Array<{ node: string }> };
  expect(await node.stop("SIGTERM")).toBe(0);
  return status.members.map((member) => member.node);
}

test("join = true in the file and --join on the command line start a new replica with no members", async () => {
  expect(await membersAtStart(["--config", replicaToml("from-file", "join = true")])).toEqual([]);
  expect(await membersAtStart(["--config", replicaToml("founder", "")])).toEqual(["n1"]);
  expect(await membersAtStart(["--config", replicaToml("flag-over-file", "join = false"), "--join"])).toEqual([]);
});

test("join without peers exits 5 naming the setting", async () => {
  const result = await runCommand(sourceProgram, ["serve", "--join", "--data", join(workDir.path, "lonely")]);
  expect(result.exitCode).toBe(ExitCode.serveFailed);
  expect(result.stderrText).toBe(
    "filestore: config: join (from flags): joining a group needs peers: every current member and this node\n",
  );
});

test("a join value that is not a boolean exits 5 naming the setting and the file", async () => {
  const path = replicaToml("not-boolean", 'join = "yes"');
  const result = await runCommand(sourceProgram, ["serve", "--config", path]);
  expect(result.exitCode).toBe(ExitCode.serveFailed);
  const expected = 'must be true, false or HOST:PORT (the peer port of a cluster member), got "yes"';
  expect(result.stderrText).toBe(`filestore: config: join (from ${path}): ${expected}\n`);
});
