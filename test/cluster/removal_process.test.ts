/**
 * `filestore cluster remove-node` against real processes: the removed node says so in one line
 * and exits 8; started again on its data it refuses with exit 8 and a line saying why; the other
 * two keep serving. A node removed while down learns it from the others when it comes back.
 */
import { afterEach, expect, test } from "bun:test";
import { connect } from "../../src/client/index.ts";
import { errorLines, runCommand, sourceProgram } from "../cli/process_harness.ts";
import { parseJsonLogLines } from "../util/json_log.ts";
import { ProcessCluster } from "./process_cluster.ts";

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

const run = (args: string[]) => runCommand(sourceProgram, args);
/** Node `id` started again on its data folder and ports, run to its end. */
const restartNode = (id: number) => runCommand(cluster!.serveCommand(id, []), []);

test("a removed node says so and exits 8, refuses to start again on its data; the group serves on", async () => {
  cluster = await ProcessCluster.start({ nodes: 3, extraFlags: ["--log-format", "json"] });
  const leader = await cluster.leader();
  const removed = [1, 2, 3].find((id) => id !== leader)!;
  const removedNode = cluster.nodes.get(removed)!;
  const removedProcess = removedNode.process!;

  const leaderAdmin = cluster.nodes.get(leader)!.adminAddress;
  const removal = await run(["cluster", "remove-node", `n${removed}`, "--admin", leaderAdmin]);
  expect(removal.stderrText).toBe("");
  expect(removal.exitCode).toBe(0);
  expect(await removedProcess.exited).toBe(8);
  removedNode.process = null;
  const facts = "\\(membership as of index \\d+, told by n\\d\\)";
  const removedNotice = `node n${removed} was removed from the group ${facts}`;
  const logged = parseJsonLogLines(removedNode.logLines).filter((event) => event.level === "error");
  expect(logged.map((event) => event.msg)).toEqual([expect.stringMatching(new RegExp(`^${removedNotice}; stopping$`))]);
  expect(removedNode.output.join("").split("\n")).toContain("filestore stopped reason=removed");

  const restart = await restartNode(removed);
  expect(restart.exitCode).toBe(8);
  expect(restart.stdoutText).toBe("");
  const remedy = "start it with `serve --join` on a new data folder, then add it with `filestore cluster add-node`";
  const refusal = new RegExp(`^filestore: ${removedNotice}; it does not start again on .+: ${remedy}$`);
  expect(errorLines(restart.stderrText)).toEqual([
    expect.stringMatching(refusal),
  ]);

  const remaining = [1, 2, 3].filter((id) => id !== removed).map((id) => cluster!.nodes.get(id)!.clientAddress);
  const client = await connect(remaining, { cluster: true, timeoutMs: 10_000 });
  try {
    await client.put("after-removal", "yes");
    expect(new TextDecoder().decode((await client.get("after-removal"))!)).toBe("yes");
  } finally {
    await client.close();
  }
}, 60_000);

test("a node removed while it was down learns it from the others once restarted, and exits 8", async () => {
  cluster = await ProcessCluster.start({ nodes: 3, extraFlags: ["--log-format", "json"] });
  const leader = await cluster.leader();
  const removed = [1, 2, 3].find((id) => id !== leader)!;
  await cluster.kill(removed);
  const leaderAdmin = cluster.nodes.get(leader)!.adminAddress;
  expect((await run(["cluster", "remove-node", `n${removed}`, "--admin", leaderAdmin])).exitCode).toBe(0);

  const restart = await restartNode(removed);
  expect(restart.exitCode).toBe(8);
  expect(restart.stdoutText).toMatch(/^filestore listening .*\nfilestore stopped reason=removed\n$/);
  const notice = new RegExp(`^node n${removed} was removed from the group \\(.*\\); stopping$`);
  const errors = parseJsonLogLines(restart.stderrText.split("\n")).filter((event) => event.level === "error");
  expect(errors.map((event) => event.msg)).toEqual([expect.stringMatching(notice)]);
  expect((await restartNode(removed)).exitCode).toBe(8);
}, 60_000);
